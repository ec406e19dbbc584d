"""The real app on a test's session (``client_for``), and logging in through its form."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.api.deps import get_read_units, get_session, get_side_writes
from service.config import Settings
from service.db.models import Role
from service.domain import users
from service.main import create_app
from service.reports.engine import run_report
from tests.support.factories import NOW


@contextmanager
def client_for(session: Session, settings: Settings) -> Iterator[TestClient]:
    """The real app on the test's session (requests commit savepoints of its rolled-back transaction)."""
    app = create_app(settings, start_scheduler=False)

    def _session() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    @contextmanager
    def _side_unit() -> Iterator[Session]:
        with session.begin_nested():
            yield session

    app.dependency_overrides[get_session] = _session
    app.dependency_overrides[get_side_writes] = lambda: _side_unit
    app.dependency_overrides[get_read_units] = lambda: _side_unit
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def with_run(session: Session) -> None:
    run_report(session, as_of=dt.datetime.now(dt.UTC), now=dt.datetime.now(dt.UTC))
    session.commit()


def login(client: TestClient, session: Session, username: str, role: Role, regions: list[str]) -> str:
    users.create_user(
        session, username=username, role=role, region_codes=regions, password="pw-123456", now=NOW
    )
    session.commit()
    response = client.post(
        "/login",
        data={"username": username, "password": "pw-123456", "next": "/entry"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/entry"
    page = client.get("/entry?region=330421&year=2024")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
