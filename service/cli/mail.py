"""`yrdmon subscriptions add|list|remove` and `yrdmon email test|send`."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

import typer

from service.db.models import OutboxStatus, WritePath

subscriptions_app = typer.Typer(help="Progress digest subscriptions", no_args_is_help=True)
email_app = typer.Typer(help="E-mail: send a test message, deliver the outbox now", no_args_is_help=True)


class Cadence(StrEnum):
    after_run = "after_run"
    weekly = "weekly"
    monthly = "monthly"


class Language(StrEnum):
    zh = "zh"
    en = "en"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@subscriptions_app.command("add")
def subscriptions_add(
    email: Annotated[str, typer.Argument(help="the address the digests go to")],
    plan: Annotated[list[str] | None, typer.Option(help="plan code (repeatable; none: every plan)")] = None,
    region: Annotated[list[str] | None, typer.Option(help="region code or name (repeatable)")] = None,
    indicator: Annotated[list[str] | None, typer.Option(help="indicator code (repeatable)")] = None,
    cadence: Annotated[Cadence, typer.Option(help="after_run, weekly or monthly")] = Cadence.after_run,
    language: Annotated[Language, typer.Option(help="zh or en")] = Language.zh,
    user: Annotated[str | None, typer.Option(help="the user account it belongs to")] = None,
) -> None:
    """Subscribe an address to progress digests."""
    from service import cli
    from service.db.session import make_sessionmaker, transaction
    from service.domain.errors import DomainError
    from service.notify.subscriptions import SubscriptionRequest, create_subscription, unsubscribe_url

    settings = cli.load_settings()
    engine = cli.open_database(settings)
    req = SubscriptionRequest(email=email, plan_codes=plan or [], region_codes=region or [],
                              indicator_codes=indicator or [], cadence=cadence.value, language=language.value,
                              username=user)  # fmt: skip
    try:
        with transaction(make_sessionmaker(engine)) as session:
            sub = create_subscription(session, None, req, now=_now(), path=WritePath.CLI)
            link = unsubscribe_url(settings, sub)
    except DomainError as exc:
        cli.fail(exc.en)
    finally:
        engine.dispose()
    typer.echo(f"subscription {sub.id}: {sub.email}, {sub.cadence}, {sub.language}")
    typer.echo(f"unsubscribe link: {link}")


@subscriptions_app.command("list")
def subscriptions_list(
    email: Annotated[str | None, typer.Option(help="only this address")] = None,
) -> None:
    """List subscriptions (id, address, cadence, language, scope, state)."""
    from service import cli
    from service.db.session import make_sessionmaker, transaction
    from service.notify.subscriptions import visible_subscriptions

    settings = cli.load_settings()
    engine = cli.open_database(settings)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            items, total = visible_subscriptions(session, None, email=email, limit=100_000)
    finally:
        engine.dispose()
    for s in items:
        scope = " ".join(
            f"{name}={','.join(codes)}"
            for name, codes in (
                ("plan", s.plan_codes),
                ("region", s.region_codes),
                ("indicator", s.indicator_codes),
            )
            if codes
        )
        state = "active" if s.active else "unsubscribed"
        last = s.last_sent_at.isoformat(timespec="minutes") if s.last_sent_at else "never"
        typer.echo(
            f"{s.id}\t{s.email}\t{s.cadence}\t{s.language}\t{state}\tlast {last}\t{scope or 'everything'}"
        )
    typer.echo(f"{total} subscription(s)", err=True)


@subscriptions_app.command("remove")
def subscriptions_remove(sub_id: Annotated[int, typer.Argument(help="subscription id")]) -> None:
    """Delete a subscription (its digests not yet sent are cancelled)."""
    from service import cli
    from service.db.session import make_sessionmaker, transaction
    from service.domain.errors import DomainError
    from service.notify.subscriptions import delete_subscription

    settings = cli.load_settings()
    engine = cli.open_database(settings)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            delete_subscription(session, None, sub_id, now=_now(), path=WritePath.CLI)
    except DomainError as exc:
        cli.fail(exc.en)
    finally:
        engine.dispose()
    typer.echo(f"removed subscription {sub_id}")


@email_app.command("test")
def email_test(address: Annotated[str, typer.Argument(help="where to send the test message")]) -> None:
    """Send a test message now through the configured SMTP server (recorded in the outbox and its log)."""
    from service import cli
    from service.db.models import OutboxMessage
    from service.db.session import make_sessionmaker, transaction
    from service.domain.errors import DomainError
    from service.notify.outbox import enqueue
    from service.notify.sender import DeliveryPolicy, SmtpTransport, deliver_due
    from service.notify.subscriptions import normalise_email

    settings = cli.load_settings()
    engine = cli.open_database(settings)
    sessions = make_sessionmaker(engine)
    now = _now()
    try:
        to = normalise_email(address)
    except DomainError as exc:
        cli.fail(exc.en)
    smtp = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    text = (
        "这是规划目标监测系统的测试邮件。收到此邮件说明发信设置正确。\n"
        "This is a test message from the plan-target monitoring service: its mail settings work.\n\n"
        f"SMTP: {smtp}\nFrom: {settings.mail_from}\n{now.isoformat(timespec='seconds')}\n"
    )
    try:
        with transaction(sessions) as session:
            message = enqueue(session, key=f"test:{uuid.uuid4().hex}", to=to, settings=settings, now=now, html=None,
                              subject="【规划目标监测】测试邮件 / test message", text=text)  # fmt: skip
            assert message is not None
            message_id = message.id
        transport = SmtpTransport(settings)
        try:
            # one attempt: a test that fails should say why now, not be retried later
            deliver_due(lambda: transaction(sessions), transport, settings, clock=_now,
                        policy=DeliveryPolicy(max_attempts=1), only=[message_id])  # fmt: skip
        finally:
            transport.close()
        with transaction(sessions) as session:
            sent = session.get(OutboxMessage, message_id)
            assert sent is not None
            status, error = sent.status, sent.last_error
    finally:
        engine.dispose()
    if status != OutboxStatus.SENT:
        cli.fail(f"test message to {to} not sent via {smtp}: {error}")
    typer.echo(f"test message sent to {to} via {smtp}")


@email_app.command("send")
def email_send(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="messages per batch")] = 100,
) -> None:
    """Deliver every due message in the outbox now (the scheduler also does this every few seconds)."""
    from service import cli
    from service.db.session import make_sessionmaker, transaction
    from service.notify.sender import DeliveryPolicy, SmtpTransport, drain

    settings = cli.load_settings()
    engine = cli.open_database(settings)
    sessions = make_sessionmaker(engine)
    transport = SmtpTransport(settings)
    try:
        report = drain(lambda: transaction(sessions), transport, settings, clock=_now,
                       policy=DeliveryPolicy(batch_size=batch))  # fmt: skip
    finally:
        transport.close()
        engine.dispose()
    typer.echo(f"sent {report.sent}, deferred {report.deferred}, failed {report.failed}")
