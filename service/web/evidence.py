"""Progress statements and supporting files (支撑材料) on the target page: the form and the downloads
(what the page lists is ``service.web.data.statements_view``).

The form posts to ``/targets/{plan}/{key}/statements`` (multipart, CSRF like every form); the API has the
same under ``/api/v1`` (service.api.statements). A download is an attachment with a safe ASCII name and
the user's name in words (RFC 6266), ``nosniff`` and a sandboxing CSP, served only when the stored file
still matches its checksum.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.api.deps import SessionDep
from service.db.models import WritePath
from service.domain import statements
from service.domain.attachments import form_uploads, supporting_file
from service.domain.errors import DomainError
from service.domain.texts import t
from service.web.guards import WebUser
from service.web.rendering import Lang
from service.web.routes import target_response
from service.web.session import csrf_ok

router = APIRouter(include_in_schema=False)


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
        files = await form_uploads(form.getlist("file"), limit)
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


@router.get("/evidence/{file_id}")
def evidence_file(request: Request, session: SessionDep, file_id: int) -> Response:
    """A supporting file, as an attachment (never shown inline), checked against its checksum; served
    as the API serves it (``service.domain.attachments``)."""
    served = supporting_file(session, request.app.state.settings.var_dir, file_id)
    return Response(served.data, media_type=served.media_type, headers=served.headers)
