"""The audit log: one way to write an entry.

Every change the service makes on someone's behalf (or on its own, for the catalog files and the
scheduler) leaves one `AuditEntry` in the same transaction as the change. Callers say who acted, through
which path, what they did to which entity, and the state before and after; this module turns that into
the row. Reading the log back is the audit API's business (`api/audit.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from service.db.models import AuditEntry, User, WritePath


def record(
    session: Session,
    *,
    user: User | int | None,
    path: WritePath,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: dt.datetime,
) -> AuditEntry:
    """Add one audit entry to the session (flushed with the change it records) and return it.

    `user` is the acting user or their id; None for what the service does by itself (the catalog
    files, scheduled jobs, a recipient's unsubscribe link). `at` is the unit of work's `now`, so
    the entry carries the same instant as the rows it describes.
    """
    entry = AuditEntry(
        at=at,
        user_id=user.id if isinstance(user, User) else user,
        path=path,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry
