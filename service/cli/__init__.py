"""The `yrdmon` command line. Shared helpers live here; the app is assembled in ``service.cli.main`` from
this package's modules (``users``, ``plans``, ``mail``), each of which imports only these helpers."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy import text as sql
from sqlalchemy.exc import SQLAlchemyError

from service.config import Settings, get_settings
from service.db.session import make_engine
from service.domain import texts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from service.db.models import User

__all__ = [
    "active_user",
    "fail",
    "fail_key",
    "in_transaction",
    "lang",
    "load_settings",
    "now",
    "open_database",
    "say",
    "set_lang",
    "text",
]

T = TypeVar("T")
LANGS = ("zh", "en")
_chosen: list[str] = []  # the --lang given to this run, if any


def set_lang(value: str | None) -> None:
    _chosen[:] = [value] if value else []


def lang() -> str:
    """The language of this run's messages: --lang, else YRDMON_LANG, else Chinese (users read Chinese first).
    An unknown YRDMON_LANG is reported in both languages."""
    if _chosen:
        return _chosen[0]
    value = os.environ.get("YRDMON_LANG", "").strip().lower() or "zh"
    if value not in LANGS:
        _chosen[:] = ["zh"]
        typer.secho(
            f"错误：YRDMON_LANG={value!r} 无效，应为 zh 或 en / error: YRDMON_LANG={value!r} "
            "should be zh or en",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    return value


def text(key: str, **params: Any) -> str:
    """A command-line text (texts.CLI_TEXTS) in this run's language."""
    zh, en = texts.CLI_TEXTS[key]
    return (en if lang() == "en" else zh).format(**params)


def say(key: str, *, err: bool = False, **params: Any) -> None:
    typer.echo(text(key, **params), err=err)


def fail(message: str | tuple[str, str]) -> NoReturn:
    """Exit 2 with a message in this run's language; a (zh, en) pair (a DomainError's) picks one."""
    if isinstance(message, tuple):
        message = message[1] if lang() == "en" else message[0]
    typer.secho(text("error", message=message), fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def fail_key(key: str, **params: Any) -> NoReturn:
    fail(text(key, **params))


def load_settings() -> Settings:
    try:
        get_settings.cache_clear()
        return get_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "YRDMON_" + str(err["loc"][0]).upper() if err["loc"] else "settings"
        fail(f"{name}: {err['msg']}")  # pydantic's own words, in English


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
            fail_key("var_dir", var=str(var), why=exc.strerror or exc)
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.connect() as conn:
            conn.execute(sql("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail_key("no_database", why=reason)
    return engine


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def in_transaction(work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction on the configured database; a domain error exits 2 with its
    message in this run's language (and, for a refused batch, each figure's reason)."""
    from service.db.session import make_sessionmaker, transaction
    from service.domain.errors import DomainError

    engine = open_database(load_settings())
    try:
        with transaction(make_sessionmaker(engine)) as session:
            return work(session)
    except DomainError as exc:
        for item in exc.details or []:
            if isinstance(item, dict) and "detail_en" in item:
                detail = text("problem", zh=item["detail_zh"], en=item["detail_en"])
                typer.echo(f"{item.get('observation_id', '')}: {detail}", err=True)
        fail((exc.zh, exc.en))
    finally:
        engine.dispose()


def active_user(session: Session, username: str) -> User:
    """The active user of that name with their regions, or exit 2 naming them."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from service.db.models import User

    user = session.scalar(select(User).where(User.username == username).options(selectinload(User.regions)))
    if user is None or not user.is_active:
        fail_key("unknown_or_disabled_user", username=repr(username))
    return user
