"""The scheduled jobs. Each job is idempotent and opens its own transaction.

APScheduler keeps jobs in the service's database by reference (module:function), so jobs are
module-level functions; they reach the database through the context the runner installs.
"""

from __future__ import annotations

import datetime as dt
import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import ReportRun, apscheduler_jobs
from service.db.session import transaction
from service.domain import changes
from service.scheduler import notify_jobs
from service.scheduler.context import JobContext, context, install_context

__all__ = ["JobContext", "adopt_moved_jobs", "context", "install_context", "job_specs", "register"]

log = logging.getLogger("yrdmon.jobs")


# Called with (session, run) after every scheduled report run; the e-mail work registers here.
AFTER_RUN_HOOKS: list[Callable[[Session, ReportRun], None]] = [
    notify_jobs.after_run_digests,
    notify_jobs.after_run_warnings,  # the early warning, after full runs, once a day at most
]


def _report(trigger: str, *, incremental: bool = False) -> int:
    from service.reports.engine import run_report_now

    with context().unit() as session:
        run = run_report_now(session, trigger=trigger, incremental=incremental)
        for hook in AFTER_RUN_HOOKS:
            hook(session, run)
        scope = (run.summary or {}).get("scope") or {}
        log.info(
            "report run %s (%s, %s): %s targets, %s reassessed",
            run.id,
            trigger,
            scope.get("kind", "full"),
            (run.summary or {}).get("targets"),
            scope.get("covered", "all"),
        )
        return run.id


def nightly_report() -> None:
    """The nightly run: everything as known now."""
    _report("nightly")


def recompute_if_changed() -> int | None:
    """Run a report for the changes no run has covered yet (service.domain.changes).

    Figures entered or imported name the series they touched: at once (every check, each second by
    default), a run reassesses the targets those can change and carries the rest over from the
    previous run (``engine.run_incremental``, which falls back to a full run where that would not be
    exact). Other changes (the catalog) wait until data has stayed quiet for the debounce period, so
    that however many batches a large load writes, one full run starts after the last. A change that
    commits while a run is under way is covered by the next run, not lost.
    """
    ctx = context()
    # every second: a read-only look, which on SQLite must not queue for the write lock
    with transaction(ctx.read_sessions or ctx.sessions) as session:
        waiting = changes.pending(session)
    if not waiting:
        return None
    narrow = ctx.settings.recompute_incremental and all(w.series is not None for w in waiting)
    newest = max(w.at for w in waiting)
    if not narrow and dt.datetime.now(dt.UTC) - newest < dt.timedelta(
        seconds=ctx.settings.recompute_debounce_seconds
    ):
        return None
    return _report("data", incremental=narrow)


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[..., Any]
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)


def job_specs(settings: Settings) -> list[JobSpec]:
    """The jobs this service schedules."""
    return [
        JobSpec("nightly_report", nightly_report, "cron", {"hour": settings.nightly_run_hour, "minute": 0}),
        JobSpec(
            "recompute_if_changed",
            recompute_if_changed,
            "interval",
            {"seconds": settings.recompute_check_seconds},
        ),
        JobSpec(
            "send_outbox", notify_jobs.send_outbox, "interval", {"seconds": notify_jobs.SEND_INTERVAL_SECONDS}
        ),
        JobSpec(
            "periodic_digests",
            notify_jobs.periodic_digests,
            "cron",
            {"hour": notify_jobs.DIGEST_HOUR_UTC, "minute": 0},
        ),
        JobSpec(
            "data_reminders",
            notify_jobs.data_reminders,
            "cron",
            {"hour": notify_jobs.REMINDER_HOUR_UTC, "minute": 0},
        ),
        JobSpec(
            "review_digests",
            notify_jobs.review_digests,
            "cron",
            {"hour": notify_jobs.DIGEST_HOUR_UTC, "minute": 0},
        ),
    ]


# Modules whose jobs moved, as a job store an earlier release left them: {former module: module now}.
MOVED_JOB_MODULES = {"service.notify.jobs": "service.scheduler.notify_jobs"}


def adopt_moved_jobs(session: Session) -> list[str]:
    """Point stored jobs whose function moved module at the module it lives in now, keeping everything
    else stored (the trigger, the next run). Unadopted, APScheduler could not load such a job: it would
    drop it and ``register`` would schedule it afresh, losing a run due while the service was down.
    Call before the scheduler reads its store. Returns the ids of the jobs adopted."""
    adopted = []
    for job_id, blob in session.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.job_state)):
        state = pickle.loads(blob)  # the job's own state: its function is stored by name, not imported
        module, sep, name = str(state.get("func", "")).partition(":")
        if sep and module in MOVED_JOB_MODULES:
            state["func"] = f"{MOVED_JOB_MODULES[module]}:{name}"
            session.execute(
                update(apscheduler_jobs)
                .where(apscheduler_jobs.c.id == job_id)
                .values(job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
            )
            adopted.append(job_id)
    return adopted


def register(scheduler: BaseScheduler, specs: list[JobSpec]) -> None:
    """Make the job store hold exactly these jobs.

    A job already stored with the same trigger is kept as it is, so that a run missed while every
    process was down is still due (and, coalesced, runs once) when a scheduler comes back.
    """
    wanted = {s.id: s for s in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for s in specs:
        existing = scheduler.get_job(s.id)
        if existing is not None:
            probe = scheduler.add_job(s.func, s.trigger, id=f"{s.id}.probe", **s.trigger_args)
            same = str(probe.trigger) == str(existing.trigger) and existing.func_ref == probe.func_ref
            probe.remove()
            if same:
                continue
        scheduler.add_job(s.func, s.trigger, id=s.id, replace_existing=True, **s.trigger_args)
