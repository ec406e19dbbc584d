"""A lease in the database: however many processes start a scheduler, only the holder runs jobs.

The holder renews the lease well before it expires; if it dies, the lease runs out and another
process takes it over within ``ttl`` plus one renewal interval. Each takeover raises the lease's
``epoch``, a fencing token: a job writes only if, in its own transaction, the lease is still held by
its process at the epoch it started under (``assert_held``). A holder that was paused past its lease
(a stopped VM, a long GC, SIGSTOP) and resumes finds the epoch moved on and writes nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.models import SchedulerLease

LEASE_NAME = "scheduler"


class LeaseLost(Exception):
    """The lease passed to another holder (or ran out) while a job was working: its work is dropped."""


def try_acquire(
    session: Session, holder: str, *, now: dt.datetime, ttl: dt.timedelta, name: str = LEASE_NAME
) -> int | None:
    """Take or renew the lease; the epoch ``holder`` holds it under until ``now + ttl``, or None."""
    renewed = session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder, SchedulerLease.expires_at >= now)
        .values(expires_at=now + ttl)
        .returning(SchedulerLease.epoch)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if renewed is not None:
        return renewed
    # an expired lease, ours or another's: taken under a new epoch, so whatever its last holder still
    # has in flight is fenced off
    taken = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.expires_at < now, SchedulerLease.holder == holder),
        )
        .values(holder=holder, expires_at=now + ttl, acquired_at=now, epoch=SchedulerLease.epoch + 1)
        .returning(SchedulerLease.epoch)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if taken is not None:
        return taken
    if session.get(SchedulerLease, name) is not None:
        return None
    try:
        with session.begin_nested():
            session.add(
                SchedulerLease(name=name, holder=holder, acquired_at=now, expires_at=now + ttl, epoch=1)
            )
    except IntegrityError:  # another process inserted it first
        return None
    return 1


def assert_held(
    session: Session, holder: str, epoch: int, *, now: dt.datetime, name: str = LEASE_NAME
) -> None:
    """Raise ``LeaseLost`` unless ``holder`` still holds the lease at ``epoch``.

    Call it last in a job's transaction: on PostgreSQL the row stays locked until the commit, so no
    takeover can slip in between this check and the job's commit (on SQLite the job's transaction
    already holds the database's write lock).
    """
    row = session.execute(
        select(SchedulerLease.holder, SchedulerLease.epoch, SchedulerLease.expires_at)
        .where(SchedulerLease.name == name)
        .with_for_update()
    ).one_or_none()
    if row is None or row.holder != holder or row.epoch != epoch:
        raise LeaseLost(f"lease {name} is no longer held by {holder} at epoch {epoch}")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    if expires < now:
        raise LeaseLost(f"lease {name} of {holder} ran out at {expires.isoformat()}")


def release(session: Session, holder: str, *, now: dt.datetime, name: str = LEASE_NAME) -> None:
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


def current_holder(session: Session, *, now: dt.datetime, name: str = LEASE_NAME) -> str | None:
    row = session.get(SchedulerLease, name)
    if row is None or row.expires_at <= now:
        return None
    return row.holder
