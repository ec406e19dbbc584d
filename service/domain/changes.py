"""Committed changes that report runs have not yet covered.

A write (figures imported, the catalog changed) adds a ``DataChange`` row in its own transaction; a
report run as of now reads the rows first, takes "now" after that, and deletes exactly the rows it
read when it commits. A change that commits while a run is going on keeps its row and causes the
next run; nothing depends on clocks or on the order in which transactions started.

A change that names the series it touched (``series``: (indicator_id, region_id) pairs) lets the
scheduler reassess only the targets those series feed (``service.reports.engine.run_incremental``);
a change without them (the catalog changed, a very large import) calls for a full run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.db.models import DataChange

DELETE_CHUNK = 1000
# beyond this many series a change is stored without them: a run of everything is then the cheaper way
SERIES_LIMIT = 20_000


class Pending(NamedTuple):
    id: int
    kind: str
    series: list[tuple[int, int]] | None  # None: not known, so any target may have changed
    at: dt.datetime


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def record(
    session: Session,
    kind: str,
    *,
    now: dt.datetime,
    batch_id: int | None = None,
    indicator_ids: Iterable[int] | None = None,
    series: Iterable[tuple[int, int]] | None = None,
) -> None:
    pairs = sorted(set(series)) if series is not None else None
    session.add(
        DataChange(
            at=now,
            kind=kind,
            batch_id=batch_id,
            indicator_ids=sorted(set(indicator_ids)) if indicator_ids is not None else None,
            series=[list(p) for p in pairs] if pairs is not None and len(pairs) <= SERIES_LIMIT else None,
        )
    )


def pending(session: Session) -> list[Pending]:
    """The waiting changes, oldest first, with the series each touched (if known)."""
    rows = session.execute(
        select(DataChange.id, DataChange.kind, DataChange.series, DataChange.at).order_by(DataChange.id)
    )
    return [
        Pending(i, kind, None if series is None else [(int(a), int(b)) for a, b in series], _utc(at))
        for i, kind, series, at in rows
    ]


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
