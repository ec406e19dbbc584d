"""Garbage figures (issue 13, item 9): impossible ones are refused, implausible ones wait for confirmation.

Every path (JSON API, file uploads, the /entry form, `yrdmon import`) goes through ``ingest``, so the
database tests drive the API and the form on both databases and check that nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import Observation, ObservationStatus, Role, WritePath
from service.domain.observations import ObservationInput, ingest
from service.domain.plausibility import Verdict, judge, judge_scale
from service.domain.values import ValueProblem, parse_value, parse_year, to_column
from tests.support.factories import create_user
from tests.support.web import login

THIS_YEAR = dt.datetime.now(dt.UTC).year


def stored(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Observation).where(Observation.status != ObservationStatus.PLAN_BASELINE)
    ) or 0  # fmt: skip


def row(indicator: str = "gdp", value: object = "880.5", unit: str | None = "亿元", year: object = 2024,
        region: str = "330421", **extra: object) -> dict:  # fmt: skip
    return {"indicator": indicator, "region": region, "period": year, "value": value, "unit": unit, **extra}


def post(client: TestClient, headers: dict[str, str], body: dict) -> tuple[int, dict]:
    response = client.post("/api/v1/observations", json=body, headers=headers)
    assert response.status_code < 500, response.text
    return response.status_code, response.json()


def only_problem(body: dict) -> dict:
    (result,) = body["rows"]
    (problem,) = result["problems"]
    assert problem["zh"] and problem["en"]
    return {**problem, "outcome": result["outcome"]}


# --- the reported garbage, through the JSON API (both databases) --------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (row(value=-5), "cannot be negative"),
        (row(value="1e18"), "above"),  # 10^18 亿元: more than the world's output, any year
        (row(value=1e18), "above"),
        (row(indicator="network_5g_coverage", value=120, unit="%"), "between 0 and 100 %"),
        (row(indicator="network_5g_coverage", value=-1, unit="%"), "between 0 and 100 %"),
        (row(indicator="high_tech_enterprises", value=-3, unit="家"), "cannot be negative"),
        (row(indicator="high_tech_enterprises", value="12.5", unit="家"), "whole number"),
        (row(indicator="gdp_growth", value=-100, unit="%"), "greater than -100 %"),
        (row(indicator="urban_rural_income_ratio", value=-2, unit="倍"), "cannot be negative"),
    ],
)
def test_impossible_figures_are_refused_even_when_confirmed(
    client: TestClient, session: Session, body: dict, words: str
) -> None:
    _, headers = create_user(session)
    for confirm in (False, True):
        status, answer = post(client, headers, {**body, "confirm": confirm})
        assert status == 422, answer
        problem = only_problem(answer)
        assert problem["outcome"] == "rejected" and problem["column"] == "value"
        assert words in problem["en"], problem
        assert body["indicator"] in problem["en"] and str(body["unit"]) in problem["en"]  # names both
    assert stored(session) == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (row(value=0), "zero"),
        (row(indicator="gdp_growth", value=350, unit="%"), "between -66.7 % and 200 %"),
        (row(indicator="gdp_growth", value=-80, unit="%"), "between -66.7 % and 200 %"),
        (row(indicator="gdp_per_capita", value=0, unit="元"), "zero"),
    ],
)
def test_implausible_figures_wait_for_confirmation(
    client: TestClient, session: Session, body: dict, words: str
) -> None:
    _, headers = create_user(session)
    status, answer = post(client, headers, body)
    assert status == 422, answer
    problem = only_problem(answer)
    assert problem["outcome"] == "needs_confirmation" and words in problem["en"], problem
    assert body["indicator"] in problem["en"] and "confirm" in problem["en"]
    assert stored(session) == 0
    status, answer = post(client, headers, {**body, "confirm": True})
    assert status == 201, answer
    assert stored(session) == 1


def test_a_json_boolean_is_not_a_number(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    for body in (row(value=True), row(value=False), row(year=True)):
        response = client.post("/api/v1/observations", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "true/false" in response.json()["detail_en"] and "true/false" in response.json()["detail_zh"]
    batch = {"observations": [row(year=2023), row(value=True)]}
    response = client.post("/api/v1/observations", json=batch, headers=headers)
    assert response.status_code == 422 and "true/false" in response.text
    assert stored(session) == 0


def test_a_year_after_this_one_or_before_1949_is_refused(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    for year in (2099, THIS_YEAR + 1, 1948, "2099年"):
        status, answer = post(client, headers, row(year=year, value=880))
        problem = only_problem(answer)
        assert status == 422 and problem["column"] == "period", answer
        assert f"between 1949 and {THIS_YEAR}" in problem["en"] and f"1949–{THIS_YEAR}" in problem["zh"]
    assert stored(session) == 0
    status, _ = post(client, headers, row(year=THIS_YEAR, value=880, status="preliminary"))
    assert status == 201  # the current year: a preliminary figure may already be published


def test_a_tiny_value_is_refused_not_rounded_to_zero(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    for value in (1e-30, "1e-30", "0.000000001", "0.00000000123"):
        status, answer = post(client, headers, row(indicator="rd_intensity", value=value, unit="%"))
        problem = only_problem(answer)
        assert status == 422 and problem["column"] == "value" and "decimal" in problem["en"], answer
    # in 万元 a figure for an indicator kept in 亿元 moves four places: the ninth decimal is lost
    status, answer = post(client, headers, row(value="880.12345", unit="万元"))
    assert status == 422 and "decimal" in only_problem(answer)["en"]
    assert stored(session) == 0


def test_figures_round_trip_exactly(client: TestClient, session: Session) -> None:
    user, headers = create_user(session)
    cases = {2015: 4.15, 2016: "0.00000001", 2017: "1234567.12345678", 2018: "880.5万元", 2019: 37987.55}
    for year, value in cases.items():
        status, answer = post(client, headers, row(value=value, year=year, unit=None, confirm=True))
        assert status == 201, answer
    session.expire_all()
    got = {
        o.period: o.value
        for o in session.scalars(select(Observation).where(Observation.entered_by_id == user.id))
    }
    assert got == {2015: Decimal("4.15"), 2016: Decimal("0.00000001"), 2017: Decimal("1234567.12345678"),
                   2018: Decimal("0.08805"), 2019: Decimal("37987.55")}  # fmt: skip
    listed = client.get(
        "/api/v1/observations", params={"indicator": "gdp", "region": "330421", "period": 2015}
    )
    assert [i["value"] for i in listed.json()["items"] if i["status"] == "final"] == [4.15]


def test_a_figure_the_database_cannot_hold_exactly_is_refused_with_the_rounding_to_use(
    client: TestClient, session: Session
) -> None:
    _, headers = create_user(session)
    status, answer = post(client, headers, row(indicator="gdp_per_capita", value="123456789.1", unit="元"))
    problem = only_problem(answer)
    assert status == 422 and "round it to 0 decimal" in problem["en"] and "123456789" in problem["en"]
    assert stored(session) == 0


def test_a_figure_a_million_times_anything_stored_is_refused(client: TestClient, session: Session) -> None:
    _, editor = create_user(session)
    _, admin = create_user(session, username="boss", role="admin", regions=())
    labs = {"indicator": "national_laboratories", "unit": "个"}
    assert post(client, admin, row(region="310000", year=2023, value=2, **labs))[0] == 201
    status, answer = post(client, editor, row(year=2024, value=5000, **labs))  # 2500x the largest
    problem = only_problem(answer)
    assert status == 422 and problem["outcome"] == "needs_confirmation" and "1000 times" in problem["en"]
    status, answer = post(client, editor, row(year=2024, value=3_000_000, confirm=True, **labs))
    problem = only_problem(answer)
    assert status == 422 and problem["outcome"] == "rejected" and "million times" in problem["en"]
    assert post(client, editor, row(year=2024, value=5000, confirm=True, **labs))[0] == 201


# --- other paths: file uploads, the /entry form, ingest itself -----------------------------------


def test_the_form_refuses_a_share_above_100_and_stores_nothing(client: TestClient, session: Session) -> None:
    csrf = login(client, session, "form", Role.EDITOR, ["330421"])
    form = {"csrf": csrf, "region": "330421", "year": "2024", "status": "final"}
    response = client.post("/entry?lang=en", data={**form, "value_network_5g_coverage": "120"})
    assert response.status_code == 422 and "between 0 and 100 %" in response.text
    garbage = {"value_gdp": "-5", "value_network_5g_coverage": "120", "value_high_tech_enterprises": "-1"}
    response = client.post("/entry?lang=en", data={**form, **garbage, "confirm_gdp": "1"})
    assert response.status_code == 422 and "cannot be negative" in response.text
    response = client.post("/entry?lang=en", data={**form, "year": "2099", "value_gdp": "880"})
    assert response.status_code == 422 and f"1949 and {THIS_YEAR}" in response.text
    assert stored(session) == 0


def test_uploads_refuse_the_same_garbage(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    text = ("指标,地区,年份,数值,单位\ngdp,330421,2023,-5,亿元\nnetwork_5g_coverage,330421,2023,120,%\n"
            "gdp,330421,2099,880,亿元\nrd_intensity,330421,2023,1e-30,%\ngdp,330421,2022,0,亿元\n")  # fmt: skip
    response = client.post(
        "/api/v1/imports", files={"file": ("g.csv", text.encode(), "text/csv")}, headers=headers
    )
    assert response.status_code == 422, response.text
    outcomes = {r["row"]: r["outcome"] for r in response.json()["rows"]}
    assert outcomes == {2: "rejected", 3: "rejected", 4: "rejected", 5: "rejected", 6: "needs_confirmation"}
    csrf = login(client, session, "up", Role.EDITOR, ["330421"])
    page = client.post(
        "/upload?lang=en", data={"csrf": csrf}, files={"file": ("g.csv", text.encode(), "text/csv")}
    )
    assert page.status_code == 422 and "cannot be negative" in page.text
    assert stored(session) == 0


def test_ingest_itself_refuses_garbage(session: Session) -> None:
    user, _ = create_user(session, username="direct", role="admin", regions=())
    now = dt.datetime.now(dt.UTC)
    inputs = [
        ObservationInput(row=1, indicator="gdp", region="310000", period=2024, value=-5, unit="亿元"),
        ObservationInput(row=2, indicator="gdp", region="310000", period=2023, value=True, unit="亿元"),
        ObservationInput(row=3, indicator="gdp", region="310000", period=2099, value=880, unit="亿元"),
        ObservationInput(row=4, indicator="gdp", region="310000", period=2022, value=1e-30, unit="亿元"),
        ObservationInput(row=5, indicator="resident_population", region="310000", period=2022, value=0),
    ]
    for path in (WritePath.API, WritePath.CLI):
        result = ingest(session, user, inputs, path=path, now=now)
        assert not result.applied
        assert [r.outcome for r in result.rows] == ["rejected"] * 4 + ["needs_confirmation"]
    assert stored(session) == 0


# --- the rules themselves (pure functions) ------------------------------------------------------


class Ind:
    def __init__(self, kind: str, unit: str, code: str = "x") -> None:
        self.kind, self.unit, self.code, self.name_zh, self.name_en = (
            kind,
            unit,
            code,
            "某指标",
            "some indicator",
        )


@pytest.mark.parametrize(
    ("kind", "unit", "value", "expected"),
    [
        ("level", "亿元", "880.5", None),
        ("level", "亿元", "0", "held"),
        ("level", "亿元", "-0.01", "refused"),
        ("level", "亿元", "9999999", None),
        ("level", "亿元", "10000001", "refused"),  # 10^15 元: the world's output in a year
        ("level", "万元", "1.1e11", "refused"),
        ("level", "万人", "900000", None),
        ("level", "万人", "1000001", "refused"),  # 10^10 people
        ("level", "平方公里", "600000000", "refused"),  # more than the Earth's surface
        ("level", "微克/立方米", "35", None),  # a unit without a family: only the sign is known
        ("level", "微克/立方米", "-1", "refused"),
        ("count", "家", "0", None),  # no national laboratory in a county is ordinary
        ("count", "家", "3.5", "refused"),
        ("count", "万人", "1.2345", None),
        ("count", "万人", "1.23456", "refused"),
        ("count", "个", "2e12", "refused"),
        ("share", "%", "0", None),
        ("share", "%", "100", None),
        ("share", "%", "100.01", "refused"),
        ("share", "‰", "999", None),
        ("share", "‰", "1001", "refused"),
        ("growth_rate", "%", "-99.9", "held"),
        ("growth_rate", "%", "-66", None),
        ("growth_rate", "%", "199", None),
        ("growth_rate", "%", "201", "held"),
        ("growth_rate", "%", "-100", "refused"),
        ("ratio", "倍", "0", "held"),
        ("ratio", "倍", "-1", "refused"),
        ("index", "", "0", "refused"),
        ("index", "", "103.2", None),
    ],
)
def test_rules_by_kind(kind: str, unit: str, value: str, expected: str | None) -> None:
    verdict = judge(Decimal(value), Ind(kind, unit))
    got = None if verdict is None else ("refused" if verdict.impossible else "held")
    assert got == expected, verdict
    if verdict is not None:
        assert verdict.zh and verdict.en and "x" in verdict.en


def test_scale_against_the_largest_stored_figure() -> None:
    ind = Ind("count", "个")
    assert judge_scale(Decimal(500), Decimal(1), ind) is None
    held = judge_scale(Decimal(2000), Decimal(1), ind)
    assert isinstance(held, Verdict) and not held.impossible
    refused = judge_scale(Decimal(2_000_000), Decimal(-1), ind)
    assert isinstance(refused, Verdict) and refused.impossible
    assert (
        judge_scale(Decimal(10**9), None, ind) is None
        and judge_scale(Decimal(10**9), Decimal(0), ind) is None
    )
    assert judge_scale(Decimal(10**9), Decimal(1), Ind("share", "%")) is None  # shares have their own bounds


def test_parse_value_refuses_booleans_and_parse_year_bounds() -> None:
    for raw in (True, False):
        with pytest.raises(ValueProblem, match="true/false"):
            parse_value(raw)
        with pytest.raises(ValueProblem, match="true/false"):
            parse_year(raw)
    assert parse_year("2024", latest=2025) == 2024 and parse_year(2025, latest=2025) == 2025
    with pytest.raises(ValueProblem, match="between 1949 and 2025"):
        parse_year("2026", latest=2025)
    with pytest.raises(ValueProblem, match="between 1949 and 2025"):
        parse_year(1948, latest=2025)


@pytest.mark.parametrize(
    ("written", "factor", "expected"),
    [
        ("4.15", "1", "4.15"),
        ("880.5", "0.0001", "0.08805"),
        ("1.35", "10000", "13500"),
        ("0.00000001", "1", "0.00000001"),
        ("100", "0.0006666666666666666666666666667", "0.06666667"),  # 亩 -> 平方公里: 2/3 has no end
        ("1e-30", "1", None),
        ("0.000000005", "1", None),
        ("0.00001", "0.0001", None),
        ("123456789.1", "1", None),
        ("12345678901234567", "1", None),
    ],
)
def test_to_column(written: str, factor: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueProblem):
            to_column(Decimal(written), Decimal(factor), "亿元")
    else:
        assert to_column(Decimal(written), Decimal(factor), "亿元") == Decimal(expected)
