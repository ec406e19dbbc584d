"""Web login: a signed session cookie and CSRF tokens derived from it (HMAC with the secret key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

COOKIE = "yrdmon_session"
MAX_AGE = 8 * 3600


def _sign(key: bytes, payload: str) -> str:
    return (
        base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest())
        .decode()
        .rstrip("=")
    )


def make_cookie(key: bytes, user_id: int, now: float | None = None) -> str:
    expires = int((now or time.time()) + MAX_AGE)
    nonce = secrets.token_urlsafe(12)
    payload = f"{user_id}.{expires}.{nonce}"
    return f"{payload}.{_sign(key, payload)}"


def read_cookie(key: bytes, value: str | None, now: float | None = None) -> int | None:
    """The user id of a valid, unexpired session cookie, else None."""
    if not value or value.count(".") != 3:
        return None
    user_id, expires, nonce, signature = value.split(".")
    payload = f"{user_id}.{expires}.{nonce}"
    if not hmac.compare_digest(signature, _sign(key, payload)):
        return None
    if not (user_id.isdigit() and expires.isdigit()) or int(expires) < (now or time.time()):
        return None
    return int(user_id)


def csrf_token(key: bytes, cookie: str) -> str:
    return _sign(key, "csrf:" + cookie)


def check_csrf(key: bytes, cookie: str | None, token: str | None) -> bool:
    return bool(cookie and token) and hmac.compare_digest(csrf_token(key, cookie or ""), token or "")
