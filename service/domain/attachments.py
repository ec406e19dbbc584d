"""Files that cross the service's edge as attachments: the supporting files (支撑材料) a progress
statement's form carries in, a stored supporting file served back out, and the Content-Disposition
every download the service gives carries.

The pages (``service.web.evidence``) and the API (``service.api.statements``) both take and serve
supporting files through here, so that the two read a form's files and answer a download the same way.
Nothing here depends on the web framework: a form's file is anything with a ``filename`` and an
awaitable ``read``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import quote

from sqlalchemy.orm import Session

from service.domain import statements


def attachment(filename: str, words: str) -> str:
    """A Content-Disposition that every browser saves under a good name: an ASCII ``filename`` (any
    other character, a quote or a line break included, becomes ``_``) and the name in words as
    ``filename*`` (RFC 6266 / 5987)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(words, safe='')}"


@runtime_checkable
class FormFile(Protocol):
    """A file field of a posted form, as the web framework gives it."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


async def form_uploads(fields: Iterable[object], limit: int) -> list[statements.Upload]:
    """The files among a form's ``file`` fields (a field sent as text is not one, nor a file field left
    empty); each read up to one byte past ``limit``, so that one too large is known as such."""
    out = []
    for item in fields:
        if isinstance(item, FormFile) and item.filename:
            out.append(statements.Upload(item.filename, await item.read(limit + 1)))
    return out


@dataclass(frozen=True)
class ServedFile:
    """A stored supporting file as a download: its bytes, its media type and the response headers."""

    data: bytes
    media_type: str
    headers: dict[str, str]


def supporting_file(session: Session, var_dir: Path, file_id: int) -> ServedFile:
    """A supporting file as an attachment (never shown inline: ``nosniff`` and a sandboxing CSP), served
    only when the stored file still matches its checksum; a 404 or 409 (``DomainError``) otherwise."""
    row = statements.file_row(session, file_id)
    data = statements.read(var_dir, row)
    headers = {
        "Content-Disposition": attachment(
            statements.ascii_name(row.id, statements.extension(row.media_type)), row.filename
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, max-age=0, no-cache",
    }
    return ServedFile(data, row.media_type, headers)
