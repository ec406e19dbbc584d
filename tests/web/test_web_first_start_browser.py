"""Issue 16, points 1 and 7 in a real Chromium: right after `yrdmon init` (no `report run`, no scheduler)
every page linked from the overview answers without a 4xx/5xx and without console errors, charts are
drawn, a missing page is an HTML page in the browser's language with a way back (problem+json stays for
API clients), and the entry form gives back what was typed when a batch is refused."""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from service.db.models import Role
from tests.support.browser import SHOTS, open_page, rendered_traces
from tests.support.databases import PreparedDatabases
from tests.support.servers import serve

PASSWORD = "pw-first-start-1"
DOWNLOADS = (".csv", ".xlsx", ".docx", ".html", ".yaml", ".js", ".css", ".json", ".ico")


@pytest.fixture(scope="module")
def fresh_server(
    prepared: PreparedDatabases, db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`yrdmon init` only, as after `make run`; an editor for 嘉善县 and an administrator (one server per
    database for the module: the crawl only reads)."""
    tmp_path = tmp_path_factory.mktemp("first-start")
    from service.db.session import make_engine, make_sessionmaker, transaction
    from service.domain import users

    url = prepared.initialised(db_kind)
    env = {"YRDMON_DATABASE_URL": url}
    out = prepared.init_output[db_kind]  # what `yrdmon init` said when it made the database copied here
    assert "first report run" in out, out
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        now = dt.datetime.now(dt.UTC)
        users.create_user(session, username="jiashan", role=Role.EDITOR, region_codes=["330421"],
                          password=PASSWORD, now=now)  # fmt: skip
        users.create_user(session, username="boss", role=Role.ADMIN, password=PASSWORD, now=now)
    engine.dispose()
    yield from serve(env, tmp_path)


FIXED_WORDS = ("evaluation", "history")  # /plans/X/evaluation is a kind of its own, unlike /targets/X/KEY
PER_KIND = 6  # links of one kind whose status is checked (a fresh catalog links about 2000 pages)


def kind(link: str) -> str:
    """A link's kind: /targets/PLAN/KEY?lang=en -> /targets/*/*?lang (the path's shape and the query's
    parameter names): a few of each kind are fetched, one opened in the browser."""
    parts = urlsplit(link)
    segments = [p for p in parts.path.split("/") if p]
    last = segments[-1:] if len(segments) > 2 and segments[-1] in FIXED_WORDS else []
    shape = "/" + "/".join(segments[:1] + ["*"] * (len(segments) - 1 - len(last)) + last)
    names = sorted({q.split("=")[0] for q in parts.query.split("&") if q})
    return shape + "?" + ",".join(names) + ("@en" if "lang=en" in parts.query else "")


def test_every_linked_page_works_right_after_init(browser, fresh_server: str, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = fresh_server
    opened: dict[str, int] = {}
    fetched: dict[str, int] = {}
    seen: set[str] = set()
    queue = deque(["/", "/?lang=en", "/plans", "/plans?lang=en"])
    statuses: dict[str, int] = {}
    problems: list[str] = []
    # a generous timeout: the crawl checks statuses, not speed (CI machines are shared and may be slow)
    with httpx.Client(
        base_url=base, headers={"Accept": "text/html"}, follow_redirects=True, timeout=60
    ) as http:
        while queue:
            path = queue.popleft()
            if path in seen or fetched.get(kind(path), 0) >= PER_KIND:
                continue
            seen.add(path)
            fetched[kind(path)] = fetched.get(kind(path), 0) + 1
            answer = http.get(path)
            statuses[path] = answer.status_code
            if answer.status_code >= 400:
                problems.append(f"{path}: {answer.status_code}")
                continue
            if opened.get(kind(path), 0) >= 1 or "text/html" not in answer.headers.get("content-type", ""):
                continue
            opened[kind(path)] = opened.get(kind(path), 0) + 1
            page, errors = open_page(browser, base + path)
            for chart in page.eval_on_selector_all(".chart[id]", "els => els.map(e => e.id)"):
                assert rendered_traces(page, chart) >= 1, f"{path}: chart {chart} has no trace"
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
            if errors:
                problems.append(f"{path}: console errors {errors}")
            page.close()
            for href in hrefs:
                target = urlsplit(urljoin(base + path, href))
                if target.netloc != urlsplit(base).netloc or target.path.endswith(DOWNLOADS):
                    continue
                link = target.path + (f"?{target.query}" if target.query else "")
                if link not in seen and target.path not in ("/logout",):
                    queue.append(link)
    assert problems == [], problems
    # the pages a new installation is judged by: overview with its chart, a target, every evaluation
    assert statuses["/"] == 200 and any(p.startswith("/targets/") for p in statuses)
    evaluations = [p for p in statuses if re.fullmatch(r"/plans/[^/?]+/evaluation(\?.*)?", p)]
    assert len(evaluations) >= 5, sorted(statuses)
    assert len(fetched) >= 15, sorted(fetched)
    print(
        f"\n{len(statuses)} linked pages of {len(fetched)} kinds answered 200; {sum(opened.values())} "
        "opened in Chromium"
    )


def test_a_browser_gets_an_html_error_page_and_an_api_client_problem_json(browser, fresh_server: str) -> None:  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, fresh_server + "/plans")
    response = page.goto(fresh_server + "/no/such/page", referer=fresh_server + "/plans")
    assert response is not None and response.status == 404
    assert page.inner_text("h1") == "找不到该页面"
    assert "地址可能有误" in page.inner_text("#error-message")
    page.click("#error-back")  # the way back: the page the person came from
    page.wait_for_load_state()
    assert page.url.endswith("/plans")
    response = page.goto(fresh_server + "/targets/no-plan/no-target?lang=en")
    assert response is not None and response.status == 404
    assert page.inner_text("h1") == "Page not found" and page.locator("#error-home").count() == 1
    page.screenshot(path=str(SHOTS / "error-page.png"), full_page=True)
    # Chromium reports every 404 answer to a navigation on the console; nothing else may appear
    assert [e for e in errors if "status of 404" not in e] == [] and len(errors) <= 2, errors
    page.close()
    for path, accept in (("/no/such/page", "application/json"), ("/api/v1/nothing", "text/html"),
                         ("/targets/no-plan/no-target", "*/*")):  # fmt: skip
        answer = httpx.get(fresh_server + path, headers={"Accept": accept})
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("application/problem+json"), path
        assert answer.json()["detail_zh"] and answer.json()["detail_en"]


def test_the_entry_form_keeps_what_was_typed_in_the_browser(browser, fresh_server: str, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, fresh_server + "/login?next=/entry")
    page.fill("input[name=username]", "jiashan")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    page.goto(fresh_server + "/entry?region=330421&year=2024&lang=zh")
    page.fill("input[name=value_gdp]", "880.5")
    page.fill("input[name=reason_gdp]", "快报数")
    page.check("input[name=confirm_gdp]")
    page.fill("input[name=value_network_5g_coverage]", "120")
    page.fill("input[name=source]", "嘉善县统计局")
    page.select_option("select[name=status]", "preliminary")
    page.click("#entry-form button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("#result-headline").startswith("未保存任何数据")
    assert "value:" not in page.inner_text("#result") and "5G网络覆盖率" in page.inner_text(
        "#result-problems"
    )
    assert page.input_value("input[name=value_gdp]") == "880.5"
    assert page.input_value("input[name=reason_gdp]") == "快报数"
    assert page.is_checked("input[name=confirm_gdp]")
    assert page.input_value("input[name=value_network_5g_coverage]") == "120"
    assert page.input_value("input[name=source]") == "嘉善县统计局"
    assert page.input_value("select[name=status]") == "preliminary"
    page.screenshot(path=str(SHOTS / f"entry-refused-{db_kind}.png"), full_page=True)
    page.fill("input[name=value_network_5g_coverage]", "98.5")  # only the bad figure is retyped
    page.click("#entry-form button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("#result-headline") == "已保存 2 条（新增 2，修订 0）"
    # the refused submission answered 422 (Chromium logs that status); nothing else on the console
    assert [e for e in errors if "status of 422" not in e] == [] and len(errors) == 1, errors
    page.close()
