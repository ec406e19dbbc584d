"""Users, roles, region scopes and API tokens (tokens and passwords are only ever stored hashed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from service.db.models import ApiToken, AuditEntry, Indicator, Region, Role, User, WritePath
from service.domain.errors import Conflict, Invalid, NotFound

TOKEN_PREFIX = "yrd_"


def hash_token(token: str) -> str:
    # API tokens carry 256 random bits, so a fast hash is enough; passwords get scrypt below.
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    region_codes: Sequence[str] = (),
    indicator_codes: Sequence[str] = (),
    email: str | None = None,
    display_name: str | None = None,
    password: str | None = None,
    path: WritePath = WritePath.CLI,
    actor_id: int | None = None,
    now: dt.datetime,
) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在", f"user {username!r} already exists")
    regions: list[Region] = []
    if region_codes:
        found = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(region_codes)))}
        missing = [c for c in region_codes if c not in found]
        if missing:
            raise NotFound(
                f"未知地区代码：{', '.join(missing)}", f"unknown region code(s): {', '.join(missing)}"
            )
        regions = [found[c] for c in region_codes]
    if role is Role.EDITOR and not regions:
        raise Invalid("编辑角色必须指定至少一个地区", "an editor needs at least one region (--region)")
    user = User(
        username=username,
        role=role,
        email=email,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        created_at=now,
    )
    user.regions = regions
    if indicator_codes:
        found_ind = {
            i.code: i for i in session.scalars(select(Indicator).where(Indicator.code.in_(indicator_codes)))
        }
        missing_ind = [c for c in indicator_codes if c not in found_ind]
        if missing_ind:
            raise NotFound(
                f"未知指标代码：{', '.join(missing_ind)}",
                f"unknown indicator code(s): {', '.join(missing_ind)}",
            )
        user.indicators = [found_ind[c] for c in indicator_codes]
    session.add(user)
    session.flush()
    session.add(
        AuditEntry(
            at=now,
            user_id=actor_id,
            path=path,
            action="create",
            entity_type="user",
            entity_id=str(user.id),
            after={
                "username": username,
                "role": role.value,
                "regions": list(region_codes),
                "indicators": list(indicator_codes),
                "email": email,
            },
        )
    )
    return user


def issue_token(session: Session, user: User, *, name: str = "default", now: dt.datetime) -> str:
    """Create an API token for a user; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), prefix=token[:10], created_at=now)
    )
    session.flush()
    return token


TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=5)


def user_for_token(session: Session, token: str, *, now: dt.datetime) -> tuple[User, int | None] | None:
    """The active user a token belongs to, and the token's id when its "last used" time is older than
    ``TOKEN_TOUCH_INTERVAL`` (for the caller to record with ``touch_token``); None if unknown/revoked.
    Reads only, so that it can run in a read-only request."""
    row = session.execute(
        select(ApiToken.id, ApiToken.user_id, ApiToken.revoked_at, ApiToken.last_used_at).where(
            ApiToken.token_hash == hash_token(token)
        )
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    user = session.scalar(
        select(User)
        .where(User.id == row.user_id, User.is_active.is_(True))
        .options(selectinload(User.regions), selectinload(User.indicators))
    )
    if user is None:
        return None
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return user, (row.id if last is None or now - last > TOKEN_TOUCH_INTERVAL else None)


def touch_token(session: Session, token_id: int, *, now: dt.datetime) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
