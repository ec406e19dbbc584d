"""Progress statements and supporting files (支撑材料) on the target page: the form, the list, downloads.

The form posts to ``/targets/{plan}/{key}/statements`` (multipart, CSRF like every form); the API has the
same under ``/api/v1`` (service.api.statements). A download is an attachment with a safe ASCII name and
the user's name in words (RFC 6266), ``nosniff`` and a sandboxing CSP, served only when the stored file
still matches its checksum.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from service.api.deps import SessionDep
from service.db.models import Plan, Target, User, WritePath
from service.domain import statements
from service.domain.errors import DomainError
from service.domain.texts import t
from service.web.routes import Lang, WebUser, attachment, target_response
from service.web.session import csrf_ok

router = APIRouter(include_in_schema=False)


def view(session: Session, user: User | None, plan_code: str, key: str, limit: int) -> dict[str, Any]:
    """What the target page shows of a target's statements, and whether this user may add one."""
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    target = (
        session.scalar(
            select(Target).where(Target.plan_id == plan.id, Target.key == key, Target.valid_to.is_(None))
        )
        if plan
        else None
    )
    if plan is None or target is None:
        return {"items": [], "history": [], "may_write": False, "years": [], "limit_mb": 0}
    items = statements.statements(session, plan.id, [key], history=True).get(key, [])
    now = dt.datetime.now(dt.UTC)
    first = target.period_start or (target.baseline_year or target.target_year - 5)
    years = list(range(min(target.target_year, now.year), min(first, target.target_year) - 1, -1))
    return {
        "items": [s for s in items if not s["corrected"]],
        "history": [s for s in items if s["corrected"]],
        "may_write": statements.may_write(session, user, plan, target),
        "years": years,
        "limit_mb": f"{limit / (1024 * 1024):g}",
    }


async def files_of(form: Any, limit: int) -> list[statements.Upload]:
    """The files chosen in a form (several ``file`` fields); each read up to one byte past the limit."""
    out = []
    for item in form.getlist("file"):
        if isinstance(item, UploadFile) and item.filename:
            out.append(statements.Upload(item.filename, await item.read(limit + 1)))
    return out


@router.post("/targets/{plan_code}/{key}/statements")
async def statement_submit(
    request: Request, session: SessionDep, lang: Lang, user: WebUser, plan_code: str, key: str
) -> Response:
    if user is None:
        return RedirectResponse(f"/login?next={quote(f'/targets/{plan_code}/{key}')}", status_code=303)
    settings = request.app.state.settings
    limit = settings.evidence_max_bytes
    form = await request.form(max_files=statements.MAX_FILES + 1, max_part_size=1 << 20)
    if not csrf_ok(request, str(form.get("csrf") or "")):
        return target_response(
            request, session, lang, user, plan_code, key, status_code=403, statement_error=t("csrf", lang)
        )
    kept = {"year": str(form.get("year") or ""), "text": str(form.get("text") or "")}
    corrects = str(form.get("corrects") or "").strip()
    try:
        files = await files_of(form, limit)
        made = statements.add_statement(
            session,
            user,
            plan_code,
            key,
            year=kept["year"],
            text=kept["text"],
            files=files,
            var_dir=settings.var_dir,
            max_bytes=limit,
            now=dt.datetime.now(dt.UTC),
            path=WritePath.WEB,
            corrects=int(corrects) if corrects.isdigit() else None,
        )
    except DomainError as exc:
        session.rollback()
        return target_response(
            request,
            session,
            lang,
            user,
            plan_code,
            key,
            status_code=exc.status,
            statement_error=exc.en if lang == "en" else exc.zh,
            statement_kept=kept,
        )
    return RedirectResponse(
        f"/targets/{quote(plan_code)}/{quote(key)}?lang={lang}&statement={made['id']}#statements",
        status_code=303,
    )


def download(request: Request, session: Session, file_id: int) -> Response:
    row = statements.file_row(session, file_id)
    data = statements.read(request.app.state.settings.var_dir, row)

    headers = {
        "Content-Disposition": attachment(
            statements.ascii_name(row.id, statements.extension(row.media_type)), row.filename
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, max-age=0, no-cache",
    }
    return Response(data, media_type=row.media_type, headers=headers)


@router.get("/evidence/{file_id}")
def evidence_file(request: Request, session: SessionDep, file_id: int) -> Response:
    """A supporting file, as an attachment (never shown inline), checked against its checksum."""
    return download(request, session, file_id)
