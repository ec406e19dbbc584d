"""Review e-mails (数据审核): the editor is told when a figure is returned (once per return: the
outbox key is the return step), and reviewers get a digest of what awaits them (once per reviewer and
day). Plain text and HTML, Chinese first; everything a user typed is escaped in the HTML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.config import Settings
from service.db.models import (
    Indicator,
    Observation,
    ObservationReview,
    OutboxMessage,
    Region,
    Role,
    User,
)
from service.domain import review
from service.notify.chat import ChatText, md, notice_text, queue_to_chats
from service.notify.outbox import enqueue


def returned_notifier(
    settings: Settings, now: dt.datetime
) -> Callable[[Session, Observation, ObservationReview], None]:
    """A ``notify`` for ``review.act``: queues one e-mail to the person who entered a returned figure."""

    def notify(session: Session, obs: Observation, step: ObservationReview) -> None:
        queue_returned(session, obs, step, settings=settings, now=now)

    return notify


def queue_returned(
    session: Session, obs: Observation, step: ObservationReview, *, settings: Settings, now: dt.datetime
) -> OutboxMessage | None:
    editor = session.get(User, obs.entered_by_id) if obs.entered_by_id is not None else None
    if editor is None or not editor.email or not editor.is_active:
        return None
    reviewer = session.get(User, step.user_id) if step.user_id is not None else None
    ind = session.get(Indicator, obs.indicator_id)
    reg = session.get(Region, obs.region_id)
    assert ind is not None and reg is not None
    value = "—" if obs.value is None else f"{obs.value.normalize():f} {ind.unit}"
    who = reviewer.display_name or reviewer.username if reviewer else "—"
    kind_zh, kind_en = (
        ("修订申请被驳回", "revision request refused") if step.revision else ("数据被退回", "figure returned")
    )
    subject = f"【{kind_zh}】{reg.name_zh}{obs.period}年{ind.name_zh} / {kind_en}: {ind.code} {reg.code} {obs.period}"
    link = f"{settings.base_url.rstrip('/')}/review/history/{obs.id}"
    comment = step.comment or ""
    text = (
        f"{reg.name_zh}{obs.period}年{ind.name_zh}（{value}）已被{who}退回。\n"
        f"退回意见：{comment}\n请更正后重新报送，或说明数值无误后重新报送。\n{link}\n\n"
        f"{ind.name_en} for {reg.name_en}, {obs.period} ({value}) was returned by {who}.\n"
        f"Reviewer's comment: {comment}\nPlease correct it and submit it again, or resubmit it with an "
        f"explanation of why it is right.\n{link}\n"
    )
    html = (
        f"<p>{escape(reg.name_zh)}{obs.period}年{escape(ind.name_zh)}（{escape(value)}）已被{escape(who)}退回。</p>"
        f"<p>退回意见：{escape(comment)}</p>"
        f"<p>{escape(ind.name_en)} for {escape(reg.name_en)}, {obs.period} ({escape(value)}) was returned by "
        f"{escape(who)}. Reviewer's comment: {escape(comment)}</p>"
        f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
    )
    key = f"review-returned:{step.id}"

    def chat(lang: str) -> ChatText:
        zh = lang == "zh"
        region, indicator = (reg.name_zh, ind.name_zh) if zh else (reg.name_en, ind.name_en)
        title = (
            f"【{kind_zh}】{reg.name_zh}{obs.period}年{ind.name_zh}"
            if zh
            else f"{kind_en.capitalize()}: {ind.name_en}, {reg.name_en} {obs.period}"
        )
        lines = (
            [
                f"{md(region)}{obs.period}年{md(indicator)}（{md(value)}）已被{md(who)}退回。",
                f"**退回意见**：{md(comment) or '—'}",
                "请更正后重新报送，或说明数值无误后重新报送。",
            ]
            if zh
            else [
                f"{md(indicator)} for {md(region)}, {obs.period} ({md(value)}) was returned by {md(who)}.",
                f"**Reviewer's comment**: {md(comment) or '—'}",
                "Please correct it and submit it again, or resubmit it with an explanation of why it is right.",
            ]
        )
        return notice_text(
            "returned",
            lang,
            title,
            lines,
            [],
            link,
            data={"observation_id": obs.id, "indicator": ind.code, "region": reg.code, "year": obs.period},
        )

    queue_to_chats(session, editor.id, key, chat, now=now)
    return enqueue(
        session,
        key=key,
        to=editor.email,
        subject=subject,
        text=text,
        html=html,
        settings=settings,
        now=now,
    )


def queue_reviewer_digests(session: Session, *, settings: Settings, now: dt.datetime) -> int:
    """One digest per reviewer (and administrator) with an e-mail address and figures waiting, at most
    one a day (the key names the day). Returns how many were queued."""
    people = session.scalars(
        select(User)
        .where(User.is_active.is_(True), User.email.is_not(None), User.role.in_((Role.REVIEWER, Role.ADMIN)))
        .options(selectinload(User.regions))
        .order_by(User.id)
    ).all()
    queued = 0
    if not review.policy(session).enabled:
        return 0
    for person in people:
        items = review.queue(session, person, limit=200)
        if not items:
            continue
        assert person.email is not None
        lines_zh = [
            f"- {i.region.name_zh}{i.period}年{i.indicator.name_zh}：{i.value}"
            f"{'（修订申请）' if i.revision else ''}"
            for i in items
        ]
        lines_en = [
            f"- {i.indicator.code} {i.region.code} {i.period}: {i.value}"
            f"{' (revision request)' if i.revision else ''}"
            for i in items
        ]
        link = f"{settings.base_url.rstrip('/')}/review"
        text = (
            f"您有 {len(items)} 条数据待审核：\n" + "\n".join(lines_zh) + f"\n{link}\n\n"
            f"{len(items)} figure(s) await your review:\n" + "\n".join(lines_en) + f"\n{link}\n"
        )
        html = (
            f"<p>您有 {len(items)} 条数据待审核 / {len(items)} figure(s) await your review</p><ul>"
            + "".join(f"<li>{escape(z)} / {escape(e)}</li>" for z, e in zip(lines_zh, lines_en, strict=True))
            + f'</ul><p><a href="{escape(link)}">{escape(link)}</a></p>'
        )
        key = f"review-digest:{person.id}:{now:%Y-%m-%d}"

        def chat(
            lang: str,
            n: int = len(items),
            zh_lines: list[str] = lines_zh,
            en_lines: list[str] = lines_en,
            link: str = link,
        ) -> ChatText:
            title = f"【待审核】{n} 条数据" if lang == "zh" else f"{n} figure(s) to review"
            lines = [f"您有 {n} 条数据待审核：" if lang == "zh" else f"{n} figure(s) await your review:"]
            shown = [md(x.removeprefix("- ")) for x in (zh_lines if lang == "zh" else en_lines)]
            return notice_text("review_digest", lang, title, lines, shown, link, data={"waiting": n})

        queue_to_chats(session, person.id, key, chat, now=now)
        message = enqueue(
            session,
            key=key,
            to=person.email,
            subject=f"【待审核】{len(items)} 条数据 / {len(items)} figure(s) to review",
            text=text,
            html=html,
            settings=settings,
            now=now,
        )
        queued += message is not None
    return queued
