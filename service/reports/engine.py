"""Report runs: every target assessed on one vintage (as of a date), stored with its exact inputs.

A run reads the catalog's target versions and the observations as they were known at ``as_of``
(latest ``reported_at`` per indicator, region and year; an official statistic beats a plan baseline
for the same year), aggregates composite zones by each indicator's rule when the zone has no figures
of its own, and stores per target the status, the metrics and the ids of the observations used.
Nothing here reads the clock: the caller passes ``as_of`` and ``now``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Float, String, Table, insert, or_, select, type_coerce
from sqlalchemy.orm import Session

from service.db.models import (
    Aggregation,
    Assessment,
    DeclaredForm,
    Indicator,
    Observation,
    ObservationStatus,
    Plan,
    Region,
    ReportRun,
    Target,
)
from service.domain import units
from service.domain.catalog import LEVEL_FORMS
from service.domain.progress import METHOD_VERSION, PROFILES, Point, TargetSpec, assess, normalise, summarise
from service.domain.progress import Assessment as Result
from service.domain.regions import zone_members
from service.domain.statuses import Status

SeriesKey = tuple[int, int]  # (indicator_id, region_id)
ASSESSMENTS: Table = Assessment.__table__  # type: ignore[assignment]  # Core executemany: no ORM bookkeeping


class Obs(NamedTuple):
    id: int
    value: float | None
    status: str
    series_break: bool


class SeriesPoint(NamedTuple):
    year: int
    value: float
    inputs: tuple[int, ...]  # observation ids behind this value (several for an aggregate)
    series_break: bool = False


def targets_as_of(session: Session, as_of: dt.datetime) -> list[Target]:
    """Target versions in force at ``as_of``; a first version counts from before it was catalogued."""
    return list(
        session.scalars(
            select(Target)
            .where(
                or_(Target.valid_from <= as_of, Target.version == 1),
                or_(Target.valid_to.is_(None), Target.valid_to > as_of),
            )
            .order_by(Target.id)
        )
    )


def load_vintage(
    session: Session, keys: Iterable[SeriesKey], as_of: dt.datetime
) -> dict[SeriesKey, dict[int, Obs]]:
    """The value of each year of each series as known at ``as_of`` (one vintage)."""
    wanted = set(keys)
    by_indicator: dict[int, set[int]] = defaultdict(set)
    for ind, reg in wanted:
        by_indicator[ind].add(reg)
    out: dict[SeriesKey, dict[int, Obs]] = defaultdict(dict)
    baseline = ObservationStatus.PLAN_BASELINE.value
    connection = session.connection()
    for ind_id, reg_ids in by_indicator.items():
        # plain floats and strings: the figures are only read here, and Decimal/enum conversion of
        # millions of rows would cost more than the assessment itself
        stmt = (
            select(
                Observation.id,
                Observation.region_id,
                Observation.period,
                type_coerce(Observation.value, Float),
                type_coerce(Observation.status, String),
                Observation.series_break,
            )
            .where(Observation.indicator_id == ind_id, Observation.reported_at <= as_of)
            # the order of the series index: no sort; within a year the latest report comes last
            .order_by(Observation.region_id, Observation.period, Observation.reported_at, Observation.id)
        )
        if len(reg_ids) < 500:
            stmt = stmt.where(Observation.region_id.in_(reg_ids))
        for oid, reg_id, period, value, status, brk in connection.execute(stmt).all():
            if reg_id not in reg_ids:
                continue
            years = out[(ind_id, reg_id)]
            current = years.get(period)
            # a plan baseline never displaces an official statistic for the same year
            if current is not None and status == baseline and current.status != baseline:
                continue
            years[period] = Obs(oid, value, status, bool(brk))
    return out


def _series(years: dict[int, Obs]) -> list[SeriesPoint]:
    return [
        SeriesPoint(y, o.value, (o.id,), o.series_break)
        for y, o in sorted(years.items())
        if o.value is not None
    ]


def _ratio_factor(indicator: Indicator, numerator: Indicator, denominator: Indicator) -> float:
    factor = units.conversion_factor(denominator.unit, numerator.unit)
    scale = float(indicator.scale) if indicator.scale is not None else 1.0
    return scale / float(factor) if factor is not None else scale


class SeriesBuilder:
    """Series for plain regions, and for zones without figures of their own, the aggregate of members."""

    def __init__(
        self, session: Session, indicators: dict[int, Indicator], members: dict[int, list[int]]
    ) -> None:
        self.session = session
        self.indicators = indicators
        self.members = members

    def needed_keys(self, ind_id: int, reg_id: int) -> set[SeriesKey]:
        keys = {(ind_id, reg_id)}
        ind = self.indicators[ind_id]
        for m in self.members.get(reg_id, []):
            keys.add((ind_id, m))
            if ind.aggregation is Aggregation.RATIO and ind.numerator_id and ind.denominator_id:
                keys |= {(ind.numerator_id, m), (ind.denominator_id, m)}
        return keys

    def series(
        self, vintage: dict[SeriesKey, dict[int, Obs]], ind_id: int, reg_id: int
    ) -> tuple[list[SeriesPoint], str | None]:
        own = _series(vintage.get((ind_id, reg_id), {}))
        members = self.members.get(reg_id)
        if own or not members:
            return own, None
        ind = self.indicators[ind_id]
        if ind.aggregation is Aggregation.NONE:
            return [], "rates and indices without components are not aggregated over a zone; see its members"
        if ind.aggregation is Aggregation.SUM:
            parts = [vintage.get((ind_id, m), {}) for m in members]
            years = set.intersection(*(set(y for y, o in p.items() if o.value is not None) for p in parts))
            points = [
                SeriesPoint(y, sum(p[y].value or 0.0 for p in parts), tuple(p[y].id for p in parts))
                for y in sorted(years)
            ]
            return points, f"sum over {len(members)} member regions (years where every member has data)"
        assert ind.numerator_id and ind.denominator_id
        num_ind, den_ind = self.indicators[ind.numerator_id], self.indicators[ind.denominator_id]
        nums = [vintage.get((num_ind.id, m), {}) for m in members]
        dens = [vintage.get((den_ind.id, m), {}) for m in members]
        years = set.intersection(
            *(set(y for y, o in p.items() if o.value is not None) for p in [*nums, *dens])
        )
        factor = _ratio_factor(ind, num_ind, den_ind)
        points = []
        for y in sorted(years):
            den_total = sum(p[y].value or 0.0 for p in dens)
            if den_total:
                points.append(SeriesPoint(
                    y, factor * sum(p[y].value or 0.0 for p in nums) / den_total,
                    tuple(p[y].id for p in [*nums, *dens]),
                ))  # fmt: skip
        return points, f"ratio of summed {num_ind.code} to summed {den_ind.code} over {len(members)} members"


def target_spec(target: Target, indicator: Indicator, plan: Plan) -> TargetSpec:
    """The declared target with its figures in the indicator's canonical unit."""
    convertible = target.declared_form in LEVEL_FORMS or target.declared_form is DeclaredForm.CUMULATIVE

    def fig(v: Decimal | None) -> float | None:
        if v is None:
            return None
        if convertible:
            return float(units.convert(Decimal(v), target.unit, indicator.unit))
        return float(v)

    flow = target.declared_form is DeclaredForm.CUMULATIVE and (
        indicator.code.endswith("_added") or "新增" in indicator.name_zh
    )
    return TargetSpec(
        comparator=target.comparator, value=fig(target.value), target_year=target.target_year,
        declared_form=target.declared_form, direction=indicator.direction, indicator_kind=indicator.kind,
        low=fig(target.low), high=fig(target.high), stretch_value=fig(target.stretch_value),
        tolerance=float(target.tolerance) if target.tolerance is not None else None,
        reference_year=target.reference_year, plan_base_year=plan.base_year, series_is_flow=flow,
    )  # fmt: skip


def first_met_year(spec: TargetSpec, points: list[Point], as_of_year: int) -> int | None:
    norm = normalise(spec, points, as_of_year)
    if norm.problem is not None or norm.mode != "level":
        return None
    for p in norm.window:
        if p.value is not None and norm.satisfied_by(p.value):
            return p.year
    return None


_RESULT_FIELDS = [f.name for f in dataclasses.fields(Result) if f.name != "observation_ids"]


def _metrics(result: Result, extra: dict[str, Any]) -> dict[str, Any]:
    data = {name: getattr(result, name) for name in _RESULT_FIELDS}
    for k in ("status", "profile", "comparator"):
        data[k] = None if data[k] is None else str(data[k])
    data["notes"] = list(result.notes)
    data["label_zh"], data["label_en"], data["score"] = result.label_zh, result.label_en, result.score
    data.update(extra)
    return data


def run_report(
    session: Session,
    *,
    as_of: dt.datetime,
    now: dt.datetime,
    trigger: str = "manual",
    profile: str = "eurostat",
) -> ReportRun:
    """Assess every target in force at ``as_of`` and store the run; flushes, never commits."""
    if profile not in PROFILES:
        raise ValueError(f"unknown threshold profile {profile!r}")
    run = ReportRun(as_of=as_of, started_at=now, trigger=trigger, method_version=METHOD_VERSION,
                    threshold_profile=profile, status="running")  # fmt: skip
    session.add(run)
    session.flush()
    targets = targets_as_of(session, as_of)
    indicators = {i.id: i for i in session.scalars(select(Indicator))}
    plans = {p.id: p for p in session.scalars(select(Plan))}
    regions = {r.id: r for r in session.scalars(select(Region))}
    members = zone_members(session)
    builder = SeriesBuilder(session, indicators, members)
    keys: set[SeriesKey] = set()
    for t in targets:
        keys |= builder.needed_keys(t.indicator_id, t.region_id)
    vintage = load_vintage(session, keys, as_of)
    rows: list[dict[str, Any]] = []
    summary_items: dict[str, list[tuple[Any, Result]]] = defaultdict(list)
    as_of_year = as_of.year
    for t in targets:
        indicator, plan = indicators[t.indicator_id], plans[t.plan_id]
        series, how = builder.series(vintage, t.indicator_id, t.region_id)
        points = [Point(p.year, p.value, p.series_break, i) for i, p in enumerate(series)]
        spec = target_spec(t, indicator, plan)
        result = assess(spec, points, as_of_year=as_of_year, profile=profile)
        used = {p.observation_id for p in points if p.year >= (result.base_year or 0)
                and p.year <= (result.latest_year or -1)}  # fmt: skip
        inputs = sorted({oid for i in used if i is not None for oid in series[i].inputs})
        extra: dict[str, Any] = {
            "aggregation": how,
            "first_met_year": first_met_year(spec, points, as_of_year)
            if result.status in (Status.ACHIEVED, Status.ACHIEVED_EARLY)
            else None,
        }
        if how and not series:
            extra["notes_extra"] = how
        rows.append({
            "run_id": run.id, "target_id": t.id, "status": str(result.status),
            "latest_year": result.latest_year, "latest_value": result.latest_value,
            "base_year": result.base_year, "base_value": result.base_value, "target_level": result.target_level,
            "pace_ratio": result.pace_ratio, "completion": result.completion,
            "score": float(result.score) if result.score is not None else None,
            "metrics": _metrics(result, extra), "inputs": inputs,
        })  # fmt: skip
        unit_key = (t.indicator_id, t.region_id)
        summary_items[f"plan:{plan.code}"].append((unit_key, result))
        summary_items[f"region:{regions[t.region_id].code}"].append((unit_key, result))
        if t.chapter:
            summary_items[f"chapter:{plan.code}:{t.chapter}"].append((unit_key, result))
    for start in range(0, len(rows), 5000):
        session.execute(insert(ASSESSMENTS), rows[start : start + 5000])
    summary: dict[str, Any] = {"targets": len(rows), "groups": {}}
    overall: dict[str, int] = defaultdict(int)
    for r in rows:
        overall[r["status"]] += 1
    summary["counts"] = dict(overall)
    for group, items in summary_items.items():
        s = summarise(items)
        summary["groups"][group] = {
            "counts": {str(k): v for k, v in s.counts.items() if v}, "units": s.total,
            "assessable": s.assessable, "mean_score": s.mean_score,
        }  # fmt: skip
    run.summary = summary
    run.status = "finished"
    run.finished_at = now
    session.flush()
    return run


STATUS_ORDER = [s.value for s in Status]
