"""The `yrdmon` command line. Shared helpers live here; the app is assembled in ``service.cli.main`` from
this package's modules (``users``, ``plans``, ``mail``), each of which imports only these helpers."""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from service.config import Settings, get_settings
from service.db.session import make_engine

__all__ = ["fail", "load_settings", "now", "open_database"]


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
