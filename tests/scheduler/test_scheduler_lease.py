"""Only one process holds the scheduler lease; when the holder stops renewing, another takes over."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from service.scheduler.lease import current_holder, release, try_acquire

T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=30)


def test_one_holder_at_a_time_and_takeover_after_expiry(session: Session) -> None:
    assert try_acquire(session, "a", now=T0, ttl=TTL)
    assert not try_acquire(session, "b", now=T0 + dt.timedelta(seconds=1), ttl=TTL)
    assert try_acquire(session, "a", now=T0 + dt.timedelta(seconds=10), ttl=TTL)  # renewal
    assert not try_acquire(session, "b", now=T0 + dt.timedelta(seconds=39), ttl=TTL)
    assert current_holder(session, now=T0 + dt.timedelta(seconds=39)) == "a"
    # a stopped renewing: its lease ran out at T0+40s
    assert try_acquire(session, "b", now=T0 + dt.timedelta(seconds=41), ttl=TTL)
    assert not try_acquire(session, "a", now=T0 + dt.timedelta(seconds=42), ttl=TTL)
    assert current_holder(session, now=T0 + dt.timedelta(seconds=42)) == "b"


def test_release_lets_another_take_over_at_once(session: Session) -> None:
    assert try_acquire(session, "a", now=T0, ttl=TTL)
    release(session, "a", now=T0 + dt.timedelta(seconds=1))
    assert try_acquire(session, "b", now=T0 + dt.timedelta(seconds=2), ttl=TTL)
