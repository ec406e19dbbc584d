"""Reading the catalog's current targets as flat records (export, API)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from service.db.models import Indicator, Plan, Region, Target

EXPORT_FIELDS = [
    "id",
    "plan",
    "plan_code",
    "region",
    "region_code",
    "indicator_code",
    "indicator",
    "unit",
    "comparator",
    "value",
    "low",
    "high",
    "stretch_value",
    "tolerance",
    "target_year",
    "reference_year",
    "declared_form",
    "baseline_value",
    "baseline_year",
    "source_document",
    "source_quote",
    "chapter",
    "confidence",
    "note",
    "version",
]
# What the 十五五 plans added (the plan reader's records carry EXPORT_FIELDS; the catalog's export both).
PERIOD_FIELDS = ["period_start", "attribute"]
# Responsibility and decomposition (issue 21): lead and supporting organisations' codes, the parent of a
# sub-target and the target a yearly milestone serves.
ASSIGNMENT_FIELDS = ["lead", "support", "parent", "serves"]
CATALOG_EXPORT_FIELDS = [*EXPORT_FIELDS, *PERIOD_FIELDS, *ASSIGNMENT_FIELDS]


def figure(value: Decimal | None) -> int | float | None:
    """A stored figure as a JSON number without trailing zeros (3.70000000 -> 3.7, 5000.0 -> 5000)."""
    if value is None:
        return None
    d = Decimal(value).normalize()
    return int(d) if d == d.to_integral_value() else float(d)


@dataclass(frozen=True)
class TargetFilter:
    plan: str | None = None
    region: str | None = None
    indicator: str | None = None
    year: int | None = None
    organisation: str | None = None  # code or Chinese name: what it leads, supports or holds a share of


def _filtered(stmt: Select[Any], f: TargetFilter, region_alias: Any) -> Select[Any]:
    if f.plan:
        stmt = stmt.where(Plan.code == f.plan)
    if f.region:
        stmt = stmt.where(or_(region_alias.code == f.region, region_alias.name_zh == f.region))
    if f.indicator:
        stmt = stmt.where(Indicator.code == f.indicator)
    if f.year is not None:
        stmt = stmt.where(Target.target_year == f.year)
    return stmt


def organisation_condition(session: Session, organisation: str) -> Any:
    """SQL condition: the current target is one the organisation leads, supports or holds a share of."""
    from sqlalchemy import false, tuple_

    from service.domain.assignments import find_organisation, keys_of_organisation

    keys = keys_of_organisation(session, find_organisation(session, organisation))
    return tuple_(Target.plan_id, Target.key).in_(sorted(keys)) if keys else false()


def target_records(
    session: Session, f: TargetFilter = TargetFilter(), *, limit: int | None = None, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Current targets as export records, ordered by plan, then key; and the total count."""
    region = aliased(Region)
    base = (
        select(Target, Plan, Indicator, region)
        .join(Plan, Target.plan_id == Plan.id)
        .join(Indicator, Target.indicator_id == Indicator.id)
        .join(region, Target.region_id == region.id)
        .where(Target.valid_to.is_(None))
    )
    base = _filtered(base, f, region)
    if f.organisation:
        base = base.where(organisation_condition(session, f.organisation))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    stmt = base.order_by(Plan.code, Target.key).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    from service.domain.assignments import assignments_by_key

    rows = list(session.execute(stmt))
    assigned = assignments_by_key(session, {t.plan_id for t, *_ in rows}) if rows else {}
    records = []
    for t, p, ind, reg in rows:
        who = assigned.get((t.plan_id, t.key), {})
        records.append(
            {
                "id": f"{p.code}/{t.key}",
                "plan": p.title_zh,
                "plan_code": p.code,
                "region": reg.name_zh,
                "region_code": reg.code,
                "indicator_code": ind.code,
                "indicator": ind.name_zh,
                "unit": t.unit,
                "comparator": t.comparator.value,
                "value": figure(t.value),
                "low": figure(t.low),
                "high": figure(t.high),
                "stretch_value": figure(t.stretch_value),
                "tolerance": figure(t.tolerance),
                "target_year": t.target_year,
                "reference_year": t.reference_year,
                "declared_form": t.declared_form.value,
                "baseline_value": figure(t.baseline_value),
                "baseline_year": t.baseline_year,
                "source_document": t.source_document,
                "source_quote": t.source_quote,
                "chapter": t.chapter,
                "confidence": t.confidence.value,
                "note": t.note,
                "version": t.version,
                "period_start": t.period_start,
                "attribute": t.attribute.value if t.attribute else None,
                "lead": (who.get("lead") or {}).get("code"),
                "support": ";".join(o["code"] for o in who.get("support", [])) or None,
                "parent": t.parent_key,
                "serves": t.serves,
            }
        )
    return records, total
