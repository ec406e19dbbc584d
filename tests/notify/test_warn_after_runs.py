"""Issue 21, point 4 after scheduled runs: a full scheduled run queues the early warning (预警) to the plan
office and the lead department through the outbox, at most once a day per plan and address; an incremental
run (one figure entered) does not; a setting turns it off. The scheduler's own jobs, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.models import OutboxMessage, ReportRun, Role, User, WritePath
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain import assignments
from service.domain.observations import ObservationInput, ingest
from service.domain.users import create_user, set_organisation
from service.notify.warnings import queue_scheduled_warnings
from service.scheduler import jobs, notify_jobs
from tests.support.databases import PreparedDatabases
from tests.support.smtp import smtp_settings

NJ = "nanjing-15th-outline"
CATALOGUED = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
OFFICE = "ghb@plan-office.example"
BUREAU = "nyncj@nanjing.example"


@pytest.fixture
def scheduled(prepared: PreparedDatabases, db_kind: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(prepared.catalogued(db_kind, now=CATALOGUED))  # migrated, catalog as of CATALOGUED
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as s:
        admin = create_user(s, username="admin", role=Role.ADMIN, now=CATALOGUED)
        s.flush()
        assignments.set_assignment(
            s,
            admin,
            NJ,
            "grain-capacity-2030",
            lead="nj-nyncj",
            support=[],
            source=None,
            now=CATALOGUED,
            path=WritePath.API,
        )
        bureau = create_user(s, username="nyncj", role=Role.VIEWER, now=CATALOGUED)
        bureau.email = BUREAU
        set_organisation(s, bureau, "nj-nyncj", now=CATALOGUED)
        # grain capacity fell from 100 (2025) to 96 (2026): regressing, the binding target at risk
        grain = [
            ObservationInput(
                row=n,
                indicator="grain_production_capacity",
                region="320100",
                period=y,
                value=v,
                unit="万吨",
                confirm=True,
                source="南京市统计公报（测试数据）",
            )
            for n, (y, v) in enumerate(((2025, 100), (2026, 96)), 1)
        ]
        assert ingest(s, admin, grain, path=WritePath.API, now=dt.datetime.now(dt.UTC)).applied
    yield sessions
    jobs.install_context(None)
    engine.dispose()


def warnings_sent(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with transaction(sessions) as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.message_key.like("warning:%"))
                .order_by(OutboxMessage.id)
            )
        )


def test_a_full_scheduled_run_warns_once_a_day_and_an_incremental_one_does_not(
    scheduled: sessionmaker[Session], tmp_path: Path
) -> None:
    assert notify_jobs.after_run_warnings in jobs.AFTER_RUN_HOOKS
    settings = smtp_settings(1, var_dir=tmp_path, warning_to=f"{OFFICE}； {OFFICE}")
    jobs.install_context(jobs.JobContext(scheduled, settings))
    jobs.nightly_report()
    sent = warnings_sent(scheduled)
    assert sorted(m.to_addr for m in sent) == sorted([BUREAU, OFFICE])
    to_bureau = next(m for m in sent if m.to_addr == BUREAU)
    assert "预警" in to_bureau.subject and "粮食综合生产能力" in to_bureau.body_text
    assert "南京市农业农村局" in to_bureau.body_text
    # a second full run the same day: nothing more
    jobs.nightly_report()
    assert len(warnings_sent(scheduled)) == 2
    # one figure entered: the incremental run sends no warning (only full runs do)
    with transaction(scheduled) as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        more = ObservationInput(
            row=1,
            indicator="gdp",
            region="320100",
            period=2025,
            value=19000,
            unit="亿元",
            confirm=True,
            source="南京市统计公报（测试数据）",
        )
        assert ingest(s, admin, [more], path=WritePath.API, now=dt.datetime.now(dt.UTC)).applied
    assert jobs.recompute_if_changed() is not None
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with transaction(scheduled) as s:
        runs = list(s.scalars(select(ReportRun).order_by(ReportRun.id)))
        incremental, full = runs[-1], runs[-2]
        assert (incremental.summary or {})["scope"]["kind"] == "incremental"
        assert queue_scheduled_warnings(s, settings, incremental, now=tomorrow) == {}
        # the next day's full run warns again; with the setting off, nothing
        off = smtp_settings(1, var_dir=tmp_path, warning_to=OFFICE, warnings_after_runs=False)
        assert queue_scheduled_warnings(s, off, full, now=tomorrow) == {}
        again = queue_scheduled_warnings(s, settings, full, now=tomorrow)
        assert again == {NJ: {OFFICE: 1, BUREAU: 1}}
    assert len(warnings_sent(scheduled)) == 4
