"""The scheduled jobs. Each job is idempotent and opens its own transaction.

Jobs are module-level functions (APScheduler stores them by reference in the database job store).
Later work registers the report runs and e-mail jobs in ``JOBS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.base import BaseScheduler

from service.config import Settings


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[..., Any]
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)


def job_specs(settings: Settings) -> list[JobSpec]:
    """The jobs this service schedules; extended as features land."""
    return []


def register(scheduler: BaseScheduler, specs: list[JobSpec]) -> None:
    wanted = {s.id for s in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for s in specs:
        scheduler.add_job(s.func, s.trigger, id=s.id, replace_existing=True, **s.trigger_args)
