"""Plain factory functions for tests: create_x(session, **overrides)."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import shutil
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import Table
from sqlalchemy.orm import Session

from service.config import PROJECT_ROOT
from service.db.models import User

if TYPE_CHECKING:
    from service.domain.catalog import Catalog

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CATALOGUED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # when the test databases' catalog is loaded


@functools.cache
def _parsed_catalog() -> Catalog:
    from service.domain.catalog import read_catalog

    return read_catalog(PROJECT_ROOT / "indicators")


def project_catalog() -> Catalog:
    """The project's catalog (``indicators/``) as ``read_catalog`` returns it, for tests that load it as a
    starting point. Its YAML takes seconds to parse, so it is parsed once per test process; each caller gets
    a deep copy of its own. (The catalog loader's own tests call ``read_catalog`` themselves.)"""
    return copy.deepcopy(_parsed_catalog())


def copy_catalog(dest: Path) -> Path:
    """A writable copy of the project's catalog, for tests that edit it."""
    target = dest / "indicators"
    shutil.copytree(PROJECT_ROOT / "indicators", target)
    return target


def edit_yaml(path: Path, edit: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def create_user(
    session: Session,
    *,
    username: str = "editor",
    role: str = "editor",
    regions: tuple[str, ...] = ("330421",),
) -> tuple[User, dict[str, str]]:
    """A user with an API token; returns (user, auth headers)."""
    from service.db.models import Role
    from service.domain import users

    user = users.create_user(session, username=username, role=Role(role), region_codes=list(regions), now=NOW)
    token = users.issue_token(session, user, now=NOW)
    session.commit()  # only a savepoint inside the test's rolled-back transaction
    return user, {"Authorization": f"Bearer {token}"}


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, typed as the Table it is (``Model.__table__`` is typed as a FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def num(value: Decimal | None) -> float:
    """A stored figure as a float (a stored figure that is missing fails the test here)."""
    assert value is not None, "no value stored"
    return float(value)
