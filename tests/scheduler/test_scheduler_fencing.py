"""Jobs are fenced by the lease's epoch, and a change is never missed by change detection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from service.config import Settings
from service.db.models import DataChange, ReportRun, Role, User, WritePath
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.observations import ObservationInput, ingest
from service.reports.engine import run_report_now
from service.scheduler import jobs, lease
from tests.support.databases import PreparedDatabases

TTL = dt.timedelta(seconds=30)


@pytest.fixture
def fresh_engine(prepared: PreparedDatabases, db_kind: str) -> Iterator[Engine]:
    """A database of its own: jobs commit, so they must not share the suite's rolled-back one."""
    engine = make_engine(prepared.catalogued(db_kind))
    with transaction(make_sessionmaker(engine)) as s:
        s.add(User(username="office", role=Role.ADMIN, created_at=dt.datetime.now(dt.UTC)))
    yield engine
    jobs.install_context(None)
    engine.dispose()


def count(engine: Engine, model: type) -> int:
    with make_sessionmaker(engine)() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_job_of_a_holder_whose_lease_passed_on_commits_nothing(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_sessionmaker(fresh_engine)
    now = dt.datetime.now(dt.UTC)
    with transaction(sessions) as s:
        epoch_a = lease.try_acquire(s, "A", now=now - 2 * TTL, ttl=TTL)  # A held it, then was paused
    with transaction(sessions) as s:
        epoch_b = lease.try_acquire(s, "B", now=now, ttl=TTL)  # B took over once it ran out
    assert epoch_a == 1 and epoch_b == 2
    settings = Settings(database_url=str(fresh_engine.url), var_dir=tmp_path)
    # A resumes and runs the nightly job it had been about to run: fenced off, nothing stored
    jobs.install_context(jobs.JobContext(sessions, settings, holder="A", epoch=epoch_a))
    with pytest.raises(lease.LeaseLost):
        jobs.nightly_report()
    assert count(fresh_engine, ReportRun) == 0
    # the current holder's run goes through, once
    jobs.install_context(jobs.JobContext(sessions, settings, holder="B", epoch=epoch_b))
    jobs.nightly_report()
    assert count(fresh_engine, ReportRun) == 1


def test_the_same_holder_taking_an_expired_lease_again_gets_a_new_epoch(fresh_engine: Engine) -> None:
    sessions = make_sessionmaker(fresh_engine)
    now = dt.datetime.now(dt.UTC)
    with transaction(sessions) as s:
        first = lease.try_acquire(s, "A", now=now, ttl=TTL)
        assert lease.try_acquire(s, "A", now=now + TTL / 2, ttl=TTL) == first  # a renewal keeps it
        again = lease.try_acquire(s, "A", now=now + 3 * TTL, ttl=TTL)  # after it ran out
    assert again == (first or 0) + 1


def test_an_import_that_began_before_a_run_and_committed_after_it_still_causes_a_run(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_sessionmaker(fresh_engine)
    settings = Settings(database_url=str(fresh_engine.url), var_dir=tmp_path, recompute_debounce_seconds=0)
    jobs.install_context(jobs.JobContext(sessions, settings))
    assert jobs.recompute_if_changed() is not None  # the catalog load itself
    assert jobs.recompute_if_changed() is None  # nothing new
    with transaction(sessions) as s:
        last_run = s.scalar(select(func.max(ReportRun.started_at)))
        office = s.scalar(select(User).where(User.username == "office"))
        assert office is not None and last_run is not None
        # a long import: it started before the last run began and commits only now
        started = last_run - dt.timedelta(minutes=10)
        result = ingest(
            s, office, [ObservationInput(row=1, indicator="gdp", region="310000", period=2024, value="53926.71")],
            path=WritePath.API, now=started,
        )  # fmt: skip
        assert result.applied and result.counts["added"] + result.counts["revised"] == 1
    run_id = jobs.recompute_if_changed()
    assert run_id is not None, "the import was missed"
    assert count(fresh_engine, DataChange) == 0
    assert jobs.recompute_if_changed() is None


def test_a_run_leaves_changes_it_did_not_read_for_the_next_one(fresh_engine: Engine) -> None:
    sessions = make_sessionmaker(fresh_engine)
    with transaction(sessions) as s:
        run_report_now(s, trigger="manual")
    assert count(fresh_engine, DataChange) == 0
    with transaction(sessions) as s:
        from service.domain import changes

        waiting = changes.pending_ids(s)
        changes.record(s, "observations", now=dt.datetime.now(dt.UTC), indicator_ids=[1])
        s.flush()
        changes.mark_covered(s, waiting)  # what a run that read the list before this change deletes
    assert count(fresh_engine, DataChange) == 1
