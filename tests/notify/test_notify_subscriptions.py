"""Managing subscriptions: the API's ownership rules and validation, and the command line
(`yrdmon subscriptions add|list|remove`, `yrdmon email test`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from service.cli.main import app as cli_app
from service.db.models import AuditEntry, DeliveryLog, OutboxMessage, Subscription
from service.db.session import make_engine, make_sessionmaker
from service.notify.outbox import enqueue
from tests.support.factories import create_user
from tests.support.notify import client_for, person, settings_for
from tests.support.pgcluster import free_port
from tests.support.smtp import Inbox, smtp_server


@pytest.fixture
def app_client(session: Session, db_url: str) -> Iterator[TestClient]:
    with client_for(session, db_url) as c:
        yield c


def test_people_manage_their_own_subscriptions_and_administrators_anyones(
    session: Session, app_client: TestClient, db_url: str
) -> None:
    post = lambda headers, **body: app_client.post("/api/v1/subscriptions", json=body, headers=headers)  # noqa: E731
    assert app_client.get("/api/v1/subscriptions").status_code == 401
    _, no_address = create_user(session, username="noaddress", role="viewer", regions=())
    assert post(no_address).status_code == 422
    owner, mine = person(session, "owner", "viewer", "Owner@Example.org")
    other, theirs = person(session, "other", "editor", "other@example.org", ("330421",))
    _, admin = person(session, "admin", "admin", "admin@example.org")
    assert post(mine, email="someone.else@example.org").status_code == 403
    created = post(
        mine, plan_codes=["hangzhou-yrd-action-2019"], indicator_codes=["研究与试验发展经费投入强度"]
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["email"] == "Owner@example.org" and sub["user_id"] == owner.id and sub["active"]
    assert sub["indicator_codes"] == ["rd_intensity"] and sub["cadence"] == "after_run"
    duplicate = post(mine, plan_codes=["hangzhou-yrd-action-2019"], indicator_codes=["rd_intensity"])
    assert duplicate.status_code == 409 and duplicate.headers["content-type"] == "application/problem+json"
    bad = post(mine, plan_codes=["no-such-plan"], region_codes=["火星"], cadence="after_run")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"plan_codes", "region_codes"}
    assert "no-such-plan" in bad.json()["detail_en"] and "火星" in bad.json()["detail_zh"]
    assert post(mine, cadence="daily").status_code == 422
    assert post(mine, user="other").status_code == 403  # only administrators act for others
    # others see neither the list entry nor the subscription itself
    assert app_client.get("/api/v1/subscriptions", headers=theirs).json()["total"] == 0
    assert app_client.get(f"/api/v1/subscriptions/{sub['id']}", headers=theirs).status_code == 403
    assert app_client.delete(f"/api/v1/subscriptions/{sub['id']}", headers=theirs).status_code == 403
    # administrators: for a user (their address), for any address, and see everything
    for_other = post(admin, user="other", cadence="monthly")
    assert for_other.status_code == 201 and for_other.json()["email"] == "other@example.org"
    assert for_other.json()["user_id"] == other.id
    external = post(admin, email="leader@gov.example.cn", region_codes=["Z-DEMO"])
    assert external.status_code == 201 and external.json()["user_id"] is None
    listing = app_client.get("/api/v1/subscriptions", headers=admin).json()
    assert listing["total"] == 3 and listing["limit"] == 100 and listing["offset"] == 0
    ids = [s["id"] for s in listing["items"]]
    assert ids == sorted(ids) and len(ids) == 3  # oldest first, the whole list on the default page
    later = app_client.get("/api/v1/subscriptions", params={"limit": 1, "offset": 1}, headers=admin).json()
    assert ([s["id"] for s in later["items"]], later["total"], later["limit"]) == (ids[1:2], 3, 1)
    filtered = app_client.get(
        "/api/v1/subscriptions", params={"email": "LEADER@gov.example.cn"}, headers=admin
    )
    assert [s["id"] for s in filtered.json()["items"]] == [external.json()["id"]]
    assert [s["id"] for s in app_client.get("/api/v1/subscriptions", headers=theirs).json()["items"]] == [
        for_other.json()["id"]
    ]
    # deleting cancels what was queued and not yet sent
    row = session.get(Subscription, sub["id"])
    assert row is not None and row.email is not None
    message = enqueue(
        session,
        key=f"digest:{row.id}:run:0",
        to=row.email,
        subject="s",
        text="t",
        html=None,
        settings=settings_for(db_url),
        now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
        subscription_id=row.id,
    )
    assert message is not None
    session.commit()
    assert app_client.delete(f"/api/v1/subscriptions/{sub['id']}", headers=mine).status_code == 204
    assert app_client.get(f"/api/v1/subscriptions/{sub['id']}", headers=mine).status_code == 404
    session.expire_all()
    cancelled = session.get(OutboxMessage, message.id)
    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.subscription_id is None
    assert [
        e.outcome for e in session.scalars(select(DeliveryLog).where(DeliveryLog.message_id == message.id))
    ] == ["cancelled"]
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity_type == "subscription", AuditEntry.entity_id == str(sub["id"])
        )
    ).all()
    assert sorted(actions) == ["delete", "subscribe"]


def test_the_command_line_adds_lists_and_removes_subscriptions(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli_app,
        [
            "subscriptions",
            "add",
            "office@example.gov.cn",
            "--plan",
            "yrd-outline-2019",
            "--region",
            "嘉善县",
            "--cadence",
            "weekly",
            "--language",
            "en",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "subscription 1: office@example.gov.cn, weekly, en" in added.output
    assert "unsubscribe link: https://yrdmon.test/api/v1/unsubscribe/1." in added.output
    unknown = runner.invoke(cli_app, ["subscriptions", "add", "x@example.org", "--plan", "no-such-plan"])
    assert unknown.exit_code == 2 and "unknown code 'no-such-plan'" in unknown.output
    listed = runner.invoke(cli_app, ["subscriptions", "list"])
    assert listed.exit_code == 0
    assert (
        "1\toffice@example.gov.cn\tweekly\ten\tactive\tlast never\tplan=yrd-outline-2019 region=330421"
        in (listed.output)
    )
    assert runner.invoke(cli_app, ["subscriptions", "remove", "1"]).exit_code == 0
    assert "office@" not in runner.invoke(cli_app, ["subscriptions", "list"]).output
    missing = runner.invoke(cli_app, ["subscriptions", "remove", "1"])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_email_test_sends_now_or_says_why_not(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    inbox = Inbox()
    with smtp_server(inbox) as port:
        monkeypatch.setenv("YRDMON_SMTP_PORT", str(port))
        ok = runner.invoke(cli_app, ["email", "test", "admin@example.org"])
        assert ok.exit_code == 0, ok.output
        assert f"test message sent to admin@example.org via 127.0.0.1:{port} (none)" in ok.output
    (message,) = inbox.messages
    assert (
        message["Subject"] == "【规划目标监测】测试邮件 / test message"
        and message["To"] == "admin@example.org"
    )
    assert "发信设置正确" in message.get_content()
    down = free_port()
    monkeypatch.setenv("YRDMON_SMTP_PORT", str(down))
    failed = runner.invoke(cli_app, ["email", "test", "admin@example.org"])
    assert failed.exit_code == 2 and "not sent" in failed.output and f"127.0.0.1:{down}" in failed.output
    engine = make_engine(cli_env["YRDMON_DATABASE_URL"])
    with make_sessionmaker(engine)() as s:
        statuses = sorted(m.status for m in s.scalars(select(OutboxMessage)))
        outcomes = sorted(e.outcome for e in s.scalars(select(DeliveryLog)))
    engine.dispose()
    assert statuses == ["failed", "sent"] and outcomes == ["failed", "sent"]
    assert runner.invoke(cli_app, ["email", "test", "not an address"]).exit_code == 2
