"""Fill-in templates: what a region is expected to report, in a file the importer takes back as it is."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import quote

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.factories import create_user

HEADER = ["指标", "地区", "年份", "数值", "单位", "状态", "来源", "发布日期", "备注", "修订原因", "确认"]
RD = "研究与试验发展经费投入强度"
# consistent with one another: 100 * 30 / 880 = 3.41 (the importer checks a ratio against its components)
VALUES = {RD: "3.41", "研究与试验发展经费支出": "30", "地区生产总值": "880"}


def xlsx_rows(content: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_jiashan_reports_rd_intensity_and_its_components(client: TestClient) -> None:
    response = client.get("/api/v1/templates", params={"region": "330421", "year": 2024})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = xlsx_rows(response.content)
    assert rows[0] == HEADER
    names = [r[0] for r in rows[1:]]
    # 嘉善县 has no target of its own: these come from the demonstration zone (Z-DEMO) that contains it
    assert names[names.index(RD) : names.index(RD) + 3] == [RD, "研究与试验发展经费支出", "地区生产总值"]
    assert len(names) == len(set(names))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name[RD][1:6] == ["嘉善县", 2024, None, "%", None]
    assert by_name["地区生产总值"][4] == "亿元"


def test_the_xlsx_is_ready_to_fill_in(client: TestClient) -> None:
    response = client.get("/api/v1/templates", params={"region": "嘉善县", "year": 2024})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["A"].width >= 30
    assert sheet["D2"].number_format == "@"  # "3.7%" stays text instead of becoming 0.037
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and 'filename="template_330421_2024.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote('模板_嘉善县_2024.xlsx')}" in disposition


def test_the_year_defaults_to_last_calendar_year_in_china(client: TestClient) -> None:
    last_year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year - 1
    response = client.get("/api/v1/templates", params={"region": "330421", "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = csv_rows(response.content)
    assert rows[0] == HEADER and {r[2] for r in rows[1:]} == {str(last_year)}
    assert quote(f"模板_嘉善县_{last_year}.csv") in response.headers["content-disposition"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_filled_in_template_is_accepted_as_it_is(client: TestClient, session: Session, fmt: str) -> None:
    _, headers = create_user(session, regions=("330421",))
    response = client.get("/api/v1/templates", params={"region": "嘉善县", "year": 2024, "format": fmt})
    assert response.status_code == 200, response.text
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(response.content))
        ws = wb.worksheets[0]
        for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
            ws.cell(row=cell.row, column=4).value = VALUES.get(str(cell.value), "100")
        buf = io.BytesIO()
        wb.save(buf)
        filled = buf.getvalue()
        count = ws.max_row - 1
    else:
        rows = csv_rows(response.content)
        for row in rows[1:]:
            row[3] = VALUES.get(row[0], "100")
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        filled = ("\ufeff" + out.getvalue()).encode("utf-8")
        count = len(rows) - 1
    upload = client.post(
        "/api/v1/imports", files={"file": (f"模板_嘉善县_2024.{fmt}", filled)}, headers=headers
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["counts"]["added"] == count
    stored = client.get("/api/v1/observations", params={"indicator": "rd_intensity", "region": "330421"})
    assert [(i["period"], i["value"]) for i in stored.json()["items"]] == [(2024, 3.41)]


def test_a_plan_narrows_the_template(client: TestClient) -> None:
    demo = client.get(
        "/api/v1/templates",
        params={"region": "330421", "plan": "demo-zone-industry-2023", "year": 2024, "format": "csv"},
    )
    assert demo.status_code == 200 and RD in [r[0] for r in csv_rows(demo.content)]
    assert "demo-zone-industry-2023" in demo.headers["content-disposition"]
    typo = client.get("/api/v1/templates", params={"region": "330421", "plan": "demo-zone-industry-2033"})
    assert typo.status_code == 404 and "did you mean demo-zone-industry-2023" in typo.json()["detail_en"]
    unrelated = client.get(
        "/api/v1/templates", params={"region": "330421", "plan": "sh-new-cities-industry-2021"}
    )
    assert unrelated.status_code == 404 and "Jiashan" in unrelated.json()["detail_en"]


def test_an_unknown_region_gets_a_404_with_a_suggestion(client: TestClient) -> None:
    response = client.get("/api/v1/templates", params={"region": "嘉善市"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "330421" in body["detail_en"] and "嘉善县" in body["detail_zh"]
    bad_format = client.get("/api/v1/templates", params={"region": "330421", "format": "pdf"})
    assert bad_format.status_code == 422 and bad_format.json()["detail_en"]
