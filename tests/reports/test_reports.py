"""Report runs on a real database: vintages, aggregation, reproducibility, changes, evaluation, exports."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.db.models import DeclaredForm, User
from service.domain.catalog import apply_catalog, read_catalog
from service.domain.progress import Point, TargetSpec, assess
from service.reports.engine import run_report
from service.reports.queries import assessment_records, changes, evaluation
from tests.support.factories import copy_catalog, create_user, edit_yaml
from tests.support.samples import PROVINCES, RESIDENT, URBAN, enter, record

T1 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
T3 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def populations(session: Session, user: User) -> None:
    rows = []
    for p in PROVINCES:
        for k, year in enumerate(range(2018, 2024)):
            rows.append(("urban_population", p, year, URBAN[p][k], "万人", None))
            rows.append(("resident_population", p, year, RESIDENT[p][k], "万人", None))
    enter(session, user, rows, T1)


def test_a_zone_without_figures_is_the_ratio_of_summed_members(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    populations(session, admin)
    run = run_report(session, as_of=T1, now=T1)
    r = record(session, run, "yrd-outline-2019/urbanization-rate-2025")
    expected = [
        100 * sum(URBAN[p][k] for p in PROVINCES) / sum(RESIDENT[p][k] for p in PROVINCES) for k in range(6)
    ]
    assert r["aggregation"].startswith("ratio of summed urban_population")
    assert r["base_year"] == 2018 and r["base_value"] == expected[0]
    assert r["latest_year"] == 2023 and abs(r["latest_value"] - expected[-1]) < 1e-9
    # the stored figures are exactly what the pure methodology gives for that series
    spec = TargetSpec(comparator=r["comparator"], value=70.0, target_year=2025, declared_form=DeclaredForm.SHARE,
                      plan_base_year=2018)  # fmt: skip
    pure = assess(spec, [Point(2018 + k, v) for k, v in enumerate(expected)], as_of_year=2026)
    assert r["status"] == pure.status.value and r["pace_ratio"] == pure.pace_ratio
    assert len(r["inputs"]) == 6 * 8  # every member's numerator and denominator for 2018..2023


def test_same_as_of_gives_identical_results_before_and_after_revisions(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    populations(session, admin)
    first = run_report(session, as_of=T1, now=T1)
    enter(session, admin, [("urban_population", "340000", 2023, 3800, "万人", "年报修订")], T2)
    again = run_report(session, as_of=T1, now=T2)
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("run_id",)} for r in rows]  # noqa: E731
    assert strip(assessment_records(session, first)) == strip(assessment_records(session, again))
    latest = run_report(session, as_of=T2, now=T2)
    why = {c["id"]: c for c in changes(session, latest, first)}
    change = why["yrd-outline-2019/urbanization-rate-2025"]
    assert change["reason"] == "revised" and change["after_value"] > change["before_value"]
    enter(session, admin, [(i, p, 2024, v, "万人", None) for p in PROVINCES
                           for i, v in (("urban_population", URBAN[p][-1] + 30), ("resident_population", RESIDENT[p][-1]))],
          T3)  # fmt: skip
    newest = run_report(session, as_of=T3, now=T3)
    assert {c["id"]: c for c in changes(session, newest)}["yrd-outline-2019/urbanization-rate-2025"][
        "reason"
    ] == "new_data"


def test_a_changed_target_is_named_as_the_reason(session: Session, tmp_path: Path) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    populations(session, admin)
    before = run_report(session, as_of=T1, now=T1)
    catalog = copy_catalog(tmp_path)

    def lower(data: dict) -> None:
        next(t for t in data["targets"] if t["key"] == "urbanization-rate-2025")["value"] = 65

    edit_yaml(catalog / "plans" / "yrd-outline-2019.yaml", lower)
    apply_catalog(session, read_catalog(catalog), now=T2)
    after = run_report(session, as_of=T2, now=T2)
    change = {c["id"]: c for c in changes(session, after, before)}["yrd-outline-2019/urbanization-rate-2025"]
    assert change["reason"] == "target_changed"


def test_end_of_term_evaluation_lists_achieved_and_missed_with_evidence(session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    # Z-YRD R&D intensity ≥3% by 2025 (rates are not summed: the zone's own published figures)
    enter(session, admin, [("rd_intensity", "Z-YRD", y, v, "%", None)
                           for y, v in ((2018, 2.81), (2020, 2.93), (2022, 3.02), (2024, 3.12), (2025, 3.2))], T1)  # fmt: skip
    # Z-YRD urbanisation ≥70% by 2025 missed (a zone's own figures win over aggregation)
    enter(session, admin, [("urbanization_rate", "Z-YRD", y, v, "%", None)
                           for y, v in ((2018, 66.0), (2020, 67.0), (2025, 69.1))], T1)  # fmt: skip
    run = run_report(session, as_of=T3, now=T3)
    report = evaluation(session, run, "yrd-outline-2019")
    verdicts = {r["id"].split("/")[1]: r for r in report["end_of_term"]}
    rd = verdicts["rd-intensity-2025"]
    assert rd["verdict"] == "achieved_early" and rd["first_met_year"] == 2022 and "3.2" in rd["evidence"]
    urb = verdicts["urbanization-rate-2025"]
    assert urb["verdict"] == "missed" and abs(urb["shortfall"] - 0.9) < 1e-9
    assert verdicts["life-expectancy-2025"]["verdict"] == "insufficient_data"
    assert report["end_of_term_counts"]["missed"] >= 1 and not report["mid_term"]


def test_api_runs_assessments_and_exports(client: TestClient, session: Session) -> None:
    admin, admin_headers = create_user(session, username="admin", role="admin", regions=())
    _, editor_headers = create_user(session, username="ed", role="editor", regions=("330421",))
    populations(session, admin)
    assert client.post("/api/v1/runs", headers=editor_headers).status_code == 403
    created = client.post("/api/v1/runs", headers=admin_headers)  # as of now: the run pages show by default
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    assert created.json()["summary"]["groups"]["plan:yrd-outline-2019"]["units"] >= 10
    page = client.get(
        "/api/v1/assessments", params={"plan": "yrd-outline-2019", "status": "insufficient_data"}
    )
    assert page.status_code == 200 and all(i["status"] == "insufficient_data" for i in page.json()["items"])
    assert client.get("/api/v1/assessments", params={"status": "bogus"}).status_code == 422
    xlsx = client.get(f"/api/v1/runs/{run_id}/export", params={"format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = wb["yrd-outline-2019"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].value == "目标编号" and sheet["F1"].value == "状态"
    statuses = {sheet.cell(row=r, column=6).value for r in range(2, sheet.max_row + 1)}
    assert statuses <= {
        "数据不足",
        "已实现",
        "提前实现",
        "未实现",
        "符合序时进度",
        "略滞后",
        "明显滞后",
        "逆向变化",
    }
    assert sheet.cell(row=2, column=6).fill.start_color.rgb.endswith(("BBBBBB", "56B4E9", "F0E442", "E69F00", "009E73",
                                                                     "D55E00", "CC79A7"))  # fmt: skip
    html = client.get(f"/api/v1/runs/{run_id}/export", params={"format": "html"}).text
    assert "规划目标监测报告" in html and "<script" not in html
    assert client.get("/api/v1/evaluations/yrd-outline-2019").json()["run_id"] == run_id
    assert client.get("/api/v1/evaluations/no-such-plan").status_code == 404
