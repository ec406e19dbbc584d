"""The API's interactive documentation at /docs: Swagger UI from files the service serves itself.

FastAPI's own /docs page loads Swagger UI from a CDN (unreachable on a government intranet) and starts it
with an inline script (which the Content-Security-Policy forbids). The Swagger UI files come from the
``fastapi-offline`` package, which ships them; only those files are used, not its FastAPI factory.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from service.web.rendering import STATIC
from service.web.routes import static_file

router = APIRouter(include_in_schema=False)
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"


@router.get("/docs")
def docs_page() -> FileResponse:
    return FileResponse(
        STATIC / "docs.html", media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


@router.get("/docs/swagger-ui-bundle.js")
def swagger_js(request: Request) -> Response:
    return static_file(request, SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript", max_age=86400)


@router.get("/docs/swagger-ui.css")
def swagger_css(request: Request) -> Response:
    return static_file(request, SWAGGER_UI / "swagger-ui.css", "text/css", max_age=86400)


@router.get("/static/docs.js")
def docs_js(request: Request) -> Response:
    return static_file(request, STATIC / "docs.js", "text/javascript")
