"""Report runs, assessments, changes since the previous run, and plan evaluations."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import func, select

from service.api.deps import CurrentUser, SessionDep
from service.db.models import ReportRun, Role
from service.domain.errors import Forbidden, Invalid
from service.domain.statuses import Status
from service.domain.vintage import PROVISIONAL, Vintage, is_current, review_view
from service.reports import render
from service.reports.engine import run_report, run_report_now
from service.reports.queries import AssessmentFilter, assessment_records, changes, evaluation, get_run

router = APIRouter(tags=["reports"])


def _run_record(run: ReportRun) -> dict[str, Any]:
    return {
        "id": run.id, "as_of": run.as_of.isoformat(), "recorded_until": Vintage.of_run(run).recorded_until.isoformat(),
        "current": is_current(run), "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None, "status": run.status,
        "trigger": run.trigger, "method_version": run.method_version, "threshold_profile": run.threshold_profile,
        "summary": run.summary, "review_view": run.review_view,
    }  # fmt: skip


@router.get("/runs", summary="Report runs, newest first")
def list_runs(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(ReportRun)) or 0
    runs = session.scalars(select(ReportRun).order_by(ReportRun.id.desc()).limit(limit).offset(offset))
    return {"items": [_run_record(r) for r in runs], "total": total, "limit": limit, "offset": offset}


@router.post("/runs", status_code=201, summary="Start a report run now (administrators)")
def create_run(
    session: SessionDep,
    user: CurrentUser,
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
    if user.role is not Role.ADMIN:
        raise Forbidden("只有管理员可以启动报告运行", "only administrators can start a report run")
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
    run = run_report(session, as_of=when, now=now, trigger="api", profile=profile, recorded_until=cutoff,
                     view=chosen)  # fmt: skip
    return _run_record(run)


@router.get("/runs/{run_id}", summary="One run with its summary by plan, chapter and region")
def show_run(session: SessionDep, run_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
    return _run_record(get_run(session, run_id))


@router.get("/runs/{run_id}/changes", summary="What changed since the previous run, and why")
def run_changes(session: SessionDep, run_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
    run = get_run(session, run_id)
    return {"run_id": run.id, "items": changes(session, run)}


@router.get("/assessments", summary="Assessments of a run (default: the latest)")
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
    records = assessment_records(
        session, the_run, AssessmentFilter(plan, region, indicator, status.value if status else None)
    )
    return {"run_id": the_run.id, "items": records[offset : offset + limit], "total": len(records),
            "limit": limit, "offset": offset}  # fmt: skip


@router.get("/evaluations/{plan_code}", summary="End-of-term (末期) and mid-term (中期) evaluation of a plan")
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


@router.get("/runs/{run_id}/export", summary="A run as JSON, CSV, XLSX or HTML")
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
