"""A real SMTP server on loopback (aiosmtpd) and the inbox it fills; the settings that send to it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from service.config import Settings
from tests.support.pgcluster import free_port


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts (optionally slow to say 250)."""

    def __init__(self, delay: float = 0.0, refuse: set[str] | None = None) -> None:
        self.delay = delay
        self.refuse = refuse or set()
        self.received: list[tuple[str, list[str], EmailMessage, dict[str, Any]]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        facts = {"tls": tls, "authenticated": bool(session.authenticated)}
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message, facts))
        if self.delay:  # the message is the server's now; the 250 comes later (a slow server)
            await asyncio.sleep(self.delay)
        return "250 2.0.0 queued"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [m for _, _, m, _ in self.received]

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} of {count} messages arrived")
            time.sleep(0.05)


@contextmanager
def smtp_server(inbox: Inbox, port: int | None = None, **kwargs: Any) -> Iterator[int]:
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def smtp_settings(port: int, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "secret_key": "test-secret-key",
        "mail_from": "规划目标监测 <yrdmon@yrdmon.test>",
        "base_url": "https://yrdmon.test",
    }
    return Settings(**{**values, **extra})


def plain_text(message: EmailMessage) -> str:
    """The plain-text part of a message."""
    body = message.get_body(("plain",))
    assert body is not None, "no plain-text part"
    return str(body.get_content())
