"""The evaluation report as files: `yrdmon report evaluate --format docx|xlsx|html|json`, the evaluation
page's downloads, and the Word document rendered to PDF by LibreOffice (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from docx import Document
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from service.db.models import Role, User, WritePath
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain import users
from service.domain.observations import ObservationInput, ingest
from service.reports.engine import run_report
from service.reports.evaluation_doc import (
    EvaluationDocument,
    _summary,
    build,
    fmt_number,
    outline,
    target_words,
)
from service.reports.evaluation_docx import to_docx
from service.reports.evaluation_files import document, to_xlsx, write_document
from service.reports.queries import evaluation
from tests.support import IN_CI
from tests.support.cli import run as run_cli
from tests.support.databases import PreparedDatabases

PLAN = "yrd-outline-2019"
ENTERED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
MID = dt.datetime(2025, 6, 30, tzinfo=dt.UTC)  # target year 2025 not reached: a mid-term evaluation
END = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def enter_figures(session: Session, user: User) -> None:
    """R&D intensity achieved early, urbanisation missed by 0.9 points, air quality achieved on a
    preliminary figure (the zone's own published figures)."""
    rows = [
        ("rd_intensity", y, v, "%", "final")
        for y, v in ((2018, 2.81), (2020, 2.93), (2022, 3.02), (2024, 3.12))
    ]
    rows += [("rd_intensity", 2025, 3.2, "%", "preliminary")]
    rows += [("urbanization_rate", y, v, "%", "final") for y, v in ((2018, 66.0), (2020, 67.0), (2025, 69.1))]
    rows += [
        ("good_air_days_ratio", y, v, "%", s)
        for y, v, s in ((2018, 74.1, "final"), (2025, 85.2, "preliminary"))
    ]
    inputs = [
        ObservationInput(
            row=n,
            indicator=i,
            region="Z-YRD",
            period=y,
            value=v,
            unit=u,
            status=s,
            confirm=True,
            source=f"长三角统计公报{y}（国家统计局，{y + 1}-02-28）",
        )
        for n, (i, y, v, u, s) in enumerate(rows, 1)
    ]
    result = ingest(session, user, inputs, path=WritePath.API, now=ENTERED)
    assert result.applied, result.as_dict(all_rows=False)


def _counts_in(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"(\d+)项", text)]


# --- the documents' content ---------------------------------------------------------------------------


def test_targets_in_words_and_numbers_for_people() -> None:
    assert (
        fmt_number(4.10000000) == "4.1" and fmt_number(5000.0) == "5000" and fmt_number(0.012345) == "0.0123"
    )
    base = {
        "target_unit": "%",
        "comparator": ">=",
        "value": 3.7,
        "target_year": 2025,
        "declared_form": "level",
    }
    assert target_words(base) == "≥3.7%"
    assert (
        target_words(
            {**base, "declared_form": "multiple", "value": 2, "target_unit": "倍", "reference_year": 2018}
        )
        == "较2018年翻一番"
    )
    assert (
        target_words(
            {
                **base,
                "declared_form": "relative_change",
                "comparator": "<=",
                "value": -10,
                "reference_year": 2017,
            }
        )
        == "较2017年下降10%"
    )
    assert (
        target_words({**base, "comparator": "range", "value": None, "low": 2, "high": 3, "target_unit": "个"})
        == "2–3个"
    )
    assert target_words({**base, "value": 6, "stretch_value": 8}) == "≥6%（力争8%）"
    assert target_words({**base, "value": 6, "stretch_value": 8}, "en") == "≥6% (stretch 8%)"
    # a qualitative target (comparator "qualitative", no number) is its own words
    assert (
        target_words({**base, "comparator": "qualitative", "value": None, "source_quote": "基本稳定"})
        == "基本稳定"
    )


def test_the_document_shows_the_runs_figures(session: Session) -> None:
    admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
    enter_figures(session, admin)
    run = run_report(session, as_of=END, now=END)
    ev = evaluation(session, run, PLAN)
    d = build(session, run, PLAN, "zh")
    assert d.title == "《长江三角洲区域一体化发展规划纲要》末期评估报告"
    assert d.end_of_term_counts == ev["end_of_term_counts"] and len(d.rows) == len(ev["end_of_term"])
    rows = {r.id.split("/")[1]: r for r in d.rows}
    urb = rows["urbanization-rate-2025"]
    assert urb.verdict == "missed" and urb.shortfall == "0.9个百分点" and urb.latest == "69.1%\n2025年"
    air = rows["good-air-days-2025"]
    assert air.preliminary and air.verdict_text.endswith("（初步数据）") and "初步" in air.latest
    rd = rows["rd-intensity-2025"]
    assert rd.verdict == "achieved_early" and any(n.startswith("来源[") for n in rd.notes)
    assert len(d.statistics) >= 3 and all(s["published"] for s in d.statistics)
    assert d.charts and all(c.png.startswith(b"\x89PNG") for c in d.charts)
    # binding targets first where attributes are known: none in this catalog yet, so no binding sentence
    assert not any("约束性" in p for p in d.summary)
    for r in d.rows:
        r.attribute = "binding" if r.id.endswith(("urbanization-rate-2025", "rd-intensity-2025")) else ""
    first, everything = _summary(ev, d.rows, [], "zh")[:2]
    assert first == "目标年已到的约束性目标2项：已实现1项（其中提前实现1项），未实现1项，数据不足0项。"
    assert everything.startswith("截至2026-09-01，本规划目标年已到的全部目标共15项")
    # mid-term: the same plan before its target year
    mid = build(session, run_report(session, as_of=MID, now=END), PLAN, "en")
    assert mid.title.endswith("mid-term evaluation report") and mid.sections[0].key == "mid_term"


def test_spreadsheet_text_that_looks_like_a_formula_stays_text(session: Session) -> None:
    admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
    enter_figures(session, admin)
    d = build(session, run_report(session, as_of=END, now=END), PLAN, "zh", charts=False)
    d.sections[0].chapters[0][1][0].indicator = '=HYPERLINK("http://example.invalid","x")'
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(d)))["末期评估"]
    cell = sheet["B2"]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s" and cell.quotePrefix


# figures and charts; binding targets in chapters, end of term; the same, mid-term, in many chapters
STREAMED_PLANS = (PLAN, "nanjing-14th-outline", "hangzhou-15th-outline")


def _shown(d: EvaluationDocument) -> dict[str, object]:
    """Everything a document shows, its sections read the way a renderer reads them (consecutive parts
    of one chapter joined), then its charts and materials."""
    sections = []
    for s in d.sections:
        chapters: list[tuple[str, list[object]]] = []
        for chapter, rows in s.parts():
            if not chapters or chapters[-1][0] != chapter:
                chapters.append((chapter, []))
            chapters[-1][1].extend({k: v for k, v in vars(r).items() if k != "record"} for r in rows)
        sections.append((s.key, s.title, s.verdict_header, s.shortfall_header, chapters))
    d.complete()
    return {
        **{k: v for k, v in vars(d).items() if k not in ("sections", "charts", "evaluation", "finish")},
        "filename": d.filename("docx"),
        "sections": sections,
        "charts": [(c.row.id, c.title, c.caption, c.png) for c in d.charts],
    }


def test_the_streamed_document_shows_what_the_built_one_shows(session: Session) -> None:
    """``outline`` (records read in chunks, here of 3 records so chapters and sections span chunks)
    gives every plan's document as ``build`` does: rows in the same order, the same summary, source
    numbers, documents, charts and materials, in both languages, end-of-term and mid-term."""
    admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
    enter_figures(session, admin)
    runs = [run_report(session, as_of=END, now=END), run_report(session, as_of=MID, now=END)]
    compared = 0
    for run in runs:
        for code in STREAMED_PLANS:
            for lang in ("zh", "en"):
                d = build(session, run, code, lang)
                built = _shown(d)
                assert _shown(outline(session, run, code, lang, chunk=3)) == built, (run.id, code, lang)
                compared += len(d.rows)
    assert compared > 200 and any(
        r.attribute == "binding" for r in build(session, runs[0], STREAMED_PLANS[1], "zh").rows
    )


def _cells(data: bytes) -> dict[str, object]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out: dict[str, object] = {}
    for ws in wb.worksheets:
        out[ws.title] = (
            [
                [
                    (
                        c.value,
                        c.number_format,
                        c.font.b,
                        c.fill.fgColor.rgb,
                        c.alignment.wrap_text,
                        c.quotePrefix,
                    )
                    for c in row
                ]
                for row in ws.iter_rows()
            ],
            ws.freeze_panes,
            ws.auto_filter.ref,
            sorted(str(m) for m in ws.merged_cells.ranges),
            {k: round(v.width) for k, v in ws.column_dimensions.items() if v.width},
        )
    return out


def test_the_streamed_files_hold_what_the_built_documents_hold(session: Session) -> None:
    """The Excel and Word files written as the records are read equal those of the built document: every
    cell with its format, fill, font and wrapping, frozen panes, filter, merges and column widths;
    every paragraph and table cell of the Word document."""
    admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
    enter_figures(session, admin)
    run = run_report(session, as_of=END, now=END)
    for code in STREAMED_PLANS:
        for lang in ("zh", "en"):
            out = io.BytesIO()
            write_document(session, run, code, "xlsx", out, lang)
            assert _cells(out.getvalue()) == _cells(to_xlsx(build(session, run, code, lang, charts=False)))
            out = io.BytesIO()
            write_document(session, run, code, "docx", out, lang)
            streamed, built = Document(out), Document(io.BytesIO(to_docx(build(session, run, code, lang))))
            assert [p.text for p in streamed.paragraphs] == [p.text for p in built.paragraphs]
            assert [[[c.text for c in r.cells] for r in t.rows] for t in streamed.tables] == [
                [[c.text for c in r.cells] for r in t.rows] for t in built.tables
            ]
            assert len(streamed.inline_shapes) == len(built.inline_shapes)


# --- the command line ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_db(prepared: PreparedDatabases, db_kind: str) -> dict[str, str]:
    """A database of its own (the CLI is another process) with the catalog, figures and two runs."""
    url = prepared.catalogued(db_kind)  # migrated, catalog as of 2026-01-01
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
        enter_figures(session, admin)
        mid = run_report(session, as_of=MID, now=END)
        end = run_report(session, as_of=END, now=END)
        ids = {"YRDMON_DATABASE_URL": url, "mid": str(mid.id), "end": str(end.id)}
        ids["counts"] = json.dumps(evaluation(session, end, PLAN)["end_of_term_counts"])
    engine.dispose()
    return ids


def _cli(report_db: dict[str, str], args: list[str], cwd: Path) -> str:
    return run_cli(
        ["report", "evaluate", "--plan", PLAN, *args],
        {"YRDMON_DATABASE_URL": report_db["YRDMON_DATABASE_URL"]},
        cwd,
    ).stdout


def test_cli_writes_a_word_document(report_db: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "评估.docx"
    assert "wrote" in _cli(report_db, ["--format", "docx", "-o", str(out)], tmp_path)
    doc = Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "《长江三角洲区域一体化发展规划纲要》末期评估报告"
    assert f"报告运行 #{report_db['end']}" in texts[1] and "数据截至 2026-09-01" in texts[1]
    counts = json.loads(report_db["counts"])
    summary = next(t for t in texts if "目标年已到的目标共" in t)
    total, achieved, early, missed, no_data = _counts_in(summary)
    assert total == sum(counts.values()) and early == counts.get("achieved_early", 0)
    assert achieved == counts.get("achieved", 0) + early and missed == counts["missed"] == 1
    assert no_data == counts["insufficient_data"]
    assert sum(len(t.rows) - 1 for t in doc.tables) == total  # one row per target under each header
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert header[0] == "指标（地区）" and header[4] == "结论" and header[5] == "差额"
    body = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "0.9个百分点" in body and "提前实现" in body and "（初步）" in body
    assert len(doc.inline_shapes) >= 1 and any(t.endswith("、资料来源") for t in texts)  # charts, sources
    # East Asian fonts are named for Chinese text
    xml = doc.styles["Normal"].element.xml
    assert 'w:eastAsia="SimSun"' in xml and 'w:eastAsia="SimHei"' in doc.styles["Heading 1"].element.xml
    # without -o: the report's own file name in the current directory; in English on request
    _cli(report_db, ["--format", "docx", "--lang", "en", "--run", report_db["mid"]], tmp_path)
    written = tmp_path / f"{PLAN}_evaluation_run{report_db['mid']}_2025-06-30.docx"
    assert Document(str(written)).paragraphs[0].text.endswith("mid-term evaluation report")


def test_cli_writes_a_workbook(report_db: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "eval.xlsx"
    _cli(report_db, ["--format", "xlsx", "-o", str(out)], tmp_path)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["摘要", "末期评估"]
    summary = wb["摘要"]
    assert summary["A1"].value == "《长江三角洲区域一体化发展规划纲要》末期评估报告"
    sheet = wb["末期评估"]
    header = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref == sheet.dimensions
    assert sheet.max_row - 1 == sum(json.loads(report_db["counts"]).values())
    latest, unit, shortfall = header.index("最新值"), header.index("单位"), header.index("差额")
    urb = next(
        r
        for r in sheet.iter_rows(min_row=2)
        if r[header.index("目标编号")].value.endswith("urbanization-rate-2025")
    )
    assert (
        urb[unit].value == "%"
        and urb[latest].number_format == "0.0##%"
        and abs(urb[latest].value - 0.691) < 1e-12
    )
    assert abs(urb[shortfall].value - 0.9) < 1e-9 and "百分点" in urb[shortfall].number_format
    assert sheet.column_dimensions["B"].width >= 20  # the Chinese indicator names fit


def test_cli_writes_html_and_json(report_db: dict[str, str], tmp_path: Path) -> None:
    html = _cli(report_db, ["--format", "html"], tmp_path)
    assert html.startswith("<!doctype html>") and "<script" not in html and "末期评估报告" in html
    assert "data:image/png;base64," in html and "0.9个百分点" in html
    data = json.loads(_cli(report_db, ["--format", "json"], tmp_path))
    assert data["run_id"] == int(report_db["end"]) and data["end_of_term_counts"] == json.loads(
        report_db["counts"]
    )
    assert json.loads(_cli(report_db, [], tmp_path)) == data  # json stays the default


# --- the web downloads ---------------------------------------------------------------------------------


def test_evaluation_page_downloads(client: TestClient, session: Session) -> None:
    admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
    enter_figures(session, admin)
    past = run_report(session, as_of=MID, now=END)
    latest = run_report(session, as_of=END, now=END)
    session.commit()
    page = client.get(f"/plans/{PLAN}/evaluation?lang=zh").text
    assert f'href="/plans/{PLAN}/evaluation.docx?run={latest.id}&amp;lang=zh"' in page
    assert f'<option value="{past.id}" >' in page and f'<option value="{latest.id}" selected>' in page
    types = {"docx": "wordprocessingml.document", "xlsx": "spreadsheetml.sheet", "html": "text/html"}
    for fmt, media in types.items():
        got = client.get(f"/plans/{PLAN}/evaluation.{fmt}", params={"run": latest.id, "lang": "zh"})
        assert got.status_code == 200 and media in got.headers["content-type"], (fmt, got.text[:300])
        disposition = got.headers["content-disposition"]
        named = re.search(r'filename="([^"]+)"', disposition)
        assert named, disposition
        ascii_name = named[1]
        assert ascii_name == f"{PLAN}_evaluation_run{latest.id}_2026-09-01.{fmt}" and ascii_name.isascii()
        words = unquote(disposition.split("filename*=UTF-8''")[1])
        assert words == f"《长江三角洲区域一体化发展规划纲要》末期评估报告_2026-09-01.{fmt}"
    # a past run's page and its downloads
    old = client.get(f"/plans/{PLAN}/evaluation", params={"run": past.id, "lang": "en"})
    assert (
        old.status_code == 200 and f"#{past.id}" in old.text and f"evaluation.xlsx?run={past.id}" in old.text
    )
    book = client.get(f"/plans/{PLAN}/evaluation.xlsx", params={"run": past.id, "lang": "en"})
    assert openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames == ["Summary", "Mid term"]
    assert client.get(f"/plans/{PLAN}/evaluation.csv").status_code == 200  # still the CSV
    assert client.get(f"/plans/{PLAN}/evaluation.pdf").status_code == 404
    assert client.get(f"/plans/{PLAN}/evaluation.docx", params={"run": 999999}).status_code == 404
    assert client.get("/plans/no-such-plan/evaluation.docx").status_code == 404


# --- the Word document in LibreOffice ------------------------------------------------------------------


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        message = "LibreOffice (soffice) not found: install Debian's libreoffice-writer-nogui"
        if IN_CI:
            pytest.fail(message + "; CI requires the PDF rendering test", pytrace=False)
        pytest.skip(message)
    return found


def test_the_word_document_renders_to_pdf(session: Session, tmp_path: Path) -> None:
    binary = soffice()
    admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
    enter_figures(session, admin)
    made = document(session, run_report(session, as_of=END, now=END), PLAN, "docx")
    source = tmp_path / made.filename
    source.write_bytes(made.body)
    home = tmp_path / "home"  # a private profile: parallel runs must not share LibreOffice's
    home.mkdir()
    result = subprocess.run(
        [
            binary,
            f"-env:UserInstallation={home.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    pdf = source.with_suffix(".pdf")
    assert result.returncode == 0 and pdf.exists(), result.stdout + result.stderr
    reader = PdfReader(str(pdf))
    assert len(reader.pages) >= 1
    first = reader.pages[0].extract_text() or ""
    assert "末期评估报告" in first.replace(" ", "").replace("\n", "")
