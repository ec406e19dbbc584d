"""Hostile names in a real Chromium against a real `yrdmon serve`: a plan title, an indicator name and a
region name that carry script, markup, a template expression and a spreadsheet formula, entered through
the catalog and through the plan reader's review pages. No script of theirs runs, the page shows them as
text, the Content-Security-Policy reports nothing, and the charts still draw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.db.models import Role
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain import users
from tests.support.browser import SHOTS, rendered_traces
from tests.support.cli import run
from tests.support.databases import PreparedDatabases
from tests.support.factories import copy_catalog, edit_yaml
from tests.support.servers import serve

SCRIPT = "</script><script>window.__pwned=1</script>"
IMG = '"><img src=x onerror=window.__pwned=1>'
TEMPLATE = "{{7*7}}"
FORMULA = '=HYPERLINK("http://x")'
PLAN_TITLE = f"{FORMULA}{SCRIPT}纲要{TEMPLATE}"
INDICATOR_NAME = f"{IMG}研发投入强度{SCRIPT}"
REGION_NAME = f"{SCRIPT}长三角{IMG}{TEMPLATE}"
PASSWORD = "pw-123456"

# Every CSP violation and every error the page logs, collected from before the page's own scripts run.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.fixture(scope="module")
def hostile_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    catalog = copy_catalog(tmp_path_factory.mktemp("hostile"))

    def rename(entries: list[dict[str, Any]], code: str, name: str) -> None:
        entry = next(e for e in entries if e["code"] == code)
        entry["name_zh"] = entry["name_en"] = name

    edit_yaml(catalog / "plans" / "yrd-outline-2019.yaml",
              lambda d: d["plan"].update(title_zh=PLAN_TITLE, title_en=PLAN_TITLE))  # fmt: skip
    edit_yaml(catalog / "indicators.yaml", lambda d: rename(d, "rd_intensity", INDICATOR_NAME))
    edit_yaml(catalog / "regions.yaml", lambda d: rename(d, "Z-YRD", REGION_NAME))
    return catalog


@pytest.fixture
def hostile_server(
    prepared: PreparedDatabases, db_kind: str, hostile_catalog: Path, tmp_path: Path
) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The hostile catalog after `yrdmon init`, an administrator and a report run: prepared once per
    database, each test serving a copy of its own (one of them writes)."""

    def build(url: str) -> None:
        env = {"YRDMON_DATABASE_URL": url, "YRDMON_CATALOG_DIR": str(hostile_catalog)}
        run(["init"], env, tmp_path)
        engine = make_engine(url)
        with transaction(make_sessionmaker(engine)) as session:
            users.create_user(session, username="chief", role=Role.ADMIN, password=PASSWORD,
                              now=dt.datetime.now(dt.UTC))  # fmt: skip
        engine.dispose()
        run(["report", "run"], env, tmp_path)

    url = prepared.copy(prepared.template(db_kind, "hostile-catalog", build))
    env = {"YRDMON_DATABASE_URL": url, "YRDMON_CATALOG_DIR": str(hostile_catalog)}
    for base in serve(env, tmp_path):
        yield base, env, tmp_path


def visit(context, url: str):  # type: ignore[no-untyped-def]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, errors


def assert_inert(
    page: Any,
    errors: list[str],
    name: str,
    *,
    shows: tuple[str, ...] = (),
    chart: str | None = None,
    traces: int = 1,
) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined", f"{name}: an injected script ran"
    if chart:  # drawn (Plotly has finished), with at least `traces` traces in its SVG
        assert rendered_traces(page, chart) >= traces, f"{name}: the chart did not draw"
        assert page.evaluate(f"document.querySelectorAll('#{chart} .trace').length") >= traces, name
    assert page.locator("img[src=x]").count() == 0, f"{name}: injected markup became an element"
    text = page.inner_text("body")
    for s in shows:
        assert s in text, f"{name}: {s!r} is not shown as text"
    assert page.evaluate("window.__violations") == [], f"{name}: CSP violations"
    assert errors == [], f"{name}: console errors {errors}"


def login(context, base: str) -> None:  # type: ignore[no-untyped-def]
    page, errors = visit(context, base + "/login")
    assert_inert(page, errors, "login")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():  # the form's answer, not the page it was on
        page.click("form.card button[type=submit]")
    assert "/login" not in page.url
    page.close()


def test_hostile_catalog_names_stay_text_on_every_page(browser, hostile_server, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = hostile_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    login(context, base)
    pages = [
        ("overview", "/", (PLAN_TITLE, INDICATOR_NAME), "status-counts"),
        ("plans", "/plans", (PLAN_TITLE,), None),
        ("plan", "/plans/yrd-outline-2019", (PLAN_TITLE, INDICATOR_NAME, REGION_NAME), None),
        ("target", "/targets/yrd-outline-2019/rd-intensity-2025", (INDICATOR_NAME, REGION_NAME, PLAN_TITLE),
         "target-chart"),
        ("indicator", "/indicators/rd_intensity", (INDICATOR_NAME, REGION_NAME), "regions-chart"),
        ("evaluation", "/plans/yrd-outline-2019/evaluation", (PLAN_TITLE, INDICATOR_NAME, REGION_NAME),
         "verdict-chart"),
        ("evaluation-en", "/plans/yrd-outline-2019/evaluation?lang=en", (PLAN_TITLE,), "verdict-chart"),
        ("entry", "/entry?region=Z-YRD&lang=zh", (INDICATOR_NAME,), None),
        ("upload", "/upload", (), None),
        ("subscriptions", "/subscriptions", (PLAN_TITLE,), None),
        ("plan-reader", "/plan-reader", (), None),
    ]  # fmt: skip
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path, shows, chart in pages:
        page, errors = visit(context, base + path)
        assert_inert(page, errors, name, shows=shows, chart=chart)
        if name in ("overview", "target"):
            page.screenshot(path=str(SHOTS / f"hostile-{name}-{db_kind}.png"), full_page=True)
        page.close()
    # the figure the chart drew holds the names exactly as entered
    page, errors = visit(context, base + "/indicators/rd_intensity")
    rendered_traces(page, "regions-chart")
    labels = page.evaluate("document.getElementById('regions-chart').data.flatMap(t => t.x)")
    assert f"{REGION_NAME} 2025" in labels
    assert_inert(page, errors, "indicator figure")
    # and the policy holds by itself: an inline script that got into the page anyway would not run
    page.evaluate("""() => { const s = document.createElement('script');
                            s.textContent = 'window.__pwned = 1'; document.body.appendChild(s); }""")
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("window.__violations")[0].startswith("script-src")
    context.close()


def test_hostile_names_entered_through_the_plan_reader_stay_text(browser, hostile_server) -> None:  # type: ignore[no-untyped-def]
    from tests.support.samples import PLAN

    base, env, cwd = hostile_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    login(context, base)
    page, errors = visit(context, base + "/plan-reader")
    # the last sentence names an indicator the catalog does not have: the reviewer creates it
    text = PLAN + "\n四、特色目标\n到2030年，全市萤火虫观测站点达到120个。\n"
    page.set_input_files("input[name=file]", files=[
        {"name": "plan.txt", "mimeType": "text/plain", "buffer": text.encode()}])  # fmt: skip
    page.fill("input[name=plan_title]", PLAN_TITLE)
    page.fill("input[name=plan_code]", "hostile-plan")
    with page.expect_navigation():
        page.click("#reader-form button[type=submit]")
    assert "/plan-reader/" in page.url
    review = page.url
    assert_inert(page, errors, "review", shows=(PLAN_TITLE,))
    # a proposal the reader found no indicator for: the reviewer names a new one, with a hostile name
    row = page.locator("tr.proposal-row", has=page.locator("input[name=indicator_name]")).first
    row.locator("input[name=indicator_code]").fill("hostile_indicator")
    row.locator("input[name=indicator_name]").fill(INDICATOR_NAME)
    row.locator("input[name=region_code]").fill("Z-YRD")
    with page.expect_navigation():
        row.locator("button[value=accept]").click()
    assert page.locator("#review-error").count() == 0, page.inner_text("#review-error")
    assert_inert(page, errors, "review after accept", shows=(PLAN_TITLE, INDICATOR_NAME))
    page.close()
    run(["report", "run"], env, cwd)
    page, errors = visit(context, base + "/plans/hostile-plan/evaluation")
    assert_inert(page, errors, "evaluation", shows=(PLAN_TITLE, INDICATOR_NAME, REGION_NAME))
    target = page.locator("a[href^='/targets/hostile-plan/']").first.get_attribute("href")
    page.close()
    pages = [
        ("overview", "/?plan=hostile-plan", (PLAN_TITLE, INDICATOR_NAME), "status-counts"),
        ("plans", "/plans", (PLAN_TITLE,), None),
        ("plan", "/plans/hostile-plan", (PLAN_TITLE, INDICATOR_NAME, REGION_NAME), None),
        ("target", str(target), (INDICATOR_NAME, REGION_NAME, PLAN_TITLE), "target-chart"),
        ("indicator", "/indicators/hostile_indicator", (INDICATOR_NAME, REGION_NAME), "regions-chart"),
        ("plan-reader", "/plan-reader", (PLAN_TITLE,), None),
        ("review", review.removeprefix(base), (PLAN_TITLE, INDICATOR_NAME), None),
    ]  # fmt: skip
    for name, path, shows, chart in pages:
        page, errors = visit(context, base + path)
        # the new indicator has no figures yet: its charts draw, with or without traces
        assert_inert(page, errors, name, shows=shows, chart=chart, traces=0 if "hostile" in path else 1)
        page.close()
    context.close()


def test_api_docs_draw_from_the_service_itself_under_the_policy(browser, hostile_server) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = hostile_server
    context = browser.new_context()
    context.add_init_script(WATCH)
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    page, errors = visit(context, base + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() >= 10
    assert outside == [], f"/docs loads from elsewhere: {outside}"
    assert_inert(page, errors, "docs")
    context.close()
