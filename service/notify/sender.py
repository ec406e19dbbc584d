"""SMTP delivery of the outbox: claim a message, send it, record the outcome; retry with back-off.

Each message goes through three short transactions: the claim (status ``sending``, ``attempts`` + 1,
``next_attempt_at`` = the claim's expiry), the SMTP transaction, and the record of its outcome with a
delivery-log row. While the SMTP transaction runs, a heartbeat thread renews the claim every third of
its length (compare-and-set on status and attempts, each renewal its own short transaction), so a slow
server never lets another sender take the message and send it a second time, and the claim can be
short: a sender that dies between the claim and the record leaves the message ``sending`` for at most
one claim (a minute). Then any sender takes it again, logs the unfinished attempt as ``interrupted``
and sends it again, with the same Message-ID and the same bytes. So a message is never lost, and it is
handed to the SMTP server twice only if the sender died after the server accepted it and before the
outcome was committed (or could not reach the database for a whole claim), and then as the same
message (one Message-ID), never as a second one.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import DeliveryLog, DeliveryOutcome, OutboxMessage, OutboxStatus
from service.notify.outbox import envelope_sender, to_mime

if TYPE_CHECKING:
    from service.notify.chat_sender import ChatTransport

log = logging.getLogger("yrdmon.mail")

UnitOfWork = Callable[[], AbstractContextManager[Session]]
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retry and claim rules. The claim is renewed every ``heartbeat`` while a message is delivered, so it
    need only outlast a few renewals, not an SMTP transaction; it is how long a dead sender's message
    waits before another sender takes it."""

    backoff_base: dt.timedelta = dt.timedelta(minutes=1)
    backoff_cap: dt.timedelta = dt.timedelta(hours=2)
    max_attempts: int = 24  # about two days of retries at the cap
    claim_ttl: dt.timedelta = dt.timedelta(minutes=1)
    batch_size: int = 100

    @property
    def heartbeat(self) -> dt.timedelta:
        """How often a claim is renewed: three renewals per claim, so one slow or failed renewal is harmless."""
        return self.claim_ttl / 3


def backoff(attempts: int, policy: DeliveryPolicy) -> dt.timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: base, 2×base, 4×base, … up to the cap."""
    return min(policy.backoff_base * (2 ** min(max(attempts - 1, 0), 30)), policy.backoff_cap)


class SmtpUnavailable(Exception):
    """The SMTP server could not be reached or would not start a session (connect, TLS, login)."""


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for a batch (STARTTLS or TLS, login if set)."""

    def __init__(
        self, settings: Settings, *, timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = self.ssl_context or ssl.create_default_context()
        conn: smtplib.SMTP
        try:
            if s.smtp_security == "tls":
                conn = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout, context=context)
            else:
                conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
            try:
                if s.smtp_security == "starttls":
                    conn.starttls(context=context)
                if s.smtp_user:
                    conn.login(s.smtp_user, s.smtp_password.get_secret_value())
            except BaseException:
                conn.close()
                raise
        except (OSError, smtplib.SMTPException) as exc:
            where = f"{s.smtp_host}:{s.smtp_port} ({s.smtp_security})"
            raise SmtpUnavailable(f"SMTP server {where} unavailable: {_describe(exc)}") from exc
        return conn

    def send(self, mime: EmailMessage, sender: str, recipient: str) -> str:
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.send_message(mime, from_addr=sender, to_addrs=[recipient])
        except BaseException:
            self.close()
            raise
        return f"accepted by {self.settings.smtp_host}:{self.settings.smtp_port}"

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        message = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        return f"{exc.smtp_code} {message}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        )
    return f"{type(exc).__name__}: {exc}".strip()


def classify(exc: BaseException) -> tuple[bool, str]:
    """(permanent?, description). Only a 5xx about this message itself is permanent; a server that is
    down, refuses our sender address or our login is a problem of the service, so the message waits."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes), _describe(exc)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600, _describe(exc)
    if isinstance(exc, UnicodeError):
        return True, _describe(exc)
    return False, str(exc) if isinstance(exc, SmtpUnavailable) else _describe(exc)


@dataclass(frozen=True)
class Claim:
    message_id: int
    attempt: int
    key: str
    mime: EmailMessage | None  # e-mail
    sender: str
    recipient: str
    channel: str = "email"
    body: str | None = None  # chat: the JSON body, fixed when queued
    destination: str | None = None  # chat: the encrypted URL and secret


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.deferred + self.failed


def due_message_ids(
    session: Session, now: dt.datetime, limit: int, only: Collection[int] | None = None
) -> list[int]:
    """Queued messages whose time has come, and ``sending`` ones whose claim has expired; oldest first."""
    stmt = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING)),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if only is not None:
        stmt = stmt.where(OutboxMessage.id.in_(list(only)))
    return list(session.scalars(stmt))


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def claim(
    session: Session, message_id: int, settings: Settings, *, now: dt.datetime, policy: DeliveryPolicy
) -> Claim | None:
    """Take one due message for this sender (compare-and-set on status and attempts); None if not ours."""
    row = session.execute(
        select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.next_attempt_at).where(
            OutboxMessage.id == message_id
        )
    ).one_or_none()
    if (
        row is None
        or row.status not in (OutboxStatus.QUEUED, OutboxStatus.SENDING)
        or row.next_attempt_at > now
    ):
        return None
    attempt = row.attempts + 1
    taken = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == row.status,
            OutboxMessage.attempts == row.attempts,
        )
        .values(status=OutboxStatus.SENDING, attempts=attempt, next_attempt_at=now + policy.claim_ttl)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(taken) != 1:
        return None
    if row.status == OutboxStatus.SENDING:
        session.add(
            DeliveryLog(
                message_id=message_id,
                at=now,
                outcome=DeliveryOutcome.INTERRUPTED,
                detail=f"attempt {row.attempts} did not finish (its claim expired); its outcome is unknown, "
                "so the message is sent again with the same Message-ID",
            )
        )
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    if message.channel != "email":
        return Claim(
            message_id,
            attempt,
            message.message_key,
            None,
            "",
            message.to_addr,
            message.channel,
            message.body_text,
            message.destination,
        )
    return Claim(
        message_id,
        attempt,
        message.message_key,
        to_mime(message),
        envelope_sender(message, settings),
        message.to_addr,
    )


def renew(session: Session, claimed: Claim, *, now: dt.datetime, policy: DeliveryPolicy) -> bool:
    """Extend this sender's claim to ``now`` + claim_ttl; False if the claim is no longer ours."""
    kept = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == claimed.message_id,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.attempts == claimed.attempt,
        )
        .values(next_attempt_at=now + policy.claim_ttl)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(kept) == 1


class ClaimKeeper:
    """Renews a claim every ``policy.heartbeat`` from its own thread while the ``with`` block delivers.

    Each renewal is its own transaction from ``unit()`` (which must work from another thread: a session
    factory, not a shared session). A renewal that fails (database unreachable) is tried again at the
    next beat; one that finds the claim taken stops the beats and is logged.
    """

    def __init__(self, unit: UnitOfWork, claimed: Claim, *, clock: Clock, policy: DeliveryPolicy) -> None:
        self.unit, self.claimed, self.clock, self.policy = unit, claimed, clock, policy
        self.renewals = 0
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"claim-{claimed.message_id}", daemon=True)

    def __enter__(self) -> ClaimKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()  # at most one renewal in flight: the outcome is recorded after it

    def _beat(self) -> None:
        interval = self.policy.heartbeat.total_seconds()
        while not self._stop.wait(interval):
            try:
                with self.unit() as session:
                    kept = renew(session, self.claimed, now=self.clock(), policy=self.policy)
            except Exception:
                log.warning(
                    "message %s: claim not renewed, trying again", self.claimed.message_id, exc_info=True
                )
                continue
            if not kept:
                self.lost = True
                log.warning(
                    "message %s (%s): claim of attempt %s was taken by another sender",
                    self.claimed.message_id,
                    self.claimed.key,
                    self.claimed.attempt,
                )
                return
            self.renewals += 1


def record_sent(
    session: Session, claimed: Claim, *, now: dt.datetime, detail: str, code: str | None = None
) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claimed.message_id, OutboxMessage.status != OutboxStatus.SENT)
        .values(status=OutboxStatus.SENT, sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    session.add(
        DeliveryLog(
            message_id=claimed.message_id,
            at=now,
            outcome=DeliveryOutcome.SENT,
            detail=f"attempt {claimed.attempt}: {detail}",
            code=code,
        )
    )


def record_failure(
    session: Session,
    claimed: Claim,
    *,
    now: dt.datetime,
    error: str,
    permanent: bool,
    policy: DeliveryPolicy,
    code: str | None = None,
) -> DeliveryOutcome:
    """Put the message back in the queue after its back-off, or give up on it; returns the outcome."""
    give_up = permanent or claimed.attempt >= policy.max_attempts
    if give_up:
        values: dict[str, Any] = {"status": OutboxStatus.FAILED, "last_error": error}
        detail = f"attempt {claimed.attempt}: {error}; " + (
            "permanent error, not retried" if permanent else f"gave up after {claimed.attempt} attempts"
        )
    else:
        when = now + backoff(claimed.attempt, policy)
        values = {"status": OutboxStatus.QUEUED, "next_attempt_at": when, "last_error": error}
        detail = f"attempt {claimed.attempt}: {error}; next attempt at {when.isoformat()}"
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == claimed.message_id,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.attempts == claimed.attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    outcome = DeliveryOutcome.FAILED if give_up else DeliveryOutcome.DEFERRED
    session.add(DeliveryLog(message_id=claimed.message_id, at=now, outcome=outcome, detail=detail, code=code))
    return outcome


def deliver_due(
    unit: UnitOfWork,
    transport: SmtpTransport,
    settings: Settings,
    *,
    clock: Clock,
    policy: DeliveryPolicy = DeliveryPolicy(),
    only: Collection[int] | None = None,
    chat: ChatTransport | None = None,
) -> DeliveryReport:
    """Deliver one batch of due messages (e-mail by SMTP, chat messages by ``chat``, made here when not
    given). ``unit()`` opens one committed transaction.

    Once the SMTP server, or a chat host, proves unreachable in a batch, the remaining messages for it
    are not tried again (each still records a deferred attempt with its back-off), so an outage costs
    one connect timeout.
    """
    from service.notify.chat_sender import ChatError, ChatTransport

    report = DeliveryReport()
    with unit() as session:
        ids = due_message_ids(session, clock(), policy.batch_size, only)
    unreachable: str | None = None
    chat_down: dict[str, ChatError] = {}  # by destination: a host that did not answer in this batch
    own_chat = chat is None
    chat = chat or ChatTransport(settings)
    try:
        for message_id in ids:
            with unit() as session:
                claimed = claim(session, message_id, settings, now=clock(), policy=policy)
            if claimed is None:
                report.skipped += 1
                continue
            code: str | None = None
            try:
                if claimed.channel != "email":
                    down = chat_down.get(claimed.destination or "")
                    if down is not None:
                        raise ChatError(f"not tried: {down}", permanent=False, zh=down.zh, unreachable=True)
                    try:
                        with ClaimKeeper(unit, claimed, clock=clock, policy=policy):
                            result = chat.send(
                                claimed.channel, claimed.destination, claimed.body or "", claimed.key
                            )
                    except ChatError as exc:
                        if exc.unreachable:
                            chat_down[claimed.destination or ""] = exc
                        raise
                    detail, code = result.detail, result.code
                else:
                    if unreachable is not None:
                        raise SmtpUnavailable(f"not tried: {unreachable}")
                    assert claimed.mime is not None
                    with ClaimKeeper(unit, claimed, clock=clock, policy=policy):
                        detail = transport.send(claimed.mime, claimed.sender, claimed.recipient)
            except Exception as exc:
                if isinstance(exc, ChatError):
                    permanent, error, code = exc.permanent, str(exc), exc.code
                else:
                    permanent, error = classify(exc)
                if isinstance(exc, SmtpUnavailable) and unreachable is None:
                    unreachable = error
                with unit() as session:
                    outcome = record_failure(
                        session,
                        claimed,
                        now=clock(),
                        error=error,
                        permanent=permanent,
                        policy=policy,
                        code=code,
                    )
                log.warning("message %s (%s) %s: %s", message_id, claimed.key, outcome, error)
                if outcome == DeliveryOutcome.FAILED:
                    report.failed += 1
                else:
                    report.deferred += 1
            else:
                with unit() as session:
                    record_sent(session, claimed, now=clock(), detail=detail, code=code)
                report.sent += 1
    finally:
        if own_chat:
            chat.close()
    return report


def drain(
    unit: UnitOfWork,
    transport: SmtpTransport,
    settings: Settings,
    *,
    clock: Clock,
    policy: DeliveryPolicy = DeliveryPolicy(),
    only: Collection[int] | None = None,
) -> DeliveryReport:
    """Deliver batches until nothing is due (failed messages wait for their back-off, so this ends)."""
    total = DeliveryReport()
    while True:
        batch = deliver_due(unit, transport, settings, clock=clock, policy=policy, only=only)
        total.sent += batch.sent
        total.deferred += batch.deferred
        total.failed += batch.failed
        total.skipped += batch.skipped
        if batch.attempted == 0 or batch.deferred:
            return total
