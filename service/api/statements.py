"""Progress statements (进展情况说明) with supporting files (支撑材料): record (multipart), list, download."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from service.api.deps import NO_NUL, CurrentUser, SessionDep
from service.db.models import WritePath
from service.domain import statements
from service.domain.attachments import form_uploads, supporting_file
from service.domain.errors import Invalid

router = APIRouter(tags=["evidence"])


class EvidenceFileOut(BaseModel):
    """A supporting file: its stored name, type, size and sha256, and where to download it."""

    id: int
    name: str
    media_type: str
    kind: str
    size: int
    size_text: str
    sha256: str
    url: str


class OrganisationRef(BaseModel):
    code: str
    name_zh: str
    name_en: str | None = None


class StatementRecorded(BaseModel):
    """A recorded statement: its id, target (plan/key), year, the version it corrects, and its files."""

    id: int
    target: str
    year: int
    corrects: int | None = None
    files: list[EvidenceFileOut]


class StatementOut(BaseModel):
    """A progress statement as listed: version, author, organisation, time (UTC) and files."""

    id: int
    year: int
    text: str
    at: str
    version: int
    corrects: int | None = None
    corrected: bool
    by: str | None = None
    organisation: OrganisationRef | None = None
    files: list[EvidenceFileOut]


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PlanCode = Annotated[str, Path(max_length=80, pattern=NO_NUL)]
Key = Annotated[str, Path(max_length=120, pattern=NO_NUL)]


@router.post(
    "/plans/{plan}/targets/{key}/statements",
    status_code=201,
    response_model=StatementRecorded,
    summary="Record a progress statement with supporting files (multipart: year, text, file…, corrects)",
)
async def post_statement(
    request: Request, plan: PlanCode, key: Key, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    settings = request.app.state.settings
    limit = settings.evidence_max_bytes
    if not request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        raise Invalid(
            "请以 multipart/form-data 提交（字段 year、text、file）",
            "send multipart/form-data (fields year, text, file)",
        )
    form = await request.form(max_files=statements.MAX_FILES + 1, max_part_size=1 << 20)
    corrects = str(form.get("corrects") or "").strip()
    if corrects and not corrects.isdigit():
        raise Invalid("corrects 应为说明编号", "corrects must be a statement id")
    return statements.add_statement(
        session,
        user,
        plan,
        key,
        year=str(form.get("year") or ""),
        text=str(form.get("text") or ""),
        files=await form_uploads(form.getlist("file"), limit),
        var_dir=settings.var_dir,
        max_bytes=limit,
        now=dt.datetime.now(dt.UTC),
        path=WritePath.API,
        corrects=int(corrects) if corrects else None,
    )


@router.get(
    "/plans/{plan}/targets/{key}/statements",
    response_model=list[StatementOut],
    summary="A target's progress statements, newest first",
)
def list_statements(
    plan: PlanCode,
    key: Key,
    session: SessionDep,
    history: Annotated[bool, Query(description="also the versions that were corrected")] = False,
) -> list[dict[str, Any]]:
    p, _t = statements.target_of(session, plan, key)
    items = statements.statements(session, p.id, [key], history=history).get(key, [])
    return [{**s, "at": s["at"].isoformat()} for s in items]


@router.get(
    "/evidence/{file_id}",
    summary="A supporting file (checked against its sha256)",
    response_class=Response,
    responses={
        200: {
            "content": {t: {} for t in ("application/pdf", "image/png", "image/jpeg", DOCX)},
            "description": "the file, as an attachment",
        }
    },
)
def get_file(request: Request, file_id: int, session: SessionDep) -> Response:
    served = supporting_file(session, request.app.state.settings.var_dir, file_id)
    return Response(served.data, media_type=served.media_type, headers=served.headers)
