"""Error pages for people: a browser asking for a page that is missing, or hitting an error, gets an
HTML page in its language with a way back; API clients (an /api path, Accept: application/json, or
no HTML in Accept) keep application/problem+json."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from service.domain.errors import DomainError, Forbidden, Refusal, Unauthorized
from service.web.i18n import t
from service.web.rendering import language, render

if TYPE_CHECKING:
    from service.db.models import User

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


TITLES = {
    400: "error_bad_request",
    401: "login_needed",
    403: "forbidden",
    404: "not_found",
    405: "error_bad_request",
    409: "error_conflict",
    422: "error_bad_request",
    429: "error_bad_request",
    503: "error_busy",
}


def error_page(
    request: Request, status: int, zh: str, en: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    lang = language(request)
    title = t(TITLES.get(status, "error_server"), lang)
    response = render(
        request,
        "error.html",
        lang,
        None,
        status_code=status,
        title=title,
        status=status,
        message=zh if lang == "zh" else en,
        back=_back_link(request),
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class LoginNeeded(Refusal):
    """A page needs a signed-in user (raised by service.web.guards)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageRefused(Refusal):
    """The user may not do this here (their role, or a form without this session's CSRF token)."""

    def __init__(self, user: User | None, message: tuple[str, str]) -> None:
        super().__init__(message[1])
        # what the page's header shows of the user, read now: the refusal page is drawn after the
        # request's database session has closed, when the row can no longer be loaded
        self.user: Any = None if user is None else SimpleNamespace(username=user.username, role=user.role)
        self.message = message


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES) or request.url.path == "/api"


def login_needed(request: Request, exc: LoginNeeded) -> Response:
    """A page: to the login page and back; an API path: 401 problem+json."""
    if _is_api(request):
        return _problem(Unauthorized("需要登录", "authentication required"))
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)


def page_refused(request: Request, exc: PageRefused) -> Response:
    """A page: the message page with a 403 in the page's language; an API path: 403 problem+json."""
    if _is_api(request):
        return _problem(Forbidden(*exc.message))
    lang = language(request)
    message = exc.message[1] if lang == "en" else exc.message[0]
    return render(request, "message.html", lang, exc.user, status_code=403, message=message)


def _problem(error: DomainError) -> JSONResponse:
    return JSONResponse(error.problem(), status_code=error.status, media_type="application/problem+json")
