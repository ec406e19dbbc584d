"""Supporting files crossing the service's edge (service.domain.attachments): which of a form's fields are
files, how much of each is read, and the name a download is saved under. Served files (checksums, the
headers over HTTP, on both databases) are tested in test_evidence.py through the pages and the API."""

from __future__ import annotations

import asyncio
import io
from urllib.parse import unquote

from starlette.datastructures import UploadFile

from service.domain.attachments import FormFile, attachment, form_uploads


def test_only_file_fields_with_a_name_are_read_and_each_at_most_one_byte_past_the_limit() -> None:
    fields: list[object] = [
        UploadFile(io.BytesIO(b"x" * 100), filename="粮食产能说明.pdf"),
        "a field sent as text",  # a client that posts text under the name "file"
        UploadFile(io.BytesIO(b""), filename=""),  # a file field left empty
        UploadFile(io.BytesIO(b"%PDF-1.4"), filename="small.pdf"),
    ]
    assert [isinstance(f, FormFile) for f in fields] == [True, False, True, True]
    found = asyncio.run(form_uploads(fields, limit=10))
    assert [(u.name, u.data) for u in found] == [("粮食产能说明.pdf", b"x" * 11), ("small.pdf", b"%PDF-1.4")]


def test_a_download_is_saved_under_a_safe_ascii_name_and_its_name_in_words() -> None:
    header = attachment("statement-7.pdf", "南京 粮食/产能;说明.pdf")
    plain, _, encoded = header.partition("; filename*=UTF-8''")
    assert plain == 'attachment; filename="statement-7.pdf"'
    assert unquote(encoded) == "南京 粮食/产能;说明.pdf"
    assert all(c.isascii() and c not in ' ;/"' for c in encoded)
