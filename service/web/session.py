"""The web session cookie and CSRF tokens. The cookie holds a random value naming a server-side session
(service.domain.auth); the CSRF token is an HMAC of that value, so it belongs to one session and dies
with it."""

from __future__ import annotations

import base64
import hashlib
import hmac

from fastapi import Request, Response

from service.api.deps import app_settings
from service.config import secret_key
from service.domain.auth import SESSION_LIFETIME

COOKIE = "yrdmon_session"
MAX_AGE = int(SESSION_LIFETIME.total_seconds())


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(COOKIE)


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    """HttpOnly and SameSite=Lax always; Secure when YRDMON_SECURE_COOKIES is set (behind HTTPS)."""
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=app_settings(request).secure_cookies,
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=app_settings(request).secure_cookies)


def _sign(key: bytes, payload: str) -> str:
    return (
        base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest())
        .decode()
        .rstrip("=")
    )


def csrf_token(request: Request) -> str:
    """The token for the forms of this request's session ("" without one)."""
    cookie = session_cookie(request)
    return _sign(secret_key(app_settings(request)), "csrf:" + cookie) if cookie else ""


def csrf_ok(request: Request, token: str | None) -> bool:
    expected = csrf_token(request)
    return bool(expected and token) and hmac.compare_digest(expected, token or "")
