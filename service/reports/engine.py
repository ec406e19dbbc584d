"""Report runs: every target assessed on one vintage (as of a date), stored with its exact inputs.

A run reads the catalog's target versions and the observations as they were known at ``as_of``
(``service.domain.vintage``: published by ``as_of`` and recorded by the run's cut-off; of each
source's history its latest recorded version; where sources compete for a year, ``preferred`` decides:
an official statistic over a plan baseline, final over preliminary, 统计局 over other offices, then the
later recording; figures for part of a year are never the year's value), aggregates composite zones by
each indicator's rule (``progress.aggregate_zone_year``) for the years the zone's own figures do not
cover, and stores per target the status, the metrics and the ids of the observations used.
Nothing here reads the clock: the caller passes ``as_of`` and ``now``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Float, Integer, String, Table, func, literal, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from service.db.bulk import bulk_insert
from service.db.models import (
    Aggregation,
    Assessment,
    Comparator,
    DeclaredForm,
    Indicator,
    Observation,
    ObservationStatus,
    Plan,
    Region,
    ReportRun,
    RunStatus,
    Target,
)
from service.db.session import json_dumps
from service.domain import changes, units
from service.domain.catalog import CONVERTED_FORMS
from service.domain.progress import (
    METHOD_VERSION,
    PROFILES,
    SCORE_MIN_ASSESSABLE_SHARE,
    Point,
    TargetResult,
    TargetSpec,
    aggregate_zone_year,
    evaluate,
    first_met_year,
)
from service.domain.regions import zone_members
from service.domain.statuses import QUALITATIVE, QUALITATIVE_LABELS, Status, worst
from service.domain.values import STATISTICS_BUREAU, mean_span
from service.domain.vintage import Vintage, review_view
from service.reports.queries import ROWS_FROM, in_run, latest_run_as_of_cutoff

SeriesKey = tuple[int, int]  # (indicator_id, region_id)
ASSESSMENTS: Table = Assessment.__table__  # type: ignore[assignment]  # Core executemany: no ORM bookkeeping


class SeriesPoint(NamedTuple):
    year: int
    value: float
    inputs: tuple[int, ...]  # observation ids behind this value (several for an aggregate)
    series_break: bool = False
    preliminary: bool = False


_PRELIMINARY = ObservationStatus.PRELIMINARY.value


_TARGET_COLUMNS = (
    Target.id,
    Target.plan_id,
    Target.indicator_id,
    Target.region_id,
    Target.chapter,
    Target.unit,
    Target.comparator,
    Target.value,
    Target.low,
    Target.high,
    Target.stretch_value,
    Target.tolerance,
    Target.target_year,
    Target.reference_year,
    Target.declared_form,
    Target.period_start,
)


class TargetRow(NamedTuple):
    id: int
    plan_id: int
    indicator_id: int
    region_id: int
    chapter: str | None
    unit: str
    comparator: Any
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    stretch_value: Decimal | None
    tolerance: Decimal | None
    target_year: int
    reference_year: int | None
    declared_form: Any
    period_start: int | None


def target_rows_as_of(
    session: Session, vintage: Vintage, keys: set[SeriesKey] | None = None
) -> list[TargetRow]:
    """Target versions in force in ``vintage`` (a first version from its plan's issue date), as plain
    tuples of the columns a run needs: a run may assess 100,000s. ``keys``: only (at least) the
    targets of these (indicator, region) pairs."""
    stmt = select(*_TARGET_COLUMNS).where(vintage.targets(session)).order_by(Target.id)
    if keys is not None and len(keys) <= 500:
        stmt = stmt.where(tuple_(Target.indicator_id, Target.region_id).in_(sorted(keys)))
    elif keys is not None:
        stmt = stmt.where(Target.indicator_id.in_(sorted({i for i, _ in keys})))
    return [TargetRow._make(row) for row in session.execute(stmt)]


def load_vintage(
    session: Session, keys: Iterable[SeriesKey], vintage: Vintage
) -> dict[SeriesKey, dict[int, Any]]:
    """The value of each year of each series as known in ``vintage``.

    Each year maps to a row with ``id``, ``value`` (float or None), ``status`` (text),
    ``series_break``, ``source_key``, ``coverage`` and ``reported_at``; the years of a series are in
    ascending order. A figure for part of a year is never that year's value; where several sources
    have a figure for one year, ``preferred`` decides which one counts (METHODOLOGY §6).
    """
    wanted = set(keys)
    by_indicator: dict[int, set[int]] = defaultdict(set)
    for ind, reg in wanted:
        by_indicator[ind].add(reg)
    out: dict[SeriesKey, dict[int, Any]] = {}
    connection = session.connection()
    known = vintage.observations()
    for ind_id, reg_ids in by_indicator.items():
        # plain floats and strings: the figures are only read here, and Decimal/enum conversion of
        # millions of rows would cost more than the assessment itself
        stmt = (
            select(
                Observation.id,
                Observation.region_id,
                Observation.period,
                type_coerce(Observation.value, Float).label("value"),
                type_coerce(Observation.status, String).label("status"),
                type_coerce(Observation.series_break, Integer).label("series_break"),
                Observation.source_key,
                Observation.coverage,
                Observation.reported_at,
            )
            .where(Observation.indicator_id == ind_id, known)
            # the order of the series index: no sort; within a year the latest report comes last
            .order_by(Observation.region_id, Observation.period, Observation.reported_at, Observation.id)
        )
        if len(reg_ids) < 500:
            stmt = stmt.where(Observation.region_id.in_(reg_ids))
        current_region: int | None = None
        years: dict[int, Any] | None = None
        # (region, year) -> the latest row of each history, where a year has more than one
        several: dict[tuple[int, int], dict[str, Any]] = {}
        # (region, last year) -> an average over several years (年均, growth rates only), which stands for
        # its run of years where the last one has no figure of its own
        means: dict[tuple[int, int], Any] = {}
        for row in connection.execute(stmt).all():  # fetchall: far cheaper than row-by-row
            reg_id, period = row[1], row[2]
            if reg_id != current_region:
                current_region = reg_id
                years = out.setdefault((ind_id, reg_id), {}) if reg_id in reg_ids else None
            if years is None:
                continue
            if row[7] is not None:  # part of a year: never the year's value
                if mean_span(row[7]) is not None:
                    held_mean = means.get((reg_id, period))
                    if held_mean is None or preferred(row) >= preferred(held_mean):
                        means[(reg_id, period)] = row
                continue
            held = years.get(period)
            if held is None:
                years[period] = row
                continue
            history = _history(row)
            if (reg_id, period) not in several and _history(held) == history:
                years[period] = row  # the next version of the same history
                continue
            rows = several.setdefault((reg_id, period), {_history(held): held})
            rows[history] = row
            years[period] = max(rows.values(), key=preferred)
        for (reg_id, period), row in means.items():
            series = out[(ind_id, reg_id)]
            if period in series:  # the year's own figure counts as the year's; the average rides along
                series[period] = _YearRow._make((*tuple(series[period])[:9], row))
            else:
                series[period] = row
                out[(ind_id, reg_id)] = dict(sorted(series.items()))
    return out


class _YearRow(NamedTuple):
    """A year's figure (the columns ``load_vintage`` selects) that also ends an average over several years."""

    id: int
    region_id: int
    period: int
    value: float | None
    status: str
    series_break: int
    source_key: str
    coverage: str | None
    reported_at: Any
    mean: Any = None


def _mean(row: Any) -> tuple[int, float, int | None, bool] | None:
    """The several-year average a year's row carries along (see ``_YearRow``), as a Point's ``mean``."""
    m = row.mean if type(row) is _YearRow else None
    if m is None or m.value is None:
        return None
    return _span(m.coverage), m.value, m.id, m.status == _PRELIMINARY


def _history(row: Any) -> str:
    """A figure's history within a year: its source's, a plan baseline's apart (row by position)."""
    return "\x00baseline" if row[4] == _BASELINE else row[6]


_BASELINE = ObservationStatus.PLAN_BASELINE.value
_FINAL = {ObservationStatus.FINAL.value, ObservationStatus.REVISED.value}


def preferred(row: Any) -> tuple[Any, ...]:
    """The order in which one year's figures from several sources count (the largest counts): a value
    over a retraction, an official statistic over a plan baseline, final over preliminary, the
    statistics bureau (统计局) over other offices, then the later recording."""
    status = row[4]
    return (
        row[3] is not None,
        status != _BASELINE,
        status in _FINAL,
        row[6].startswith(STATISTICS_BUREAU),
        row[8],
        row[0],
    )


def _span(coverage: str | None) -> int:
    """How many years a point stands for: 1, or the length of a period mean (2021-2025年均: 5)."""
    span = mean_span(coverage) if coverage is not None else None
    return 1 if span is None else span[1] - span[0] + 1


def _series(years: dict[int, Any]) -> list[SeriesPoint]:
    """A zone's own figures (a period mean is not aggregated or used for a zone)."""
    return [
        SeriesPoint(y, o.value, (o.id,), bool(o.series_break), o.status == _PRELIMINARY)
        for y, o in years.items()
        if o.value is not None and o.coverage is None
    ]


def _ratio_factor(indicator: Indicator, numerator: Indicator, denominator: Indicator) -> float:
    factor = units.conversion_factor(denominator.unit, numerator.unit)
    scale = float(indicator.scale) if indicator.scale is not None else 1.0
    return scale / float(factor) if factor is not None else scale


class SeriesBuilder:
    """Series for plain regions, and for zones without figures of their own, the aggregate of members."""

    def __init__(
        self,
        session: Session,
        indicators: dict[int, Indicator],
        members: dict[int, list[int]],
        region_codes: dict[int, str] | None = None,
    ) -> None:
        self.session = session
        self.indicators = indicators
        self.members = members
        self.region_codes = region_codes or {}

    def needed_keys(self, ind_id: int, reg_id: int) -> set[SeriesKey]:
        keys = {(ind_id, reg_id)}
        members = self.members.get(reg_id)
        if not members:  # a plain region (nearly every target): its own series only
            return keys
        ind = self.indicators[ind_id]
        for m in members:
            keys.add((ind_id, m))
            if ind.aggregation is Aggregation.RATIO and ind.numerator_id and ind.denominator_id:
                keys |= {(ind.numerator_id, m), (ind.denominator_id, m)}
        return keys

    def points(
        self, vintage: dict[SeriesKey, dict[int, Any]], ind_id: int, reg_id: int, since: int | None = None
    ) -> tuple[list[Point], list[tuple[int, ...]] | None, str | None]:
        """The series as methodology points, with how it was formed.

        For a region's own figures each point's ``observation_id`` is the observation's id and the
        second item is None; for a zone whose series comes (partly) from its members it is an index
        into the second item, the ids behind each point. ``since``: the target's declared base year,
        before which the methodology uses no value (it starts at the base year or the nearest later
        one), so no point is made for them.
        """
        years = vintage.get((ind_id, reg_id))
        has_members = bool(self.members.get(reg_id))
        first = -1 if since is None else since
        if not has_members:  # a plain region (nearly every target): its own series only
            if not years:
                return [], None, None
            # rows are (id, region_id, period, value, status, series_break); by position: millions of them
            return (
                [
                    Point(y, o[3], bool(o[5]), o[0], o[4] == _PRELIMINARY, _span(o[7]), _mean(o))
                    for y, o in years.items()
                    if y >= first and o[3] is not None
                ],
                None,
                None,
            )
        series, how = self.series(vintage, ind_id, reg_id)
        points = [
            Point(p.year, p.value, p.series_break, i, p.preliminary)
            for i, p in enumerate(series)
            if p.year >= first
        ]
        return points, [p.inputs for p in series], how

    def series(
        self, vintage: dict[SeriesKey, dict[int, Any]], ind_id: int, reg_id: int
    ) -> tuple[list[SeriesPoint], str | None]:
        """A zone's series: its own figures (a plan baseline, a published zone figure) stand for their
        years, the other years come from its members where every member has what the indicator's rule
        needs (METHODOLOGY §5, ``progress.aggregate_zone_year``)."""
        own = _series(vintage.get((ind_id, reg_id), {}))
        members = self.members.get(reg_id)
        if not members:
            return own, None
        ind = self.indicators[ind_id]
        own_years = {p.year for p in own}
        if ind.aggregation is Aggregation.NONE:
            how = "rates and indices without components are not aggregated over a zone; see its members"
            return own, None if own else how
        rates = {m: vintage.get((ind_id, m), {}) for m in members}
        if ind.aggregation is Aggregation.RATIO:
            assert ind.numerator_id and ind.denominator_id
            num_ind, den_ind = self.indicators[ind.numerator_id], self.indicators[ind.denominator_id]
            nums = {m: vintage.get((num_ind.id, m), {}) for m in members}
            dens = {m: vintage.get((den_ind.id, m), {}) for m in members}
            scale = _ratio_factor(ind, num_ind, den_ind)
            num_code, den_code = num_ind.code, den_ind.code
            how = f"ratio of summed {num_ind.code} to summed {den_ind.code} over {len(members)} members"
        else:
            nums, dens, scale, num_code, den_code = {}, {}, 1.0, "", ""
            how = f"sum over {len(members)} member regions (years where every member has data)"
        candidate_years = sorted(
            {y for part in (rates, nums, dens) for rows in part.values() for y in rows} - own_years
        )
        made: list[SeriesPoint] = []
        derivations: list[str] = []
        for y in candidate_years:

            def at(part: dict[int, dict[int, Any]]) -> dict[int, float | None]:
                return {m: (rows[y].value if y in rows else None) for m, rows in part.items()}

            zone_year = aggregate_zone_year(
                ind.aggregation, members, at(rates), numerators=at(nums), denominators=at(dens), scale=scale
            )
            if zone_year is None:
                continue
            ratio = ind.aggregation is Aggregation.RATIO
            behind = [
                rows[y]
                for m in members
                for rows in (
                    (dens[m], rates[m] if m in zone_year.derived else nums[m]) if ratio else (rates[m],)
                )
                if y in rows
            ]
            ids = [o.id for o in behind]
            prelim = any(o.status == _PRELIMINARY for o in behind)
            if zone_year.derived:
                names = ", ".join(self.region_codes.get(m, str(m)) for m in zone_year.derived)
                derivations.append(f"{y}: {num_code} of {names} derived as rate × {den_code}")
            brk = any(o.series_break for o in behind)  # a member's break breaks the zone's series
            made.append(SeriesPoint(y, zone_year.value, tuple(ids), brk, prelim))
        if derivations:
            how += "; " + "; ".join(derivations)
        if own and made:
            how = f"the zone's own figures for {', '.join(map(str, sorted(own_years)))}; other years: {how}"
        elif not made:
            return own, None if own else how
        return sorted([*own, *made]), how


class SpecContext(NamedTuple):
    """What a target's spec takes from its indicator and plan (read once per pair in a run)."""

    unit: str
    direction: Any
    kind: Any
    flow_named: bool  # the indicator counts yearly additions (新增 / *_added)
    base_year: int | None


def spec_context(indicator: Indicator, plan: Plan) -> SpecContext:
    flow_named = indicator.code.endswith("_added") or "新增" in indicator.name_zh
    return SpecContext(indicator.unit, indicator.direction, indicator.kind, flow_named, plan.base_year)


def target_spec(target: Any, ctx: SpecContext) -> TargetSpec:
    """The declared target (a Target or a row with its columns) with figures in the indicator's unit;
    ``ctx`` is ``spec_context`` of its indicator and plan."""
    form = target.declared_form
    convertible = form in CONVERTED_FORMS
    unit = target.unit
    plain = not convertible or unit == ctx.unit or units.conversion_factor(unit, ctx.unit) == 1

    def fig(v: Decimal | None) -> float | None:
        if v is None:
            return None
        if plain:
            return float(v)
        return float(units.convert(Decimal(v), unit, ctx.unit))

    tolerance = target.tolerance
    return TargetSpec(
        target.comparator,
        fig(target.value),
        target.target_year,
        form,
        ctx.direction,
        ctx.kind,
        fig(target.low),
        fig(target.high),
        fig(target.stretch_value),
        float(tolerance) if tolerance is not None else None,
        target.reference_year,
        ctx.base_year,
        form is DeclaredForm.CUMULATIVE and ctx.flow_named,
        target.period_start,
    )


_ASSESSMENT_COLUMNS = (
    "run_id",
    "target_id",
    "status",
    "latest_year",
    "latest_value",
    "base_year",
    "base_value",
    "target_level",
    "pace_ratio",
    "completion",
    "score",
    "metrics",
    "inputs",
)
_RESULT_FIELDS = [f.name for f in dataclasses.fields(TargetResult) if f.name != "observation_ids"]


_RESULT_VALUES = operator.attrgetter(*_RESULT_FIELDS)


def _metrics(result: TargetResult, extra: dict[str, Any]) -> dict[str, Any]:
    data = dict(zip(_RESULT_FIELDS, _RESULT_VALUES(result), strict=True))
    for k in ("status", "profile", "comparator"):
        data[k] = None if data[k] is None else str(data[k])
    data["notes"] = list(result.notes)
    data["label_zh"], data["label_en"], data["score"] = result.label_zh, result.label_en, result.score
    data.update(extra)
    return data


def _qualitative_metrics(
    target_year: int, profile: str, points: list[Point], as_of_year: int, how: str | None
) -> tuple[Point | None, dict[str, Any]]:
    """A qualitative target's entry in a run: no judgement, its latest figure (if any) for context."""
    shown = [p for p in points if p.year <= as_of_year]
    last = shown[-1] if shown else None
    data: dict[str, Any] = dict.fromkeys(_RESULT_FIELDS)
    data.update(
        status=QUALITATIVE,
        profile=profile,
        target_year=target_year,
        method_version=METHOD_VERSION,
        comparator=Comparator.QUALITATIVE.value,
        latest_year=last.year if last else None,
        latest_value=last.value if last else None,
        label_zh=QUALITATIVE_LABELS[0],
        label_en=QUALITATIVE_LABELS[1],
        score=None,
        aggregation=how,
        first_met_year=None,
        notes=["定性目标，不作数值评估 / qualitative target: shown with its words, not assessed numerically"],
    )
    return last, data


class _Catalog(NamedTuple):
    """What a run reads once of the catalog besides the targets."""

    indicators: dict[int, Indicator]
    plans: dict[int, Plan]
    region_codes: dict[int, str]
    members: dict[int, list[int]]

    @classmethod
    def read(cls, session: Session) -> _Catalog:
        return cls(
            {i.id: i for i in session.scalars(select(Indicator))},
            {p.id: p for p in session.scalars(select(Plan))},
            {rid: code for rid, code in session.execute(select(Region.id, Region.code))},
            zone_members(session),
        )


# what the summary takes of each assessed target: (plan_id, indicator_id, region_id, chapter, status)
SummaryEntry = tuple[int, int, int, str | None, str]


def _assess(
    session: Session, run_id: int, targets: list[TargetRow], known: Vintage, catalog: _Catalog, profile: str
) -> tuple[list[tuple[Any, ...]], list[SummaryEntry]]:
    """Assess ``targets`` on ``known``: the rows to store for run ``run_id`` and the summary entries."""
    indicators, plans = catalog.indicators, catalog.plans
    builder = SeriesBuilder(session, indicators, catalog.members, catalog.region_codes)
    keys: set[SeriesKey] = set()
    for t in targets:
        keys |= builder.needed_keys(t.indicator_id, t.region_id)
    vintage = load_vintage(session, keys, known)
    rows: list[tuple[Any, ...]] = []
    entries: list[SummaryEntry] = []
    as_of_year = known.as_of.year
    achieved = (Status.ACHIEVED, Status.ACHIEVED_EARLY)
    contexts: dict[tuple[int, int], SpecContext] = {}
    for t in targets:
        ind_id, reg_id, plan_id = t.indicator_id, t.region_id, t.plan_id
        ctx = contexts.get((ind_id, plan_id))
        if ctx is None:
            ctx = contexts[(ind_id, plan_id)] = spec_context(indicators[ind_id], plans[plan_id])
        spec = target_spec(t, ctx)
        points, inputs_of, how = builder.points(vintage, ind_id, reg_id, since=spec.base_year)
        if spec.comparator is Comparator.QUALITATIVE:
            shown, data = _qualitative_metrics(t.target_year, profile, points, as_of_year, how)
            oids = [] if shown is None or shown.observation_id is None else [shown.observation_id]
            inputs = sorted(oids if inputs_of is None else {o for i in oids for o in inputs_of[i]})
            rows.append(
                (
                    run_id,
                    t.id,
                    QUALITATIVE,
                    data["latest_year"],
                    data["latest_value"],
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    json_dumps(data),
                    json_dumps(inputs),
                )
            )
            entries.append((plan_id, ind_id, reg_id, t.chapter, QUALITATIVE))
            continue
        result, norm = evaluate(spec, points, as_of_year=as_of_year, profile=profile)
        first, last = result.base_year or 0, result.latest_year or -1
        if norm.mode == "each_year" and norm.base_year is not None:
            first = norm.base_year + 1  # the year before the period is shown, not used
        ids = [p.observation_id for p in points if first <= p.year <= last and p.observation_id is not None]
        if inputs_of is None:
            ids.sort()
            inputs = ids
        else:  # an aggregate: each point stands for the ids behind it
            inputs = sorted({oid for i in ids for oid in inputs_of[i]})
        extra: dict[str, Any] = {
            "aggregation": how,
            "first_met_year": first_met_year(norm) if result.status in achieved else None,
        }
        if how and not points:
            extra["notes_extra"] = how
        status = result.status.value
        score = result.score
        rows.append(
            (
                run_id,
                t.id,
                status,
                result.latest_year,
                result.latest_value,
                result.base_year,
                result.base_value,
                result.target_level,
                result.pace_ratio,
                result.completion,
                float(score) if score is not None else None,
                json_dumps(_metrics(result, extra)),
                json_dumps(inputs),
            )
        )
        entries.append((plan_id, ind_id, reg_id, t.chapter, status))
    return rows, entries


class _SummaryBuilder:
    """The run's summary (counts by status, and per plan, region and chapter the progress summary,
    ``summarise``; qualitative targets are listed, not part of it), built as the entries stream by.

    ``summarise`` counts in each group the worst status of each (indicator, region). The entries come
    with the targets of one (indicator, region) next to each other (runs assess in that order), so
    each key's worst status is counted in its groups as soon as the next key starts, and what is
    held grows with the groups (plans, regions, chapters), never with the targets."""

    def __init__(self, catalog: _Catalog) -> None:
        self.plan_codes = {pid: p.code for pid, p in catalog.plans.items()}
        self.region_codes = catalog.region_codes
        self.statuses = {s.value: s for s in Status}
        self.overall: dict[str, int] = defaultdict(int)
        self.counts: dict[str, dict[Status, int]] = {}  # group -> worst status of each key -> keys
        self.qualitative: dict[str, int] = defaultdict(int)
        self.key: SeriesKey | None = None
        self.held: dict[str, list[Status]] = {}  # the statuses of the current key in each group
        self.n = 0

    def _close(self) -> None:
        for g, statuses in self.held.items():
            counts = self.counts.setdefault(g, {})
            w = worst(statuses)
            counts[w] = counts.get(w, 0) + 1
        self.held = {}

    def add(self, entries: Iterable[SummaryEntry]) -> None:
        plan_codes, region_codes, statuses = self.plan_codes, self.region_codes, self.statuses
        for plan_id, ind_id, reg_id, chapter, status in entries:
            self.n += 1
            self.overall[status] += 1
            code = plan_codes[plan_id]
            groups = [f"plan:{code}", f"region:{region_codes[reg_id]}"]
            if chapter:
                groups.append(f"chapter:{code}:{chapter}")
            if status == QUALITATIVE:
                for g in groups:
                    self.qualitative[g] += 1
                continue
            key = (ind_id, reg_id)
            if key != self.key:
                self._close()
                self.key = key
            judged = statuses[status]
            for g in groups:
                self.held.setdefault(g, []).append(judged)

    def summary(self) -> dict[str, Any]:
        self._close()
        summary: dict[str, Any] = {"targets": self.n, "groups": {}, "counts": dict(self.overall)}
        for group, counts in self.counts.items():
            summary["groups"][group] = _group_entry(counts)
        for name, count in self.qualitative.items():
            entry = summary["groups"].setdefault(
                name, {"counts": {}, "units": 0, "assessable": 0, "mean_score": None}
            )
            entry["counts"][QUALITATIVE] = count
        return summary


def _group_entry(counts: dict[Status, int]) -> dict[str, Any]:
    """A group's progress summary from the count of each worst status over its keys (``summarise``)."""
    units = sum(counts.values())
    scored = [(s.score, n) for s, n in counts.items() if n and s.score is not None]
    assessable = sum(n for _, n in scored)
    mean = (
        sum(score * n for score, n in scored) / assessable
        if units and assessable / units >= SCORE_MIN_ASSESSABLE_SHARE
        else None
    )
    listed = {str(s): counts[s] for s in Status if counts.get(s)}
    return {"counts": listed, "units": units, "assessable": assessable, "mean_score": mean}


# a report run reads, assesses and stores the targets in chunks of about this many (whole indicators)
RUN_CHUNK = 20_000


def target_chunks(session: Session, vintage: Vintage, size: int | None = None) -> Iterable[list[TargetRow]]:
    """The targets in force in ``vintage`` in chunks of whole indicators (about ``size`` targets; an
    indicator with more is a chunk of its own), each ordered by indicator, region and id: a chunk
    reads each of its indicators' figures once, and a run holds one chunk at a time."""
    size = RUN_CHUNK if size is None else size
    in_force = vintage.targets(session)
    per_indicator = session.execute(
        select(Target.indicator_id, func.count())
        .where(in_force)
        .group_by(Target.indicator_id)
        .order_by(Target.indicator_id)
    ).all()
    groups: list[list[int]] = []
    filled = size
    for ind_id, n in per_indicator:
        if filled + n > size:
            groups.append([])
            filled = 0
        groups[-1].append(ind_id)
        filled += n
    order = (Target.indicator_id, Target.region_id, Target.id)
    for ids in groups:
        stmt = select(*_TARGET_COLUMNS).where(in_force, Target.indicator_id.in_(ids)).order_by(*order)
        yield [TargetRow._make(row) for row in session.execute(stmt)]


def run_report(
    session: Session,
    *,
    as_of: dt.datetime,
    now: dt.datetime,
    trigger: str = "manual",
    profile: str = "eurostat",
    recorded_until: dt.datetime | None = None,
    view: str | None = None,
) -> ReportRun:
    """Assess every target in force at ``as_of`` and store the run; flushes, never commits.

    The run reads what was published by ``as_of`` and recorded by ``recorded_until`` (default ``now``),
    its recording cut-off: a run with the same ``as_of`` and cut-off made later gives the same result.
    Where figures are reviewed, ``view`` says which count: approved ones only (``official``, the
    default) or also those under review (``provisional``); see ``vintage.reviewed``.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown threshold profile {profile!r}")
    cutoff = now if recorded_until is None else recorded_until
    view = review_view(session, view)
    run = ReportRun(
        as_of=as_of,
        recorded_until=cutoff,
        started_at=now,
        trigger=trigger,
        method_version=METHOD_VERSION,
        threshold_profile=profile,
        status=RunStatus.RUNNING,
        review_view=view,
    )
    session.add(run)
    session.flush()
    known = Vintage(as_of, cutoff, view)
    catalog = _Catalog.read(session)
    summary = _SummaryBuilder(catalog)
    for targets in target_chunks(session, known):  # one chunk in memory at a time: flat at any size
        rows, entries = _assess(session, run.id, targets, known, catalog, profile)
        bulk_insert(session.connection(), ASSESSMENTS, _ASSESSMENT_COLUMNS, rows, ready=("metrics", "inputs"))
        summary.add(entries)
        del rows, entries, targets
    run.summary = summary.summary()
    run.status = RunStatus.FINISHED
    run.finished_at = now
    session.flush()
    return run


# An incremental run reassesses at most this share of the targets; beyond it a full run is as cheap.
INCREMENTAL_SHARE = 0.25
# the covered targets are listed in the run's summary up to this many (always counted)
LISTED_TARGETS = 1000


def affected_keys(series: Iterable[SeriesKey], catalog: _Catalog) -> set[SeriesKey]:
    """The (indicator, region) pairs of the targets whose assessment can change when the figures of
    ``series`` change: the series itself, the zones with the region as a member (their aggregate),
    and at those zones the ratios with the indicator as numerator or denominator. The exact inverse of
    ``SeriesBuilder.needed_keys``."""
    zones_of: dict[int, list[int]] = defaultdict(list)
    for zone, members in catalog.members.items():
        for m in members:
            zones_of[m].append(zone)
    ratios_of: dict[int, list[int]] = defaultdict(list)
    for ind in catalog.indicators.values():
        if ind.aggregation is Aggregation.RATIO and ind.numerator_id and ind.denominator_id:
            ratios_of[ind.numerator_id].append(ind.id)
            ratios_of[ind.denominator_id].append(ind.id)
    keys: set[SeriesKey] = set()
    for ind_id, reg_id in series:
        keys.add((ind_id, reg_id))
        for zone in zones_of.get(reg_id, ()):
            keys.add((ind_id, zone))
            keys.update((ratio, zone) for ratio in ratios_of.get(ind_id, ()))
    return keys


def _statuses(session: Session, run: ReportRun, target_ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for start in range(0, len(target_ids), 500):
        part = target_ids[start : start + 500]
        stmt = select(Assessment.target_id, Assessment.status).where(
            in_run(run), Assessment.target_id.in_(part)
        )
        out.update({tid: status for tid, status in session.execute(stmt)})
    return out


def _updated_summary(
    base: dict[str, Any],
    targets: list[TargetRow],
    old: dict[int, str],
    new: dict[int, str],
    catalog: _Catalog,
) -> dict[str, Any]:
    """``_summary`` of a run that differs from ``base``'s run only in the statuses of ``targets`` (old
    -> new), without reading the other targets: ``summarise`` counts per group the worst status of
    each (indicator, region), and every target of a reassessed (indicator, region) is among
    ``targets`` (runs reassess by series), so each such key's worst status is replaced in its groups."""
    # copies of what changes (``base`` stays as it was): the summary, its overall counts, its groups
    summary = {**base, "groups": dict(base.get("groups", {})), "counts": dict(base.get("counts", {}))}
    summary.pop("scope", None)
    overall: dict[str, int] = summary["counts"]
    plan_codes = {pid: p.code for pid, p in catalog.plans.items()}
    before: dict[tuple[str, SeriesKey], list[Status]] = defaultdict(list)
    after: dict[tuple[str, SeriesKey], list[Status]] = defaultdict(list)
    statuses = {s.value: s for s in Status}
    for t in targets:
        was, now = old.get(t.id), new[t.id]
        if was is not None:
            overall[was] -= 1
            if not overall[was]:
                del overall[was]
        overall[now] = overall.get(now, 0) + 1
        code = plan_codes[t.plan_id]
        groups = [f"plan:{code}", f"region:{catalog.region_codes[t.region_id]}"]
        if t.chapter:
            groups.append(f"chapter:{code}:{t.chapter}")
        key = (t.indicator_id, t.region_id)
        for g in groups:
            if was is not None and was != QUALITATIVE:
                before[(g, key)].append(statuses[was])
            if now != QUALITATIVE:
                after[(g, key)].append(statuses[now])
    by_name = {str(s): s for s in Status}
    changed: dict[str, dict[Status, int]] = {}
    for g, key in before.keys() | after.keys():
        counts = changed.get(g)
        if counts is None:  # the group's entry is copied before it changes
            empty = {"counts": {}, "units": 0, "assessable": 0, "mean_score": None}
            entry = summary["groups"][g] = dict(summary["groups"].get(g) or empty)
            counts = changed[g] = {by_name[k]: v for k, v in entry["counts"].items() if k in by_name}
        if was_list := before.get((g, key)):
            counts[worst(was_list)] -= 1
        if now_list := after.get((g, key)):
            w = worst(now_list)
            counts[w] = counts.get(w, 0) + 1
    for g, counts in changed.items():
        entry = summary["groups"][g]
        qualitative = entry["counts"].get(QUALITATIVE)
        entry.update(_group_entry(counts))
        if qualitative:
            entry["counts"][QUALITATIVE] = qualitative
    summary["targets"] = base.get("targets", 0)
    return summary


def run_incremental(
    session: Session,
    waiting: list[changes.Pending],
    *,
    now: dt.datetime,
    trigger: str,
    profile: str = "eurostat",
) -> ReportRun | None:
    """A run as of ``now`` that reassesses only the targets ``waiting`` can change and carries every
    other assessment over from the latest run made "now" (so the run is complete to its readers, and
    equals a full run at ``now`` target by target). None where that would not be exact or not
    cheaper, and the caller makes a full run: a change that does not name its series (the catalog
    changed), no such earlier run, one with another profile or method, one made on another day
    (figures and plans become public by date, the year decides the expected pace), or more than
    ``INCREMENTAL_SHARE`` of the targets to reassess. Flushes, never commits.

    The run stores only the assessments that differ from the last full run's (those it reassessed, and
    those its incremental predecessors since that full run stored); readers see every target through
    ``in_run`` (``summary["scope"]["rows_from_run"]`` names the full run). Its summary records what it
    covered and what it carried over (``summary["scope"]``).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown threshold profile {profile!r}")
    if any(w.series is None for w in waiting):
        return None
    # the live view (official where figures are reviewed): the base and the reassessed targets in it
    view = review_view(session)
    base = latest_run_as_of_cutoff(session, view)
    if base is None or base.threshold_profile != profile or base.method_version != METHOD_VERSION:
        return None
    base_at = base.as_of if base.as_of.tzinfo else base.as_of.replace(tzinfo=dt.UTC)
    if base_at.astimezone(dt.UTC).date() != now.astimezone(dt.UTC).date() or base_at > now:
        return None
    scope = (base.summary or {}).get("scope") or {}
    rows_from = scope.get(ROWS_FROM, base.id)  # the full run whose rows stand for the ones not stored
    base_stored = scope.get("stored", 0)  # the rows the base run stores itself (0 for a full run)
    catalog = _Catalog.read(session)
    keys = affected_keys({p for w in waiting for p in (w.series or ())}, catalog)
    known = Vintage(now, now, view)
    targets = [t for t in target_rows_as_of(session, known, keys) if (t.indicator_id, t.region_id) in keys]
    total = (base.summary or {}).get("targets", 0)
    if base_stored + len(targets) > INCREMENTAL_SHARE * total:
        return None
    run = ReportRun(
        as_of=now,
        recorded_until=now,
        started_at=now,
        trigger=trigger,
        review_view=view,
        method_version=METHOD_VERSION,
        threshold_profile=profile,
        status=RunStatus.RUNNING,
    )
    session.add(run)
    session.flush()
    rows, _ = _assess(session, run.id, targets, known, catalog, profile)
    connection = session.connection()
    covered_ids = [t.id for t in targets]
    if rows_from != base.id:
        # the base is itself incremental: what it stored (its changes since the full run) is stored
        # again, then the reassessed ones replaced (a few rows: a plain scan of one run's rows)
        before = ASSESSMENTS.alias("before")
        connection.execute(
            ASSESSMENTS.insert().from_select(
                list(_ASSESSMENT_COLUMNS),
                select(literal(run.id), *(before.c[c] for c in _ASSESSMENT_COLUMNS[1:])).where(
                    before.c.run_id == base.id
                ),
            )
        )
        for start in range(0, len(covered_ids), 500):
            connection.execute(
                ASSESSMENTS.delete().where(
                    ASSESSMENTS.c.run_id == run.id,
                    ASSESSMENTS.c.target_id.in_(covered_ids[start : start + 500]),
                )
            )
    bulk_insert(connection, ASSESSMENTS, _ASSESSMENT_COLUMNS, rows, ready=("metrics", "inputs"))
    stored = connection.execute(
        select(func.count()).select_from(ASSESSMENTS).where(ASSESSMENTS.c.run_id == run.id)
    ).scalar_one()
    old = _statuses(session, base, covered_ids)
    new_status = {row[1]: row[2] for row in rows}
    summary = _updated_summary(base.summary or {}, targets, old, new_status, catalog)
    carried = summary["targets"] - len(covered_ids)
    summary["scope"] = {
        "kind": "incremental",
        "carried_from_run": base.id,
        "covered": len(covered_ids),
        "carried": carried,
        "changes": [w.id for w in waiting],
        "series": len({p for w in waiting for p in (w.series or ())}),
        "covered_targets": covered_ids if len(covered_ids) <= LISTED_TARGETS else None,
        ROWS_FROM: rows_from,
        "stored": stored,
    }
    run.summary = summary
    run.status = RunStatus.FINISHED
    run.finished_at = now
    session.flush()
    return run


def run_report_now(
    session: Session, *, trigger: str, profile: str = "eurostat", incremental: bool = False
) -> ReportRun:
    """A run as of now that covers every change committed so far (see service.domain.changes);
    ``incremental``: reassessing only the targets the changes can affect where that is exact
    (``run_incremental``), else every target.

    The waiting changes are read first and "now" taken after: anything they stand for was committed
    before that moment, so the run sees it; changes committed later stay waiting for the next run.
    """
    waiting = changes.pending(session)
    now = dt.datetime.now(dt.UTC)
    run = (
        run_incremental(session, waiting, now=now, trigger=trigger, profile=profile) if incremental else None
    )
    if run is None:
        run = run_report(session, as_of=now, now=now, trigger=trigger, profile=profile)
    changes.mark_covered(session, [w.id for w in waiting])
    return run


STATUS_ORDER = [s.value for s in Status]
