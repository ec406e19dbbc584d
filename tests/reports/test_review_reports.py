"""What counts where figures are reviewed (数据审核), on both databases: a report run and an end-of-term
evaluation in the official view (approved figures only, as approved by the run's cut-off) and in the
provisional view (also those under review, marked so, never the live view)."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Observation, Region, ReportRun, Role, WritePath
from service.domain import review, users
from service.domain.observations import ObservationInput, ingest
from service.reports.engine import run_report
from service.reports.evaluation_doc import build
from service.reports.queries import evaluation, latest_finished_run
from tests.support.factories import create_user

T1 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
T3 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
KEY = "rd-intensity-2025"
SERIES = ((2018, 2.81), (2020, 2.93), (2022, 3.02), (2024, 3.12), (2025, 3.2))


def rd_series(session: Session) -> dict[int, int]:
    """Review on; a YRD editor's R&D intensity series, of which a reviewer approved 2018-2022 at T2."""
    admin = users.create_user(session, username="plan-office", role=Role.ADMIN, now=T1)
    editor = users.create_user(
        session, username="yrd-editor", role=Role.EDITOR, region_codes=["Z-YRD"], now=T1
    )
    reviewer = users.create_user(session, username="yrd-reviewer", role=Role.REVIEWER, region_codes=["Z-YRD"],
                                 now=T1)  # fmt: skip
    session.flush()
    review.set_policy(session, enabled=True, actor=admin, now=T1)
    inputs = [ObservationInput(row=n, indicator="rd_intensity", region="Z-YRD", period=y, value=v, unit="%",
                               confirm=True) for n, (y, v) in enumerate(SERIES, 1)]  # fmt: skip
    result = ingest(session, editor, inputs, path=WritePath.API, now=T1)
    assert result.applied
    zone = session.scalar(select(Region.id).where(Region.code == "Z-YRD"))
    ids: dict[int, int] = dict(session.execute(select(Observation.period, Observation.id).where(
        Observation.region_id == zone, Observation.batch_id == result.batch_id)).tuples().all())  # fmt: skip
    review.act(session, reviewer, "approve", [ids[y] for y in (2018, 2020, 2022)], comment=None, now=T2,
               path=WritePath.API)  # fmt: skip
    return ids


def verdict(session: Session, run: ReportRun) -> dict:
    return next(
        r for r in evaluation(session, run, "yrd-outline-2019")["end_of_term"] if r["id"].endswith(KEY)
    )


def test_official_and_provisional_evaluations(session: Session) -> None:
    ids = rd_series(session)
    official = run_report(session, as_of=T3, now=T3)
    assert official.review_view == "official"
    rd = verdict(session, official)
    assert rd["latest_year"] == 2022 and ids[2024] not in rd["inputs"] and ids[2022] in rd["inputs"]
    provisional = run_report(session, as_of=T3, now=T3, view="provisional")
    rd_p = verdict(session, provisional)
    assert rd_p["latest_year"] == 2025 and ids[2025] in rd_p["inputs"]
    latest = latest_finished_run(session)
    assert latest is not None and latest.id == official.id  # a provisional run is never the live view
    # the approval's time is part of the record: recorded before the approval, nothing was official
    before = run_report(session, as_of=T3, now=T3, recorded_until=T2 - dt.timedelta(days=1))
    assert verdict(session, before)["verdict"] == "insufficient_data"
    # the provisional run's evaluation and documents say what it is
    assert evaluation(session, provisional, "yrd-outline-2019")["review_view"] == "provisional"
    doc_p = build(session, provisional, "yrd-outline-2019", "zh", charts=False)
    assert doc_p.title.startswith("【暂定·含待审核数据】") and "待审核" in doc_p.summary[0]
    assert build(session, provisional, "yrd-outline-2019", "en", charts=False).title.startswith(
        "[Provisional]"
    )
    doc_o = build(session, official, "yrd-outline-2019", "zh", charts=False)
    assert "暂定" not in doc_o.title and doc_o.summary[0].startswith("正式口径")


def test_with_review_off_runs_take_no_view_and_count_every_figure(session: Session) -> None:
    editor = users.create_user(
        session, username="yrd-editor", role=Role.EDITOR, region_codes=["Z-YRD"], now=T1
    )
    session.flush()
    ingest(session, editor, [ObservationInput(row=1, indicator="rd_intensity", region="Z-YRD", period=2025,
                                              value=3.2, unit="%")], path=WritePath.API, now=T1)  # fmt: skip
    run = run_report(session, as_of=T3, now=T3, view="provisional")
    assert run.review_view is None and verdict(session, run)["latest_year"] == 2025
    doc = build(session, run, "yrd-outline-2019", "zh", charts=False)
    assert "口径" not in doc.summary[0] and "暂定" not in doc.title


def test_runs_through_the_api_state_their_view(client: TestClient, session: Session) -> None:
    rd_series(session)
    _, admin = create_user(session, username="admin2", role="admin", regions=())
    made = client.post("/api/v1/runs", params={"view": "provisional"}, headers=admin)
    assert made.status_code == 201 and made.json()["review_view"] == "provisional"
    assert made.json()["current"] is False
    official = client.post("/api/v1/runs", headers=admin).json()
    assert official["review_view"] == "official" and official["current"] is True
    bad = client.post("/api/v1/runs", params={"view": "draft"}, headers=admin)
    assert bad.status_code == 422

    def years(view: str) -> set[int]:
        page = client.get("/api/v1/observations", params={"indicator": "rd_intensity", "region": "Z-YRD",
                                                           "view": view}, headers=admin).json()  # fmt: skip
        assert page["view"] == view
        return {i["period"] for i in page["items"]}

    assert {2018, 2020, 2022} <= years("official") and not {2024, 2025} & years("official")
    assert {2018, 2020, 2022, 2024, 2025} <= years("provisional")


def test_the_completeness_summary_shows_approved_and_under_review_by_region(
    session: Session, db_url: str
) -> None:
    from service.notify.reminders import queue_reminders
    from tests.support.notify import at_nine, outbox, person, settings_for

    editor, _ = person(session, "jiashan", "editor", "jiashan@example.org", ("330421",))
    reviewer, _ = person(session, "jx", "reviewer", "jx@example.org", ("330400",))
    admin, _ = person(session, "admin", "admin", "admin@example.org")
    review.set_policy(session, enabled=True, actor=admin, now=T1)
    inputs = [ObservationInput(row=n, indicator=i, region="330421", period=2025, value=v, unit=u)
              for n, (i, v, u) in enumerate((("rd_intensity", 3.6, "%"), ("network_5g_coverage", 100, "%")), 1)]  # fmt: skip
    result = ingest(session, editor, inputs, path=WritePath.API, now=T1)
    first = min(review.batch_versions(session, result.batch_id or 0))
    review.act(session, reviewer, "approve", [first], comment=None, now=T1, path=WritePath.API)
    day = dt.date(2026, 4, 2)
    assert queue_reminders(session, settings_for(db_url), now=at_nine(day)).summaries == 1
    summary = outbox(session)[f"completeness:2025:2026-03-31:{admin.id}"]
    line = next(x for x in summary.body_text.splitlines() if "嘉善县" in x)
    assert "嘉善县 (330421)：2/6 (33%) · 已审核 1 · 待审核 1 · 尚缺" in line, line
    assert "已审核 1 · 待审核 1" in (summary.body_html or "")
