"""`yrdmon users ...` through typer's CliRunner on its own migrated database, checked against the real app:
password, role and active changes end web sessions, disabled users' and revoked tokens fail, each change is
audited, and unknown names exit non-zero with a message in both languages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from service.cli.main import app as yrdmon
from service.config import Settings
from service.db.models import AuditEntry, User
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.catalog import system_user
from service.main import create_app
from service.web.session import COOKIE
from tests.support.databases import PreparedDatabases
from tests.support.factories import CATALOGUED

GDP = {"indicator": "gdp", "region": "嘉善县", "period": 2024, "value": "880.5", "unit": "亿元"}


@pytest.fixture(scope="module")
def cli_engine(prepared: PreparedDatabases, db_kind: str) -> Iterator[Engine]:
    eng = make_engine(prepared.catalogued(db_kind))
    with transaction(make_sessionmaker(eng)) as session:
        system_user(session, CATALOGUED)  # as `yrdmon init` creates it
    yield eng
    eng.dispose()


@pytest.fixture
def users(cli_engine: Engine):  # type: ignore[no-untyped-def]
    url = cli_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(yrdmon, ["users", *args], input=input, env={"YRDMON_DATABASE_URL": url})
        if ok:
            assert result.exit_code == 0, (args, result.output)
        return result

    return invoke


@pytest.fixture
def web(cli_engine: Engine) -> Iterator[TestClient]:
    settings = Settings(database_url=cli_engine.url.render_as_string(hide_password=False))
    with TestClient(create_app(settings, start_scheduler=False)) as c:
        yield c


def listed(users, name: str) -> dict:  # type: ignore[no-untyped-def]
    return next(u for u in json.loads(users("list", "--format", "json").stdout) if u["username"] == name)


def log_in(web: TestClient, name: str, password: str) -> str:
    web.cookies.clear()
    response = web.post("/login", data={"username": name, "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(web.cookies.get(COOKIE))


def logged_in(web: TestClient, cookie: str) -> bool:
    web.cookies.clear()
    web.cookies.set(COOKIE, cookie)
    return web.get("/entry", follow_redirects=False).status_code == 200


def test_users_commands_change_accounts_and_end_sessions(users, web: TestClient, cli_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    out = users("add", "js", "--role", "editor", "--region", "330421", "--password", input="pw-123456\n" * 2)
    token = out.stdout.strip().split()[-1]
    api = {"Authorization": f"Bearer {token}"}

    assert listed(users, "js") == {
        "username": "js",
        "role": "editor",
        "regions": ["330421"],
        "active": True,
        "last_login": None,
    }
    cookie = log_in(web, "js", "pw-123456")
    table = users("list").stdout.splitlines()
    assert table[0].split() == ["username", "role", "regions", "active", "last_login"]
    row = next(line.split() for line in table if line.startswith("js "))
    assert row[:4] == ["js", "editor", "330421", "yes"] and row[4].startswith(str(dt.date.today().year))

    # A new password (from stdin) ends the session; the new one logs in, the old one does not.
    assert (
        "1 web session(s) ended"
        in users("set-password", "js", "--password-stdin", input="new-pass-1\n").stdout
    )
    assert not logged_in(web, cookie)
    assert web.post("/login", data={"username": "js", "password": "pw-123456"}).status_code == 401
    cookie = log_in(web, "js", "new-pass-1")

    # A role change ends the session too; regions are kept unless given.
    assert "js is now viewer for 330421" in users("set-role", "js", "--role", "viewer").stdout
    assert not logged_in(web, cookie)
    users("set-role", "js", "--role", "editor", "--region", "330421", "--region", "310118")
    assert listed(users, "js")["regions"] == ["310118", "330421"]
    cookie = log_in(web, "js", "new-pass-1")

    # Disabling ends the session and refuses the API token; enabling lets the token work again.
    assert web.post("/api/v1/observations", json=GDP, headers=api).status_code == 201
    users("disable", "js")
    assert not logged_in(web, cookie)
    assert web.post("/api/v1/observations", json=GDP, headers=api).status_code == 401
    assert web.post("/login", data={"username": "js", "password": "new-pass-1"}).status_code == 401
    assert listed(users, "js")["active"] is False
    users("enable", "js")
    revised = web.post(
        "/api/v1/observations", json={**GDP, "value": "881", "revision_reason": "x"}, headers=api
    )
    assert revised.status_code == 200

    # Tokens: listed by prefix, issued, revoked one by one or all together.
    second = users("issue-token", "js", "--name", "etl").stdout.strip().split()[-1]
    tokens = json.loads(users("tokens", "js", "--format", "json").stdout)
    assert [t["prefix"] for t in tokens] == [token[:10], second[:10]] and tokens[1]["name"] == "etl"
    assert token not in users("tokens", "js").stdout
    assert f"token {token[:10]} of js revoked" in users("revoke-token", token[:10]).stdout
    assert web.post("/api/v1/observations", json=GDP, headers=api).status_code == 401
    assert web.get("/api/v1/audit", headers={"Authorization": f"Bearer {second}"}).status_code != 401
    assert "1 token(s) of js revoked" in users("revoke-tokens", "js").stdout
    assert web.get("/api/v1/audit", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert json.loads(users("tokens", "js", "-f", "json").stdout)[1]["revoked"] is not None

    with cli_engine.connect() as conn:
        user_id = conn.scalar(select(User.id).where(User.username == "js"))
        actions = conn.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "user", AuditEntry.entity_id == str(user_id))
            .order_by(AuditEntry.id)
        ).all()
        password_audit = conn.scalar(select(AuditEntry.after).where(AuditEntry.action == "set_password"))
    assert actions == ["create", "issue_token", "set_password", "set_role", "set_role", "disable", "enable",
                       "issue_token", "revoke_token", "revoke_tokens"]  # fmt: skip
    assert "new-pass-1" not in json.dumps(password_audit) and "hash" not in json.dumps(password_audit)


@pytest.mark.parametrize(
    "args",
    [
        ["set-password", "nobody", "--password-stdin"], ["set-role", "nobody", "--role", "viewer"],
        ["disable", "nobody"], ["enable", "nobody"], ["tokens", "nobody"], ["revoke-tokens", "nobody"],
        ["issue-token", "nobody"],
    ],
)  # fmt: skip
def test_unknown_names_exit_non_zero_in_both_languages(users, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = users(*args, input="whatever\n", ok=False)
    assert result.exit_code == 2
    assert "没有名为 nobody 的用户" in result.stderr and "unknown user 'nobody'" in result.stderr


def test_bad_requests_are_refused(users) -> None:  # type: ignore[no-untyped-def]
    unknown_token = users("revoke-token", "yrd_nope00", ok=False)
    assert unknown_token.exit_code == 2 and "no live token" in unknown_token.stderr
    users("add", "solo", "--role", "viewer")
    no_region = users("set-role", "solo", "--role", "editor", ok=False)
    assert no_region.exit_code == 2 and "至少一个地区" in no_region.stderr and "region" in no_region.stderr
    empty = users("set-password", "solo", "--password-stdin", input="\n", ok=False)
    assert empty.exit_code == 2 and "empty" in empty.stderr
    system = users("enable", "catalog", ok=False)
    assert system.exit_code == 2 and "system account" in system.stderr
