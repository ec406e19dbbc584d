"""Every page, as an administrator, an editor and a viewer would open it, in Chinese and in English, on a
desktop and at phone width (390 px), in a real Chromium:

- a Chinese page shows no English prose and an English page no Chinese, outside names and quotes (region,
  indicator and plan names, the documents' sentences), which templates mark with ``lang="zh"`` / the
  class ``name``;
- at 390 px the page itself never scrolls sideways (a wide table may scroll inside its own box);
- screenshots of each (desktop and phone, zh and en) go to test-artifacts/screens/see/.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.config import PROJECT_ROOT
from tests.support.databases import PreparedDatabases
from tests.support.servers import serve

SHOTS = PROJECT_ROOT / "test-artifacts" / "screens" / "see"
PASSWORD = "see-every-page-1"
PHONE = 390
SHOT_MAX_HEIGHT = 5000  # the overview's grid is ~40,000 px tall on a phone: its top is what people see

# Text the language check leaves out: names and quotes (marked in templates), scripts, chart internals
# that Plotly draws from data (checked through the figure's own title/axis texts below), and codes.
STRIP_MARKED = """
(() => {
  const root = document.body.cloneNode(true);
  root.querySelectorAll('script,style,[lang]:not(html),.name,.js-plotly-plot,.chart,code,kbd,input,textarea,'
    + 'datalist').forEach(e => e.remove());
  return root.innerText;
})()
"""
CHART_TEXTS = """
Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(d => {
  const l = d.layout || {}; const out = [];
  const title = x => x && (typeof x === 'string' ? x : x.text);
  out.push(title(l.title));
  Object.keys(l).filter(k => /^[xy]axis/.test(k)).forEach(k => out.push(title(l[k].title)));
  (l.annotations || []).forEach(a => out.push(a.text));
  return out.filter(Boolean);
})
"""
HAN = re.compile(r"[\u3400-\u9fff\uff08\uff09\uff0c\u3001\u3002\uff1a\uff1b]")
# English words of three or more letters, but not units, codes or abbreviations people use in Chinese
# (CSV, XLSX, GDP, API, R&D, PM2.5, 5G, ...)
ALLOWED_LATIN = {
    "csv", "xlsx", "docx", "html", "json", "gdp", "api", "yaml", "pdf", "txt", "utf", "gb", "english",
    "pm", "yrdmon", "excel", "word", "admin", "editor", "viewer", "plotly", "cpi", "co", "ppi", "kwh", "nox", "cod",
}  # fmt: skip
HAN_RUN = re.compile(HAN.pattern + "+")
WORD = re.compile(r"[A-Za-z]{3,}")


def english_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w.lower() not in ALLOWED_LATIN | CATALOG_UNITS]


def catalog_units() -> set[str]:
    """Latin letters in the catalog's units (EFLOPS, TEU): a unit is written the same in Chinese."""
    import yaml

    indicators = yaml.safe_load((PROJECT_ROOT / "indicators" / "indicators.yaml").read_text(encoding="utf-8"))
    items = indicators["indicators"] if isinstance(indicators, dict) else indicators
    return {w.lower() for i in items for w in WORD.findall(str(i.get("unit") or ""))}


CATALOG_UNITS = catalog_units()


@pytest.fixture(scope="module")
def site(
    prepared: PreparedDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """The service on SQLite as `make run` leaves it (catalog, published figures, a report run), with one
    admin, one editor (Hangzhou) and one viewer, and one plan-reader reading to review."""
    from service.db.models import Role, WritePath
    from service.db.session import make_engine, make_sessionmaker, transaction
    from service.domain import plan_review, review, users
    from service.domain.observations import ObservationInput, ingest
    from tests.support.samples import PLAN

    tmp = tmp_path_factory.mktemp("see")
    env = {"YRDMON_DATABASE_URL": prepared.reported("sqlite")}  # init and a report run, copied
    engine = make_engine(env["YRDMON_DATABASE_URL"])
    now = dt.datetime.now(dt.UTC)
    with transaction(make_sessionmaker(engine)) as session:
        chief = users.create_user(session, username="chief", role=Role.ADMIN, password=PASSWORD, now=now)
        session.flush()
        plan_review.create_reading(session, chief, filename="city-plan.txt", content=PLAN.encode(),
                                   plan_code="test-city-15th-fyp", plan_title="上海市青浦区国民经济和社会发展第十五个五年规划纲要",
                                   issued="2026", now=now)  # fmt: skip
        hz = users.create_user(session, username="hz", role=Role.EDITOR, password=PASSWORD,
                               region_codes=["330100"], now=now)  # fmt: skip
        users.create_user(session, username="reader", role=Role.VIEWER, password=PASSWORD, now=now)
        # review on, with one figure submitted: the review pages show a queue, not only "review is off"
        review.set_policy(session, enabled=True, actor=None, now=now)
        session.flush()
        submitted = ingest(session, hz, [ObservationInput(row=1, indicator="gdp", region="330100", period=2025,
                                                          value="23500", unit="亿元", status="preliminary",
                                                          source="杭州市2025年国民经济和社会发展统计公报",
                                                          confirm=True)],
                           path=WritePath.WEB, now=now)  # fmt: skip
        assert submitted.applied, submitted.as_dict(all_rows=False)
    engine.dispose()
    for base in serve(env, tmp):
        yield base, env


def login(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    assert "/login" not in page.url, username
    page.close()
    return context


def pages(base: str, context, editor) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(name, path, who): every page a user reaches from the menu and the links on it."""
    page = editor.new_page()
    page.goto(base + "/entry?year=2025")
    history = page.locator("a[href^='/entry/history']").first.get_attribute("href")  # a figure with versions
    page.close()
    page = context.new_page()
    page.goto(base + "/plans/yrd-outline-2019")
    target = page.locator("a[href^='/targets/']").first.get_attribute("href")
    page.goto(base + "/")
    indicator = page.locator("a[href^='/indicators/']").first.get_attribute("href")
    page.close()
    assert target and indicator and history
    return [
        ("overview", "/", "viewer"),
        ("plans", "/plans", "viewer"),
        ("plan", "/plans/yrd-outline-2019", "viewer"),
        ("evaluation", "/plans/yrd-outline-2019/evaluation", "viewer"),
        ("target", "/targets/yrd-outline-2019/rd-intensity-2025", "viewer"),
        ("target-other", target, "viewer"),
        ("indicator", indicator, "viewer"),
        ("login", "/login", "anonymous"),
        ("entry", "/entry", "editor"),
        ("entry-admin", "/entry", "admin"),
        ("history", history, "editor"),
        ("upload", "/upload", "editor"),
        ("subscriptions", "/subscriptions", "viewer"),
        ("plan-reader", "/plan-reader", "admin"),
        ("plan-review", "/plan-reader/1", "admin"),
        ("forbidden", "/upload", "viewer"),
        ("review", "/review", "admin"),
        ("review-editor", "/review", "editor"),
        ("upload-preview", UPLOAD_PREVIEW, "editor"),
        ("organisations", "/organisations", "viewer"),
        ("organisation", "/organisations/nj-fgw", "viewer"),
        ("breakdown", "/targets/yrd-outline-2019/rd-intensity-2025/breakdown", "viewer"),
        ("annual", "/plans/nanjing-15th-outline/annual?year=2026", "admin"),
    ]


# a bulletin's table as an office keeps it (wide: indicators down the side, one year in the title), with a
# label the catalog does not know: the preview reads it, offers a name and lists the figures
UPLOAD_PREVIEW = "/upload#preview"
BULLETIN = """\
杭州市2025年国民经济和社会发展统计公报主要指标,,,
,,,
指标,单位,绝对数,比上年增长（%）
地区生产总值,亿元,"23,500.1",5.5
常住人口,万人,1262.4,0.9
高企数量,家,16000,12.0
资料来源：杭州市统计局《2025年杭州市国民经济和社会发展统计公报》,,,
"""


def open_path(page, base: str, path: str, lang: str, tmp) -> None:  # type: ignore[no-untyped-def]
    """Open a page; the upload preview is the page a wide table's upload answers with."""
    if path != UPLOAD_PREVIEW:
        page.goto(base + with_lang(path, lang))
        return
    table = tmp / "杭州公报.csv"
    table.write_bytes(BULLETIN.encode("gb18030"))
    page.goto(base + with_lang("/upload", lang))
    page.set_input_files("#upload-form input[type=file]", str(table))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    assert page.locator("#reading").count() == 1, page.content()[:2000]


def with_lang(path: str, lang: str) -> str:
    path = re.sub(r"[?&]lang=\w+$|lang=\w+&", "", path)  # links found on a page carry the page's language
    return path + ("&" if "?" in path else "?") + f"lang={lang}"


def test_every_page_speaks_one_language_and_fits_a_phone(browser, site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    tmp = tmp_path
    SHOTS.mkdir(parents=True, exist_ok=True)
    contexts = {"admin": login(browser, base, "chief"), "editor": login(browser, base, "hz"),
                "viewer": login(browser, base, "reader"), "anonymous": browser.new_context()}  # fmt: skip
    problems: list[str] = []
    widths: dict[str, int] = {}
    started = time.monotonic()
    for name, path, who in pages(base, contexts["viewer"], contexts["editor"]):
        print(f"{name}: {time.monotonic() - started:.1f} s")
        for lang in ("zh", "en"):
            for width in (1280, PHONE):
                context = contexts[who]
                page = context.new_page()
                page.set_viewport_size({"width": width, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                open_path(page, base, path, lang, tmp)
                page.wait_for_load_state("load")
                if page.locator(".js-plotly-plot").count():
                    page.wait_for_function(
                        "Array.from(document.querySelectorAll('.chart')).every(d => d.dataset.rendered)",
                        timeout=20_000,
                    )
                shot = SHOTS / f"{name}-{lang}-{'phone' if width == PHONE else 'desktop'}.png"
                height = int(page.evaluate("document.documentElement.scrollHeight"))
                clip = {"x": 0, "y": 0, "width": width, "height": min(height, SHOT_MAX_HEIGHT)}
                page.screenshot(path=str(shot), full_page=True, clip=clip)
                where = f"{name} ({path}, {lang}, {width}px)"
                if errors:
                    problems.append(f"{where}: script errors {errors}")
                if width == PHONE:
                    scroll = int(page.evaluate("document.documentElement.scrollWidth"))
                    widths[f"{name}-{lang}"] = scroll
                    if scroll > PHONE:
                        problems.append(f"{where}: the page is {scroll} px wide")
                    continue
                text = page.evaluate(STRIP_MARKED) + "\n" + "\n".join(page.evaluate(CHART_TEXTS))
                if lang == "zh":
                    words = english_words(text)
                    if words:
                        problems.append(f"{where}: English under zh: {sorted(set(words))[:12]}")
                else:
                    runs = {
                        text[max(0, m.start() - 25) : m.end() + 5].replace("\n", " ")
                        for m in HAN_RUN.finditer(text)
                    }
                    if runs:
                        problems.append(f"{where}: Chinese under en: {sorted(runs)[:12]}")
                page.close()
    for context in contexts.values():
        context.close()
    print("page widths at 390 px:", widths)
    assert problems == [], "\n".join(problems)
