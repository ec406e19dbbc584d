"""The reporting calendar (when each year's figure is due) and the reminders it sends.

The figure of an indicator for year Y in a region is due on ``due_month``/``due_day`` of Y + ``lag_years``
(by default 31 March of the next year). ``reporting_deadlines`` rows override that per indicator, per
region or both; the most specific row wins. Expected figures are those of the current targets: a
region owes the indicators of its own targets and of the targets of every zone it belongs to (zones
are aggregated from their members, so they are not asked themselves), up to the last target year.

Each day the calendar asks for one year per figure: the latest year whose reminder window has opened.
Before its due date the responsible editors get a reminder listing what is still missing; after it
an overdue notice, and administrators a completeness summary by region. Every message has a stable
key (region, year, due date, person), so each is queued once however often the job runs.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.config import Settings
from service.db.models import (
    Indicator,
    Observation,
    ObservationStatus,
    Region,
    ReportingDeadline,
    Role,
    Target,
    User,
    region_members,
)
from service.domain.regions import zone_members
from service.domain.review import policy
from service.domain.texts import REMINDER_TEXTS as TEXTS
from service.domain.vintage import Vintage
from service.notify.chat import ChatText, md, notice_text, queue_to_chats
from service.notify.digest import CHINA
from service.notify.outbox import enqueue
from service.notify.render import bar_width, lang_of, render

Phase = Literal["due", "overdue"]
FigureKey = tuple[int, int, int]  # (indicator_id, region_id, year)


@dataclass(frozen=True)
class DueRule:
    due_month: int = 3
    due_day: int = 31
    lag_years: int = 1
    remind_days_before: int = 14


DEFAULT_RULE = DueRule()


class ReportingCalendar:
    """The due-date rules; the most specific applies: (indicator, region), (indicator, any region),
    (any indicator, region), (any, any), else 31 March of the next year with reminders 14 days ahead."""

    def __init__(self, rows: Iterable[ReportingDeadline] = ()) -> None:
        self.rules = {
            (r.indicator_id, r.region_id): DueRule(r.due_month, r.due_day, r.lag_years, r.remind_days_before)
            for r in rows
        }

    def rule(self, indicator_id: int, region_id: int) -> DueRule:
        for key in ((indicator_id, region_id), (indicator_id, None), (None, region_id), (None, None)):
            if key in self.rules:
                return self.rules[key]
        return DEFAULT_RULE


def due_date(rule: DueRule, year: int) -> dt.date:
    """When the figure for ``year`` is due (29 February and the like fall back to the month's last day)."""
    y = year + rule.lag_years
    return dt.date(y, rule.due_month, min(rule.due_day, calendar.monthrange(y, rule.due_month)[1]))


@dataclass(frozen=True)
class Ask:
    year: int
    due: dt.date
    phase: Phase


def current_ask(rule: DueRule, today: dt.date) -> Ask:
    """The figure the calendar asks for on ``today``: the latest year whose reminder window has opened;
    ``due`` until its due date (inclusive), ``overdue`` after it."""
    year = today.year - rule.lag_years + 1
    while due_date(rule, year) - dt.timedelta(days=rule.remind_days_before) > today:
        year -= 1
    due = due_date(rule, year)
    return Ask(year, due, "due" if today <= due else "overdue")


def expected_indicators(session: Session) -> dict[int, dict[int, int]]:
    """Per reporting region (not a zone): indicator id -> the last target year it is needed for."""
    regions = {r.id: r for r in session.scalars(select(Region))}
    zones_of: dict[int, list[int]] = defaultdict(list)
    for zone, member in session.execute(select(region_members.c.zone_id, region_members.c.member_id)):
        zones_of[member].append(zone)
    by_region: dict[int, dict[int, int]] = defaultdict(dict)
    for region_id, indicator_id, year in session.execute(
        select(Target.region_id, Target.indicator_id, Target.target_year).where(Target.valid_to.is_(None))
    ):
        current = by_region[region_id].get(indicator_id)
        by_region[region_id][indicator_id] = year if current is None else max(current, year)
    out: dict[int, dict[int, int]] = {}
    for region_id, region in regions.items():
        if region.is_zone:
            continue
        wanted: dict[int, int] = {}
        for source in (region_id, *zones_of.get(region_id, ())):
            for ind, year in by_region.get(source, {}).items():
                wanted[ind] = max(wanted.get(ind, year), year)
        if wanted:
            out[region_id] = wanted
    return out


def figures_present(
    session: Session, keys: set[FigureKey], *, now: dt.datetime, view: str | None = None
) -> set[FigureKey]:
    """The keys with a reported figure known at ``now`` (its latest report not a retraction; a plan's
    baseline is not a report); with ``view`` official, only approved figures (数据审核)."""
    if not keys:
        return set()
    # the latest report of each source's history; a figure for part of the year is not the year's
    latest: dict[tuple[int, int, int, str], float | None] = {}
    indicators = sorted({k[0] for k in keys})
    years = sorted({k[2] for k in keys})
    regions = {k[1] for k in keys}
    stmt = (
        select(
            Observation.indicator_id,
            Observation.region_id,
            Observation.period,
            Observation.value,
            Observation.source_key,
        )
        .where(
            Observation.indicator_id.in_(indicators),
            Observation.period.in_(years),
            Vintage.now(now, view).observations(),
            Observation.status != ObservationStatus.PLAN_BASELINE,
            Observation.coverage.is_(None),
        )
        .order_by(Observation.reported_at, Observation.id)
    )
    if len(regions) < 1000:
        stmt = stmt.where(Observation.region_id.in_(sorted(regions)))
    for ind, reg, year, value, source in session.execute(stmt):
        if (ind, reg, year) in keys:
            latest[(ind, reg, year, source)] = value
    return {(k[0], k[1], k[2]) for k, v in latest.items() if v is not None}


@dataclass(frozen=True)
class RegionAsk:
    region_id: int
    year: int
    due: dt.date
    phase: Phase
    expected: tuple[int, ...]
    missing: tuple[int, ...]
    approved: int | None = None  # where figures are reviewed: how many of those received are approved


def asks_on(session: Session, *, now: dt.datetime) -> list[RegionAsk]:
    """What the calendar asks of each region on the day of ``now`` (China time), with what is missing."""
    today = now.astimezone(CHINA).date()
    cal = ReportingCalendar(session.scalars(select(ReportingDeadline)))
    grouped: dict[tuple[int, int, dt.date, Phase], list[int]] = defaultdict(list)
    for region_id, indicators in expected_indicators(session).items():
        for indicator_id, last_year in indicators.items():
            ask = current_ask(cal.rule(indicator_id, region_id), today)
            if ask.year <= last_year:
                grouped[(region_id, ask.year, ask.due, ask.phase)].append(indicator_id)
    keys = {(i, r, y) for (r, y, _, _), inds in grouped.items() for i in inds}
    present = figures_present(session, keys, now=now)
    official = figures_present(session, keys, now=now, view="official") if policy(session).enabled else None
    return [
        RegionAsk(
            r,
            y,
            due,
            phase,
            tuple(sorted(inds)),
            tuple(sorted(i for i in inds if (i, r, y) not in present)),
            None if official is None else sum(1 for i in inds if (i, r, y) in official),
        )
        for (r, y, due, phase), inds in sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))
    ]


def responsible_regions(user: User, members: dict[int, list[int]]) -> set[int]:
    """The regions an editor reports for: their own, and the members of zones they hold."""
    out = set()
    for region in user.regions:
        out.add(region.id)
        out.update(members.get(region.id, ()))
    return out


@dataclass
class ReminderReport:
    reminders: int = 0
    overdue: int = 0
    summaries: int = 0
    keys: list[str] = field(default_factory=list)


def _pick_name(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


Rows = Callable[[Iterable[int], str], list[dict[str, str]]]


def reminder_chat(
    ask: RegionAsk, region: Region, today: dt.date, base: str, rows: Rows
) -> Callable[[str], ChatText]:
    """A data-due reminder or overdue notice for a chat channel, in the channel's language."""

    def build(lang: str) -> ChatText:
        t = TEXTS[lang]
        fields = {
            "region": _pick_name((region.name_zh, region.name_en), lang),
            "year": ask.year,
            "due": ask.due.isoformat(),
            "n": len(ask.missing),
        }
        intro = t[f"{ask.phase}_intro"].format(**fields, days=abs((ask.due - today).days))
        items = [
            f"{md(r['name'])}{t['colon']}{md(r['unit'])}" if r["unit"] else md(r["name"])
            for r in rows(ask.missing, lang)
        ]
        return notice_text(
            ask.phase,
            lang,
            t[f"{ask.phase}_subject"].format(**fields),
            [md(intro)],
            items,
            f"{base}/entry?lang={lang}",
            data={
                "region": region.code,
                "year": ask.year,
                "due": ask.due.isoformat(),
                "missing": len(ask.missing),
            },
        )

    return build


def summary_chat(
    year: int,
    due: dt.date,
    done: int,
    total: int,
    group: list[RegionAsk],
    regions: dict[int, Region],
    base: str,
    rows: Rows,
) -> Callable[[str], ChatText]:
    """The completeness summary for administrators' chat channels: regions, lowest completion first."""

    def build(lang: str) -> ChatText:
        t = TEXTS[lang]
        items = []
        for a in sorted(group, key=lambda a: (len(a.expected) - len(a.missing)) / len(a.expected)):
            name = _pick_name((regions[a.region_id].name_zh, regions[a.region_id].name_en), lang)
            items.append(f"{md(name)}{t['colon']}{len(a.expected) - len(a.missing)}/{len(a.expected)}")
        title = t["summary_subject"].format(year=year, due=due.isoformat(), done=done, total=total)
        return notice_text(
            "completeness",
            lang,
            title,
            [md(t["summary_intro"].format(year=year, due=due.isoformat()))],
            items,
            f"{base}/?lang={lang}",
            data={"year": year, "received": done, "expected": total},
        )

    return build


def queue_reminders(session: Session, settings: Settings, *, now: dt.datetime) -> ReminderReport:
    """Queue the day's data-due reminders, overdue notices and completeness summaries; flushes only."""
    report = ReminderReport()
    asks = asks_on(session, now=now)
    if not asks:
        return report
    today = now.astimezone(CHINA).date()
    regions = {r.id: r for r in session.scalars(select(Region))}
    indicators = {i.id: i for i in session.scalars(select(Indicator))}
    members = zone_members(session)
    people = list(
        session.scalars(
            select(User)
            .where(
                User.is_active.is_(True), User.email.is_not(None), User.role.in_((Role.EDITOR, Role.ADMIN))
            )
            .options(selectinload(User.regions))
            .order_by(User.id)
        )
    )
    editors = [(u, responsible_regions(u, members)) for u in people if u.role is Role.EDITOR]
    admins = [u for u in people if u.role is Role.ADMIN]
    base = settings.base_url.rstrip("/")

    def indicator_rows(ids: Iterable[int], lang: str) -> list[dict[str, str]]:
        return [
            {
                "name": _pick_name((indicators[i].name_zh, indicators[i].name_en), lang),
                "code": indicators[i].code,
                "unit": indicators[i].unit,
            }
            for i in ids
        ]

    for ask in asks:
        if not ask.missing:
            continue
        region = regions[ask.region_id]
        for user, responsible in editors:
            if ask.region_id not in responsible or not user.email:
                continue
            lang = lang_of(user.language)
            t = TEXTS[lang]
            name = _pick_name((region.name_zh, region.name_en), lang)
            fields = {"region": name, "year": ask.year, "due": ask.due.isoformat(), "n": len(ask.missing)}
            subject = t[f"{ask.phase}_subject"].format(**fields)
            days = abs((ask.due - today).days)
            context = {
                "lang": lang,
                "t": t,
                "subject": subject,
                "kind": ask.phase,
                "hello": t["hello"].format(name=user.display_name or user.username),
                "intro": t[f"{ask.phase}_intro"].format(**fields, days=days),
                "how": t["how"].format(base=base),
                "rows": indicator_rows(ask.missing, lang),
            }
            key = f"reminder:{ask.phase}:{region.code}:{ask.year}:{ask.due.isoformat()}:{user.id}"
            queued = enqueue(
                session,
                key=key,
                to=user.email,
                subject=subject,
                text=render("reminder.txt", **context),
                html=render("reminder.html", **context),
                settings=settings,
                now=now,
            )
            report.keys += queue_to_chats(
                session, user.id, key, reminder_chat(ask, region, today, base, indicator_rows), now=now
            )
            if queued is not None:
                report.keys.append(key)
                if ask.phase == "due":
                    report.reminders += 1
                else:
                    report.overdue += 1

    overdue: dict[tuple[int, dt.date], list[RegionAsk]] = defaultdict(list)
    for ask in asks:
        if ask.phase == "overdue":
            overdue[(ask.year, ask.due)].append(ask)
    for (year, due), group in sorted(overdue.items()):
        total = sum(len(a.expected) for a in group)
        done = total - sum(len(a.missing) for a in group)
        for user in admins:
            if not user.email:
                continue
            lang = lang_of(user.language)
            t = TEXTS[lang]
            rows = []
            for a in sorted(group, key=lambda a: (len(a.expected) - len(a.missing)) / len(a.expected)):
                share = (len(a.expected) - len(a.missing)) / len(a.expected)
                names = [r["name"] for r in indicator_rows(a.missing, lang)]
                shown = t["sep"].join(names[:8]) + (t["more"].format(n=len(names)) if len(names) > 8 else "")
                rows.append(
                    {
                        "region": _pick_name(
                            (regions[a.region_id].name_zh, regions[a.region_id].name_en), lang
                        ),
                        "code": regions[a.region_id].code,
                        "expected": len(a.expected),
                        "received": len(a.expected) - len(a.missing),
                        "share": share,
                        "width": bar_width(share),
                        "approved": a.approved,
                        "missing": shown or t["all_done"],
                    }
                )
            subject = t["summary_subject"].format(year=year, due=due.isoformat(), done=done, total=total)
            context = {
                "lang": lang,
                "t": t,
                "subject": subject,
                "kind": "summary",
                "hello": t["hello"].format(name=user.display_name or user.username),
                "intro": t["summary_intro"].format(year=year, due=due.isoformat()),
                "how": t["how"].format(base=base),
                "regions": rows,
            }
            key = f"completeness:{year}:{due.isoformat()}:{user.id}"
            queued = enqueue(
                session,
                key=key,
                to=user.email,
                subject=subject,
                text=render("completeness.txt", **context),
                html=render("completeness.html", **context),
                settings=settings,
                now=now,
            )
            report.keys += queue_to_chats(
                session,
                user.id,
                key,
                summary_chat(year, due, done, total, group, regions, base, indicator_rows),
                now=now,
            )
            if queued is not None:
                report.keys.append(key)
                report.summaries += 1
    session.flush()
    return report
