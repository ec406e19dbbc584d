"""The scheduler's e-mail jobs as the runner calls them: a nightly run queues its digests in its own
transaction (and a broken digest never costs the run), and the sender job delivers them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.models import OutboxMessage, ReportRun, Role, User, WritePath
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.observations import ObservationInput, ingest
from service.domain.users import create_user
from service.notify import digest
from service.notify.subscriptions import SubscriptionRequest, create_subscription
from service.scheduler import jobs, notify_jobs
from tests.support.databases import PreparedDatabases
from tests.support.smtp import Inbox, smtp_server, smtp_settings

NOW = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


@pytest.fixture
def scheduled(prepared: PreparedDatabases, db_kind: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(prepared.catalogued(db_kind, now=NOW))  # migrated, catalog as of NOW
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as s:
        admin = create_user(s, username="admin", role=Role.ADMIN, now=NOW)
        rows = [("rd_intensity", "Z-YRD", y, v) for y, v in ((2018, 2.75), (2020, 2.88), (2022, 2.97))]
        inputs = [
            ObservationInput(row=n, indicator=i, region=r, period=y, value=v, unit="%", confirm=True)
            for n, (i, r, y, v) in enumerate(rows, 1)
        ]
        assert ingest(s, admin, inputs, path=WritePath.API, now=NOW).applied
        create_subscription(
            s, None, SubscriptionRequest(email="leader@example.org", plan_codes=["yrd-outline-2019"]), now=NOW
        )
    yield sessions
    jobs.install_context(None)
    engine.dispose()


def add_2024(sessions: sessionmaker[Session], value: float = 3.08) -> None:
    with transaction(sessions) as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        inputs = [
            ObservationInput(
                row=1,
                indicator="rd_intensity",
                region="Z-YRD",
                period=2024,
                value=value,
                unit="%",
                revision_reason="年报修订",
                confirm=True,
            )
        ]
        assert ingest(s, admin, inputs, path=WritePath.API, now=dt.datetime.now(dt.UTC)).applied


def test_the_nightly_run_queues_digests_and_the_sender_job_delivers_them(
    scheduled: sessionmaker[Session], tmp_path: Path
) -> None:
    assert notify_jobs.after_run_digests in jobs.AFTER_RUN_HOOKS
    ids = {s.id for s in jobs.job_specs(smtp_settings(1))}
    assert {"send_outbox", "periodic_digests", "data_reminders"} <= ids
    inbox = Inbox()
    with smtp_server(inbox) as port:
        jobs.install_context(jobs.JobContext(scheduled, smtp_settings(port, var_dir=tmp_path)))
        jobs.nightly_report()
        add_2024(scheduled)
        jobs.nightly_report()
        with scheduled() as s:
            runs = list(s.scalars(select(ReportRun).order_by(ReportRun.id)))
            (message,) = s.scalars(select(OutboxMessage)).all()
        assert (
            message.message_key.endswith(f":run:{runs[-1].id}") and message.created_at == runs[-1].finished_at
        )
        notify_jobs.send_outbox()
    (received,) = inbox.messages
    assert received["To"] == "leader@example.org" and "1项目标有变化" in str(received["Subject"])


def test_a_failing_digest_never_costs_the_report_run(
    scheduled: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.install_context(jobs.JobContext(scheduled, smtp_settings(1, var_dir=tmp_path)))
    jobs.nightly_report()
    add_2024(scheduled)

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("template bug")

    monkeypatch.setattr(digest, "queue_after_run_digests", broken)
    jobs.nightly_report()
    with scheduled() as s:
        assert len(s.scalars(select(ReportRun)).all()) == 2
        assert s.scalars(select(OutboxMessage)).all() == []
    monkeypatch.undo()
    add_2024(
        scheduled, 3.1
    )  # a revision: the next digest still reports the 2024 figure as new since the last
    jobs.nightly_report()
    with scheduled() as s:
        (message,) = s.scalars(select(OutboxMessage)).all()
    assert "原因：新数据" in message.body_text and "2022年 2.97% → 2024年 3.1%" in message.body_text
