"""What the 十五五 plans say, end to end: the schema's new fields (attribute, period_start, qualitative,
each_year, the plan period), loading them, runs, evaluations, exports and pages."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from fastapi.testclient import TestClient
from markupsafe import escape
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Assessment, Attribute, Comparator, DeclaredForm, Plan, Target, WritePath
from service.domain.catalog import apply_catalog, content_hash, hashed_dump, read_catalog
from service.domain.catalog_schema import PlanFile, PlanMeta, TargetEntry
from service.domain.observations import ObservationInput, ingest
from service.domain.targets import TargetFilter, target_records
from service.reports.engine import run_report
from service.reports.queries import AssessmentFilter, assessment_records, evaluation
from service.reports.render import to_xlsx
from tests.support.factories import copy_catalog, create_user

ENTERED = dt.datetime(2028, 4, 1, tzinfo=dt.UTC)
AS_OF = dt.datetime(2028, 6, 1, tzinfo=dt.UTC)

PLAN: dict[str, Any] = {
    "plan": {
        "code": "test-15th-outline", "title_zh": "测试市第十五个五年规划纲要", "title_en": "Test 15th outline",
        "issuer": "测试市人民政府", "issued": "2026-02", "base_year": 2025, "horizon_years": [2030],
        "period": [2026, 2030], "source_document": "test-15th-outline.txt",
    },
    "targets": [
        {"key": "gdp-growth-2030", "indicator": "gdp", "region": "310000", "unit": "%", "comparator": ">=",
         "value": 5, "target_year": 2030, "period_start": 2026, "declared_form": "avg_annual_growth",
         "attribute": "anticipatory", "quote": "地区生产总值年均增长5%以上", "reference_year": 2025},
        {"key": "new-firms-each-year", "indicator": "new_high_tech_enterprises", "region": "310000",
         "unit": "家", "comparator": ">=", "value": 1000, "target_year": 2030, "period_start": 2026,
         "declared_form": "each_year", "attribute": "anticipatory", "quote": "每年新增高新技术企业1000家"},
        {"key": "pm25-2030", "indicator": "pm25_concentration", "region": "310000", "unit": "微克/立方米",
         "comparator": "qualitative", "target_year": 2030, "attribute": "binding",
         "quote": "细颗粒物（PM2.5）年均浓度    约束性    完成省定目标"},
        {"key": "energy-2030", "indicator": "energy_intensity", "region": "310000", "unit": "%",
         "comparator": "<=", "value": -13.5, "target_year": 2030, "reference_year": 2025, "period_start": 2026,
         "declared_form": "relative_change", "attribute": "binding", "quote": "单位地区生产总值能耗降低〔13.5〕",
         "baseline": {"value": 0.3, "year": 2025, "unit": "吨标准煤/万元"}},
    ],
}  # fmt: skip


def target(**overrides: Any) -> TargetEntry:
    fields: dict[str, Any] = {"key": "k", "indicator": "gdp", "region": "310000", "unit": "亿元",
                              "comparator": ">=", "value": 1, "target_year": 2030, "declared_form": "level",
                              "quote": "达到1亿元"}  # fmt: skip
    fields.update(overrides)
    return TargetEntry.model_validate(fields)


# --- the schema ----------------------------------------------------------------------------------


def test_the_new_fields_round_trip() -> None:
    pf = PlanFile.model_validate(PLAN)
    again = PlanFile.model_validate(
        yaml.safe_load(yaml.safe_dump(pf.model_dump(mode="json"), allow_unicode=True))
    )
    assert again == pf
    assert pf.plan.period == (2026, 2030)
    growth, yearly, pm25, energy = pf.targets
    assert (growth.attribute, growth.period_start, growth.base_year) == (Attribute.ANTICIPATORY, 2026, 2025)
    assert yearly.declared_form is DeclaredForm.EACH_YEAR and yearly.base_year == 2025
    assert pm25.comparator is Comparator.QUALITATIVE and pm25.value is None and pm25.is_qualitative
    assert pm25.declared_form is DeclaredForm.LEVEL  # a qualitative target needs no form
    assert energy.attribute is Attribute.BINDING and energy.value == Decimal("-13.5")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"comparator": "qualitative"}, "a qualitative target has no number; remove value"),
        ({"declared_form": "each_year"}, "'each_year' needs period_start"),
        ({"period_start": 2031}, "period_start must not be after target_year"),
        (
            {"period_start": 2026, "reference_year": 2020},
            "reference_year 2020 and period_start 2026 disagree",
        ),
        ({"attribute": "约束性"}, "attribute"),
        ({"declared_form": "relative_change", "value": -10}, "needs a reference_year or period_start"),
    ],
)
def test_the_new_fields_are_checked(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        target(**overrides)


def test_a_period_alone_defines_a_relative_change() -> None:
    assert target(declared_form="relative_change", value=-20, unit="%", period_start=2026).base_year == 2025


def test_a_plan_period_is_two_years_in_order() -> None:
    meta = {"code": "p", "title_zh": "规划", "title_en": "Plan", "source_document": "x.txt"}
    assert PlanMeta.model_validate({**meta, "period": [2026, 2030]}).period == (2026, 2030)
    with pytest.raises(ValidationError, match="period"):
        PlanMeta.model_validate({**meta, "period": [2030, 2026]})


def test_hashes_of_entries_without_the_new_fields_are_unchanged() -> None:
    # computed by the loader before the schema had attribute, period_start and period: a database loaded
    # then sees its targets and plans unchanged, not as new versions
    e = target(key="rd-intensity-2025", indicator="rd_intensity", region="Z-DEMO", unit="%", comparator="~",
               value=3.7, target_year=2025, quote="研发投入强度达到3.7%", baseline={"value": 3.4, "year": 2022})  # fmt: skip
    assert content_hash({"entry": hashed_dump(e), "document": "doc.txt"}) == (
        "83215207ce8587d0fce70c1402bfe36b6e81b8f854e159beca1159eec1bad7cb"
    )
    meta = PlanMeta(
        code="p", title_zh="规划", title_en="Plan", source_document="doc.txt", horizon_years=[2025]
    )
    assert content_hash(meta) == "16b57e89c307e36714fd415c58a3236460b71d7f325f2756f85e26037b0a546f"
    assert content_hash(meta.model_copy(update={"period": (2021, 2025)})) != content_hash(meta)


# --- loading, runs, evaluations, exports ------------------------------------------------------------


def load(session: Session, tmp_path: Path) -> Path:
    catalog = copy_catalog(tmp_path)
    (catalog / "plans" / "test-15th-outline.yaml").write_text(
        yaml.safe_dump(PLAN, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    apply_catalog(session, read_catalog(catalog), now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    session.commit()
    return catalog


def figures(session: Session) -> None:
    user, _ = create_user(session, username="stats", role="admin", regions=())
    rows = [("gdp", 2025, "50000", "亿元"), ("gdp", 2026, "52500", "亿元"), ("gdp", 2027, "55125", "亿元"),
            ("new_high_tech_enterprises", 2026, "1200", "家"), ("new_high_tech_enterprises", 2027, "900", "家"),
            ("pm25_concentration", 2027, "26", "微克/立方米"), ("energy_intensity", 2027, "0.28", "吨标准煤/万元")]  # fmt: skip
    inputs = [ObservationInput(row=n, indicator=i, region="310000", period=y, value=v, unit=u, confirm=True)
              for n, (i, y, v, u) in enumerate(rows, 1)]  # fmt: skip
    result = ingest(session, user, inputs, path=WritePath.API, now=ENTERED)
    assert result.applied, result.as_dict(all_rows=False)
    session.commit()


def test_the_loader_stores_the_new_fields_and_is_idempotent(session: Session, tmp_path: Path) -> None:
    catalog = load(session, tmp_path)
    plan = session.scalar(select(Plan).where(Plan.code == "test-15th-outline"))
    assert plan is not None and (plan.period_start, plan.period_end) == (2026, 2030)
    rows = {t.key: t for t in session.scalars(select(Target).where(Target.plan_id == plan.id))}
    assert rows["pm25-2030"].comparator is Comparator.QUALITATIVE and rows["pm25-2030"].value is None
    assert rows["pm25-2030"].attribute is Attribute.BINDING
    assert (rows["new-firms-each-year"].declared_form, rows["new-firms-each-year"].period_start) == (
        DeclaredForm.EACH_YEAR, 2026)  # fmt: skip
    assert rows["gdp-growth-2030"].attribute is Attribute.ANTICIPATORY
    again = apply_catalog(session, read_catalog(catalog), now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert not again.changed
    records, _ = target_records(session, TargetFilter(plan="test-15th-outline"))
    by_key = {r["id"].split("/")[1]: r for r in records}
    assert (
        by_key["pm25-2030"]["attribute"] == "binding" and by_key["pm25-2030"]["comparator"] == "qualitative"
    )
    assert by_key["new-firms-each-year"]["period_start"] == 2026


def test_a_run_lists_qualitative_targets_and_judges_yearly_ones(session: Session, tmp_path: Path) -> None:
    load(session, tmp_path)
    figures(session)
    run = run_report(session, as_of=AS_OF, now=AS_OF)
    records = {
        r["id"]: r for r in assessment_records(session, run, AssessmentFilter(plan="test-15th-outline"))
    }
    pm25 = records["test-15th-outline/pm25-2030"]
    assert pm25["status"] == "qualitative" and pm25["status_zh"] == "定性目标" and pm25["score"] is None
    assert (pm25["latest_year"], pm25["latest_value"]) == (2027, 26.0)  # shown for context, not judged
    assert pm25["target_level"] is None and pm25["attribute"] == "binding"
    firms = records["test-15th-outline/new-firms-each-year"]
    assert firms["status"] == "needs_acceleration"  # 900 of 1000 in 2027 (2025 has no figure)
    assert firms["strict_pass"] is False and firms["period_start"] == 2026
    growth = records["test-15th-outline/gdp-growth-2030"]
    assert growth["status"] == "on_track" and growth["base_year"] == 2025  # the year before the period
    assert growth["target_level"] == pytest.approx(50000 * 1.05**5)
    energy = records["test-15th-outline/energy-2030"]
    assert energy["target_level"] == pytest.approx(0.3 * (1 - 0.135))  # the 2025 baseline from the plan
    summary = run.summary or {}
    assert summary["counts"]["qualitative"] >= 1
    group = summary["groups"]["plan:test-15th-outline"]
    assert group["counts"]["qualitative"] == 1 and group["units"] == 3  # not a unit of progress
    pm25_id = select(Target.id).join(Plan).where(Plan.code == "test-15th-outline", Target.key == "pm25-2030")
    stored = session.scalar(
        select(Assessment).where(
            Assessment.run_id == run.id, Assessment.target_id == pm25_id.scalar_subquery()
        )
    )
    assert stored is not None and stored.metrics["notes"]


def test_evaluations_and_exports_show_qualitative_targets(session: Session, tmp_path: Path) -> None:
    load(session, tmp_path)
    figures(session)
    after = dt.datetime(2031, 6, 1, tzinfo=dt.UTC)  # end of term: 2030 has passed
    run = run_report(session, as_of=after, now=after)
    d = evaluation(session, run, "test-15th-outline")
    verdicts = {r["id"].split("/")[1]: r for r in d["end_of_term"]}
    assert (
        verdicts["pm25-2030"]["verdict"] == "qualitative"
        and verdicts["pm25-2030"]["verdict_zh"] == "定性目标"
    )
    assert "完成省定目标" in verdicts["pm25-2030"]["evidence"]
    assert verdicts["new-firms-each-year"]["verdict"] == "missed"  # 2027 fell short
    assert d["end_of_term_counts"]["qualitative"] == 1
    records = assessment_records(session, run, AssessmentFilter(plan="test-15th-outline"))
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(records)))
    sheet = book["test-15th-outline"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    pm25 = rows["test-15th-outline/pm25-2030"]
    assert (pm25["状态"], pm25["属性"]) == ("定性目标", "约束性")
    assert pm25["目标值"].startswith("定性：")
    assert rows["test-15th-outline/new-firms-each-year"]["目标值"] == "2026–2030每年≥1000家"


def test_pages_show_attributes_periods_and_qualitative_targets(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    load(session, tmp_path)
    figures(session)
    run_report(session, as_of=AS_OF, now=AS_OF)
    session.commit()
    plans = client.get("/plans?lang=zh").text
    row = plans.split('href="/plans/test-15th-outline?lang=zh"')[1].split("</tr>")[0]
    assert "2026–2030" in row and "约束性 2" in row and "预期性 2" in row and "定性目标 1" in row
    zh = client.get("/plans/test-15th-outline?lang=zh")
    assert zh.status_code == 200
    table = zh.text.split('id="plan-targets"')[1]
    assert table.count("<tr") == 1 + 4 and "约束性" in table and "预期性" in table
    assert escape("细颗粒物（PM2.5）年均浓度    约束性    完成省定目标") in table
    assert "2026–2030每年≥1000家" in table and 'class="qualitative"' in table
    en = client.get("/plans/test-15th-outline?lang=en").text
    assert "Binding" in en and "Anticipatory" in en and "Qualitative target" in en
    assert "≥1000 firms each year of 2026–2030" in en  # the unit in English too
    only = client.get("/plans/test-15th-outline?kind=qualitative&lang=zh").text
    assert only.split('id="plan-targets"')[1].count("<tr") == 2
    page = client.get("/targets/test-15th-outline/pm25-2030?lang=zh").text
    assert 'id="qualitative-note"' in page and "定性目标" in page and 'id="attribute">约束性<' in page
    page_en = client.get("/targets/test-15th-outline/pm25-2030?lang=en").text
    assert "Qualitative target" in page_en and 'id="attribute">Binding<' in page_en
    yearly = client.get("/targets/test-15th-outline/new-firms-each-year?lang=zh").text
    assert 'id="each-year-note"' in yearly and "(2026–2030)" in yearly
    evaluation_page = client.get("/plans/test-15th-outline/evaluation?lang=zh").text
    assert "定性目标" in evaluation_page
    assert client.get("/plans/no-such-plan").status_code == 404
