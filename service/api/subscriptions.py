"""Digest subscriptions: POST/GET/DELETE /api/v1/subscriptions, a preview, and one-click unsubscribe."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from service.api.deps import CurrentUser, SessionDep, SettingsDep, SideWrites
from service.api.paging import Page, paginate
from service.db.models import WritePath
from service.notify import subscriptions as subs
from service.notify.digest import preview_digest
from service.notify.render import CADENCE_WORDS, render

router = APIRouter(tags=["subscriptions"])

Code = Annotated[str, Field(min_length=1, max_length=120)]


class SubscriptionIn(BaseModel):
    email: str | None = Field(None, max_length=254, description="default: the address on your account")
    plan_codes: list[Code] = Field(default_factory=list, max_length=500, description="empty: every plan")
    region_codes: list[Code] = Field(
        default_factory=list, max_length=500, description="codes or Chinese names; empty: every region"
    )
    indicator_codes: list[Code] = Field(
        default_factory=list, max_length=500, description="empty: every indicator"
    )
    organisation_codes: list[Code] = Field(
        default_factory=list,
        max_length=100,
        description="organisation codes or names: only the targets they lead, support or hold a share of",
    )
    cadence: Literal["after_run", "weekly", "monthly"] = "after_run"
    language: Literal["zh", "en"] = "zh"
    user: str | None = Field(None, max_length=80, description="administrators: the account it belongs to")
    channel: Literal["email", "wecom", "dingtalk", "webhook"] = Field(
        "email", description="email, a 企业微信 (wecom) or 钉钉 (dingtalk) group robot, or a signed webhook"
    )
    url: str | None = Field(
        None,
        max_length=2000,
        description="chat channel: the robot's webhook URL (with its key); never shown again",
    )
    secret: str | None = Field(
        None,
        max_length=200,
        description="钉钉 加签 secret, or the webhook's signing secret; never shown again",
    )


class DeliveryOut(BaseModel):
    status: str
    sent_at: str | None
    error: str | None
    code: str | None


class SubscriptionOut(BaseModel):
    id: int
    email: str | None
    channel: str = "email"
    destination: str | None = Field(
        None, description="the address, or a chat channel's host and key's last 4"
    )
    last_delivery: DeliveryOut | None = None
    user_id: int | None
    plan_codes: list[str]
    region_codes: list[str]
    indicator_codes: list[str]
    organisation_codes: list[str] = Field(default_factory=list)
    cadence: str
    language: str
    active: bool
    created_at: str
    last_sent_at: str | None
    last_run_id: int | None
    unsubscribe_url: str


class SubscriptionPage(Page[SubscriptionOut]):
    """A page of subscriptions, oldest first."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.post(
    "/subscriptions", status_code=201, response_model=SubscriptionOut, summary="Subscribe to digests"
)
def create(
    body: SubscriptionIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> dict[str, Any]:
    req = subs.SubscriptionRequest(
        email=body.email,
        plan_codes=body.plan_codes,
        region_codes=body.region_codes,
        indicator_codes=body.indicator_codes,
        organisation_codes=body.organisation_codes,
        cadence=body.cadence,
        language=body.language,
        username=body.user,
        channel=body.channel,
        url=body.url,
        secret=body.secret,
    )
    sub = subs.create_subscription(session, user, req, now=_now(), path=WritePath.API, settings=settings)
    return subs.subscription_record(sub, settings, session)


@router.get(
    "/subscriptions", response_model=SubscriptionPage, summary="Your subscriptions (administrators: all)"
)
def list_subscriptions(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    email: Annotated[str | None, Query(max_length=254)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    rows, total = paginate(session, subs.visible_to(user, email=email), limit=limit, offset=offset)
    return {
        "items": [subs.subscription_record(s, settings, session) for (s,) in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/subscriptions/{sub_id}", response_model=SubscriptionOut, summary="One subscription")
def show(sub_id: int, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> dict[str, Any]:
    return subs.subscription_record(subs.get_subscription(session, user, sub_id), settings, session)


class TestOut(BaseModel):
    delivered: bool
    status: str = Field(description="sent, or failed (a test message is tried once)")
    code: str | None = Field(description="the platform's answer code: errcode, HTTP status")
    zh: str
    en: str
    message_id: int


@router.post(
    "/subscriptions/{sub_id}/test",
    response_model=TestOut,
    summary="Send a test message to the subscription's channel now; the platform's answer in words",
)
def test_message(
    sub_id: int, session: SessionDep, user: CurrentUser, settings: SettingsDep, side_writes: SideWrites
) -> dict[str, Any]:
    from service.notify.probe import send_test_message

    subs.get_subscription(session, user, sub_id)  # 404 / 403 before anything is queued
    return send_test_message(side_writes, user, sub_id, settings, now=_now()).record()


@router.delete("/subscriptions/{sub_id}", status_code=204, summary="Delete a subscription")
def delete(sub_id: int, session: SessionDep, user: CurrentUser) -> Response:
    subs.delete_subscription(session, user, sub_id, now=_now(), path=WritePath.API)
    return Response(status_code=204)


@router.get(
    "/subscriptions/{sub_id}/preview",
    summary="The digest this subscription would get now (HTML, or the plain-text part); nothing is sent",
    response_class=HTMLResponse,
)
def preview(
    sub_id: int,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    format: Annotated[Literal["html", "text"], Query()] = "html",
) -> Response:
    digest = preview_digest(session, subs.get_subscription(session, user, sub_id), settings)
    if format == "text":
        return PlainTextResponse(digest.text)
    return HTMLResponse(digest.html)


def _page(state: str, sub: Any = None, status: int = 200) -> HTMLResponse:
    cadence = CADENCE_WORDS.get(sub.cadence, ("", "")) if sub is not None else ("", "")
    html = render(
        "unsubscribe.html",
        state=state,
        email=(sub.email or sub.channel_label or "") if sub is not None else "",
        cadence_zh=cadence[0],
        cadence_en=cadence[1],
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


@router.get(
    "/unsubscribe/{token}", response_class=HTMLResponse, summary="Unsubscribe link: a confirmation page"
)
def unsubscribe_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    # a GET never unsubscribes: mail scanners follow links
    sub = subs.subscription_for_token(session, settings, token)
    if sub is None:
        return _page("invalid", status=404)
    # the form posts back to this same address (no action attribute: right behind any proxy prefix)
    return _page("confirm" if sub.active else "already", sub)


@router.post(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    summary="Unsubscribe (the confirmation form, and RFC 8058 List-Unsubscribe=One-Click); no login",
)
def unsubscribe(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    sub = subs.subscription_for_token(session, settings, token)
    if sub is None:
        return _page("invalid", status=404)
    changed = subs.unsubscribe(session, sub, now=_now(), path=WritePath.WEB)
    return _page("done" if changed else "already", sub)
