"""Runs APScheduler 3 (job store in the service's database) only while holding the lease."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from service.config import Settings
from service.db.session import make_sessionmaker, transaction
from service.scheduler import jobs, lease

log = logging.getLogger("yrdmon.scheduler")


class SchedulerRunner:
    def __init__(self, settings: Settings, engine: Engine, specs: list[jobs.JobSpec] | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = make_sessionmaker(engine)
        self.specs = jobs.job_specs(settings) if specs is None else specs
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ttl = dt.timedelta(seconds=settings.scheduler_lease_seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.context: jobs.JobContext | None = None

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    def _make_scheduler(self) -> BackgroundScheduler:
        return BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename="apscheduler_jobs")},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=dt.UTC,
        )

    def tick(self) -> bool:
        """Renew or take the lease once and start or stop the scheduler to match; returns leadership."""
        now = dt.datetime.now(dt.UTC)
        try:
            with transaction(self.sessions) as session:
                epoch = lease.try_acquire(session, self.holder, now=now, ttl=self.ttl)
        except Exception:  # a database hiccup: act as if the lease was lost, retry next tick
            log.exception("lease renewal failed")
            epoch = None
        held = epoch is not None
        if held and self.scheduler is not None and self.context is not None and self.context.epoch != epoch:
            # the lease ran out and was taken again (by us): jobs started under the old epoch are
            # fenced off; new ones run under the new epoch
            log.warning("scheduler lease of %s renewed under a new epoch %s", self.holder, epoch)
            self.context.epoch = epoch
        if held and self.scheduler is None:
            log.info("scheduler lease taken by %s (epoch %s); starting jobs", self.holder, epoch)
            self.context = jobs.JobContext(
                self.sessions,
                self.settings,
                holder=self.holder,
                epoch=epoch,
                read_sessions=make_sessionmaker(self.engine, write=False),
            )
            jobs.install_context(self.context)
            try:
                with self.context.unit() as session:
                    adopted = jobs.adopt_moved_jobs(session)
                if adopted:
                    log.info("stored jobs %s adopted under the module they moved to", adopted)
            except Exception:  # never keeps the scheduler from starting: such jobs are then rescheduled
                log.exception("stored jobs of moved modules could not be adopted")
            self.scheduler = self._make_scheduler()
            self.scheduler.start(paused=True)
            jobs.register(self.scheduler, self.specs)
            self.scheduler.resume()
        elif not held and self.scheduler is not None:
            log.warning("scheduler lease lost by %s; stopping jobs", self.holder)
            if self.context is not None:
                self.context.epoch = -1  # whatever is still running commits nothing
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        return held

    def _loop(self) -> None:
        interval = max(self.ttl.total_seconds() / 3, 0.2)
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="yrdmon-lease", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        self._loop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        try:
            with transaction(self.sessions) as session:
                lease.release(session, self.holder, now=dt.datetime.now(dt.UTC))
        except Exception:
            log.exception("could not release the scheduler lease")
