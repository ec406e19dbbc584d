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

from service.api.deps import SessionDep
from service.db.models import Organisation, Plan, ReportRun, Role, Target, User, WritePath
from service.domain import assignments, decomposition
from service.domain.errors import DomainError, NotFound
from service.domain.texts import RESPONSIBILITY_TEXTS as TEXTS
from service.reports.annual import annual_evaluation, milestone_comparison
from service.reports.queries import AssessmentFilter, assessment_records, get_run, latest_live_run
from service.web.guards import check_csrf, require_role
from service.web.routes import Lang, WebUser, attachment, render

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
    return render(request, "organisations.html", lang, user, orgs=orgs, counts=counts,
                  tx=lambda k: tx(k, lang), saved=request.query_params.get("saved"))  # fmt: skip


@router.post("/organisations/assign", response_class=HTMLResponse)
def assign_submit(
    request: Request, session: SessionDep, lang: Lang, user: OrganisationsAdmin,
    plan: Annotated[str, Form(max_length=80)] = "", key: Annotated[str, Form(max_length=120)] = "",
    lead: Annotated[str, Form(max_length=200)] = "", support: Annotated[str, Form(max_length=2000)] = "",
    source: Annotated[str, Form(max_length=400)] = "", csrf: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    check_csrf(request, user, csrf)
    supporting = [s.strip() for s in support.replace("，", ",").replace("、", ",").split(",") if s.strip()]
    try:
        assignments.set_assignment(session, user, plan.strip(), key.strip(), lead=lead.strip() or None,
                                   support=supporting, source=source.strip() or None,
                                   now=dt.datetime.now(dt.UTC), path=WritePath.WEB)  # fmt: skip
    except DomainError as exc:
        orgs = assignments.organisation_records(session)
        return render(request, "organisations.html", lang, user, status_code=exc.status, orgs=orgs, counts={},
                      tx=lambda k: tx(k, lang), error=exc.en if lang == "en" else exc.zh,
                      form={"plan": plan, "key": key, "lead": lead, "support": support, "source": source})  # fmt: skip
    return RedirectResponse(f"/targets/{quote(plan.strip())}/{quote(key.strip())}/breakdown?lang={lang}",
                            status_code=303)  # fmt: skip


@router.get("/organisations/{code}", response_class=HTMLResponse)
def organisation_page(
    request: Request, session: SessionDep, lang: Lang, user: WebUser, code: str,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:  # fmt: skip
    org = assignments.find_organisation(session, code)
    the_run = latest_live_run(session) if run is None else get_run(session, run)
    plans = {p.id: p.code for p in session.scalars(select(Plan))}
    who = assignments.assignments_by_key(session)
    rows: list[dict[str, Any]] = []
    for (pid, key), a in who.items():
        role = "lead" if (a.get("lead") or {}).get("code") == org.code else (
            "support" if any(o["code"] == org.code for o in a.get("support", [])) else None)  # fmt: skip
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
        select(Target, Plan).join(Plan, Target.plan_id == Plan.id)
        .where(Target.organisation_id == org.id, Target.valid_to.is_(None))
    ):  # fmt: skip
        rows.append({"id": f"{p.code}/{t.key}", "role": "share", "lead": None, "support": []})
    status = _statuses(session, the_run, {r["id"] for r in rows})
    for r in rows:
        r["record"] = status.get(r["id"])
    rows.sort(key=lambda r: ({"lead": 0, "support": 1, "share": 2}[r["role"]], r["id"]))
    return render(request, "organisation.html", lang, user, org=org, rows=rows, run=the_run,
                  tx=lambda k: tx(k, lang))  # fmt: skip


@router.get("/targets/{plan_code}/{key}/breakdown", response_class=HTMLResponse)
def breakdown_page(
    request: Request, session: SessionDep, lang: Lang, user: WebUser, plan_code: str, key: str,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:  # fmt: skip
    plan, target = assignments.current_target(session, plan_code, key)
    the_run = latest_live_run(session) if run is None else get_run(session, run)
    who = assignments.assignments_by_key(session, [plan.id]).get(
        (plan.id, key), {"lead": None, "support": []}
    )
    kids = assignments.children_of(session, target)
    check = assignments.split_check(session, target, kids)
    milestone_rows = list(session.execute(
        select(Target, Plan).join(Plan, Target.plan_id == Plan.id)
        .where(Target.serves == f"{plan_code}/{key}", Target.valid_to.is_(None)).order_by(Target.target_year)
    ))  # fmt: skip
    ids = {f"{plan_code}/{key}", *(f"{plan_code}/{k.key}" for k in kids),
           *(f"{p.code}/{m.key}" for m, p in milestone_rows)}  # fmt: skip
    status = _statuses(session, the_run, ids)
    subs: list[dict[str, Any]] = [
        {"key": k.key, "record": status.get(f"{plan_code}/{k.key}"), "target": k} for k in kids
    ]
    behind = decomposition.holding_back(
        decomposition.SubStatus(k.key, k.key, status[f"{plan_code}/{k.key}"]["status"])
        for k in kids
        if f"{plan_code}/{k.key}" in status
    )
    parent = status.get(f"{plan_code}/{key}")
    ms = []
    for m, p in milestone_rows:
        rec = status.get(f"{p.code}/{m.key}")
        ms.append({"id": f"{p.code}/{m.key}", "plan": p, "target": m, "record": rec,
                   "compare": milestone_comparison(rec, parent) if rec else None})  # fmt: skip
    return render(request, "breakdown.html", lang, user, plan=plan, target=target, who=who, subs=subs,
                  check=check, behind={b.key for b in behind}, behind_list=behind, milestones=ms,
                  parent=parent, run=the_run, tx=lambda k: tx(k, lang))  # fmt: skip


@router.get("/plans/{code}/annual", response_class=HTMLResponse)
def annual_page(
    request: Request, session: SessionDep, lang: Lang, user: WebUser, code: str,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None, org: Annotated[str | None, Query(max_length=200)] = None,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:  # fmt: skip
    the_run = _run(session, run)
    y = year if year is not None else the_run.as_of.year - 1
    ev = annual_evaluation(session, the_run, code, y, org or None)
    orgs = session.scalars(select(Organisation).order_by(Organisation.code)).all()
    return render(request, "annual.html", lang, user, ev=ev, run=the_run, orgs=orgs, org=org or "",
                  tx=lambda k: tx(k, lang))  # fmt: skip


@router.get("/plans/{code}/annual.{fmt}")
def annual_download(
    session: SessionDep, code: str, fmt: str, year: Annotated[int, Query(ge=1990, le=2100)],
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh", org: Annotated[str | None, Query(max_length=200)] = None,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> Response:  # fmt: skip
    from service.reports.evaluation_files import FORMATS, document

    if fmt not in FORMATS:
        raise NotFound(f"没有 {fmt} 格式", f"no {fmt!r} format")
    the_run = _run(session, run)
    ev = annual_evaluation(session, the_run, code, year, org or None)
    made = document(session, the_run, code, fmt, lang, ev=ev)
    return Response(made.body, media_type=made.media_type,
                    headers={"Content-Disposition": attachment(made.filename, made.filename_words)})  # fmt: skip
