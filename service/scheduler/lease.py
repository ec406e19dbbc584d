"""A lease in the database: however many processes start a scheduler, only the holder runs jobs.

The holder renews the lease well before it expires; if it dies, the lease runs out and another
process takes it over within ``ttl`` plus one renewal interval.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.models import SchedulerLease

LEASE_NAME = "scheduler"


def try_acquire(
    session: Session, holder: str, *, now: dt.datetime, ttl: dt.timedelta, name: str = LEASE_NAME
) -> bool:
    """Take or renew the lease; True if ``holder`` holds it until ``now + ttl``."""
    result = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return True
    if session.get(SchedulerLease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:  # another process inserted it first
        return False
    return True


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
