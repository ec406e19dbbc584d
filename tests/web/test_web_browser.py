"""The pages in a real headless Chromium (Debian's), driven by Playwright: no console errors, Plotly
draws its traces, the language toggle and filters work, phone width fits. Screenshots are saved
to test-artifacts/screens/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import SHOTS, open_page, rendered_traces
from tests.support.cli import run
from tests.support.databases import PreparedDatabases
from tests.support.servers import serve


@pytest.fixture(scope="module")
def server(
    prepared: PreparedDatabases, db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`make run`'s database (init and a report run), one server per database for the module: these tests
    only read (each page opens in a browser context of its own, so the language cookie stays there)."""
    env = {"YRDMON_DATABASE_URL": prepared.reported(db_kind)}
    yield from serve(env, tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="module")
def province_server(
    prepared: PreparedDatabases, db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The catalog plus a synthetic plan over 300 counties (the benchmarks' generator), assessed; one per
    database for the module (its tests only read)."""
    from benchmarks.synthetic import build
    from service.db.session import make_engine

    tmp_path = tmp_path_factory.mktemp("province")
    url = prepared.initialised(db_kind)
    env = {"YRDMON_DATABASE_URL": url}
    engine = make_engine(url)
    build(engine, targets=600, regions=300, years=8)
    engine.dispose()
    run(["report", "run"], env, tmp_path)
    yield from serve(env, tmp_path)


PAGES = [
    ("overview", "/", "status-counts"),
    ("target", "/targets/yrd-outline-2019/rd-intensity-2025", "target-chart"),
    ("indicator", "/indicators/rd_intensity", "regions-chart"),
    ("evaluation", "/plans/yrd-outline-2019/evaluation", "verdict-chart"),
]


def test_every_page_draws_its_charts_without_console_errors(browser, server: str, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path, chart in PAGES:
        page, errors = open_page(browser, server + path)
        assert rendered_traces(page, chart) >= 1, name
        svg_traces = page.evaluate(f"document.querySelectorAll('#{chart} .trace').length")
        assert svg_traces >= 1, f"{name}: no trace drawn in the SVG"
        # a trace type missing from the served Plotly bundle is dropped silently (type changed, hidden)
        unsupported = page.evaluate(
            f"(gd => gd.data.map((t, i) => [t.type || 'scatter', gd._fullData[i].type, gd._fullData[i].visible])"
            f".filter(([want, got, shown]) => want !== got || shown === false))(document.getElementById('{chart}'))"
        )
        assert unsupported == [], f"{name}: traces the Plotly bundle did not draw: {unsupported}"
        assert page.locator(f"#{chart} ~ a.dl").count() == 1, f"{name}: no download link beside the chart"
        page.screenshot(path=str(SHOTS / f"{name}-{db_kind}.png"), full_page=True)
        assert errors == [], f"{name}: console errors {errors}"
        page.close()


def test_target_chart_shows_path_target_and_assessment(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, server + "/targets/yrd-outline-2019/rd-intensity-2025")
    rendered_traces(page, "target-chart")
    names = page.evaluate("document.getElementById('target-chart').data.map(t => t.name)")
    assert {"观测值", "目标值", "序时进度参考路径", "基期值"} <= set(names)
    assert "研发投入强度达到3%以上" in page.inner_text("blockquote")
    assert page.inner_text("#status").strip() != ""
    assert errors == []


def test_language_toggle_and_filters(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, server + "/")
    assert page.inner_text("h1") == "总览"
    page.click("#lang-toggle")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Overview"
    names = page.evaluate("document.getElementById('status-counts').layout.title.text")
    assert names == "Targets by status, per plan"
    before = page.locator("#grid td.cell").count()
    page.select_option("select[name=plan]", "sh-new-cities-industry-2021")
    page.click("#filters button")
    page.wait_for_load_state()
    assert "plan=sh-new-cities-industry-2021" in page.url
    after = page.locator("#grid td.cell").count()
    assert 0 < after < before
    assert page.inner_text("h1") == "Overview"  # the language choice is remembered
    assert errors == []


def test_phone_width_has_no_sideways_scroll(browser, server: str, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, server + "/targets/yrd-outline-2019/rd-intensity-2025", width=390)
    rendered_traces(page, "target-chart")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(SHOTS / f"target-phone-{db_kind}.png"), full_page=True)
    assert overflow <= 1 and errors == []


def test_overview_pages_and_searches_many_regions(browser, province_server: str, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    from service.web.data import REGIONS_PER_PAGE
    from tests.support.factories import project_catalog

    # 300 synthetic counties and the regions the catalog's targets name
    catalog = project_catalog()
    regions = 300 + len({t.region for _, plan in catalog.plans for t in plan.targets})
    pages = -(-regions // REGIONS_PER_PAGE)
    page, errors = open_page(browser, province_server + "/")
    assert rendered_traces(page, "status-counts") >= 1
    heads = page.locator("#grid thead th")
    assert heads.count() == REGIONS_PER_PAGE + 1
    assert f"共 {regions} 个" in page.inner_text("#grid-range")
    assert page.locator("#region-list option").count() == regions
    first_region = heads.nth(1).inner_text()
    page.click("#grid-pager a[rel=next]")
    page.wait_for_load_state()
    assert "page=2" in page.url and page.inner_text("#grid-pager .current") == "2"
    assert heads.nth(1).inner_text() != first_region
    rendered_traces(page, "status-counts")
    page.fill("#grid-pager input[name=page]", str(pages))  # the last page
    page.click("#grid-pager form button")
    page.wait_for_load_state()
    assert page.locator("#grid thead th").count() == regions - (pages - 1) * REGIONS_PER_PAGE + 1
    page.fill("input[name=region]", "合成地区42")  # the search box (suggestions from the datalist)
    page.click("#filters button")
    page.wait_for_load_state()
    assert "page=" not in page.url and [
        h.strip() for h in page.locator("#grid thead th").all_inner_texts()
    ] == ["指标", "合成地区42"]
    assert page.locator("#grid td.cell").count() == 2  # its two synthetic targets
    page.screenshot(path=str(SHOTS / f"overview-province-{db_kind}.png"), full_page=True)
    page.click("#lang-toggle")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Overview" and page.input_value("input[name=region]") == "合成地区42"
    assert page.locator("#grid thead th").all_inner_texts()[1].strip() == "Synthetic 42"
    rendered_traces(page, "status-counts")
    assert errors == []


def test_province_evaluation_and_indicator(browser, province_server: str, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    from service.web.data import INDICATOR_REGIONS_PER_PAGE, ROWS_PER_PAGE

    page, errors = open_page(browser, province_server + "/plans/synthetic/evaluation")
    assert rendered_traces(page, "verdict-chart") >= 1
    bars = page.evaluate("document.getElementById('verdict-chart').data[0].y.reduce((a, b) => a + b, 0)")
    assert bars == 200  # every third synthetic target is due in 2025: all counted, not only a page's
    assert page.locator("#end-of-term tbody tr").count() == ROWS_PER_PAGE
    assert page.locator("#mid-term tbody tr").count() == ROWS_PER_PAGE
    assert "共 200 条" in page.inner_text("#eot-pager") and "共 400 条" in page.inner_text("#mid-pager")
    page.click("#mid-pager a[rel=next]")
    page.wait_for_load_state()
    page.click("#eot-pager a[rel=next]")
    page.wait_for_load_state()
    assert "eot_page=2" in page.url and "mid_page=2" in page.url
    assert page.inner_text("#eot-pager .current") == "2" and page.inner_text("#mid-pager .current") == "2"
    page.fill("#mid-pager input[name=mid_page]", "8")  # the last page
    page.click("#mid-pager form button")
    page.wait_for_load_state()
    assert page.inner_text("#mid-pager .current") == "8" and page.inner_text("#eot-pager .current") == "2"
    page.click("#lang-toggle")
    page.wait_for_load_state()
    assert "Rows 351–400 of 400" in page.inner_text("#mid-pager") and page.inner_text("h1").startswith("Plan")
    rendered_traces(page, "verdict-chart")
    page.close()
    assert errors == []
    for path in ("/plans/synthetic/evaluation?eot_page=4", "/indicators/syn_0?page=3"):
        page, errors = open_page(browser, province_server + path, width=390)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        name = "evaluation" if "plans" in path else "indicator"
        page.screenshot(path=str(SHOTS / f"{name}-province-phone-{db_kind}.png"), full_page=True)
        assert overflow <= 1 and errors == [], path
        page.close()
    page, errors = open_page(browser, province_server + "/indicators/syn_0?page=2")
    assert rendered_traces(page, "regions-chart") >= 1
    shown = page.evaluate("document.getElementById('regions-chart').data[0].x.length")
    assert shown == page.locator("#regions tbody tr").count() == INDICATOR_REGIONS_PER_PAGE
    assert "51–100" in page.inner_text("#chart-note") and "共 300 个" in page.inner_text("#regions-pager")
    assert errors == []


def test_the_new_round_on_the_plans_pages(browser, server: str, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, server + "/plans?lang=zh")
    row = page.locator("#plans tr", has=page.locator('a[href="/plans/nanjing-15th-outline?lang=zh"]')).first
    assert "2026–2030" in row.inner_text() and "约束性" in row.inner_text() and "定性目标" in row.inner_text()
    row.locator("a", has_text="全部目标").click()
    page.wait_for_load_state()
    assert page.url.endswith("/plans/nanjing-15th-outline?lang=zh")
    qualitative = page.locator("#plan-targets tr.qualitative").first
    assert "完成省定目标" in qualitative.inner_text() and "约束性" in qualitative.inner_text()
    page.screenshot(path=str(SHOTS / f"plan-nanjing-15th-{db_kind}.png"), full_page=True)
    page.select_option("select[name=kind]", "binding")
    page.click("#filters button")
    page.wait_for_load_state()
    kinds = page.locator("#plan-targets tbody td:nth-child(5)").all_inner_texts()
    assert kinds and set(kinds) == {"约束性"}
    page.click("#lang-toggle")
    page.wait_for_load_state()
    assert set(page.locator("#plan-targets tbody td:nth-child(5)").all_inner_texts()) == {"Binding"}
    assert errors == []
    phone, phone_errors = open_page(
        browser, server + "/targets/nanjing-14th-outline/urbanization-rate-2025", width=390
    )
    assert "已实现" in phone.inner_text("#status")  # 87.5 % in 2025 against 85 %, from the outline's 专栏1
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1 and phone_errors == []
