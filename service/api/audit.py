"""The audit log: who changed what, when, through which path, with the values before and after."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from service.api.deps import NO_NUL, SessionDep, require_role
from service.api.paging import Page, paginate
from service.db.models import AuditEntry, Role, User, WritePath
from service.domain.errors import Invalid

AuditReader = Annotated[
    User,
    Depends(
        require_role(
            Role.ADMIN, zh="只有管理员可以查看审计日志", en="only administrators can read the audit log"
        )
    ),
]

router = APIRouter(tags=["audit"])

MAX_LIMIT = 500


class AuditItem(BaseModel):
    id: int
    at: dt.datetime
    user: str | None
    path: str
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(Page[AuditItem]):
    """A page of the audit log, newest first."""


def _utc(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise Invalid(f"{name} 时间超出范围", f"{name} is out of range") from None


def _item(entry: AuditEntry, username: str | None) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "user": username,
        "path": entry.path.value,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
    }


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first (administrators)")
def list_audit(
    session: SessionDep,
    current: AuditReader,
    username: Annotated[str | None, Query(alias="user", max_length=80, pattern=NO_NUL)] = None,
    entity_type: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    entity_id: Annotated[str | None, Query(max_length=80, pattern=NO_NUL)] = None,
    action: Annotated[str | None, Query(max_length=60, pattern=NO_NUL)] = None,
    path: Annotated[WritePath | None, Query(description="api, web, cli, catalog or scheduler")] = None,
    since: Annotated[dt.datetime | None, Query(description="ISO date-time, inclusive")] = None,
    until: Annotated[dt.datetime | None, Query(description="ISO date-time, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    start, end = _utc(since, "since"), _utc(until, "until")
    stmt = select(AuditEntry, User.username).outerjoin(User, AuditEntry.user_id == User.id)
    if username is not None:
        stmt = stmt.where(User.username == username)
    if entity_type is not None:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if path is not None:
        stmt = stmt.where(AuditEntry.path == path)
    if start is not None:
        stmt = stmt.where(AuditEntry.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEntry.at < end)
    ordered = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    rows, total = paginate(session, ordered, limit=limit, offset=offset)
    items = [_item(entry, name) for entry, name in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}
