"""Databases prepared once per test session and copied for each test that needs one of its own.

``yrdmon init`` (migrations and the catalog) and a first ``yrdmon report run`` take seconds per database;
a copy takes a fraction of that: a SQLite database is one file, and PostgreSQL makes a new database from
a template by copying its files (``CREATE DATABASE x TEMPLATE y``). Each copy is the database's own, so
tests that write stay independent of each other.
"""

from __future__ import annotations

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

    def catalogued(self, kind: str) -> str:
        """A copy of a database migrated in-process with the catalog loaded as of ``CATALOGUED`` (what
        ``factories.new_database`` makes), for tests whose work commits."""
        from tests.support.factories import new_database

        return self.copy(self.template(kind, "catalog", lambda url: new_database(url).dispose()))

    def initialised(self, kind: str) -> str:
        """A copy of a database as ``yrdmon init`` leaves it (migrated, catalog loaded, no report run)."""
        return self.copy(self.init_template(kind))

    def reported(self, kind: str) -> str:
        """A copy of a database after ``yrdmon init`` and ``yrdmon report run`` (as ``make run`` leaves it)."""

        def build(url: str) -> None:
            with tempfile.TemporaryDirectory() as cwd:
                run(["report", "run"], {"YRDMON_DATABASE_URL": url}, Path(cwd))

        return self.copy(self.template(kind, "reported", build, base=self.init_template(kind)))
