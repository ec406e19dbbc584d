"""Report runs, assessments, changes since the previous run, and plan evaluations."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from service.api.deps import SessionDep, require_role
from service.api.paging import Page, paginate
from service.db.models import ReportRun, Role, User
from service.domain.errors import Invalid
from service.domain.statuses import Status
from service.domain.vintage import PROVISIONAL, Vintage, is_current, review_view
from service.reports import render
from service.reports.engine import run_report, run_report_now
from service.reports.queries import (
    AssessmentFilter,
    assessment_record,
    assessment_select,
    changes,
    evaluation,
    get_run,
)

RunStarter = Annotated[
    User,
    Depends(
        require_role(
            Role.ADMIN, zh="只有管理员可以启动报告运行", en="only administrators can start a report run"
        )
    ),
]

router = APIRouter(tags=["reports"])

Figure = int | float | None  # a stored figure as a JSON number (service.domain.targets.figure)


class RunOut(BaseModel):
    id: int
    as_of: str = Field(description="vintage: the figures published by then (ISO date-time)")
    recorded_until: str = Field(description="recording cut-off: only what was recorded by then counts")
    current: bool = Field(description="the live view (a run as of the day it was made), not a snapshot")
    started_at: str
    finished_at: str | None
    status: str = Field(description="running or finished")
    trigger: str
    method_version: str
    threshold_profile: str
    summary: dict[str, Any] | None
    review_view: str | None = Field(description="official / provisional where figures are reviewed")


class RunChanges(BaseModel):
    run_id: int
    items: list[dict[str, Any]] = Field(description="per target: before, after, and why it changed")


class AssessmentRecord(BaseModel):
    """One target's assessment in a run with the figures it used (every metric of METHODOLOGY.md; the
    fields below are the ones a reader relies on, the others are listed as they are computed)."""

    model_config = ConfigDict(extra="allow")

    run_id: int
    as_of: str
    id: str = Field(description="plan/key")
    target_version: int
    plan_code: str
    plan: str
    plan_en: str
    chapter: str | None
    region_code: str
    region: str
    region_en: str
    indicator_code: str
    indicator: str
    indicator_en: str
    unit: str
    comparator: str
    value: Figure
    low: Figure
    high: Figure
    stretch_value: Figure
    target_year: int
    declared_form: str
    status: str
    status_zh: str | None
    status_en: str | None
    score: float | None
    latest_year: int | None
    latest_value: float | None
    completion: float | None
    pace_ratio: float | None
    inputs: list[Any] = Field(description="the observation ids the assessment used")
    source_document: str | None
    source_quote: str | None


class RunPage(Page[RunOut]):
    """A page of report runs, newest first."""


class AssessmentPage(Page[AssessmentRecord]):
    run_id: int


class EvaluationOut(BaseModel):
    """End-of-term targets (target year before the run's year) with their verdicts; mid-term ones."""

    plan_code: str
    plan: str
    run_id: int
    as_of: str
    end_of_term: list[dict[str, Any]]
    end_of_term_counts: dict[str, int]
    mid_term: list[dict[str, Any]]
    review_view: str | None


def _run_record(run: ReportRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "as_of": run.as_of.isoformat(),
        "recorded_until": Vintage.of_run(run).recorded_until.isoformat(),
        "current": is_current(run),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "status": run.status,
        "trigger": run.trigger,
        "method_version": run.method_version,
        "threshold_profile": run.threshold_profile,
        "summary": run.summary,
        "review_view": run.review_view,
    }


@router.get("/runs", response_model=RunPage, summary="Report runs, newest first")
def list_runs(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    rows, total = paginate(
        session, select(ReportRun).order_by(ReportRun.id.desc()), limit=limit, offset=offset
    )
    return {"items": [_run_record(run) for (run,) in rows], "total": total, "limit": limit, "offset": offset}


@router.post(
    "/runs", status_code=201, response_model=RunOut, summary="Start a report run now (administrators)"
)
def create_run(
    session: SessionDep,
    user: RunStarter,
    as_of: Annotated[
        dt.datetime | None, Query(description="vintage date: the figures published by then; default now")
    ] = None,
    recorded_until: Annotated[
        dt.datetime | None,
        Query(
            description="recording cut-off: only figures recorded by then (default now; a past run's "
            "recorded_until repeats it exactly)"
        ),
    ] = None,
    profile: Annotated[str, Query(pattern="^(eurostat|unsd)$")] = "eurostat",
    view: Annotated[
        str | None,
        Query(
            pattern="^(official|provisional)$",
            description="where figures are reviewed: approved figures only (official, the default) or also "
            "those under review (provisional: never the live view)",
        ),
    ] = None,
) -> dict[str, Any]:
    chosen = review_view(session, view)
    if as_of is None and recorded_until is None and chosen != PROVISIONAL:
        return _run_record(run_report_now(session, trigger="api", profile=profile))
    now = dt.datetime.now(dt.UTC)
    when = now if as_of is None else as_of.replace(tzinfo=dt.UTC) if as_of.tzinfo is None else as_of
    cutoff = None
    if recorded_until is not None:
        cutoff = recorded_until if recorded_until.tzinfo else recorded_until.replace(tzinfo=dt.UTC)
        if cutoff > now:
            raise Invalid("recorded_until 不能晚于现在", "recorded_until cannot be later than now")
    run = run_report(
        session, as_of=when, now=now, trigger="api", profile=profile, recorded_until=cutoff, view=chosen
    )
    return _run_record(run)


@router.get(
    "/runs/{run_id}", response_model=RunOut, summary="One run with its summary by plan, chapter and region"
)
def show_run(session: SessionDep, run_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
    return _run_record(get_run(session, run_id))


@router.get(
    "/runs/{run_id}/changes",
    response_model=RunChanges,
    summary="What changed since the previous run, and why",
)
def run_changes(session: SessionDep, run_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
    run = get_run(session, run_id)
    return {"run_id": run.id, "items": changes(session, run)}


@router.get(
    "/assessments", response_model=AssessmentPage, summary="Assessments of a run (default: the latest)"
)
def list_assessments(
    session: SessionDep,
    run: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    plan: Annotated[str | None, Query(max_length=80)] = None,
    region: Annotated[str | None, Query(max_length=120)] = None,
    indicator: Annotated[str | None, Query(max_length=80)] = None,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    the_run = get_run(session, run)
    f = AssessmentFilter(plan, region, indicator, status.value if status else None)
    rows, total = paginate(session, assessment_select(the_run, f), limit=limit, offset=offset)
    items = [assessment_record(the_run, row) for row in rows]
    return {"run_id": the_run.id, "items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/evaluations/{plan_code}",
    response_model=EvaluationOut,
    summary="End-of-term (末期) and mid-term (中期) evaluation of a plan",
)
def plan_evaluation(
    session: SessionDep, plan_code: str, run: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> dict[str, Any]:
    return evaluation(session, get_run(session, run), plan_code)


MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


# the JSON export is the list of assessment records; the other formats are files
EXPORT_CONTENT: dict[str, Any] = {m: {} for m in MEDIA.values()} | {
    MEDIA["json"]: {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/AssessmentRecord"}}}
}


@router.get(
    "/runs/{run_id}/export",
    response_class=Response,
    responses={200: {"description": "the run's assessments as a file", "content": EXPORT_CONTENT}},
    summary="A run as JSON, CSV, XLSX or HTML",
)
def export(
    session: SessionDep,
    run_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    format: Annotated[str, Query(pattern="^(json|csv|xlsx|html)$")] = "xlsx",
    plan: Annotated[str | None, Query(max_length=80)] = None,
) -> Response:
    run = get_run(session, run_id)
    name = f"report-{run.id}-{run.as_of.date().isoformat()}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format in render.STREAMED:  # written to a temporary file as the rows are read, then sent from it
        spool = tempfile.TemporaryFile()  # noqa: SIM115  # closed once sent (_sent_and_closed)
        try:
            render.write_export(session, run, format, spool, plan)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return StreamingResponse(_sent_and_closed(spool), media_type=MEDIA[format], headers=headers)
    return Response(render.export_run(session, run, format, plan), media_type=MEDIA[format], headers=headers)


def _sent_and_closed(spool: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    with spool:
        while block := spool.read(size):
            yield block
