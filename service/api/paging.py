"""One page of a list: the ``Page`` response type every paged route declares, and ``paginate``, which
counts and slices in SQL (a page never loads the whole list)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """``items`` from ``offset``, at most ``limit`` of them, out of ``total``."""

    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(
    session: Session, stmt: Select[Any], *, limit: int, offset: int
) -> tuple[Sequence[Row[Any]], int]:
    """The rows of ``stmt`` (ordered by the caller) from ``offset``, at most ``limit``, and how many rows
    ``stmt`` has in all: both answered by the database."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return rows, total
