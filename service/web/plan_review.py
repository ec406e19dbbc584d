"""Pages for administrators: upload a plan, review the reader's proposals beside their sentences, accept /
edit / reject each, and download the plan's catalog data file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select

from service.api.deps import SessionDep, SettingsDep
from service.db.models import (
    DeclaredForm,
    Indicator,
    Plan,
    PlanProposal,
    PlanReading,
    ProposalStatus,
    Region,
    Role,
    User,
)
from service.domain import plan_review
from service.domain.errors import DomainError
from service.domain.plan_reader import figure, reasons
from service.domain.texts import TEXTS, t
from service.web.guards import CheckedForm, check_csrf, require_role
from service.web.rendering import Lang, render

router = APIRouter(include_in_schema=False)


def pt(key: str, lang: str) -> str:
    """The plan reader's texts (in service/domain/texts.py, keys reader_*)."""
    return t("reader_" + key, lang)


# the plan reader's pages are for administrators; anyone else is told so
ReaderAdmin = Annotated[User, Depends(require_role(Role.ADMIN, message=TEXTS["reader_admins_only"]))]


def _page(
    request: Request, name: str, lang: str, user: User, status_code: int = 200, **ctx: Any
) -> HTMLResponse:
    return render(
        request, name, lang, user, status_code=status_code, pt=lambda k: pt(k, lang), fig=_fig, **ctx
    )


def _fig(value: Any) -> str:
    shown = figure(value)
    return "" if shown is None else str(shown)


def _readings(session: SessionDep) -> list[dict[str, Any]]:
    pending = session.execute(
        select(PlanProposal.reading_id, func.count())
        .where(PlanProposal.status == ProposalStatus.PENDING)
        .group_by(PlanProposal.reading_id)
    ).all()
    counts: dict[int, int] = {reading_id: n for reading_id, n in pending}
    rows = session.scalars(select(PlanReading).order_by(PlanReading.id.desc()).limit(50))
    return [{"r": r, "pending": counts.get(r.id, 0)} for r in rows]


@router.get("/plan-reader", response_class=HTMLResponse)
def reader_form(request: Request, session: SessionDep, lang: Lang, checked: ReaderAdmin) -> Response:
    return _page(
        request,
        "plans_upload.html",
        lang,
        checked,
        error=None,
        readings=_readings(session),
        form={},
        **_pickers(session, lang),
    )


@router.post("/plan-reader", response_class=HTMLResponse)
async def reader_upload(
    request: Request,
    session: SessionDep,
    lang: Lang,
    checked: ReaderAdmin,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    plan_code: Annotated[str, Form(max_length=80)] = "",
    plan_title: Annotated[str, Form(max_length=300)] = "",
    issued: Annotated[str, Form(max_length=10)] = "",
    region: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, checked, csrf)
    form = {"plan_code": plan_code, "plan_title": plan_title, "issued": issued, "region": region}
    limit = settings.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        error = t("file_too_large", lang).format(mb=limit // 2**20)
        return _page(
            request,
            "plans_upload.html",
            lang,
            checked,
            status_code=413,
            error=error,
            readings=_readings(session),
            form=form,
            **_pickers(session, lang),
        )
    if region.strip():  # picked by name from the list (a code works too)
        code = _region_code(session, region)
        if code is None:
            return _page(
                request,
                "plans_upload.html",
                lang,
                checked,
                status_code=422,
                error=pt("unknown_region", lang).format(given=region.strip()),
                readings=_readings(session),
                form=form,
                **_pickers(session, lang),
            )
        region = code
    try:
        reading = plan_review.create_reading(
            session,
            checked,
            filename=file.filename or "upload.txt",
            content=content,
            plan_code=plan_code,
            plan_title=plan_title,
            issued=issued or None,
            region_code=region or None,
            now=dt.datetime.now(dt.UTC),
        )
    except DomainError as exc:
        return _page(
            request,
            "plans_upload.html",
            lang,
            checked,
            status_code=exc.status,
            error=exc.zh if lang == "zh" else exc.en,
            readings=_readings(session),
            form=form,
            **_pickers(session, lang),
        )
    return RedirectResponse(f"/plan-reader/{reading.id}?lang={lang}", status_code=303)


def _pickers(session: SessionDep, lang: str) -> dict[str, Any]:
    """The upload form's lists: regions by name (the value sent is the name; a code works too) and the plans
    in the catalog by code, with their titles."""
    en = lang == "en"
    regions = session.execute(select(Region.code, Region.name_zh, Region.name_en).order_by(Region.code)).all()
    plans = session.execute(select(Plan.code, Plan.title_zh, Plan.title_en).order_by(Plan.code)).all()
    return {
        "regions": [(c, (ne or nz) if en else nz) for c, nz, ne in regions],
        "plans": [(c, (te or tz) if en else tz) for c, tz, te in plans],
    }


def _region_code(session: SessionDep, given: str) -> str | None:
    """The region a person picked or typed: its code, or its Chinese or English name."""
    wanted = given.strip()
    return session.scalar(
        select(Region.code)
        .where(
            or_(Region.code == wanted, Region.name_zh == wanted, func.lower(Region.name_en) == wanted.lower())
        )
        .limit(1)
    )


def _review(
    request: Request,
    session: SessionDep,
    lang: str,
    user: User,
    reading_id: int,
    status_code: int = 200,
    error: str | None = None,
    error_for: int | None = None,
) -> Response:
    reading = plan_review.get_reading(session, reading_id)
    proposals = plan_review.proposals_of(session, reading_id)
    rows = []
    for p in proposals:
        at = p.sentence.find(p.quote)
        parts = (
            (p.sentence[:at], p.quote, p.sentence[at + len(p.quote) :]) if at >= 0 else (p.sentence, "", "")
        )
        rows.append(
            {
                "p": p,
                "parts": parts,
                "reasons": reasons.render(p.reason, lang),
                "coded": reasons.load(p.reason) is not None,
            }
        )
    indicators = session.execute(select(Indicator.code, Indicator.name_zh).order_by(Indicator.code)).all()
    regions = session.execute(select(Region.code, Region.name_zh).order_by(Region.code)).all()
    plan_exists = bool(
        session.scalar(
            select(func.count())
            .select_from(PlanProposal)
            .where(PlanProposal.reading_id == reading_id, PlanProposal.status == ProposalStatus.ACCEPTED)
        )
    )
    return _page(
        request,
        "plans_review.html",
        lang,
        user,
        status_code=status_code,
        reading=reading,
        rows=rows,
        indicators=indicators,
        regions=regions,
        forms=[f.value for f in DeclaredForm],
        comparators=[">=", "<=", "=", "~", "range"],
        error=error,
        error_for=error_for,
        plan_exists=plan_exists,
    )


@router.get("/plan-reader/{reading_id}", response_class=HTMLResponse)
def reader_review(
    request: Request, session: SessionDep, lang: Lang, checked: ReaderAdmin, reading_id: int
) -> Response:
    try:
        return _review(request, session, lang, checked, reading_id)
    except DomainError as exc:
        return render(
            request,
            "message.html",
            lang,
            checked,
            status_code=exc.status,
            message=exc.zh if lang == "zh" else exc.en,
        )


@router.post("/plan-reader/{reading_id}/proposals/{proposal_id}", response_class=HTMLResponse)
async def reader_decide(
    request: Request,
    session: SessionDep,
    lang: Lang,
    checked: ReaderAdmin,
    form: CheckedForm,
    reading_id: int,
    proposal_id: int,
) -> Response:
    proposal = session.get(PlanProposal, proposal_id)
    if proposal is None or proposal.reading_id != reading_id:
        return render(request, "message.html", lang, checked, status_code=404, message=pt("none", lang))
    action = str(form.get("action") or "")
    now = dt.datetime.now(dt.UTC)

    def field(name: str) -> str | None:
        value = form.get(name)
        return str(value)[:200] if value is not None else None

    edits = plan_review.Edits(
        indicator_code=field("indicator_code"),
        new_indicator_name=field("indicator_name"),
        region_code=field("region_code"),
        comparator=field("comparator"),
        value=field("value"),
        low=field("low"),
        high=field("high"),
        stretch_value=field("stretch_value"),
        unit=field("unit"),
        target_year=field("target_year"),
        reference_year=field("reference_year"),
        declared_form=field("declared_form"),
        note=field("note"),
    )
    try:
        with session.begin_nested():
            if action == "accept":
                plan_review.accept(session, checked, proposal_id, edits, now=now)
            elif action == "reject":
                plan_review.reject(session, checked, proposal_id, now=now)
            else:
                return render(request, "message.html", lang, checked, status_code=400, message="action?")
    except DomainError as exc:
        session.expire_all()
        return _review(
            request,
            session,
            lang,
            checked,
            reading_id,
            status_code=exc.status,
            error=exc.zh if lang == "zh" else exc.en,
            error_for=proposal_id,
        )
    return RedirectResponse(f"/plan-reader/{reading_id}?lang={lang}#p{proposal_id}", status_code=303)


@router.get("/plan-reader/{reading_id}/catalog.yaml")
def reader_export(
    request: Request,
    session: SessionDep,
    lang: Lang,
    checked: ReaderAdmin,
    settings: SettingsDep,
    reading_id: int,
) -> Response:
    try:
        reading = plan_review.get_reading(session, reading_id)
        name, text = plan_review.export_plan_file(session, reading.plan_code, settings.catalog_dir)
    except DomainError as exc:
        return render(
            request,
            "message.html",
            lang,
            checked,
            status_code=exc.status,
            message=exc.zh if lang == "zh" else exc.en,
        )
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
