"""What was known as of a date: the one owner of every "as of" rule (METHODOLOGY.md, "Vintages").

Every figure has two clocks: ``published_on``, when its source made it public (a plan baseline: the
plan's issue date; unknown: NULL, and then the time this service recorded it stands in), and
``reported_at``, when this service recorded it. A vintage is a pair (``as_of``, ``recorded_until``):
a figure belongs to it when it had been *published* by ``as_of`` and *recorded* by ``recorded_until``
(a run's recording cut-off, "now" for a run made now). Among the versions of one figure that belong
to it, the later-recorded one counts (a correction). Reading the same vintage again, after any number
of back-dated entries, gives the same figures: whatever is recorded later is beyond the cut-off.

A target version is in force as of D from its plan's issue date (its first version) or from when it
was recorded (later versions), up to its replacement; only versions recorded by the cut-off count.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from service.db.models import Observation, Plan, ReportRun, Target

_PERIOD = re.compile(r"^\s*(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?)?\s*$")


def period_end(text: object) -> dt.date | None:
    """The last day of a stated period: '2019' -> 2019-12-31, '2023-07' -> 2023-07-31, a full date
    itself (also 2024/3/4, 2024年3月4日, a date or datetime). None when it is not such a period; a
    plan or source dated only by year or month counts as public from the end of it (conservative)."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    if text is None:
        return None
    m = _PERIOD.match(str(text))
    if m is None:
        return None
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if month is None:
            return dt.date(year, 12, 31)
        if day is None:
            return dt.date(year, int(month), calendar.monthrange(year, int(month))[1])
        return dt.date(year, int(month), int(day))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Vintage:
    """What counts as known: published by ``as_of`` and recorded by ``recorded_until``."""

    as_of: dt.datetime
    recorded_until: dt.datetime

    @classmethod
    def now(cls, now: dt.datetime) -> Vintage:
        return cls(now, now)

    @classmethod
    def of_run(cls, run: ReportRun) -> Vintage:
        return cls(run.as_of, run.recorded_until or run.started_at)

    def observations(self) -> Any:
        """The SQL condition on ``Observation``: the versions that belong to this vintage."""
        published_by = self.as_of.astimezone(dt.UTC).date()
        return and_(
            Observation.reported_at <= self.recorded_until,
            or_(
                Observation.published_on <= published_by,
                and_(Observation.published_on.is_(None), Observation.reported_at <= self.as_of),
            ),
        )

    def targets(self, session: Session) -> Any:
        """The SQL condition on ``Target``: the versions in force as of ``as_of`` (recorded by the
        cut-off). A first version counts from its plan's issue date where that is known."""
        published_by = self.as_of.astimezone(dt.UTC).date()
        dated: list[int] = []
        issued: list[int] = []
        for pid, text in session.execute(select(Plan.id, Plan.issued)):
            day = period_end(text)
            if day is not None:
                dated.append(pid)
                if day <= published_by:
                    issued.append(pid)
        first_of_dated = and_(Target.version == 1, Target.plan_id.in_(dated))
        return and_(
            Target.valid_from <= self.recorded_until,
            or_(
                and_(Target.version == 1, Target.plan_id.in_(issued)),
                and_(not_(first_of_dated), Target.valid_from <= self.as_of),
            ),
            or_(
                Target.valid_to.is_(None),
                Target.valid_to > self.as_of,
                Target.valid_to > self.recorded_until,
            ),
        )


def recorded_by(now: dt.datetime) -> Any:
    """The SQL condition on ``Observation``: every version recorded by ``now``, whatever its
    publication date (the history as stored: what ingestion compares a new row with)."""
    return Observation.reported_at <= now


def published_date(obs: Observation) -> tuple[dt.date, bool]:
    """When a figure counts as public, and whether that is its known publication date (False: the
    date it was recorded stands in)."""
    if obs.published_on is not None:
        return obs.published_on, True
    return obs.reported_at.astimezone(dt.UTC).date(), False


def is_current(run: ReportRun) -> bool:
    """A run as of the day it was computed, or later (the live view), not a snapshot of a past date.

    Compared by UTC day: ``as_of`` taken a moment before the run started is still "now"."""
    cutoff = run.recorded_until or run.started_at
    return run.as_of.astimezone(dt.UTC).date() >= cutoff.astimezone(dt.UTC).date()
