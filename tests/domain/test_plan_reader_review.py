"""Reviewing the reader's proposals on both databases: the domain functions, the administrators' pages and
the `yrdmon plans read` command."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from service.cli.main import app as cli_app
from service.config import PROJECT_ROOT
from service.db.models import (
    Indicator,
    Observation,
    ObservationStatus,
    Plan,
    PlanProposal,
    PlanReading,
    Role,
    Target,
    User,
)
from service.domain import plan_review, users
from service.domain.catalog import apply_catalog, read_catalog
from service.domain.errors import Conflict, Invalid
from service.domain.plan_reader import RECORD_FIELDS, UnreadableDocument
from service.domain.targets import EXPORT_FIELDS, TargetFilter, target_records
from tests.support.factories import NOW, copy_catalog
from tests.support.samples import PLAN, without_absent
from tests.support.web import login

CODE = "test-city-15th-fyp"


@pytest.fixture(autouse=True)
def _sewage_is_a_new_indicator(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in test_plan_reader: the test plan's 农村生活污水治理 is a concept the vocabulary lacks."""
    read_catalog_vocabulary = plan_review.vocabulary
    monkeypatch.setattr(
        plan_review, "vocabulary", lambda session: without_absent(read_catalog_vocabulary(session))
    )


def admin(session: Session, username: str = "reviewer") -> User:
    user = users.create_user(session, username=username, role=Role.ADMIN, region_codes=[], now=NOW)
    session.flush()
    return user


def reading(session: Session, user: User, text: str = PLAN, code: str = CODE, **kw: Any) -> PlanReading:
    return plan_review.create_reading(
        session, user, filename="city-plan.txt", content=text.encode(), plan_code=code,
        plan_title=kw.pop("title", "上海市青浦区国民经济和社会发展第十五个五年规划纲要"), issued=kw.pop("issued", "2026"),
        now=NOW, **kw,
    )  # fmt: skip


def proposal(session: Session, r: PlanReading, indicator: str | None, kind: str = "target") -> PlanProposal:
    found = [
        p for p in plan_review.proposals_of(session, r.id) if p.indicator_code == indicator and p.kind == kind
    ]
    assert found, indicator
    return found[0]


def test_a_reading_stores_proposals_and_marks_duplicates_of_the_catalog(
    session: Session, seeds_dir: Path
) -> None:
    user = admin(session)
    targets_before = session.scalar(select(func.count()).select_from(Target))
    text = (seeds_dir / "004_688d1b3eb0656e61.txt").read_text(encoding="utf-8")
    r = reading(
        session,
        user,
        text,
        code="sh-new-cities-industry-2021",
        title="上海市新城产业发展专项方案",
        issued="2021",
    )
    props = plan_review.proposals_of(session, r.id)
    assert len(props) == 14 and all(p.status == "pending" for p in props)
    duplicates = {p.duplicate_of for p in props}
    assert "sh-new-cities-industry-2021/nanhui-output-2025" in duplicates and None not in duplicates
    assert session.scalar(select(func.count()).select_from(Target)) == targets_before


def test_accept_edit_and_reject_write_catalog_targets_with_provenance(session: Session) -> None:
    user = admin(session)
    r = reading(session, user)
    assert session.scalar(select(Plan).where(Plan.code == CODE)) is None  # nothing written yet
    gdp = proposal(session, r, "gdp")
    plan_review.accept(session, user, gdp.id, now=NOW)
    target = session.get(Target, gdp.target_id)
    assert target is not None and target.accepted_by_id == user.id and target.accepted_at == NOW
    assert (
        target.quote_position == gdp.quote_start
        and PLAN[gdp.quote_start : gdp.quote_end] == target.source_quote
    )
    records, _ = target_records(session, TargetFilter(plan=CODE))
    (record,) = records
    assert (
        set(EXPORT_FIELDS) <= set(record) and record["value"] == 20000 and record["region_code"] == "310118"
    )
    assert record["source_document"] == "city-plan.txt" and record["target_year"] == 2030
    # edited before acceptance
    urb = proposal(session, r, "urbanization_rate")
    plan_review.accept(
        session, user, urb.id, plan_review.Edits(value="76", comparator=">=", note="checked"), now=NOW
    )
    edited = session.get(Target, urb.target_id)
    assert (
        edited is not None
        and edited.value == Decimal(76)
        and edited.comparator.value == ">="
        and edited.note == "checked"
    )
    # rejected: no target
    pm = proposal(session, r, "pm25_concentration")
    plan_review.reject(session, user, pm.id, now=NOW)
    assert pm.status == "rejected" and pm.target_id is None
    with pytest.raises(Conflict):
        plan_review.accept(session, user, pm.id, now=NOW)
    # a new indicator needs a code; then it is created with the target
    sewage = proposal(session, r, None)
    with pytest.raises(Invalid):
        plan_review.accept(session, user, sewage.id, now=NOW)
    plan_review.accept(
        session, user, sewage.id, plan_review.Edits(indicator_code="rural_sewage_coverage"), now=NOW
    )
    indicator = session.scalar(select(Indicator).where(Indicator.code == "rural_sewage_coverage"))
    assert indicator is not None and indicator.unit == "%" and "污水" in indicator.name_zh
    # a baseline becomes a plan_baseline observation
    base = proposal(session, r, "gdp_growth", kind="baseline")
    plan_review.accept(session, user, base.id, now=NOW)
    obs = session.scalar(
        select(Observation).where(
            Observation.status == ObservationStatus.PLAN_BASELINE, Observation.note == base.quote
        )
    )
    assert obs is not None and obs.period == 2025 and obs.value == Decimal("6.5")


def test_the_exported_file_loads_into_the_catalog_with_no_change(session: Session, tmp_path: Path) -> None:
    user = admin(session)
    r = reading(session, user)
    for code, kind in [("gdp", "target"), ("rd_intensity", "target"), ("base_stations_5g", "target"),
                       ("energy_intensity", "target"), ("gdp_growth", "baseline")]:  # fmt: skip
        plan_review.accept(session, user, proposal(session, r, code, kind).id, now=NOW)
    name, text = plan_review.export_plan_file(session, CODE, PROJECT_ROOT / "indicators")
    assert name == f"{CODE}.yaml" and "研发投入强度达到百分之三点五" in text
    catalog_dir = copy_catalog(tmp_path)
    (catalog_dir / "plans" / name).write_text(text, encoding="utf-8")
    catalog = read_catalog(catalog_dir)
    assert len(next(pf for _, pf in catalog.plans if pf.plan.code == CODE).targets) == 4
    report = apply_catalog(session, catalog, now=NOW + dt.timedelta(days=1))
    assert not report.changed, (report.created, report.updated, report.retired)


def test_an_existing_plan_file_is_exported_with_the_accepted_targets_added(session: Session) -> None:
    user = admin(session)
    r = reading(session, user, PLAN, code="yrd-outline-2019", title="长江三角洲区域一体化发展规划纲要")
    plan_review.accept(session, user, proposal(session, r, "gdp").id, now=NOW)
    name, text = plan_review.export_plan_file(session, "yrd-outline-2019", PROJECT_ROOT / "indicators")
    assert (
        name == "yrd-outline-2019.yaml"
        and "铁路网密度达到507公里/万平方公里" in text
        and "２００００亿元" in text
    )


def test_an_unreadable_file_changes_nothing(session: Session) -> None:
    user = admin(session)
    before = session.scalar(select(func.count()).select_from(PlanReading))
    with pytest.raises(UnreadableDocument):
        plan_review.create_reading(session, user, filename="x.docx", content=b"PK\x03\x04junk", plan_code=CODE,
                                   plan_title="某规划", now=NOW)  # fmt: skip
    with pytest.raises(Invalid):
        reading(session, user, code="Not A Code")
    assert session.scalar(select(func.count()).select_from(PlanReading)) == before


# --- the pages ---------------------------------------------------------------------------------------------


def test_an_administrator_uploads_reviews_and_downloads(client: TestClient, session: Session) -> None:
    csrf = login(client, session, "chief", Role.ADMIN, [])
    page = client.get("/plan-reader")
    assert page.status_code == 200 and 'id="reader-form"' in page.text and 'id="nav-plan-reader"' in page.text
    response = client.post(
        "/plan-reader", data={"csrf": csrf, "plan_code": CODE, "plan_title": "上海市青浦区规划", "issued": "2026"},
        files={"file": ("plan.txt", PLAN.encode(), "text/plain")}, follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text
    review_url = response.headers["location"].split("?")[0]
    review = client.get(review_url)
    assert review.status_code == 200 and "<mark>研发投入强度达到百分之三点五</mark>" in review.text
    r = session.scalar(select(PlanReading).where(PlanReading.plan_code == CODE))
    assert r is not None
    gdp = proposal(session, r, "gdp")
    done = client.post(f"{review_url}/proposals/{gdp.id}", data={"csrf": csrf, "action": "accept", "value": "21000"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    session.refresh(gdp)
    assert gdp.status == "accepted" and session.get(Target, gdp.target_id).value == Decimal(21000)  # type: ignore[union-attr]
    again = client.post(f"{review_url}/proposals/{gdp.id}", data={"csrf": csrf, "action": "accept"})
    assert again.status_code == 409 and "已处理" in again.text
    bad = proposal(session, r, "rd_intensity")
    refused = client.post(
        f"{review_url}/proposals/{bad.id}", data={"csrf": csrf, "action": "accept", "region_code": "nowhere"}
    )
    assert refused.status_code == 422 and bad.status == "pending"
    export = client.get(f"{review_url}/catalog.yaml")
    assert (
        export.status_code == 200
        and "21000" in export.text
        and export.headers["content-type"].startswith("application/yaml")
    )


def test_bad_uploads_get_a_clear_message_and_change_nothing(client: TestClient, session: Session) -> None:
    csrf = login(client, session, "chief2", Role.ADMIN, [])
    before = session.scalar(select(func.count()).select_from(PlanReading))
    for name, content, status, message in [
        ("x.bin", bytes(range(256)) * 10, 422, "二进制"),
        ("empty.txt", b"", 422, "文件为空"),
        ("big.txt", b"a" * (21 * 1024 * 1024), 413, "上限"),
    ]:
        response = client.post("/plan-reader", data={"csrf": csrf, "plan_code": CODE, "plan_title": "规划"},
                               files={"file": (name, content, "text/plain")})  # fmt: skip
        assert response.status_code == status and message in response.text, name
    english = client.post("/plan-reader?lang=en", data={"csrf": csrf, "plan_code": CODE, "plan_title": "x"},
                          files={"file": ("x.txt", b"\x00\x01", "text/plain")})  # fmt: skip
    assert english.status_code == 422 and "binary" in english.text
    assert client.post("/plan-reader", data={"plan_code": CODE, "plan_title": "x"},
                       files={"file": ("x.txt", PLAN.encode(), "text/plain")}).status_code == 403  # fmt: skip
    assert session.scalar(select(func.count()).select_from(PlanReading)) == before


def test_only_administrators_see_the_plan_reader(client: TestClient, session: Session) -> None:
    assert client.get("/plan-reader", follow_redirects=False).status_code == 303
    login(client, session, "clerk", Role.EDITOR, ["330421"])
    assert client.get("/plan-reader").status_code == 403
    assert 'id="nav-plan-reader"' not in client.get("/entry").text


# --- the command line --------------------------------------------------------------------------------------


def test_plans_read_prints_records_with_the_export_fields(tmp_path: Path, seeds_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["plans", "read", str(seeds_dir / "000_7beb258b8a9f605f.txt"), "--plan",
                                     "长三角生态绿色一体化发展示范区产业发展规划", "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert {r["kind"] for r in records} == {"target", "baseline"}
    assert all(
        set(EXPORT_FIELDS) - {"version"} <= set(r) and {"kind", "confidence"} <= set(r) for r in records
    )
    assert list(records[0]) == RECORD_FIELDS
    rd = next(r for r in records if r["indicator_code"] == "rd_intensity" and r["kind"] == "target")
    assert (rd["value"], rd["target_year"], rd["region_code"], rd["comparator"]) == (3.7, 2025, "Z-DEMO", "~")
    assert rd["duplicate_of"] == "demo-zone-industry-2023/rd-intensity-2025"
    table = runner.invoke(
        cli_app, ["plans", "read", str(seeds_dir / "004_688d1b3eb0656e61.txt"), "--plan", "新城方案"]
    )
    assert table.exit_code == 0 and "“其他4个新城年均增长6%以上、力争8%以上”" in table.stdout
    assert re.search(r"14 targets and 0 baselines proposed; 14 already in the catalog", table.stdout)


def test_plans_read_refuses_what_is_not_a_plan(tmp_path: Path) -> None:
    runner = CliRunner()
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"PK\x03\x04 not really")
    result = runner.invoke(cli_app, ["plans", "read", str(junk), "--plan", "x"])
    assert result.exit_code == 2 and "not a valid .docx" in result.stderr and "压缩包损坏" in result.stderr
    missing = runner.invoke(cli_app, ["plans", "read", str(tmp_path / "nope.txt"), "--plan", "x"])
    assert missing.exit_code == 2 and "file not found" in missing.stderr
