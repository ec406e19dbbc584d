"""Pages for issue 21: organisations and what each is accountable for, a target's breakdown (its lead,
sub-targets holding it back, milestones), the annual evaluation with its warning list, and the plan
office's form to assign a target."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from service.api.deps import SessionDep
from service.db.models import Organisation, Plan, Region, ReportRun, Role, Target, User, WritePath
from service.domain import assignments, decomposition
from service.domain.attachments import attachment
from service.domain.errors import DomainError, Invalid, NotFound
from service.domain.texts import RESPONSIBILITY_TEXTS as TEXTS
from service.reports.annual import annual_evaluation, milestone_comparison
from service.reports.queries import AssessmentFilter, assessment_records, get_run, latest_live_run
from service.web.errors import LoginNeeded, PageRefused
from service.web.guards import CheckedForm, WebUser, require_role
from service.web.rendering import Lang, render

router = APIRouter(include_in_schema=False)


# assignments are an administrator's; after signing in, back to the organisations page
OrganisationsAdmin = Annotated[
    User, Depends(require_role(Role.ADMIN, message=TEXTS["forbidden"], login_next="/organisations"))
]


def tx(key: str, lang: str) -> str:
    zh, en = TEXTS[key]
    return en if lang == "en" else zh


def _run(session: Session, run_id: int | None) -> ReportRun:
    if run_id is None:
        run = latest_live_run(session)
        if run is None:
            raise NotFound("还没有报告运行", "no report run yet")
        return run
    return get_run(session, run_id)


def _statuses(session: Session, run: ReportRun | None, ids: set[str]) -> dict[str, dict[str, Any]]:
    if run is None or not ids:
        return {}
    plans = {i.split("/", 1)[0] for i in ids}
    out = {}
    for code in plans:
        for r in assessment_records(session, run, AssessmentFilter(plan=code)):
            if r["id"] in ids:
                out[r["id"]] = r
    return out


@router.get("/organisations", response_class=HTMLResponse)
def organisations_page(request: Request, session: SessionDep, lang: Lang, user: WebUser) -> HTMLResponse:
    orgs = assignments.organisation_records(session)
    who = assignments.assignments_by_key(session)
    counts: dict[str, dict[str, int]] = {}
    for (_pid, _key), a in who.items():
        if a.get("lead"):
            counts.setdefault(a["lead"]["code"], {}).setdefault("lead", 0)
            counts[a["lead"]["code"]]["lead"] += 1
        for o in a.get("support", []):
            counts.setdefault(o["code"], {}).setdefault("support", 0)
            counts[o["code"]]["support"] += 1
    picker = target_choices(session, lang) if user is not None and user.role is Role.ADMIN else []
    return render(
        request,
        "organisations.html",
        lang,
        user,
        orgs=orgs,
        counts=counts,
        picker=picker,
        tx=lambda k: tx(k, lang),
        saved=request.query_params.get("saved"),
    )


def target_choices(session: Session, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The plan office's target picker: [(plan title, [("plan/key", "indicator (region), year"), ...])],
    plan targets only (not sub-targets or a year's targets), in catalog order."""
    from service.db.models import Indicator

    en = lang == "en"
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    rows = session.execute(
        select(
            Target.key,
            Target.target_year,
            Plan.id,
            Plan.code,
            Plan.title_zh,
            Plan.title_en,
            Indicator.name_zh,
            Indicator.name_en,
            Region.name_zh,
            Region.name_en,
        )
        .join(Plan, Target.plan_id == Plan.id)
        .join(Indicator, Target.indicator_id == Indicator.id)
        .join(Region, Target.region_id == Region.id)
        .where(Target.valid_to.is_(None), Target.parent_key.is_(None), Target.serves.is_(None))
        .order_by(Plan.code, Target.id)
    )
    for key, year, pid, code, tzh, ten, izh, ien, rzh, ren in rows:
        label = f"{ien} ({ren}), {year}" if en else f"{izh}（{rzh}）{year}年"
        groups.setdefault(pid, ((ten or tzh) if en else tzh, []))[1].append((f"{code}/{key}", label))
    return list(groups.values())


@router.post("/organisations/assign", response_class=HTMLResponse)
def assign_submit(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: OrganisationsAdmin,
    _form: CheckedForm,
    plan: Annotated[str, Form(max_length=80)] = "",
    key: Annotated[str, Form(max_length=120)] = "",
    target: Annotated[str, Form(max_length=201)] = "",
    lead: Annotated[str, Form(max_length=200)] = "",
    support: Annotated[list[str] | None, Form(max_length=2000)] = None,
    source: Annotated[str, Form(max_length=400)] = "",
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Who leads and who supports a target, from the organisations page or a target's breakdown page.
    The fields arrive typed and bounded as form parameters; the CSRF check is the form's dependency."""
    if target and not (plan and key):  # the picker's "plan/key"
        plan, _, key = target.partition("/")
    # several picked names (the breakdown page's list) or one box of codes or names, comma-separated
    supporting = list(
        dict.fromkeys(
            s.strip()
            for v in support or []
            for s in v.replace("，", ",").replace("、", ",").split(",")
            if s.strip()
        )
    )
    try:
        assignments.set_assignment(
            session,
            user,
            plan.strip(),
            key.strip(),
            lead=lead.strip() or None,
            support=supporting,
            source=source.strip() or None,
            now=dt.datetime.now(dt.UTC),
            path=WritePath.WEB,
        )
    except DomainError as exc:
        session.rollback()
        if back == "breakdown":
            return _breakdown(
                request,
                session,
                lang,
                user,
                plan.strip(),
                key.strip(),
                None,
                status_code=exc.status,
                form_error={"assign": exc.en if lang == "en" else exc.zh},
            )
        orgs = assignments.organisation_records(session)
        return render(
            request,
            "organisations.html",
            lang,
            user,
            status_code=exc.status,
            orgs=orgs,
            counts={},
            picker=target_choices(session, lang),
            tx=lambda k: tx(k, lang),
            error=exc.en if lang == "en" else exc.zh,
            form={"plan": plan, "key": key, "lead": lead, "support": "，".join(supporting), "source": source},
        )
    return RedirectResponse(
        f"/targets/{quote(plan.strip())}/{quote(key.strip())}/breakdown?lang={lang}&saved=assign",
        status_code=303,
    )


@router.get("/organisations/{code}", response_class=HTMLResponse)
def organisation_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: WebUser,
    code: str,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    org = assignments.find_organisation(session, code)
    the_run = latest_live_run(session) if run is None else get_run(session, run)
    plans = {p.id: p.code for p in session.scalars(select(Plan))}
    who = assignments.assignments_by_key(session)
    rows: list[dict[str, Any]] = []
    for (pid, key), a in who.items():
        role = (
            "lead"
            if (a.get("lead") or {}).get("code") == org.code
            else ("support" if any(o["code"] == org.code for o in a.get("support", [])) else None)
        )
        if role:
            rows.append(
                {
                    "id": f"{plans[pid]}/{key}",
                    "role": role,
                    "lead": a.get("lead"),
                    "support": a.get("support"),
                }
            )
    for t, p in session.execute(
        select(Target, Plan)
        .join(Plan, Target.plan_id == Plan.id)
        .where(Target.organisation_id == org.id, Target.valid_to.is_(None))
    ):
        rows.append({"id": f"{p.code}/{t.key}", "role": "share", "lead": None, "support": []})
    status = _statuses(session, the_run, {r["id"] for r in rows})
    for r in rows:
        r["record"] = status.get(r["id"])
    rows.sort(key=lambda r: ({"lead": 0, "support": 1, "share": 2}[r["role"]], r["id"]))
    return render(
        request, "organisation.html", lang, user, org=org, rows=rows, run=the_run, tx=lambda k: tx(k, lang)
    )


@router.get("/targets/{plan_code}/{key}/breakdown", response_class=HTMLResponse)
def breakdown_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: WebUser,
    plan_code: str,
    key: str,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    return _breakdown(request, session, lang, user, plan_code, key, run)


def _breakdown(
    request: Request,
    session: Session,
    lang: str,
    user: User | None,
    plan_code: str,
    key: str,
    run: int | None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The breakdown page; for the plan office also its forms (assign, add a district quota, enter a
    year's target), with pickers by name. ``extra``: a refused form's message and what was typed."""
    plan, target = assignments.current_target(session, plan_code, key)
    the_run = latest_live_run(session) if run is None else get_run(session, run)
    who = assignments.assignments_by_key(session, [plan.id]).get(
        (plan.id, key), {"lead": None, "support": []}
    )
    kids = assignments.children_of(session, target)
    check = assignments.split_check(session, target, kids)
    milestone_rows = list(
        session.execute(
            select(Target, Plan)
            .join(Plan, Target.plan_id == Plan.id)
            .where(Target.serves == f"{plan_code}/{key}", Target.valid_to.is_(None))
            .order_by(Target.target_year)
        )
    )
    ids = {
        f"{plan_code}/{key}",
        *(f"{plan_code}/{k.key}" for k in kids),
        *(f"{p.code}/{m.key}" for m, p in milestone_rows),
    }
    status = _statuses(session, the_run, ids)
    names = {
        r.id: r for r in session.scalars(select(Region).where(Region.id.in_({k.region_id for k in kids})))
    }
    subs: list[dict[str, Any]] = [
        {
            "key": k.key,
            "record": status.get(f"{plan_code}/{k.key}"),
            "target": k,
            "region": names.get(k.region_id),
        }
        for k in kids
    ]  # a quota not yet assessed still shows its district by name
    behind = decomposition.holding_back(
        decomposition.SubStatus(k.key, k.key, status[f"{plan_code}/{k.key}"]["status"])
        for k in kids
        if f"{plan_code}/{k.key}" in status
    )
    parent = status.get(f"{plan_code}/{key}")
    ms = []
    for m, p in milestone_rows:
        rec = status.get(f"{p.code}/{m.key}")
        ms.append(
            {
                "id": f"{p.code}/{m.key}",
                "plan": p,
                "target": m,
                "record": rec,
                "compare": milestone_comparison(rec, parent) if rec else None,
            }
        )
    admin = (
        admin_choices(session, plan, target, kids, check)
        if user is not None and user.role is Role.ADMIN
        else None
    )
    return render(
        request,
        "breakdown.html",
        lang,
        user,
        status_code=status_code,
        plan=plan,
        target=target,
        who=who,
        subs=subs,
        check=check,
        behind={b.key for b in behind},
        behind_list=behind,
        milestones=ms,
        parent=parent,
        run=the_run,
        tx=lambda k: tx(k, lang),
        admin=admin,
        form_error=extra.get("form_error") or {},
        kept=extra.get("kept") or {},
        saved=request.query_params.get("saved"),
    )


def admin_choices(
    session: Session, plan: Plan, target: Target, kids: list[Target], check: dict[str, Any] | None
) -> dict[str, Any]:
    """What the plan office's forms offer, by name: organisations, the districts below the target's region
    (without a quota yet), the split rule when none is set, the years a milestone can be for."""
    orgs = assignments.organisation_records(session)
    taken = {k.region_id for k in kids}
    districts = [
        r
        for r in session.scalars(
            select(Region).where(Region.parent_id == target.region_id).order_by(Region.code)
        )
        if r.id not in taken
    ]
    first = max(plan.period_start or target.target_year - 4, (target.baseline_year or 0) + 1)
    years = list(range(first, target.target_year + 1))
    forms = ("annual_growth", "level", "share")
    default_form = (
        "annual_growth"
        if target.declared_form.value in ("avg_annual_growth", "annual_growth")
        else ("share" if target.declared_form.value == "share" else "level")
    )
    summable = target.declared_form in decomposition.SUMMABLE_FORMS
    return {
        "orgs": orgs,
        "districts": districts,
        "split": check["split"] if check else None,
        "years": years,
        "default_split": "sum" if summable else "each",
        "forms": forms,
        "default_form": default_form,
        "comparators": (">=", "<=", "~", "="),
    }


def breakdown_admin(request: Request, user: WebUser, plan_code: str, key: str) -> User:
    """The plan office (an administrator) on a target's breakdown forms; without a login, the login page
    and back to the breakdown page (not to the form's address, which only takes a POST)."""
    if user is None:
        raise LoginNeeded(f"/targets/{plan_code}/{key}/breakdown")
    if user.role is not Role.ADMIN:
        raise PageRefused(user, TEXTS["forbidden"])
    return user


BreakdownAdmin = Annotated[User, Depends(breakdown_admin)]


def _kept(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {k: str(form.get(k) or "").strip()[:400] for k in names}


def _form_refused(
    request: Request,
    session: Session,
    lang: str,
    user: User,
    plan_code: str,
    key: str,
    part: str,
    exc: DomainError,
    kept: dict[str, str],
) -> Response:
    """The breakdown page again, with the refused form's message and what was typed in it."""
    session.rollback()
    return _breakdown(
        request,
        session,
        lang,
        user,
        plan_code,
        key,
        None,
        status_code=exc.status,
        form_error={part: exc.en if lang == "en" else exc.zh},
        kept={part: kept},
    )


@router.post("/targets/{plan_code}/{key}/subtargets", response_class=HTMLResponse)
async def subtarget_submit(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: BreakdownAdmin,
    form: CheckedForm,
    plan_code: str,
    key: str,
) -> Response:
    """A district's quota (or its share of a rate) from the breakdown page."""
    page = f"/targets/{plan_code}/{key}/breakdown"
    kept = _kept(form, ("region", "value", "split", "document", "quote", "comparator"))
    try:
        value = _number(kept["value"])
        data = {
            "region": kept["region"] or None,
            "value": value,
            "split": kept["split"] or None,
            "document": kept["document"],
            "quote": kept["quote"] or kept["document"],
            "comparator": kept["comparator"] or None,
        }
        assignments.add_subtarget(
            session, user, plan_code, key, data, now=dt.datetime.now(dt.UTC), path=WritePath.WEB
        )
    except DomainError as exc:
        return _form_refused(request, session, lang, user, plan_code, key, "subtarget", exc, kept)
    return RedirectResponse(f"{quote(page)}?lang={lang}&saved=subtarget#sub-targets-part", status_code=303)


@router.post("/targets/{plan_code}/{key}/milestones", response_class=HTMLResponse)
async def milestone_submit(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: BreakdownAdmin,
    form: CheckedForm,
    plan_code: str,
    key: str,
) -> Response:
    """A year's target (2026年 GDP 增长5%左右) from the yearly plan or the work report, on the breakdown page."""
    page = f"/targets/{plan_code}/{key}/breakdown"
    kept = _kept(form, ("year", "value", "declared_form", "comparator", "source_kind", "document", "quote"))
    try:
        value = _number(kept["value"])
        if not kept["year"].isdigit():
            raise Invalid("请选择年份", "choose the year")
        if kept["declared_form"] not in ("annual_growth", "level", "share"):
            raise Invalid("请选择目标形式", "choose what the year's target sets")
        if kept["comparator"] not in (">=", "<=", "~", "="):
            raise Invalid("请选择比较方式", "choose how the figure is compared")
        kind = "work-report" if kept["source_kind"] == "work_report" else "yearly-plan"
        prefix = plan_code.split("-", 1)[0]
        _plan, served = assignments.current_target(session, plan_code, key)
        region = session.get(Region, served.region_id)
        title_en = f"{region.name_en if region else ''} {kept['year']} " + (
            "government work report" if kind == "work-report" else "economic and social development plan"
        )
        data = {
            "year": int(kept["year"]),
            "value": value,
            "declared_form": kept["declared_form"],
            "comparator": kept["comparator"],
            "plan": f"{prefix}-{kept['year']}-{kind}"[:80],
            "plan_title_en": title_en.strip(),
            "document": kept["document"],
            "quote": kept["quote"] or kept["document"],
            "issued": None,
        }  # the issue date is not asked: the year's target counts from now
        assignments.add_milestone(
            session, user, plan_code, key, data, now=dt.datetime.now(dt.UTC), path=WritePath.WEB
        )
    except DomainError as exc:
        return _form_refused(request, session, lang, user, plan_code, key, "milestone", exc, kept)
    return RedirectResponse(f"{quote(page)}?lang={lang}&saved=milestone#milestones-part", status_code=303)


def _number(typed: str) -> str:
    """A figure as typed (5, 5.0, ５, 30万 is refused): the exact decimal, or a 422 that says so."""
    import unicodedata
    from decimal import Decimal, InvalidOperation

    plain = unicodedata.normalize("NFKC", typed).replace(",", "").replace("%", "").strip()
    try:
        number = Decimal(plain)
    except InvalidOperation:
        raise Invalid(f"“{typed}”不是数字", f"{typed!r} is not a number") from None
    if not number.is_finite():
        raise Invalid(f"“{typed}”不是数字", f"{typed!r} is not a number")
    return str(number)


@router.get("/plans/{code}/annual", response_class=HTMLResponse)
def annual_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: WebUser,
    code: str,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    org: Annotated[str | None, Query(max_length=200)] = None,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    the_run = _run(session, run)
    y = year if year is not None else _default_year(session, code, the_run)
    ev = annual_evaluation(session, the_run, code, y, org or None)
    orgs = session.scalars(select(Organisation).order_by(Organisation.code)).all()
    return render(
        request,
        "annual.html",
        lang,
        user,
        ev=ev,
        run=the_run,
        orgs=orgs,
        org=org or "",
        tx=lambda k: tx(k, lang),
    )


def _default_year(session: Session, code: str, run: ReportRun) -> int:
    """The last year the run has seen end, or, early in a plan's period, its first year (2026 for a 十五五
    outline evaluated in 2026)."""
    year = run.as_of.year - 1
    plan = session.scalar(select(Plan).where(Plan.code == code))
    if plan is not None and plan.period_start is not None and year < plan.period_start <= run.as_of.year:
        year = plan.period_start
    return year


@router.get("/plans/{code}/annual.{fmt}")
def annual_download(
    session: SessionDep,
    code: str,
    fmt: str,
    year: Annotated[int, Query(ge=1990, le=2100)],
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    org: Annotated[str | None, Query(max_length=200)] = None,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    from service.reports.evaluation_files import FORMATS, document

    if fmt not in FORMATS:
        raise NotFound(f"没有 {fmt} 格式", f"no {fmt!r} format")
    the_run = _run(session, run)
    ev = annual_evaluation(session, the_run, code, year, org or None)
    made = document(session, the_run, code, fmt, lang, ev=ev)
    return Response(
        made.body,
        media_type=made.media_type,
        headers={"Content-Disposition": attachment(made.filename, made.filename_words)},
    )
