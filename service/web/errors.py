"""Error pages for people: a browser asking for a page that is missing, or hitting an error, gets an
HTML page in its language with a way back; API clients (an /api path, Accept: application/json, or
no HTML in Accept) keep application/problem+json."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from service.web.i18n import t

API_PREFIXES = ("/api/", "/openapi.json", "/healthz", "/static/", "/docs/")


def wants_html(request: Request) -> bool:
    """True for a browser navigating to a page: HTML asked for first, not an API path."""
    path = request.url.path
    if path.startswith(API_PREFIXES) or path == "/api":
        return False
    accept = request.headers.get("accept", "").lower()
    if "application/json" in accept or "application/problem+json" in accept:
        return False
    return "text/html" in accept


def _back_link(request: Request) -> str | None:
    """The page the person came from, when it is a page of this service (never another site)."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    if parts.path == request.url.path or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


TITLES = {400: "error_bad_request", 401: "login_needed", 403: "forbidden", 404: "not_found",
          405: "error_bad_request", 409: "error_conflict", 422: "error_bad_request", 429: "error_bad_request",
          503: "error_busy"}  # fmt: skip


def error_page(
    request: Request, status: int, zh: str, en: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    from service.web.routes import language, render

    lang = language(request)
    title = t(TITLES.get(status, "error_server"), lang)
    response = render(request, "error.html", lang, None, status_code=status, title=title, status=status,
                      message=zh if lang == "zh" else en, back=_back_link(request))  # fmt: skip
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
