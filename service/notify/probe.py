"""“Send a test message”: one message to a subscription's channel now, with the platform's answer in words.

The message goes through the outbox like any other (a row, a delivery-log entry), with one attempt only:
a test that fails says why at once instead of being retried later.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from service.config import Settings
from service.db.models import DeliveryLog, OutboxMessage, OutboxStatus, User
from service.notify.channels import CHAT_CHANNELS, NAMES
from service.notify.chat import ChatText, enqueue_chat
from service.notify.chat_sender import explain
from service.notify.outbox import enqueue
from service.notify.sender import DeliveryPolicy, SmtpTransport, UnitOfWork, deliver_due
from service.notify.subscriptions import get_subscription


@dataclass(frozen=True)
class ProbeOutcome:
    delivered: bool
    status: str
    code: str | None
    zh: str
    en: str
    message_id: int

    def record(self) -> dict[str, object]:
        return {
            "delivered": self.delivered,
            "status": self.status,
            "code": self.code,
            "zh": self.zh,
            "en": self.en,
            "message_id": self.message_id,
        }


def test_text(channel: str, lang: str, base: str, now: dt.datetime) -> ChatText:
    name_zh, name_en = NAMES.get(channel, (channel, channel))
    when = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    if lang == "zh":
        title = "规划目标监测 · 测试消息"
        lines = [
            f"这是规划目标监测系统的测试消息。收到此消息，说明{name_zh}设置正确，进展摘要和提醒将发到这里。",
            when,
        ]
    else:
        title = "Plan-target monitoring · test message"
        lines = [
            f"A test message from the plan-target monitoring service (规划目标监测): the {name_en} works, "
            "and digests and reminders will arrive here.",
            when,
        ]
    link = f"{base}/subscriptions?lang={lang}"
    return ChatText("test", title, (f"### {title}", *lines, f"[{link}]({link})"), link, lang)


def send_test_message(
    unit: UnitOfWork, actor: User | None, sub_id: int, settings: Settings, *, now: dt.datetime
) -> ProbeOutcome:
    """Queue a test message to subscription ``sub_id`` (checked as ``actor``'s), try it once, report."""
    base = settings.base_url.rstrip("/")
    with unit() as session:
        sub = get_subscription(session, actor, sub_id)
        key = f"test:{sub.id}:{uuid.uuid4().hex}"
        if sub.channel in CHAT_CHANNELS:
            message = enqueue_chat(
                session, sub, test_text(sub.channel, sub.language, base, now), key=key, now=now
            )
        else:
            assert sub.email is not None
            text = test_text("email", sub.language, base, now)
            message = enqueue(
                session,
                key=key,
                to=sub.email,
                subject=text.title,
                html=None,
                settings=settings,
                now=now,
                text="\n\n".join(b for b in text.blocks if isinstance(b, str)) + "\n",
                subscription_id=sub.id,
            )
        assert message is not None
        message_id, channel = message.id, sub.channel
    transport = SmtpTransport(settings)
    try:
        deliver_due(
            unit,
            transport,
            settings,
            clock=lambda: dt.datetime.now(dt.UTC),
            policy=DeliveryPolicy(max_attempts=1),
            only=[message_id],
        )
    finally:
        transport.close()
    with unit() as session:
        row = session.get(OutboxMessage, message_id, populate_existing=True)
        assert row is not None
        status, error = row.status, row.last_error
        code = session.scalar(
            select(DeliveryLog.code)
            .where(DeliveryLog.message_id == message_id)
            .order_by(DeliveryLog.id.desc())
            .limit(1)
        )
    zh, en = explain(channel, code, error, status == OutboxStatus.SENT)
    return ProbeOutcome(status == OutboxStatus.SENT, status, code, zh, en, message_id)
