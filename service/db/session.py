"""Engine and session factory; one transaction per request or job (see ``transaction``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def json_dumps(value: Any) -> str:
    """JSON columns' serializer: orjson (a report run writes 100,000s of metric documents; the
    standard library's encoder was a fifth of the run). Integer keys become strings, as with json."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


SQLITE_BEGIN = "yrdmon_sqlite_begin"
BUSY_TIMEOUT_SECONDS = 60


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_serializer", json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
            # SAVEPOINTs (nested transactions) work as on PostgreSQL.
            dbapi_connection.isolation_level = None
            cur = dbapi_connection.cursor()
            # WAL lets readers (web pages) go on while a writer (an import, a report run) works.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A unit of work that writes takes the write lock up front (BEGIN IMMEDIATE), waiting up
            # to the busy timeout for it. With a deferred BEGIN a transaction that had read would fail
            # at its first write ("database is locked", no waiting) whenever another writer had
            # committed since its snapshot. Readers stay deferred and never block anyone (WAL).
            conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(SQLITE_BEGIN, 'DEFERRED')}")

        return engine
    # No server-side prepared statements: psycopg prepares a query after 5 runs and PostgreSQL may then
    # switch to a generic plan; for the ingest's per-chunk lookup (IN lists of ids) that plan walked
    # every row of the import so far, 15x slower than a plan made for the actual values.
    connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def make_sessionmaker(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions for units of work that write (the default) or only read.

    On SQLite a writing unit of work begins IMMEDIATE: writers queue for the lock (up to the busy
    timeout) instead of failing, and a write never meets a stale snapshot. Read-only units (pages,
    GET requests) must not write; on PostgreSQL both are the same.
    """
    if write and engine.dialect.name == "sqlite":
        engine = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The unit of work: commits on success, rolls back on any error. Domain code only flushes."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
