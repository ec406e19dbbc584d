"""What was known as of a date: the one owner of every "as of" rule (METHODOLOGY.md, "Vintages").

Every figure has two clocks: ``published_on``, when its source made it public (a plan baseline: the
plan's issue date; unknown: NULL, and then the time this service recorded it stands in), and
``reported_at``, when this service recorded it. A vintage is a pair (``as_of``, ``recorded_until``):
a figure belongs to it when it had been *published* by ``as_of`` and *recorded* by ``recorded_until``
(a run's recording cut-off, "now" for a run made now). Among the versions of one figure that belong
to it, the later-recorded one counts (a correction). Reading the same vintage again, after any number
of back-dated entries, gives the same figures: whatever is recorded later is beyond the cut-off.

Where figures are reviewed (数据审核, see service.domain.review), a vintage also says which view it
takes: ``official`` counts only the versions approved by the cut-off (the approval's time is part of
the record, like ``reported_at``), ``provisional`` also the first submissions still under review (a
correction of an approved figure never displaces it before approval); versions with no review step
(entered while review was off) count in both. ``None``: review off, every version counts.

A target version is in force as of D from its plan's issue date (its first version) or from when it
was recorded (later versions), up to its replacement; only versions recorded by the cut-off count.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import Session, aliased

from service.db.models import Observation, ObservationReview, Plan, ReportRun, ReviewState, Target
from service.domain.errors import Invalid
from service.domain.review_policy import policy

OFFICIAL, PROVISIONAL = "official", "provisional"
VIEWS = (OFFICIAL, PROVISIONAL)

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
    review: str | None = None  # official | provisional; None: review off, every version counts

    @classmethod
    def now(cls, now: dt.datetime, review: str | None = None) -> Vintage:
        return cls(now, now, review)

    @classmethod
    def of_run(cls, run: ReportRun) -> Vintage:
        return cls(run.as_of, run.recorded_until or run.started_at, run.review_view)

    def observations(self) -> Any:
        """The SQL condition on ``Observation``: the versions that belong to this vintage."""
        published_by = self.as_of.astimezone(dt.UTC).date()
        known = and_(
            Observation.reported_at <= self.recorded_until,
            or_(
                Observation.published_on <= published_by,
                and_(Observation.published_on.is_(None), Observation.reported_at <= self.as_of),
            ),
        )
        if self.review is None:
            return known
        return and_(known, reviewed(self.review, self.recorded_until))

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


def reviewed(view: str, cutoff: dt.datetime) -> Any:
    """The SQL condition on ``Observation``: the versions that count in a review view as recorded by
    ``cutoff``. Official: approved by then, or never put to review. Provisional: also a first submission
    (not a correction of an approved figure) whose latest step by then is its submission or a
    resubmission; a returned version counts in neither."""
    if view not in VIEWS:
        raise ValueError(f"unknown review view {view!r}")
    step = aliased(ObservationReview)
    approved = exists().where(
        step.observation_id == Observation.id,
        step.state == ReviewState.APPROVED,
        step.at <= cutoff,
    )
    never_reviewed = ~exists().where(step.observation_id == Observation.id)
    if view == OFFICIAL:
        return or_(approved, never_reviewed)
    later = aliased(ObservationReview)
    pending = exists().where(
        step.observation_id == Observation.id,
        step.state == ReviewState.SUBMITTED,
        step.revision.is_(False),
        step.at <= cutoff,
        ~exists().where(
            later.observation_id == step.observation_id, later.seq > step.seq, later.at <= cutoff
        ),
    )
    return or_(approved, never_reviewed, pending)


def review_state_as_of(session: Session, observation_ids: list[int], cutoff: dt.datetime) -> dict[int, str]:
    """Each version's review state as recorded by ``cutoff`` (its latest step by then); versions never
    put to review are left out (they count as approved)."""
    states: dict[int, str] = {}
    for start in range(0, len(observation_ids), 5000):
        part = observation_ids[start : start + 5000]
        rows = session.execute(
            select(ObservationReview.observation_id, ObservationReview.state)
            .where(ObservationReview.observation_id.in_(part), ObservationReview.at <= cutoff)
            .order_by(ObservationReview.observation_id, ObservationReview.seq)
        )
        for oid, state in rows:
            states[oid] = str(state)
    return states


def review_view(session: Session, asked: str | None = None) -> str | None:
    """The view a run or page takes: none while review is off (every figure counts); where it is on,
    the one asked for, official by default."""

    if not policy(session).enabled:
        return None
    if asked is None:
        return OFFICIAL
    if asked not in VIEWS:
        raise Invalid(
            f"未知的数据口径“{asked}”（official 或 provisional）",
            f"unknown view {asked!r}: official or provisional",
        )
    return asked


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
    """A run as of the day it was computed, or later (the live view), not a snapshot of a past date nor
    a provisional run (one that also counted figures under review).

    Compared by UTC day: ``as_of`` taken a moment before the run started is still "now"."""
    if run.review_view == PROVISIONAL:  # a look at figures under review, never the live (official) view
        return False
    cutoff = run.recorded_until or run.started_at
    return run.as_of.astimezone(dt.UTC).date() >= cutoff.astimezone(dt.UTC).date()
