"""What the notification tests share: the app with e-mail settings, delivering the outbox on the test's
session, a subscriber with an address, the parts of a message, reminder times and the outbox by key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from email.message import EmailMessage

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import OutboxMessage, User
from service.notify.sender import SmtpTransport, deliver_due
from tests.support.factories import create_user
from tests.support.web import client_for as app_client_for

BASE = "https://yrdmon.test"
DELIVERED_AT = dt.datetime(2026, 9, 2, tzinfo=dt.UTC)  # the digest tests' last change (T3) and a day


def settings_for(db_url: str, port: int = 1) -> Settings:
    return Settings(
        database_url=db_url,
        secret_key="digest-test-key",
        base_url=BASE,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="规划目标监测 <yrdmon@yrdmon.test>",
    )


def client_for(session: Session, db_url: str) -> AbstractContextManager[TestClient]:
    """The real app on the test's session, with the notification tests' e-mail settings."""
    return app_client_for(session, settings_for(db_url))


@contextmanager
def unit(session: Session) -> Iterator[Session]:
    """The sender's transactions, as savepoints of the test's rolled-back transaction."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def deliver(session: Session, settings: Settings) -> None:
    transport = SmtpTransport(settings, timeout=5)
    try:
        deliver_due(lambda: unit(session), transport, settings, clock=lambda: DELIVERED_AT)
    finally:
        transport.close()


def person(
    session: Session, username: str, role: str, address: str, regions: tuple[str, ...] = ()
) -> tuple[User, dict[str, str]]:
    user, headers = create_user(session, username=username, role=role, regions=regions)
    user.email = address
    session.commit()
    return user, headers


def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def at_nine(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 1, tzinfo=dt.UTC)  # 09:00 in China


def outbox(session: Session) -> dict[str, OutboxMessage]:
    return {m.message_key: m for m in session.scalars(select(OutboxMessage))}
