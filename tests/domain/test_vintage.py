"""Two clocks (published / recorded), runs' recording cut-offs, targets in force from their plan's issue, and
the live view never replaced by a snapshot of a past date: on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import PROJECT_ROOT
from service.db.models import (
    Indicator,
    Observation,
    ObservationStatus,
    Plan,
    Region,
    ReportRun,
    User,
    WritePath,
)
from service.domain.catalog import load_observation_files
from service.domain.observations import ObservationInput, ingest
from service.domain.vintage import Vintage, period_end
from service.reports.engine import load_vintage, run_report
from service.reports.queries import AssessmentFilter, assessment_records, get_run, latest_finished_run
from service.web import data
from tests.support.factories import create_user

T1 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
T3 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def enter(session: Session, user: User, rows: list[tuple], when: dt.datetime) -> None:
    """Rows of (indicator, region, year, value, published, reason)."""
    inputs = [
        ObservationInput(
            row=n, indicator=i, region=r, period=y, value=v, published=p, revision_reason=why, confirm=True
        )
        for n, (i, r, y, v, p, why) in enumerate(rows, 1)
    ]
    result = ingest(session, user, inputs, path=WritePath.API, now=when)
    assert result.applied, result.as_dict(all_rows=False)


def known(session: Session, indicator: str, region: str, vintage: Vintage) -> dict[int, float]:
    ind = session.scalar(select(Indicator).where(Indicator.code == indicator))
    reg = session.scalar(select(Region).where(Region.code == region))
    assert ind is not None and reg is not None
    years = load_vintage(session, [(ind.id, reg.id)], vintage).get((ind.id, reg.id), {})
    return {y: o.value for y, o in years.items() if o.status != ObservationStatus.PLAN_BASELINE.value}


def test_a_stated_period_ends_on_its_last_day() -> None:
    assert period_end("2019") == dt.date(2019, 12, 31)
    assert period_end("2023-07") == dt.date(2023, 7, 31)
    assert period_end("2024-02") == dt.date(2024, 2, 29)
    assert period_end("2026-03-19") == dt.date(2026, 3, 19)
    assert period_end("2024年3月4日") == dt.date(2024, 3, 4)
    assert period_end(dt.datetime(2024, 3, 4, 10, 0)) == dt.date(2024, 3, 4)
    assert period_end("2024-13") is None and period_end("soon") is None and period_end(None) is None


def test_as_of_means_published_by_that_date_whenever_entered(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    enter(session, admin, [("gdp", "330421", 2023, "750", "2024-03-01", None)], T2)
    enter(session, admin, [("gdp", "330421", 2024, "800", None, None)], T2)  # publication unknown
    end_2025 = dt.datetime(2025, 12, 31, 23, 59, tzinfo=dt.UTC)
    # entered in 2026, published in 2024: known as of 2025-12-31 to a run made now
    assert known(session, "gdp", "330421", Vintage(end_2025, T3)) == {2023: 750.0}
    # not to a run whose recording cut-off came before it was entered
    assert known(session, "gdp", "330421", Vintage(end_2025, T1)) == {}
    # a figure without a publication date counts from when it was recorded
    assert known(session, "gdp", "330421", Vintage(T2, T3)) == {2023: 750.0, 2024: 800.0}
    assert known(session, "gdp", "330421", Vintage(T2 - dt.timedelta(seconds=1), T3)) == {2023: 750.0}
    # published in a month: public from the end of that month
    enter(session, admin, [("gdp", "330421", 2022, "700", "2025-12", None)], T2)
    assert 2022 not in known(session, "gdp", "330421", Vintage(dt.datetime(2025, 12, 30, tzinfo=dt.UTC), T3))
    assert known(session, "gdp", "330421", Vintage(end_2025, T3))[2022] == 700.0


def test_a_correction_counts_only_once_published(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    enter(session, admin, [("gdp", "330421", 2024, "800", "2025-03-01", None)], T1)
    # a correction published after 2025-12-31, recorded later: never counts as of 2025-12-31
    enter(session, admin, [("gdp", "330421", 2024, "810", "2026-02-01", "年报修订")], T2)
    end_2025 = dt.datetime(2025, 12, 31, 23, 59, tzinfo=dt.UTC)
    assert known(session, "gdp", "330421", Vintage(end_2025, T3)) == {2024: 800.0}
    assert known(session, "gdp", "330421", Vintage(T3, T3)) == {2024: 810.0}
    # a correction published by then (entered later still): the later-recorded version wins
    enter(session, admin, [("gdp", "330421", 2024, "805", "2025-06-01", "核实")], T3)
    assert known(session, "gdp", "330421", Vintage(end_2025, T3)) == {2024: 805.0}
    assert known(session, "gdp", "330421", Vintage(end_2025, T2)) == {2024: 800.0}


def test_a_rerun_is_identical_after_back_dated_entries(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    enter(session, admin, [("rd_intensity", "Z-DEMO", y, v, f"{y + 1}-05-01", None)
                           for y, v in ((2020, "3.40"), (2021, "3.45"))], T1)  # fmt: skip
    first = run_report(session, as_of=T2, now=T2)
    assert first.recorded_until == T2
    # entered after the run, published before its as_of: a back-dated figure
    enter(session, admin, [("rd_intensity", "Z-DEMO", 2022, "3.60", "2023-05-01", None)], T3)
    rerun = run_report(session, as_of=first.as_of, now=T3, recorded_until=first.recorded_until)
    later = run_report(session, as_of=first.as_of, now=T3)  # the same date, recorded until now

    def rows(run: ReportRun) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "run_id"}
                for r in assessment_records(session, run, AssessmentFilter(plan="demo-zone-industry-2023"))]  # fmt: skip

    assert rows(rerun) == rows(first)
    rd = next(r for r in rows(later) if r["id"] == "demo-zone-industry-2023/rd-intensity-2025")
    assert rd["latest_year"] == 2022 and rd["latest_value"] == 3.6


def test_a_plan_baseline_is_published_on_its_plans_issue_date(session: Session) -> None:
    rows = session.execute(
        select(Plan.code, Plan.issued, Observation.published_on)
        .join(Observation, Observation.source == Plan.title_zh + "（" + Plan.source_document + "）")
        .where(Observation.status == ObservationStatus.PLAN_BASELINE)
    ).all()
    dates = {code: published for code, _issued, published in rows}
    assert dates["yrd-outline-2019"] == dt.date(2019, 12, 31)  # issued 2019-12
    assert dates["demo-zone-industry-2023"] == dt.date(2023, 7, 31)  # issued 2023-07
    assert all(published == period_end(issued) for _code, issued, published in rows)
    # so a baseline quoted in a 2019 plan is known as of 2020, though catalogued in 2026
    ind = session.scalar(select(Indicator).where(Indicator.code == "rd_intensity"))
    reg = session.scalar(select(Region).where(Region.code == "Z-YRD"))
    assert ind is not None and reg is not None
    vintage = Vintage(dt.datetime(2020, 6, 30, tzinfo=dt.UTC), T3)
    years = load_vintage(session, [(ind.id, reg.id)], vintage)[(ind.id, reg.id)]
    assert any(o.status == ObservationStatus.PLAN_BASELINE.value for o in years.values())
    before = Vintage(dt.datetime(2019, 12, 30, tzinfo=dt.UTC), T3)
    assert not load_vintage(session, [(ind.id, reg.id)], before).get((ind.id, reg.id))


def test_targets_are_in_force_from_their_plans_issue_date(session: Session) -> None:
    def plans(as_of: dt.datetime) -> set[str]:
        run = run_report(session, as_of=as_of, now=T3)
        return set((run.summary or {})["groups"]) & {"plan:yrd-outline-2019", "plan:demo-zone-industry-2023",
                                                     "plan:shanghai-15th-outline"}  # fmt: skip

    assert plans(dt.datetime(2019, 11, 30, tzinfo=dt.UTC)) == set()
    assert plans(dt.datetime(2020, 1, 1, tzinfo=dt.UTC)) == {"plan:yrd-outline-2019"}
    assert plans(dt.datetime(2025, 12, 31, tzinfo=dt.UTC)) == {"plan:yrd-outline-2019",
                                                               "plan:demo-zone-industry-2023"}  # fmt: skip
    assert "plan:shanghai-15th-outline" in plans(T3)  # issued 2026-02-07, catalogued 2026-01-01 in tests


def test_a_snapshot_of_a_past_date_never_replaces_the_live_view(client: TestClient, session: Session) -> None:
    current = run_report(session, as_of=T2, now=T2)
    snapshot = run_report(session, as_of=dt.datetime(2019, 12, 31, tzinfo=dt.UTC), now=T3, trigger="api")
    session.commit()
    assert snapshot.id > current.id
    assert latest_finished_run(session) == current and get_run(session, None) == current
    assert data.latest_run(session) == current
    assert get_run(session, snapshot.id) == snapshot  # kept and reachable by its id
    overview = client.get("/").text
    assert f"#{current.id}</p>" in overview and f"#{snapshot.id}</p>" not in overview
    assert client.get("/api/v1/evaluations/yrd-outline-2019").json()["run_id"] == current.id
    assert (
        client.get("/api/v1/evaluations/yrd-outline-2019", params={"run": snapshot.id}).json()["run_id"]
        == snapshot.id
    )
    page = client.get("/plans/yrd-outline-2019/evaluation").text
    shown = re.search(rf'<option value="{current.id}" selected>([^<]*)</option>', page)
    assert shown is not None and "最新" in shown.group(1)  # the live run is the default and marked latest
    listed = re.search(rf'<option value="{snapshot.id}" >([^<]*)</option>', page)
    assert (
        listed is not None
        and "2019年12月31日" in listed.group(1)
        and "录入截至 2026年9月1日" in listed.group(1)
    )
    newer = run_report(session, as_of=T3, now=T3)
    assert latest_finished_run(session) == newer


def test_publication_dates_through_the_api_a_file_and_the_history(
    client: TestClient, session: Session
) -> None:
    _, headers = create_user(session, username="ed", role="editor", regions=("330421",))
    one = {"indicator": "gdp", "region": "330421", "period": 2024, "value": "880.5", "published": "2025-03"}
    assert client.post("/api/v1/observations", json=one, headers=headers).status_code == 201
    future = {**one, "period": 2023, "published": (dt.date.today() + dt.timedelta(days=2)).isoformat()}
    refused = client.post("/api/v1/observations", json=future, headers=headers)
    assert refused.status_code == 422 and refused.json()["rows"][0]["problems"][0]["column"] == "published"
    bad = client.post("/api/v1/observations", json={**one, "period": 2023, "published": "next spring"},
                      headers=headers)  # fmt: skip
    assert bad.status_code == 422
    csv_bytes = (
        "指标,地区,年份,数值,发布日期\ngdp,330421,2022,820,2023-02-15\ngdp,330421,2021,790,\n".encode()
    )
    upload = client.post("/api/v1/imports", files={"file": ("q.csv", csv_bytes, "text/csv")}, headers=headers)
    assert upload.status_code == 201, upload.text

    def history(year: int) -> list[dict]:
        return client.get("/api/v1/observations/history",
                          params={"indicator": "gdp", "region": "330421", "period": year}).json()["items"]  # fmt: skip

    assert history(2024)[0]["published"] == "2025-03-31" and history(2024)[0]["published_known"] is True
    assert history(2022)[0]["published"] == "2023-02-15"
    unknown = history(2021)[0]
    assert unknown["published"] is None and unknown["published_known"] is False
    assert unknown["published_effective"] == unknown["reported_at"][:10]
    listed = client.get("/api/v1/observations", params={"region": "330421", "indicator": "gdp",
                                                        "as_of": "2024-01-01T00:00:00Z"}).json()  # fmt: skip
    assert [i["period"] for i in listed["items"]] == [2022]
    # the same figure again with a publication date now known: a new version carrying it
    again = {**one, "period": 2021, "value": "790", "published": "2022-02-01"}
    assert client.post("/api/v1/observations", json=again, headers=headers).json()["counts"]["revised"] == 1
    assert history(2021)[-1]["published"] == "2022-02-01"


def test_the_history_page_shows_both_clocks(client: TestClient, session: Session) -> None:
    from service.db.models import Role
    from tests.support.web import login

    csrf = login(client, session, "hist", Role.EDITOR, ["330421"])
    form = {"csrf": csrf, "region": "330421", "year": "2024", "value_gdp": "880", "published": "2025-02-20"}
    assert client.post("/entry", data=form).status_code == 200
    form = {"csrf": csrf, "region": "330421", "year": "2023", "value_gdp": "850"}
    assert client.post("/entry", data=form).status_code == 200
    dated = client.get("/entry/history", params={"indicator": "gdp", "region": "330421", "year": 2024}).text
    assert "2025年2月20日" in dated  # the publication date, as the page writes dates (Babel, zh)
    undated = client.get("/entry/history", params={"indicator": "gdp", "region": "330421", "year": 2023}).text
    assert "未知（以录入时间" in undated


def test_the_default_data_gives_an_end_of_term_evaluation_as_of_2025_12_31(session: Session) -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    counts = load_observation_files(session, PROJECT_ROOT / "indicators", now=now)
    assert counts["published_stats_2025.csv"]["rejected"] == 0
    end_2025 = run_report(session, as_of=dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=dt.UTC), now=now)
    today = run_report(session, as_of=now, now=now)
    assessed_2025 = {r["id"]: r for r in assessment_records(session, end_2025)
                     if r["status"] not in ("insufficient_data", "qualitative")}  # fmt: skip
    for key in ("demo-zone-industry-2023/rd-intensity-2025", "demo-zone-industry-2023/high-tech-enterprises-2025",
                "yrd-outline-2019/rd-intensity-2025", "hangzhou-yrd-action-2019/high-new-tech-va-share-2025"):  # fmt: skip
        assert key in assessed_2025, key
    assessed_now = [r for r in assessment_records(session, today)
                    if r["status"] not in ("insufficient_data", "qualitative")]  # fmt: skip
    assert len(assessed_now) > len(assessed_2025)
    # nothing published after 2025-12-31 was used as of that date
    ids = {i for r in assessed_2025.values() for i in r["inputs"]}
    published = session.scalars(select(Observation.published_on).where(Observation.id.in_(ids))).all()
    assert all(p is None or p <= dt.date(2025, 12, 31) for p in published)


def test_a_past_run_is_repeated_through_the_api_with_its_cut_off(
    client: TestClient, session: Session
) -> None:
    admin, headers = create_user(session, username="admin", role="admin", regions=())
    enter(session, admin, [("rd_intensity", "Z-DEMO", 2023, "3.50", "2024-05-01", None)], T1)
    first = client.post("/api/v1/runs", params={"as_of": "2025-12-31T23:59:59Z"}, headers=headers).json()
    assert first["current"] is False and first["recorded_until"] > first["as_of"]
    # back-dated: entered after that run (its cut-off was the moment it ran), published long before
    enter(
        session,
        admin,
        [("rd_intensity", "Z-DEMO", 2024, "3.90", "2025-05-01", None)],
        dt.datetime.now(dt.UTC),
    )
    params = {"as_of": first["as_of"], "recorded_until": first["recorded_until"]}
    again = client.post("/api/v1/runs", params=params, headers=headers).json()
    later = client.post("/api/v1/runs", params={"as_of": first["as_of"]}, headers=headers).json()

    def rd(run: dict) -> tuple:
        r = next(r for r in client.get(f"/api/v1/assessments?run={run['id']}&plan=demo-zone-industry-2023").json()[
            "items"] if r["id"] == "demo-zone-industry-2023/rd-intensity-2025")  # fmt: skip
        return r["latest_year"], r["latest_value"]

    assert rd(again) == rd(first) == (2023, 3.5)
    assert rd(later) == (2024, 3.9)
    future = {"recorded_until": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()}
    assert client.post("/api/v1/runs", params=future, headers=headers).status_code == 422


def test_an_existing_deployment_gets_the_publication_dates_on_init(session: Session, tmp_path: Path) -> None:
    """The data files as they were before publication dates, loaded first; then the files with dates: every
    dated row becomes a new version carrying its date (the history chains restated in order), nothing is
    refused, and the evaluation as of 2025-12-31 is the same as on a fresh database."""
    import csv
    import io as _io

    from tests.support.factories import copy_catalog

    old = copy_catalog(tmp_path)
    (old / "observations" / "published_stats_2025.csv").unlink()
    path = old / "observations" / "published_stats.csv"
    rows = list(csv.DictReader(_io.StringIO(path.read_text(encoding="utf-8"))))
    out = _io.StringIO()
    writer = csv.DictWriter(out, [f for f in rows[0] if f != "published"], lineterminator="\n",
                            extrasaction="ignore")  # fmt: skip
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    before = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    load_observation_files(session, old, now=before)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    counts = load_observation_files(session, PROJECT_ROOT / "indicators", now=now)
    assert counts["published_stats.csv"]["rejected"] == 0 and counts["published_stats.csv"]["revised"] > 150
    assert load_observation_files(session, PROJECT_ROOT / "indicators", now=now) == counts  # once
    run = run_report(session, as_of=dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=dt.UTC), now=now)
    assessed = {r["id"] for r in assessment_records(session, run) if r["status"] not in ("insufficient_data",
                                                                                           "qualitative")}  # fmt: skip
    assert assessed == {"demo-zone-industry-2023/rd-intensity-2025", "demo-zone-industry-2023/high-tech-enterprises-2025",
                        "yrd-outline-2019/rd-intensity-2025", "hangzhou-yrd-action-2019/high-new-tech-va-share-2025"}  # fmt: skip
    # a chain of versions restated in order: the final 2023 GDP of Zhejiang counts today
    assert known(session, "gdp", "330000", Vintage(now, now))[2023] == 85620.0
