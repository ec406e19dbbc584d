"""The target chart in a real Chromium (one browser and one server per module): with no data it says
so and still shows the target; years are whole; under ?lang=en the chart holds no Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.browser import open_page, rendered_traces
from tests.support.databases import PreparedDatabases
from tests.support.servers import serve

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
NO_DATA = "/targets/yrd-outline-2019/railway-density-2025"  # a level target nobody has reported yet
BASED_NO_DATA = "/targets/yrd-outline-2019/energy-intensity-2025"  # 较2017年下降10%, no base value
WITH_DATA = "/targets/yrd-outline-2019/rd-intensity-2025"

CHART_TEXTS = """(() => {
  const el = document.getElementById('target-chart');
  const L = el.layout;
  const texts = [L.title.text, L.yaxis.title.text, L.xaxis.title.text,
                 ...(L.annotations || []).map(a => a.text)];
  for (const t of el.data) texts.push(t.name, t.hovertemplate, ...(t.customdata || []));
  const svg = Array.from(el.querySelectorAll('.xtick text, .ytick text, .legendtext, .gtitle, .annotation-text'))
    .map(e => e.textContent);
  return {texts, svg, ticks: Array.from(el.querySelectorAll('.xtick text')).map(e => e.textContent),
          names: el.data.map(t => t.name), xs: el.data.map(t => t.x),
          annotations: (L.annotations || []).map(a => a.text)};
})()"""


@pytest.fixture(scope="module")
def server(
    prepared: PreparedDatabases, db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {"YRDMON_DATABASE_URL": prepared.reported(db_kind)}
    yield from serve(env, tmp_path_factory.mktemp("charts"))


def chart(browser, url: str) -> dict:  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, url)
    rendered_traces(page, "target-chart")
    got = page.evaluate(CHART_TEXTS)
    got["page_text"] = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    page.close()
    assert errors == [], errors
    return got


def whole_distinct_years(ticks: list[str]) -> bool:
    return bool(ticks) and all(re.fullmatch(r"\d{4}", t) for t in ticks) and len(set(ticks)) == len(ticks)


def test_a_target_without_data_says_so_and_keeps_its_marker(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    for lang, target, empty in (("zh", "目标值", "暂无数据"), ("en", "Target", "No data yet")):
        got = chart(browser, f"{server}{NO_DATA}?lang={lang}")
        assert empty in got["annotations"] and empty in got["svg"]
        assert got["names"] == [target] and got["xs"] == [[2025]]
        assert whole_distinct_years(got["ticks"]) and "2025" in got["ticks"], got["ticks"]
        if lang == "en":
            assert not [s for s in got["texts"] + got["svg"] if CJK.search(s or "")], got


def test_a_change_against_an_unknown_base_is_said_not_drawn(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    zh = chart(browser, f"{server}{BASED_NO_DATA}?lang=zh")
    assert zh["names"] == [] and any("较2017年下降10%" in a for a in zh["annotations"])
    assert "≤-10" not in zh["page_text"] and "较2017年下降10%" in zh["page_text"]
    en = chart(browser, f"{server}{BASED_NO_DATA}?lang=en")
    assert any("down at least 10% on 2017" in a for a in en["annotations"])
    assert not [s for s in en["texts"] + en["svg"] if CJK.search(s or "")], en


def test_a_target_with_data_in_both_languages(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    zh = chart(browser, f"{server}{WITH_DATA}?lang=zh")
    assert {"观测值", "目标值", "基期值"} <= set(zh["names"]) and "暂无数据" not in zh["annotations"]
    assert whole_distinct_years(zh["ticks"]), zh["ticks"]
    assert not any(re.search(r"\d\.\d{5,}|E\+|e\+", s or "") for s in zh["texts"]), zh["texts"]
    en = chart(browser, f"{server}{WITH_DATA}?lang=en")
    assert {"Observations", "Target", "Baseline"} <= set(en["names"])
    assert whole_distinct_years(en["ticks"]), en["ticks"]
    assert not [s for s in en["texts"] + en["svg"] if CJK.search(s or "")], en
