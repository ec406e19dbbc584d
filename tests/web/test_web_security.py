"""Security headers on every response, no inline script on any page, and spreadsheet exports (CSV and
XLSX) in which a name that starts like a formula stays text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.api import health
from service.config import Settings
from service.db.models import Indicator, Plan, Region, ReportRun, Role, Target, User, WritePath
from service.db.session import make_engine
from service.domain import plan_review, users
from service.domain.observations import ObservationInput, ingest
from service.domain.tabular import read_table, spreadsheet_safe, write_csv
from service.main import create_app
from service.web import docs as web_docs
from service.web import plan_review as web_plan_review
from service.web import responsibility as web_responsibility
from service.web import review_pages as web_review
from service.web import routes as web_routes
from tests.support.cli import run
from tests.support.databases import PreparedDatabases
from tests.support.factories import NOW
from tests.support.samples import PLAN
from tests.support.web import with_run


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
        "/", "/?lang=en", "/plans", "/plans/yrd-outline-2019", "/targets/yrd-outline-2019/rd-intensity-2025", "/indicators/rd_intensity",
        "/plans/yrd-outline-2019/evaluation", "/entry?region=330421&year=2024", "/upload", "/subscriptions",
        "/plan-reader", f"/plan-reader/{reading.id}", "/entry/history?indicator=gdp&region=330421&year=2024",
        "/docs", "/api/v1/unsubscribe/not-a-token", "/targets/no/such-page", "/review", "/review/history/1",
        "/organisations", "/organisations/nj-fgw", "/targets/yrd-outline-2019/rd-intensity-2025/breakdown",
        "/plans/yrd-outline-2019/annual?year=2025",
    ]  # fmt: skip
    others = [
        "/overview.csv", "/targets/yrd-outline-2019/rd-intensity-2025/data.csv", "/indicators/rd_intensity/data.csv",
        "/plans/yrd-outline-2019/evaluation.csv", "/plans/yrd-outline-2019/evaluation.xlsx", "/static/plotly-basic.min.js",
        "/static/plotly-basic.LICENSE.txt", "/static/charts.js", "/static/app.css",
        "/static/docs.js", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/favicon.ico", "/openapi.json",
        "/healthz", "/api/v1/targets?limit=1", "/api/v1/targets?limit=-1", "/api/v1/runs", "/no/such/path",
        "/api/v1/templates?region=330421&format=csv", f"/plan-reader/{reading.id}/catalog.yaml",
        "/plans/yrd-outline-2019/annual.xlsx?year=2025",
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
    covered = {re.sub(r"\?.*", "", u) for u in pages + others + pages_anonymous}
    templates = {
        r.path
        for module in (web_routes, web_plan_review, web_review, web_docs, health, web_responsibility)
        for r in module.router.routes
        if isinstance(r, APIRoute) and "GET" in (r.methods or ())
    }
    assert len(templates) > 20
    pattern = {p: re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "$") for p in templates}
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


# --- spreadsheets ----------------------------------------------------------------------------------

PLAN_TITLE = '=HYPERLINK("http://x","点此查看")'
INDICATOR_NAME = '=cmd|" /C calc"!A0'
REGION_NAME = '@SUM(1+1)*cmd|" /C calc"!A0'
COUNTY_NAME = '=2+3+cmd|" /C calc"!A0'
CHAPTER = '+cmd|" /C calc"!A0'
QUOTE = '-2+3+cmd|" /C calc"!A0'
FORMULA = re.compile(r"[=+\-@\t\r]")
SIGNED_NUMBER = re.compile(r"[-+][\d.,]*\d[\d.,]*%?")


def live_cells(text: str) -> list[str]:
    """Cells a spreadsheet would take for a formula."""
    return [
        cell
        for row in csv.reader(io.StringIO(text.removeprefix("\ufeff")))
        for cell in row
        if FORMULA.match(cell) and not SIGNED_NUMBER.fullmatch(cell)
    ]


def hostile_catalog(session: Session) -> None:
    session.execute(update(Plan).where(Plan.code == "yrd-outline-2019").values(title_zh=PLAN_TITLE))
    session.execute(update(Indicator).where(Indicator.code == "rd_intensity").values(name_zh=INDICATOR_NAME))
    session.execute(
        update(Target).where(Target.key == "rd-intensity-2025").values(chapter=CHAPTER, source_quote=QUOTE)
    )
    stats = users.create_user(session, username="stats", role=Role.ADMIN, now=NOW)
    figures = [ObservationInput(row=n, indicator="rd_intensity", region="Z-YRD", period=year, value=value)
               for n, (year, value) in enumerate([(2018, "2.81"), (2022, "3.2"), (2023, "3.33")], start=1)]  # fmt: skip
    assert ingest(session, stats, figures, path=WritePath.API, now=NOW).applied
    session.execute(update(Region).where(Region.code == "Z-YRD").values(name_zh=REGION_NAME))
    session.execute(update(Region).where(Region.code == "330421").values(name_zh=COUNTY_NAME))
    session.commit()
    with_run(session)


def test_every_csv_export_keeps_formula_like_names_as_text(client: TestClient, session: Session) -> None:
    hostile_catalog(session)
    run_id = session.scalars(select(ReportRun.id).order_by(ReportRun.id.desc())).first()
    exports = {
        "overview": "/overview.csv",
        "target": "/targets/yrd-outline-2019/rd-intensity-2025/data.csv",
        "indicator": "/indicators/rd_intensity/data.csv",
        "evaluation": "/plans/yrd-outline-2019/evaluation.csv",
        "run": f"/api/v1/runs/{run_id}/export?format=csv",
        "template": "/api/v1/templates?region=330421&format=csv",
    }
    texts = {}
    for name, url in exports.items():
        response = client.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), name
        texts[name] = response.text
        assert live_cells(response.text) == [], f"{name}: cells a spreadsheet would run"
    # the names are all there, behind an apostrophe, otherwise unchanged
    for name in ("overview", "run"):
        assert "'" + PLAN_TITLE.replace('"', '""') in texts[name], name
    for name in ("overview", "evaluation", "run"):
        assert "'" + INDICATOR_NAME.replace('"', '""') in texts[name], name
    for name in ("indicator", "evaluation", "run"):
        assert "'" + REGION_NAME.replace('"', '""') in texts[name], name
    assert "'" + COUNTY_NAME.replace('"', '""') in texts["template"]
    assert "'" + CHAPTER.replace('"', '""') in texts["run"] and "'" + QUOTE.replace('"', '""') in texts["run"]
    # numbers stay numbers, negative ones too: the R&D target's gap is negative (it is exceeded)
    records = list(csv.DictReader(io.StringIO(texts["run"].removeprefix("\ufeff"))))
    rd = next(r for r in records if r["id"] == "yrd-outline-2019/rd-intensity-2025")
    assert float(rd["gap"]) < 0 and float(rd["latest_value"]) > 0
    # a filled-in template reads back with the names as they are in the catalog
    rows = list(csv.reader(io.StringIO(texts["template"].removeprefix("\ufeff"))))
    rows[1][3] = "880.5"
    filled = io.StringIO()
    csv.writer(filled).writerows(rows)
    (first,) = read_table("template.csv", filled.getvalue().encode())
    assert first.region == COUNTY_NAME and first.value == "880.5"


def test_xlsx_exports_store_formula_like_names_as_text(client: TestClient, session: Session) -> None:
    hostile_catalog(session)
    run_id = session.scalars(select(ReportRun.id).order_by(ReportRun.id.desc())).first()
    exports = {
        f"/api/v1/runs/{run_id}/export?format=xlsx": {INDICATOR_NAME, REGION_NAME, QUOTE},
        "/api/v1/templates?region=330421&format=xlsx": {COUNTY_NAME},
        "/plans/yrd-outline-2019/evaluation.xlsx": {INDICATOR_NAME},
    }
    for url, expected in exports.items():
        response = client.get(url)
        assert response.status_code == 200, url
        book = load_workbook(io.BytesIO(response.content))
        cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
        assert [c.value for c in cells if c.data_type == "f"] == [], f"{url}: formulas"
        values = {c.value for c in cells}
        assert expected <= values, url  # as they are, no apostrophe: the cell's type says "text"


def test_the_command_line_exports_keep_formula_like_names_as_text(
    prepared: PreparedDatabases, db_kind: str, tmp_path: Path
) -> None:
    url = prepared.initialised(db_kind)  # as `yrdmon init` leaves it
    env = {"YRDMON_DATABASE_URL": url}
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(update(Plan).where(Plan.code == "yrd-outline-2019").values(title_zh=PLAN_TITLE))
        conn.execute(update(Region).where(Region.code == "Z-YRD").values(name_zh=REGION_NAME))
    engine.dispose()
    targets = run(["targets", "export", "--format", "csv"], env, tmp_path).stdout
    run(["report", "run"], env, tmp_path)
    report = run(["report", "show", "--format", "csv"], env, tmp_path).stdout
    for name, text in (("targets export", targets), ("report show", report)):
        assert live_cells(text) == [], name
        assert "'" + PLAN_TITLE.replace('"', '""') in text and "'" + REGION_NAME.replace('"', '""') in text, (
            name
        )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-x", "'-x"), ("长三角", "长三角"), ("a=1", "a=1"),
        ("-3.5", "-3.5"), ("+12%", "+12%"), ("-1,234.5", "-1,234.5"), (-3.5, -3.5), (0, 0), (None, None),
    ],
)  # fmt: skip
def test_spreadsheet_safe(value: object, written: object) -> None:
    assert spreadsheet_safe(value) == written


def test_write_csv_leaves_numbers_as_numbers() -> None:
    from decimal import Decimal

    buf = io.StringIO()
    write_csv(
        buf, ["a", "b", "c", "d"], [{"a": -3.5, "b": Decimal("-2.25"), "c": "-x", "d": dt.date(2025, 1, 1)}]
    )
    assert buf.getvalue().splitlines() == ["a,b,c,d", "-3.5,-2.25,'-x,2025-01-01"]
