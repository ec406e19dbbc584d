"""Users, roles, region scopes and API tokens (tokens and passwords are only ever stored hashed), and the
administrator's changes to them: each writes an audit entry, and each that narrows what a user may do
ends their web sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from service.db.models import ApiToken, Indicator, Region, Role, User, WritePath
from service.domain import audit
from service.domain.auth import revoke_sessions
from service.domain.catalog import SYSTEM_USER
from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.passwords import hash_password

TOKEN_PREFIX = "yrd_"


def hash_token(token: str) -> str:
    # API tokens carry 256 random bits, so a fast hash is enough; passwords get argon2id (passwords.py).
    return hashlib.sha256(token.encode()).hexdigest()


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
    if role is Role.REVIEWER and not regions:
        raise Invalid("审核员必须指定至少一个负责的地区", "a reviewer needs at least one region (--region)")
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
    audit.record(
        session,
        user=actor_id,
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
        at=now,
    )
    return user


def issue_token(
    session: Session,
    user: User,
    *,
    name: str = "default",
    now: dt.datetime,
    path: WritePath = WritePath.CLI,
    actor_id: int | None = None,
) -> str:
    """Create an API token for a user; the plain token is returned once and never stored."""
    _not_the_system_user(user)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(token), prefix=token[:10], created_at=now
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        user=actor_id,
        path=path,
        action="issue_token",
        entity_type="user",
        entity_id=user.id,
        after={"username": user.username, "prefix": row.prefix, "name": name},
        at=now,
    )
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


# --- administration (the `yrdmon users` commands) ---------------------------------------------------


def _not_the_system_user(user: User) -> None:
    if user.username == SYSTEM_USER:
        raise Invalid(
            f"{SYSTEM_USER} 是加载目录数据文件的系统账号，不能登录",
            f"{SYSTEM_USER!r} is the system account that loads the catalog's data files; it never logs in",
        )


def get_user(session: Session, username: str) -> User:
    """The user of that name with their regions, or NotFound with a bilingual message."""
    user = session.scalar(select(User).where(User.username == username).options(selectinload(User.regions)))
    if user is None:
        raise NotFound(
            f"没有名为 {username} 的用户（用 yrdmon users list 查看）",
            f"unknown user {username!r} (see `yrdmon users list`)",
        )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username).options(selectinload(User.regions))))


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    now: dt.datetime,
    path: WritePath = WritePath.CLI,
    actor_id: int | None = None,
) -> int:
    """Give the user a new password and end their web sessions; returns how many sessions ended."""
    _not_the_system_user(user)
    if not password:
        raise Invalid("密码不能为空", "the password must not be empty")
    user.password_hash = hash_password(password)
    ended = revoke_sessions(session, user.id, now=now)
    audit.record(
        session,
        user=actor_id,
        path=path,
        action="set_password",
        entity_type="user",
        entity_id=user.id,
        after={"username": user.username, "sessions_ended": ended},
        at=now,
    )
    return ended


def set_role(
    session: Session,
    user: User,
    role: Role,
    region_codes: Sequence[str] | None = None,
    *,
    now: dt.datetime,
    path: WritePath = WritePath.CLI,
    actor_id: int | None = None,
) -> int:
    """Change the role and, when region codes are given, the regions; ends the user's web sessions."""
    before = {"role": user.role.value, "regions": sorted(r.code for r in user.regions)}
    regions = list(user.regions)
    if region_codes is not None:
        found = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(region_codes)))}
        missing = [c for c in region_codes if c not in found]
        if missing:
            raise NotFound(
                f"未知地区代码：{', '.join(missing)}", f"unknown region code(s): {', '.join(missing)}"
            )
        regions = [found[c] for c in dict.fromkeys(region_codes)]
    if role is Role.EDITOR and not regions:
        raise Invalid("编辑角色必须指定至少一个地区", "an editor needs at least one region (--region)")
    if role is Role.REVIEWER and not regions:
        raise Invalid("审核员必须指定至少一个负责的地区", "a reviewer needs at least one region (--region)")
    user.role = role
    user.regions = regions
    ended = revoke_sessions(session, user.id, now=now)
    after = {"role": role.value, "regions": sorted(r.code for r in regions), "sessions_ended": ended}
    audit.record(
        session,
        user=actor_id,
        path=path,
        action="set_role",
        entity_type="user",
        entity_id=user.id,
        before=before,
        after={"username": user.username, **after},
        at=now,
    )
    session.flush()
    return ended


def set_active(
    session: Session,
    user: User,
    active: bool,
    *,
    now: dt.datetime,
    path: WritePath = WritePath.CLI,
    actor_id: int | None = None,
) -> int:
    """Disable (end web sessions; API tokens fail while disabled) or enable the user again."""
    if active:
        _not_the_system_user(user)
    ended = 0 if active else revoke_sessions(session, user.id, now=now)
    before = {"is_active": user.is_active}
    user.is_active = active
    after = {"is_active": active, "sessions_ended": ended}
    audit.record(
        session,
        user=actor_id,
        path=path,
        action="enable" if active else "disable",
        entity_type="user",
        entity_id=user.id,
        before=before,
        after={"username": user.username, **after},
        at=now,
    )
    session.flush()
    return ended


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(
    session: Session,
    prefix: str,
    *,
    now: dt.datetime,
    path: WritePath = WritePath.CLI,
    actor_id: int | None = None,
) -> ApiToken:
    """Revoke the one live token with this prefix (as `users tokens` lists it), or the whole token."""
    live = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if len(prefix) > 16:
        rows = list(session.scalars(live.where(ApiToken.token_hash == hash_token(prefix))))
    else:
        rows = list(session.scalars(live.where(ApiToken.prefix == prefix)))
    if not rows:
        raise NotFound(f"没有以 {prefix} 开头的有效令牌", f"no live token with prefix {prefix!r}")
    if len(rows) > 1:
        raise Conflict(
            f"{len(rows)} 个令牌以 {prefix} 开头；请给出完整令牌或用 revoke-tokens 撤销该用户的全部令牌",
            f"{len(rows)} tokens start with {prefix!r}; give the whole token or use revoke-tokens NAME",
        )
    row = rows[0]
    row.revoked_at = now
    user = session.get_one(User, row.user_id)
    audit.record(
        session,
        user=actor_id,
        path=path,
        action="revoke_token",
        entity_type="user",
        entity_id=user.id,
        after={"username": user.username, "prefix": row.prefix, "name": row.name},
        at=now,
    )
    session.flush()
    return row


def revoke_tokens(
    session: Session,
    user: User,
    *,
    now: dt.datetime,
    path: WritePath = WritePath.CLI,
    actor_id: int | None = None,
) -> int:
    """Revoke every live API token of the user; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    audit.record(
        session,
        user=actor_id,
        path=path,
        action="revoke_tokens",
        entity_type="user",
        entity_id=user.id,
        after={"username": user.username, "tokens_revoked": count},
        at=now,
    )
    return count


def set_organisation(
    session: Session,
    user: User,
    organisation: str | None,
    *,
    now: dt.datetime,
    path: WritePath = WritePath.CLI,
    actor_id: int | None = None,
) -> str | None:
    """The organisation (bureau, district government) a user works for, or none; its code."""
    from service.db.models import Organisation
    from service.domain.assignments import find_organisation

    before_org = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    org = find_organisation(session, organisation) if organisation else None
    user.organisation_id = org.id if org else None
    audit.record(
        session,
        user=actor_id,
        path=path,
        action="set_organisation",
        entity_type="user",
        entity_id=user.id,
        before={"organisation": before_org.code if before_org else None},
        after={"username": user.username, "organisation": org.code if org else None},
        at=now,
    )
    session.flush()
    return org.code if org else None
