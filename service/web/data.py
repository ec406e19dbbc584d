"""What the pages show, read from the latest report run and the observations (no HTML here)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Float, and_, func, not_, or_, select, type_coerce
from sqlalchemy.orm import Session

from service.db.models import (
    Assessment,
    Attribute,
    Comparator,
    Indicator,
    IndicatorKind,
    Observation,
    ObservationStatus,
    Plan,
    Region,
    ReportRun,
    RunStatus,
    Target,
    User,
)
from service.domain import statements
from service.domain.errors import NotFound
from service.domain.progress import status_label as progress_status_label
from service.domain.regions import expected_indicators, zone_members
from service.domain.statuses import MET, QUALITATIVE, VERDICTS, WORST_FIRST, Status
from service.domain.targets import figure
from service.domain.vintage import Vintage
from service.domain.wording import progress_shown, target_marker, target_words
from service.reports.engine import SeriesBuilder, load_vintage
from service.reports.evidence import add_evidence
from service.reports.queries import (
    AssessmentFilter,
    assessment_records,
    assessment_records_where,
    count_records_where,
    end_of_term_condition,
    evaluation,
    evaluation_counts,
    verdict_condition,
    with_verdict,
)
from service.reports.queries import (
    in_run as run_rows,
)
from service.web.i18n import t

COMPOUNDING_FORMS = {"avg_annual_growth", "annual_growth", "multiple"}
T = TypeVar("T")


def recent_runs(session: Session, limit: int = 30) -> list[ReportRun]:
    """The latest finished runs, newest first: the runs a page offers to show instead of the latest."""
    return list(
        session.scalars(
            select(ReportRun)
            .where(ReportRun.status == RunStatus.FINISHED)
            .order_by(ReportRun.id.desc())
            .limit(limit)
        )
    )


def status_label(status: Status | str, lang: str, preliminary: bool = False) -> str:
    """A status's words; marked when it rests on a preliminary figure (已实现（初步数据）). Records carry
    the status as its string: it is read as a ``Status`` here, once, and a qualitative target (not a
    ``Status``) has its own words and never the mark."""
    if status == QUALITATIVE:
        return t("status_" + QUALITATIVE, lang)
    return progress_status_label(Status(status), preliminary, lang)


REGIONS_PER_PAGE = 12  # regions (columns) of the attainment grid per page
REGION_SELECT_MAX = 200  # beyond this many regions the region filter is a search box with suggestions


@dataclass(frozen=True)
class OverviewFilter:
    plan: str | None = None
    region: str | None = None  # a region's code or name (Chinese or English)
    category: str | None = None
    year: int | None = None


class RunCache:
    """Figures computed over a whole report run, kept while it is the latest run seen: a finished run's
    assessments never change. A bounded number of entries (the totals, and the regions each filter
    keeps, which paging through a filtered grid asks for again and again); one per app and process."""

    def __init__(self, size: int = 64) -> None:
        self._lock = threading.Lock()
        self._run: tuple[Any, ...] | None = None
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = size

    def get(self, run: ReportRun, key: Hashable, compute: Callable[[], T]) -> T:
        run_key = (run.id, run.started_at, run.finished_at)
        with self._lock:
            if self._run != run_key:
                self._run = run_key
                self._values.clear()
            elif key in self._values:
                self._values.move_to_end(key)
                return cast(T, self._values[key])
        value = compute()
        with self._lock:
            if self._run == run_key:
                self._values[key] = value
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
        return value


@dataclass(frozen=True)
class _OverviewScope:
    """The catalog an overview names, and the filter resolved to ids (None: not filtered by it)."""

    plans: dict[int, Plan]
    indicators: dict[int, Indicator]
    regions: dict[int, Any]  # id -> (id, code, name_zh, name_en)
    plan_id: int | None
    indicator_ids: frozenset[int] | None
    region_ids: set[int] | None
    year: int | None

    @classmethod
    def read(cls, session: Session, f: OverviewFilter) -> _OverviewScope:
        plans = {p.id: p for p in session.scalars(select(Plan).order_by(Plan.code))}
        indicators = {i.id: i for i in session.scalars(select(Indicator))}
        regions = {
            r.id: r for r in session.execute(select(Region.id, Region.code, Region.name_zh, Region.name_en))
        }
        plan_id = next((p.id for p in plans.values() if p.code == f.plan), -1) if f.plan else None
        indicator_ids = (
            frozenset(i.id for i in indicators.values() if i.category == f.category) if f.category else None
        )
        region_ids = (
            {r.id for r in regions.values() if f.region in (r.code, r.name_zh, r.name_en)}
            if f.region
            else None
        )
        return cls(plans, indicators, regions, plan_id, indicator_ids, region_ids, f.year)

    def wanted(self, pid: int, iid: int, year: int) -> bool:
        """Kept by the filters but the region's."""
        return (
            self.plan_id in (None, pid)
            and (self.indicator_ids is None or iid in self.indicator_ids)
            and self.year in (None, year)
        )


def _of_regions(ids: Iterable[int]) -> Any:
    """The run's assessments of the targets of a few regions: said so, SQLite finds those targets
    through their region index first instead of walking every assessment of the run."""
    return Assessment.target_id.in_(select(Target.id).where(Target.region_id.in_(ids)))


def _in_run(run: ReportRun) -> Any:
    return and_(Assessment.target_id == Target.id, run_rows(run))


_GROUPING = (Target.plan_id, Target.indicator_id, Target.target_year, Assessment.status)


def _overview_counts(
    session: Session, run: ReportRun, scope: _OverviewScope, cache: RunCache
) -> tuple[list[tuple[int, int, int, str, int]], set[int], set[int], dict[int, dict[str, int]]]:
    """Status counts per (plan, indicator, target year) over the run (counted once per run), the regions
    with a target in the run (the filter's menu), those the filters keep (the grid's columns), and the
    status counts per plan that the filters keep."""
    in_run = _in_run(run)
    everything: list[tuple[int, int, int, str, int]] = cache.get(
        run,
        "totals",
        lambda: [
            (pid, iid, year, status, n)
            for pid, iid, year, status, n in session.execute(
                select(*_GROUPING, func.count()).join(Assessment, in_run).group_by(*_GROUPING)
            )
        ],
    )
    with_targets = select(Target.region_id).join(Assessment, in_run).distinct()
    all_region_ids: set[int] = cache.get(run, "regions", lambda: set(session.scalars(with_targets)))
    rows: Iterable[tuple[int, int, int, str, int]] = everything
    kept = all_region_ids
    if scope.region_ids is not None:  # a few regions: count their targets here
        by_region = session.execute(
            select(Target.region_id, *_GROUPING, func.count())
            .join(Assessment, in_run)
            .where(_of_regions(scope.region_ids))
            .group_by(Target.region_id, *_GROUPING)
        ).all()
        rows = [(pid, iid, year, status, n) for _, pid, iid, year, status, n in by_region]
        kept = {rid for rid, pid, iid, year, _, _ in by_region if scope.wanted(pid, iid, year)}
    elif scope.plan_id is not None or scope.indicator_ids is not None or scope.year is not None:
        narrowing = [Target.plan_id == scope.plan_id] if scope.plan_id is not None else []
        if scope.indicator_ids is not None:
            narrowing.append(Target.indicator_id.in_(scope.indicator_ids))
        if scope.year is not None:
            narrowing.append(Target.target_year == scope.year)
        kept = cache.get(
            run,
            ("regions", scope.plan_id, scope.indicator_ids, scope.year),
            lambda: set(session.scalars(with_targets.where(*narrowing))),
        )
    counts: dict[int, dict[str, int]] = {}
    for pid, iid, year, status, n in rows:
        if scope.wanted(pid, iid, year):
            by_status = counts.setdefault(pid, defaultdict(int))
            by_status[status] += n
    return everything, all_region_ids, kept, counts


def _grid_cells(
    session: Session, run: ReportRun, scope: _OverviewScope, shown: list[int], lang: str
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The cells of the regions on the page (the worst status of the targets in a cell, and how many
    targets it holds) and the indicators that have a cell."""
    rank = {s.value: i for i, s in enumerate(WORST_FIRST)}
    rank[Status.INSUFFICIENT_DATA.value] = len(rank)
    rank[QUALITATIVE] = len(rank)  # a cell shows a qualitative target only when it has nothing else
    cells: dict[str, dict[str, Any]] = {}
    grid_indicators: dict[str, str] = {}
    if not shown:
        return cells, grid_indicators
    in_page = (
        select(
            Target.plan_id,
            Target.key,
            Target.indicator_id,
            Target.region_id,
            Target.target_year,
            Assessment.status,
            Assessment.metrics,
        )
        .join(Assessment, _in_run(run))
        .where(_of_regions(shown))
        .order_by(Target.plan_id, Target.key)
    )
    for pid, key, iid, rid, year, status, metrics in session.execute(in_page):
        if not scope.wanted(pid, iid, year):
            continue
        ind = scope.indicators[iid]
        grid_indicators[ind.code] = ind.name_en if lang == "en" else ind.name_zh
        cell_key = f"{ind.code}|{scope.regions[rid].code}"
        cell = cells.get(cell_key)
        # a verdict resting on a preliminary figure says so in the grid too (已实现（初步数据）)
        prelim = bool((metrics or {}).get("latest_preliminary"))
        if cell is None or rank[status] < rank[cell["status"]]:
            cells[cell_key] = {
                "status": status,
                "label": status_label(status, lang, prelim),
                "preliminary": prelim,
                "link": f"{scope.plans[pid].code}/{key}",
                "count": (cell or {}).get("count", 0) + 1,
            }
        else:
            cell["count"] += 1
    return cells, grid_indicators


def overview(
    session: Session,
    run: ReportRun,
    lang: str,
    f: OverviewFilter,
    page: int = 1,
    cache: RunCache | None = None,
) -> dict[str, Any]:
    """Targets by status per plan, and one page of the attainment grid (indicators x regions, the worst
    status of the targets in a cell). A province-wide run holds 100,000s of assessments: they are
    counted in the database, once per run (``cache``), and only the regions on the page are read."""
    en = lang == "en"
    scope = _OverviewScope.read(session, f)
    everything, all_region_ids, kept, counts = _overview_counts(session, run, scope, cache or RunCache())
    ordered = sorted(kept, key=lambda i: scope.regions[i].code)
    pages = max(1, -(-len(ordered) // REGIONS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = ordered[(page - 1) * REGIONS_PER_PAGE : page * REGIONS_PER_PAGE]
    cells, grid_indicators = _grid_cells(session, run, scope, shown, lang)

    def region(rid: int) -> tuple[str, str]:
        r = scope.regions[rid]
        return r.code, r.name_en if en else r.name_zh

    first = (page - 1) * REGIONS_PER_PAGE
    plans = scope.plans
    return {
        "plans": [
            {"code": p.code, "title": p.title_en if en else p.title_zh, "counts": counts[p.id]}
            for p in plans.values()
            if p.id in counts
        ],
        "grid_indicators": sorted(grid_indicators.items(), key=lambda kv: kv[1]),
        "grid_regions": [region(i) for i in shown],
        "cells": cells,
        "grid_page": {
            "page": page,
            "pages": pages,
            "total": len(ordered),
            "first": first + 1 if shown else 0,
            "last": first + len(shown),
            "window": page_window(page, pages),
        },
        "all_plans": [(p.code, p.title_en if en else p.title_zh) for p in plans.values()],
        "all_regions": sorted(region(i) for i in all_region_ids),
        "region_menu": "select" if len(all_region_ids) <= REGION_SELECT_MAX else "search",
        "all_categories": sorted({i.category for i in scope.indicators.values()}),
        "all_years": sorted({year for _, _, year, _, _ in everything}),
    }


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and those around ``page``; None marks a gap."""
    keep = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in keep:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def _path(
    start: tuple[int, float], end_year: int, end_value: float | None, compounding: bool
) -> list[list[float]]:
    b, xb = start
    if end_value is None or end_year <= b:
        return []
    out = []
    for y in range(b, end_year + 1):
        frac = (y - b) / (end_year - b)
        if compounding and xb > 0 and end_value > 0:
            out.append([y, xb * (end_value / xb) ** frac])
        else:
            out.append([y, xb + frac * (end_value - xb)])
    return out


def target_page(session: Session, run: ReportRun, plan_code: str, key: str) -> dict[str, Any]:
    target = session.scalar(
        select(Target).join(Plan).where(Plan.code == plan_code, Target.key == key, Target.valid_to.is_(None))
    )
    if target is None:
        raise NotFound(f"目标 {plan_code}/{key} 不存在", f"target {plan_code}/{key} does not exist")
    indicator = session.get(Indicator, target.indicator_id)
    region = session.get(Region, target.region_id)
    assert indicator is not None and region is not None
    # the run's assessments of this region and indicator (a few), not of the whole plan (100,000s in a
    # province-wide one); without a plan in the filter SQLite goes through the indicator's index
    narrow = AssessmentFilter(region=region.code, indicator=indicator.code)
    records = [r for r in assessment_records(session, run, narrow) if r["id"] == f"{plan_code}/{key}"]
    if not records:
        raise NotFound(
            "该目标尚未评估，请等待下一次报告运行",
            "this target has not been assessed yet; wait for the next run",
        )
    r = records[0]
    indicators = {i.id: i for i in session.scalars(select(Indicator))}
    members = zone_members(session)
    builder = SeriesBuilder(session, indicators, members)
    known = Vintage.of_run(run)
    vintage = load_vintage(session, builder.needed_keys(indicator.id, region.id), known)
    series, how = builder.series(vintage, indicator.id, region.id)
    used = {p.inputs[0] for p in series if len(p.inputs) == 1}
    revised = [
        [period, value]
        for oid, period, value in session.execute(
            select(Observation.id, Observation.period, type_coerce(Observation.value, Float)).where(
                Observation.indicator_id == indicator.id,
                Observation.region_id == region.id,
                known.observations(),
                Observation.value.is_not(None),
                Observation.status != ObservationStatus.PLAN_BASELINE,
            )
        )
        if oid not in used
    ]
    others = beside_figures(session, indicator.id, region.id, run.as_of, used)
    compounding = r["declared_form"] in COMPOUNDING_FORMS
    assessment_full = _assessment_row(session, run, target.id)
    # the target on the indicator's axis: its level (declared, or implied once the base is known), else
    # nothing drawn and the target said in words (a rate indicator's index, 下降10% without a base)
    marker = target_marker(
        {
            **r,
            "baseline_value": figure(target.baseline_value),
            "band": assessment_full.get("band"),
            "stretch_level": assessment_full.get("stretch_level"),
        }
    )
    chart: dict[str, Any] = {
        "indicator": indicator.name_zh,
        "indicator_en": indicator.name_en,
        "region": region.name_zh,
        "region_en": region.name_en,
        "unit": indicator.unit,
        "target_year": target.target_year,
        "period_start": target.period_start,
        "first_year": _first_year(target, r),
        "series": [[p.year, p.value] for p in series],
        "revised": revised,
        "base": None,
        "reference": [],
        "required": [],
        "projection": [],
        "trend": None,
        "target_level": None,
        "band": None,
        "stretch": None,
        "words": {lang: target_words(r, lang) for lang in ("zh", "en")},
    }
    is_rate = indicator.kind is IndicatorKind.GROWTH_RATE
    if not is_rate and r["base_value"] is not None:
        chart["base"] = [r["base_year"], r["base_value"]]
    if marker is not None:
        chart["target_level"], chart["band"], chart["stretch"] = (
            marker["level"],
            marker["band"],
            marker["stretch"],
        )
    if not is_rate and r["target_level"] is not None:
        # the straight path from the base (序时进度) only where it leads towards the better side: a target
        # met at its base has no schedule to keep (METHODOLOGY §3)
        if r["base_value"] is not None and progress_shown(r):
            chart["reference"] = _path(
                (r["base_year"], r["base_value"]), target.target_year, r["target_level"], compounding
            )
        if (
            r["status"] not in MET  # nothing is "needed" once it is met
            and r["latest_value"] is not None
            and r["latest_year"] is not None
            and r["latest_year"] < target.target_year
        ):
            chart["required"] = _path(
                (r["latest_year"], r["latest_value"]), target.target_year, r["target_level"], True
            )
            chart["projection"] = _path(
                (r["latest_year"], r["latest_value"]), target.target_year, r["projection"], True
            )
            chart["trend"] = r["projection_trend"]
    return {
        "record": r,
        "chart": chart,
        "aggregation": how,
        "metrics": assessment_full,
        "target": target,
        "indicator": indicator,
        "region": region,
        "others": others,
    }


def statements_view(
    session: Session, user: User | None, plan_code: str, key: str, limit: int
) -> dict[str, Any]:
    """What the target page shows of a target's statements, and whether this user may add one."""
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    target = (
        session.scalar(
            select(Target).where(Target.plan_id == plan.id, Target.key == key, Target.valid_to.is_(None))
        )
        if plan
        else None
    )
    if plan is None or target is None:
        return {"items": [], "history": [], "may_write": False, "years": [], "limit_mb": 0}
    items = statements.statements(session, plan.id, [key], history=True).get(key, [])
    now = dt.datetime.now(dt.UTC)
    first = target.period_start or (target.baseline_year or target.target_year - 5)
    years = list(range(min(target.target_year, now.year), min(first, target.target_year) - 1, -1))
    return {
        "items": [s for s in items if not s["corrected"]],
        "history": [s for s in items if s["corrected"]],
        "may_write": statements.may_write(session, user, plan, target),
        "years": years,
        "limit_mb": f"{limit / (1024 * 1024):g}",
    }


def _first_year(target: Target, r: dict[str, Any]) -> int:
    """The first year a target's chart shows when there are no data: its base year, else the year before
    its period, else five years before the target year (a plan's term)."""
    for year in (r.get("base_year"), target.reference_year, target.baseline_year):
        if year:
            return int(year)
    if target.period_start:
        return target.period_start - 1
    return target.target_year - 5


def beside_figures(
    session: Session, indicator_id: int, region_id: int, as_of: dt.datetime, used: set[int]
) -> list[dict[str, Any]]:
    """The figures shown beside the counted ones: the latest version of every other source's history
    for a year, and figures for part of a year (METHODOLOGY §6: "the others stay visible")."""
    latest: dict[tuple[int, str], Any] = {}
    for row in session.execute(
        select(
            Observation.id,
            Observation.period,
            type_coerce(Observation.value, Float).label("value"),
            Observation.status,
            Observation.source,
            Observation.source_key,
            Observation.coverage,
        )
        .where(
            Observation.indicator_id == indicator_id,
            Observation.region_id == region_id,
            Observation.reported_at <= as_of,
            Observation.status != ObservationStatus.PLAN_BASELINE,
        )
        .order_by(Observation.reported_at, Observation.id)
    ):
        latest[(row.period, row.source_key)] = row
    return [
        {
            "year": o.period,
            "value": o.value,
            "status": str(o.status),
            "source": o.source,
            "coverage": o.coverage,
        }
        for (_, _), o in sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1]))
        if o.id not in used and o.value is not None
    ]


def _assessment_row(session: Session, run: ReportRun, target_id: int) -> dict[str, Any]:
    row = session.scalar(select(Assessment).where(run_rows(run), Assessment.target_id == target_id))
    return dict(row.metrics) if row is not None else {}


ROWS_PER_PAGE = 50  # rows of each evaluation table per page
INDICATOR_REGIONS_PER_PAGE = 50  # regions of the indicator page's table and chart per page


def _page_of(total: int, page: int, size: int) -> dict[str, Any]:
    """Where page ``page`` (clamped into range) of ``total`` items lies, and the links around it."""
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    first = (page - 1) * size
    last = min(total, first + size)
    return {
        "page": page,
        "pages": pages,
        "total": total,
        "first": first + 1 if total else 0,
        "last": last,
        "offset": first,
        "size": size,
        "window": page_window(page, pages),
    }


def indicator_page(
    session: Session, run: ReportRun, code: str, lang: str, page: int | None = None
) -> dict[str, Any]:
    """An indicator's targets across regions, ordered by region. With ``page`` only the targets of that
    page's regions (``INDICATOR_REGIONS_PER_PAGE`` of them) are read; without it, every one (the CSV)."""
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        raise NotFound(f"指标 {code} 不存在", f"indicator {code} does not exist")
    out: dict[str, Any] = {"indicator": indicator}
    if page is None:
        rows = assessment_records(session, run, AssessmentFilter(indicator=code))
    else:
        in_run = and_(Assessment.target_id == Target.id, run_rows(run))
        regions = session.execute(
            select(Region.id, Region.code, Region.name_zh, Region.name_en)
            .where(
                Region.id.in_(
                    select(Target.region_id)
                    .join(Assessment, in_run)
                    .where(Target.indicator_id == indicator.id)
                )
            )
            .order_by(Region.code)
        ).all()
        g = _page_of(len(regions), page, INDICATOR_REGIONS_PER_PAGE)
        shown = regions[g["offset"] : g["offset"] + g["size"]]
        rows = (
            assessment_records_where(
                session, run, AssessmentFilter(indicator=code), Target.region_id.in_([r.id for r in shown])
            )
            if shown
            else []
        )
        names = [r.name_en if lang == "en" else r.name_zh for r in shown]
        out["region_page"] = {
            **g,
            "first_region": names[0] if names else "",
            "last_region": names[-1] if names else "",
        }
    for r in rows:
        r["status_label"] = status_label(r["status"], lang, bool(r.get("latest_preliminary")))
    rows.sort(key=lambda r: (r["region_code"], r["target_year"]))
    out["rows"] = rows
    return out


def evaluation_page(session: Session, run: ReportRun, plan_code: str) -> dict[str, Any]:
    """Every record of the plan's evaluation (the CSV)."""
    return evaluation(session, run, plan_code)


@dataclass(frozen=True)
class EvaluationFilter:
    verdict: str | None = None  # of the end-of-term table
    status: str | None = None  # of the mid-term table
    region: str | None = None  # a region's code or name (Chinese or English)
    organisation: str | None = None  # what it leads, supports or holds a share of


def evaluation_view(
    session: Session,
    run: ReportRun,
    plan_code: str,
    lang: str,
    f: EvaluationFilter,
    eot_page: int = 1,
    mid_page: int = 1,
    cache: RunCache | None = None,
) -> dict[str, Any]:
    """A plan's evaluation: the counts over all its targets (counted in the database, once per run)
    and one page of each table (end-of-term, mid-term), read from the database page by page."""
    cache = cache or RunCache()
    d = cache.get(run, ("evaluation", plan_code), lambda: evaluation_counts(session, run, plan_code))
    ended = end_of_term_condition(run.as_of.year)
    region_where: list[Any] = []
    if f.region:
        ids = select(Region.id).where(
            or_(Region.code == f.region, Region.name_zh == f.region, Region.name_en == f.region)
        )
        region_where.append(Target.region_id.in_(ids))
    if f.organisation:
        from service.domain.targets import organisation_condition

        region_where.append(organisation_condition(session, f.organisation))
    plan = AssessmentFilter(plan=plan_code)
    eot_where = [ended, *region_where]
    if f.verdict in VERDICTS:
        eot_where.append(verdict_condition(f.verdict))
    mid_where = [not_(ended), *region_where]
    if f.status:
        mid_where.append(Assessment.status == f.status)
    if region_where:
        eot_total = count_records_where(session, run, plan, *eot_where)
        mid_total = count_records_where(session, run, plan, *mid_where)
    else:  # from the counts
        eot_counts, mid_counts = d["end_of_term_counts"], d["mid_term_counts"]
        eot_total = eot_counts.get(f.verdict, 0) if f.verdict in VERDICTS else sum(eot_counts.values())
        mid_total = mid_counts.get(f.status, 0) if f.status else sum(mid_counts.values())
    eot = _page_of(eot_total, eot_page, ROWS_PER_PAGE)
    mid = _page_of(mid_total, mid_page, ROWS_PER_PAGE)

    def rows(where: list[Any], g: dict[str, Any]) -> list[dict[str, Any]]:
        if not g["total"]:
            return []
        # with what the figures rest on (preliminary, sources), as the downloaded reports show them
        return add_evidence(
            session, assessment_records_where(session, run, plan, *where, offset=g["offset"], limit=g["size"])
        )

    return {
        **d,
        "plan_title": d["plan_en"] if lang == "en" else d["plan"],
        "end_of_term": [with_verdict(r) for r in rows(eot_where, eot)],
        "eot_page": eot,
        "mid_term": rows(mid_where, mid),
        "mid_page": mid,
        "end_of_term_total": sum(d["end_of_term_counts"].values()),
        "mid_term_total": sum(d["mid_term_counts"].values()),
        "verdicts": [v for v in VERDICTS if d["end_of_term_counts"].get(v)],
        "statuses": [s for s in (*(s.value for s in Status), QUALITATIVE) if d["mid_term_counts"].get(s)],
    }


def entry_rows(session: Session, region: Region, year: int) -> list[dict[str, Any]]:
    """Indicators a region is expected to report (its targets' and its zones' targets'), with last
    year's value and the value already entered for ``year``."""
    expected = expected_indicators(session, region)
    ind_ids = {i.id for i in expected}
    indicators = {i.id: i for i in expected}
    vintage = load_vintage(session, {(i, region.id) for i in ind_ids}, Vintage.now(dt.datetime.now(dt.UTC)))
    rows = []
    for i in sorted(ind_ids, key=lambda i: indicators[i].code):
        years = vintage.get((i, region.id), {})
        last, current = years.get(year - 1), years.get(year)
        rows.append(
            {
                "indicator": indicators[i],
                "last": last.value if last else None,
                "current": current.value if current else None,
            }
        )
    return rows


def plan_list(session: Session, lang: str) -> list[dict[str, Any]]:
    """The catalog's plans with how many targets (in force) each has per target year, and how many are
    binding, anticipatory and qualitative."""
    per_year: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    kinds: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    qualitative = Target.comparator == Comparator.QUALITATIVE
    counted = (
        select(Target.plan_id, Target.target_year, Target.attribute, qualitative, func.count())
        .where(Target.valid_to.is_(None))
        .group_by(Target.plan_id, Target.target_year, Target.attribute, qualitative)
    )
    for plan_id, year, attribute, is_qualitative, n in session.execute(counted):
        per_year[plan_id][year] += n
        if attribute is not None:
            kinds[plan_id][attribute.value] += n
        if is_qualitative:
            kinds[plan_id]["qualitative"] += n
    return [
        {
            "code": p.code,
            "title": p.title_en if lang == "en" else p.title_zh,
            "issuer": p.issuer,
            "issued": p.issued,
            "base_year": p.base_year,
            "document": p.document_title or p.source_document,
            "period": (p.period_start, p.period_end) if p.period_start else None,
            "years": sorted(per_year[p.id].items()),
            "targets": sum(per_year[p.id].values()),
            "kinds": dict(kinds[p.id]),
        }
        for p in session.scalars(select(Plan).order_by(Plan.code))
    ]


PLAN_TARGETS_PER_PAGE = 100
PLAN_TARGET_KINDS = ("binding", "anticipatory", "qualitative")


@dataclass(frozen=True)
class PlanTargetFilter:
    year: int | None = None  # target year
    kind: str | None = None  # binding | anticipatory | qualitative
    organisation: str | None = None  # code or name: what it leads, supports or holds a share of


def plan_targets(
    session: Session, run: ReportRun | None, code: str, lang: str, f: PlanTargetFilter, page: int = 1
) -> dict[str, Any]:
    """A plan's targets in force, one page of them, with their attribute, period and (when the latest run
    assessed them) status; qualitative targets with their words."""
    plan = session.scalar(select(Plan).where(Plan.code == code))
    if plan is None:
        raise NotFound(f"规划 {code} 不存在", f"plan {code!r} does not exist")
    en = lang == "en"
    where: list[Any] = [Target.plan_id == plan.id, Target.valid_to.is_(None)]
    if f.year is not None:
        where.append(Target.target_year == f.year)
    if f.kind == "qualitative":
        where.append(Target.comparator == Comparator.QUALITATIVE)
    elif f.kind in ("binding", "anticipatory"):
        where.append(Target.attribute == Attribute(f.kind))
    if f.organisation:
        from service.domain.targets import organisation_condition

        where.append(organisation_condition(session, f.organisation))
    total = session.scalar(select(func.count()).select_from(Target).where(*where)) or 0
    g = _page_of(total, page, PLAN_TARGETS_PER_PAGE)
    stmt = (
        select(Target, Indicator, Region, Assessment.status, Assessment.latest_year, Assessment.latest_value)
        .join(Indicator, Target.indicator_id == Indicator.id)
        .join(Region, Target.region_id == Region.id)
        .outerjoin(
            Assessment,
            and_(
                Assessment.target_id == Target.id,
                run_rows(run) if run is not None else Assessment.run_id == -1,
            ),
        )
        .where(*where)
        .order_by(Target.target_year, Target.key)
        .offset(g["offset"])
        .limit(g["size"])
    )
    rows = []
    for tg, ind, reg, status, latest_year, latest_value in session.execute(stmt):
        rec = {
            "id": f"{plan.code}/{tg.key}",
            "key": tg.key,
            "chapter": tg.chapter,
            "indicator": ind.name_en if en else ind.name_zh,
            "region": reg.name_en if en else reg.name_zh,
            "unit": ind.unit,
            "target_unit": tg.unit,
            "comparator": tg.comparator.value,
            "value": figure(tg.value),
            "low": figure(tg.low),
            "high": figure(tg.high),
            "stretch_value": figure(tg.stretch_value),
            "declared_form": tg.declared_form.value,
            "target_year": tg.target_year,
            "period_start": tg.period_start,
            "attribute": tg.attribute.value if tg.attribute else None,
            "qualitative": tg.comparator is Comparator.QUALITATIVE,
            "source_quote": tg.source_quote,
            "baseline_value": figure(tg.baseline_value),
            "baseline_year": tg.baseline_year,
            "reference_year": tg.reference_year,
            "indicator_kind": ind.kind.value,
            "status": status,
            "latest_year": latest_year,
            "latest_value": latest_value,
        }
        rows.append(rec)
    from service.domain.assignments import assignments_by_key

    who = assignments_by_key(session, [plan.id]) if rows else {}
    for rec in rows:  # 牵头单位, for "what my bureau is accountable for"
        lead = who.get((plan.id, rec["key"]), {}).get("lead")
        rec["lead"] = (lead["name_en"] if en else lead["name_zh"]) if lead else None
    years = sorted(
        set(
            session.scalars(
                select(Target.target_year)
                .where(Target.plan_id == plan.id, Target.valid_to.is_(None))
                .distinct()
            )
        )
    )
    return {
        "plan": plan,
        "title": plan.title_en if en else plan.title_zh,
        "rows": rows,
        "page": g,
        "years": years,
        "kinds": PLAN_TARGET_KINDS,
    }


def plan_regions(session: Session, plan_code: str, lang: str) -> list[tuple[str, str, str]]:
    """(code, name in the page's language, the other name) of every region a plan sets targets for: the
    evaluation page's region picker."""
    rows = session.execute(
        select(Region.code, Region.name_zh, Region.name_en)
        .join(Target, Target.region_id == Region.id)
        .join(Plan, Target.plan_id == Plan.id)
        .where(Plan.code == plan_code)
        .distinct()
    ).all()
    en = lang == "en"
    return sorted(
        ((c, (ne or nz) if en else nz, nz if en else (ne or "")) for c, nz, ne in rows), key=lambda r: r[0]
    )


def pick_region(regions: list[tuple[str, str, str]], given: str) -> str | None:
    """The code of the region a person picked or typed (its code, or its Chinese or English name)."""
    wanted = given.strip().casefold()
    for code, name, other in regions:
        if wanted in (code.casefold(), name.casefold(), other.casefold()):
            return code
    return None
