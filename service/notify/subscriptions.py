"""Subscriptions to progress digests: scope, cadence, language, ownership, and one-click unsubscribe.

A scope is three lists of codes (plans, regions, indicators); an empty list means all. People manage
their own subscriptions (for the address on their account); administrators and the command line manage
anyone's. The unsubscribe link carries an HMAC of the subscription (the service's secret key), so it
works without a login and cannot be forged for another subscription.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from service.config import Settings, secret_key
from service.db.models import (
    DeliveryLog,
    DeliveryOutcome,
    Indicator,
    OutboxMessage,
    OutboxStatus,
    Plan,
    Region,
    Role,
    Subscription,
    User,
    WritePath,
)
from service.domain import audit
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound
from service.notify.channels import EMAIL
from service.reports.queries import latest_live_run

CADENCES = ("after_run", "weekly", "monthly")
LANGUAGES = ("zh", "en")
MAX_CODES = 500
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class SubscriptionRequest:
    email: str | None = None
    plan_codes: Sequence[str] = ()
    region_codes: Sequence[str] = ()
    indicator_codes: Sequence[str] = ()
    organisation_codes: Sequence[str] = ()  # what these organisations lead, support or hold a share of
    cadence: str = "after_run"
    language: str = "zh"
    username: str | None = None  # administrators: the account the subscription belongs to
    channel: str = "email"  # or wecom, dingtalk, webhook (service/notify/channels.py)
    url: str | None = field(default=None, repr=False)  # chat channel: the robot's or webhook's URL
    secret: str | None = field(default=None, repr=False)  # 钉钉 加签 or webhook signing secret


@dataclass(frozen=True)
class Scope:
    """What a subscription covers; an empty set means everything of that kind."""

    plans: frozenset[str] = field(default_factory=frozenset)
    regions: frozenset[str] = field(default_factory=frozenset)
    indicators: frozenset[str] = field(default_factory=frozenset)
    organisations: frozenset[str] = field(default_factory=frozenset)  # filtered by target (digest)

    @classmethod
    def of(cls, sub: Subscription) -> Scope:
        return cls(
            frozenset(sub.plan_codes or ()),
            frozenset(sub.region_codes or ()),
            frozenset(sub.indicator_codes or ()),
            frozenset(sub.organisation_codes or ()),
        )

    def contains(self, plan: str | None, region: str | None, indicator: str | None) -> bool:
        return (
            (not self.plans or plan in self.plans)
            and (not self.regions or region in self.regions)
            and (not self.indicators or indicator in self.indicators)
        )


def normalise_email(text: str) -> str:
    address = text.strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise Invalid(f"“{text}”不是有效的电子邮件地址", f"{text!r} is not a valid e-mail address")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def _resolve(session: Session, req: SubscriptionRequest) -> tuple[list[str], list[str], list[str]]:
    """The scope as canonical codes; regions and indicators may also be given by their Chinese name."""
    problems: list[dict[str, str]] = []

    def check(kind: str, given: Sequence[str], lookup: dict[str, str]) -> list[str]:
        if len(given) > MAX_CODES:
            problems.append({"field": kind, "zh": f"最多 {MAX_CODES} 个", "en": f"at most {MAX_CODES} codes"})
            return []
        out = []
        for text in given:
            code = lookup.get(text.strip().lower())
            if code is None:
                problems.append({"field": kind, "zh": f"未知代码“{text}”", "en": f"unknown code {text!r}"})
            elif code not in out:
                out.append(code)
        return sorted(out)

    plans = {c.lower(): c for c in session.scalars(select(Plan.code))}
    regions: dict[str, str] = {}
    for code, name in session.execute(select(Region.code, Region.name_zh)):
        regions.setdefault(code.lower(), code)
        regions.setdefault(name.lower(), code)
    indicators: dict[str, str] = {}
    for code, name in session.execute(select(Indicator.code, Indicator.name_zh)):
        indicators.setdefault(code.lower(), code)
        indicators.setdefault(name.lower(), code)
    result = (
        check("plan_codes", req.plan_codes, plans),
        check("region_codes", req.region_codes, regions),
        check("indicator_codes", req.indicator_codes, indicators),
    )
    if req.cadence not in CADENCES:
        problems.append(
            {
                "field": "cadence",
                "zh": "频率应为 after_run、weekly 或 monthly",
                "en": "cadence must be after_run, weekly or monthly",
            }
        )
    if req.language not in LANGUAGES:
        problems.append({"field": "language", "zh": "语言应为 zh 或 en", "en": "language must be zh or en"})
    if problems:
        zh = "；".join(f"{p['field']}：{p['zh']}" for p in problems)
        en = "; ".join(f"{p['field']}: {p['en']}" for p in problems)
        raise Invalid(f"订阅内容有误：{zh}", f"the subscription is invalid: {en}", details=problems)
    return result


def _snapshot(sub: Subscription) -> dict[str, Any]:
    return {
        "email": sub.email,
        "channel": sub.channel,
        "destination": sub.channel_label,
        "plan_codes": sub.plan_codes,
        "region_codes": sub.region_codes,
        "indicator_codes": sub.indicator_codes,
        "cadence": sub.cadence,
        "language": sub.language,
        "active": sub.active,
        "user_id": sub.user_id,
    }


def create_subscription(
    session: Session,
    actor: User | None,
    req: SubscriptionRequest,
    *,
    now: dt.datetime,
    path: WritePath = WritePath.API,
    settings: Settings | None = None,
) -> Subscription:
    """Subscribe an address, or a chat channel (``settings`` needed: its key encrypts the channel's URL).
    ``actor`` None is the operator at the command line (like an administrator)."""
    is_admin = actor is None or actor.role is Role.ADMIN
    if req.channel != EMAIL:
        return _create_chat(session, actor, req, now=now, path=path, settings=settings)
    owner: User | None = None
    if req.username:
        if not is_admin:
            raise Forbidden("只有管理员可以为其他用户订阅", "only administrators can subscribe other users")
        owner = session.scalar(select(User).where(User.username == req.username))
        if owner is None:
            raise NotFound(f"用户 {req.username} 不存在", f"user {req.username!r} does not exist")
    elif actor is not None:
        owner = actor
    wanted = normalise_email(req.email) if req.email else None
    own = normalise_email(owner.email) if owner is not None and owner.email else None
    if not is_admin:
        if own is None:
            raise Invalid(
                "您的账户没有电子邮件地址，请联系管理员添加",
                "your account has no e-mail address; ask an administrator to add one",
            )
        if wanted is not None and wanted.lower() != own.lower():
            raise Forbidden(
                "只能订阅本人账户的电子邮件地址", "you can only subscribe your own account's address"
            )
    email = wanted or own
    if email is None:
        raise Invalid("请提供电子邮件地址", "an e-mail address is required")
    if owner is not None and not req.username and own is not None and own.lower() != email.lower():
        owner = None  # an administrator subscribing someone else's address
    plans, regions, indicators = _resolve(session, req)
    from service.domain.assignments import find_organisation

    organisations = list(dict.fromkeys(find_organisation(session, c).code for c in req.organisation_codes))
    scope = Scope(frozenset(plans), frozenset(regions), frozenset(indicators), frozenset(organisations))
    for other in session.scalars(
        select(Subscription).where(
            func.lower(Subscription.email) == email.lower(),
            Subscription.active.is_(True),
            Subscription.cadence == req.cadence,
            Subscription.language == req.language,
        )
    ):
        if Scope.of(other) == scope:  # JSON lists do not compare portably in SQL
            raise Conflict(
                f"该地址已有相同的订阅（编号 {other.id}）",
                f"this address already has the same subscription (id {other.id})",
            )
    # the first digest reports what changed since the run current when they subscribed
    current = latest_live_run(session)
    latest = current.id if current is not None else None
    sub = Subscription(
        user_id=owner.id if owner else None,
        email=email,
        plan_codes=plans,
        region_codes=regions,
        indicator_codes=indicators,
        organisation_codes=organisations or None,
        cadence=req.cadence,
        language=req.language,
        active=True,
        created_at=now,
        last_run_id=latest,
    )
    return _stored(session, sub, actor, path, now)


def _create_chat(
    session: Session,
    actor: User | None,
    req: SubscriptionRequest,
    *,
    now: dt.datetime,
    path: WritePath,
    settings: Settings | None,
) -> Subscription:
    """A chat channel belongs to a person (its owner gets their reminders and review notices there too);
    anyone may add one for themselves, administrators for anyone or for no account."""
    from service.notify import channels

    if settings is None:
        raise ValueError("settings are needed to store a chat channel")
    owner: User | None = actor
    if req.username:
        if actor is not None and actor.role is not Role.ADMIN:
            raise Forbidden("只有管理员可以为其他用户订阅", "only administrators can subscribe other users")
        owner = session.scalar(select(User).where(User.username == req.username))
        if owner is None:
            raise NotFound(f"用户 {req.username} 不存在", f"user {req.username!r} does not exist")
    if req.channel == channels.WEBHOOK and actor is not None and actor.role is not Role.ADMIN:
        # a webhook may point anywhere on the intranet: the service would post there for whoever asks
        raise Forbidden(
            "只有管理员可以添加本单位系统推送渠道（它可以指向内网中的任何系统）",
            "only administrators can add a webhook channel (it can point at any system on the intranet)",
        )
    dest = channels.validate(req.channel, req.url, req.secret, settings)
    plans, regions, indicators = _resolve(session, req)
    from service.domain.assignments import find_organisation

    organisations = list(dict.fromkeys(find_organisation(session, c).code for c in req.organisation_codes))
    scope = Scope(frozenset(plans), frozenset(regions), frozenset(indicators), frozenset(organisations))
    label = channels.label(dest)
    for other in session.scalars(
        select(Subscription).where(
            Subscription.channel == req.channel,
            Subscription.channel_label == label,
            Subscription.active.is_(True),
            Subscription.cadence == req.cadence,
            Subscription.language == req.language,
        )
    ):
        try:
            same_url = (
                other.channel_secret is not None
                and channels.unseal(other.channel_secret, settings).url == dest.url
            )
        except channels.SealBroken:
            same_url = False
        if same_url and Scope.of(other) == scope:
            raise Conflict(
                f"该渠道已有相同的订阅（编号 {other.id}）",
                f"this channel already has the same subscription (id {other.id})",
            )
    current = latest_live_run(session)
    sub = Subscription(
        user_id=owner.id if owner else None,
        email=None,
        channel=req.channel,
        channel_secret=channels.seal(dest, settings),
        channel_label=label,
        plan_codes=plans,
        region_codes=regions,
        indicator_codes=indicators,
        organisation_codes=organisations or None,
        cadence=req.cadence,
        language=req.language,
        active=True,
        created_at=now,
        last_run_id=current.id if current is not None else None,
    )
    return _stored(session, sub, actor, path, now)


def visible_to(actor: User | None, *, email: str | None = None) -> Select[tuple[Subscription]]:
    """The subscriptions ``actor`` may see, oldest first: their own, or every one for an administrator
    and for the command line (None); with ``email``, only that address's. Callers page or limit it."""
    stmt = select(Subscription)
    if actor is not None and actor.role is not Role.ADMIN:
        stmt = stmt.where(Subscription.user_id == actor.id)
    if email:
        stmt = stmt.where(func.lower(Subscription.email) == email.strip().lower())
    return stmt.order_by(Subscription.id)


def get_subscription(session: Session, actor: User | None, sub_id: int) -> Subscription:
    sub = session.get(Subscription, sub_id)
    if sub is None:
        raise NotFound(f"订阅 {sub_id} 不存在", f"subscription {sub_id} does not exist")
    if actor is not None and actor.role is not Role.ADMIN and sub.user_id != actor.id:
        raise Forbidden("这不是您的订阅", "this subscription belongs to someone else")
    return sub


def _cancel_queued(session: Session, sub: Subscription, now: dt.datetime, why: str) -> int:
    ids = list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.subscription_id == sub.id, OutboxMessage.status == OutboxStatus.QUEUED
            )
        )
    )
    if not ids:
        return 0
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED, last_error=why)
        .execution_options(synchronize_session=False)
    )
    session.add_all(
        DeliveryLog(message_id=i, at=now, outcome=DeliveryOutcome.CANCELLED, detail=why) for i in ids
    )
    return len(ids)


def delete_subscription(
    session: Session, actor: User | None, sub_id: int, *, now: dt.datetime, path: WritePath = WritePath.API
) -> None:
    sub = get_subscription(session, actor, sub_id)
    _cancel_queued(session, sub, now, "subscription deleted")
    audit.record(
        session,
        user=actor,
        path=path,
        action="delete",
        entity_type="subscription",
        entity_id=sub.id,
        before=_snapshot(sub),
        after=None,
        at=now,
    )
    session.delete(sub)
    session.flush()


# --- one-click unsubscribe ---------------------------------------------------------------------


def _mac(key: bytes, sub_id: int, email: str) -> str:
    digest = hmac.new(key, f"unsubscribe:{sub_id}:{email.lower()}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _addressee(sub: Subscription) -> str:
    return sub.email or f"{sub.channel}:{sub.channel_label or ''}"


def unsubscribe_token(settings: Settings, sub: Subscription) -> str:
    return f"{sub.id}.{_mac(secret_key(settings), sub.id, _addressee(sub))}"


def unsubscribe_url(settings: Settings, sub: Subscription) -> str:
    return f"{settings.base_url.rstrip('/')}/api/v1/unsubscribe/{unsubscribe_token(settings, sub)}"


def subscription_for_token(session: Session, settings: Settings, token: str) -> Subscription | None:
    """The subscription a well-signed token names, or None (unknown, deleted, or a forged signature)."""
    sub_id, _, mac = token.partition(".")
    if not sub_id.isdigit() or not mac or len(token) > 100:
        return None
    sub = session.get(Subscription, int(sub_id))
    if sub is None or not hmac.compare_digest(_mac(secret_key(settings), sub.id, _addressee(sub)), mac):
        return None
    return sub


def unsubscribe(
    session: Session, sub: Subscription, *, now: dt.datetime, path: WritePath = WritePath.WEB
) -> bool:
    """Stop a subscription and cancel its digests not yet sent; False if it was already stopped."""
    if not sub.active:
        return False
    before = _snapshot(sub)
    sub.active = False
    _cancel_queued(session, sub, now, "unsubscribed")
    audit.record(
        session,
        user=None,
        path=path,
        action="unsubscribe",
        entity_type="subscription",
        entity_id=sub.id,
        before=before,
        after=_snapshot(sub),
        at=now,
    )
    session.flush()
    return True


def last_delivery(session: Session, sub: Subscription) -> dict[str, Any] | None:
    """How the latest finished message to this subscription went (a stopped chat robot shows here)."""
    row = session.execute(
        select(OutboxMessage.status, OutboxMessage.sent_at, OutboxMessage.last_error, OutboxMessage.id)
        .where(
            OutboxMessage.subscription_id == sub.id,
            OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED)),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    code = session.scalar(
        select(DeliveryLog.code)
        .where(DeliveryLog.message_id == row.id)
        .order_by(DeliveryLog.id.desc())
        .limit(1)
    )
    return {
        "status": row.status,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "error": row.last_error if row.status == OutboxStatus.FAILED else None,
        "code": code,
    }


def subscription_record(
    sub: Subscription, settings: Settings, session: Session | None = None
) -> dict[str, Any]:
    """A subscription as the API shows it: a chat channel only by its label, never its URL or secret."""
    return {
        "id": sub.id,
        "email": sub.email,
        "channel": sub.channel,
        "destination": sub.channel_label or sub.email,
        "last_delivery": last_delivery(session, sub) if session is not None else None,
        "user_id": sub.user_id,
        "plan_codes": sub.plan_codes,
        "region_codes": sub.region_codes,
        "indicator_codes": sub.indicator_codes,
        "organisation_codes": list(sub.organisation_codes or []),
        "cadence": sub.cadence,
        "language": sub.language,
        "active": sub.active,
        "created_at": sub.created_at.isoformat(),
        "last_sent_at": sub.last_sent_at.isoformat() if sub.last_sent_at else None,
        "last_run_id": sub.last_run_id,
        "unsubscribe_url": unsubscribe_url(settings, sub),
    }


def _stored(
    session: Session, sub: Subscription, actor: User | None, path: WritePath, now: dt.datetime
) -> Subscription:
    """A new subscription (e-mail or chat) written, with its audit entry."""
    session.add(sub)
    session.flush()
    audit.record(
        session,
        user=actor,
        path=path,
        action="subscribe",
        entity_type="subscription",
        entity_id=sub.id,
        after=_snapshot(sub),
        at=now,
    )
    return sub
