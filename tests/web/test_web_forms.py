"""Issue 16, points 1, 3 and 8: the entry form and the upload page say what happened (saved N, or nothing
saved and why, in the page's language), keep what was typed, read percent-formatted Excel cells as
percentages, and open on a region with something to fill in. Both databases, through the real app."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import Indicator, Observation, ObservationStatus, Role
from tests.support.factories import num
from tests.support.web import login


def stored(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Observation).where(Observation.status != ObservationStatus.PLAN_BASELINE)
    ) or 0  # fmt: skip


def field_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    found = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return found.group(1) if found else None


def ticked(html: str, name: str) -> bool:
    found = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', html)
    assert found is not None, name
    return " checked" in found.group(0)


def headline(html: str) -> str:
    found = re.search(r'id="result-headline">(.*?)</p>', html, re.S)
    assert found is not None
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_a_refused_entry_says_nothing_was_saved_and_keeps_what_was_typed(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, session, "keep", Role.EDITOR, ["330421"])
    form = {"csrf": csrf, "region": "330421", "year": "2024", "status": "preliminary", "source": "嘉善县统计局",
            "published": "2025-03-01", "value_gdp": "880.5", "reason_gdp": "快报", "value_network_5g_coverage": "120",
            "confirm_gdp": "1", "break_gdp": "1"}  # fmt: skip
    page = client.post("/entry", data=form)
    assert page.status_code == 422
    text = headline(page.text)
    assert text.startswith("未保存任何数据") and "已保存" not in page.text, text
    assert "1 条有问题，整批未保存（其余 1 条也未保存）" in text
    problems = page.text.split('id="result-problems"')[1].split("</table>")[0]
    assert "5G网络覆盖率" in problems and "数值：" in problems and "比重应在 0–100 % 之间" in problems
    assert "value:" not in page.text and "revision_reason" not in problems
    # everything typed is back in the form, the bad line marked
    assert field_value(page.text, "value_gdp") == "880.5" and field_value(page.text, "reason_gdp") == "快报"
    assert field_value(page.text, "value_network_5g_coverage") == "120"
    assert ticked(page.text, "confirm_gdp") and ticked(page.text, "break_gdp")
    assert not ticked(page.text, "confirm_network_5g_coverage")
    assert (
        field_value(page.text, "source") == "嘉善县统计局"
        and field_value(page.text, "published") == "2025-03-01"
    )
    assert '<option value="preliminary" selected>' in page.text
    assert 'class="flagged"' in page.text and 'aria-invalid="true"' in page.text
    assert stored(session) == 0

    english = client.post("/entry?lang=en", data=form)
    text = headline(english.text)
    assert text.startswith("Nothing was saved") and "Saved" not in text
    assert "5G network coverage" in english.text and "revision_reason" not in english.text

    # corrected, the same form saves both lines and says so
    fixed = client.post("/entry?lang=zh", data={**form, "value_network_5g_coverage": "98.5"})
    assert fixed.status_code == 200
    assert headline(fixed.text) == "已保存 2 条（新增 2，修订 0）"
    assert field_value(fixed.text, "value_gdp") == ""  # saved: the table shows the stored figures
    assert stored(session) == 2


def test_entry_results_name_revisions_unchanged_figures_and_dry_runs(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, session, "res", Role.EDITOR, ["330421"])
    form = {"csrf": csrf, "region": "330421", "year": "2024", "status": "final", "value_gdp": "880.5"}
    assert headline(client.post("/entry", data=form).text) == "已保存 1 条（新增 1，修订 0）"
    same = client.post("/entry", data=form)
    assert same.status_code == 200 and headline(same.text) == "未保存任何数据：所填 1 条与已存数值相同"
    nothing = client.post("/entry", data={**form, "value_gdp": ""})
    assert headline(nothing.text) == "未保存任何数据：没有填写任何数值"
    no_reason = client.post("/entry", data={**form, "value_gdp": "884"})
    assert no_reason.status_code == 422 and headline(no_reason.text).startswith("未保存任何数据")
    assert "修订原因：该年份已有数值 880.5，修订需填写修订原因" in no_reason.text
    dry = client.post("/entry", data={**form, "value_gdp": "884", "reason_gdp": "年报", "dry_run": "1"})
    assert dry.status_code == 200
    assert headline(dry.text) == "试运行，未写入任何数据：提交后将保存 1 条（新增 0，修订 1）"
    assert field_value(dry.text, "value_gdp") == "884" and ticked(dry.text, "dry_run")
    revised = client.post("/entry?lang=en", data={**form, "value_gdp": "884", "reason_gdp": "年报"})
    assert headline(revised.text) == "Saved 1 (added 0, revised 1)"
    assert stored(session) == 2


def test_a_held_figure_tells_the_form_to_tick_and_a_file_to_fill_the_column(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, session, "hold", Role.EDITOR, ["330421"])
    form = {"csrf": csrf, "region": "330421", "year": "2024", "status": "final", "value_gdp": "0"}
    page = client.post("/entry", data=form)
    assert (
        page.status_code == 422
        and "需确认" in page.text
        and "请勾选该行的“确认异常值”后重新保存" in page.text
    )
    assert "确认”列" not in page.text
    upload = client.post("/upload", data={"csrf": csrf}, files={"file": ("g.csv", "指标,地区,年份,数值\ngdp,330421,2024,0\n".encode(), "text/csv")})  # fmt: skip
    assert upload.status_code == 422 and "请在文件该行的“确认”列填“是”后重新上传" in upload.text
    assert "勾选" not in upload.text.split('id="result"')[1].split("</div>")[0]
    confirmed = client.post("/upload", data={"csrf": csrf}, files={"file": ("g.csv", "指标,地区,年份,数值,确认\ngdp,330421,2024,0,是\n".encode(), "text/csv")})  # fmt: skip
    assert confirmed.status_code == 200 and headline(confirmed.text) == "已保存 1 条（新增 1，修订 0）"


def test_upload_results_say_what_was_saved(client: TestClient, session: Session) -> None:
    csrf = login(client, session, "upl", Role.EDITOR, ["330421"])
    bad = "指标,地区,年份,数值,单位\ngdp,330421,2023,870,亿元\nnetwork_5g_coverage,330421,2023,120,%\n"

    def send(text: str, lang: str = "zh", **extra: str):  # type: ignore[no-untyped-def]
        files = {"file": ("f.csv", text.encode(), "text/csv")}
        return client.post(f"/upload?lang={lang}", data={"csrf": csrf, **extra}, files=files)

    refused = send(bad)
    assert refused.status_code == 422 and "已保存" not in refused.text
    assert headline(refused.text).startswith(
        "未保存任何数据：1 行有问题，整个文件未保存（其余 1 行也未保存）"
    )
    problems = refused.text.split('id="result-problems"')[1]
    assert "第 3 行" in problems and "数值：" in problems and "value:" not in refused.text
    english = send(bad, "en")
    assert "Row 3" in english.text and headline(english.text).startswith("Nothing was saved")
    empty = send("  \n")
    assert empty.status_code == 422 and headline(empty.text) == "未保存任何数据：文件为空"
    dry = send(bad.replace(",120,", ",98,"), dry_run="true")
    assert headline(dry.text).startswith("试运行，未写入任何数据：提交后将保存 2 条")
    assert re.search(r'name="dry_run" value="true" checked', dry.text)
    assert stored(session) == 0
    saved = send(bad.replace(",120,", ",98,"))
    assert saved.status_code == 200 and headline(saved.text) == "已保存 2 条（新增 2，修订 0）"
    assert stored(session) == 2


def test_percent_formatted_excel_cells_are_read_as_percentages(client: TestClient, session: Session) -> None:
    from openpyxl import Workbook

    csrf = login(client, session, "pct", Role.EDITOR, ["330421"])
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["指标", "地区", "年份", "数值"])
    ws.append(["rd_intensity", "330421", 2023, 0.0415])
    ws.append(["network_5g_coverage", "330421", 2023, 0.985])
    ws.append(["gdp", "330421", 2023, 870.5])
    ws["D2"].number_format = "0.00%"
    ws["D3"].number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    page = client.post("/upload", data={"csrf": csrf}, files={"file": ("p.xlsx", buf.getvalue(), "application/octet-stream")})  # fmt: skip
    assert page.status_code == 200 and headline(page.text) == "已保存 3 条（新增 3，修订 0）", page.text
    got: dict[str, Decimal | None] = dict(session.execute(
        select(Indicator.code, Observation.value).join(Indicator, Observation.indicator_id == Indicator.id)
        .where(Observation.period == 2023, Observation.status != ObservationStatus.PLAN_BASELINE)
    ).tuples().all())  # fmt: skip
    assert {k: num(v) for k, v in got.items()} == {
        "rd_intensity": 4.15,
        "network_5g_coverage": 98.5,
        "gdp": 870.5,
    }


def test_templates_have_a_confirm_column_the_import_reads(client: TestClient, session: Session) -> None:
    from openpyxl import load_workbook

    from service.domain.tabular import read_table

    for fmt in ("xlsx", "csv"):
        body = client.get("/api/v1/templates", params={"region": "330421", "format": fmt}).content
        if fmt == "xlsx":
            header = [
                c.value for c in next(iter(load_workbook(io.BytesIO(body)).active.iter_rows(max_row=1)))
            ]
        else:
            header = body.decode("utf-8-sig").splitlines()[0].split(",")
        assert "确认" in header, header
    text = body.decode("utf-8-sig").splitlines()
    first = text[1].split(",")
    first[header.index("数值")] = "0"
    first[header.index("确认")] = "是"
    (row,) = read_table("t.csv", "\n".join([",".join(header), ",".join(first)]).encode())
    assert row.confirm is True


def test_an_administrators_entry_opens_on_a_region_with_targets(client: TestClient, session: Session) -> None:
    login(client, session, "boss", Role.ADMIN, [])
    page = client.get("/entry")
    selected = re.search(r'<option value="([^"]+)" selected>', page.text)
    assert selected is not None and selected.group(1) != "100000"
    assert page.text.count('name="value_') >= 1  # a table to fill in, not an empty one


def test_subscriptions_are_picked_by_name_and_listed_by_name(client: TestClient, session: Session) -> None:
    from service.domain import users
    from tests.support.factories import NOW

    users.create_user(session, username="reader", role=Role.VIEWER, email="reader@example.gov.cn",
                      password="pw-123456", now=NOW)  # fmt: skip
    session.commit()
    client.post("/login", data={"username": "reader", "password": "pw-123456"})
    page = client.get("/subscriptions?lang=zh")
    assert '<option value="330421" label="嘉善县">' in page.text
    assert '<option value="rd_intensity" label="研究与试验发展经费投入强度">' in page.text
    assert page.text.count('list="region-choices"') == 3 and "Z-DEMO, 330421" not in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    bad = client.post("/subscriptions", data={"csrf": csrf, "region": ["嘉善县", "不存在县"], "indicator": "研发投入强度",
                                              "cadence": "weekly", "plan": "yrd-outline-2019"})  # fmt: skip
    assert (
        bad.status_code == 422 and "不存在县" in bad.text.split('id="subscription-error"')[1].split("</p>")[0]
    )
    assert (
        'value="不存在县"' in bad.text and 'value="嘉善县"' in bad.text and 'value="研发投入强度"' in bad.text
    )
    assert '<option value="weekly" selected>' in bad.text and 'value="yrd-outline-2019" checked' in bad.text
    made = client.post("/subscriptions", data={"csrf": csrf, "region": ["嘉善县", "", "Z-DEMO"],
                                               "indicator": ["研发投入强度", ""], "cadence": "weekly"})  # fmt: skip
    assert made.status_code == 200
    listed = made.text.split('id="subscription-list"')[1].split("</table>")[0]
    assert (
        '<span title="330421">嘉善县</span>' in listed
        and '<span title="rd_intensity">研究与试验发展经费投入强度</span>' in listed
    )
    from service.db.models import Subscription

    sub = session.scalars(select(Subscription)).one()
    assert sorted(sub.region_codes) == ["330421", "Z-DEMO"] and sub.indicator_codes == ["rd_intensity"]


def test_sources_are_named_by_document_title_and_date_not_file_name(
    client: TestClient, session: Session
) -> None:
    from tests.support.web import with_run

    with_run(session)
    page = client.get("/targets/demo-zone-industry-2023/rd-intensity-2025?lang=zh")
    assert page.status_code == 200
    shown = re.search(r'id="source-document">([^<]*)<', page.text).group(1)  # type: ignore[union-attr]
    assert shown == "《长三角生态绿色一体化发展示范区产业发展规划》（2023-07发布）"
    assert "000_7beb258b8a9f605f" not in page.text and ".txt" not in page.text
    english = client.get("/targets/demo-zone-industry-2023/rd-intensity-2025?lang=en")
    assert "(issued 2023-07)" in english.text and ".txt" not in english.text


def test_a_baselines_source_reads_as_its_document_and_date() -> None:
    from service.web.forms import Document, source_label

    docs = {"000_7beb258b8a9f605f.txt": Document("示范区产业发展规划", "Demonstration zone industry plan", "2023-07"),
            "x.txt": Document("某规划", "Some plan", None)}  # fmt: skip
    stored_as = "示范区产业发展规划（000_7beb258b8a9f605f.txt）"
    assert source_label(stored_as, docs, "zh") == "示范区产业发展规划（2023-07发布）"
    assert source_label(stored_as, docs, "en") == "示范区产业发展规划 (issued 2023-07)"
    assert source_label("某规划（x.txt）", docs, "zh") == "某规划"
    assert source_label("嘉善县统计局", docs, "zh") == "嘉善县统计局" and source_label(None, docs, "zh") == ""


def test_browsers_get_error_pages_in_their_language_and_api_clients_problem_json(
    client: TestClient, session: Session, db_url: str
) -> None:
    from tests.support.web import with_run

    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    no_run = client.get("/plans/yrd-outline-2019/evaluation?lang=zh", headers=html)
    assert no_run.status_code == 404 and "还没有报告运行" in no_run.text  # (init computes one: see the crawl)
    with_run(session)
    missing = client.get("/no/such/page?lang=en", headers=html)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in missing.text and 'id="error-home" href="/?lang=en"' in missing.text
    assert "Content-Security-Policy" in missing.headers and "<script>" not in missing.text
    target = client.get("/targets/no/such?lang=zh", headers=html)
    assert (
        target.status_code == 404
        and "目标 no/such 不存在" in target.text
        and "<h1>找不到该页面</h1>" in target.text
    )
    bad = client.get("/entry?year=abc", headers=html)
    assert bad.status_code == 422 and "地址中的参数有误：year" in bad.text
    for path, accept in (("/no/such/page", "application/json"), ("/api/v1/nothing", html["Accept"]),
                         ("/targets/no/such", "*/*")):  # fmt: skip
        answer = client.get(path, headers={"Accept": accept})
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"

    from service.config import Settings
    from service.main import create_app

    app = create_app(Settings(database_url=db_url), start_scheduler=False)

    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        page = c.get("/boom", headers=html)
        api = c.get("/boom")
    assert (
        page.status_code == 500 and "服务器内部错误，已记录" in page.text and "RuntimeError" not in page.text
    )
    assert "Content-Security-Policy" in page.headers
    assert api.status_code == 500 and api.headers["content-type"] == "application/problem+json"
