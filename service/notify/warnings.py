"""The early warning (预警) as messages: the warning list of a plan (``service.reports.annual.warnings``)
queued through the outbox to the plan office's addresses and to each lead department's users, on demand
(`yrdmon report warn`) or after a scheduled full run. Every message is queued in the caller's
transaction, the one that reads the run it reports on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Attribute, Plan, ReportRun, Target, User
from service.domain.assignments import find_organisation
from service.domain.texts import local_time
from service.notify.outbox import enqueue
from service.reports.annual import plan_of, warnings


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
    plan = plan_of(session, plan_code)
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
