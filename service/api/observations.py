"""Statistics: submit (one, a batch, a file), list as of a date, and the history of one figure."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from service.api.deps import NO_NUL, CurrentUser, SessionDep, SettingsDep
from service.api.paging import Page, paginate
from service.db.models import Indicator, Observation, Region, User, WritePath
from service.domain.errors import Invalid, problem_body
from service.domain.layouts import Options, Reading, parse_mapping, read_upload, remember
from service.domain.observations import (
    CONFIRM_IN_FILE,
    CONFIRM_IN_JSON,
    BatchResult,
    ObservationInput,
    ingest,
)
from service.domain.targets import figure
from service.domain.vintage import Vintage, published_date, review_state_as_of, review_view

router = APIRouter(tags=["observations"])


class ObservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(min_length=1, max_length=200, description="indicator code or name")
    region: str = Field(min_length=1, max_length=200, description="region code or name")
    period: int | str = Field(description="year, e.g. 2024")
    value: float | str | None = Field(
        default=None, description="the figure ('3.7%', '82,553' are understood); empty for a retraction"
    )
    unit: str | None = Field(default=None, max_length=40)
    status: str | None = Field(
        default=None, max_length=20, description="preliminary, final (default) or retracted"
    )
    source: str | None = Field(default=None, max_length=400)
    source_url: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=2000)
    revision_reason: str | None = Field(default=None, max_length=2000)
    published: str | None = Field(
        default=None,
        max_length=40,
        description="发布日期: when the source made the figure public (YYYY-MM-DD; YYYY-MM or YYYY: the last "
        "day of that period); omitted: unknown, the time of entry stands in",
    )
    confirm: bool = Field(default=False, description="store a flagged (implausible-looking) value anyway")
    series_break: bool = Field(
        default=False, description="统计口径调整: not comparable with the years before (a series break)"
    )
    coverage: str | None = Field(
        default=None,
        max_length=20,
        description="part of the year the figure covers (1-10月, 前三季度, 上半年); empty: the whole year",
    )

    @field_validator("value", "period", mode="before")
    @classmethod
    def _not_a_boolean(cls, raw: object) -> object:
        # before Pydantic's coercion, which would read true as 1
        if isinstance(raw, bool):
            raise ValueError("不能是 true/false（布尔值），请填写数字 / must be a number, not true/false")
        return raw


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    observations: list[ObservationIn] = Field(min_length=1, max_length=50_000)
    dry_run: bool = False
    all_or_nothing: bool = True


def _inputs(items: list[ObservationIn]) -> list[ObservationInput]:
    return [ObservationInput(row=n, **item.model_dump()) for n, item in enumerate(items, start=1)]


Figure = int | float | None  # a stored figure as a JSON number (service.domain.targets.figure)


class BatchOut(BaseModel):
    """What a write did, row by row: 201 when figures were added, 200 for a dry run or nothing new, 422
    (problem+json, with these fields and ``detail``) when the batch was refused and nothing was stored."""

    model_config = ConfigDict(extra="allow")

    dry_run: bool
    applied: bool
    batch_id: int | None
    counts: dict[str, int] = Field(description="added, revised, unchanged, rejected, needs_confirmation")
    rows: list[dict[str, Any]] = Field(description="each row's outcome, problems and previous value")
    review: dict[str, Any] | None = Field(None, description="where figures are reviewed: their review state")


class ImportOut(BatchOut):
    """A file's import or preview: the batch's outcome and how the file was read (layout, mapping)."""

    sheets: list[dict[str, Any]] = Field(default_factory=list, description="each sheet as it was read")


class ObservationRecord(BaseModel):
    id: int
    indicator_code: str
    indicator: str
    region_code: str
    region: str
    period: int
    value: Figure
    unit: str
    value_as_entered: str | None
    unit_as_entered: str | None
    status: str
    qualifier: str
    source: str | None
    source_url: str | None
    note: str | None
    revision_reason: str | None
    published: str | None = Field(description="发布日期 as recorded")
    published_effective: str = Field(description="the publication date the vintage rules use")
    published_known: bool
    reported_at: str
    entered_by: int | None
    batch_id: int | None
    supersedes: int | None
    source_key: str
    coverage: str | None
    series_break: bool


class ObservationPage(Page[ObservationRecord]):
    as_of: str
    view: str | None


class ReviewedObservation(ObservationRecord):
    review_state: str | None = Field(
        description="submitted / approved / returned; None: stored while review was off"
    )


class ObservationHistory(BaseModel):
    items: list[ReviewedObservation]


def _respond(result: BatchResult, extra: dict[str, Any] | None = None) -> JSONResponse:
    body = {**result.as_dict(), **(extra or {})}
    if result.applied or result.dry_run:
        return JSONResponse(
            body, status_code=200 if result.dry_run or not result.counts.get("added") else 201
        )
    blocked = result.counts["rejected"] + result.counts["needs_confirmation"]
    body.update(
        problem_body(
            422,
            "Batch refused",
            f"有 {blocked} 行未通过校验，本批次未写入任何数据",
            f"{blocked} row(s) failed validation; nothing from this batch was stored",
        )
    )
    return JSONResponse(body, status_code=422, media_type="application/problem+json")


def _submit(
    session: Any,
    user: User,
    inputs: list[ObservationInput],
    *,
    dry_run: bool,
    all_or_nothing: bool,
    key: str | None,
    path: WritePath,
    filename: str | None = None,
    from_file: bool = False,
) -> JSONResponse:
    result = ingest(
        session,
        user,
        inputs,
        path=path,
        now=dt.datetime.now(dt.UTC),
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        idempotency_key=key,
        filename=filename,
        confirm_hint=CONFIRM_IN_FILE if from_file else CONFIRM_IN_JSON,
    )
    return _respond(result)


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.post("/observations", response_model=BatchOut, summary="Submit one observation or a batch")
def submit_observations(
    body: ObservationIn | BatchIn,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    if isinstance(body, BatchIn):
        return _submit(
            session,
            user,
            _inputs(body.observations),
            dry_run=body.dry_run,
            all_or_nothing=body.all_or_nothing,
            key=idempotency_key,
            path=WritePath.API,
        )
    return _submit(
        session,
        user,
        _inputs([body]),
        dry_run=False,
        all_or_nothing=True,
        key=idempotency_key,
        path=WritePath.API,
    )


FileField = Annotated[
    UploadFile,
    File(
        description="CSV (UTF-8 / GB18030) or XLSX: the long template (指标/地区/年份/数值/...) or a wide "
        "yearbook or bulletin table (indicators or regions down the side, years, regions or indicators across)"
    ),
]
MappingField = Annotated[
    str | None,
    Form(
        max_length=200_000,
        description='corrections: JSON {"表中名称": "indicator/region code, year or -"}; '
        '"@region" / "@year" for a table that names neither; remembered for the next file of the same shape',
    ),
]
TextField = Annotated[str | None, Form(max_length=2000)]


async def _read_upload(session: Any, file: UploadFile, options: Options, limit: int) -> Reading:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise Invalid(f"文件超过 {limit // 2**20} MB 上限", f"the file exceeds the {limit // 2**20} MB limit")
    # reading a workbook and ingesting it are long and synchronous: in a worker thread, so that this
    # process keeps answering other requests (and /healthz) meanwhile
    return await run_in_threadpool(read_upload, session, file.filename or "upload", data, options)


def _no_figures(reading: Reading) -> Invalid:
    told = [f"{p['cell']}: {p['zh']}" for s in reading.sheets for p in s.problems][:5]
    told_en = [f"{p['cell']}: {p['en']}" for s in reading.sheets for p in s.problems][:5]
    return Invalid(
        "文件中没有可导入的数值" + ("：" + "；".join(told) if told else ""),
        "the file holds no figures to import" + (": " + "; ".join(told_en) if told_en else ""),
    )


def upload_options(
    mapping: MappingField = None,
    source: Annotated[str | None, Form(max_length=400)] = None,
    status: Annotated[str | None, Form(max_length=20)] = None,
    revision_reason: TextField = None,
    published: Annotated[
        str | None, Form(max_length=40, description="发布日期 of every figure: YYYY-MM-DD")
    ] = None,
) -> Options:
    """The choices an upload makes for the whole file: mapping corrections, source, status, revision
    reason and publication date (the same for an import and its preview)."""
    return Options(
        parse_mapping(mapping),
        source=source or None,
        status=status or None,
        revision_reason=revision_reason or None,
        published=published or None,
    )


UploadOptions = Annotated[Options, Depends(upload_options)]


@router.post(
    "/imports",
    response_model=ImportOut,
    summary="Upload a CSV or XLSX file of observations (template or wide tables)",
)
async def import_file(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: FileField,
    options: UploadOptions,
    dry_run: Annotated[bool, Form()] = False,
    all_or_nothing: Annotated[bool, Form()] = True,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    reading = await _read_upload(session, file, options, settings.max_upload_bytes)
    if not reading.inputs:
        raise _no_figures(reading)
    # kept for the record only: it must fit import_batches.filename (VARCHAR 300) and hold no NUL
    name = (file.filename or "").replace("\x00", "")[:300] or None
    result = await run_in_threadpool(
        ingest,
        session,
        user,
        reading.inputs,
        path=WritePath.API,
        now=dt.datetime.now(dt.UTC),
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        idempotency_key=idempotency_key,
        filename=name,
        confirm_hint=CONFIRM_IN_FILE,
    )
    if result.applied and options.mapping:
        remember(session, reading, options, user.id, dt.datetime.now(dt.UTC))
    return _respond(result, reading.as_dict())


@router.post(
    "/imports/preview",
    response_model=ImportOut,
    summary="What a file would import: layout, mapping, figures; stores nothing",
)
async def preview_file(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: FileField,
    options: UploadOptions,
) -> JSONResponse:
    reading = await _read_upload(session, file, options, settings.max_upload_bytes)
    if not reading.inputs:
        raise _no_figures(reading)
    result = await run_in_threadpool(
        ingest,
        session,
        user,
        reading.inputs,
        path=WritePath.API,
        now=dt.datetime.now(dt.UTC),
        dry_run=True,
        confirm_hint=CONFIRM_IN_FILE,
    )
    return _respond(result, reading.as_dict())


def _obs_record(o: Observation, ind: Indicator, reg: Region) -> dict[str, Any]:
    published, known = published_date(o)
    return {
        "id": o.id,
        "indicator_code": ind.code,
        "indicator": ind.name_zh,
        "region_code": reg.code,
        "region": reg.name_zh,
        "period": o.period,
        "value": figure(o.value),
        "unit": ind.unit,
        "value_as_entered": o.value_as_entered,
        "unit_as_entered": o.unit_as_entered,
        "status": o.status.value,
        "qualifier": o.qualifier.value,
        "source": o.source,
        "source_url": o.source_url,
        "note": o.note,
        "revision_reason": o.revision_reason,
        "published": o.published_on.isoformat() if o.published_on else None,
        "published_effective": published.isoformat(),
        "published_known": known,
        "reported_at": o.reported_at.isoformat(),
        "entered_by": o.entered_by_id,
        "batch_id": o.batch_id,
        "supersedes": o.supersedes_id,
        "source_key": o.source_key,
        "coverage": o.coverage,
        "series_break": o.series_break,
    }


@router.get(
    "/observations",
    response_model=ObservationPage,
    summary="Observations as known at a date (the latest version of each)",
)
def list_observations(
    session: SessionDep,
    indicator: Annotated[str | None, Query(max_length=80, pattern=NO_NUL)] = None,
    region: Annotated[str | None, Query(max_length=120, pattern=NO_NUL)] = None,
    period: Annotated[int | None, Query(ge=1949, le=2100)] = None,
    as_of: Annotated[
        dt.datetime | None,
        Query(description="ISO date-time; default now: the figures published by then (as recorded now)"),
    ] = None,
    include_baselines: bool = True,
    view: Annotated[
        str | None,
        Query(
            pattern="^(official|provisional)$",
            description="where figures are reviewed: approved only (official, the default) or also those "
            "under review (provisional)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    when = as_of or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        when.astimezone(dt.UTC)  # what the UTC column type does when binding it
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before the first representable instant
        raise Invalid("as_of 时间超出范围", "as_of is out of the representable range") from None
    chosen = review_view(session, view)
    ranked = (
        select(
            Observation.id,
            func.row_number()
            .over(
                # one history per source (plan baselines: one per plan, by their source); the figures
                # of other sources for the same year are listed beside each other
                partition_by=(
                    Observation.indicator_id,
                    Observation.region_id,
                    Observation.period,
                    Observation.source_key,
                    case((Observation.status == "plan_baseline", Observation.source), else_=""),
                ),
                order_by=(Observation.reported_at.desc(), Observation.id.desc()),
            )
            .label("rn"),
        )
        .join(Indicator, Observation.indicator_id == Indicator.id)
        .join(Region, Observation.region_id == Region.id)
        .where(Vintage(when, dt.datetime.now(dt.UTC), chosen).observations())
    )
    if indicator:
        ranked = ranked.where(Indicator.code == indicator)
    if region:
        ranked = ranked.where((Region.code == region) | (Region.name_zh == region))
    if period is not None:
        ranked = ranked.where(Observation.period == period)
    if not include_baselines:
        ranked = ranked.where(Observation.status != "plan_baseline")
    sub = ranked.subquery()
    reg = aliased(Region)
    base = (
        select(Observation, Indicator, reg)
        .join(sub, (sub.c.id == Observation.id) & (sub.c.rn == 1))
        .join(Indicator, Observation.indicator_id == Indicator.id)
        .join(reg, Observation.region_id == reg.id)
    )
    ordered = base.order_by(Indicator.code, reg.code, Observation.period, Observation.id)
    rows, total = paginate(session, ordered, limit=limit, offset=offset)
    items = [_obs_record(o, i, r) for o, i, r in rows]
    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "as_of": when.isoformat(),
        "view": chosen,
    }


@router.get(
    "/observations/history",
    response_model=ObservationHistory,
    summary="Every version of one figure, oldest first",
)
def observation_history(
    session: SessionDep,
    indicator: Annotated[str, Query(max_length=80, pattern=NO_NUL)],
    region: Annotated[str, Query(max_length=120, pattern=NO_NUL)],
    period: Annotated[int, Query(ge=1949, le=2100)],
) -> dict[str, Any]:
    rows = session.execute(
        select(Observation, Indicator, Region)
        .join(Indicator, Observation.indicator_id == Indicator.id)
        .join(Region, Observation.region_id == Region.id)
        .where(
            Indicator.code == indicator,
            (Region.code == region) | (Region.name_zh == region),
            Observation.period == period,
        )
        .order_by(Observation.reported_at, Observation.id)
    ).all()
    items = [_obs_record(o, i, r) for o, i, r in rows]
    states = review_state_as_of(session, [o.id for o, _, _ in rows], dt.datetime.now(dt.UTC))
    for item in items:  # 待审核 / 已审核 / 退回; None: stored while review was off (counts as approved)
        item["review_state"] = states.get(item["id"])
    return {"items": items}
