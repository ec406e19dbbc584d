"""The bulk write path (executemany / COPY) stores exactly what the ORM would, inside the open transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from service.db.bulk import MEMO_LIMIT, bulk_insert
from service.db.models import Indicator, Observation, ObservationStatus, Qualifier, Region
from tests.support.factories import table_of

COLUMNS = ("indicator_id", "region_id", "period", "value", "status", "qualifier", "reported_at", "note",
           "series_break")  # fmt: skip


def test_rows_read_back_as_written_and_roll_back_with_the_transaction(session) -> None:  # type: ignore[no-untyped-def]
    ind = session.scalar(select(Indicator).where(Indicator.code == "gdp"))
    reg = session.scalar(select(Region).where(Region.code == "330421"))
    at = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    # more distinct values than the memo keeps, so both the memoised and the direct conversion run
    rows = [
        (ind.id, reg.id, 1900 + n, Decimal(n) / 3 if n % 7 else None,
         ObservationStatus.PRELIMINARY if n % 2 else ObservationStatus.FINAL, Qualifier.EXACT, at,
         "说明 <b>'x'</b>" if n == 5 else None, n == 3)
        for n in range(MEMO_LIMIT * 2)
    ]  # fmt: skip
    savepoint = session.begin_nested()
    assert bulk_insert(session.connection(), table_of(Observation), COLUMNS, rows) == len(rows)
    stored = {
        o.period: o
        for o in session.scalars(
            select(Observation).where(Observation.region_id == reg.id, Observation.period < 2100)
        )
        if o.period >= 1900
    }
    assert len(stored) == len(rows)
    for row in rows:
        obs = stored[row[2]]
        assert obs.value == (None if row[3] is None else row[3].quantize(Decimal("1e-8")))
        assert obs.status is row[4] and obs.qualifier is Qualifier.EXACT
        assert obs.reported_at == at and obs.reported_at.utcoffset() == dt.timedelta(0)
        assert obs.note == row[7] and obs.series_break is row[8]
    savepoint.rollback()
    assert session.scalar(select(Observation.id).where(Observation.period == 1905)) is None
