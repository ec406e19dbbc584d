"""Domain errors. The API renders them as application/problem+json with zh and en messages."""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """A request turned away by its guards (no login, wrong role, a forged form) before it wrote anything.
    The request's own bookkeeping ("last seen") still counts: its unit of work commits, then the refusal
    is answered."""


def problem_body(status: int, title: str, zh: str, en: str, errors: object = None) -> dict[str, Any]:
    """An RFC 9457 problem document with the message in both languages (the one shape of every 4xx/5xx
    body the API sends: ``detail`` holds both, ``detail_zh`` / ``detail_en`` each; ``errors`` the rows or
    fields at fault, when there are any)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": f"{zh} / {en}",
        "detail_zh": zh,
        "detail_en": en,
    }
    if errors is not None:
        body["errors"] = errors
    return body


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, zh: str, en: str, *, details: Any = None) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.details = details

    def problem(self) -> dict[str, Any]:
        return problem_body(self.status, self.title, self.zh, self.en, self.details)


class Invalid(DomainError):
    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Unauthorized(DomainError):
    status = 401
    title = "Not authenticated"
