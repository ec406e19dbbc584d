"""The scheduler as deployed: several processes, one runs the jobs; a dead leader is replaced; a run
missed while everything was down is caught up once."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update

from service.config import Settings
from service.db.models import ReportRun, SchedulerLease, apscheduler_jobs
from service.db.session import make_engine, make_sessionmaker
from service.scheduler import jobs
from service.scheduler.runner import SchedulerRunner
from tests.support.cli import YRDMON, run
from tests.support.databases import PreparedDatabases

FAST = {
    "YRDMON_SCHEDULER_LEASE_SECONDS": "3",
    "YRDMON_RECOMPUTE_DEBOUNCE_SECONDS": "1",
    "YRDMON_RECOMPUTE_CHECK_SECONDS": "1",
}


def runs(url: str, trigger: str | None = None) -> list[ReportRun]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        stmt = select(ReportRun).order_by(ReportRun.id)
        if trigger:
            stmt = stmt.where(ReportRun.trigger == trigger)
        out = list(s.scalars(stmt))
    engine.dispose()
    return out


def holder(url: str) -> str | None:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        lease = s.get(SchedulerLease, "scheduler")
        value = lease.holder if lease and lease.expires_at > dt.datetime.now(dt.UTC) else None
    engine.dispose()
    return value


def wait_for(predicate: Callable[[], object], timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.3)


def test_two_processes_run_a_job_once_and_the_survivor_takes_over(
    prepared: PreparedDatabases, db_kind: str, tmp_path: Path
) -> None:
    url = prepared.initialised(db_kind)  # as `yrdmon init` leaves it
    env = {**os.environ, **FAST, "YRDMON_DATABASE_URL": url}
    procs = [
        subprocess.Popen(
            [*YRDMON, "scheduler"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        # init computed the first run over the catalog load: the leader finds no new data to recompute
        assert len(runs(url, "init")) == 1
        wait_for(lambda: holder(url) is not None)
        time.sleep(4)
        assert runs(url, "data") == []
        # new figures: exactly one recompute, whichever process leads
        run(["users", "add", "admin", "--role", "admin"], {"YRDMON_DATABASE_URL": url}, tmp_path)
        first = tmp_path / "first.csv"
        first.write_text("indicator,region,year,value,unit\ngdp,嘉善县,2023,850.5,亿元\n", encoding="utf-8")
        run(["import", str(first), "--user", "admin"], {"YRDMON_DATABASE_URL": url}, tmp_path)
        wait_for(lambda: len(runs(url, "data")) >= 1)
        time.sleep(4)
        assert len(runs(url, "data")) == 1
        leader_pid = int(holder(url).split(":")[1])  # type: ignore[union-attr]
        assert leader_pid in {p.pid for p in procs}
        os.kill(leader_pid, signal.SIGKILL)
        survivor = next(p for p in procs if p.pid != leader_pid)
        start = time.monotonic()
        wait_for(lambda: (h := holder(url)) is not None and int(h.split(":")[1]) == survivor.pid, timeout=15)
        takeover = time.monotonic() - start
        assert takeover < 3 + 1 + 2  # lease length + one renewal interval + slack
        data = tmp_path / "new.csv"
        data.write_text("indicator,region,year,value,unit\ngdp,嘉善县,2024,880.5,亿元\n", encoding="utf-8")
        run(["import", str(data), "--user", "admin"], {"YRDMON_DATABASE_URL": url}, tmp_path)
        wait_for(lambda: len(runs(url, "data")) == 2)
        time.sleep(3)
        assert len(runs(url, "data")) == 2
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_a_nightly_run_missed_while_down_is_caught_up_once(
    prepared: PreparedDatabases, db_kind: str, tmp_path: Path
) -> None:
    url = prepared.initialised(db_kind)  # as `yrdmon init` leaves it
    engine = make_engine(url)
    settings = Settings(database_url=url, scheduler_lease_seconds=3, nightly_run_hour=2)
    nightly = [s for s in jobs.job_specs(settings) if s.id == "nightly_report"]
    # a scheduler registered the job and the service then stayed down for three nights:
    # the stored job's next run is long overdue (as the job store would hold it)
    first = SchedulerRunner(settings, engine, specs=nightly)
    assert first.tick()
    first.stop()
    overdue = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with engine.begin() as conn:
        row = conn.execute(select(apscheduler_jobs)).one()
        state = pickle.loads(row.job_state)
        state["next_run_time"] = overdue
        conn.execute(
            update(apscheduler_jobs)
            .where(apscheduler_jobs.c.id == row.id)
            .values(job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL), next_run_time=overdue.timestamp())
        )
    runner = SchedulerRunner(settings, engine, specs=nightly)
    try:
        assert runner.tick()
        wait_for(lambda: len(runs(url, "nightly")) >= 1, timeout=20)
        time.sleep(2)
        assert len(runs(url, "nightly")) == 1
        job = runner.scheduler.get_job("nightly_report")  # type: ignore[union-attr]
        assert job.next_run_time > dt.datetime.now(dt.UTC)
    finally:
        runner.stop()
        engine.dispose()


def test_e_mail_jobs_stored_under_their_former_module_keep_their_schedule(
    prepared: PreparedDatabases, db_kind: str
) -> None:
    """The e-mail jobs moved from ``service.notify.jobs`` to ``service.scheduler.notify_jobs``; a job store
    an earlier release left names the former module. A scheduler taking over adopts those jobs as they
    are stored (their next run included), rather than dropping them as unreadable and scheduling afresh,
    which would lose a digest due while the service was down for the upgrade."""
    url = prepared.initialised(db_kind)
    engine = make_engine(url)
    settings = Settings(database_url=url, scheduler_lease_seconds=3)
    mail = [s for s in jobs.job_specs(settings) if s.id in ("periodic_digests", "data_reminders")]
    first = SchedulerRunner(settings, engine, specs=mail)
    assert first.tick()
    first.stop()
    # as an earlier release stored them: the former module, and a next run days away (a fresh schedule
    # of these daily jobs would be due within a day)
    stored_next = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).replace(microsecond=0)
    with engine.begin() as conn:
        for row in conn.execute(select(apscheduler_jobs)).all():
            state = pickle.loads(row.job_state)
            module, _, name = state["func"].partition(":")
            assert module == "service.scheduler.notify_jobs"
            state["func"] = f"service.notify.jobs:{name}"
            state["next_run_time"] = stored_next
            conn.execute(
                update(apscheduler_jobs)
                .where(apscheduler_jobs.c.id == row.id)
                .values(
                    job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL),
                    next_run_time=stored_next.timestamp(),
                )
            )
    runner = SchedulerRunner(settings, engine, specs=mail)
    try:
        assert runner.tick()
        assert runner.scheduler is not None
        found = {j.id: j for j in runner.scheduler.get_jobs()}
        assert set(found) == {"periodic_digests", "data_reminders"}
        for job in found.values():
            assert job.func_ref == f"service.scheduler.notify_jobs:{job.id}"
            assert job.next_run_time == stored_next
    finally:
        runner.stop()
        engine.dispose()
