"""Server-rendered pages through the real app: content, language, login, CSRF, scopes, escaping."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.orm import Session

from service.db.models import Region, Role
from service.domain import users
from tests.support.factories import NOW
from tests.support.web import login, with_run


def test_pages_render_in_chinese_and_english(client: TestClient, session: Session) -> None:
    with_run(session)
    zh = client.get("/")
    assert zh.status_code == 200 and "目标达成矩阵" in zh.text and 'lang="zh-CN"' in zh.text
    en = client.get("/?lang=en")
    assert "Attainment grid" in en.text and en.cookies.get("yrdmon_lang") == "en"
    target = client.get("/targets/yrd-outline-2019/rd-intensity-2025")
    assert (
        target.status_code == 200
        and "研发投入强度达到3%以上" in target.text
        and "/static/plotly-basic.min.js" in target.text
    )
    assert client.get("/targets/yrd-outline-2019/rd-intensity-2025/data.csv").text.startswith(
        "\ufeffseries,year,value"
    )
    assert client.get("/indicators/rd_intensity").status_code == 200
    assert "末期评估" in client.get("/plans/yrd-outline-2019/evaluation?lang=zh").text  # the cookie said en
    missing = client.get("/targets/no/such")
    assert missing.status_code == 404
    js = client.get("/static/plotly-basic.min.js", headers={"Accept-Encoding": "gzip"})
    assert js.status_code == 200 and "immutable" in js.headers["cache-control"]
    assert js.headers.get("content-encoding") == "gzip"


def test_overview_filters_narrow_the_grid(client: TestClient, session: Session) -> None:
    with_run(session)
    everything = client.get("/").text
    hangzhou = client.get("/", params={"plan": "hangzhou-yrd-action-2019"}).text
    assert everything.count('class="cell"') > hangzhou.count('class="cell"') > 0
    assert "南汇新城" in everything and "南汇新城" not in hangzhou.split('id="grid"')[1]


def test_entry_needs_login_and_csrf_and_respects_regions(client: TestClient, session: Session) -> None:
    assert client.get("/entry", follow_redirects=False).status_code == 303
    csrf = login(client, session, "js", Role.EDITOR, ["330421"])
    form = {"csrf": csrf, "region": "330421", "year": "2024", "value_gdp": "880.5", "status": "final"}
    no_token = client.post("/entry", data={**form, "csrf": "forged"})
    assert no_token.status_code == 403
    ok = client.post("/entry", data=form)
    assert ok.status_code == 200 and "已保存 1 条（新增 1，修订 0）" in ok.text
    other = client.post("/entry", data={**form, "region": "310118"})
    assert other.status_code == 422 and "无权填报" in other.text
    revised = client.post("/entry", data={**form, "value_gdp": "884", "reason_gdp": "年报数据"})
    assert revised.status_code == 200 and "已保存 1 条（新增 0，修订 1）" in revised.text
    assert "/entry/history?indicator=gdp&region=330421&year=2024" in revised.text
    history = client.get("/entry/history", params={"indicator": "gdp", "region": "330421", "year": 2024})
    rows = history.text.split('id="history"')[1]
    assert rows.index("880.5") < rows.index("884") and "年报数据" in rows and rows.count(">js<") == 2


def test_what_users_typed_is_escaped(client: TestClient, session: Session) -> None:
    csrf = login(client, session, "js2", Role.EDITOR, ["330421"])
    evil = "<script>alert(1)</script>"
    csv_bytes = f"指标,地区,年份,数值\n{evil},嘉善县,2024,1\n".encode()
    response = client.post("/upload", data={"csrf": csrf}, files={"file": ("x.csv", csv_bytes, "text/csv")})
    assert response.status_code == 422
    assert evil not in response.text and "&lt;script&gt;" in response.text


def test_viewers_cannot_open_the_entry_form(client: TestClient, session: Session) -> None:
    users.create_user(session, username="v", role=Role.VIEWER, password="pw-123456", now=NOW)
    session.commit()
    client.post("/login", data={"username": "v", "password": "pw-123456"})
    assert client.get("/entry").status_code == 403
    bad = client.post("/login", data={"username": "v", "password": "wrong"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text


def test_subscriptions_page_subscribes_and_unsubscribes(client: TestClient, session: Session) -> None:
    users.create_user(
        session, username="lead", role=Role.VIEWER, email="lead@example.gov.cn", password="pw-123456", now=NOW
    )
    session.commit()
    client.post("/login", data={"username": "lead", "password": "pw-123456"})
    page = client.get("/subscriptions?lang=zh")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    created = client.post(
        "/subscriptions",
        data={
            "csrf": csrf,
            "plan": "yrd-outline-2019",
            "regions": "Z-YRD",
            "cadence": "weekly",
            "language": "zh",
        },
    )
    assert created.status_code == 200 and "lead@example.gov.cn" in created.text and "每周" in created.text
    bad = client.post("/subscriptions", data={"csrf": csrf, "regions": "NOWHERE"})
    assert bad.status_code == 422 and 'id="subscription-error"' in bad.text
    sub_id = re.search(r'name="delete" value="(\d+)"', created.text).group(1)  # type: ignore[union-attr]
    gone = client.post("/subscriptions", data={"csrf": csrf, "delete": sub_id})
    assert gone.status_code == 200 and "lead@example.gov.cn</td>" not in gone.text
    assert client.post("/subscriptions", data={"csrf": "forged", "regions": "Z-YRD"}).status_code == 403


def add_many_regions(session: Session, n: int, ended: bool = False) -> None:
    """``n`` counties, each with one 2035 GDP target of a plan of its own (no data: insufficient);
    with ``ended`` each has a 2020 one too (its year has passed: end-of-term, insufficient data)."""
    from decimal import Decimal

    from sqlalchemy import select

    from service.db.models import Comparator, DeclaredForm, Indicator, Plan, Region, Target

    gdp = session.scalar(select(Indicator).where(Indicator.code == "gdp"))
    assert gdp is not None
    plan = Plan(
        code="paging-test",
        title_zh="分页测试规划",
        title_en="Paging test plan",
        source_document="test",
        horizon_years=[2035],
        content_hash="x",
    )
    regions = [
        Region(
            code=f"P{i:04d}",
            name_zh=f"测试地区{i}",
            name_en=f"Test county {i}",
            level="county",
            aliases=[],
            content_hash="x",
        )
        for i in range(n)
    ]
    session.add_all([plan, *regions])
    session.flush()

    def gdp_target(region: Region, key: str, year: int) -> Target:
        return Target(
            plan_id=plan.id,
            key=key,
            indicator_id=gdp.id,
            region_id=region.id,
            unit="亿元",
            comparator=Comparator.GE,
            value=Decimal(100),
            target_year=year,
            declared_form=DeclaredForm.LEVEL,
            source_document="test",
            source_quote="测试",
            content_hash="x",
            valid_from=NOW - dt.timedelta(days=1),
        )

    session.add_all([gdp_target(r, f"gdp-{r.code}", 2035) for r in regions])
    if ended:
        session.add_all([gdp_target(r, f"old-{r.code}", 2020) for r in regions])
    session.commit()


def grid_columns(html: str) -> list[str]:
    head = html.split('id="grid"')[1].split("</thead>")[0]
    return re.findall(r'<th(?: class="name")?>([^<]*)</th>', head)[1:]


def test_overview_grid_pages_through_many_regions(client: TestClient, session: Session) -> None:
    from sqlalchemy import distinct, func, select

    from service.db.models import Target
    from service.web.data import REGION_SELECT_MAX, REGIONS_PER_PAGE

    n = REGION_SELECT_MAX + 40
    add_many_regions(session, n)
    with_run(session)
    total = session.scalar(select(func.count(distinct(Target.region_id))).where(Target.valid_to.is_(None)))
    assert total is not None and total > n
    first = client.get("/?lang=zh")
    assert first.status_code == 200 and len(grid_columns(first.text)) == REGIONS_PER_PAGE
    assert f"地区 1–{REGIONS_PER_PAGE}，共 {total} 个" in first.text
    assert 'href="/?lang=zh&amp;page=2#grid-title"' in first.text
    assert f">{-(-total // REGIONS_PER_PAGE)}</a>" in first.text  # the last page's link
    # so many regions: the region filter is a search box with suggestions, not a menu
    assert 'type="search" name="region" list="region-list"' in first.text
    assert first.text.count('<option value="测试地区') == n
    # the chart counts every target of the run, not only those on the page
    figure = json.loads(first.text.split('id="status-counts-data">')[1].split("</script>")[0])
    bars = [dict(zip(trace["y"], trace["x"], strict=True)) for trace in figure["data"]]
    assert sum(b.get("分页测试规划", 0) for b in bars) == n
    # page 2 of one plan, in English: the links keep the filter and the language
    second = client.get("/", params={"plan": "paging-test", "page": "2", "lang": "en"})
    columns = grid_columns(second.text)
    assert columns[0] == f"Test county {REGIONS_PER_PAGE}" and len(columns) == REGIONS_PER_PAGE
    assert f"Regions {REGIONS_PER_PAGE + 1}–{2 * REGIONS_PER_PAGE} of {n}" in second.text
    assert 'href="/?plan=paging-test&amp;lang=en&amp;page=3#grid-title"' in second.text
    assert 'aria-current="page">2<' in second.text
    # past the end: the last page; not a number: the first
    last = client.get("/", params={"plan": "paging-test", "page": "9999", "lang": "zh"})
    assert grid_columns(last.text)[-1] == f"测试地区{n - 1}"
    assert f'aria-current="page">{-(-n // REGIONS_PER_PAGE)}<' in last.text
    assert grid_columns(client.get("/?page=abc&lang=zh").text) == grid_columns(first.text)
    # one region, by name or by code: one column, no pages
    for region in ("测试地区7", "P0007", "Test county 7"):
        one = client.get("/", params={"region": region, "lang": "zh"})
        assert (
            grid_columns(one.text) == ["测试地区7"] and "共 1 个" in one.text and 'rel="next"' not in one.text
        )
    none = client.get("/", params={"region": "nowhere", "lang": "zh"})
    assert none.status_code == 200 and 'id="grid-empty"' in none.text and 'id="grid"' not in none.text


def test_target_page_of_a_large_plan(client: TestClient, session: Session) -> None:
    add_many_regions(session, 30)
    with_run(session)
    page = client.get("/targets/paging-test/gdp-P0003?lang=zh")
    assert page.status_code == 200 and "测试地区3" in page.text and "测试地区4" not in page.text


def test_overview_counts_are_kept_per_run(client: TestClient, session: Session) -> None:
    with_run(session)
    before = client.get("/?lang=zh").text
    add_many_regions(session, 5)
    assert client.get("/?lang=zh").text.count("测试地区") == before.count("测试地区") == 0  # not assessed yet
    with_run(session)  # a new run: the overview counts it afresh
    after = client.get("/?lang=zh").text
    total = int(re.search(r"共 (\d+) 个", before).group(1))  # type: ignore[union-attr]
    assert f"共 {total + 5} 个" in after and "分页测试规划" in after


def test_page_window() -> None:
    from service.web.data import page_window

    assert page_window(1, 1) == [1]
    assert page_window(2, 4) == [1, 2, 3, 4]
    assert page_window(7, 251) == [1, None, 5, 6, 7, 8, 9, None, 251]
    assert page_window(251, 251) == [1, None, 249, 250, 251]


def test_plotly_is_sent_compressed_once_and_versioned(client: TestClient, session: Session) -> None:
    from service.web.rendering import PLOTLY_JS

    with_run(session)
    script = PLOTLY_JS.read_bytes()
    version = hashlib.sha256(script).hexdigest()[:12]
    assert f'src="/static/plotly-basic.min.js?v={version}"' in client.get("/").text
    for _ in range(2):
        gz = client.get(f"/static/plotly-basic.min.js?v={version}", headers={"Accept-Encoding": "gzip"})
        assert gz.headers["content-encoding"] == "gzip" and gz.content == script  # httpx decompresses
        assert (
            int(gz.headers["content-length"]) < len(script) / 2 and "immutable" in gz.headers["cache-control"]
        )
        assert int(gz.headers["content-length"]) < 600_000  # what an office PC fetches on a cold cache
    plain = client.get("/static/plotly-basic.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == script
    licence = client.get("/static/plotly-basic.LICENSE.txt")
    assert licence.status_code == 200 and "MIT License" in licence.text and "Plotly" in licence.text
    assert client.get("/static/plotly.min.js").status_code == 404  # the full 4.8 MB bundle is not sent


def test_plotly_bundle_matches_the_python_package_and_holds_every_trace_type() -> None:
    """The vendored partial bundle is the plotly.js version the Python package ships (upgrade both
    together), and every trace type the pages draw is one it holds."""
    import re

    from service.web import charts
    from service.web.rendering import PLOTLY_JS
    from service.web.routes import PLOTLY_FULL_JS, PLOTLY_TRACES

    def version(path: Path) -> str:
        head = path.read_text(encoding="utf-8")[:200]
        found = re.search(r"plotly\.js(?: \(basic - minified\))? v(\d+\.\d+\.\d+)", head)
        assert found, head
        return found[1]

    assert "(basic - minified)" in PLOTLY_JS.read_text(encoding="utf-8")[:200]
    assert version(PLOTLY_JS) == version(PLOTLY_FULL_JS)
    # "type" also names axis and error-bar kinds; every other value in charts.py is a trace type
    not_traces = {"data", "percent", "constant", "sqrt", "linear", "log", "date", "category", "multicategory"}
    drawn = (
        set(re.findall(r'"type": "(\w+)"', Path(charts.__file__).read_text(encoding="utf-8"))) - not_traces
    )
    assert {"scatter", "bar"} <= drawn <= PLOTLY_TRACES, drawn - PLOTLY_TRACES


def table_rows(html: str, table_id: str) -> list[str]:
    """The target links of a table's rows (``plan/key``)."""
    if f'id="{table_id}"' not in html:
        return []
    body = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    return re.findall(r'<tr><td><a href="/targets/([^"?]+)\?', body)


def chart_figure(html: str, chart_id: str) -> dict:
    return json.loads(html.split(f'id="{chart_id}-data">')[1].split("</script>")[0])


def test_evaluation_pages_each_table_of_a_large_plan(client: TestClient, session: Session) -> None:
    from service.web.data import ROWS_PER_PAGE

    n = 2 * ROWS_PER_PAGE + 30
    add_many_regions(session, n, ended=True)
    with_run(session)
    base = "/plans/paging-test/evaluation"
    first = client.get(base, params={"lang": "zh"})
    assert first.status_code == 200
    ended, later = table_rows(first.text, "end-of-term"), table_rows(first.text, "mid-term")
    assert ended == [f"paging-test/old-P{i:04d}" for i in range(ROWS_PER_PAGE)]
    assert later == [f"paging-test/gdp-P{i:04d}" for i in range(ROWS_PER_PAGE)]
    assert first.text.count(f"第 1–{ROWS_PER_PAGE} 条，共 {n} 条") == 2
    # the chart counts every end-of-term target, not only those on the page
    figure = chart_figure(first.text, "verdict-chart")
    assert sum(figure["data"][0]["y"]) == n and figure["data"][0]["x"] == ["数据不足"]
    # each table's links keep the language and the other table's page
    assert f'href="{base}?lang=zh&amp;mid_page=1&amp;eot_page=2#end-of-term-title"' in first.text
    assert f'href="{base}?lang=zh&amp;eot_page=1&amp;mid_page=3#mid-term-title"' in first.text
    second = client.get(base, params={"eot_page": "2", "mid_page": "3", "lang": "en"})
    ended, later = table_rows(second.text, "end-of-term"), table_rows(second.text, "mid-term")
    assert ended[0] == f"paging-test/old-P{ROWS_PER_PAGE:04d}" and len(ended) == ROWS_PER_PAGE
    assert later == [f"paging-test/gdp-P{i:04d}" for i in range(2 * ROWS_PER_PAGE, n)]
    assert f"Rows {ROWS_PER_PAGE + 1}–{2 * ROWS_PER_PAGE} of {n}" in second.text
    assert f"Rows {2 * ROWS_PER_PAGE + 1}–{n} of {n}" in second.text
    assert f'href="{base}?lang=en&amp;mid_page=3&amp;eot_page=3#end-of-term-title"' in second.text
    assert f'href="{base}?lang=en&amp;eot_page=2&amp;mid_page=1#mid-term-title"' in second.text
    assert 'aria-current="page">2<' in second.text and 'aria-current="page">3<' in second.text
    assert '<input type="hidden" name="mid_page" value="3">' in second.text  # the jump form keeps it too
    assert "Plan evaluation" in second.text and "末期评估" not in second.text
    # past the end: the last page; not a number: the first
    last = client.get(base, params={"eot_page": "9999", "mid_page": "0", "lang": "zh"})
    assert table_rows(last.text, "end-of-term")[-1] == f"paging-test/old-P{n - 1:04d}"
    assert len(table_rows(last.text, "end-of-term")) == n - 2 * ROWS_PER_PAGE
    assert table_rows(last.text, "mid-term")[0] == "paging-test/gdp-P0000"
    assert f'aria-current="page">{-(-n // ROWS_PER_PAGE)}<' in last.text
    assert table_rows(client.get(base, params={"eot_page": "abc"}).text, "end-of-term") == table_rows(
        first.text, "end-of-term"
    )
    # filters: the links keep them; the chart still counts every target
    missed = client.get(base, params={"verdict": "missed", "lang": "zh"})
    assert 'id="end-of-term-empty"' in missed.text and "共 0 条" in missed.text
    assert sum(chart_figure(missed.text, "verdict-chart")["data"][0]["y"]) == n
    short = client.get(
        base,
        params={"verdict": "insufficient_data", "status": "insufficient_data", "eot_page": "2", "lang": "zh"},
    )
    assert len(table_rows(short.text, "end-of-term")) == ROWS_PER_PAGE and f"共 {n} 条" in short.text
    assert (
        f'href="{base}?verdict=insufficient_data&amp;status=insufficient_data&amp;lang=zh&amp;mid_page=1'
        f'&amp;eot_page=3#end-of-term-title"'
    ) in short.text
    assert '<option value="insufficient_data" selected>' in short.text
    for region in ("P0007", "测试地区7", "Test county 7"):
        one = client.get(base, params={"region": region, "lang": "zh", "eot_page": "5"})
        assert table_rows(one.text, "end-of-term") == ["paging-test/old-P0007"]
        assert table_rows(one.text, "mid-term") == ["paging-test/gdp-P0007"]
        assert one.text.count("第 1–1 条，共 1 条") == 2 and 'rel="next"' not in one.text
    evil = client.get(base, params={"region": "<b>x</b>", "lang": "zh"})
    assert evil.status_code == 422 and "<b>x</b>" not in evil.text and "&lt;b&gt;x&lt;/b&gt;" in evil.text
    # the CSV still has every target
    csv_text = client.get(base + ".csv").text
    ids = [line.split(",")[0] for line in csv_text.splitlines()[1:]]
    assert len(ids) == 2 * n and "paging-test/old-P0000" in ids and f"paging-test/gdp-P{n - 1:04d}" in ids
    assert client.get("/plans/no-such-plan/evaluation").status_code == 404


def test_evaluation_of_a_small_plan_has_one_page(client: TestClient, session: Session) -> None:
    from service.reports.queries import evaluation, latest_live_run

    with_run(session)
    page = client.get("/plans/yrd-outline-2019/evaluation?lang=zh")
    run = latest_live_run(session)
    assert run is not None
    d = evaluation(session, run, "yrd-outline-2019")
    assert table_rows(page.text, "end-of-term") == [r["id"] for r in d["end_of_term"]]
    assert table_rows(page.text, "mid-term") == [r["id"] for r in d["mid_term"]]
    figure = chart_figure(page.text, "verdict-chart")
    labels = {
        "提前实现": "achieved_early",
        "已实现": "achieved",
        "未实现": "missed",
        "数据不足": "insufficient_data",
    }
    counts = {labels[x]: y for x, y in zip(figure["data"][0]["x"], figure["data"][0]["y"], strict=True)}
    assert counts == d["end_of_term_counts"]
    assert 'rel="next"' not in page.text and "jump" not in page.text
    # in English the tables name indicators and regions in English
    english = client.get("/plans/yrd-outline-2019/evaluation?lang=en").text
    first = (d["end_of_term"] or d["mid_term"])[0]
    assert (
        f">{escape(first['indicator_en'])}</a>" in english
        and f'<td class="name">{escape(first["region_en"])}</td>' in english
    )
    assert f">{escape(first['indicator'])}</a>" not in english


def test_the_evaluation_region_filter_is_a_picker_by_name(client: TestClient, session: Session) -> None:
    """The evaluation's region filter lists the plan's regions by name (the value is the code, so links and
    API users' codes keep working); an unknown region gets a message in the page's language, not all rows."""
    from sqlalchemy import select

    from service.reports.queries import evaluation, latest_live_run

    with_run(session)
    run = latest_live_run(session)
    assert run is not None
    d = evaluation(session, run, "yrd-outline-2019")
    rows = d["end_of_term"] + d["mid_term"]
    region = next(r for r in rows if r["region"])
    code = session.scalar(select(Region.code).where(Region.name_zh == region["region"]))
    page = client.get("/plans/yrd-outline-2019/evaluation?lang=zh").text
    options = re.findall(r'<option class="name" value="([^"]+)" >([^<]+)</option>', page)
    assert (code, region["region"]) in options and len(options) == len({r["region"] for r in rows})
    english = client.get("/plans/yrd-outline-2019/evaluation?lang=en").text
    assert f'value="{code}" >{escape(region["region_en"])}</option>' in english
    for given in (code, region["region"], region["region_en"]):
        picked = client.get("/plans/yrd-outline-2019/evaluation", params={"region": given, "lang": "zh"})
        assert picked.status_code == 200 and f'value="{code}" selected>' in picked.text
        shown = table_rows(picked.text, "end-of-term") + table_rows(picked.text, "mid-term")
        assert shown and set(shown) == {r["id"] for r in rows if r["region"] == region["region"]}
    for lang, said in (
        ("zh", "本规划没有名称或代码为“火星”的地区"),
        ("en", "This plan has no region named or coded “火星”"),
    ):
        unknown = client.get("/plans/yrd-outline-2019/evaluation", params={"region": "火星", "lang": lang})
        assert unknown.status_code == 422 and said in unknown.text
        assert table_rows(unknown.text, "end-of-term") + table_rows(unknown.text, "mid-term") == []


def test_indicator_page_pages_its_regions(client: TestClient, session: Session) -> None:
    from sqlalchemy import distinct, func, select

    from service.db.models import Assessment, Indicator, Target
    from service.web.data import INDICATOR_REGIONS_PER_PAGE as PER_PAGE

    n = 2 * PER_PAGE + 20
    add_many_regions(session, n)
    with_run(session)
    in_run = (Assessment.target_id == Target.id, Target.indicator_id == Indicator.id, Indicator.code == "gdp")
    regions = session.scalar(select(func.count(distinct(Target.region_id))).where(*in_run))
    targets = session.scalar(
        select(func.count(Assessment.id)).where(
            *in_run, Assessment.run_id == session.scalar(select(func.max(Assessment.run_id)))
        )
    )
    assert regions is not None and regions >= n and targets is not None and targets >= n
    first = client.get("/indicators/gdp?lang=zh")
    assert first.status_code == 200
    rows = table_rows(first.text, "regions")
    figure = chart_figure(first.text, "regions-chart")
    assert 0 < len(rows) == len(figure["data"][0]["x"]) and len(set(figure["data"][0]["x"])) <= len(rows)
    assert f"地区 1–{PER_PAGE}，共 {regions} 个" in first.text and 'id="chart-note"' in first.text
    assert 'href="/indicators/gdp?lang=zh&amp;page=2#regions-title"' in first.text
    pages = -(-regions // PER_PAGE)
    last = client.get("/indicators/gdp", params={"page": "9999", "lang": "en"})
    assert f'aria-current="page">{pages}<' in last.text
    assert f"Regions {(pages - 1) * PER_PAGE + 1}–{regions} of {regions}" in last.text
    assert f"The chart shows this page&#39;s regions {(pages - 1) * PER_PAGE + 1}–{regions}" in last.text
    shown = table_rows(last.text, "regions")
    assert len(chart_figure(last.text, "regions-chart")["data"][0]["x"]) == len(shown) > 0
    every = [
        table_rows(client.get("/indicators/gdp", params={"page": str(p)}).text, "regions")
        for p in range(1, pages + 1)
    ]
    assert sum(len(rows) for rows in every) == targets and len({r for rows in every for r in rows}) == targets
    assert f"paging-test/gdp-P{n - 1:04d}" in every[-1]
    csv_rows = client.get("/indicators/gdp/data.csv").text.splitlines()[1:]
    assert len(csv_rows) == targets


def test_plans_page_lists_every_plan_with_its_evaluation(client: TestClient, session: Session) -> None:
    from sqlalchemy import func, select

    from service.db.models import Plan, Target

    plans = session.scalars(select(Plan).order_by(Plan.code)).all()
    with_targets = set(
        session.scalars(
            select(Plan.code)
            .join(Target, Target.plan_id == Plan.id)
            .where(Target.valid_to.is_(None))
            .group_by(Plan.code)
            .having(func.count() > 0)
        )
    )
    zh = client.get("/plans?lang=zh")
    assert zh.status_code == 200 and 'href="/plans"' in zh.text  # the menu leads here
    rows = zh.text.split('id="plans"')[1].split("</tbody>")[0].split("<tr>")[2:]
    assert len(rows) == len(plans)
    for plan, row in zip(plans, rows, strict=True):
        assert escape(plan.title_zh) in row
        linked = f'href="/plans/{plan.code}/evaluation?lang=zh"' in row
        assert linked == (plan.code in with_targets), plan.code
        if plan.code not in with_targets:
            assert "无量化目标" in row  # the research article and the proposal: baselines only
    en = client.get("/plans?lang=en").text
    assert all(escape(p.title_en) in en for p in plans) and "Targets by target year" in en


def test_status_chart_counts_whole_targets_on_a_short_axis() -> None:
    from service.web.charts import status_counts

    few = status_counts([{"title": "甲", "counts": {"missed": 2}}], "zh")["layout"]["xaxis"]
    many = status_counts([{"title": "甲", "counts": {"missed": 2, "on_track": 40}}], "zh")["layout"]["xaxis"]
    assert few["dtick"] == 1 and few["rangemode"] == "tozero"
    assert "dtick" not in many  # a long axis keeps Plotly's own ticks
