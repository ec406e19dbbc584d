"""The target catalog: GET /api/v1/targets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from service.api.deps import NO_NUL, SessionDep
from service.api.paging import Page
from service.domain.targets import TargetFilter, target_records

router = APIRouter(tags=["catalog"])

MAX_LIMIT = 500


class TargetRecord(BaseModel):
    id: str
    plan: str
    plan_code: str
    region: str
    region_code: str
    indicator_code: str
    indicator: str
    unit: str
    comparator: str
    value: float | None
    low: float | None
    high: float | None
    stretch_value: float | None
    tolerance: float | None
    target_year: int
    reference_year: int | None
    declared_form: str
    baseline_value: float | None
    baseline_year: int | None
    source_document: str
    source_quote: str
    chapter: str | None
    confidence: str
    note: str | None
    version: int
    period_start: int | None = Field(
        None, description="first year of the period a yearly or cumulative target covers"
    )
    attribute: str | None = Field(None, description="binding (约束性) or anticipatory (预期性)")
    lead: str | None = Field(None, description="lead organisation (牵头单位) code")
    support: str | None = Field(None, description="supporting organisations (配合单位), codes joined by ;")
    parent: str | None = Field(None, description="a sub-target: its parent's key in the same plan")
    serves: str | None = Field(None, description="a yearly milestone: plan/key of the target it serves")


class TargetPage(Page[TargetRecord]):
    """A page of catalog targets."""


@router.get("/targets", response_model=TargetPage, summary="Catalog targets with filters and pagination")
def list_targets(
    session: SessionDep,
    plan: Annotated[str | None, Query(max_length=80, pattern=NO_NUL, description="plan code")] = None,
    region: Annotated[
        str | None, Query(max_length=120, pattern=NO_NUL, description="region code or name")
    ] = None,
    indicator: Annotated[
        str | None, Query(max_length=80, pattern=NO_NUL, description="indicator code")
    ] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="target year")] = None,
    organisation: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="organisation code or name (牵头/配合)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    items, total = target_records(
        session, TargetFilter(plan, region, indicator, year, organisation), limit=limit, offset=offset
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}
