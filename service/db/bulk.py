"""Bulk inserts through the database's own fast path, inside the caller's transaction.

SQLAlchemy's Core ``insert`` costs several microseconds per row in parameter handling; for a
million-row import that is most of the time. Here the column types' own bind processors are applied
(so the stored values are exactly what SQLAlchemy would store) and the rows go to the driver in one
``executemany`` (SQLite) or one ``COPY ... FROM STDIN`` (PostgreSQL, psycopg 3).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table

MEMO_LIMIT = 64
_MISSING = object()


def _processors(conn: Connection, table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    dialect = conn.dialect
    procs: list[Callable[[Any], Any] | None] = []
    for name in columns:
        proc = table.c[name].type._cached_bind_processor(dialect)
        procs.append(proc)
    return procs


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    ready: Collection[str] = (),
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``; returns the number inserted.

    ``ready`` names columns whose values are already in the driver's form (e.g. JSON text made with
    ``service.db.session.json_dumps``, the engine's own serializer), which are passed through as they
    are. Runs on the connection's current transaction (and savepoint): nothing is committed here.
    """
    procs = [
        None if name in ready else p
        for name, p in zip(columns, _processors(conn, table, columns), strict=True)
    ]
    # (column index, processor, memo): a column of few distinct values (status, timestamp of the batch)
    # is converted once per value; the memo is dropped once a column shows many distinct values
    active: list[tuple[int, Callable[[Any], Any], dict[Any, Any] | None]] = [
        (i, p, {}) for i, p in enumerate(procs) if p is not None
    ]
    if active:

        def prepared() -> Iterable[Sequence[Any]]:
            for row in rows:
                out = list(row)
                for n, (i, proc, memo) in enumerate(active):
                    value = out[i]
                    if value is None:
                        continue
                    if memo is None:
                        out[i] = proc(value)
                        continue
                    try:
                        done = memo.get(value, _MISSING)
                    except TypeError:  # unhashable (a JSON document): never memoised
                        active[n] = (i, proc, None)
                        out[i] = proc(value)
                        continue
                    if done is _MISSING:
                        done = memo[value] = proc(value)
                        if len(memo) > MEMO_LIMIT:
                            active[n] = (i, proc, None)
                    out[i] = done
                yield out

        values: Iterable[Sequence[Any]] = prepared()
    else:
        values = rows
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    count = 0
    try:
        if conn.dialect.name == "postgresql":
            sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in values:
                    copy.write_row(row)
                    count += 1
        else:
            batch = list(values)
            placeholders = ", ".join("?" for _ in columns)
            cursor.executemany(
                f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})", batch
            )
            count = len(batch)
    finally:
        cursor.close()
    return count
