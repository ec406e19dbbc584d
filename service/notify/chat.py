"""Messages for chat channels: a short markdown text that fits each platform, queued in the outbox.

Limits (what the platforms document for group robots, and what we keep to):

- 企业微信 (WeCom) group robot, ``msgtype`` markdown: ``content`` at most 4096 bytes, UTF-8 encoded (the
  robot documentation states it). We keep the content within 4096 bytes.
- 钉钉 (DingTalk) custom robot, ``msgtype`` markdown: ``title`` (shown in the notification) and ``text``.
  The robot documentation gives no firm figure for markdown ``text``; messages of some 20 000 bytes are
  reported refused. We keep ``text`` within 5000 characters and 4096 bytes of UTF-8 (Chinese text:
  about 1300 characters), which is well inside any limit seen and reads as one screen.
- A webhook (an office's own system) gets the same markdown within 4096 bytes, plus the figures as data.

Neither platform documents a backslash escape for its markdown subset, so text from documents or users
(target names, comments) has its markup characters replaced by their full-width forms (``*`` → ``＊``,
``[`` → ``［``, ``<`` → ``＜`` …; ``&`` stays: with ``<`` gone no entity can open a tag): a Chinese reader reads them the same, and no platform renders them as
markup, links or HTML. Long lists end with “等N项” (“and N more”) and a link to the service.

A message body is rendered to its final JSON bytes when it is queued, so every delivery attempt sends
exactly the same body (钉钉's signature and the webhook's timestamp are added at sending time).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import OutboxMessage, OutboxStatus, Subscription
from service.domain.statuses import BEHIND
from service.notify.channels import CHAT_CHANNELS, DINGTALK, WEBHOOK, WECOM

MAX_BYTES = 4096  # 企业微信 markdown content; also what we keep 钉钉 and webhook text to
DINGTALK_MAX_CHARS = 5000
MAX_ITEMS = 200
KEYWORD = (
    "规划目标监测"  # in every 钉钉 message: the custom keyword offices give their robot (security setting)
)

_MARKUP = str.maketrans(
    {
        "*": "＊",
        "_": "＿",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "`": "｀",
        "#": "＃",
        "~": "～",
        "\\": "＼",
        "|": "｜",
        "\n": " ",
        "\r": " ",
        "\t": " ",
    }
)


def md(text: object) -> str:
    """Text from a document or a person, safe inside chat markdown (markup characters made full-width)."""
    return str(text).translate(_MARKUP)


@dataclass
class Items:
    """A list that may be cut short: a header line, item lines, and a closing line when cut."""

    header: str
    items: Sequence[str]
    more: Callable[[int, int], str]  # (shown, total) -> the line that says what was left out
    shown: int = 0


Block = str | Items


def _render(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            out.append(block)
            continue
        lines = [*([block.header] if block.header else []), *(f"- {x}" for x in block.items[: block.shown])]
        if block.shown < len(block.items):
            lines.append(block.more(block.shown, len(block.items)))
        out.append("\n".join(lines))
    return "\n\n".join(out)


def fits(text: str, channel: str | None = None) -> bool:
    if len(text.encode()) > MAX_BYTES:
        return False
    return channel != DINGTALK or len(text) <= DINGTALK_MAX_CHARS


def fit(blocks: Sequence[Block], channel: str | None = None) -> str:
    """Render ``blocks`` with as many list items as the platform's limit allows (in order of the lists)."""
    lists = [b for b in blocks if isinstance(b, Items)]
    for b in lists:
        b.shown = 0
    for b in lists:
        limit = min(len(b.items), MAX_ITEMS)
        while b.shown < limit:
            b.shown += 1
            if not fits(_render(blocks), channel):
                b.shown -= 1
                break
    text = _render(blocks)
    while not fits(text, channel):  # fixed parts too long (a very long title): cut, never exceed
        text = text[: int(len(text) * 0.9)] + "…"
    return text


def more_words(lang: str) -> Callable[[int, int], str]:
    if lang == "zh":
        return lambda shown, total: f"……等{total}项" if shown else f"共{total}项，详见系统"
    return lambda shown, total: f"… and {total - shown} more" if shown else f"{total} in all; see the service"


@dataclass(frozen=True)
class ChatText:
    """One message as people read it: a title, markdown blocks (fitted per platform) and its link."""

    kind: str  # digest, reminder, overdue, returned, review_digest, test
    title: str
    blocks: tuple[Block, ...]
    link: str
    language: str
    data: dict[str, Any] = field(default_factory=dict)


def body(channel: str, message: ChatText, *, key: str, now: dt.datetime) -> str:
    """The JSON body the platform receives (as text; sent as UTF-8)."""
    text = fit(list(message.blocks), channel)
    if (
        channel == DINGTALK and KEYWORD not in text
    ):  # a robot with a custom keyword takes only messages with it
        text = fit([*message.blocks, f"— {KEYWORD}"], channel)
    payload: dict[str, Any]
    if channel == WECOM:
        payload = {"msgtype": "markdown", "markdown": {"content": text}}
    elif channel == DINGTALK:
        payload = {"msgtype": "markdown", "markdown": {"title": message.title[:100], "text": text}}
    elif channel == WEBHOOK:
        payload = {
            "key": key,
            "kind": message.kind,
            "language": message.language,
            "title": message.title,
            "markdown": text,
            "link": message.link,
            "created_at": now.astimezone(dt.UTC).isoformat(),
            "data": message.data,
        }
    else:
        raise ValueError(f"not a chat channel: {channel}")
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def enqueue_chat(
    session: Session, sub: Subscription, message: ChatText, *, key: str, now: dt.datetime
) -> OutboxMessage | None:
    """Queue ``message`` to the subscription's chat channel unless ``key`` was queued (then None).
    Flushes, never commits: the caller's transaction is the decision's."""
    if sub.channel not in CHAT_CHANNELS or not sub.channel_secret:
        raise ValueError(f"subscription {sub.id} has no chat channel")
    if len(key) > 200:
        raise ValueError("message keys are at most 200 characters")
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_key == key)) is not None:
        return None
    row = OutboxMessage(
        message_key=key,
        to_addr=(sub.channel_label or sub.channel)[:254],
        subject=message.title[:300],
        body_text=body(sub.channel, message, key=key, now=now),
        body_html=None,
        headers={"X-Yrdmon-Key": key, "Content-Type": "application/json; charset=utf-8"},
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        subscription_id=sub.id,
        channel=sub.channel,
        destination=sub.channel_secret,
    )
    session.add(row)
    session.flush()
    return row


def chat_subscriptions(session: Session, user_ids: Iterable[int]) -> dict[int, list[Subscription]]:
    """The active chat subscriptions of these people: their reminders and review notices go there too."""
    ids = sorted(set(user_ids))
    out: dict[int, list[Subscription]] = {}
    if not ids:
        return out
    for sub in session.scalars(
        select(Subscription)
        .where(
            Subscription.user_id.in_(ids),
            Subscription.active.is_(True),
            Subscription.channel.in_(CHAT_CHANNELS),
        )
        .order_by(Subscription.id)
    ):
        assert sub.user_id is not None
        out.setdefault(sub.user_id, []).append(sub)
    return out


def queue_to_chats(
    session: Session,
    user_id: int | None,
    key: str,
    build: Callable[[str], ChatText],
    *,
    now: dt.datetime,
) -> list[str]:
    """A notice for a person (reminder, returned figure, review digest) to each of their chat channels,
    in the channel's language; one stable key per message and channel. Returns the keys queued."""
    if user_id is None:
        return []
    queued = []
    for sub in chat_subscriptions(session, [user_id]).get(user_id, []):
        chat_key = f"{key}@{sub.channel}:{sub.id}"
        if enqueue_chat(session, sub, build(sub.language), key=chat_key, now=now) is not None:
            queued.append(chat_key)
    return queued


# --- the progress digest ---------------------------------------------------------------------------

_DIGEST_WORDS = {
    "zh": {
        "title": "规划目标监测 · 进展摘要",
        "as_of": "截至 {date}",
        "summary": "按状态汇总（共 {n} 项目标）",
        "changed": "有变化的目标",
        "behind": "落后于序时进度的目标（{n} 项）",
        "none_behind": "没有落后于序时进度的目标。",
        "link": "在系统中查看",
        "colon": "：",
    },
    "en": {
        "title": "Plan-target monitoring · progress digest",
        "as_of": "As of {date}",
        "summary": "By status ({n} targets)",
        "changed": "Targets that changed",
        "behind": "Behind schedule ({n} targets)",
        "none_behind": "No target is behind schedule.",
        "link": "Open in the service",
        "colon": ": ",
    },
}


def digest_text(context: dict[str, Any]) -> ChatText:
    """The digest (``service.notify.digest.compose_digest``'s context) as a chat message."""
    lang = context["lang"]
    w = _DIGEST_WORDS[lang]
    t = context["t"]
    link = f"{context['base_url']}/?lang={lang}"
    blocks: list[Block] = [
        f"### {w['title']}",
        f"{w['as_of'].format(date=context['as_of'])}{t['lp']}{md(context['since'])}{t['rp']}",
    ]
    if context["changed"]:
        blocks.append(f"**{md(context['headline'])}**")
        changed = [
            f"{md(c['title'])}{w['colon']}{md(c['transition'])}"
            for kind in ("achieved", "behind", "status", "figures")
            for c in context["changes"][kind]
        ]
        blocks.append(Items(f"**{w['changed']}**", changed, more_words(lang)))
    else:
        blocks.append(md(t["nothing"]))
    summary = [
        f"{row['chip']['icon']} {md(row['chip']['word'])}{w['colon']}{row['count']}"
        for row in context["summary"]
    ]
    blocks.append(Items(f"**{w['summary'].format(n=context['total'])}**", summary, more_words(lang)))
    behind = [
        f"{md(x['title'])}{w['colon']}{md(x['status']['word'])}"
        + (f"{t['semi']}{md(x['schedule'])}" if x["schedule"] else "")
        for plan in context["plans"]
        for x in plan["targets"]
        if x["status"] and x["status"]["status"] in BEHIND
    ]
    if behind:
        blocks.append(Items(f"**{w['behind'].format(n=len(behind))}**", behind, more_words(lang)))
    else:
        blocks.append(w["none_behind"])
    blocks.append(f"[{w['link']}]({link})")
    data = {
        "as_of": context["as_of"],
        "run_id": context["run_id"],
        "changed": context["changed"],
        "targets": context["total"],
        "by_status": {row["chip"]["status"]: row["count"] for row in context["summary"]},
        "behind": len(behind),
        "subscription_id": context["subscription_id"],
    }
    return ChatText("digest", context["subject"], tuple(blocks), link, lang, data)


def notice_text(
    kind: str,
    lang: str,
    title: str,
    lines: Sequence[str],
    items: Sequence[str],
    link: str,
    header: str = "",
    data: dict[str, Any] | None = None,
) -> ChatText:
    """A reminder or review notice: a heading, a few lines, a list cut to fit, and the link.
    ``lines``, ``items`` and ``header`` are already escaped with ``md`` where they hold others' text."""
    blocks: list[Block] = [f"### {md(title)}", *lines]
    if items:
        blocks.append(Items(header, list(items), more_words(lang)))
    blocks.append(f"[{'在系统中查看' if lang == 'zh' else 'Open in the service'}]({link})")
    return ChatText(kind, title, tuple(blocks), link, lang, data or {})
