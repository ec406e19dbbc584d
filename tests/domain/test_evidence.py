"""Issue 21, point 5: progress statements with supporting files (支撑材料) — type by content, size limit,
stored by sha256 outside the database and checked on download, append-only corrections, who may write,
the target page's form, and the evaluation documents' 支撑材料 section. On both databases."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import AuditEntry, ProgressStatement, Role, StatementFile, WritePath
from service.domain import assignments, users
from service.domain.users import set_organisation
from service.reports.engine import run_report
from tests.support.factories import NOW, create_user
from tests.support.web import client_for

NJ = "nanjing-15th-outline"
KEY = "grain-capacity-2030"
URL = f"/api/v1/plans/{NJ}/targets/{KEY}/statements"
# a real (tiny) PDF, PNG and DOCX as offices send them
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def office(session: Session, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An admin (the plan office), the grain target assigned to the agriculture bureau, and the app on the
    test's session with its data directory in tmp_path."""
    admin, admin_h = create_user(session, username="ghb", role="admin", regions=())
    assignments.set_assignment(
        session,
        admin,
        NJ,
        KEY,
        lead="nj-nyncj",
        support=["nj-ghzyj"],
        source="分解方案",
        now=NOW,
        path=WritePath.API,
    )
    settings = Settings(database_url="sqlite://", var_dir=tmp_path / "var", evidence_max_bytes=4096)
    with client_for(session, settings) as client:
        yield client, admin_h, settings


def post(  # type: ignore[no-untyped-def]
    client, headers, *, year="2026", text="2026年全市粮食综合生产能力保持稳定。", files=(), corrects=None
):
    data = {"year": year, "text": text}
    if corrects is not None:
        data["corrects"] = str(corrects)
    return client.post(URL, data=data, files=[("file", f) for f in files], headers=headers)


def test_a_statement_with_files_is_stored_by_checksum_and_served_as_an_attachment(  # type: ignore[no-untyped-def]
    session: Session, office
) -> None:
    client, admin_h, settings = office
    made = post(
        client,
        admin_h,
        files=[
            ("../../etc/南京 粮食 2026.pdf", PDF, "application/pdf"),
            ("田间照片.png", PNG, "image/png"),
            ("报告.docx", docx_bytes(), "x/y"),
        ],
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert [f["name"] for f in body["files"]] == ["南京 粮食 2026.pdf", "田间照片.png", "报告.docx"]
    assert [f["media_type"] for f in body["files"]] == [
        "application/pdf",
        "image/png",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]
    pdf = body["files"][0]
    assert pdf["sha256"] == hashlib.sha256(PDF).hexdigest()
    # stored under the data directory by its checksum, not by the user's name
    stored = settings.var_dir / "evidence" / pdf["sha256"][:2] / pdf["sha256"]
    assert stored.read_bytes() == PDF
    assert not any("粮食" in p.name or p.name == "etc" for p in settings.var_dir.rglob("*"))
    got = client.get(pdf["url"])
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="evidence-') and disposition.endswith(
        ".pdf\"; filename*=UTF-8''%E5%8D%97%E4%BA%AC%20%E7%B2%AE%E9%A3%9F%202026.pdf"
    )
    listed = client.get(URL).json()
    assert [s["year"] for s in listed] == [2026] and len(listed[0]["files"]) == 3
    # tampered on disk: refused (409), never served
    stored.write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    bad = client.get(pdf["url"])
    assert (
        bad.status_code == 409 and "checksum" in bad.json()["detail_en"] and "校验" in bad.json()["detail_zh"]
    )
    assert client.get("/evidence/999999").status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status", "en", "zh"),
    [
        (
            "notice.pdf",
            b"<html><script>alert(1)</script></html>",
            415,
            "not an allowed type",
            "不是允许的类型",
        ),
        ("photo.pdf", PNG, 415, "is a PNG", "扩展名与其内容"),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, 415, "not an allowed type", "不是允许的类型"),
        ("big.pdf", PDF + b"0" * 5000, 413, "larger than the limit", "超过大小上限"),
        ("empty.pdf", b"", 422, "is empty", "是空的"),
    ],
)
def test_bad_files_are_refused_with_a_message_and_nothing_is_kept(  # type: ignore[no-untyped-def]
    session: Session, office, name, data, status, en, zh
) -> None:
    client, admin_h, settings = office
    before = session.scalar(select(func.count()).select_from(ProgressStatement))
    # one good file beside the bad one: the whole statement is refused, the good file not stored either
    got = post(client, admin_h, files=[("good.pdf", PDF, "application/pdf"), (name, data, "application/pdf")])
    assert got.status_code == status, got.text
    assert en in got.json()["detail_en"] and zh in got.json()["detail_zh"]
    assert session.scalar(select(func.count()).select_from(ProgressStatement)) == before
    assert not (settings.var_dir / "evidence").exists()


def test_empty_text_and_a_year_outside_the_period_are_refused(session: Session, office) -> None:  # type: ignore[no-untyped-def]
    client, admin_h, _ = office
    empty = post(client, admin_h, text="   ")
    assert empty.status_code == 422 and "write the progress statement" in empty.json()["detail_en"]
    assert "请填写进展情况说明" in empty.json()["detail_zh"]
    as_json = client.post(URL, json={"year": 2026, "text": "x"}, headers=admin_h)
    assert as_json.status_code == 422 and "multipart/form-data" in as_json.json()["detail_en"]
    late = post(client, admin_h, year="2031")
    assert late.status_code == 422 and "2031" in late.json()["detail_en"]
    assert post(client, admin_h, year="twenty").status_code == 422


def test_who_may_record_progress(session: Session, office) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = office
    _, viewer_h = create_user(session, username="reader", role="viewer", regions=())
    assert post(client, viewer_h).status_code == 403
    _, hz_h = create_user(session, username="hz", role="editor", regions=("330100",))
    refused = post(client, hz_h)
    assert refused.status_code == 403 and "lead or supporting" in refused.json()["detail_en"]
    _, nj_h = create_user(session, username="nj", role="editor", regions=("320100",))
    assert post(client, nj_h).status_code == 201
    # a viewer who works for the lead bureau may state its progress, on its behalf
    bureau, bureau_h = create_user(session, username="nyncj", role="viewer", regions=())
    set_organisation(session, bureau, "nj-nyncj", now=NOW)
    session.commit()
    made = post(client, bureau_h, text="农业农村局：2026年新建高标准农田3万亩。")
    assert made.status_code == 201
    row = session.get(ProgressStatement, made.json()["id"])
    assert row is not None and row.organisation_id == bureau.organisation_id
    assert client.post(URL, data={"year": "2026", "text": "x"}).status_code == 401


def test_a_correction_is_a_new_version_and_keeps_the_files(session: Session, office) -> None:  # type: ignore[no-untyped-def]
    client, admin_h, _ = office
    first = post(
        client, admin_h, text="粮食产能 96 万吨。", files=[("公报.pdf", PDF, "application/pdf")]
    ).json()
    fixed = post(client, admin_h, text="更正：粮食产能 96.5 万吨。", corrects=first["id"])
    assert fixed.status_code == 201, fixed.text
    listed = client.get(URL).json()
    assert [(s["text"], s["version"]) for s in listed] == [("更正：粮食产能 96.5 万吨。", 2)]
    assert [f["name"] for f in listed[0]["files"]] == ["公报.pdf"]
    history = client.get(URL + "?history=true").json()
    assert [s["version"] for s in history] == [2, 1] and history[1]["corrected"] is True
    original = session.get(ProgressStatement, first["id"])
    assert original is not None and original.text == "粮食产能 96 万吨。"  # never overwritten
    again = post(client, admin_h, corrects=first["id"])
    assert again.status_code == 409 and "latest version" in again.json()["detail_en"]
    audit = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "progress_statement")
    ).all()
    assert sorted(audit) == ["correct", "create"]


def test_the_target_page_form_and_the_evaluation_documents(session: Session, office) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = office
    now = dt.datetime.now(dt.UTC)
    users.create_user(session, username="office", role=Role.ADMIN, password="office-pass-123", now=now)
    session.commit()
    run_report(session, as_of=now, now=now)
    session.commit()
    page = f"/targets/{NJ}/{KEY}"
    anonymous = client.get(page + "?lang=zh")
    assert (
        anonymous.status_code == 200
        and 'id="statement-form"' not in anonymous.text
        and "登录后可填写进展情况" in anonymous.text
    )
    login = client.post(
        "/login",
        data={"username": "office", "password": "office-pass-123", "next": page},
        follow_redirects=False,
    )
    assert login.status_code == 303
    html = client.get(page + "?lang=zh").text
    csrf = re.search(r'id="statement-form">\s*<input type="hidden" name="csrf" value="([^"]+)"', html)
    assert csrf, html[-3000:]
    form = {"csrf": csrf.group(1), "year": "2026", "text": "<script>alert('x')</script>全年粮食产能96万吨"}
    forged = client.post(
        page + "/statements",
        data={**form, "csrf": "forged"},
        files=[("file", ("a.pdf", PDF, "application/pdf"))],
    )
    assert forged.status_code == 403
    wrong = client.post(
        page + "/statements?lang=en", data=form, files=[("file", ("a.pdf", b"GIF89a", "application/pdf"))]
    )
    assert wrong.status_code == 415 and "not an allowed type" in wrong.text
    assert "&lt;script&gt;alert" in wrong.text  # what was typed comes back, escaped
    saved = client.post(
        page + "/statements?lang=zh",
        data=form,
        files=[("file", ("<b>公报<i>.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shown = client.get(saved.headers["location"]).text
    assert (
        "进展情况说明已保存" in shown
        and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;全年粮食产能96万吨" in shown
    )
    assert "<script>alert" not in shown and "&lt;b&gt;公报&lt;i&gt;.pdf" in shown
    [link] = re.findall(r'href="(/evidence/\d+)"', shown)
    assert client.get(link).content == PDF
    # the annual evaluation (and the end-of-term one) list the statement as 支撑材料
    run_id = re.search(r"run=(\d+)", client.get(f"/plans/{NJ}/annual?year=2026").text)
    query = f"year=2026{'&run=' + run_id.group(1) if run_id else ''}"
    doc = client.get(f"/plans/{NJ}/annual.html?{query}&lang=zh")
    assert doc.status_code == 200 and "支撑材料" in doc.text and "全年粮食产能96万吨" in doc.text
    assert hashlib.sha256(PDF).hexdigest() in doc.text and "&lt;b&gt;公报&lt;i&gt;.pdf" in doc.text
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/plans/{NJ}/annual.xlsx?{query}&lang=en").content))
    sheet = book["Supporting materials"]
    assert [c.value for c in sheet[2]][:4] == [
        f"{NJ}/{KEY}",
        "Comprehensive grain production capacity",
        "Nanjing",
        2026,
    ]
    docx = client.get(f"/plans/{NJ}/annual.docx?{query}&lang=zh").content
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        xml = z.read("word/document.xml").decode()
    assert "支撑材料" in xml and "全年粮食产能96万吨" in xml
    term = client.get(f"/plans/{NJ}/evaluation.html?lang=zh")
    assert term.status_code == 200 and "支撑材料" in term.text and "全年粮食产能96万吨" in term.text
    assert (
        "支撑材料" not in client.get("/plans/yrd-outline-2019/evaluation.html?lang=zh").text
    )  # none recorded
    assert session.scalar(select(func.count()).select_from(StatementFile)) == 1
