"""The one way an audit entry is written (`service.domain.audit.record`), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry, Role, WritePath
from service.domain import audit, users

AT = dt.datetime(2026, 4, 2, 8, 30, tzinfo=dt.UTC)


def _read_back(session: Session, action: str) -> AuditEntry:
    session.flush()
    session.expire_all()
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action)).one()


def test_an_entry_names_the_acting_user_given_as_row_or_id(session: Session) -> None:
    actor = users.create_user(session, username="audit-actor", role=Role.ADMIN, now=AT)
    session.flush()
    audit.record(
        session,
        user=actor,
        path=WritePath.WEB,
        action="probe_row",
        entity_type="plan",
        entity_id=42,
        before={"title": "旧"},
        after={"title": "新"},
        at=AT,
    )
    audit.record(
        session,
        user=actor.id,
        path=WritePath.CLI,
        action="probe_id",
        entity_type="plan",
        entity_id="P-1",
        at=AT,
    )

    by_row = _read_back(session, "probe_row")
    assert (by_row.user_id, by_row.path, by_row.entity_type) == (actor.id, WritePath.WEB, "plan")
    assert by_row.entity_id == "42"  # stored as text whatever the caller's key type
    assert (by_row.before, by_row.after) == ({"title": "旧"}, {"title": "新"})
    assert by_row.at.replace(tzinfo=dt.UTC) == AT
    by_id = _read_back(session, "probe_id")
    assert (by_id.user_id, by_id.path, by_id.entity_id) == (actor.id, WritePath.CLI, "P-1")
    assert (by_id.before, by_id.after) == (None, None)


def test_a_system_action_has_no_user_and_may_have_no_entity_id(session: Session) -> None:
    audit.record(
        session,
        user=None,
        path=WritePath.CATALOG,
        action="probe_system",
        entity_type="settings",
        entity_id=None,
        at=AT,
    )
    entry = _read_back(session, "probe_system")
    assert entry.user_id is None and entry.entity_id is None
    assert entry.path is WritePath.CATALOG
