"""Reading runs back: assessment records, what changed since the previous run, plan evaluations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from service.db.models import Assessment, Indicator, Observation, Plan, Region, ReportRun, RunStatus, Target
from service.domain.errors import NotFound
from service.domain.statuses import MET, QUALITATIVE, VERDICTS, Status
from service.domain.targets import figure
from service.domain.texts import TEXTS
from service.domain.vintage import is_current
from service.domain.wording import fmt_value
from service.reports.evidence import add_evidence

RUN_PAGE = 50
# an incremental run's ``summary["scope"]`` key naming the full run whose rows stand for the
# assessments the incremental run does not store (``engine.run_incremental``)
ROWS_FROM = "rows_from_run"


def in_run(run: ReportRun) -> Any:
    """The condition on ``Assessment`` that selects every assessment of ``run``, one a target.

    A full run stores all of them. An incremental run stores only those that differ from a full run's
    (what it and its incremental predecessors since that run reassessed); the others are that full
    run's rows, which a run never changes: so every run reads as a complete snapshot, and an
    incremental run costs what it reassessed, not the size of the catalog."""
    rows_from = ((run.summary or {}).get("scope") or {}).get(ROWS_FROM)
    if rows_from is None:
        return Assessment.run_id == run.id
    stored = aliased(Assessment)
    return and_(
        Assessment.run_id.in_((run.id, rows_from)),  # the (run, target) index, whatever the planner thinks
        or_(
            Assessment.run_id == run.id,
            Assessment.target_id.not_in(select(stored.target_id).where(stored.run_id == run.id)),
        ),
    )


def latest_live_run(session: Session, before: int | None = None) -> ReportRun | None:
    """The live view: the newest finished run as of the time it was computed (``vintage.is_current``),
    before the run id ``before`` if given. A run as of a past date (a snapshot, kept and reachable by its
    id) never takes its place, whatever made it."""
    stmt = select(ReportRun).where(ReportRun.status == RunStatus.FINISHED).order_by(ReportRun.id.desc())
    if before is not None:
        stmt = stmt.where(ReportRun.id < before)
    offset = 0
    while True:  # snapshots are few: nearly always the first page holds the answer
        runs = session.scalars(stmt.offset(offset).limit(RUN_PAGE)).all()
        found = next((r for r in runs if is_current(r)), None)
        if found is not None or len(runs) < RUN_PAGE:
            return found
        offset += RUN_PAGE


def latest_run_as_of_cutoff(session: Session, view: str | None = None) -> ReportRun | None:
    """The finished run as of its own recording cut-off (as of = cut-off: a run made "now") with the
    latest moment, in the review view ``view`` (None: review off): every change committed before that
    moment is in it, every later one still waits. The base an incremental run carries its other
    assessments over from."""
    return session.scalars(
        select(ReportRun)
        .where(
            ReportRun.status == RunStatus.FINISHED,
            ReportRun.as_of == ReportRun.recorded_until,
            ReportRun.review_view.is_(None) if view is None else ReportRun.review_view == view,
        )
        .order_by(ReportRun.as_of.desc(), ReportRun.id.desc())
        .limit(1)
    ).first()


def get_run(session: Session, run_id: int | None) -> ReportRun:
    """A finished run by id, or the latest finished run."""
    if run_id is None:
        run = latest_live_run(session)
    else:
        run = session.scalar(
            select(ReportRun).where(ReportRun.status == RunStatus.FINISHED, ReportRun.id == run_id)
        )
    if run is None:
        if run_id is None:
            raise NotFound(
                "还没有已完成的报告运行，请先运行 yrdmon report run",
                "no finished report run yet; run `yrdmon report run` first",
            )
        raise NotFound(f"报告运行 {run_id} 不存在", f"report run {run_id} does not exist")
    return run


def previous_run(session: Session, run: ReportRun) -> ReportRun | None:
    """The run before ``run`` that it is compared with: for a current run the previous current run (a
    snapshot of a past date in between is no step of the live view), for a snapshot any earlier run."""
    if is_current(run):
        return latest_live_run(session, before=run.id)
    stmt = select(ReportRun).where(ReportRun.status == RunStatus.FINISHED, ReportRun.id < run.id)
    return session.scalar(stmt.order_by(ReportRun.id.desc()).limit(1))


@dataclass(frozen=True)
class AssessmentFilter:
    plan: str | None = None
    region: str | None = None
    indicator: str | None = None
    status: str | None = None


def assessment_records(
    session: Session, run: ReportRun, f: AssessmentFilter = AssessmentFilter()
) -> list[dict[str, Any]]:
    return assessment_records_where(session, run, f)


_RECORD_COLUMNS = (
    Assessment.status,
    Assessment.score,
    Assessment.target_level,
    Assessment.base_year,
    Assessment.base_value,
    Assessment.latest_year,
    Assessment.latest_value,
    Assessment.completion,
    Assessment.pace_ratio,
    Assessment.inputs,
    Assessment.metrics,
    Target.key,
    Target.version,
    Target.chapter,
    Target.comparator,
    Target.value,
    Target.low,
    Target.high,
    Target.stretch_value,
    Target.unit.label("target_unit"),
    Target.target_year,
    Target.declared_form,
    Target.period_start,
    Target.attribute,
    Target.source_document,
    Target.source_quote,
    Target.reference_year,
    Target.baseline_value,
    Target.baseline_year,
    Plan.code.label("plan_code"),
    Plan.title_zh.label("plan_zh"),
    Plan.title_en.label("plan_en"),
    Indicator.code.label("indicator_code"),
    Indicator.name_zh.label("indicator_zh"),
    Indicator.name_en.label("indicator_en"),
    Indicator.unit.label("indicator_unit"),
    Indicator.kind.label("indicator_kind"),
)


def _records_stmt(run: ReportRun, f: AssessmentFilter, where: tuple[Any, ...]) -> Any:
    """The run's records as plain rows of the columns ``_record`` reads (no ORM objects: a national
    download reads 840,000 of them)."""
    region = aliased(Region)
    stmt = (
        select(
            *_RECORD_COLUMNS,
            region.code.label("region_code"),
            region.name_zh.label("region_zh"),
            region.name_en.label("region_en"),
        )
        .select_from(Assessment)
        .join(Target, Assessment.target_id == Target.id)
        .join(Plan, Target.plan_id == Plan.id)
        .join(Indicator, Target.indicator_id == Indicator.id)
        .join(region, Target.region_id == region.id)
        .where(in_run(run), *where)
    )
    if f.plan:
        stmt = stmt.where(Plan.code == f.plan)
    if f.region:
        stmt = stmt.where((region.code == f.region) | (region.name_zh == f.region))
    if f.indicator:
        stmt = stmt.where(Indicator.code == f.indicator)
    if f.status:
        stmt = stmt.where(Assessment.status == f.status)
    return stmt


def assessment_select(run: ReportRun, f: AssessmentFilter = AssessmentFilter(), *where: Any) -> Any:
    """The run's assessments that ``f`` and the further SQL conditions ``where`` keep, ordered by plan and
    key, as plain rows for ``assessment_record``."""
    return _records_stmt(run, f, where).order_by(Plan.code, Target.key)


def assessment_record(run: ReportRun, r: Any) -> dict[str, Any]:
    """One row of ``assessment_select`` as the record the API, pages and exports show."""
    a = t = r
    m = r.metrics
    return {
        "run_id": run.id,
        "as_of": run.as_of.isoformat(),
        "id": f"{r.plan_code}/{t.key}",
        "target_version": t.version,
        "plan_code": r.plan_code,
        "plan": r.plan_zh,
        "plan_en": r.plan_en,
        "chapter": t.chapter,
        "region_code": r.region_code,
        "region": r.region_zh,
        "region_en": r.region_en,
        "indicator_code": r.indicator_code,
        "indicator": r.indicator_zh,
        "indicator_en": r.indicator_en,
        "unit": r.indicator_unit,
        "comparator": t.comparator.value,
        "value": figure(t.value),
        "low": figure(t.low),
        "high": figure(t.high),
        "stretch_value": figure(t.stretch_value),
        "target_unit": r.target_unit,
        "target_year": t.target_year,
        "declared_form": t.declared_form.value,
        "period_start": t.period_start,
        "attribute": t.attribute.value if t.attribute else None,
        "status": a.status,
        "status_zh": m.get("label_zh"),
        "status_en": m.get("label_en"),
        "score": a.score,
        "target_level": a.target_level,
        "base_year": a.base_year,
        "base_value": a.base_value,
        "latest_year": a.latest_year,
        "latest_value": a.latest_value,
        "tau": m.get("tau"),
        "completion": a.completion,
        "schedule_gap": m.get("schedule_gap"),
        "ref_value": m.get("ref_value"),
        "cagr_actual": m.get("cagr_actual"),
        "cagr_required": m.get("cagr_required"),
        "pace_ratio": a.pace_ratio,
        "r_remain": m.get("r_remain"),
        "gap": m.get("gap"),
        "shortfall": m.get("shortfall"),
        "projection": m.get("projection"),
        "projection_trend": m.get("projection_trend"),
        "p_meet": m.get("p_meet"),
        "strict_pass": m.get("strict_pass"),
        "first_met_year": m.get("first_met_year"),
        "aggregation": m.get("aggregation"),
        "notes": m.get("notes", []),
        "inputs": a.inputs,
        "source_document": t.source_document,
        "source_quote": t.source_quote,
        "gap_share": m.get("gap_share"),
        "p_meet_interval": m.get("p_meet_interval"),
        "stretch_level": m.get("stretch_level"),
        "stretch_met": m.get("stretch_met"),
        "reference_year": t.reference_year,
        "latest_preliminary": bool(m.get("latest_preliminary")),
        "verdict_year": m.get("verdict_year"),
        "base_met": m.get("base_met"),
        "band": m.get("band"),
        "binding_comparator": m.get("comparator"),
        "indicator_kind": r.indicator_kind.value,
        "baseline_value": figure(t.baseline_value),
        "baseline_year": t.baseline_year,
    }


def assessment_records_where(
    session: Session,
    run: ReportRun,
    f: AssessmentFilter = AssessmentFilter(),
    *where: Any,
    offset: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The records ``f`` and the further SQL conditions ``where`` keep, ordered by plan and key; with
    ``offset``/``limit`` only that slice is read from the database (a page of a large plan)."""
    stmt = assessment_select(run, f, *where)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [assessment_record(run, row) for row in session.execute(stmt)]


def record_chunks(
    session: Session, run: ReportRun, f: AssessmentFilter = AssessmentFilter(), *where: Any, chunk: int = 2000
) -> Iterator[list[dict[str, Any]]]:
    """The records of ``assessment_records_where``, in the same order, ``chunk`` at a time through the
    database's cursor: for downloads of a whole run, in memory that does not grow with the catalog."""
    stmt = assessment_select(run, f, *where).execution_options(yield_per=chunk)
    for part in session.execute(stmt).partitions():
        yield [assessment_record(run, row) for row in part]


OVERVIEW_FIELDS = [
    "id",
    "plan",
    "region",
    "indicator",
    "target_year",
    "status",
    "status_zh",
    "latest_year",
    "latest_value",
    "target_level",
    "pace_ratio",
]


def overview_chunks(session: Session, run: ReportRun, chunk: int = 5000) -> Iterator[list[dict[str, Any]]]:
    """The ``OVERVIEW_FIELDS`` of every record of the run (what ``record_chunks`` gives of them, in the
    same order), read as those columns only: no JSON decoded but the status label, no record built
    of the sixty fields a download does not show (the overview CSV of a national run)."""
    region = aliased(Region)
    stmt = (
        select(
            Plan.code,
            Target.key,
            Plan.title_zh,
            region.name_zh,
            Indicator.name_zh,
            Target.target_year,
            Assessment.status,
            Assessment.metrics["label_zh"].as_string(),
            Assessment.latest_year,
            Assessment.latest_value,
            Assessment.target_level,
            Assessment.pace_ratio,
        )
        .select_from(Assessment)
        .join(Target, Assessment.target_id == Target.id)
        .join(Plan, Target.plan_id == Plan.id)
        .join(Indicator, Target.indicator_id == Indicator.id)
        .join(region, Target.region_id == region.id)
        .where(in_run(run))
        .order_by(Plan.code, Target.key)
        .execution_options(yield_per=chunk)
    )
    names = OVERVIEW_FIELDS[1:]
    for part in session.execute(stmt).partitions():
        yield [{"id": f"{row[0]}/{row[1]}", **dict(zip(names, row[2:], strict=True))} for row in part]


def count_records_where(
    session: Session, run: ReportRun, f: AssessmentFilter = AssessmentFilter(), *where: Any
) -> int:
    """How many records ``assessment_records_where`` would give, counted in the database."""
    inner = _records_stmt(run, f, where).with_only_columns(Assessment.id).subquery()
    return session.scalar(select(func.count()).select_from(inner)) or 0


def changes(session: Session, run: ReportRun, before: ReportRun | None = None) -> list[dict[str, Any]]:
    """Per target whose status or figures changed since the previous run: what changed and why."""
    before = before if before is not None else previous_run(session, run)
    if before is None:
        return []
    old = {r["id"]: r for r in assessment_records(session, before)}
    new = {r["id"]: r for r in assessment_records(session, run)}
    ids = {i for r in (*old.values(), *new.values()) for i in r["inputs"]}
    keys = (
        {
            oid: (ind, reg, period)
            for oid, ind, reg, period in session.execute(
                select(
                    Observation.id, Observation.indicator_id, Observation.region_id, Observation.period
                ).where(Observation.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            out.append(
                {
                    "id": key,
                    "before": a and a["status"],
                    "after": b and b["status"],
                    "reason": "target_added" if a is None else "target_removed",
                }
            )
            continue
        same_figures = (a["status"], a["latest_value"], a["latest_year"]) == (
            b["status"],
            b["latest_value"],
            b["latest_year"],
        )
        if same_figures and a["target_version"] == b["target_version"] and a["inputs"] == b["inputs"]:
            continue
        reasons = []
        if a["target_version"] != b["target_version"]:
            reasons.append("target_changed")
        old_keys = {keys.get(i) for i in a["inputs"]}
        added = [i for i in b["inputs"] if i not in set(a["inputs"])]
        if any(keys.get(i) in old_keys for i in added):
            reasons.append("revised")
        if any(keys.get(i) not in old_keys for i in added):
            reasons.append("new_data")
        if not added and a["inputs"] != b["inputs"]:
            reasons.append("data_withdrawn")
        out.append(
            {
                "id": key,
                "plan_code": b["plan_code"],
                "region": b["region"],
                "indicator": b["indicator"],
                "before": a["status"],
                "after": b["status"],
                "status_changed": a["status"] != b["status"],
                "before_value": a["latest_value"],
                "after_value": b["latest_value"],
                "before_year": a["latest_year"],
                "after_year": b["latest_year"],
                "reason": "+".join(reasons) or "recomputed",
            }
        )
    return out


VERDICT_LABELS = {v: TEXTS["status_" + v] for v in VERDICTS}  # the words live in service/domain/texts.py


def verdict_of(status: str, first_met_year: float | None, target_year: int) -> str:
    """The end-of-term verdict of a target whose year has passed."""
    if status in MET:
        early = first_met_year is not None and first_met_year < target_year
        return "achieved_early" if early else "achieved"
    if status == Status.MISSED.value:
        return "missed"
    if status == QUALITATIVE:  # no number: listed with its words, no verdict on a figure
        return QUALITATIVE
    return "insufficient_data"


def with_verdict(r: dict[str, Any]) -> dict[str, Any]:
    """An end-of-term record with its verdict (and labels) and the evidence for it."""
    verdict = verdict_of(r["status"], r["first_met_year"], r["target_year"])
    evidence = (
        f"{r['latest_year']}年 {fmt_value(r['latest_value'], r['unit'])}"
        if r["latest_value"] is not None
        else "无数据"
    )
    if verdict == QUALITATIVE:
        evidence = f"定性目标：{r['source_quote']}" + (
            f"（{evidence}）" if r["latest_value"] is not None else ""
        )
    return {
        **r,
        "verdict": verdict,
        "verdict_zh": VERDICT_LABELS[verdict][0],
        "verdict_en": VERDICT_LABELS[verdict][1],
        "evidence": evidence,
    }


def _first_met_year() -> Any:
    return Assessment.metrics["first_met_year"].as_float()


def evaluation_chunks(
    session: Session, run: ReportRun, plan_code: str, chunk: int = 2000
) -> Iterator[list[dict[str, Any]]]:
    """The records of ``evaluation`` (its end-of-term ones with their verdicts, then its mid-term ones,
    each with its evidence), ``chunk`` at a time: the download of a plan of any size."""
    if session.scalar(select(Plan.id).where(Plan.code == plan_code)) is None:
        raise NotFound(f"规划 {plan_code} 不存在", f"plan {plan_code!r} does not exist")
    year = run.as_of.year
    plan = AssessmentFilter(plan=plan_code)
    for part in record_chunks(session, run, plan, end_of_term_condition(year), chunk=chunk):
        yield add_evidence(session, [with_verdict(r) for r in part])
    for part in record_chunks(session, run, plan, not_(end_of_term_condition(year)), chunk=chunk):
        yield add_evidence(session, part)


def end_of_term_condition(year: int) -> Any:
    """The SQL condition of ``evaluation``'s end-of-term targets (target year before ``year``)."""
    return Target.target_year < year


def verdict_condition(verdict: str) -> Any:
    """The SQL condition of an end-of-term verdict (``verdict_of`` in the database)."""
    achieved = Assessment.status.in_(sorted(s.value for s in MET))
    early = and_(_first_met_year().is_not(None), _first_met_year() < Target.target_year)
    if verdict == "achieved_early":
        return and_(achieved, early)
    if verdict == "achieved":
        return and_(achieved, not_(early))
    if verdict == "missed":
        return Assessment.status == Status.MISSED.value
    if verdict == "insufficient_data":
        return Assessment.status.not_in([*sorted(s.value for s in MET), Status.MISSED.value, QUALITATIVE])
    if verdict == QUALITATIVE:
        return Assessment.status == QUALITATIVE
    raise ValueError(verdict)


def evaluation_counts(session: Session, run: ReportRun, plan_code: str, *where: Any) -> dict[str, Any]:
    """``evaluation``'s figures without its records, counted in the database (a province-wide plan
    has 100,000s of targets): the end-of-term verdict counts and the mid-term status counts."""
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise NotFound(f"规划 {plan_code} 不存在", f"plan {plan_code!r} does not exist")
    year = run.as_of.year
    ended = end_of_term_condition(year)
    early = and_(ended, _first_met_year().is_not(None), _first_met_year() < Target.target_year)
    is_ended, is_early = case((ended, 1), else_=0), case((early, 1), else_=0)
    grouped = (
        select(Assessment.status, is_ended, is_early, func.count())
        .join(Target, Assessment.target_id == Target.id)
        .where(in_run(run), Target.plan_id == plan.id, *where)
        .group_by(Assessment.status, is_ended, is_early)
    )
    end_counts: dict[str, int] = {}
    mid_counts: dict[str, int] = {}
    for status, ended_, early_, n in session.execute(grouped):
        if ended_:
            verdict = "achieved_early" if early_ and status in MET else verdict_of(status, None, 0)
            end_counts[verdict] = end_counts.get(verdict, 0) + n
        else:
            mid_counts[status] = mid_counts.get(status, 0) + n
    return {
        "plan_code": plan.code,
        "plan": plan.title_zh,
        "plan_en": plan.title_en,
        "run_id": run.id,
        "as_of": run.as_of.isoformat(),
        "end_of_term_counts": end_counts,
        "mid_term_counts": mid_counts,
    }


def evaluation(session: Session, run: ReportRun, plan_code: str) -> dict[str, Any]:
    """End-of-term (末期, target year reached) and mid-term (中期) evaluation of one plan's targets."""
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise NotFound(f"规划 {plan_code} 不存在", f"plan {plan_code!r} does not exist")
    year = run.as_of.year
    end_term, mid_term = [], []
    for r in assessment_records(session, run, AssessmentFilter(plan=plan_code)):
        if r["target_year"] < year:
            end_term.append(with_verdict(r))
        else:
            mid_term.append(r)
    counts: dict[str, int] = {}
    for r in end_term:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    add_evidence(session, [*end_term, *mid_term])
    return {
        "plan_code": plan.code,
        "plan": plan.title_zh,
        "run_id": run.id,
        "as_of": run.as_of.isoformat(),
        "end_of_term": end_term,
        "end_of_term_counts": counts,
        "mid_term": mid_term,
        "review_view": run.review_view,  # official / provisional where figures are reviewed; None: review off
    }
