"""Server-rendered pages (zh-CN by default, ?lang=en): overview, target, indicator, evaluation,
data entry and upload, login. Charts are drawn by the Plotly.js this service serves itself."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import io
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Annotated, Any
from urllib.parse import quote, urlencode

import plotly
from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.deps import ReadUnits, SessionDep, SettingsDep, SideWrites, UnitOfWork
from service.db.models import OutboxStatus, Plan, Region, ReportRun, User, WritePath
from service.domain import layouts
from service.domain.attachments import attachment
from service.domain.auth import (
    LoginPolicy,
    authenticate,
    end_session,
    start_session,
)
from service.domain.errors import DomainError, NotFound
from service.domain.observations import (
    CONFIRM_IN_FILE,
    CONFIRM_IN_FORM,
    ObservationInput,
    ingest,
)
from service.domain.resolver import Resolver
from service.domain.statuses import VERDICTS
from service.domain.tabular import write_csv
from service.domain.write_scope import writable_region_ids
from service.reports import evaluation_files
from service.reports.queries import OVERVIEW_FIELDS, latest_live_run, overview_chunks
from service.web import charts, data, forms, upload_preview
from service.web.guards import CheckedForm, CheckedUpload, EditorUser, SignedInUser, WebUser
from service.web.i18n import t
from service.web.rendering import PLOTLY_JS, STATIC, Lang, render
from service.web.session import (
    clear_session_cookie,
    session_cookie,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)
PLOTLY_FULL_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_TRACES = frozenset({"scatter", "bar", "pie"})  # the trace types the basic bundle holds


def csv_stream(
    read: UnitOfWork,
    chunks: Callable[[Session], Iterator[list[dict[str, Any]]]],
    fields: list[str],
    filename: str,
    labels: list[str] | None = None,
) -> StreamingResponse:
    """A CSV download written as it is read, chunk by chunk, in a read-only unit of its own: memory
    and the time to the first byte do not grow with the catalog (a national run has 840,000 targets).
    ``labels``: the header in words instead of field names."""

    def body() -> Iterator[bytes]:
        with read() as session:
            buf = io.StringIO()
            buf.write("\ufeff")
            write_csv(buf, fields, [], labels=labels)
            for rows in chunks(session):
                write_csv(buf, fields, rows, header=False)
                yield buf.getvalue().encode("utf-8")
                buf.seek(0)
                buf.truncate()
            yield buf.getvalue().encode("utf-8")

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def csv_response(
    rows: list[dict[str, Any]], fields: list[str], filename: str, labels: list[str] | None = None
) -> Response:
    """A CSV download (UTF-8 with BOM, for Excel); ``labels``: the header in words instead of field names."""
    buf = io.StringIO()
    write_csv(buf, fields, rows, labels)
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@functools.cache
def _gzipped(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def static_file(request: Request, path: Path, media_type: str, max_age: int = 3600) -> Response:
    """A file shipped with the service, compressed once per process rather than per request."""
    headers = {"Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if max_age >= 31536000:
        headers["Cache-Control"] += ", immutable"
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            _gzipped(path), media_type=media_type, headers={**headers, "Content-Encoding": "gzip"}
        )
    return FileResponse(path, media_type=media_type, headers=headers)


@router.get("/static/plotly-basic.min.js")
def plotly_js(request: Request) -> Response:
    """Plotly's basic bundle (1.1 MB, about 370 kB compressed); pages ask for it with a hash of its
    content in the query, so it can be cached for good."""
    return static_file(request, PLOTLY_JS, "text/javascript", max_age=31536000)


@router.get("/static/plotly-basic.LICENSE.txt")
def plotly_license(request: Request) -> Response:
    """The licence (MIT) plotly.js is distributed under, shipped beside the bundle."""
    return static_file(request, STATIC / "plotly-basic.LICENSE.txt", "text/plain; charset=utf-8")


@router.get("/static/charts.js")
def charts_js(request: Request) -> Response:
    """Draws the page's charts (pages ask for it with a hash of its content in the query)."""
    return static_file(request, STATIC / "charts.js", "text/javascript", max_age=31536000)


FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#12324f"/>'
    '<path d="M3 12l3-4 3 2 4-6" stroke="#56B4E9" stroke-width="2" fill="none"/></svg>'
)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/static/app.css")
def app_css() -> FileResponse:
    return FileResponse(
        STATIC / "app.css", media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: WebUser,
    plan: Annotated[str | None, Query(max_length=80)] = None,
    region: Annotated[str | None, Query(max_length=120)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[str | None, Query(max_length=4)] = None,
    page: Annotated[str | None, Query(max_length=9)] = None,
) -> HTMLResponse:
    run = latest_live_run(session)
    if run is None:
        return render(request, "overview.html", lang, user, run=None)
    filters = {
        "plan": plan or "",
        "region": (region or "").strip(),
        "category": category or "",
        "year": year or "",
    }
    target_year = int(year) if year and year.isdigit() else None
    f = data.OverviewFilter(
        plan=plan or None, region=filters["region"] or None, category=category or None, year=target_year
    )
    d = data.overview(
        session,
        run,
        lang,
        f,
        page=int(page) if page and page.isdigit() else 1,
        cache=getattr(request.app.state, "run_cache", None),
    )
    figure = charts.status_counts(d["plans"], lang)
    # the grid's page links keep the filters and the language
    paging = urlencode({**{k: v for k, v in filters.items() if v}, "lang": lang})
    return render(
        request, "overview.html", lang, user, run=run, d=d, figure=figure, filters=filters, paging=paging
    )


@router.get("/overview.csv")
def overview_csv(session: SessionDep, read: ReadUnits) -> Response:
    run = latest_live_run(session)
    run_id = run.id if run else None

    def chunks(s: Session) -> Iterator[list[dict[str, Any]]]:
        if run_id is not None and (r := s.get(ReportRun, run_id)) is not None:
            yield from overview_chunks(s, r)

    return csv_stream(read, chunks, OVERVIEW_FIELDS, "overview.csv")


def _require_run(session: Session) -> Any:
    run = latest_live_run(session)
    if run is None:
        raise NotFound("还没有报告运行", "no report run yet")
    return run


@router.get("/targets/{plan_code}/{key}", response_class=HTMLResponse)
def target_page(
    request: Request, session: SessionDep, lang: Lang, user: WebUser, plan_code: str, key: str
) -> HTMLResponse:
    return target_response(request, session, lang, user, plan_code, key)


def target_response(
    request: Request,
    session: Session,
    lang: str,
    user: User | None,
    plan_code: str,
    key: str,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The target page; ``extra``: what a refused progress statement gives back (its message, its text)."""
    run = _require_run(session)
    d = data.target_page(session, run, plan_code, key)
    figure = charts.target_chart(d["chart"], lang)
    docs = forms.documents(session)
    return render(
        request,
        "target.html",
        lang,
        user,
        run=run,
        d=d,
        r=d["record"],
        m=d["metrics"],
        figure=figure,
        document=forms.plan_document(session, plan_code, lang),
        source_label=lambda text: forms.source_label(text, docs, lang),
        statements=data.statements_view(
            session, user, plan_code, key, request.app.state.settings.evidence_max_bytes
        ),
        status_code=status_code,
        **extra,
    )


@router.get("/targets/{plan_code}/{key}/data.csv")
def target_csv(session: SessionDep, plan_code: str, key: str) -> Response:
    d = data.target_page(session, _require_run(session), plan_code, key)
    c = d["chart"]
    rows = [{"series": "observation", "year": y, "value": v} for y, v in c["series"]]
    rows += [{"series": "revised", "year": y, "value": v} for y, v in c["revised"]]
    for name in ("reference", "required", "projection"):
        rows += [{"series": name, "year": y, "value": v} for y, v in c[name]]
    if c["target_level"] is not None:
        rows.append({"series": "target", "year": c["target_year"], "value": c["target_level"]})
    return csv_response(rows, ["series", "year", "value"], f"{plan_code}_{key}.csv")


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 1


@router.get("/indicators/{code}", response_class=HTMLResponse)
def indicator_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: WebUser,
    code: str,
    page: Annotated[str | None, Query(max_length=9)] = None,
) -> HTMLResponse:
    run = _require_run(session)
    d = data.indicator_page(session, run, code, lang, page=_page_number(page))
    name = d["indicator"].name_zh if lang == "zh" else d["indicator"].name_en
    figure = charts.regions_chart(d["rows"], name, d["indicator"].unit, lang)
    return render(
        request, "indicator.html", lang, user, run=run, d=d, figure=figure, paging=urlencode({"lang": lang})
    )


@router.get("/indicators/{code}/data.csv")
def indicator_csv(session: SessionDep, code: str) -> Response:
    d = data.indicator_page(session, _require_run(session), code, "zh")
    return csv_response(
        d["rows"],
        ["id", "region", "target_year", "status", "latest_year", "latest_value", "target_level", "unit"],
        f"{code}.csv",
    )


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, session: SessionDep, lang: Lang, user: WebUser) -> HTMLResponse:
    """Every plan in the catalog with its targets by target year, linking to its evaluation."""
    return render(request, "plans.html", lang, user, plans=data.plan_list(session, lang))


@router.get("/plans/{code}", response_class=HTMLResponse)
def plan_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: WebUser,
    code: str,
    year: Annotated[str | None, Query(max_length=4)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[str | None, Query(max_length=9)] = None,
    org: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """One plan's targets: attribute (约束性 / 预期性), period, qualitative targets with their words, and
    the latest run's status where there is one."""
    f = data.PlanTargetFilter(
        year=int(year) if year and year.isdigit() else None,
        kind=kind if kind in data.PLAN_TARGET_KINDS else None,
        organisation=(org or "").strip() or None,
    )
    d = data.plan_targets(session, latest_live_run(session), code, lang, f, page=_page_number(page))
    filters = {"year": str(f.year or ""), "kind": f.kind or "", "org": f.organisation or ""}
    keep = {**{k: v for k, v in filters.items() if v}, "lang": lang}
    return render(request, "plan.html", lang, user, d=d, filters=filters, keep=keep, paging=urlencode(keep))


@router.get("/plans/{code}/evaluation", response_class=HTMLResponse)
def evaluation_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: WebUser,
    code: str,
    verdict: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=120)] = None,
    org: Annotated[str | None, Query(max_length=200)] = None,
    eot_page: Annotated[str | None, Query(max_length=9)] = None,
    mid_page: Annotated[str | None, Query(max_length=9)] = None,
    run_id: Annotated[str | None, Query(alias="run", max_length=12)] = None,
) -> HTMLResponse:
    run = _evaluation_run(session, run_id)
    filters = {
        "verdict": verdict or "",
        "status": status or "",
        "region": (region or "").strip(),
        "org": (org or "").strip(),
    }
    # the region filter is a picker over the plan's regions (by name); a code or name typed in a link works too
    plan_regions = data.plan_regions(session, code, lang)
    region_error = None
    if filters["region"]:
        found = data.pick_region(plan_regions, filters["region"])
        if found is None:
            region_error = t("unknown_region_filter", lang).format(given=filters["region"])
        else:
            filters["region"] = found
    if run_id and run_id.isdigit():
        filters["run"] = str(run.id)
    f = data.EvaluationFilter(
        verdict=verdict or None,
        status=status or None,
        region=filters["region"] or None,
        organisation=filters["org"] or None,
    )
    d = data.evaluation_view(
        session,
        run,
        code,
        lang,
        f,
        eot_page=_page_number(eot_page),
        mid_page=_page_number(mid_page),
        cache=getattr(request.app.state, "run_cache", None),
    )
    labels = {k: t("status_" + k, lang) for k in VERDICTS}
    figure = charts.verdict_chart(d["end_of_term_counts"], labels, lang)
    # each table's page links keep the filters, the language and the other table's page
    kept = {k: v for k, v in filters.items() if v}
    eot_keep = {**kept, "lang": lang, "mid_page": str(d["mid_page"]["page"])}
    mid_keep = {**kept, "lang": lang, "eot_page": str(d["eot_page"]["page"])}
    runs = data.recent_runs(session)  # a past run's evaluation and its downloads
    if run.id not in {r.id for r in runs}:
        runs.append(run)
    return render(
        request,
        "evaluation.html",
        lang,
        user,
        status_code=422 if region_error else 200,
        run=run,
        d=d,
        figure=figure,
        labels=labels,
        filters=filters,
        eot_keep=eot_keep,
        mid_keep=mid_keep,
        eot_paging=urlencode(eot_keep),
        mid_paging=urlencode(mid_keep),
        runs=runs,
        latest=latest_live_run(session),
        plan_regions=plan_regions,
        region_error=region_error,
        region_select_max=data.REGION_SELECT_MAX,
    )


@router.get("/plans/{code}/evaluation.csv")
def evaluation_csv(
    session: SessionDep,
    read: ReadUnits,
    code: str,
    lang: Lang,
    run_id: Annotated[str | None, Query(alias="run", max_length=12)] = None,
) -> Response:
    """The evaluation's rows in the reader's language: headers, names, verdicts and statuses in words
    (the target's id stays as the key that links a row to /targets/{id}); streamed, chunk by chunk."""
    run = _evaluation_run(session, run_id)
    if session.scalar(select(Plan.id).where(Plan.code == code)) is None:  # refused before anything is sent
        raise NotFound(f"规划 {code} 不存在", f"plan {code!r} does not exist")
    chosen = run.id

    def chunks(s: Session) -> Iterator[list[dict[str, Any]]]:
        r = s.get(ReportRun, chosen)
        if r is not None:
            yield from evaluation_files.csv_chunks(s, r, code, lang)

    return csv_stream(
        read,
        chunks,
        evaluation_files.CSV_FIELDS,
        f"{code}_evaluation.csv",
        labels=evaluation_files.csv_labels(lang),
    )


def _evaluation_run(session: Session, run_id: str | None) -> Any:
    """The run an evaluation page or download shows: ``?run=ID`` (a past run), else the latest."""
    from service.reports.queries import get_run

    if run_id and run_id.isdigit():
        return get_run(session, int(run_id))
    return _require_run(session)


@router.get("/plans/{code}/evaluation.{fmt}")
def evaluation_download(
    session: SessionDep,
    lang: Lang,
    code: str,
    fmt: str,
    run_id: Annotated[str | None, Query(alias="run", max_length=12)] = None,
) -> Response:
    """The evaluation report as a Word, Excel or standalone HTML file (the same as `yrdmon report
    evaluate --format ...`), of the latest run or of ``?run=ID``."""
    from service.reports.evaluation_files import MEDIA_TYPES, STREAMED, document, write_document

    if fmt not in ("docx", "xlsx", "html"):
        raise NotFound(f"没有 .{fmt[:10]} 格式的评估报告", f"no evaluation report as .{fmt[:10]}")
    run = _evaluation_run(session, run_id)
    if fmt in STREAMED:  # written to a temporary file as the records are read, then sent from it
        spool = tempfile.TemporaryFile()  # noqa: SIM115  # closed once sent (_sent_and_closed)
        try:
            filename, words = write_document(session, run, code, fmt, spool, lang)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return StreamingResponse(
            _sent_and_closed(spool),
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": attachment(filename, words)},
        )
    made = document(session, run, code, fmt, lang)
    return Response(
        made.body,
        media_type=made.media_type,
        headers={"Content-Disposition": attachment(made.filename, made.filename_words)},
    )


def _sent_and_closed(spool: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    """A temporary file's bytes, a block at a time; the file is closed (and so removed) at the end."""
    with spool:
        while block := spool.read(size):
            yield block


# --- login, entry, upload ------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, lang: Lang, user: WebUser, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", lang, user, next=next if next.startswith("/") else "/", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    lang: Lang,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    policy = LoginPolicy(
        settings.login_max_failures,
        settings.login_max_failures_per_address,
        dt.timedelta(seconds=settings.login_window_seconds),
    )
    now = dt.datetime.now(dt.UTC)
    address = request.client.host if request.client else None
    result = authenticate(session, username, password, address=address, policy=policy, now=now)
    if result.retry_after is not None:
        minutes = max(1, -(-result.retry_after // 60))
        response = render(
            request,
            "login.html",
            lang,
            None,
            status_code=429,
            next=next,
            error=t("login_locked", lang).format(minutes=minutes),
        )
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if result.user is None:
        return render(
            request, "login.html", lang, None, status_code=401, next=next, error=t("bad_login", lang)
        )
    redirect = RedirectResponse(
        next if next.startswith("/") and not next.startswith("//") else "/", status_code=303
    )
    set_session_cookie(request, redirect, start_session(session, result.user, now=now))
    return redirect


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    end_session(session, session_cookie(request), now=dt.datetime.now(dt.UTC))
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(request, response)
    return response


def _entry_regions(session: Session, user: User) -> list[Region]:
    writable = writable_region_ids(session, user, Resolver(session))
    regions = session.scalars(select(Region).order_by(Region.code)).all()
    return [r for r in regions if writable is None or r.id in writable]


@router.get("/entry", response_class=HTMLResponse)
def entry_form(
    request: Request,
    session: SessionDep,
    lang: Lang,
    checked: EditorUser,
    region: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
) -> Response:
    regions = _entry_regions(session, checked)
    chosen = next((r for r in regions if r.code == region), None) if region else None
    if chosen is None:
        chosen = forms.first_region_with_targets(session, regions)
    the_year = year or dt.date.today().year - 1
    rows = data.entry_rows(session, chosen, the_year) if chosen else []
    return render(
        request,
        "entry.html",
        lang,
        checked,
        regions=regions,
        region=chosen,
        year=the_year,
        rows=rows,
        summary=None,
        kept={},
    )


@router.post("/entry", response_class=HTMLResponse)
async def entry_submit(
    request: Request, session: SessionDep, lang: Lang, checked: EditorUser, form: CheckedForm
) -> Response:
    region_code, year = str(form.get("region") or ""), str(form.get("year") or "")
    resolver = Resolver(session)
    inputs, n, names = [], 0, {}
    for name, value in form.multi_items():
        if not name.startswith("value_") or not str(value).strip():
            continue
        code = name.removeprefix("value_")
        n += 1
        known = resolver.indicators.get(code.lower())
        names[n] = (known.name_zh if lang == "zh" else known.name_en) if known is not None else code
        inputs.append(
            ObservationInput(
                row=n,
                indicator=code,
                region=region_code,
                period=year,
                value=str(value),
                status=str(form.get("status") or "final"),
                source=str(form.get("source") or "") or None,
                published=str(form.get("published") or "") or None,
                revision_reason=str(form.get(f"reason_{code}") or "") or None,
                confirm=bool(form.get(f"confirm_{code}")),
                series_break=bool(form.get(f"break_{code}")),
                coverage=str(form.get("coverage") or "").strip() or None,
            )
        )
    result = ingest(
        session,
        checked,
        inputs,
        path=WritePath.WEB,
        now=dt.datetime.now(dt.UTC),
        dry_run=bool(form.get("dry_run")),
        confirm_hint=CONFIRM_IN_FORM,
    )
    regions = _entry_regions(session, checked)
    chosen = next((r for r in regions if r.code == region_code), None)
    the_year = int(year) if year.isdigit() else dt.date.today().year - 1
    rows = data.entry_rows(session, chosen, the_year) if chosen else []
    summary = forms.summarise(result, lang, row_names=names)
    saved = result.applied and not result.dry_run
    # a refused batch or a dry run gives back everything typed; a saved one shows the stored figures
    kept = {} if saved else forms.kept_values(form)
    status = 200 if saved or (result.dry_run and summary is not None and summary.ok) else 422
    return render(
        request,
        "entry.html",
        lang,
        checked,
        status_code=status,
        regions=regions,
        region=chosen,
        year=the_year,
        rows=rows,
        summary=summary,
        result=result,
        kept=kept,
    )


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, session: SessionDep, lang: Lang, checked: EditorUser) -> Response:
    return render(
        request,
        "upload.html",
        lang,
        checked,
        summary=None,
        dry_run=False,
        reading=None,
        upload=None,
        plans=session.scalars(select(Plan).order_by(Plan.code)).all(),
        regions=_entry_regions(session, checked),
    )


@router.post("/upload", response_class=HTMLResponse)
async def upload_submit(
    request: Request,
    session: SessionDep,
    lang: Lang,
    checked: EditorUser,
    form: CheckedUpload,
    settings: SettingsDep,
) -> Response:
    """A template file is checked (dry run) or stored at once, as before; any other table is first shown
    as it reads (layout, every label's mapping, the figures), corrected, and then imported."""
    limit = settings.max_upload_bytes
    result, error, reading, upload, options = None, None, None, None, None
    try:
        upload = await upload_preview.received(form, limit)
        options = upload_preview.options(form)
        # long and synchronous: in a worker thread, so the process keeps answering meanwhile
        reading = await run_in_threadpool(layouts.read_upload, session, upload.name, upload.data, options)
        long = all(sheet.layout == layouts.LONG for sheet in reading.sheets)
        if not reading.inputs:
            raise DomainError("文件中没有可导入的数值", "the file holds no figures to import")
        dry_run = bool(form.get("dry_run")) if long else form.get("action") != "import"
        result = await run_in_threadpool(
            ingest,
            session,
            checked,
            reading.inputs,
            path=WritePath.WEB,
            now=dt.datetime.now(dt.UTC),
            dry_run=dry_run,
            filename=upload.name[:300],
            confirm_hint=CONFIRM_IN_FILE,
        )
        if result.applied and options.mapping:
            layouts.remember(session, reading, options, checked.id, dt.datetime.now(dt.UTC))
        if long:
            reading = None  # the template needs no preview
    except DomainError as exc:
        error = exc.zh if lang == "zh" else exc.en
    summary = forms.summarise(result, lang, error=error, from_file=True)
    status = 200 if summary is not None and summary.ok else 422
    if result is not None and result.applied and not result.dry_run:
        status = 200
    return render(
        request,
        "upload.html",
        lang,
        checked,
        status_code=status,
        summary=summary,
        result=result,
        dry_run=bool(result is not None and result.dry_run and reading is None),
        reading=reading,
        upload=upload,
        given=options,
        plans=session.scalars(select(Plan).order_by(Plan.code)).all(),
        regions=_entry_regions(session, checked),
    )


# --- subscriptions ---------------------------------------------------------------------------------


def _subscription_page(
    request: Request,
    session: Session,
    lang: str,
    user: User,
    status_code: int = 200,
    error: str | None = None,
    kept: dict[str, Any] | None = None,
    notice: Any = None,
) -> HTMLResponse:
    from service.notify.subscriptions import last_delivery, visible_to

    subs = list(session.scalars(visible_to(user).limit(100)))  # the first 100, as the API's first page
    failures = {
        s.id: d["error"]
        for s in subs
        if (d := last_delivery(session, s)) and d["status"] == OutboxStatus.FAILED
    }
    return render(
        request,
        "subscriptions.html",
        lang,
        user,
        status_code=status_code,
        subs=subs,
        error=error,
        notice=notice,
        failures=failures,
        plans=session.scalars(select(Plan).order_by(Plan.code)).all(),
        kept=kept or {},
        **forms.subscription_choices(session, lang),
    )


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions_page(request: Request, session: SessionDep, lang: Lang, user: SignedInUser) -> Response:
    return _subscription_page(request, session, lang, user)


@router.post("/subscriptions", response_class=HTMLResponse)
async def subscriptions_submit(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: SignedInUser,
    form: CheckedForm,
    side_writes: SideWrites,
) -> Response:
    from service.notify.subscriptions import SubscriptionRequest, create_subscription, delete_subscription

    now = dt.datetime.now(dt.UTC)

    resolver = Resolver(session)

    def codes(name: str, known: dict[str, Any]) -> list[str]:
        """The codes picked (by name, code or synonym: several boxes, or one with commas)."""
        typed = [str(v) for v in form.getlist(name)] + [str(form.get(name + "s") or "")]
        pieces = [
            c.strip() for v in typed for c in v.replace("，", ",").replace("、", ",").split(",") if c.strip()
        ]
        return list(
            dict.fromkeys(found.code if (found := known.get(c.lower())) is not None else c for c in pieces)
        )

    try:
        if form.get("test"):
            from service.notify.probe import send_test_message
            from service.notify.subscriptions import get_subscription

            sub_id = int(str(form.get("test")))
            get_subscription(session, user, sub_id)  # 404 / 403 before anything is queued
            outcome = send_test_message(side_writes, user, sub_id, request.app.state.settings, now=now)
            return _subscription_page(request, session, lang, user, notice=outcome)
        if form.get("delete"):
            delete_subscription(session, user, int(str(form.get("delete"))), now=now, path=WritePath.WEB)
        else:
            channel = str(form.get("channel") or "email")
            create_subscription(
                session,
                user,
                SubscriptionRequest(
                    email=(str(form.get("email") or "") or None) if channel == "email" else None,
                    plan_codes=[str(p) for p in form.getlist("plan") if p],
                    region_codes=codes("region", resolver.regions),
                    indicator_codes=codes("indicator", resolver.indicators),
                    cadence=str(form.get("cadence") or "after_run"),
                    language=str(form.get("language") or "zh"),
                    channel=channel,
                    url=str(form.get("url") or "") or None,
                    secret=str(form.get("secret") or "") or None,
                ),
                now=now,
                path=WritePath.WEB,
                settings=request.app.state.settings,
            )
    except (DomainError, ValueError) as exc:
        message = (exc.zh if lang == "zh" else exc.en) if isinstance(exc, DomainError) else str(exc)
        session.rollback()
        kept = {
            "email": str(form.get("email") or ""),
            "plans": [str(p) for p in form.getlist("plan")],
            "regions": [str(v) for v in form.getlist("region") if str(v).strip()],
            "indicators": [str(v) for v in form.getlist("indicator") if str(v).strip()],
            "cadence": str(form.get("cadence") or ""),
            "language": str(form.get("language") or ""),
            "channel": str(form.get("channel") or ""),
        }  # never the URL or secret: entered again
        return _subscription_page(request, session, lang, user, status_code=422, error=message, kept=kept)
    return RedirectResponse(f"/subscriptions?lang={lang}", status_code=303)


@router.get("/entry/history", response_class=HTMLResponse)
def entry_history(
    request: Request,
    session: SessionDep,
    lang: Lang,
    checked: EditorUser,
    indicator: Annotated[str, Query(max_length=80)],
    region: Annotated[str, Query(max_length=40)],
    year: Annotated[int, Query(ge=1949, le=2100)],
) -> Response:
    """Every version of one figure with who entered it, when, from where and why."""
    from service.db.models import ImportBatch, Indicator, Observation

    rows = session.execute(
        select(Observation, User.username, ImportBatch.path, ImportBatch.filename)
        .join(Indicator, Observation.indicator_id == Indicator.id)
        .join(Region, Observation.region_id == Region.id)
        .outerjoin(User, Observation.entered_by_id == User.id)
        .outerjoin(ImportBatch, Observation.batch_id == ImportBatch.id)
        .where(Indicator.code == indicator, Region.code == region, Observation.period == year)
        .order_by(Observation.reported_at, Observation.id)
    ).all()
    ind = session.scalar(select(Indicator).where(Indicator.code == indicator))
    reg = session.scalar(select(Region).where(Region.code == region))
    indicator_name = (ind.name_en if lang == "en" else ind.name_zh) if ind else indicator
    region_name = (reg.name_en if lang == "en" else reg.name_zh) if reg else region
    docs = forms.documents(session)
    return render(
        request,
        "history.html",
        lang,
        checked,
        rows=rows,
        indicator=indicator,
        region=region,
        year=year,
        indicator_name=indicator_name,
        region_name=region_name,
        source_label=lambda text: forms.source_label(text, docs, lang),
    )
