"""Importing the tables offices already keep: bulletin and yearbook layouts, previews, mappings.

The files are built here the way statistics bulletins and yearbooks lay them out (title rows, merged
headers, unit and source notes, footnotes, full-width digits, numbers as text, "—" for no data), in
GB18030 and UTF-8, and every figure is checked after import, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from html import unescape as html_unescape
from pathlib import Path

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ImportMapping, Indicator, Observation, Region
from service.db.session import make_engine
from tests.support.cli import run
from tests.support.databases import PreparedDatabases
from tests.support.factories import create_user


def figures(session: Session, region: str | None = None) -> dict[tuple[str, str, int], Decimal]:
    """Stored figures (latest version per figure) as {(indicator, region, year): value}."""
    query = (
        select(Indicator.code, Region.code, Observation.period, Observation.value, Observation.id)
        .join(Indicator, Observation.indicator_id == Indicator.id)
        .join(Region, Observation.region_id == Region.id)
        .where(Observation.status != "plan_baseline")
        .order_by(Observation.id)
    )
    if region is not None:
        query = query.where(Region.code == region)
    return {(i, r, p): Decimal(v).normalize() for i, r, p, v, _ in session.execute(query)}


def sources(session: Session) -> set[str | None]:
    return set(session.scalars(select(Observation.source).where(Observation.status != "plan_baseline")))


# --- the files -----------------------------------------------------------------------------------

BULLETIN_CSV = """\
嘉善县2025年国民经济和社会发展统计公报主要指标,,,
,,,
指标,单位,绝对数,比上年增长（%）
地区生产总值,亿元,"１，０２１．５",6.1
#第一产业,亿元,31.2,2.5
常住人口,万人,６５.８,0.9
人均地区生产总值,元,"155,320",5.0
常住人口城镇化率,%,"70.2",—
研究与试验发展经费投入强度（%）,,3.35%,…
高新技术企业数,家,1208①,12.0
注：1.地区生产总值、人均地区生产总值按现价计算，增长速度按不变价格计算。,,,
2.第一产业为其中项。,,,
资料来源：嘉善县统计局《2025年嘉善县国民经济和社会发展统计公报》,,,
"""

BULLETIN_EXPECTED = {
    ("gdp", "330421", 2025): Decimal("1021.5"),
    ("resident_population", "330421", 2025): Decimal("65.8"),
    ("gdp_per_capita", "330421", 2025): Decimal("155320"),
    ("urbanization_rate", "330421", 2025): Decimal("70.2"),
    ("rd_intensity", "330421", 2025): Decimal("3.35"),
    ("high_tech_enterprises", "330421", 2025): Decimal("1208"),
}


def yearbook_xlsx() -> bytes:
    """A yearbook workbook: three sheets in three layouts, merged titles and headers, notes."""
    wb = openpyxl.Workbook()
    # 1. regions down the side, years across, the unit in a note, the source at the foot
    ws = wb.active
    ws.title = "2-1"
    ws.append(["2-1  各市地区生产总值（2022—2024年）"])
    ws.merge_cells("A1:D1")
    ws.append([None, None, None, "单位：亿元"])
    ws.append(["地　区", "2022年", "2023年", "2024年"])
    ws.append(["南京市", 16907.85, "17421.40", "18500.8"])
    ws.append(["无 锡", "14,850.82", "15456.19", "—"])
    ws.append(["常州市", 9550.1, 10116.36, 10813.6])
    ws.append([None])
    ws.append(["资料来源：江苏统计年鉴2025"])
    ws.merge_cells("A8:D8")
    # 2. districts down the side, indicators across in a merged block above the years
    ws = wb.create_sheet("上海市2024年各区主要指标")
    ws.append(["上海市2024年各区主要指标"])
    ws.merge_cells("A1:E1")
    ws.append(["地区", "地区生产总值（亿元）", None, "常住人口（万人）", None])
    ws.append([None, "2023年", "2024年", "2023年", "2024年"])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:E2")
    ws.append(["全市", 47218.66, 53926.71, 2487.45, 2480.26])
    ws.append(["浦东", 16715.15, 17536.1, 583.28, 580.2])
    ws.append(["嘉定区", 2804.0, 2938.3, 186.1, "１８７．０"])
    ws.append(["注：全市数据含未分区部分。"])
    # 3. indicators down the side, regions across, one year in the title, a unit column
    ws = wb.create_sheet("三省一市")
    ws.append(["2024年三省一市主要指标"])
    ws.append(["指标名称", "计量单位", "上海", "江苏", "浙江", "安徽"])
    ws.append(["地区生产总值", "万亿元", 5.39, 13.7, 9.01, 5.06])
    ws.append(["常住人口城镇化率", "%", 89.3, "75.0", 74.8, "…"])
    ws.append(["研发强度", "%", 4.35, 3.3, 3.2, 2.69])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


YEARBOOK_EXPECTED = {
    ("gdp", "320100", 2022): Decimal("16907.85"),
    ("gdp", "320100", 2023): Decimal("17421.4"),
    ("gdp", "320100", 2024): Decimal("18500.8"),
    ("gdp", "320200", 2022): Decimal("14850.82"),
    ("gdp", "320200", 2023): Decimal("15456.19"),
    ("gdp", "320400", 2022): Decimal("9550.1"),
    ("gdp", "320400", 2023): Decimal("10116.36"),
    ("gdp", "320400", 2024): Decimal("10813.6"),
    ("gdp", "310000", 2023): Decimal("47218.66"),
    ("gdp", "310000", 2024): Decimal("53926.71"),
    ("resident_population", "310000", 2023): Decimal("2487.45"),
    ("resident_population", "310000", 2024): Decimal("2480.26"),
    ("gdp", "310115", 2023): Decimal("16715.15"),
    ("gdp", "310115", 2024): Decimal("17536.1"),
    ("resident_population", "310115", 2023): Decimal("583.28"),
    ("resident_population", "310115", 2024): Decimal("580.2"),
    ("gdp", "310114", 2023): Decimal("2804"),
    ("gdp", "310114", 2024): Decimal("2938.3"),
    ("resident_population", "310114", 2023): Decimal("186.1"),
    ("resident_population", "310114", 2024): Decimal("187"),
    ("gdp", "320000", 2024): Decimal("137000"),  # 13.7 万亿元 in the indicator's 亿元
    ("gdp", "330000", 2024): Decimal("90100"),
    ("gdp", "340000", 2024): Decimal("50600"),
    ("urbanization_rate", "310000", 2024): Decimal("89.3"),
    ("urbanization_rate", "320000", 2024): Decimal("75"),
    ("urbanization_rate", "330000", 2024): Decimal("74.8"),
}


def post(
    client: TestClient,
    headers: dict[str, str],
    name: str,
    data: bytes,
    path: str = "/api/v1/imports",
    **form: str,
) -> httpx.Response:
    return client.post(path, files={"file": (name, data)}, data=form, headers=headers)


# --- tests ---------------------------------------------------------------------------------------


def test_a_bulletin_table_in_gb18030_imports_figure_by_figure(client: TestClient, session: Session) -> None:
    _, headers = create_user(session, regions=("330421",))
    response = post(client, headers, "嘉善公报.csv", BULLETIN_CSV.encode("gb18030"), published="2026-03-05")
    assert response.status_code == 201, response.text
    body = response.json()
    sheet = body["sheets"][0]
    assert sheet["layout"] == "wide_by_region" or sheet["layout"] in ("wide_by_year", "wide_by_indicator")
    assert sheet["region"] == "330421" and sheet["year"] == 2025
    assert sheet["source"].startswith("嘉善县统计局")
    assert body["counts"]["added"] == len(BULLETIN_EXPECTED)
    assert figures(session) == BULLETIN_EXPECTED
    assert sources(session) == {sheet["source"]}
    published = session.scalars(select(Observation.published_on).where(Observation.status != "plan_baseline"))
    assert {d and d.isoformat() for d in published} == {"2026-03-05"}
    # the growth column and the sub-item the catalog does not know are not figures; the sub-item is named
    left = [p for p in sheet["problems"] if "第一产业" in p["zh"]]
    assert left and left[0]["cell"] == "A5"


def test_a_yearbook_workbook_imports_every_sheet_with_the_right_figures(
    client: TestClient, session: Session
) -> None:
    _, headers = create_user(session, username="admin", role="admin", regions=())
    preview = post(client, headers, "江苏统计年鉴.xlsx", yearbook_xlsx(), "/api/v1/imports/preview")
    assert preview.status_code == 200, preview.text
    sheets = {s["name"]: s for s in preview.json()["sheets"]}
    assert sheets["2-1"]["layout"] == "wide_by_year" and sheets["2-1"]["unit"] == "亿元"
    assert sheets["2-1"]["source"] == "江苏统计年鉴2025"
    assert sheets["上海市2024年各区主要指标"]["region"] == "310000"
    assert sheets["三省一市"]["layout"] == "wide_by_region" and sheets["三省一市"]["year"] == 2024
    mapped = {c["text"]: c["code"] for c in sheets["上海市2024年各区主要指标"]["rows"]}
    assert mapped == {"全市": "310000", "浦东": "310115", "嘉定区": "310114"}
    # the indicator the catalog does not know under that name comes with the nearest one
    unknown = [r for r in sheets["三省一市"]["rows"] if r["role"] == "unknown"]
    assert [(u["text"], u["cell"]) for u in unknown] == [("研发强度", "三省一市!A5")]
    assert unknown[0]["suggestion"].startswith("rd_intensity")
    assert figures(session) == {}  # a preview stores nothing
    # Shanghai's 2024 GDP is on two sheets (53926.71 亿元 and 5.39 万亿元): the second is refused, both named
    counts = preview.json()["counts"]
    assert counts["added"] == len(YEARBOOK_EXPECTED) and counts["rejected"] == 1
    (twice,) = [p for r in preview.json()["rows"] for p in r["problems"]]
    assert twice["cell"] == "三省一市!C3" and "上海市2024年各区主要指标!C4" in twice["en"]
    # the person maps the unknown row and leaves out the Shanghai column of the summary sheet; the import
    # stores every figure and remembers the corrections
    response = post(client, headers, "江苏统计年鉴.xlsx", yearbook_xlsx(),
                    mapping=json.dumps({"研发强度": "rd_intensity", "上海": "-"}))  # fmt: skip
    assert response.status_code == 201, response.text
    expected = {
        **YEARBOOK_EXPECTED,
        ("rd_intensity", "320000", 2024): Decimal("3.3"),
        ("rd_intensity", "330000", 2024): Decimal("3.2"),
        ("rd_intensity", "340000", 2024): Decimal("2.69"),
    }
    del expected[("urbanization_rate", "310000", 2024)]  # in the column left out
    assert figures(session) == expected
    assert session.scalar(
        select(ImportMapping.mapping).where(ImportMapping.shape == sheets["三省一市"]["shape"])
    )
    # next time the same shape is read with the correction, without being told
    again = post(client, headers, "江苏统计年鉴.xlsx", yearbook_xlsx(), "/api/v1/imports/preview")
    rows = {r["text"]: r for r in {s["name"]: s for s in again.json()["sheets"]}["三省一市"]["rows"]}
    assert rows["研发强度"]["code"] == "rd_intensity" and rows["研发强度"]["how"] == "remembered"
    assert again.json()["counts"]["unchanged"] == len(expected)


def test_a_revision_from_a_wide_table_needs_a_reason_and_cells_are_named(
    client: TestClient, session: Session
) -> None:
    _, headers = create_user(session, regions=("330421",))
    assert post(client, headers, "公报.csv", BULLETIN_CSV.encode()).status_code == 201
    final = BULLETIN_CSV.replace('"１，０２１．５"', "1023.9")
    refused = post(client, headers, "年鉴.csv", final.encode("utf-8-sig"))
    assert refused.status_code == 422
    bad = [r for r in refused.json()["rows"] if r["problems"]]
    assert [(r["cells"]["value"], r["problems"][0]["column"], r["problems"][0]["cell"]) for r in bad] == [
        ("C4", "revision_reason", "C4")
    ]
    assert figures(session)[("gdp", "330421", 2025)] == Decimal("1021.5")
    revised = post(client, headers, "年鉴.csv", final.encode("utf-8-sig"), revision_reason="年鉴最终核实数")
    assert revised.status_code == 200 and revised.json()["counts"]["revised"] == 1
    assert figures(session)[("gdp", "330421", 2025)] == Decimal("1023.9")


def test_region_scope_and_all_or_nothing_hold_for_wide_tables(client: TestClient, session: Session) -> None:
    _, headers = create_user(session, regions=("320100",))  # Nanjing only; the sheet has three cities
    wb = openpyxl.load_workbook(io.BytesIO(yearbook_xlsx()))
    for name in ("上海市2024年各区主要指标", "三省一市"):
        del wb[name]
    wb["2-1"]["C4"] = "=B4*1.03"  # a formula is refused, never evaluated
    buf = io.BytesIO()
    wb.save(buf)
    response = post(client, headers, "年鉴.xlsx", buf.getvalue())
    assert response.status_code == 422
    problems = {p["cell"]: p["en"] for r in response.json()["rows"] for p in r["problems"]}
    assert "formulas are not accepted" in problems["2-1!C4"]
    assert "may not write data for Wuxi" in problems["2-1!A5"]  # the region is named in A5
    assert figures(session) == {}


def test_hostile_workbooks_are_refused_with_a_message(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (30 << 20) + b"/>")
    response = post(client, headers, "炸弹.xlsx", buf.getvalue())
    assert response.status_code in (400, 413, 422) and "zip bomb" in response.json()["detail_en"]
    empty = post(client, headers, "空.csv", "2025年主要指标\n注：无数据\n".encode())
    assert empty.status_code in (400, 422) and "no figures" in empty.json()["detail_en"]


def test_the_long_template_still_imports_as_before(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    text = "指标,地区,年份,数值,单位\ngdp,嘉善县,2024,880.5,亿元\n"
    response = post(client, headers, "t.csv", text.encode("gb18030"))
    assert response.status_code == 201 and response.json()["sheets"][0]["layout"] == "long"
    assert figures(session) == {("gdp", "330421", 2024): Decimal("880.5")}


@pytest.fixture
def cli_env(prepared: PreparedDatabases, db_kind: str, tmp_path: Path) -> tuple[dict[str, str], Path]:
    return {"YRDMON_DATABASE_URL": prepared.initialised(db_kind)}, tmp_path  # as `yrdmon init` leaves it


def test_the_command_line_previews_a_wide_table_and_takes_a_mapping_file(
    cli_env: tuple[dict[str, str], Path],
) -> None:
    env, cwd = cli_env
    run(["users", "add", "js", "--role", "editor", "--region", "330421"], env, cwd)
    table = cwd / "嘉善公报.csv"
    table.write_bytes(BULLETIN_CSV.replace("高新技术企业数", "高企数量").encode("gb18030"))
    dry = run(["import", str(table), "--user", "js", "--dry-run"], env, cwd)
    assert "wide" in dry.stdout and "region 330421" in dry.stdout and "year 2025" in dry.stdout
    assert "A4" in dry.stdout and "-> indicator gdp" in dry.stdout
    assert "C4: added gdp 330421 2025 1021.5" in dry.stdout
    assert "A10  高企数量" in dry.stdout and "did you mean high_tech_enterprises" in dry.stdout
    assert "added 5" in dry.stdout and "dry run" in dry.stdout
    mapping = cwd / "mapping.csv"
    mapping.write_text("# 表中名称,代码\n高企数量,high_tech_enterprises\n", encoding="utf-8")
    stored = run(["import", str(table), "--user", "js", "--mapping", str(mapping)], env, cwd)
    assert "added 6" in stored.stdout and "stored" in stored.stdout
    engine = make_engine(env["YRDMON_DATABASE_URL"])
    with Session(engine) as session:
        mine = {k: v for k, v in figures(session, "330421").items() if k[2] == 2025}
        assert mine == BULLETIN_EXPECTED  # the catalog's own figures for 嘉善县 are of earlier years
    engine.dispose()
    # the correction is remembered: the same table next time needs no mapping file
    again = run(["import", str(table), "--user", "js", "--dry-run"], env, cwd)
    assert "[remembered]" in again.stdout and "unchanged 6" in again.stdout


def test_the_upload_page_previews_takes_a_correction_and_imports_without_choosing_the_file_again(
    client: TestClient, session: Session
) -> None:
    from service.db.models import Role
    from tests.support.web import login

    csrf = login(client, session, "web", Role.EDITOR, ["330421"])
    table = BULLETIN_CSV.replace("高新技术企业数", "高企数量<b>").encode("gb18030")
    page = client.post("/upload", data={"csrf": csrf}, files={"file": ("公报.csv", table, "text/csv")})
    assert page.status_code == 200, page.text
    html = page.text
    assert "宽表" in html and 'id="import-now"' in html and "高企数量&lt;b&gt;" in html
    assert "high_tech_enterprises" in html  # the nearest name, offered
    assert figures(session) == {}  # previewed, nothing stored
    # the correction goes in the box beside the label; the file rides along in the page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    boxes = dict(re.findall(r'<input name="(map_\d+)" value="([^"]*)"', html))
    unknown = next(k for k, v in fields.items() if k.startswith("label_") and v == "高企数量&lt;b&gt;")
    boxes[f"map_{unknown[6:]}"] = "high_tech_enterprises"
    form = {k: html_unescape(v) for k, v in fields.items()} | boxes | {"action": "import"}
    done = client.post("/upload", data=form)
    assert done.status_code == 200, done.text
    assert figures(session) == BULLETIN_EXPECTED
    assert session.scalar(select(ImportMapping.mapping)) == {"高企数量<b>": "high_tech_enterprises"}


def test_units_from_a_note_and_from_the_label_are_converted_to_the_indicators_unit(session: Session) -> None:
    import datetime as dt

    from service.db.models import WritePath
    from service.domain import layouts
    from service.domain.observations import ingest

    user, _ = create_user(session, regions=("320100",))
    text = (
        "\ufeff表3  南京市主要经济指标（2023—2024年）\n"
        ",,（单位：万元）\n"
        "项　目,2023年,2024年\n"
        '一、地区生产总值,"174,214,000",１８５００８０００\n'
        '二、常住人口（人）,9546000,"9,577,000"\n'
        "三、人均地区生产总值（元/人）,183000,…\n"
        "注：人均地区生产总值按常住人口计算。\n"
    )
    reading = layouts.read_upload(session, "南京.csv", text.encode("utf-8"))
    (sheet,) = reading.sheets
    assert (sheet.layout, sheet.region, sheet.unit) == (layouts.WIDE_BY_YEAR, "320100", "万元")
    assert sheet.notes == ["注:人均地区生产总值按常住人口计算。"]
    result = ingest(session, user, reading.inputs, path=WritePath.CLI, now=dt.datetime.now(dt.UTC))
    assert result.applied, result.as_dict()
    assert figures(session, "320100") == {
        ("gdp", "320100", 2023): Decimal("17421.4"),  # 万元 (the note) in 亿元
        ("gdp", "320100", 2024): Decimal("18500.8"),
        ("resident_population", "320100", 2023): Decimal("954.6"),  # 人 (the label) in 万人
        ("resident_population", "320100", 2024): Decimal("957.7"),
        ("gdp_per_capita", "320100", 2023): Decimal("183000"),
    }


def test_years_down_the_side_and_a_region_given_by_mapping(client: TestClient, session: Session) -> None:
    _, headers = create_user(session, username="admin", role="admin", regions=())
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "历年"
    ws.append(["历年主要指标"])
    ws.append(["年份", "地区生产总值（亿元）", "常住人口（万人）", "地区生产总值比上年增长（%）"])
    ws.append([2022, 23958.3, 1291.06, 2.0])
    ws.append(["2023年", "24,653.4", "１２９５.８", 4.6])
    buf = io.BytesIO()
    wb.save(buf)
    unnamed = post(client, headers, "历年.xlsx", buf.getvalue(), "/api/v1/imports/preview")
    (sheet,) = unnamed.json()["sheets"]
    assert sheet["layout"] == "wide_by_indicator" and "@region" in sheet["problems"][0]["en"]
    assert unnamed.json()["counts"]["rejected"] == 4  # no region: refused, each figure with its cell
    response = post(client, headers, "历年.xlsx", buf.getvalue(), mapping='{"@region": "苏州"}')
    assert response.status_code == 201, response.text
    assert figures(session) == {
        ("gdp", "320500", 2022): Decimal("23958.3"),
        ("gdp", "320500", 2023): Decimal("24653.4"),
        ("resident_population", "320500", 2022): Decimal("1291.06"),
        ("resident_population", "320500", 2023): Decimal("1295.8"),
    }


def test_a_table_with_more_cells_than_a_table_has_is_refused(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    row = ",".join(["1"] * 1000)
    huge = ("标题\n指标," + row + "\n" + "\n".join(f"x{n}," + row for n in range(520))).encode()
    response = post(client, headers, "huge.csv", huge)
    assert response.status_code == 422 and "too large" in response.json()["detail_en"]


@pytest.fixture
def upload_server(prepared: PreparedDatabases, db_kind: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    import datetime as dt

    from service.db.models import Role
    from service.db.session import make_sessionmaker, transaction
    from service.domain import users
    from tests.support.servers import serve

    url = prepared.initialised(db_kind)
    env = {"YRDMON_DATABASE_URL": url}
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        users.create_user(session, username="clerk", role=Role.EDITOR, region_codes=["330421"],
                          password="pw-123456", now=dt.datetime.now(dt.UTC))  # fmt: skip
    engine.dispose()
    for base in serve(env, tmp_path):
        yield base, url, tmp_path


def test_in_a_browser_a_bulletin_is_previewed_corrected_and_imported(browser, upload_server) -> None:  # type: ignore[no-untyped-def]
    base, url, tmp_path = upload_server
    table = tmp_path / "嘉善公报.csv"
    table.write_bytes(BULLETIN_CSV.replace("高新技术企业数", "高企数量").encode("gb18030"))
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/login")
    page.fill("input[name=username]", "clerk")
    page.fill("input[name=password]", "pw-123456")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    page.goto(base + "/upload")
    page.set_input_files("#upload-form input[type=file]", str(table))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    assert page.locator("#reading .layout").first.inner_text().startswith("宽表")
    row = page.locator("#reading tr", has_text="高企数量")
    assert "high_tech_enterprises" in row.inner_text()  # the nearest name, offered
    assert page.locator("#figures tr").count() == 5  # the figures it would store, before anything is
    row.locator("input[name^=map_]").fill("high_tech_enterprises")
    with page.expect_navigation():
        page.click("#reading button[value=preview]")
    assert page.locator("#figures tr").count() == 6
    with page.expect_navigation():
        page.click("#import-now")
    assert "新增 6" in page.locator("#result").inner_text()  # 已保存 6 条（新增 6，修订 0）
    assert errors == []
    page.close()
    engine = make_engine(url)
    with Session(engine) as session:
        assert {k: v for k, v in figures(session, "330421").items() if k[2] == 2025} == BULLETIN_EXPECTED
    engine.dispose()


def test_a_footnote_mark_is_not_read_as_a_digit() -> None:
    from service.domain.values import parse_value

    assert parse_value("1208①").value == Decimal("1208")  # NFKC alone would read 12081
    assert parse_value("６５.８⑵").value == Decimal("65.8")
