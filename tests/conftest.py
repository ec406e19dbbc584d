"""Test fixtures: the same suite runs on a SQLite file and on a real PostgreSQL server.

Migrations run once per database per test session (never create_all); the catalog in indicators/
is loaded once; each test runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.config import PROJECT_ROOT, Settings
from service.db.session import make_engine
from tests.support import IN_CI
from tests.support.browser import chromium
from tests.support.databases import PreparedDatabases
from tests.support.pgcluster import PgCluster, find_bin_dir
from tests.support.web import client_for

# The command line speaks Chinese unless told otherwise (--lang / YRDMON_LANG); the tests written against
# its English messages run it in English, and tests/test_cli.py checks both languages explicitly.
os.environ.setdefault("YRDMON_LANG", "en")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("YRDMON_TEST_DB", "both"),
        choices=["sqlite", "postgresql", "both"],
        help="which database(s) the database tests run on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_kind" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--db")
        kinds = ["sqlite", "postgresql"] if choice == "both" else [choice]
        metafunc.parametrize("db_kind", kinds, scope="session")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL server binaries not found (install Debian's postgresql or set YRDMON_PG_BIN)"
        if IN_CI:
            pytest.fail(message + "; CI requires the PostgreSQL run", pytrace=False)
        pytest.skip(message)
    cluster = PgCluster(bin_dir).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def fresh_db_url(
    request: pytest.FixtureRequest, db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], str]:
    """A factory of new, empty databases of the kind under test."""
    counter = iter(range(1, 10_000))

    def make() -> str:
        n = next(counter)
        if db_kind == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / f'test{n}.sqlite3'}"
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        return cluster.create_database(f"yrdmon_test_{n}")

    return make


@pytest.fixture(scope="session")
def prepared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> PreparedDatabases:
    """Databases as `yrdmon init` (and a first `yrdmon report run`) leave them, made once per kind and
    copied for each caller: ``prepared.initialised(kind)``, ``prepared.reported(kind)``."""
    return PreparedDatabases(
        tmp_path_factory.mktemp("prepared"), lambda: request.getfixturevalue("pg_cluster")
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's) per test module."""
    yield from chromium()


@pytest.fixture(scope="session")
def db_url(prepared: PreparedDatabases, db_kind: str) -> str:
    """The suite's shared database: migrated, with the catalog loaded as of ``CATALOGUED`` (a copy of the
    prepared template that other fixtures copy too)."""
    return prepared.catalogued(db_kind)


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test; commits inside become savepoints."""
    connection = engine.connect()
    outer = connection.begin()
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def client(engine: Engine, session: Session, db_url: str) -> Iterator[TestClient]:
    with client_for(session, Settings(database_url=db_url)) as c:
        yield c


def _shared_dir(variable: str, name: str, what: str) -> Path:
    """A folder of plan documents next to the repository (../shared/NAME), or where VARIABLE says."""
    env = os.environ.get(variable)
    path = Path(env) if env else PROJECT_ROOT.parent / "shared" / name
    if not path.is_dir():
        if IN_CI:
            pytest.fail(f"{what} not found at {path} (set {variable})", pytrace=False)
        pytest.skip(f"{what} not found at {path}")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The older plans' documents (../shared/seeds, or YRDMON_SEEDS_DIR)."""
    return _shared_dir("YRDMON_SEEDS_DIR", "seeds", "seed documents")


@pytest.fixture(scope="session")
def plans_dir() -> Path:
    """The 十五五 plans' documents (../shared/plans, or YRDMON_PLANS_DIR)."""
    return _shared_dir("YRDMON_PLANS_DIR", "plans", "plan documents")
