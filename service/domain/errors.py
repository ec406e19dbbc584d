"""Domain errors. The API renders them as application/problem+json with zh and en messages."""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """A request turned away by its guards (no login, wrong role, a forged form) before it wrote anything.
    The request's own bookkeeping ("last seen") still counts: its unit of work commits, then the refusal
    is answered."""


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, zh: str, en: str, *, details: Any = None) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.details = details

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": f"{self.zh} / {self.en}",
            "detail_zh": self.zh,
            "detail_en": self.en,
        }
        if self.details is not None:
            body["errors"] = self.details
        return body


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
