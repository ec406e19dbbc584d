"""Outbox delivery against a real SMTP server on loopback (aiosmtpd): outage and back-off, recovery with
each message delivered once, permanent rejections, a sender killed mid-batch, STARTTLS / TLS with login.

The SMTP server and its inbox are in tests/support/smtp.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings
from service.db.migrate import upgrade_to_head
from service.db.models import DeliveryLog, OutboxMessage
from service.db.session import make_engine, make_sessionmaker, transaction
from service.notify.outbox import enqueue, message_id
from service.notify.sender import (
    DeliveryPolicy,
    DeliveryReport,
    SmtpTransport,
    SmtpUnavailable,
    claim,
    classify,
    deliver_due,
)
from tests.support.cli import YRDMON
from tests.support.pgcluster import free_port
from tests.support.smtp import Inbox, smtp_server, smtp_settings

T0 = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
FAST = DeliveryPolicy(
    backoff_base=dt.timedelta(minutes=1), backoff_cap=dt.timedelta(minutes=10), max_attempts=5
)
Outbox = tuple[str, Engine, sessionmaker[Session]]  # a database URL, its engine and sessions


# --- a real SMTP server on loopback ------------------------------------------------------------


# --- an outbox database of the kind under test (migrated, no catalog needed) --------------------


@pytest.fixture(scope="module")
def outbox_db(fresh_db_url: Callable[[], str]) -> Iterator[tuple[str, Engine, sessionmaker[Session]]]:
    url = fresh_db_url()
    engine = make_engine(url)
    upgrade_to_head(engine)
    yield url, engine, make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def outbox(outbox_db: Outbox) -> tuple[str, Engine, sessionmaker[Session]]:
    sessions = outbox_db[2]
    with transaction(sessions) as s:
        s.execute(delete(DeliveryLog))
        s.execute(delete(OutboxMessage))
    return outbox_db


def queue(sessions: sessionmaker[Session], settings: Settings, n: int, prefix: str = "m") -> list[str]:
    keys = []
    with transaction(sessions) as s:
        for i in range(n):
            key = f"test:{prefix}:{i}"
            enqueue(s, key=key, to=f"reader{i}@example.org", subject=f"测试 {i}", text=f"正文 {i}\n",
                    html=f"<p>正文 {i}</p>", settings=settings, now=T0)  # fmt: skip
            keys.append(key)
    return keys


def rows(sessions: sessionmaker[Session]) -> dict[str, OutboxMessage]:
    with sessions() as s:
        return {m.message_key: m for m in s.scalars(select(OutboxMessage))}


def logs(sessions: sessionmaker[Session]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    with sessions() as s:
        for entry in s.scalars(select(DeliveryLog).order_by(DeliveryLog.id)):
            out.setdefault(entry.message_id, []).append(entry.outcome)
    return out


def deliver(
    sessions: sessionmaker[Session], settings: Settings, at: dt.datetime, policy: DeliveryPolicy = FAST
) -> DeliveryReport:
    transport = SmtpTransport(settings, timeout=5)
    try:
        return deliver_due(
            lambda: transaction(sessions), transport, settings, clock=lambda: at, policy=policy
        )
    finally:
        transport.close()


# --- tests -------------------------------------------------------------------------------------


def test_with_the_server_down_messages_wait_with_back_off_then_go_once(outbox: Outbox) -> None:
    _, _, sessions = outbox
    port = free_port()  # nothing listens here yet
    settings = smtp_settings(port)
    keys = queue(sessions, settings, 5)

    first = deliver(sessions, settings, T0)
    assert (first.sent, first.deferred, first.failed) == (0, 5, 0)
    state = rows(sessions)
    for key in keys:
        m = state[key]
        assert m.status == "queued" and m.attempts == 1 and m.sent_at is None
        assert m.next_attempt_at == T0 + dt.timedelta(minutes=1)
        assert "127.0.0.1" in (m.last_error or "") and "unavailable" in (m.last_error or "")
    assert all(outcomes == ["deferred"] for outcomes in logs(sessions).values()) and len(logs(sessions)) == 5

    assert deliver(sessions, settings, T0 + dt.timedelta(seconds=30)).attempted == 0  # still backing off
    second = deliver(sessions, settings, T0 + dt.timedelta(minutes=1))
    assert second.deferred == 5
    state = rows(sessions)
    assert {m.attempts for m in state.values()} == {2}
    assert {m.next_attempt_at for m in state.values()} == {T0 + dt.timedelta(minutes=3)}  # 1 min, then 2

    inbox = Inbox()
    with smtp_server(inbox, port):
        assert deliver(sessions, settings, T0 + dt.timedelta(minutes=2)).attempted == 0
        third = deliver(sessions, settings, T0 + dt.timedelta(minutes=3))
        assert third.sent == 5
        assert deliver(sessions, settings, T0 + dt.timedelta(hours=1)).attempted == 0
    expected = {message_id(k, settings.mail_from) for k in keys}
    assert Counter(inbox.message_ids()) == Counter(expected)  # each one, once
    state = rows(sessions)
    assert all(m.status == "sent" and m.attempts == 3 and m.sent_at is not None for m in state.values())
    assert all(outcomes == ["deferred", "deferred", "sent"] for outcomes in logs(sessions).values())
    got = {str(m["Message-ID"]): m for m in inbox.messages}
    sample = got[message_id(keys[0], settings.mail_from)]
    assert sample["To"] == "reader0@example.org" and sample["Subject"] == "测试 0"
    assert sample["X-Yrdmon-Key"] == keys[0] and sample["Auto-Submitted"] == "auto-generated"
    assert sample["Date"] == state[keys[0]].headers["Date"]  # the bytes fixed at queueing time


def test_a_permanent_refusal_is_not_retried_and_gives_up_after_max_attempts(outbox: Outbox) -> None:
    _, _, sessions = outbox
    inbox = Inbox(refuse={"reader1@example.org"})
    with smtp_server(inbox) as port:
        settings = smtp_settings(port)
        keys = queue(sessions, settings, 3)
        report = deliver(sessions, settings, T0)
    assert (report.sent, report.failed) == (2, 1)
    refused = rows(sessions)[keys[1]]
    assert refused.status == "failed" and refused.attempts == 1 and "550" in (refused.last_error or "")
    assert logs(sessions)[refused.id] == ["failed"]
    # a transient problem is retried until max_attempts, then given up (and kept, with its error)
    down = smtp_settings(free_port())
    (key,) = queue(sessions, down, 1, prefix="dead")
    policy = DeliveryPolicy(backoff_base=dt.timedelta(seconds=1), max_attempts=3)
    for k in range(4):
        deliver(sessions, down, T0 + dt.timedelta(minutes=k), policy)
    dead = rows(sessions)[key]
    assert dead.status == "failed" and dead.attempts == 3
    assert logs(sessions)[dead.id] == ["deferred", "deferred", "failed"]


def test_a_claim_left_by_a_dead_sender_is_taken_over_after_it_expires(outbox: Outbox) -> None:
    _, _, sessions = outbox
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = smtp_settings(port)
        (key,) = queue(sessions, settings, 1)
        with transaction(sessions) as s:  # a sender claims it and dies before sending
            mid = s.scalar(select(OutboxMessage.id).where(OutboxMessage.message_key == key))
            assert mid is not None and claim(s, mid, settings, now=T0, policy=FAST) is not None
        assert (
            deliver(sessions, settings, T0 + FAST.claim_ttl - dt.timedelta(seconds=1)).attempted == 0
        )  # held
        assert deliver(sessions, settings, T0 + FAST.claim_ttl).sent == 1
    m = rows(sessions)[key]
    assert m.status == "sent" and m.attempts == 2
    assert logs(sessions)[m.id] == ["interrupted", "sent"]
    assert inbox.message_ids() == [message_id(key, settings.mail_from)]


def test_a_sender_killed_mid_batch_loses_nothing_and_sends_no_second_message(
    outbox: Outbox, tmp_path: Path
) -> None:
    url, engine, sessions = outbox
    inbox = Inbox(delay=0.3)  # slow to acknowledge: the sender is killed while waiting
    with smtp_server(inbox) as port:
        settings = smtp_settings(port)
        keys = queue(sessions, settings, 12)
        env = {**os.environ, "YRDMON_DATABASE_URL": url, "YRDMON_SMTP_PORT": str(port),
               "YRDMON_SECRET_KEY": "test-secret-key", "YRDMON_VAR_DIR": str(tmp_path)}  # fmt: skip
        sender = subprocess.Popen([*YRDMON, "email", "send"], env=env, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        try:
            inbox.wait_for(4)
            time.sleep(0.1)  # inside the slow acknowledgement of the 4th message
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=10)
        state = rows(sessions)
        in_flight = [k for k, m in state.items() if m.status == "sending"]
        assert len(in_flight) == 1, {k: m.status for k, m in state.items()}
        assert sum(m.status == "sent" for m in state.values()) >= 3
        assert any(m.status == "queued" for m in state.values())
        # the dead sender's claim expires (moved into the past here rather than waiting a minute)
        with engine.begin() as conn:
            conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending")
                .values(next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
            )
        inbox.delay = 0
        again = subprocess.run([*YRDMON, "email", "send"], env=env, cwd=tmp_path, capture_output=True, text=True,
                               timeout=120)  # fmt: skip
        assert again.returncode == 0, again.stderr
    state = rows(sessions)
    assert all(m.status == "sent" for m in state.values()), {k: m.status for k, m in state.items()}
    expected = {message_id(k, settings.mail_from) for k in keys}
    received = Counter(inbox.message_ids())
    assert set(received) == expected  # every message arrived, and no other message
    # Only the message in flight at the kill may have reached the server twice, as the same message
    # (the same Message-ID, the same bytes): the server had it when the sender died.
    duplicated = {mid for mid, n in received.items() if n > 1}
    assert duplicated <= {message_id(in_flight[0], settings.mail_from)} and max(received.values()) <= 2
    history = logs(sessions)
    assert all(outcomes.count("sent") == 1 for outcomes in history.values())
    assert history[state[in_flight[0]].id] == ["interrupted", "sent"]
    copies = [
        m for m in inbox.messages if str(m["Message-ID"]) == message_id(in_flight[0], settings.mail_from)
    ]
    assert len({m.as_bytes() for m in copies}) == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # the TLS case is implicit TLS
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_and_tls_with_login(security: str, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = {"authenticator": authenticator, "auth_required": True}
    if security == "starttls":
        options |= {"tls_context": server_tls, "require_starttls": True}
    else:
        # aiosmtpd only counts STARTTLS as TLS when deciding to offer AUTH; this connection is TLS throughout
        options |= {"ssl_context": server_tls, "auth_require_tls": False}
    inbox = Inbox()
    with smtp_server(inbox, **options) as port:
        settings = smtp_settings(port, smtp_security=security, smtp_user="mailer", smtp_password="s3cret")
        mime = EmailMessage()
        mime["Subject"], mime["Message-ID"] = "TLS", "<tls.test@yrdmon.test>"
        mime.set_content("加密传输")
        transport = SmtpTransport(settings, timeout=5, ssl_context=client_tls)
        try:
            transport.send(mime, "yrdmon@yrdmon.test", "reader@example.org")
        finally:
            transport.close()
        wrong = SmtpTransport(smtp_settings(port, smtp_security=security, smtp_user="mailer",
                                            smtp_password="wrong"), timeout=5, ssl_context=client_tls)  # fmt: skip
        with pytest.raises(SmtpUnavailable) as refused:
            wrong.send(mime, "yrdmon@yrdmon.test", "reader@example.org")
        wrong.close()
    ((_, rcpts, message, facts),) = inbox.received
    assert rcpts == ["reader@example.org"] and message.get_content().strip() == "加密传输"
    assert facts == {"tls": True, "authenticated": True}
    assert "535" in str(refused.value) and classify(refused.value) == (False, str(refused.value))


# --- claims renewed while a message is being delivered (issue 13, item 11) ----------------------------


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_the_claim_is_short_and_renewed_well_within_it() -> None:
    policy = DeliveryPolicy()
    assert policy.claim_ttl <= dt.timedelta(minutes=1)  # a dead sender's message waits a minute, not five
    assert policy.heartbeat <= policy.claim_ttl / 3


def test_a_delivery_slower_than_the_claim_is_sent_once_while_another_sender_polls(outbox: Outbox) -> None:
    _, _, sessions = outbox
    short = DeliveryPolicy(claim_ttl=dt.timedelta(seconds=2), max_attempts=5)
    inbox = Inbox(delay=5.0)  # the server takes 5 s to say 250: more than twice the claim
    with smtp_server(inbox) as port:
        settings = smtp_settings(port)
        (key,) = queue(sessions, settings, 1)
        first: dict[str, Any] = {}

        def slow_sender() -> None:
            transport = SmtpTransport(settings, timeout=30)
            try:
                first["report"] = deliver_due(lambda: transaction(sessions), transport, settings, clock=now_utc,
                                              policy=short)  # fmt: skip
            finally:
                transport.close()

        thread = threading.Thread(target=slow_sender)
        thread.start()
        inbox.wait_for(1)
        polls = []
        while thread.is_alive():  # a second sender polls every 0.1 s for due messages
            transport = SmtpTransport(settings, timeout=30)
            try:
                polls.append(deliver_due(lambda: transaction(sessions), transport, settings, clock=now_utc,
                                         policy=short))  # fmt: skip
            finally:
                transport.close()
            time.sleep(0.1)
        thread.join()
    assert [p for p in polls if p.attempted or p.skipped] == [] and len(polls) > 5
    assert first["report"].sent == 1
    assert inbox.message_ids() == [message_id(key, settings.mail_from)]  # once
    m = rows(sessions)[key]
    assert m.status == "sent" and m.attempts == 1 and logs(sessions)[m.id] == ["sent"]


class StallInData(Controller):
    """An SMTP server that, on its first DATA, says 354 and then stops reading until the client is gone:
    the client has sent the message but the server never finished taking it (it drops it on EOF)."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.in_data = threading.Event()
        self.stalls = 1

    def factory(self) -> Any:
        from aiosmtpd.smtp import SMTP

        controller = self

        class Stalling(SMTP):
            async def push(self, status: Any) -> None:
                await super().push(status)
                if str(status).startswith("354") and controller.stalls > 0:
                    controller.stalls -= 1
                    controller.in_data.set()
                    await asyncio.sleep(120)  # cancelled when the client's connection ends

        return Stalling(self.handler, **self.SMTP_kwargs)


SENDER = """
import datetime as dt, sys
from service.config import Settings
from service.db.session import make_engine, make_sessionmaker, transaction
from service.notify.sender import DeliveryPolicy, SmtpTransport, deliver_due

url, port, ttl = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
settings = Settings(smtp_host="127.0.0.1", smtp_port=port, secret_key="test-secret-key",
                    mail_from="规划目标监测 <yrdmon@yrdmon.test>", base_url="https://yrdmon.test")
sessions = make_sessionmaker(make_engine(url))
deliver_due(lambda: transaction(sessions), SmtpTransport(settings, timeout=300), settings,
            clock=lambda: dt.datetime.now(dt.UTC), policy=DeliveryPolicy(claim_ttl=dt.timedelta(seconds=ttl)))
"""


def test_a_sender_killed_mid_data_leaves_the_message_due_within_the_claim(
    outbox: Outbox, tmp_path: Path
) -> None:
    url, _, sessions = outbox
    ttl = dt.timedelta(seconds=2)
    inbox = Inbox()
    port = free_port()
    server = StallInData(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        settings = smtp_settings(port)
        (key,) = queue(sessions, settings, 1)
        sender = subprocess.Popen([sys.executable, "-c", SENDER, url, str(port), str(ttl.total_seconds())],
                                  cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        try:
            assert server.in_data.wait(60), (
                sender.communicate()[1] if sender.poll() is not None else "no DATA"
            )
            claimed_until = rows(sessions)[key].next_attempt_at
            time.sleep(ttl.total_seconds() * 1.5)  # the delivery outlasts its first claim ...
            renewed = rows(sessions)[key]
            assert (
                renewed.status == "sending" and renewed.next_attempt_at > claimed_until
            )  # ... which is renewed
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=10)
        killed_at = now_utc()
        dead = rows(sessions)[key]
        assert dead.status == "sending" and dead.attempts == 1
        assert dead.next_attempt_at <= killed_at + ttl  # due again within one claim of the kill
        just_before = dead.next_attempt_at - dt.timedelta(milliseconds=1)
        assert deliver(sessions, settings, just_before, FAST).attempted == 0  # not taken before it expires
        assert deliver(sessions, settings, dead.next_attempt_at, FAST).sent == 1
    finally:
        server.stop()
    m = rows(sessions)[key]
    assert m.status == "sent" and m.attempts == 2 and logs(sessions)[m.id] == ["interrupted", "sent"]
    assert inbox.message_ids() == [message_id(key, settings.mail_from)]  # the dropped DATA left no copy
