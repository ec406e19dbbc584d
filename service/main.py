"""create_app(): lifespan, routers and exception handlers; no logic here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service import __version__
from service.api import assignments, audit, fill_in, health, observations, reports, subscriptions, targets
from service.api import review as review_api
from service.api import statements as statements_api
from service.config import Settings, get_settings
from service.db.session import make_engine, make_sessionmaker
from service.domain.errors import DomainError, problem_body
from service.web import docs as web_docs
from service.web import evidence as web_evidence
from service.web import plan_review as web_plan_review
from service.web import responsibility as web_responsibility
from service.web import review_pages as web_review
from service.web import routes as web_routes
from service.web.data import RunCache
from service.web.errors import LoginNeeded, PageRefused, error_page, login_needed, page_refused, wants_html
from service.web.i18n import t
from service.web.security import SECURITY_HEADERS, SecurityHeadersMiddleware

PROBLEM = "application/problem+json"
log = logging.getLogger("yrdmon.web")


def _problem(
    status: int, title: str, zh: str, en: str, errors: object = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, title, zh, en, errors), status_code=status, media_type=PROBLEM, headers=headers
    )


def create_app(settings: Settings | None = None, *, start_scheduler: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    run_scheduler = settings.run_scheduler if start_scheduler is None else start_scheduler

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.effective_database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)  # units of work that write
        app.state.read_sessionmaker = make_sessionmaker(engine, write=False)  # GET requests
        app.state.settings = settings
        app.state.run_cache = RunCache()  # figures over a whole finished run, for the overview
        runner = None
        if run_scheduler:
            from service.scheduler.runner import SchedulerRunner

            runner = SchedulerRunner(settings, engine)
            runner.start()
        app.state.scheduler = runner
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            engine.dispose()

    app = FastAPI(
        title="yrdmon — 长三角规划目标监测 / YRD plan-target monitoring",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served by service.web.docs from the service's own files
        redoc_url=None,  # FastAPI's ReDoc page loads its script from a CDN
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json",
    )

    # Plotly's 4.8 MB script goes out as about 1.4 MB; pages and JSON shrink likewise.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(SecurityHeadersMiddleware)

    # the page guards (service.web.guards): a redirect to the login page or a 403 page; problem+json on /api
    app.add_exception_handler(LoginNeeded, login_needed)  # type: ignore[arg-type]
    app.add_exception_handler(PageRefused, page_refused)  # type: ignore[arg-type]

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if wants_html(request):
            return error_page(request, exc.status, exc.zh, exc.en)
        return JSONResponse(exc.problem(), status_code=exc.status, media_type=PROBLEM)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        if wants_html(request):
            names = ", ".join(dict.fromkeys(str(e["loc"][-1]) for e in errors if e["loc"]))
            return error_page(
                request,
                422,
                t("bad_parameter", "zh").format(names=names),
                t("bad_parameter", "en").format(names=names),
            )
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
        return _problem(
            422, "Invalid input", f"请求内容有误：{where}", f"the request is invalid: {where}", errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        if wants_html(request) and exc.status_code in (404, 405):
            key = "page_missing" if exc.status_code == 404 else "method_not_allowed"
            return error_page(request, exc.status_code, t(key, "zh"), t(key, "en"), headers=headers)
        zh = {404: "找不到该地址", 405: "不支持该请求方法"}.get(exc.status_code, "请求无法处理")
        return _problem(exc.status_code, str(exc.detail), zh, str(exc.detail), headers=headers)

    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: OperationalError) -> Response:
        # the database did not answer in time (SQLite's write lock held past the busy timeout by a very
        # long import, PostgreSQL restarting): nothing was written; the client can safely try again
        log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc.orig)
        zh = "数据库繁忙，本次请求未保存任何内容，请稍后重试"
        en = "the database is busy; nothing from this request was saved; please try again shortly"
        if wants_html(request):
            return error_page(request, 503, zh, en, headers={"Retry-After": "5"})
        response = _problem(503, "Database busy", zh, en)
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        # answered outside the middleware stack, so the headers are set here
        if wants_html(request):
            try:
                return error_page(
                    request, 500, t("server_error", "zh"), t("server_error", "en"), headers=SECURITY_HEADERS
                )
            except Exception:  # the page itself failed (the database is gone): the plain answer below
                log.exception("the error page failed")
        return _problem(
            500,
            "Internal error",
            "服务器内部错误，已记录",
            "internal error; it has been logged",
            headers=SECURITY_HEADERS,
        )

    app.include_router(health.router)
    app.include_router(web_routes.router)
    app.include_router(web_plan_review.router)
    app.include_router(web_review.router)
    app.include_router(web_responsibility.router)
    app.include_router(web_evidence.router)
    app.include_router(web_docs.router)
    app.include_router(targets.router, prefix="/api/v1")
    app.include_router(observations.router, prefix="/api/v1")
    app.include_router(audit.router, prefix="/api/v1")
    app.include_router(fill_in.router, prefix="/api/v1")
    app.include_router(reports.router, prefix="/api/v1")
    app.include_router(subscriptions.router, prefix="/api/v1")
    app.include_router(review_api.router, prefix="/api/v1")
    app.include_router(assignments.router, prefix="/api/v1")
    app.include_router(statements_api.router, prefix="/api/v1")
    return app
