"""The e-mail work the scheduler runs: the after-run digest and warning hooks, periodic digests,
reminders, the sender.

These are module-level functions (APScheduler stores jobs by reference) that reach the database through
the context the scheduler runner installs (``service.scheduler.context``). They live in the scheduler
package because they need that context; what they call in ``service.notify`` takes the session, the
settings and ``now`` as arguments and knows nothing of the scheduler. They read the clock.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from service.db.models import ReportRun
from service.scheduler.context import context as _context

log = logging.getLogger("yrdmon.mail")

SEND_INTERVAL_SECONDS = 15
DIGEST_HOUR_UTC = 1  # 09:00 in China: weekly and monthly digests
REMINDER_HOUR_UTC = 0  # 08:00 in China: data-due reminders


def after_run_digests(session: Session, run: ReportRun) -> None:
    """After-run hook: queue the digests of ``run`` in the run's own transaction.

    A savepoint keeps a failure here from losing the run: the digests are then simply not queued, and
    the next run's digests cover the changes since each subscriber's last digest.
    """
    from service.notify.digest import queue_after_run_digests

    now = run.finished_at or run.started_at
    try:
        with session.begin_nested():
            queued = queue_after_run_digests(session, run, _context().settings, now=now)
    except Exception:
        log.exception("digests of run %s could not be queued", run.id)
        return
    if queued:
        log.info("run %s: %s digests queued", run.id, queued)


def after_run_warnings(session: Session, run: ReportRun) -> None:
    """After-run hook: after a full scheduled run, queue the early warning (预警) of binding targets at
    risk, at most once a day per plan and address (``notify.warnings.queue_scheduled_warnings``); in a
    savepoint, so that a failure here never costs the run."""
    from service.notify.warnings import queue_scheduled_warnings

    now = run.finished_at or run.started_at
    try:
        with session.begin_nested():
            queued = queue_scheduled_warnings(session, _context().settings, run, now=now)
    except Exception:
        log.exception("warnings of run %s could not be queued", run.id)
        return
    if queued:
        log.info("run %s: warnings queued %s", run.id, {p: len(a) for p, a in queued.items()})


def periodic_digests() -> None:
    from service.notify.digest import queue_periodic_digests

    ctx = _context()
    with ctx.unit() as session:
        queued = queue_periodic_digests(session, ctx.settings, now=dt.datetime.now(dt.UTC))
    if queued:
        log.info("%s weekly/monthly digests queued", queued)


def data_reminders() -> None:
    from service.notify.reminders import queue_reminders

    ctx = _context()
    with ctx.unit() as session:
        report = queue_reminders(session, ctx.settings, now=dt.datetime.now(dt.UTC))
    if report.keys:
        log.info(
            "reminders queued: %s due, %s overdue, %s summaries",
            report.reminders,
            report.overdue,
            report.summaries,
        )


def review_digests() -> None:
    """Each reviewer's digest of the figures awaiting them (where review is on; once a day)."""
    from service.notify.review_mail import queue_reviewer_digests

    ctx = _context()
    with ctx.unit() as session:
        queued = queue_reviewer_digests(session, settings=ctx.settings, now=dt.datetime.now(dt.UTC))
    if queued:
        log.info("%s reviewer digests queued", queued)


def send_outbox() -> None:
    from service.notify.sender import SmtpTransport, deliver_due

    ctx = _context()
    transport = SmtpTransport(ctx.settings)
    try:
        # claims and outcomes are fenced like every job's writes: a sender whose lease passed to
        # another process claims nothing more
        report = deliver_due(ctx.unit, transport, ctx.settings, clock=lambda: dt.datetime.now(dt.UTC))
    finally:
        transport.close()
    if report.attempted:
        log.info("outbox: %s sent, %s deferred, %s failed", report.sent, report.deferred, report.failed)
