"""Committed changes that report runs have not yet covered.

A write (figures imported, the catalog changed) adds a ``DataChange`` row in its own transaction; a
report run as of now reads the rows first, takes "now" after that, and deletes exactly the rows it
read when it commits. A change that commits while a run is going on keeps its row and causes the
next run; nothing depends on clocks or on the order in which transactions started.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.db.models import DataChange

DELETE_CHUNK = 1000


def record(
    session: Session,
    kind: str,
    *,
    now: dt.datetime,
    batch_id: int | None = None,
    indicator_ids: Iterable[int] | None = None,
) -> None:
    session.add(
        DataChange(
            at=now,
            kind=kind,
            batch_id=batch_id,
            indicator_ids=sorted(set(indicator_ids)) if indicator_ids is not None else None,
        )
    )


def pending_ids(session: Session) -> list[int]:
    return list(session.scalars(select(DataChange.id).order_by(DataChange.id)))


def newest_pending(session: Session) -> tuple[int, dt.datetime | None]:
    """How many changes wait for a run, and when the newest was made."""
    count, newest = session.execute(select(func.count(DataChange.id), func.max(DataChange.at))).one()
    if newest is not None and newest.tzinfo is None:
        newest = newest.replace(tzinfo=dt.UTC)
    return count, newest


def mark_covered(session: Session, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), DELETE_CHUNK):
        session.execute(
            delete(DataChange)
            .where(DataChange.id.in_(ids[start : start + DELETE_CHUNK]))
            .execution_options(synchronize_session=False)
        )
