"""Engine and session factory; one transaction per request or job (see ``transaction``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker


def json_dumps(value: Any) -> str:
    """JSON columns' serializer: orjson (a report run writes 100,000s of metric documents; the
    standard library's encoder was a fifth of the run). Integer keys become strings, as with json."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_serializer", json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

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
            conn.exec_driver_sql("BEGIN")

        return engine
    # No server-side prepared statements: psycopg prepares a query after 5 runs and PostgreSQL may then
    # switch to a generic plan; for the ingest's per-chunk lookup (IN lists of ids) that plan walked
    # every row of the import so far, 15x slower than a plan made for the actual values.
    connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
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


@contextmanager
def write_if_free(session: Session) -> Iterator[None]:
    """Optional bookkeeping writes (a "last seen" time) that are skipped rather than waited for.

    On SQLite a transaction that has read cannot start writing while another process writes (it would
    wait up to the busy timeout, behind a whole report run) nor after one has committed ("database is
    locked" at once). Inside this block SQLite does not wait, and a refused write is rolled back to a
    savepoint, leaving the request's own work intact."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    waited = session.execute(text("PRAGMA busy_timeout")).scalar() if sqlite else None
    try:
        if sqlite:
            session.execute(text("PRAGMA busy_timeout = 0"))
        with session.begin_nested():
            yield
    except OperationalError:
        pass
    finally:
        if sqlite:
            session.execute(text(f"PRAGMA busy_timeout = {int(waited or 0)}"))
