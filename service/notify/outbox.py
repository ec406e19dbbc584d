"""The outbox: messages are written here in the transaction that decides to send them.

Each message has a stable ``message_key`` (unique): queueing the same key twice is a no-op, and the key
is also the message's Message-ID, so a message handed to the SMTP server twice (a crash after the
server accepted it and before the outbox recorded that) is the same message, not a second one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import OutboxMessage, OutboxStatus

_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")


def mail_domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id(key: str, mail_from: str) -> str:
    """The Message-ID a key stands for: readable, stable, and unique (a short hash guards the escaping)."""
    readable = ".".join(p for p in _NOT_ATEXT.split(key) if p)[:120] or "message"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<{readable}.{digest}@{mail_domain(mail_from)}>"


def enqueue(
    session: Session,
    *,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    settings: Settings,
    now: dt.datetime,
    headers: dict[str, str] | None = None,
    subscription_id: int | None = None,
) -> OutboxMessage | None:
    """Queue a message unless one with this key exists (then None). Flushes, never commits.

    The headers that make the message what it is (From, Date, Message-ID) are fixed here, so that every
    delivery attempt sends the same bytes.
    """
    if len(key) > 200:
        raise ValueError("message keys are at most 200 characters")
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_key == key)) is not None:
        return None
    fixed: dict[str, Any] = {
        "From": settings.mail_from,
        "Date": format_datetime(now.astimezone(dt.UTC)),
        "Message-ID": message_id(key, settings.mail_from),
        "Auto-Submitted": "auto-generated",
        "X-Yrdmon-Key": key,
        **(headers or {}),
    }
    message = OutboxMessage(
        message_key=key,
        to_addr=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=fixed,
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        subscription_id=subscription_id,
    )
    session.add(message)
    session.flush()
    return message


def to_mime(message: OutboxMessage) -> EmailMessage:
    """The message as MIME: plain text, and when there is HTML, multipart/alternative (text first)."""
    mime = EmailMessage(policy=SMTP)
    for name, value in (message.headers or {}).items():
        mime[name] = str(value)
    mime["To"] = message.to_addr
    mime["Subject"] = message.subject
    # 7-bit transfer encodings, so that no relay needs 8BITMIME: the text is mostly Chinese (base64 is
    # smallest), the HTML mostly ASCII markup (quoted-printable keeps it readable)
    mime.set_content(message.body_text, cte="base64")
    if message.body_html:
        mime.add_alternative(message.body_html, subtype="html", cte="quoted-printable")
        # a boundary fixed by the key (not random), so every attempt sends the very same bytes
        mime.set_boundary("=_yrdmon_" + hashlib.sha256(message.message_key.encode()).hexdigest()[:24])
    return mime


def envelope_sender(message: OutboxMessage, settings: Settings) -> str:
    return parseaddr(str((message.headers or {}).get("From") or settings.mail_from))[1]
