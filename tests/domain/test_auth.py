"""Web login and sessions through the real app (issue 13, items 7 and 8): logout and account changes end
sessions server-side, disabled users' tokens fail, failed logins lock, unknown users cost as much as known
ones, old scrypt hashes still work and are upgraded, and the cookie can be marked Secure."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.migrate import alembic_config, upgrade_to_head
from service.db.models import LoginAttempt, Observation, Role, User, WebSession
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain import users
from service.domain.auth import session_user
from service.main import create_app
from service.web.session import COOKIE
from tests.support.factories import NOW
from tests.support.web import client_for

PASSWORD = "pw-123456"


def legacy_scrypt(password: str) -> str:
    """The hash the service stored before argon2id (kept here verbatim to prove old rows still work)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def settings_for(db_url: str, **overrides: object) -> Settings:
    return Settings(database_url=db_url, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def strict(engine: Engine, session: Session, db_url: str) -> Iterator[TestClient]:
    """The app with the default limits: 5 failures per user, 20 per address, in 15 minutes."""
    with client_for(session, settings_for(db_url)) as c:
        yield c


def add_user(session: Session, name: str, role: Role = Role.EDITOR, password: str | None = PASSWORD) -> User:
    user = users.create_user(
        session, username=name, role=role, region_codes=["330421"] if role is Role.EDITOR else [],
        password=password, now=NOW,
    )  # fmt: skip
    session.commit()
    return user


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> tuple[str, str]:
    """Log in; returns (session cookie, CSRF token of the entry form)."""
    response = client.post("/login", data={"username": name, "password": password, "next": "/entry"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    cookie = client.cookies.get(COOKIE)
    assert cookie
    page = client.get("/entry?region=330421&year=2024")
    return cookie, re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def entry_form(csrf: str, value: str = "880.5") -> dict[str, str]:
    return {"csrf": csrf, "region": "330421", "year": "2024", "value_gdp": value, "status": "final"}


def gdp_rows(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(Observation).where(Observation.value == 880.5)) or 0
    )


# --- 7. sessions live on the server -------------------------------------------------------------------


def test_a_captured_cookie_is_refused_after_logout(strict: TestClient, session: Session) -> None:
    add_user(session, "js")
    cookie, csrf = log_in(strict, "js")
    assert strict.post("/logout", follow_redirects=False).status_code == 303
    # The attacker replays the cookie and the form token captured before the logout.
    strict.cookies.set(COOKIE, cookie)
    assert strict.get("/entry", follow_redirects=False).status_code == 303
    replay = strict.post("/entry", data=entry_form(csrf), follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")
    assert gdp_rows(session) == 0
    stored = session.scalar(
        select(WebSession).where(WebSession.token_hash == hashlib.sha256(cookie.encode()).hexdigest())
    )
    assert stored is not None and stored.revoked_at is not None
    assert cookie not in repr(session.execute(select(WebSession.token_hash)).all())  # only its hash is kept


def test_the_csrf_token_belongs_to_one_session(strict: TestClient, session: Session) -> None:
    add_user(session, "js")
    _, first_csrf = log_in(strict, "js")
    strict.post("/logout")
    _, second_csrf = log_in(strict, "js")
    assert first_csrf != second_csrf
    assert strict.post("/entry", data=entry_form(first_csrf)).status_code == 403
    assert strict.post("/entry", data=entry_form(second_csrf)).status_code == 200


@pytest.mark.parametrize("change", ["disable", "password", "role"])
def test_account_changes_end_every_session_of_the_user(
    strict: TestClient, session: Session, change: str
) -> None:
    user = add_user(session, "js")
    cookie, csrf = log_in(strict, "js")
    with TestClient(strict.app) as other_browser:  # a second session of the same user
        log_in(other_browser, "js")
        if change == "disable":
            users.set_active(session, user, False, now=NOW)
        elif change == "password":
            users.set_password(session, user, "a-new-password", now=NOW)
        else:
            users.set_role(session, user, Role.VIEWER, now=NOW)
        session.commit()
        assert other_browser.get("/entry", follow_redirects=False).status_code == 303
    strict.cookies.set(COOKIE, cookie)
    assert strict.post("/entry", data=entry_form(csrf), follow_redirects=False).status_code == 303
    assert gdp_rows(session) == 0


def test_a_disabled_users_api_token_stops_working(strict: TestClient, session: Session) -> None:
    user = add_user(session, "api-user", password=None)
    headers = {"Authorization": f"Bearer {users.issue_token(session, user, now=NOW)}"}
    session.commit()
    body = {"indicator": "gdp", "region": "嘉善县", "period": 2024, "value": "880.5", "unit": "亿元"}
    users.set_active(session, user, False, now=NOW)
    session.commit()
    refused = strict.post("/api/v1/observations", json=body, headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail_en"]
    users.set_active(session, user, True, now=NOW)
    session.commit()
    assert strict.post("/api/v1/observations", json=body, headers=headers).status_code == 201
    users.revoke_tokens(session, user, now=NOW)
    session.commit()
    assert strict.post("/api/v1/observations", json=body, headers=headers).status_code == 401


def test_a_session_expires_on_the_server(strict: TestClient, session: Session) -> None:
    add_user(session, "js")
    cookie, _ = log_in(strict, "js")
    row = session.scalar(
        select(WebSession).where(WebSession.token_hash == hashlib.sha256(cookie.encode()).hexdigest())
    )
    assert row is not None and dt.timedelta(hours=7) < row.expires_at - row.created_at <= dt.timedelta(
        hours=8
    )
    row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.commit()
    assert strict.get("/entry", follow_redirects=False).status_code == 303


# --- 8. login: lockout, timing, hashes, cookie flags ------------------------------------------------------


def test_a_hundred_wrong_passwords_lock_the_account_long_before_the_hundredth(
    strict: TestClient, session: Session
) -> None:
    add_user(session, "target")
    statuses = [
        strict.post("/login", data={"username": "target", "password": f"guess-{i}"}).status_code
        for i in range(100)
    ]
    first_lock = statuses.index(429) + 1
    assert first_lock == 5 and set(statuses[first_lock:]) == {429}
    right = strict.post("/login", data={"username": "target", "password": PASSWORD}, follow_redirects=False)
    assert right.status_code == 429 and COOKIE not in right.cookies
    assert 800 < int(right.headers["retry-after"]) <= 900
    assert "15" in right.text and "锁定" in right.text
    english = strict.post("/login?lang=en", data={"username": "target", "password": PASSWORD})
    assert english.status_code == 429 and "locked" in english.text
    # Refused attempts during the lock are not verified and do not extend it.
    assert (
        session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.outcome == "failed"))
        == 5
    )


def test_the_lock_passes_after_the_window_and_a_success_clears_the_count(
    engine: Engine, session: Session, db_url: str
) -> None:
    add_user(session, "target")
    with client_for(session, settings_for(db_url, login_window_seconds=2)) as c:
        for i in range(5):
            c.post("/login", data={"username": "target", "password": f"guess-{i}"})
        locked = c.post("/login", data={"username": "target", "password": PASSWORD}, follow_redirects=False)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) <= 2
        time.sleep(2.1)
        assert c.post("/login", data={"username": "target", "password": "guess-x"}).status_code == 401
        ok = c.post("/login", data={"username": "target", "password": PASSWORD}, follow_redirects=False)
        assert ok.status_code == 303
        left = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == "target")
        assert session.scalar(left) == 0
        assert session.get(
            User, session.scalar(select(User.id).where(User.username == "target"))
        ).last_login_at  # type: ignore[union-attr]


def test_one_address_trying_many_names_is_limited(strict: TestClient, session: Session) -> None:
    add_user(session, "real")
    statuses = [
        strict.post("/login", data={"username": f"name{i}", "password": "x"}).status_code for i in range(25)
    ]
    assert statuses.index(429) + 1 == 20
    refused = strict.post("/login", data={"username": "real", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 429 and "retry-after" in refused.headers
    # Another address is not affected.
    with TestClient(strict.app, client=("203.0.113.7", 50000)) as elsewhere:
        ok = elsewhere.post("/login", data={"username": "real", "password": PASSWORD}, follow_redirects=False)
        assert ok.status_code == 303


def test_unknown_and_known_users_take_as_long(engine: Engine, session: Session, db_url: str) -> None:
    add_user(session, "known")
    add_user(session, "token-only", password=None)
    roomy = settings_for(db_url, login_max_failures=10_000, login_max_failures_per_address=10_000)
    with client_for(session, roomy) as c:
        c.post("/login", data={"username": "warm-up", "password": "x"})
        times: dict[str, list[float]] = {"known": [], "unknown": [], "token-only": []}
        for i in range(20):
            for name in times:
                start = time.perf_counter()
                response = c.post("/login", data={"username": name if name != "unknown" else f"nobody{i}",
                                                  "password": f"wrong-{i}"})  # fmt: skip
                times[name].append(time.perf_counter() - start)
                assert response.status_code == 401
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    print("login medians (ms):", {k: round(v * 1000, 1) for k, v in medians.items()})
    assert max(medians.values()) < 2 * min(medians.values()), medians


def test_an_old_scrypt_hash_still_verifies_and_is_upgraded(strict: TestClient, session: Session) -> None:
    user = add_user(session, "old-timer", password=None)
    user.password_hash = legacy_scrypt(PASSWORD)
    session.commit()
    assert strict.post("/login", data={"username": "old-timer", "password": "wrong"}).status_code == 401
    assert user.password_hash.startswith("scrypt$")
    log_in(strict, "old-timer")
    session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    strict.post("/logout")
    log_in(strict, "old-timer")


def test_users_and_hashes_survive_the_migration(fresh_db_url: Callable[[], str]) -> None:
    """A database at the revision before this change keeps its users: their scrypt passwords log in. The
    real app (its own transactions, no test session) has committed the new session before the redirect
    leaves, so the browser's next request finds it."""
    url = fresh_db_url()
    eng = make_engine(url)
    try:
        cfg = alembic_config(eng)
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "5667a2280018")
            conn.execute(
                text("INSERT INTO users (username, role, password_hash, is_active, language, created_at) "
                     "VALUES ('veteran', 'admin', :h, true, 'zh', :at)"),
                {"h": legacy_scrypt(PASSWORD), "at": NOW},
            )  # fmt: skip
        with eng.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        app = create_app(settings_for(url), start_scheduler=False)
        sessions_when_sent: list[int | None] = []

        async def watching(scope, receive, send):  # type: ignore[no-untyped-def]
            async def send_and_look(message):  # type: ignore[no-untyped-def]
                if message["type"] == "http.response.start" and scope["path"] == "/login":
                    with eng.connect() as conn:
                        sessions_when_sent.append(conn.scalar(select(func.count()).select_from(WebSession)))
                await send(message)

            await app(scope, receive, send_and_look)

        with TestClient(watching) as c:
            ok = c.post("/login", data={"username": "veteran", "password": PASSWORD}, follow_redirects=False)
            assert ok.status_code == 303 and sessions_when_sent == [1]
            assert c.get("/plan-reader", follow_redirects=False).status_code == 200
            # A form sent after a while: recording "last seen" must not wait on the request's own write.
            with eng.begin() as conn:
                conn.execute(text("UPDATE web_sessions SET last_seen_at = :t"), {"t": NOW})
            start = time.perf_counter()
            assert c.post("/entry", data={"csrf": "forged"}, follow_redirects=False).status_code == 403
            assert time.perf_counter() - start < 5
            with eng.connect() as conn:
                seen = conn.scalar(select(WebSession.last_seen_at))
                assert seen is not None and seen > NOW
        with eng.connect() as conn:
            stored = conn.scalar(select(User.password_hash).where(User.username == "veteran"))
        assert stored is not None and stored.startswith("$argon2id$")
    finally:
        eng.dispose()


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie_flags(engine: Engine, session: Session, db_url: str, secure: bool) -> None:
    add_user(session, "js")
    with client_for(session, settings_for(db_url, secure_cookies=secure)) as c:
        response = c.post("/login", data={"username": "js", "password": PASSWORD}, follow_redirects=False)
        header = response.headers["set-cookie"]
        assert header.startswith(f"{COOKIE}=")
        flags = {part.strip().split("=")[0].lower(): part for part in header.split(";")[1:]}
        assert "httponly" in flags and flags["samesite"].strip().lower() == "samesite=lax"
        assert ("secure" in flags) is secure
        c.cookies.set(COOKIE, response.cookies[COOKIE])
        gone = c.post("/logout", follow_redirects=False).headers["set-cookie"]
        assert gone.startswith(f"{COOKIE}=") and ("Secure" in gone) is secure


def test_last_seen_is_recorded_beside_a_read_only_page_view(strict: TestClient, session: Session) -> None:
    add_user(session, "js")
    cookie, _ = log_in(strict, "js")
    row = session.scalar(
        select(WebSession).where(WebSession.token_hash == hashlib.sha256(cookie.encode()).hexdigest())
    )
    assert row is not None
    row.last_seen_at = row.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    session.commit()
    before = row.last_seen_at
    found = session_user(session, cookie, now=dt.datetime.now(dt.UTC))
    assert found is not None and found[1] == row.id and not session.dirty  # reading never writes
    assert strict.get("/entry").status_code == 200
    session.refresh(row)
    assert row.last_seen_at > before


def test_the_limit_holds_across_processes_under_concurrent_attempts(fresh_db_url: Callable[[], str]) -> None:
    """Two app instances, each with its own engine (as two `serve` processes), on one database; 100
    wrong passwords sent 8 at a time to both: exactly 5 are checked, the rest are refused unchecked."""
    url = fresh_db_url()
    eng = make_engine(url)
    upgrade_to_head(eng)
    with transaction(make_sessionmaker(eng)) as s:
        add_user(s, "target", Role.VIEWER)
    try:
        with TestClient(create_app(settings_for(url), start_scheduler=False)) as one, \
                TestClient(create_app(settings_for(url), start_scheduler=False)) as two:  # fmt: skip

            def attempt(i: int) -> int:
                client = one if i % 2 else two
                return client.post(
                    "/login", data={"username": "target", "password": f"guess-{i}"}
                ).status_code

            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(attempt, range(100)))
            assert statuses.count(401) == 4 and statuses.count(429) == 96  # the 5th failure answers 429
            right = two.post(
                "/login", data={"username": "target", "password": PASSWORD}, follow_redirects=False
            )
            assert right.status_code == 429
        with eng.connect() as conn:
            checked = conn.scalar(
                select(func.count()).select_from(LoginAttempt).where(LoginAttempt.outcome == "failed")
            )
        assert checked == 5
    finally:
        eng.dispose()
