"""The annual evaluation (年度评估) of a plan and the early warning (预警) of its binding targets.

For year Y, from a report run (normally one as of the end of Y or later):

- the year's targets (年度目标): the milestones that serve the plan's targets (``serves``) and the
  plan's own targets for Y, with their year-end verdict once the run is past Y, and each milestone
  beside the 序时进度 path of the target it serves (``service.domain.milestones``);
- the plan's targets for later years with their pace status (as in a mid-term evaluation);
- the warning list: binding (约束性) targets not yet due whose projection or P(meet) says they are at
  risk, or whose pace is off track or regressing, with their lead and supporting organisations.

Sending the warning list as messages is the notification layer's (``service.notify.warnings``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Plan, ReportRun, Target
from service.domain import milestones
from service.domain.assignments import assignments_by_key, find_organisation, keys_of_organisation
from service.domain.errors import Invalid, NotFound
from service.domain.statuses import QUALITATIVE
from service.reports.evidence import add_evidence
from service.reports.queries import (
    AssessmentFilter,
    assessment_records,
    assessment_records_where,
    with_verdict,
)

COMPOUNDING_FORMS = {"avg_annual_growth", "annual_growth", "multiple"}
P_MEET_WARNING = 0.5  # below an even chance of meeting the target
PACE_WARNING = ("off_track", "regressing")


def _sense(r: dict[str, Any]) -> int | None:
    return {">=": 1, "<=": -1}.get(r["comparator"])


def risk_reasons(r: dict[str, Any]) -> list[dict[str, str]]:
    """Why a target not yet due looks hard to meet (empty: no sign of risk). Each reason in zh and en."""
    out: list[dict[str, str]] = []
    if r["status"] in PACE_WARNING:
        out.append(
            {
                "zh": f"进度{r.get('status_zh') or r['status']}",
                "en": f"pace: {r.get('status_en') or r['status']}",
            }
        )
    p = r.get("p_meet")
    if p is not None and p < P_MEET_WARNING:
        out.append({"zh": f"如期实现的概率约{p:.0%}", "en": f"probability of meeting it about {p:.0%}"})
    sense, proj, level = _sense(r), r.get("projection"), r.get("target_level")
    if sense is not None and proj is not None and level is not None and sense * (proj - level) < 0:
        out.append(
            {
                "zh": f"按现有增速预计{r['target_year']}年为{proj:.4g}{r['unit']}，达不到目标{level:.4g}{r['unit']}",
                "en": f"at the present rate {proj:.4g} {r['unit']} is expected in {r['target_year']}, short of {level:.4g}",
            }
        )
    return out


def plan_of(session: Session, plan_code: str) -> Plan:
    """The plan with this code, or a 404 naming it."""
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise NotFound(f"规划 {plan_code} 不存在", f"plan {plan_code!r} does not exist")
    return plan


def _with_assignments(session: Session, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    plans = {p.code: p.id for p in session.scalars(select(Plan))}
    who = assignments_by_key(session, set(plans.values()))
    for r in records:
        plan_code, key = r["id"].split("/", 1)
        a = who.get((plans.get(plan_code, -1), key), {})
        r["lead"], r["support"] = a.get("lead"), a.get("support", [])
    return records


def _only_organisation(
    session: Session, records: list[dict[str, Any]], organisation: str | None
) -> list[dict[str, Any]]:
    if not organisation:
        return records
    plans = {p.id: p.code for p in session.scalars(select(Plan))}
    keys = {
        f"{plans[p]}/{k}" for p, k in keys_of_organisation(session, find_organisation(session, organisation))
    }
    return [r for r in records if r["id"] in keys]


def warnings(
    session: Session, run: ReportRun, plan_code: str, organisation: str | None = None
) -> list[dict[str, Any]]:
    """The binding targets of a plan not yet due (target year ≥ the run's year) that look at risk."""
    plan_of(session, plan_code)
    year = run.as_of.year
    out = []
    for r in assessment_records(session, run, AssessmentFilter(plan=plan_code)):
        if r["attribute"] != "binding" or r["target_year"] < year or r["status"] == QUALITATIVE:
            continue
        reasons = risk_reasons(r)
        if reasons:
            out.append({**r, "risks": reasons})
    return _only_organisation(session, _with_assignments(session, out), organisation)


def milestone_comparison(m: dict[str, Any], parent: dict[str, Any] | None) -> dict[str, Any] | None:
    if parent is None or parent["base_value"] is None or parent["target_level"] is None:
        return None
    rate = m["value"] / 100 if m["declared_form"] == "annual_growth" and m["value"] is not None else None
    level = m["target_level"] if m["declared_form"] != "annual_growth" or rate is None else None
    return milestones.compare(
        b=parent["base_year"],
        xb=parent["base_value"],
        T=parent["target_year"],
        xT=parent["target_level"],
        compounding=parent["declared_form"] in COMPOUNDING_FORMS,
        sense=_sense(parent) or 1,
        year=m["target_year"],
        level=level,
        rate=rate,
    )


def annual_evaluation(
    session: Session, run: ReportRun, plan_code: str, year: int, organisation: str | None = None
) -> dict[str, Any]:
    """The annual evaluation of ``plan_code`` for ``year`` in ``run`` (the shape of ``evaluation``)."""
    plan = plan_of(session, plan_code)
    if (
        plan.period_start is not None
        and plan.period_end is not None
        and not plan.period_start <= year <= plan.period_end
    ):
        raise Invalid(
            f"{year}年不在规划期 {plan.period_start}–{plan.period_end} 内",
            f"{year} is outside the plan period {plan.period_start}-{plan.period_end}",
        )
    if run.as_of.year < year:
        raise Invalid(
            f"报告运行 {run.id}（截至 {run.as_of.date()}）早于 {year} 年",
            f"run {run.id} (as of {run.as_of.date()}) is before {year}",
        )
    year_ended = run.as_of.year > year
    own = assessment_records(session, run, AssessmentFilter(plan=plan_code))
    by_id = {r["id"]: r for r in own}
    served = assessment_records_where(
        session, run, AssessmentFilter(), Target.serves.like(f"{plan_code}/%"), Target.target_year == year
    )
    serves = {
        f"{p}/{k}": s
        for k, s, p in session.execute(
            select(Target.key, Target.serves, Plan.code)
            .join(Plan, Target.plan_id == Plan.id)
            .where(Target.serves.like(f"{plan_code}/%"), Target.valid_to.is_(None))
        )
    }
    served_ids = {r["id"] for r in served}
    year_targets = [*served, *(r for r in own if r["target_year"] == year and r["id"] not in served_ids)]
    for m in year_targets:
        m["serves"] = serves.get(m["id"])
        m["milestone"] = milestone_comparison(m, by_id.get(m["serves"] or ""))
    later = [r for r in own if r["target_year"] > year]
    if year_ended:
        year_targets = [with_verdict(r) for r in year_targets]
    counts: dict[str, int] = {}
    for r in year_targets:
        k = r.get("verdict") or r["status"]
        counts[k] = counts.get(k, 0) + 1
    year_targets = _only_organisation(session, _with_assignments(session, year_targets), organisation)
    later = _only_organisation(session, _with_assignments(session, later), organisation)
    add_evidence(session, [*year_targets, *later])
    return {
        "kind": "annual",
        "year": year,
        "year_ended": year_ended,
        "plan_code": plan.code,
        "plan": plan.title_zh,
        "plan_en": plan.title_en,
        "run_id": run.id,
        "as_of": run.as_of.isoformat(),
        "organisation": organisation,
        "end_of_term": year_targets if year_ended else [],
        "end_of_term_counts": counts if year_ended else {},
        "mid_term": later if year_ended else [*year_targets, *later],
        "warnings": warnings(session, run, plan_code, organisation),
    }
