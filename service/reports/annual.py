"""The annual evaluation (年度评估) of a plan and the early warning (预警) of its binding targets.

For year Y, from a report run (normally one as of the end of Y or later):

- the year's targets (年度目标): the milestones that serve the plan's targets (``serves``) and the
  plan's own targets for Y, with their year-end verdict once the run is past Y, and each milestone
  beside the 序时进度 path of the target it serves (``service.domain.milestones``);
- the plan's targets for later years with their pace status (as in a mid-term evaluation);
- the warning list: binding (约束性) targets not yet due whose projection or P(meet) says they are at
  risk, or whose pace is off track or regressing, with their lead and supporting organisations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Plan, ReportRun, Target, User
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


def _plan(session: Session, plan_code: str) -> Plan:
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
    _plan(session, plan_code)
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
    plan = _plan(session, plan_code)
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


def warning_text(plan: Plan, run: ReportRun, items: list[dict[str, Any]], lang: str) -> tuple[str, str]:
    """(subject, plain text) of a warning message."""
    en = lang == "en"
    subject = (
        f"Early warning: {len(items)} binding target(s) of {plan.title_en} at risk (run {run.id})"
        if en
        else f"【预警】《{plan.title_zh}》{len(items)}项约束性目标完成存在困难（报告运行{run.id}）"
    )
    lines = [subject, ""]
    for n, r in enumerate(items, 1):
        lead = r.get("lead")
        who = (
            (lead["name_en"] if en else lead["name_zh"])
            if lead
            else ("no lead assigned" if en else "未明确牵头单位")
        )
        name = f"{r['indicator_en']} ({r['region_en']})" if en else f"{r['indicator']}（{r['region']}）"
        why = "; ".join(x["en" if en else "zh"] for x in r["risks"])
        lines.append(f"{n}. {name} — {r['target_year']}: {why}. {'Lead' if en else '牵头单位'}: {who}")
    lines += [
        "",
        (
            f"As of {run.as_of.date()}; figures from report run {run.id}."
            if en
            else f"截至{run.as_of.date()}，依据报告运行{run.id}。"
        ),
    ]
    return subject, "\n".join(lines) + "\n"


def queue_warnings(
    session: Session,
    settings: Settings,
    run: ReportRun,
    plan_code: str,
    *,
    plan_office: list[str],
    now: dt.datetime,
    lang: str = "zh",
    once_per: str | None = None,
) -> dict[str, int]:
    """Queue the warning list through the outbox: the whole list to the plan office's addresses, and to
    each lead department's users the targets they lead. Once per run and address (the message key)."""
    from service.notify.outbox import enqueue

    plan = _plan(session, plan_code)
    items = warnings(session, run, plan_code)
    if not items:
        return {}
    queued: dict[str, int] = {}

    def send(to: str, mine: list[dict[str, Any]]) -> None:
        subject, text = warning_text(plan, run, mine, lang)
        key = f"warning:{plan_code}:{once_per or f'run{run.id}'}:{to}"[:200]
        if enqueue(
            session, key=key, to=to, subject=subject, text=text, html=None, settings=settings, now=now
        ):
            queued[to] = len(mine)

    for address in dict.fromkeys(a.strip() for a in plan_office if a.strip()):
        send(address, items)
    leads: dict[str, list[dict[str, Any]]] = {}
    for r in items:
        if r.get("lead"):
            leads.setdefault(r["lead"]["code"], []).append(r)
    for code, mine in leads.items():
        org = find_organisation(session, code)
        for user in session.scalars(
            select(User).where(
                User.organisation_id == org.id, User.is_active.is_(True), User.email.is_not(None)
            )
        ):
            if user.email:
                send(user.email, mine)
    return queued


def plan_office_addresses(settings: Settings) -> list[str]:
    raw = settings.warning_to.replace("；", ",").replace(";", ",").replace("，", ",")
    return list(dict.fromkeys(a.strip() for a in raw.split(",") if a.strip()))


def queue_scheduled_warnings(
    session: Session, settings: Settings, run: ReportRun, *, now: dt.datetime
) -> dict[str, dict[str, int]]:
    """After a scheduled run: the warning list of every plan with binding targets not yet due, queued to
    the plan office (``warning_to``) and the lead departments' users, as `yrdmon report warn` does — but
    only after a full run (not after the incremental run one entered figure starts), and at most once a
    day (Beijing time) per plan and address, whatever the number of full runs that day. Off when
    ``warnings_after_runs`` is false. Returns {plan code: {address: targets listed}}."""
    from sqlalchemy import func

    from service.db.models import Attribute
    from service.domain.texts import local_time

    if not settings.warnings_after_runs:
        return {}
    if ((run.summary or {}).get("scope") or {}).get("kind") == "incremental":
        return {}
    office = plan_office_addresses(settings)
    leads_reachable = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.organisation_id.is_not(None), User.is_active.is_(True), User.email.is_not(None))
    )
    if not office and not leads_reachable:
        return {}
    codes = session.scalars(
        select(Plan.code)
        .join(Target, Target.plan_id == Plan.id)
        .where(
            Target.valid_to.is_(None),
            Target.attribute == Attribute.BINDING,
            Target.target_year >= run.as_of.year,
        )
        .distinct()
        .order_by(Plan.code)
    ).all()
    day = local_time(now).date().isoformat()
    out: dict[str, dict[str, int]] = {}
    for code in codes:
        queued = queue_warnings(
            session, settings, run, code, plan_office=office, now=now, once_per=f"day{day}"
        )
        if queued:
            out[code] = queued
    return out
