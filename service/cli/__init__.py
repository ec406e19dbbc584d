"""The `yrdmon` command line. Shared helpers live here; the app is assembled in ``service.cli.main`` from
this package's modules (``users``, ``plans``, ``mail``), each of which imports only these helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from service.config import Settings, get_settings
from service.db.session import make_engine

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from service.db.models import User

__all__ = ["active_user", "fail", "in_transaction", "load_settings", "now", "open_database"]

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def load_settings() -> Settings:
    try:
        get_settings.cache_clear()
        return get_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "YRDMON_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
        fail(f"{name}: {err['msg']}")


def open_database(settings: Settings) -> Engine:
    """An engine that has been shown to connect, or a one-line error naming the setting."""
    if not settings.database_url:
        var = settings.var_dir
        try:
            var.mkdir(parents=True, exist_ok=True)
            probe = var / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            fail(f"YRDMON_VAR_DIR: directory {str(var)!r} is not writable ({exc.strerror or exc})")
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"YRDMON_DATABASE_URL: cannot connect to the database ({reason})")
    return engine


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def in_transaction(work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction on the configured database; a domain error exits 2 with its
    Chinese and English message (and, for a refused batch, each figure's reason)."""
    from service.db.session import make_sessionmaker, transaction
    from service.domain.errors import DomainError

    engine = open_database(load_settings())
    try:
        with transaction(make_sessionmaker(engine)) as session:
            return work(session)
    except DomainError as exc:
        for item in exc.details or []:
            if isinstance(item, dict) and "detail_en" in item:
                typer.echo(
                    f"{item.get('observation_id', '')}: {item['detail_en']} / {item['detail_zh']}", err=True
                )
        fail(f"{exc.zh} / {exc.en}")
    finally:
        engine.dispose()


def active_user(session: Session, username: str) -> User:
    """The active user of that name with their regions, or exit 2 naming them."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from service.db.models import User

    user = session.scalar(select(User).where(User.username == username).options(selectinload(User.regions)))
    if user is None or not user.is_active:
        fail(f"未知或已停用的用户 {username!r} / unknown or disabled user {username!r}")
    return user
