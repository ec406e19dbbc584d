"""The upload page's preview of a wide table: the file carried from the preview to the import (so the
person does not choose it again), and the corrections typed beside each label."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile

from service.domain.errors import DomainError
from service.domain.layouts import Options

CARRY_LIMIT = 2 << 20  # files up to this size ride along in the preview page; larger ones are chosen again


@dataclass
class Upload:
    name: str
    data: bytes

    @property
    def carried(self) -> str | None:
        """The file as the preview page carries it (base64), or None when it is too large to carry."""
        return base64.b64encode(self.data).decode() if len(self.data) <= CARRY_LIMIT else None


async def received(form: Any, limit: int) -> Upload:
    """The file of the form: a newly chosen one, or the one the preview page carried."""
    file = form.get("file")
    if isinstance(file, UploadFile) and file.filename:
        data = await file.read(limit + 1)
        name = file.filename
    elif form.get("carried"):
        try:
            data = base64.b64decode(str(form.get("carried")), validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(
                "上传的文件已损坏，请重新选择文件", "the carried file is damaged; choose the file again"
            ) from None
        name = str(form.get("carried_name") or "upload")
    else:
        raise DomainError("请选择要上传的文件", "choose a file to upload")
    if len(data) > limit:
        raise DomainError(f"文件超过 {limit // 2**20} MB 上限", f"the file exceeds {limit // 2**20} MB")
    return Upload(name.replace("\x00", "")[:300], data)


def options(form: Any) -> Options:
    """What the person typed: a correction per label (only those that differ from the reading shown),
    the source and the revision reason for every figure."""
    mapping: dict[str, str] = {}
    for key in form:
        if not key.startswith("map_"):
            continue
        n = key[4:]
        label = str(form.get(f"label_{n}") or "").strip()
        new = str(form.get(key) or "").strip()
        if label and new and new != str(form.get(f"orig_{n}") or "").strip():
            mapping[label[:200]] = new[:200]
    for key in ("@region", "@year"):
        value = str(form.get(key) or "").strip()
        if value:
            mapping[key] = value[:200]
    return Options(
        mapping=mapping,
        source=str(form.get("source") or "").strip()[:400] or None,
        revision_reason=str(form.get("revision_reason") or "").strip()[:2000] or None,
        published=str(form.get("published") or "").strip()[:40] or None,
        status=str(form.get("status") or "").strip()[:20] or None,
    )
