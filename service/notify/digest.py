"""Progress digests: what changed since the subscriber's last digest, a summary by status, every target.

A digest compares the run it reports on with the run of the subscriber's previous digest (for a new
subscriber: the run before), so nothing that happened between two digests is missed, however many
runs there were in between. Cadence ``after_run``: queued by the scheduler's after-run hook, in the run's
transaction, only when something in scope changed. ``weekly`` / ``monthly``: the first daily pass of each
week or month queues one, changes or not. Nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Indicator, OutboxMessage, Plan, Region, ReportRun, RunStatus, Subscription
from service.domain import texts
from service.domain.statuses import BEHIND, MET, WORST_FIRST, Status
from service.domain.texts import DIGEST_TEXTS as TEXTS
from service.domain.vintage import is_current
from service.domain.wording import progress_shown, target_words
from service.notify.channels import CHAT_CHANNELS
from service.notify.outbox import enqueue
from service.notify.render import (
    CADENCE_WORDS,
    REASONS,
    SUMMARY_ORDER,
    lang_of,
    number,
    percent,
    pick,
    render,
    status_chip,
)
from service.notify.subscriptions import Scope, unsubscribe_url
from service.reports.queries import assessment_records, changes, get_run, latest_live_run, previous_run

CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")
_ORDER = {s.value: i for i, s in enumerate((*WORST_FIRST, Status.INSUFFICIENT_DATA))}


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str
    changes: int
    targets: int
    context: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # for chat messages


class Names:
    """Display names of plans, regions and indicators in both languages."""

    def __init__(self, session: Session) -> None:
        self.plans = {
            c: (zh, en) for c, zh, en in session.execute(select(Plan.code, Plan.title_zh, Plan.title_en))
        }
        self.regions = {
            c: (zh, en) for c, zh, en in session.execute(select(Region.code, Region.name_zh, Region.name_en))
        }
        self.indicators = {
            c: (zh, en)
            for c, zh, en in session.execute(select(Indicator.code, Indicator.name_zh, Indicator.name_en))
        }

    def of(self, table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
        pair = table.get(code)
        return pick(pair, lang) if pair else code


class RunView:
    """One run's assessments and its changes against earlier runs, shared by all digests of one pass."""

    def __init__(self, session: Session, run: ReportRun) -> None:
        self.session = session
        self.run = run
        self.records = assessment_records(session, run)
        self.codes: dict[str, tuple[str, str, str]] = {
            r["id"]: (r["plan_code"], r["region_code"], r["indicator_code"]) for r in self.records
        }
        self.units = {r["id"]: r["unit"] for r in self.records}
        self.names = Names(session)
        self._changes: dict[int, list[dict[str, Any]]] = {}

    def changes_since(self, before: ReportRun | None) -> list[dict[str, Any]]:
        if before is None or before.id == self.run.id:
            return []
        if before.id not in self._changes:
            entries = changes(self.session, self.run, before)
            if any(e["id"] not in self.codes for e in entries):  # removed targets: codes from the older run
                for r in assessment_records(self.session, before):
                    self.codes.setdefault(r["id"], (r["plan_code"], r["region_code"], r["indicator_code"]))
                    self.units.setdefault(r["id"], r["unit"])
            self._changes[before.id] = entries
        return self._changes[before.id]


def baseline_run(session: Session, sub: Subscription, run: ReportRun) -> ReportRun | None:
    """What a digest of ``run`` is compared with: the run of the subscriber's last digest (or the latest run
    when they subscribed); for a subscription older than every run, the run before ``run``."""
    if sub.last_run_id is not None:
        last = session.get(ReportRun, sub.last_run_id)
        if last is not None and last.status == RunStatus.FINISHED:
            return last
    return previous_run(session, run)


def _date(when: dt.datetime) -> str:
    return when.astimezone(CHINA).date().isoformat()


def _value(year: int | None, value: float | None, unit: str, lang: str) -> str | None:
    if value is None:
        return None
    return texts.t("value_in_year", lang).format(year=year, value=f"{number(value)}{unit}")


def _change_item(entry: dict[str, Any], view: RunView, lang: str, base: str) -> dict[str, Any]:
    _, region, indicator = view.codes.get(entry["id"], ("", "", ""))
    before, after = entry.get("before"), entry.get("after")
    if after in MET and before not in MET:
        kind = "achieved"
    elif after in BEHIND and before not in BEHIND:
        kind = "behind"
    elif before != after:
        kind = "status"
    else:
        kind = "figures"
    unit = view.units.get(entry["id"], "")
    old = _value(entry.get("before_year"), entry.get("before_value"), unit, lang)
    new = _value(entry.get("after_year"), entry.get("after_value"), unit, lang)
    return {
        "id": entry["id"],
        "kind": kind,
        "url": f"{base}/targets/{entry['id']}",
        "title": f"{view.names.of(view.names.regions, region, lang)} · {view.names.of(view.names.indicators, indicator, lang)}",
        "before": status_chip(before, lang),
        "after": status_chip(after, lang),
        "reasons": texts.t("enum_sep", lang).join(
            pick(REASONS.get(part, (part, part)), lang) for part in str(entry["reason"]).split("+")
        ),
        "change_text": f"{old} → {new}" if old and new and old != new else (new or old),
        "same": before == after,
        "transition": " → ".join(
            f"{c['icon']} {c['word']}"
            for c in (
                (status_chip(after, lang),)
                if before == after
                else (status_chip(before, lang), status_chip(after, lang))
            )
            if c
        ),
    }


def _rate_needed(r: dict[str, Any], lang: str) -> str:
    zh = lang == "zh"
    if r["status"] in MET:
        return "已实现，无需追赶" if zh else "achieved; nothing to catch up"
    rate = r.get("r_remain")
    if rate is None:
        if r.get("latest_year") is not None and r["latest_year"] >= r["target_year"]:
            return "目标年已到" if zh else "the target year has been reached"
        return "—"
    if zh:
        text = f"今后每年需增长 {percent(rate, 1)}" if rate >= 0 else f"今后每年需下降 {percent(-rate, 1)}"
    else:
        text = (
            f"{percent(rate, 1)} a year from now on" if rate >= 0 else f"a fall of {percent(-rate, 1)} a year"
        )
    actual = r.get("cagr_actual")
    if actual is not None:
        text += f"（此前实际年均 {percent(actual, 1)}）" if zh else f" (so far {percent(actual, 1)} a year)"
    return text


def _schedule(r: dict[str, Any], lang: str) -> str | None:
    tau, done = r.get("tau"), r.get("completion")
    if tau is None or done is None or not progress_shown(r):  # met at the base: no completion share
        return None
    gap = round((done - tau) * 100)
    if lang == "zh":
        where = (
            f"快于序时进度 {gap} 个百分点"
            if gap > 0
            else f"慢于序时进度 {-gap} 个百分点"
            if gap < 0
            else "与序时进度持平"
        )
        return f"时间进度 {percent(tau)}，完成进度 {percent(done)}（{where}）"
    where = f"{gap} points ahead" if gap > 0 else f"{-gap} points behind" if gap < 0 else "on schedule"
    return f"time elapsed {percent(tau)}, completion {percent(done)} ({where})"


def _target_item(r: dict[str, Any], names: Names, lang: str, base: str) -> dict[str, Any]:
    zh = lang == "zh"
    # the declared form in words, with the level it means once the base is known (较2020年翻一番（≥ 2.4万亿元）)
    target = target_words(r, lang)
    target += f"（{r['target_year']}年）" if zh else f" by {r['target_year']}"
    return {
        "id": r["id"],
        "url": f"{base}/targets/{r['id']}",
        "title": f"{names.of(names.regions, r['region_code'], lang)} · {names.of(names.indicators, r['indicator_code'], lang)}",
        "status": status_chip(r["status"], lang, bool(r.get("latest_preliminary"))),
        "latest": _value(r["latest_year"], r["latest_value"], r["unit"], lang),
        "target": target,
        "tau": r.get("tau"),
        "completion": r.get("completion"),
        "schedule": _schedule(r, lang),
        "needed": _rate_needed(r, lang) if r["latest_value"] is not None else None,
    }


def _segments(counts: list[tuple[str, int]], total: int) -> list[dict[str, Any]]:
    """Widths in whole per cent that add up to 100 (largest remainders), at least 1 for any status present."""
    if total == 0:
        return []
    raw = [(s, n * 100 / total) for s, n in counts]
    widths = {s: max(1, int(w)) for s, w in raw}
    short = 100 - sum(widths.values())
    for s, _ in sorted(raw, key=lambda x: x[1] - int(x[1]), reverse=True):
        if short <= 0:
            break
        widths[s] += 1
        short -= 1
    while short < 0:  # the minimum of 1 can overshoot: take it back from the widest
        widest = max(widths, key=lambda k: widths[k])
        widths[widest] -= 1
        short += 1
    return [{"status": s, "width": widths[s]} for s, _ in counts]


def organisation_target_ids(session: Session, codes: Iterable[str]) -> set[str]:
    """Ids (plan/key) of the targets the organisations lead, support or hold a share of."""
    from service.domain.assignments import find_organisation, keys_of_organisation

    plans = {p.id: p.code for p in session.scalars(select(Plan))}
    out: set[str] = set()
    for code in codes:
        out |= {f"{plans[p]}/{k}" for p, k in keys_of_organisation(session, find_organisation(session, code))}
    return out


def compose_digest(view: RunView, sub: Subscription, before: ReportRun | None, settings: Settings) -> Digest:
    """Render one subscriber's digest of ``view.run`` against ``before`` (their last digest's run)."""
    lang = lang_of(sub.language)
    t = TEXTS[lang]
    base = settings.base_url.rstrip("/")
    scope = Scope.of(sub)
    names = view.names
    records = [
        r for r in view.records if scope.contains(r["plan_code"], r["region_code"], r["indicator_code"])
    ]
    entries = [
        e for e in view.changes_since(before) if scope.contains(*view.codes.get(e["id"], ("", "", "")))
    ]
    if scope.organisations:  # what the subscriber's bureau leads, supports or holds a share of
        ids = organisation_target_ids(view.session, scope.organisations)
        records = [r for r in records if r["id"] in ids]
        entries = [e for e in entries if e["id"] in ids]
    items = [_change_item(e, view, lang, base) for e in entries]
    grouped: dict[str, list[dict[str, Any]]] = {"achieved": [], "behind": [], "status": [], "figures": []}
    for item in items:
        grouped[item["kind"]].append(item)
    counts = [(s.value, n) for s in SUMMARY_ORDER if (n := sum(1 for r in records if r["status"] == s.value))]
    summary = [{"chip": status_chip(s, lang), "count": n, "share": n / len(records)} for s, n in counts]
    segments = [{**seg, "chip": status_chip(seg["status"], lang)} for seg in _segments(counts, len(records))]
    plans: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r["plan_code"], _ORDER.get(r["status"], 99), r["id"])):
        plans[r["plan_code"]].append(_target_item(r, names, lang, base))
    as_of = _date(view.run.as_of)
    if before is None:
        since = t["no_previous"]
    elif sub.last_run_id is None:
        since = t["first"]
    else:
        since = t["since"].format(date=_date(before.as_of))
    subject = (
        t["subject_changed"].format(n=len(items), date=as_of)
        if items
        else t["subject_plain"].format(date=as_of)
    )

    def scope_line(codes: list[Any], table: dict[str, tuple[str, str]]) -> str:
        return texts.t("enum_sep", lang).join(names.of(table, c, lang) for c in codes) or t["all"]

    context = {
        "lang": lang,
        "t": t,
        "subject": subject,
        "as_of": as_of,
        "run_id": view.run.id,
        "since": since,
        "scope": [
            (t["plans"], scope_line(sub.plan_codes, names.plans)),
            (t["regions"], scope_line(sub.region_codes, names.regions)),
            (t["indicators"], scope_line(sub.indicator_codes, names.indicators)),
        ],
        "cadence": pick(CADENCE_WORDS.get(sub.cadence, (sub.cadence, sub.cadence)), lang),
        "changes": grouped,
        "changed": len(items),
        "headline": t["headline"].format(
            total=len(items),
            achieved=len(grouped["achieved"]),
            behind=len(grouped["behind"]),
            other=len(grouped["status"]),
            figures=len(grouped["figures"]),
        ),
        "summary": summary,
        "segments": segments,
        "total": len(records),
        "plans": [
            {"title": names.of(names.plans, code, lang), "code": code, "targets": targets}
            for code, targets in plans.items()
        ],
        "unsubscribe_url": unsubscribe_url(settings, sub),
        "subscription_id": sub.id,
        "base_url": base,
    }
    return Digest(
        subject,
        render("digest.txt", **context),
        render("digest.html", **context),
        len(items),
        len(records),
        context,
    )


def digest_headers(settings: Settings, sub: Subscription) -> dict[str, str]:
    url = unsubscribe_url(settings, sub)
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058 one-click
        "List-Id": f"yrdmon digest <digest.{settings.base_url.split('//')[-1].split('/')[0].split(':')[0]}>",
    }


def _queue(
    session: Session,
    sub: Subscription,
    run: ReportRun,
    digest: Digest,
    key: str,
    settings: Settings,
    now: dt.datetime,
) -> bool:
    if sub.channel in CHAT_CHANNELS:
        from service.notify.chat import digest_text, enqueue_chat

        if enqueue_chat(session, sub, digest_text(digest.context), key=key, now=now) is None:
            return False
        sub.last_run_id = run.id
        sub.last_sent_at = now
        return True
    assert sub.email is not None
    queued = enqueue(
        session,
        key=key,
        to=sub.email,
        subject=digest.subject,
        text=digest.text,
        html=digest.html,
        settings=settings,
        now=now,
        headers=digest_headers(settings, sub),
        subscription_id=sub.id,
    )
    if queued is None:
        return False
    sub.last_run_id = run.id
    sub.last_sent_at = now
    return True


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def queue_after_run_digests(session: Session, run: ReportRun, settings: Settings, *, now: dt.datetime) -> int:
    """Queue a digest of ``run`` to every ``after_run`` subscriber with a change in scope; flushes only."""
    subs = list(
        session.scalars(
            select(Subscription)
            .where(Subscription.active.is_(True), Subscription.cadence == "after_run")
            .order_by(Subscription.id)
        )
    )
    if not subs or not is_current(run):  # a snapshot of a past date is no news
        return 0
    view = RunView(session, run)
    queued = 0
    # an incremental run follows each figure entered: a subscriber who had a digest lately waits, and
    # the next digest (a later run's, at the latest the nightly full run's) reports everything since
    incremental = ((run.summary or {}).get("scope") or {}).get("kind") == "incremental"
    quiet_since = now - dt.timedelta(minutes=settings.digest_quiet_minutes)
    last_sent: dict[int, dt.datetime | None] = {}
    if incremental:
        ids = {s.last_run_id for s in subs if s.last_run_id is not None}
        if ids:
            rows = session.execute(select(ReportRun.id, ReportRun.finished_at).where(ReportRun.id.in_(ids)))
            last_sent = {run_id: finished for run_id, finished in rows}
    for sub in subs:
        if sub.last_run_id is not None and sub.last_run_id >= run.id:
            continue
        if incremental and sub.last_run_id is not None:
            sent = last_sent.get(sub.last_run_id)
            if sent is not None and _aware(sent) > quiet_since:
                continue
        before = baseline_run(session, sub, run)
        digest = compose_digest(view, sub, before, settings)
        if digest.changes and _queue(
            session, sub, run, digest, f"digest:{sub.id}:run:{run.id}", settings, now
        ):
            queued += 1
        elif sub.last_run_id is None:
            # pin the baseline used, so that the next digest reports everything since it
            sub.last_run_id = before.id if before is not None else run.id
    session.flush()
    return queued


def period_of(cadence: str, now: dt.datetime) -> str:
    """The week (2026-W45) or month (2026-11) a periodic digest belongs to, on the China calendar."""
    day = now.astimezone(CHINA).date()
    if cadence == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def queue_periodic_digests(session: Session, settings: Settings, *, now: dt.datetime) -> int:
    """Queue this week's and this month's digests not yet queued (the latest run, changes or not)."""
    subs = list(
        session.scalars(
            select(Subscription)
            .where(Subscription.active.is_(True), Subscription.cadence.in_(("weekly", "monthly")))
            .order_by(Subscription.id)
        )
    )
    if not subs:
        return 0
    run = latest_live_run(session)  # the live view, never a snapshot of a past date
    if run is None:
        return 0
    view = RunView(session, run)
    queued = 0
    for sub in subs:
        key = f"digest:{sub.id}:{sub.cadence}:{period_of(sub.cadence, now)}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_key == key)) is not None:
            continue
        digest = compose_digest(view, sub, baseline_run(session, sub, run), settings)
        if _queue(session, sub, run, digest, key, settings, now):
            queued += 1
    session.flush()
    return queued


def preview_digest(session: Session, sub: Subscription, settings: Settings) -> Digest:
    """The digest this subscriber would get now from the latest run; changes nothing."""
    run = get_run(session, None)
    return compose_digest(RunView(session, run), sub, baseline_run(session, sub, run), settings)
