"""Fixtures the notification tests share: an outbox database of the kind under test, and the command
line's environment on a prepared database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from service.config import get_settings
from service.db.models import DeliveryLog, OutboxMessage
from service.db.session import make_engine, make_sessionmaker, transaction
from tests.support.databases import PreparedDatabases

Outbox = tuple[str, Engine, sessionmaker[Session]]  # a database URL, its engine and sessions


@pytest.fixture(scope="module")
def outbox_db(
    prepared: PreparedDatabases, db_kind: str
) -> Iterator[tuple[str, Engine, sessionmaker[Session]]]:
    url = prepared.migrated(db_kind)  # empty, at the newest schema
    engine = make_engine(url)
    yield url, engine, make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def outbox(outbox_db: Outbox) -> tuple[str, Engine, sessionmaker[Session]]:
    sessions = outbox_db[2]
    with transaction(sessions) as s:
        s.execute(delete(DeliveryLog))
        s.execute(delete(OutboxMessage))
    return outbox_db


@pytest.fixture
def cli_env(
    prepared: PreparedDatabases, db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    url = prepared.catalogued(db_kind)
    env = {
        "YRDMON_DATABASE_URL": url,
        "YRDMON_VAR_DIR": str(tmp_path),
        "YRDMON_SECRET_KEY": "cli-test-key",
        "YRDMON_BASE_URL": "https://yrdmon.test",
        "YRDMON_MAIL_FROM": "yrdmon@yrdmon.test",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    yield env
    get_settings.cache_clear()  # the command line cached these settings
