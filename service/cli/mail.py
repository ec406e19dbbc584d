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


class Channel(StrEnum):
    email = "email"
    wecom = "wecom"
    dingtalk = "dingtalk"
    webhook = "webhook"


@subscriptions_app.command("add")
def subscriptions_add(
    email: Annotated[
        str | None, typer.Argument(help="the address the digests go to (e-mail channel)")
    ] = None,
    plan: Annotated[list[str] | None, typer.Option(help="plan code (repeatable; none: every plan)")] = None,
    region: Annotated[list[str] | None, typer.Option(help="region code or name (repeatable)")] = None,
    indicator: Annotated[list[str] | None, typer.Option(help="indicator code (repeatable)")] = None,
    cadence: Annotated[Cadence, typer.Option(help="after_run, weekly or monthly")] = Cadence.after_run,
    language: Annotated[Language, typer.Option(help="zh or en")] = Language.zh,
    user: Annotated[str | None, typer.Option(help="the user account it belongs to")] = None,
    channel: Annotated[
        Channel, typer.Option(help="email, wecom (企业微信 robot), dingtalk (钉钉 robot) or webhook")
    ] = Channel.email,
    url_env: Annotated[
        str | None,
        typer.Option(help="chat channel: read its URL from this environment variable (else it is asked for)"),
    ] = None,
    secret_env: Annotated[
        str | None,
        typer.Option(
            help="钉钉 加签 / webhook secret: read it from this environment variable (else asked for)"
        ),
    ] = None,
) -> None:
    """Subscribe an address, or a chat channel, to progress digests.

    A chat channel's URL and secret are asked for without echo (or read from the environment variables
    named), never taken as arguments: arguments stay in the shell's history and the process list."""
    import os

    from service import cli
    from service.db.session import make_sessionmaker, transaction
    from service.domain.errors import DomainError
    from service.notify.subscriptions import SubscriptionRequest, create_subscription, unsubscribe_url

    url = secret = None
    if channel is not Channel.email:
        url = os.environ.get(url_env, "") if url_env else typer.prompt("robot / webhook URL", hide_input=True)
        if channel is not Channel.wecom:
            secret = (
                os.environ.get(secret_env, "")
                if secret_env
                else typer.prompt(
                    "signing secret (empty: none)", default="", hide_input=True, show_default=False
                )
            )
    settings = cli.load_settings()
    engine = cli.open_database(settings)
    req = SubscriptionRequest(
        email=email,
        plan_codes=plan or [],
        region_codes=region or [],
        indicator_codes=indicator or [],
        cadence=cadence.value,
        language=language.value,
        username=user,
        channel=channel.value,
        url=url,
        secret=secret,
    )
    try:
        with transaction(make_sessionmaker(engine)) as session:
            sub = create_subscription(session, None, req, now=_now(), path=WritePath.CLI, settings=settings)
            link = unsubscribe_url(settings, sub)
            shown = sub.email or f"{sub.channel} {sub.channel_label}"
    except DomainError as exc:
        cli.fail((exc.zh, exc.en))
    finally:
        engine.dispose()
    cli.say("subscription_made", id=sub.id, email=shown, cadence=sub.cadence, language=sub.language)
    if sub.email:
        cli.say("unsubscribe_link", link=link)


@subscriptions_app.command("test")
def subscriptions_test(sub_id: Annotated[int, typer.Argument(help="subscription id")]) -> None:
    """Send a test message to a subscription's channel now and say what the platform answered."""
    from service import cli
    from service.db.session import make_sessionmaker, transaction
    from service.domain.errors import DomainError
    from service.notify.probe import send_test_message

    settings = cli.load_settings()
    engine = cli.open_database(settings)
    sessions = make_sessionmaker(engine)
    try:
        outcome = send_test_message(lambda: transaction(sessions), None, sub_id, settings, now=_now())
    except DomainError as exc:
        cli.fail((exc.zh, exc.en))
    finally:
        engine.dispose()
    if not outcome.delivered:
        cli.fail_key(
            "test_message_failed", id=sub_id, answer=outcome.en if cli.lang() == "en" else outcome.zh
        )
    cli.say("test_message_sent", id=sub_id, answer=outcome.en if cli.lang() == "en" else outcome.zh)


@subscriptions_app.command("list")
def subscriptions_list(
    email: Annotated[str | None, typer.Option(help="only this address")] = None,
) -> None:
    """List subscriptions (id, address, cadence, language, scope, state)."""
    from service import cli
    from service.db.session import make_sessionmaker, transaction
    from service.notify.subscriptions import visible_to

    settings = cli.load_settings()
    engine = cli.open_database(settings)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            items = list(session.scalars(visible_to(None, email=email)))
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
        where = s.email or f"{s.channel} {s.channel_label}"
        typer.echo(
            f"{s.id}\t{where}\t{s.cadence}\t{s.language}\t{state}\tlast {last}\t{scope or 'everything'}"
        )
    cli.say("subscriptions_n", n=len(items), err=True)


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
        cli.fail((exc.zh, exc.en))
    finally:
        engine.dispose()
    cli.say("subscription_removed", id=sub_id)


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
        cli.fail((exc.zh, exc.en))
    smtp = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_security})"
    text = (
        "这是规划目标监测系统的测试邮件。收到此邮件说明发信设置正确。\n"
        "This is a test message from the plan-target monitoring service: its mail settings work.\n\n"
        f"SMTP: {smtp}\nFrom: {settings.mail_from}\n{now.isoformat(timespec='seconds')}\n"
    )
    try:
        with transaction(sessions) as session:
            message = enqueue(
                session,
                key=f"test:{uuid.uuid4().hex}",
                to=to,
                settings=settings,
                now=now,
                html=None,
                subject="【规划目标监测】测试邮件 / test message",
                text=text,
            )
            assert message is not None
            message_id = message.id
        transport = SmtpTransport(settings)
        try:
            # one attempt: a test that fails should say why now, not be retried later
            deliver_due(
                lambda: transaction(sessions),
                transport,
                settings,
                clock=_now,
                policy=DeliveryPolicy(max_attempts=1),
                only=[message_id],
            )
        finally:
            transport.close()
        with transaction(sessions) as session:
            sent = session.get(OutboxMessage, message_id)
            assert sent is not None
            status, error = sent.status, sent.last_error
    finally:
        engine.dispose()
    if status != OutboxStatus.SENT:
        cli.fail_key("test_not_sent", to=to, smtp=smtp, error=error)
    cli.say("test_sent", to=to, smtp=smtp)


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
        report = drain(
            lambda: transaction(sessions),
            transport,
            settings,
            clock=_now,
            policy=DeliveryPolicy(batch_size=batch),
        )
    finally:
        transport.close()
        engine.dispose()
    cli.say("mail_sent", sent=report.sent, deferred=report.deferred, failed=report.failed)
