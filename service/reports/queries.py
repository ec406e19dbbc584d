"""Reading runs back: assessment records, what changed since the previous run, plan evaluations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from service.db.models import Assessment, Indicator, Observation, Plan, Region, ReportRun, Target
from service.domain.errors import NotFound
from service.domain.statuses import Status
from service.domain.targets import figure

ACHIEVED = {Status.ACHIEVED.value, Status.ACHIEVED_EARLY.value}


def latest_finished_run(session: Session) -> ReportRun | None:
    return session.scalar(
        select(ReportRun).where(ReportRun.status == "finished").order_by(ReportRun.id.desc()).limit(1)
    )


def get_run(session: Session, run_id: int | None) -> ReportRun:
    """A finished run by id, or the latest finished run."""
    if run_id is None:
        run = latest_finished_run(session)
    else:
        run = session.scalar(select(ReportRun).where(ReportRun.status == "finished", ReportRun.id == run_id))
    if run is None:
        if run_id is None:
            raise NotFound("还没有已完成的报告运行，请先运行 yrdmon report run",
                           "no finished report run yet; run `yrdmon report run` first")  # fmt: skip
        raise NotFound(f"报告运行 {run_id} 不存在", f"report run {run_id} does not exist")
    return run


def previous_run(session: Session, run: ReportRun) -> ReportRun | None:
    return session.scalar(
        select(ReportRun)
        .where(ReportRun.status == "finished", ReportRun.id < run.id)
        .order_by(ReportRun.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class AssessmentFilter:
    plan: str | None = None
    region: str | None = None
    indicator: str | None = None
    status: str | None = None


def assessment_records(
    session: Session, run: ReportRun, f: AssessmentFilter = AssessmentFilter()
) -> list[dict[str, Any]]:
    region = aliased(Region)
    stmt = (
        select(Assessment, Target, Plan, Indicator, region)
        .join(Target, Assessment.target_id == Target.id)
        .join(Plan, Target.plan_id == Plan.id)
        .join(Indicator, Target.indicator_id == Indicator.id)
        .join(region, Target.region_id == region.id)
        .where(Assessment.run_id == run.id)
    )
    if f.plan:
        stmt = stmt.where(Plan.code == f.plan)
    if f.region:
        stmt = stmt.where((region.code == f.region) | (region.name_zh == f.region))
    if f.indicator:
        stmt = stmt.where(Indicator.code == f.indicator)
    if f.status:
        stmt = stmt.where(Assessment.status == f.status)
    out = []
    for a, t, p, ind, reg in session.execute(stmt.order_by(Plan.code, Target.key)):
        m = a.metrics
        out.append({
            "run_id": run.id, "as_of": run.as_of.isoformat(), "id": f"{p.code}/{t.key}", "target_version": t.version,
            "plan_code": p.code, "plan": p.title_zh, "chapter": t.chapter, "region_code": reg.code,
            "region": reg.name_zh, "indicator_code": ind.code, "indicator": ind.name_zh, "unit": ind.unit,
            "comparator": t.comparator.value, "value": figure(t.value), "low": figure(t.low), "high": figure(t.high),
            "stretch_value": figure(t.stretch_value), "target_unit": t.unit, "target_year": t.target_year,
            "declared_form": t.declared_form.value, "status": a.status, "status_zh": m.get("label_zh"),
            "status_en": m.get("label_en"), "score": a.score, "target_level": a.target_level,
            "base_year": a.base_year, "base_value": a.base_value, "latest_year": a.latest_year,
            "latest_value": a.latest_value, "tau": m.get("tau"), "completion": a.completion,
            "schedule_gap": m.get("schedule_gap"), "ref_value": m.get("ref_value"), "cagr_actual": m.get("cagr_actual"),
            "cagr_required": m.get("cagr_required"), "pace_ratio": a.pace_ratio, "r_remain": m.get("r_remain"),
            "gap": m.get("gap"), "shortfall": m.get("shortfall"), "projection": m.get("projection"),
            "projection_trend": m.get("projection_trend"), "p_meet": m.get("p_meet"),
            "strict_pass": m.get("strict_pass"), "first_met_year": m.get("first_met_year"),
            "aggregation": m.get("aggregation"), "notes": m.get("notes", []), "inputs": a.inputs,
            "source_document": t.source_document, "source_quote": t.source_quote,
        })  # fmt: skip
    return out


def changes(session: Session, run: ReportRun, before: ReportRun | None = None) -> list[dict[str, Any]]:
    """Per target whose status or figures changed since the previous run: what changed and why."""
    before = before if before is not None else previous_run(session, run)
    if before is None:
        return []
    old = {r["id"]: r for r in assessment_records(session, before)}
    new = {r["id"]: r for r in assessment_records(session, run)}
    ids = {i for r in (*old.values(), *new.values()) for i in r["inputs"]}
    keys = {
        oid: (ind, reg, period)
        for oid, ind, reg, period in session.execute(
            select(Observation.id, Observation.indicator_id, Observation.region_id, Observation.period).where(
                Observation.id.in_(ids)
            )
        )
    } if ids else {}  # fmt: skip
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            out.append({"id": key, "before": a and a["status"], "after": b and b["status"],
                        "reason": "target_added" if a is None else "target_removed"})  # fmt: skip
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
        out.append({
            "id": key, "plan_code": b["plan_code"], "region": b["region"], "indicator": b["indicator"],
            "before": a["status"], "after": b["status"], "status_changed": a["status"] != b["status"],
            "before_value": a["latest_value"], "after_value": b["latest_value"],
            "before_year": a["latest_year"], "after_year": b["latest_year"],
            "reason": "+".join(reasons) or "recomputed",
        })  # fmt: skip
    return out


def evaluation(session: Session, run: ReportRun, plan_code: str) -> dict[str, Any]:
    """End-of-term (末期, target year reached) and mid-term (中期) evaluation of one plan's targets."""
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise NotFound(f"规划 {plan_code} 不存在", f"plan {plan_code!r} does not exist")
    year = run.as_of.year
    end_term, mid_term = [], []
    for r in assessment_records(session, run, AssessmentFilter(plan=plan_code)):
        if r["target_year"] < year:
            first = r["first_met_year"]
            if r["status"] in ACHIEVED:
                verdict = "achieved_early" if first is not None and first < r["target_year"] else "achieved"
            elif r["status"] == Status.MISSED.value:
                verdict = "missed"
            else:
                verdict = "insufficient_data"
            labels = {"achieved_early": ("提前实现", "Achieved early"), "achieved": ("已实现", "Achieved"),
                      "missed": ("未实现", "Missed"), "insufficient_data": ("数据不足", "Insufficient data")}  # fmt: skip
            evidence = (
                f"{r['latest_year']}年 {r['latest_value']:g}{r['unit']}"
                if r["latest_value"] is not None
                else "无数据"
            )
            end_term.append({**r, "verdict": verdict, "verdict_zh": labels[verdict][0],
                             "verdict_en": labels[verdict][1], "evidence": evidence})  # fmt: skip
        else:
            mid_term.append(r)
    counts: dict[str, int] = {}
    for r in end_term:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return {
        "plan_code": plan.code, "plan": plan.title_zh, "run_id": run.id, "as_of": run.as_of.isoformat(),
        "end_of_term": end_term, "end_of_term_counts": counts, "mid_term": mid_term,
    }  # fmt: skip
