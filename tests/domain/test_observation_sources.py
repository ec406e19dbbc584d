"""Preliminary, partial and competing figures (issue 15), on both databases: one history per source
with a documented rule for which counts, part-of-year figures kept but never the year's value, series
breaks through every write path, and a preliminary verdict marked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Indicator, Observation, Region, WritePath
from service.domain.observations import ObservationInput, ingest
from service.domain.tabular import read_csv
from service.domain.values import PARTIAL, parse_coverage, source_key, split_period
from service.domain.vintage import Vintage
from service.reports.engine import load_vintage
from tests.support.factories import create_user, num

WHEN = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def rd(value: float, source: str, **extra: object) -> ObservationInput:
    fields: dict = {"row": 1, "indicator": "rd_intensity", "region": "Z-YRD", "period": 2023, "value": value,
                    "unit": "%", "source": source, "confirm": True, **extra}  # fmt: skip
    return ObservationInput(**fields)


def counted(session: Session, year: int = 2023, region: str = "Z-YRD") -> float | None:
    """The value a report run uses for rd_intensity in that year."""
    i = session.scalar(select(Indicator.id).where(Indicator.code == "rd_intensity"))
    r = session.scalar(select(Region.id).where(Region.code == region))
    assert i is not None and r is not None
    row = load_vintage(session, [(i, r)], Vintage.now(WHEN + dt.timedelta(days=10))).get((i, r), {}).get(year)
    return None if row is None else row.value


def test_source_keys_and_coverage_words() -> None:
    assert source_key("2023年浙江省国民经济和社会发展统计公报（浙江省统计局）") == "统计局"
    assert source_key("长三角一体化发展统计监测办公室") == "统计局"
    assert source_key(" 长三角区域合作办公室 新闻发布会 ") == "长三角区域合作办公室新闻发布会"
    assert source_key(None) == "" and source_key(None, "1-10月") == "#1-10月"
    assert split_period("2025年1-10月") == ("2025", "1-10月")
    assert split_period("2025年前三季度") == ("2025", "1-9月")
    assert split_period("2025年上半年") == ("2025", "1-6月")
    assert split_period("2024") == ("2024", None) and split_period(2024) == (2024, None)
    assert (
        parse_coverage("部分年度 partial year: 仅2024年1–10月 January–October only", in_note=True) == "1-10月"
    )
    assert parse_coverage("partial year", in_note=True) == PARTIAL
    assert parse_coverage("新闻背景数据", in_note=True) is None
    assert parse_coverage("杭州一季度GDP同比增4.6%", in_note=True) is None  # a news title's quarter
    assert parse_coverage("1-12月") is None  # the whole year


@pytest.mark.parametrize("bureau_first", [True, False])
def test_two_offices_figures_stand_side_by_side_and_the_bureau_counts(
    session: Session, bureau_first: bool
) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    bureau, office = rd(3.33, "统计监测办公室"), rd(3.34, "科技局")
    rows = [bureau, office] if bureau_first else [office, bureau]
    for n, row in enumerate(rows):  # separately, in either order: neither needs a revision reason
        result = ingest(session, admin, [row], path=WritePath.API, now=WHEN + dt.timedelta(hours=n))
        assert result.applied and result.counts["added"] == 1, result.as_dict()
    stored = session.scalars(select(Observation).where(Observation.source_key != "")).all()
    assert sorted(float(o.value) for o in stored if o.value is not None) == [3.33, 3.34]
    assert all(o.supersedes_id is None for o in stored)  # side by side, not a chain
    assert counted(session) == 3.33  # the statistics bureau's, whatever the order
    # a revision of the office's figure stays in the office's history
    revised = ingest(session, admin, [rd(3.35, "科技局", revision_reason="更正")], path=WritePath.API,
                     now=WHEN + dt.timedelta(days=1))  # fmt: skip
    assert revised.counts["revised"] == 1
    office_rows = session.scalars(
        select(Observation).where(Observation.source_key == "科技局").order_by(Observation.id)
    ).all()
    assert office_rows[1].supersedes_id == office_rows[0].id
    assert counted(session) == 3.33


def test_final_beats_preliminary_across_sources(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    ingest(session, admin, [rd(3.30, "统计局", status="preliminary")], path=WritePath.API, now=WHEN)
    ingest(session, admin, [rd(3.31, "科技局")], path=WritePath.API, now=WHEN - dt.timedelta(days=1))
    assert counted(session) == 3.31  # final (science office) over preliminary (bureau)
    ingest(session, admin, [rd(3.32, "统计局", status="final", revision_reason="年报")], path=WritePath.API,
           now=WHEN + dt.timedelta(days=1))  # fmt: skip
    assert counted(session) == 3.32  # the bureau's final


def test_a_part_of_the_year_is_stored_as_such_and_never_the_years_value(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    rows = [
        ObservationInput(row=1, indicator="good_air_days_ratio", region="Z-YRD", period="2024年1-10月", value=83.3,
                         unit="%", confirm=True),
        ObservationInput(row=2, indicator="good_air_days_ratio", region="Z-YRD", period=2023, value=80.1,
                         unit="%", note="部分年度 partial year: 仅1–11月", confirm=True),
        ObservationInput(row=3, indicator="good_air_days_ratio", region="Z-YRD", period=2023, value=81.0,
                         unit="%", confirm=True),
        ObservationInput(row=4, indicator="good_air_days_ratio", region="Z-YRD", period=2022, value=79.0,
                         unit="%", coverage="前三季度", confirm=True),
    ]  # fmt: skip
    result = ingest(session, admin, rows, path=WritePath.API, now=WHEN)
    assert result.applied and result.counts["added"] == 4, result.as_dict()
    by_year = {
        (o.period, o.coverage): num(o.value)
        for o in session.scalars(select(Observation).where(Observation.batch_id == result.batch_id))
    }
    assert by_year[(2024, "1-10月")] == 83.3 and by_year[(2023, "1-11月")] == 80.1
    assert by_year[(2022, "1-9月")] == 79.0 and by_year[(2023, None)] == 81.0
    i = session.scalar(select(Indicator.id).where(Indicator.code == "good_air_days_ratio"))
    r = session.scalar(select(Region.id).where(Region.code == "Z-YRD"))
    assert i is not None and r is not None
    years = load_vintage(session, [(i, r)], Vintage.now(WHEN + dt.timedelta(days=1)))[(i, r)]
    assert {y: o.value for y, o in years.items()} == {2023: 81.0}  # partial years are not years' values


def test_a_series_break_through_the_api_and_a_file_reaches_the_methodology(
    client: TestClient, session: Session
) -> None:
    _, headers = create_user(session, username="admin", role="admin", regions=())
    api = client.post("/api/v1/observations", headers=headers, json={
        "indicator": "rd_intensity", "region": "Z-YRD", "period": 2022, "value": 2.97, "unit": "%",
        "series_break": True, "confirm": True,
    })  # fmt: skip
    assert api.status_code == 201, api.text
    csv_text = "指标,地区,年份,数值,单位,口径调整,确认\nrd_intensity,Z-YRD,2021,2.93,%,是,是\nrd_intensity,Z-YRD,2020,2.88,%,,是\n"
    parsed = list(read_csv(csv_text.encode()))
    assert [p.series_break for p in parsed] == [True, False]
    upload = client.post(
        "/api/v1/imports", files={"file": ("b.csv", csv_text.encode(), "text/csv")}, headers=headers
    )
    assert upload.status_code == 201, upload.text
    breaks = {
        o.period: o.series_break
        for o in session.scalars(select(Observation).where(Observation.status != "plan_baseline"))
    }
    assert breaks == {2020: False, 2021: True, 2022: True}
    from service.reports.engine import run_report
    from tests.support.samples import record

    run = run_report(session, as_of=WHEN + dt.timedelta(days=1), now=WHEN + dt.timedelta(days=1))
    r = record(session, run, "yrd-outline-2019/rd-intensity-2025")
    assert r["status"] == "insufficient_data"


def test_the_entry_form_records_a_series_break_and_a_part_of_the_year(
    client: TestClient, session: Session
) -> None:
    from service.db.models import Role
    from tests.support.web import login

    csrf = login(client, session, "js", Role.EDITOR, ["330421"])
    form = {"csrf": csrf, "region": "330421", "year": "2024", "value_gdp": "880.5", "status": "final",
            "break_gdp": "1", "coverage": "1-10月"}  # fmt: skip
    assert client.post("/entry", data=form).status_code == 200
    (o,) = session.scalars(select(Observation).where(Observation.status != "plan_baseline")).all()
    assert o.series_break is True and o.coverage == "1-10月" and o.source_key == "#1-10月"


def test_the_api_lists_two_sources_figures_for_one_year_side_by_side(
    client: TestClient, session: Session
) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    for n, row in enumerate((rd(3.33, "统计监测办公室"), rd(3.34, "科技局"))):
        assert ingest(session, admin, [row], path=WritePath.API, now=WHEN + dt.timedelta(hours=n)).applied
    session.commit()
    listed = client.get("/api/v1/observations", params={"indicator": "rd_intensity", "region": "Z-YRD",
                                                        "period": 2023, "include_baselines": False}).json()  # fmt: skip
    assert sorted((i["source_key"], i["value"]) for i in listed["items"]) == [
        ("科技局", 3.34),
        ("统计局", 3.33),
    ]


def test_the_cli_import_reader_takes_the_break_and_coverage_columns(tmp_path: Path) -> None:
    from service.domain.tabular import iter_file

    path = tmp_path / "嘉善.csv"
    path.write_bytes(
        "指标,地区,年份,数值,单位,口径调整,覆盖期\ngdp,嘉善县,2024,880.5,亿元,是,\ngdp,嘉善县,2025,700,亿元,,1-10月\n"
        .encode("gb18030")
    )  # fmt: skip
    rows = list(iter_file(path))
    assert [(r.series_break, r.coverage) for r in rows] == [(True, None), (False, "1-10月")]


def test_the_target_page_shows_the_figures_not_counted_beside_the_counted_one(
    client: TestClient, session: Session
) -> None:
    from service.reports.engine import run_report

    admin, _ = create_user(session, username="admin", role="admin", regions=())
    rows = [rd(3.33, "统计监测办公室"), rd(3.34, "科技局"), rd(2.9, "统计局", period=2022),
            rd(2.1, "统计局", period="2024年上半年")]  # fmt: skip
    for n, row in enumerate(rows):
        assert ingest(session, admin, [row], path=WritePath.API, now=WHEN + dt.timedelta(hours=n)).applied
    run_report(session, as_of=WHEN + dt.timedelta(days=1), now=WHEN + dt.timedelta(days=1))
    session.commit()
    page = client.get("/targets/yrd-outline-2019/rd-intensity-2025").text
    table = page[page.index('id="other-figures"') :]
    assert "科技局" in table and "3.34" in table and "1-6月" in table and "2.1" in table
    assert "统计监测办公室" not in table  # the counted figure is not listed as another


def test_a_preliminary_verdict_is_marked_on_the_overview_grid_and_in_the_digest(
    session: Session, client: TestClient
) -> None:
    """已实现 on a preliminary figure reads 已实现（初步数据） in the attainment grid and on the digest's
    chips, as it does on the target page and in the evaluation documents."""
    from service.reports.engine import run_report

    admin, headers = create_user(session, username="admin", role="admin", regions=())
    when = dt.datetime.now(dt.UTC)
    rows = [rd(2.75, "统计局"), rd(3.4, "统计局", status="preliminary")]
    rows[0].period, rows[1].period, rows[1].row = 2018, 2025, 2
    assert ingest(session, admin, rows, path=WritePath.API, now=when - dt.timedelta(hours=1)).applied
    run_report(session, as_of=when, now=when)
    session.commit()

    def cell(lang: str) -> str:  # the grid's rd_intensity cell for the zone
        html = client.get("/", params={"plan": "yrd-outline-2019", "region": "Z-YRD", "lang": lang}).text
        row = html[html.index('<a href="/indicators/rd_intensity') :]
        return row[: row.index("</tr>")]

    zh, en = cell("zh"), cell("en")
    assert 'data-status="achieved"' in zh and 'data-preliminary="1"' in zh and "（初步数据）" in zh
    assert "(preliminary data)" in en
    sub = client.post(
        "/api/v1/subscriptions", headers=headers, json={"language": "zh", "email": "plan-office@example.org"}
    ).json()["id"]
    digest = client.get(f"/api/v1/subscriptions/{sub}/preview", params={"format": "text"}, headers=headers)
    assert digest.status_code == 200 and "已实现（初步数据）" in digest.text


def test_a_several_year_average_is_kept_as_such_for_growth_rates_only(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())

    def row(indicator: str, period: object, value: float, unit: str, **extra: object) -> ObservationInput:
        return ObservationInput(row=1, indicator=indicator, region="320100", period=period, value=value,
                                unit=unit, confirm=True, **extra)  # type: ignore[arg-type]  # fmt: skip

    stored = ingest(
        session, admin, [row("gdp_growth", "2021—2025年年均", 4.8, "%")], path=WritePath.API, now=WHEN
    )
    assert stored.applied, stored.as_dict()
    o = session.scalars(select(Observation).where(Observation.coverage.is_not(None))).one()
    assert (o.period, o.coverage) == (2025, "2021-2025年均")
    also = ingest(session, admin, [row("gdp_growth", 2025, 4.8, "%", coverage="2021-2025年平均")],
                  path=WritePath.API, now=WHEN + dt.timedelta(hours=1))  # fmt: skip
    assert also.counts["unchanged"] == 1  # the same figure, said the other way
    refused = ingest(
        session, admin, [row("gdp", "2021-2025年均", 19000, "亿元")], path=WritePath.API, now=WHEN
    )
    assert not refused.applied
    problem = refused.rows[0].problems[0]
    assert (
        problem.column == "coverage" and "只有增速类指标" in problem.zh and "only a growth rate" in problem.en
    )
    wrong_year = ingest(session, admin, [row("gdp_growth", 2024, 4.8, "%", coverage="2021-2025年均")],
                        path=WritePath.API, now=WHEN)  # fmt: skip
    assert not wrong_year.applied and "2025" in wrong_year.rows[0].problems[0].en
    # a run of years without 年均 is not silently its first year
    run_of_years = ingest(
        session, admin, [row("gdp_growth", "2021-2025", 4.8, "%")], path=WritePath.API, now=WHEN
    )
    assert not run_of_years.applied and run_of_years.rows[0].problems[0].column == "period"
