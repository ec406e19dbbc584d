"""Security headers on every response and no inline script on any page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Role, User
from service.domain import plan_review, users
from service.main import create_app
from tests.factories import NOW
from tests.test_plan_reader import PLAN
from tests.test_web_pages import with_run

# --- headers ---------------------------------------------------------------------------------------


def csp(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    policy = response.headers.get("content-security-policy", "")
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def assert_secured(response, url: str) -> None:  # type: ignore[no-untyped-def]
    h = response.headers
    policy = csp(response)
    assert policy.get("default-src") == ["'self'"], url
    assert policy.get("script-src") == ["'self'"], f"{url}: scripts only from the service itself"
    assert policy.get("object-src") == ["'none'"] and policy.get("base-uri") == ["'none'"], url
    assert policy.get("frame-ancestors") == ["'none'"] and policy.get("form-action") == ["'self'"], url
    assert h.get("x-content-type-options") == "nosniff", url
    assert h.get("x-frame-options") == "DENY", url
    assert h.get("referrer-policy") in ("same-origin", "strict-origin-when-cross-origin"), url
    assert "camera=()" in h.get("permissions-policy", ""), url
    assert h.get("cross-origin-opener-policy") == "same-origin", url


class ScriptAudit(HTMLParser):
    """Inline scripts (a <script> without src that is not a JSON data block) and inline event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and "src" not in named and named.get("type") != "application/json":
            self.inline.append(f"<script {named}>")
        self.inline += [f"<{tag} {k}=...>" for k, _ in attrs if k.startswith("on")]
        self.inline += [
            f"<{tag} {k}={v}>" for k, v in attrs if (v or "").strip().lower().startswith("javascript:")
        ]


def admin_login(client: TestClient, session: Session) -> User:
    user = users.create_user(session, username="boss", role=Role.ADMIN, password="pw-123456", now=NOW)
    session.commit()
    response = client.post(
        "/login", data={"username": "boss", "password": "pw-123456"}, follow_redirects=False
    )
    assert response.status_code == 303
    return user


def test_every_response_carries_the_policy_and_no_page_has_inline_script(
    client: TestClient, session: Session
) -> None:
    with_run(session)
    pages_anonymous = ["/login", "/", "/plans"]
    admin = admin_login(client, session)
    reading = plan_review.create_reading(session, admin, filename="p.txt", content=PLAN.encode(),
                                         plan_code="sec-test", plan_title="某市规划", issued="2026", now=NOW)  # fmt: skip
    session.commit()
    pages = [
        "/", "/?lang=en", "/plans", "/targets/yrd-outline-2019/rd-intensity-2025", "/indicators/rd_intensity",
        "/plans/yrd-outline-2019/evaluation", "/entry?region=330421&year=2024", "/upload", "/subscriptions",
        "/plan-reader", f"/plan-reader/{reading.id}", "/entry/history?indicator=gdp&region=330421&year=2024",
        "/docs", "/api/v1/unsubscribe/not-a-token", "/targets/no/such-page",
    ]  # fmt: skip
    others = [
        "/overview.csv", "/targets/yrd-outline-2019/rd-intensity-2025/data.csv", "/indicators/rd_intensity/data.csv",
        "/plans/yrd-outline-2019/evaluation.csv", "/static/plotly.min.js", "/static/charts.js", "/static/app.css",
        "/static/docs.js", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/favicon.ico", "/openapi.json",
        "/healthz", "/api/v1/targets?limit=1", "/api/v1/targets?limit=-1", "/api/v1/runs", "/no/such/path",
        "/api/v1/templates?region=330421&format=csv", f"/plan-reader/{reading.id}/catalog.yaml",
    ]  # fmt: skip
    checked_html = 0
    for url in pages + others:
        response = client.get(url)
        assert_secured(response, url)
        if response.headers.get("content-type", "").startswith("text/html"):
            audit = ScriptAudit()
            audit.feed(response.text)
            assert audit.inline == [], f"{url}: inline script {audit.inline}"
            checked_html += 1
    assert checked_html >= len(pages) - 1  # /targets/no/such-page answers problem+json
    # the same for a visitor who is not logged in, and for POST answers
    client.post("/logout")
    for url in pages_anonymous:
        assert_secured(client.get(url), url)
    assert_secured(client.post("/login", data={"username": "x", "password": "y"}), "POST /login")

    # every page the service serves is in the lists above (a new page must be added here)
    covered = {re.sub(r"\?.*", "", u) for u in pages + others}
    templates = {
        r.path
        for r in client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute) and "GET" in r.methods and not r.path.startswith("/api/")
    }
    pattern = {p: re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in templates}
    missing = [p for p, rx in pattern.items() if not any(rx.match(u) for u in covered)]
    assert missing == [], f"pages not checked: {missing}"


def test_an_unexpected_error_carries_the_headers_too(db_url: str) -> None:
    app = create_app(Settings(database_url=db_url), start_scheduler=False)

    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert_secured(response, "/boom")
