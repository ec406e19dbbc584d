"""Web logins and sessions: failed attempts counted in the database per username and per client address,
and server-side sessions that logout and account changes revoke."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from service.db.models import LoginAttempt, User, WebSession
from service.domain.passwords import verify_password

SESSION_LIFETIME = dt.timedelta(hours=8)
# last_seen_at is written at most this often, so that reading pages does not write on every request.
TOUCH_EVERY = dt.timedelta(minutes=5)
# Expired and revoked sessions are kept this long (who was logged in when), then deleted at a login.
KEEP_ENDED_SESSIONS = dt.timedelta(days=30)


@dataclass(frozen=True)
class LoginPolicy:
    max_user_failures: int = 5
    max_address_failures: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    retry_after: int | None = None  # seconds until the lock passes, when locked

    @property
    def locked(self) -> bool:
        return self.retry_after is not None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lock_ends(
    session: Session, username: str, address: str | None, policy: LoginPolicy, now: dt.datetime
) -> dt.datetime | None:
    """When the lock on this username or address passes, if either has reached its limit: the limit-th
    most recent failure leaves the window then, and the count drops below the limit."""
    since = now - policy.window
    failed = select(LoginAttempt.at).where(LoginAttempt.outcome == "failed", LoginAttempt.at > since)
    ends: list[dt.datetime] = []
    for column, key, limit in (
        (LoginAttempt.username, username, policy.max_user_failures),
        (LoginAttempt.address, address, policy.max_address_failures),
    ):
        if key is None:
            continue
        at = session.scalar(
            failed.where(column == key).order_by(LoginAttempt.at.desc()).offset(limit - 1).limit(1)
        )
        if at is not None:
            ends.append(at + policy.window)
    return max(ends) if ends else None


def _seconds(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str | None,
    policy: LoginPolicy,
    now: dt.datetime,
) -> LoginResult:
    """Check a web login. A locked username or address is refused without looking at the password; the
    failure that reaches a limit locks at once. Unknown, disabled and password-less users cost the same
    hashing work as real ones. A success clears the username's failures and upgrades an old hash."""
    address = address[:64] if address else None
    # Written first: on SQLite the transaction takes the write lock here, so attempts from several
    # processes queue instead of each counting before the others have written. It stays "locked" (not
    # counted) until the password has been checked, so that it does not count against itself.
    attempt = LoginAttempt(at=now, username=username, address=address, outcome="locked")
    session.add(attempt)
    session.flush()
    # On PostgreSQL, attempts on one existing account queue on its row for the same reason.
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    ends = _lock_ends(session, username, address, policy, now)
    if ends is not None:
        return LoginResult(None, _seconds(ends, now))
    ok, new_hash = verify_password(password, user.password_hash if user is not None else None)
    if user is None or not user.is_active or not ok:
        attempt.outcome = "failed"
        session.flush()
        # Rows that no longer count; those another login is deleting are skipped (PostgreSQL), so two
        # failed logins never wait on each other here nor deadlock.
        stale = select(LoginAttempt.id).where(LoginAttempt.at <= now - policy.window)
        session.execute(
            delete(LoginAttempt).where(LoginAttempt.id.in_(stale.with_for_update(skip_locked=True)))
        )
        ends = _lock_ends(session, username, address, policy, now)
        return LoginResult(None, _seconds(ends, now) if ends is not None else None)
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    if new_hash is not None:
        user.password_hash = new_hash
    user.last_login_at = now
    return LoginResult(user)


def start_session(session: Session, user: User, *, now: dt.datetime) -> str:
    """A new session for the user; returns the cookie value (random, 256 bits), stored only hashed."""
    session.execute(delete(WebSession).where(WebSession.expires_at < now - KEEP_ENDED_SESSIONS))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


def session_user(session: Session, token: str | None, *, now: dt.datetime) -> tuple[User, int | None] | None:
    """The active user of a live (unrevoked, unexpired) session, with their regions loaded, and the
    session's id when its last-seen time is older than ``TOUCH_EVERY`` (for the caller to record with
    ``touch_session`` in its own short write). Reads only, so that it can run in a read-only request."""
    if not token or len(token) > 100:
        return None
    row = session.execute(
        select(WebSession.id, WebSession.last_seen_at, User)
        .join(User, WebSession.user_id == User.id)
        .where(
            WebSession.token_hash == _hash(token),
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > now,
            User.is_active.is_(True),
        )
        .options(selectinload(User.regions))
    ).first()
    if row is None:
        return None
    session_id, last_seen, user = row
    return user, (session_id if now - last_seen > TOUCH_EVERY else None)


def touch_session(session: Session, session_id: int, *, now: dt.datetime) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_id)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def end_session(session: Session, token: str | None, *, now: dt.datetime) -> None:
    if token and len(token) <= 100:
        session.execute(
            update(WebSession)
            .where(WebSession.token_hash == _hash(token), WebSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def revoke_sessions(session: Session, user_id: int, *, now: dt.datetime) -> int:
    """End every live session of a user (after disabling them or changing their password or role)."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None), WebSession.expires_at > now)
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
