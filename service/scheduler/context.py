"""What scheduled jobs reach the database through: the context the scheduler runner installs while it
holds the lease. Its own module, below both the scheduler's job list (``jobs``) and the e-mail jobs
(``notify_jobs``), so neither imports the other to find it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.db.session import transaction
from service.scheduler import lease


@dataclass
class JobContext:
    """What jobs reach the database through: the sessions, the settings, and the lease they run under
    (holder and epoch: the fencing token every job's transaction checks before it commits)."""

    sessions: sessionmaker[Session]
    settings: Settings
    holder: str | None = None
    epoch: int | None = None
    read_sessions: sessionmaker[Session] | None = None  # for checks that only read (no write lock on SQLite)

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """A job's unit of work: commits only if the lease is still this process's at its epoch."""
        with transaction(self.sessions) as session:
            yield session
            if self.holder is not None and self.epoch is not None:
                lease.assert_held(session, self.holder, self.epoch, now=dt.datetime.now(dt.UTC))


_context: JobContext | None = None


def install_context(context: JobContext | None) -> None:
    global _context
    _context = context


def context() -> JobContext:
    if _context is None:
        raise RuntimeError("job context not installed (jobs run inside SchedulerRunner)")
    return _context
