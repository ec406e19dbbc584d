"""Responsibility and decomposition: organisations, target assignments (牵头/配合单位), sub-targets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from service.api.deps import NO_NUL, CurrentUser, SessionDep
from service.db.models import WritePath
from service.domain import assignments

router = APIRouter(tags=["responsibility"])

Code = Annotated[str, Field(min_length=1, max_length=120, pattern=NO_NUL)]
PlanCode = Annotated[str, Path(max_length=80, pattern=NO_NUL)]
Key = Annotated[str, Path(max_length=120, pattern=NO_NUL)]


class AssignmentIn(BaseModel):
    lead: Code | None = Field(None, description="牵头单位: organisation code or Chinese name")
    support: list[Code] = Field(default_factory=list, max_length=50, description="配合单位")
    source: str | None = Field(
        None, max_length=400, pattern=NO_NUL, description="the notice that assigns it (分解落实方案)"
    )


class SubTargetIn(BaseModel):
    region: Code | None = Field(None, description="a district's quota: region code or Chinese name")
    organisation: Code | None = Field(None, description="an organisation's share: its code or name")
    value: float = Field(description="the quota or rate, in `unit` (default: the parent's)")
    unit: str | None = Field(None, max_length=40, pattern=NO_NUL)
    comparator: Literal[">=", "<=", "=", "~"] | None = None
    split: Literal["sum", "each"] | None = Field(
        None, description="needed with the first sub-target: sum = quotas add up, each = each meets it"
    )
    document: str = Field(min_length=2, max_length=200, pattern=NO_NUL, description="the splitting document")
    quote: str = Field(min_length=2, max_length=400, pattern=NO_NUL, description="its sentence")
    key: str | None = Field(None, max_length=120, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$")
    note: str | None = Field(None, max_length=2000, pattern=NO_NUL)


class OrganisationOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str
    region_code: str | None
    region: str | None
    aliases: list[str]


class AssignedOrganisation(BaseModel):
    code: str
    name_zh: str
    name_en: str


class AssignmentOut(BaseModel):
    target: str = Field(description="plan/key")
    changed: bool = Field(description="false: it already was the target's assignment")
    lead: AssignedOrganisation | None
    support: list[AssignedOrganisation]
    source: str | None = Field(None, description="the document that assigns it")


class SplitCheck(BaseModel):
    split: str = Field(description="sum (quotas add up to the target) or each (each meets it)")
    unit: str
    sub_targets: list[str]
    total: float | None = Field(description="sum split: the quotas' total, when every quota is a number")
    ok: bool
    problems: list[dict[str, str]] = Field(description="each problem in zh and en")


class SubTargetOut(BaseModel):
    target: str
    parent: str
    split: str | None
    check: SplitCheck | None


class MilestoneOut(BaseModel):
    target: str = Field(description="the yearly target, plan/key")
    serves: str = Field(description="the target it serves, plan/key")
    year: int


class TargetSplitCheck(SplitCheck):
    target: str = Field(description="the split target, plan/key")


@router.get(
    "/organisations",
    response_model=list[OrganisationOut],
    summary="Departments and district governments targets are assigned to",
)
def list_organisations(session: SessionDep) -> list[dict[str, Any]]:
    return assignments.organisation_records(session)


@router.put(
    "/plans/{plan}/targets/{key}/assignment",
    response_model=AssignmentOut,
    summary="Assign a target: lead and supporting organisations",
)
def put_assignment(
    plan: PlanCode, key: Key, body: AssignmentIn, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    return assignments.set_assignment(
        session,
        user,
        plan,
        key,
        lead=body.lead,
        support=list(body.support),
        source=body.source,
        now=dt.datetime.now(dt.UTC),
        path=WritePath.API,
    )


@router.post(
    "/plans/{plan}/targets/{key}/subtargets",
    status_code=201,
    response_model=SubTargetOut,
    summary="Add a sub-target (district quota)",
)
def post_subtarget(
    plan: PlanCode, key: Key, body: SubTargetIn, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    data = body.model_dump()
    data["value"] = str(body.value)  # exact decimal as written
    return assignments.add_subtarget(
        session, user, plan, key, data, now=dt.datetime.now(dt.UTC), path=WritePath.API
    )


class MilestoneIn(BaseModel):
    year: int = Field(ge=2000, le=2100)
    value: float
    unit: str | None = Field(None, max_length=40, pattern=NO_NUL)
    comparator: Literal[">=", "<=", "=", "~"] = ">="
    declared_form: Literal["level", "share", "annual_growth"] = Field(
        "level", description="annual_growth: 增长5%左右 (the year's growth rate, in %)"
    )
    plan: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[a-z0-9][a-z0-9\-]*$",
        description="code of the yearly plan or work report (made on first use)",
    )
    plan_title_en: str | None = Field(None, max_length=300, pattern=NO_NUL)
    issued: str | None = Field(None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    document: str = Field(
        min_length=2, max_length=200, pattern=NO_NUL, description="the yearly plan or work report"
    )
    quote: str = Field(min_length=2, max_length=400, pattern=NO_NUL)
    key: str | None = Field(None, max_length=120, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$")
    note: str | None = Field(None, max_length=2000, pattern=NO_NUL)


@router.post(
    "/plans/{plan}/targets/{key}/milestones",
    status_code=201,
    response_model=MilestoneOut,
    summary="Add a year's target (年度目标)",
)
def post_milestone(
    plan: PlanCode, key: Key, body: MilestoneIn, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    data = body.model_dump()
    data["value"] = str(body.value)
    return assignments.add_milestone(
        session, user, plan, key, data, now=dt.datetime.now(dt.UTC), path=WritePath.API
    )


@router.get(
    "/splits",
    response_model=list[TargetSplitCheck],
    summary="Split targets and whether their sub-targets add up",
)
def list_splits(
    session: SessionDep,
    plan: Annotated[str | None, Query(max_length=80, pattern=NO_NUL, description="plan code")] = None,
) -> list[dict[str, Any]]:
    return assignments.split_checks(session, plan)
