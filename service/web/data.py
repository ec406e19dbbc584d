"""What the pages show, read from the latest report run and the observations (no HTML here)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Float, select, type_coerce
from sqlalchemy.orm import Session

from service.db.models import (
    Indicator,
    IndicatorKind,
    Observation,
    ObservationStatus,
    Plan,
    Region,
    ReportRun,
    Target,
)
from service.domain.errors import NotFound
from service.domain.regions import expected_indicators, zone_members
from service.reports.engine import SeriesBuilder, load_vintage
from service.reports.queries import AssessmentFilter, assessment_records, evaluation, latest_finished_run
from service.web.i18n import t

COMPOUNDING_FORMS = {"avg_annual_growth", "annual_growth", "multiple"}


def latest_run(session: Session) -> ReportRun | None:
    return latest_finished_run(session)


def status_label(status: str, lang: str) -> str:
    return t("status_" + status, lang)


def overview(session: Session, run: ReportRun, lang: str, *, plan: str | None, region: str | None,
             category: str | None, year: int | None) -> dict[str, Any]:  # fmt: skip
    everything = assessment_records(session, run)  # read once: the filter menus list every value
    records = [
        r for r in everything
        if (not plan or r["plan_code"] == plan) and (not region or region in (r["region_code"], r["region"]))
    ]  # fmt: skip
    categories = {i.code: i.category for i in session.scalars(select(Indicator))}
    if category:
        records = [r for r in records if categories.get(r["indicator_code"]) == category]
    if year:
        records = [r for r in records if r["target_year"] == year]
    plans: dict[str, dict[str, Any]] = {}
    for r in records:
        p = plans.setdefault(
            r["plan_code"], {"code": r["plan_code"], "title": r["plan"], "counts": defaultdict(int)}
        )
        p["counts"][r["status"]] += 1
    # the grid: indicators x regions, worst status of the targets in the cell
    from service.domain.statuses import WORST_FIRST, Status

    rank = {s.value: i for i, s in enumerate(WORST_FIRST)}
    rank[Status.INSUFFICIENT_DATA.value] = len(rank)
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    indicator_names: dict[str, str] = {}
    region_names: dict[str, str] = {}
    for r in records:
        key = (r["indicator_code"], r["region_code"])
        indicator_names[r["indicator_code"]] = r["indicator"]
        region_names[r["region_code"]] = r["region"]
        cell = cells.get(key)
        if cell is None or rank[r["status"]] < rank[cell["status"]]:
            cells[key] = {"status": r["status"], "label": status_label(r["status"], lang), "link": r["id"],
                          "count": (cell or {}).get("count", 0) + 1}  # fmt: skip
        else:
            cell["count"] += 1
    return {
        "records": records,
        "plans": list(plans.values()),
        "grid_indicators": sorted(indicator_names.items(), key=lambda kv: kv[1]),
        "grid_regions": sorted(region_names.items()),
        "cells": {f"{k[0]}|{k[1]}": v for k, v in cells.items()},
        "all_plans": [
            (p.code, p.title_zh if lang != "en" else p.title_en)
            for p in session.scalars(select(Plan).order_by(Plan.code))
        ],
        "all_regions": sorted({(r["region_code"], r["region"]) for r in everything}),
        "all_categories": sorted(set(categories.values())),
        "all_years": sorted({r["target_year"] for r in everything}),
    }


def _path(
    start: tuple[int, float], end_year: int, end_value: float | None, compounding: bool
) -> list[list[float]]:
    b, xb = start
    if end_value is None or end_year <= b:
        return []
    out = []
    for y in range(b, end_year + 1):
        frac = (y - b) / (end_year - b)
        if compounding and xb > 0 and end_value > 0:
            out.append([y, xb * (end_value / xb) ** frac])
        else:
            out.append([y, xb + frac * (end_value - xb)])
    return out


def target_page(session: Session, run: ReportRun, plan_code: str, key: str) -> dict[str, Any]:
    target = session.scalar(
        select(Target).join(Plan).where(Plan.code == plan_code, Target.key == key, Target.valid_to.is_(None))
    )
    if target is None:
        raise NotFound(f"目标 {plan_code}/{key} 不存在", f"target {plan_code}/{key} does not exist")
    records = [
        r
        for r in assessment_records(session, run, AssessmentFilter(plan=plan_code))
        if r["id"] == f"{plan_code}/{key}"
    ]
    if not records:
        raise NotFound(
            "该目标尚未评估，请等待下一次报告运行",
            "this target has not been assessed yet; wait for the next run",
        )
    r = records[0]
    indicator = session.get(Indicator, target.indicator_id)
    region = session.get(Region, target.region_id)
    assert indicator is not None and region is not None
    indicators = {i.id: i for i in session.scalars(select(Indicator))}
    members = zone_members(session)
    builder = SeriesBuilder(session, indicators, members)
    vintage = load_vintage(session, builder.needed_keys(indicator.id, region.id), run.as_of)
    series, how = builder.series(vintage, indicator.id, region.id)
    used = {p.inputs[0] for p in series if len(p.inputs) == 1}
    revised = [
        [period, value]
        for oid, period, value in session.execute(
            select(Observation.id, Observation.period, type_coerce(Observation.value, Float)).where(
                Observation.indicator_id == indicator.id, Observation.region_id == region.id,
                Observation.reported_at <= run.as_of, Observation.value.is_not(None),
                Observation.status != ObservationStatus.PLAN_BASELINE,
            )
        )
        if oid not in used
    ]  # fmt: skip
    is_rate = indicator.kind is IndicatorKind.GROWTH_RATE
    compounding = r["declared_form"] in COMPOUNDING_FORMS
    chart: dict[str, Any] = {
        "indicator": indicator.name_zh, "indicator_en": indicator.name_en, "region": region.name_zh,
        "region_en": region.name_en, "unit": indicator.unit, "target_year": target.target_year,
        "series": [[p.year, p.value] for p in series], "revised": revised, "base": None, "reference": [],
        "required": [], "projection": [], "trend": None, "target_level": None, "band": None, "stretch": None,
    }  # fmt: skip
    if not is_rate and r["base_value"] is not None:
        chart["base"] = [r["base_year"], r["base_value"]]
    if not is_rate and r["target_level"] is not None:
        chart["target_level"] = r["target_level"]
        if r["base_value"] is not None:
            chart["reference"] = _path(
                (r["base_year"], r["base_value"]), target.target_year, r["target_level"], compounding
            )
        if (
            r["status"] not in ("achieved", "achieved_early")  # nothing is "needed" once it is met
            and r["latest_value"] is not None
            and r["latest_year"] is not None
            and r["latest_year"] < target.target_year
        ):
            chart["required"] = _path(
                (r["latest_year"], r["latest_value"]), target.target_year, r["target_level"], True
            )
            chart["projection"] = _path(
                (r["latest_year"], r["latest_value"]), target.target_year, r["projection"], True
            )
            chart["trend"] = r["projection_trend"]
    assessment_full = _assessment_row(session, run, target.id)
    if not is_rate:
        chart["band"] = assessment_full.get("band")
        chart["stretch"] = assessment_full.get("stretch_level")
    return {"record": r, "chart": chart, "aggregation": how, "metrics": assessment_full, "target": target,
            "indicator": indicator, "region": region}  # fmt: skip


def _assessment_row(session: Session, run: ReportRun, target_id: int) -> dict[str, Any]:
    from service.db.models import Assessment

    row = session.scalar(
        select(Assessment).where(Assessment.run_id == run.id, Assessment.target_id == target_id)
    )
    return dict(row.metrics) if row is not None else {}


def indicator_page(session: Session, run: ReportRun, code: str, lang: str) -> dict[str, Any]:
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        raise NotFound(f"指标 {code} 不存在", f"indicator {code} does not exist")
    rows = assessment_records(session, run, AssessmentFilter(indicator=code))
    for r in rows:
        r["status_label"] = status_label(r["status"], lang)
    rows.sort(key=lambda r: (r["region_code"], r["target_year"]))
    return {"indicator": indicator, "rows": rows}


def evaluation_page(session: Session, run: ReportRun, plan_code: str) -> dict[str, Any]:
    return evaluation(session, run, plan_code)


def entry_rows(session: Session, region: Region, year: int) -> list[dict[str, Any]]:
    """Indicators a region is expected to report (its targets' and its zones' targets'), with last
    year's value and the value already entered for ``year``."""
    expected = expected_indicators(session, region)
    ind_ids = {i.id for i in expected}
    indicators = {i.id: i for i in expected}
    vintage = load_vintage(session, {(i, region.id) for i in ind_ids}, dt.datetime.now(dt.UTC))
    rows = []
    for i in sorted(ind_ids, key=lambda i: indicators[i].code):
        years = vintage.get((i, region.id), {})
        last, current = years.get(year - 1), years.get(year)
        rows.append({
            "indicator": indicators[i], "last": last.value if last else None,
            "current": current.value if current else None,
        })  # fmt: skip
    return rows
