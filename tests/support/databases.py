"""Databases prepared once per test session and copied for each test that needs one of its own.

``yrdmon init`` (migrations and the catalog) and a first ``yrdmon report run`` take seconds per database;
a copy takes a fraction of that: a SQLite database is one file, and PostgreSQL makes a new database from
a template by copying its files (``CREATE DATABASE x TEMPLATE y``). Each copy is the database's own, so
tests that write stay independent of each other.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.support.cli import run
from tests.support.pgcluster import PgCluster

SQLITE = "sqlite:///"


class PreparedDatabases:
    def __init__(self, root: Path, cluster: Callable[[], PgCluster]) -> None:
        self.root = root
        self._cluster = cluster
        self._counter = itertools.count(1)
        self._templates: dict[tuple[str, str], str] = {}
        self.init_output: dict[str, str] = {}  # what `yrdmon init` printed when it made the template

    def empty(self, kind: str, name: str | None = None) -> str:
        """A new, empty database of ``kind`` ("sqlite" or "postgresql")."""
        name = name or f"yrdmon_copy_{next(self._counter)}"
        if kind == "sqlite":
            return f"{SQLITE}{self.root / (name + '.sqlite3')}"
        return self._cluster().create_database(name)

    def template(self, kind: str, name: str, build: Callable[[str], None], base: str | None = None) -> str:
        """The URL of a database that ``build(url)`` prepared (starting from a copy of the template ``base``
        if given, else from an empty database), built once per kind and name. Never open it (PostgreSQL
        copies only a template nobody is connected to): take copies with ``copy``."""
        key = (kind, name)
        if key not in self._templates:
            label = f"yrdmon_template_{name.replace('-', '_')}"
            url = self.copy(base, label) if base else self.empty(kind, label)
            build(url)
            self._templates[key] = url
        return self._templates[key]

    def copy(self, template_url: str, name: str | None = None) -> str:
        """A new database holding what the template holds."""
        name = name or f"yrdmon_copy_{next(self._counter)}"
        if template_url.startswith(SQLITE):
            source = Path(template_url.removeprefix(SQLITE))
            target = self.root / f"{name}.sqlite3"
            shutil.copyfile(source, target)
            for suffix in ("-wal", "-shm"):  # left only by a writer that did not close; copied alike
                if Path(f"{source}{suffix}").exists():
                    shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
            return f"{SQLITE}{target}"
        return self._cluster().create_database(name, template=template_url.rsplit("/", 1)[1])

    def init_template(self, kind: str) -> str:
        def build(url: str) -> None:
            with tempfile.TemporaryDirectory() as cwd:
                self.init_output[kind] = run(["init"], {"YRDMON_DATABASE_URL": url}, Path(cwd)).stdout

        return self.template(kind, "init", build)

    def migrated_template(self, kind: str) -> str:
        """The template of an empty database at the newest schema (migrated once per kind)."""
        from service.db.migrate import upgrade_to_head
        from service.db.session import make_engine

        def build(url: str) -> None:
            engine = make_engine(url)
            upgrade_to_head(engine)
            engine.dispose()

        return self.template(kind, "migrated", build)

    def migrated(self, kind: str) -> str:
        """A copy of an empty database at the newest schema (what ``upgrade_to_head`` leaves)."""
        return self.copy(self.migrated_template(kind))

    def catalogued(self, kind: str, now: dt.datetime | None = None) -> str:
        """A copy of a database migrated in-process with the catalog from ``indicators/`` loaded as of ``now``
        (``CATALOGUED`` unless given), for tests whose work commits. One template per kind and ``now``."""
        from service.db.session import make_engine, make_sessionmaker, transaction
        from service.domain.catalog import apply_catalog
        from tests.support.factories import CATALOGUED, project_catalog

        at = now or CATALOGUED

        def build(url: str) -> None:
            engine = make_engine(url)
            with transaction(make_sessionmaker(engine)) as session:
                apply_catalog(session, project_catalog(), now=at)
            engine.dispose()

        name = "catalog" if at == CATALOGUED else f"catalog-{at:%Y%m%d%H%M%S}"
        return self.copy(self.template(kind, name, build, base=self.migrated_template(kind)))

    def initialised(self, kind: str) -> str:
        """A copy of a database as ``yrdmon init`` leaves it (migrated, catalog loaded, no report run)."""
        return self.copy(self.init_template(kind))

    def reported(self, kind: str) -> str:
        """A copy of a database after ``yrdmon init`` and ``yrdmon report run`` (as ``make run`` leaves it)."""

        def build(url: str) -> None:
            with tempfile.TemporaryDirectory() as cwd:
                run(["report", "run"], {"YRDMON_DATABASE_URL": url}, Path(cwd))

        return self.copy(self.template(kind, "reported", build, base=self.init_template(kind)))
