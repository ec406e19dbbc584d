"""Imports larger than one chunk: every row written once or none, a broken line late in a file refuses
the whole file, and the thread that checks rows ahead (PostgreSQL) never outlives the import."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import Observation, Region, Role, User, WritePath
from service.domain import observations
from service.domain.errors import Invalid
from service.domain.observations import CHUNK, ObservationInput, ingest
from service.domain.tabular import iter_file

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
ROWS = 2 * CHUNK + 17  # three chunks, the last one short


def admin(session: Session) -> User:
    user = User(username="importer", role=Role.ADMIN, created_at=NOW)
    session.add(user)
    session.flush()
    return user


LEVELS = ("gdp", "resident_population", "industrial_output")  # in the indicator's own unit


def figures(session: Session, rows: int) -> Iterator[tuple[str, str, int, str]]:
    """``rows`` distinct (indicator, region, year, value) of level indicators: every region, years back
    from 2025, values that change little from year to year (nothing for the plausibility checks)."""
    codes = session.scalars(
        select(Region.code).where(~Region.code.startswith("Z-")).order_by(Region.code)
    ).all()
    keys = ((ind, code, year) for ind in LEVELS for year in range(2025, 1949, -1) for code in codes)
    for n, (ind, code, year) in enumerate(itertools.islice(keys, rows)):
        yield ind, code, year, f"{1000 + (n % 7) * 0.5 + (year - 1949) * 0.01:.2f}"


def inputs(session: Session, rows: int) -> Iterator[ObservationInput]:
    """A generator, as a file gives them (not a list): the import cannot know its size in advance."""
    for n, (ind, region, year, value) in enumerate(figures(session, rows), start=2):
        yield ObservationInput(row=n, indicator=ind, region=region, period=year, value=value)


def written(session: Session, user: User) -> int:
    """The versions the importing user stored."""
    where = Observation.entered_by_id == user.id
    return session.scalar(select(func.count()).select_from(Observation).where(where)) or 0


def read_ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ingest-read-ahead"]


def test_a_batch_of_several_chunks_is_written_whole_and_reports_every_row(session: Session) -> None:
    user = admin(session)
    checked = ingest(session, user, inputs(session, ROWS), path=WritePath.CLI, now=NOW, dry_run=True)
    assert checked.counts["added"] == ROWS and not checked.applied
    result = ingest(session, user, inputs(session, ROWS), path=WritePath.CLI, now=NOW)
    assert result.applied and result.counts == checked.counts
    assert written(session, user) == ROWS
    # the rows kept for the report are the ones with problems past KEEP_ALL_ROWS; here none
    assert [r.row for r in result.rows] == [r.row for r in checked.rows]
    assert read_ahead_threads() == []


def test_a_refused_row_in_the_last_chunk_leaves_nothing_written(session: Session) -> None:
    user = admin(session)

    def with_a_bad_last_row() -> Iterator[ObservationInput]:
        yield from inputs(session, ROWS - 1)
        yield ObservationInput(
            row=ROWS + 1, indicator="gdp", region="无此地区", period=2024, value="1", unit="亿元"
        )

    result = ingest(session, user, with_a_bad_last_row(), path=WritePath.CLI, now=NOW)
    assert not result.applied and result.counts["rejected"] == 1
    assert [(r.row, r.problems[0].column) for r in result.rows if r.problems] == [(ROWS + 1, "region")]
    assert written(session, user) == 0
    assert read_ahead_threads() == []


def test_a_broken_line_late_in_a_file_refuses_the_file_with_its_line(
    session: Session, tmp_path: Path
) -> None:
    user = admin(session)
    path = tmp_path / "late.csv"
    lines = [f"{i},{r},{y},{v}" for i, r, y, v in figures(session, ROWS)]
    broken_at = len(lines) + 1  # the header is line 1; the last line's cell is beyond what CSV reads
    path.write_text(
        "indicator,region,period,value\n" + "\n".join(lines[:-1]) + f"\ngdp,310000,2024,{'9' * 200_000}\n",
        encoding="utf-8",
    )
    with pytest.raises(Invalid) as refused:
        ingest(session, user, iter_file(path), path=WritePath.CLI, now=NOW)
    assert str(broken_at) in refused.value.en and str(broken_at) in refused.value.zh
    assert written(session, user) == 0
    assert read_ahead_threads() == []


def test_the_read_ahead_hands_over_in_order_and_stops_with_its_consumer() -> None:
    closed = threading.Event()

    def numbers() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed.set()

    assert list(observations._read_ahead(numbers())) == list(range(1000))
    assert closed.is_set()

    closed.clear()
    ahead = observations._read_ahead(numbers(), depth=2)
    assert [next(ahead), next(ahead)] == [0, 1]
    ahead.close()  # the consumer gives up (a chunk failed): the producer stops and closes its source
    assert closed.wait(5) and read_ahead_threads() == []

    def failing() -> Iterator[int]:
        yield 1
        raise Invalid("第 3 行有误", "line 3 is wrong")

    got = observations._read_ahead(failing())
    assert next(got) == 1
    with pytest.raises(Invalid, match="line 3"):
        next(got)
    assert read_ahead_threads() == []
