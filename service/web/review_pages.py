"""Review pages (数据审核): a reviewer's queue (each figure with its plausibility flags, the neighbouring
years and, for a revision request, the value in force; approve or return several at once or a whole
import batch), an editor's returned figures (resubmit with an explanation, or correct them through
entry or upload), and a figure's history with every review step."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.deps import SessionDep, SettingsDep
from service.db.models import Role, User, WritePath
from service.domain import review
from service.domain.errors import DomainError
from service.domain.texts import REVIEW_TEXTS as TEXTS
from service.notify.review_mail import returned_notifier
from service.web.guards import CheckedForm, require_role
from service.web.rendering import Lang, render

router = APIRouter(include_in_schema=False)


def rt(key: str, lang: str) -> str:
    zh, en = TEXTS.get(key, (key, key))
    return en if lang == "en" else zh


def _page(
    request: Request,
    session: Any,
    lang: str,
    user: Any,
    *,
    status_code: int = 200,
    errors: list[str] | None = None,
    batch: int | None = None,
    done: int | None = None,
) -> HTMLResponse:
    rules = review.policy(session)
    waiting = (
        review.queue(session, user) if user.role in (Role.REVIEWER, Role.ADMIN) and rules.enabled else []
    )
    back = review.returned_to(session, user) if rules.enabled else []
    if batch is not None:
        waiting = [i for i in waiting if i.batch_id == batch]
        back = [i for i in back if i.batch_id == batch]
    batches = sorted({i.batch_id for i in waiting if i.batch_id is not None})
    return render(
        request,
        "review.html",
        lang,
        user,
        status_code=status_code,
        rt=lambda k: rt(k, lang),
        enabled=rules.enabled,
        waiting=[(i, review.flags(i)) for i in waiting],
        back=back,
        errors=errors or [],
        batch=batch,
        batches=batches,
        done=done,
        can_review=user.role in (Role.REVIEWER, Role.ADMIN),
    )


# reviewers review; editors see what came back to them; administrators both
ReviewUser = Annotated[
    User, Depends(require_role(Role.REVIEWER, Role.EDITOR, Role.ADMIN, message=TEXTS["forbidden"]))
]


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: ReviewUser,
    batch: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    done: Annotated[int | None, Query(ge=0, le=10**6)] = None,
) -> Response:
    return _page(request, session, lang, user, batch=batch, done=done)


@router.post("/review", response_class=HTMLResponse)
async def review_submit(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: ReviewUser,
    form: CheckedForm,
    settings: SettingsDep,
) -> Response:
    action = str(form.get("action") or "")
    comment = str(form.get("comment") or "")
    now = dt.datetime.now(dt.UTC)
    try:
        batch_text = str(form.get("batch") or "").strip()
        if batch_text:
            if not batch_text.isdigit() or action not in review.ACTIONS:
                raise DomainError("批次编号或操作无效", "the batch number or the action is invalid")
            ids = review.batch_versions(session, int(batch_text), state=review.FROM_STATE[action])
        else:
            raw = [str(v) for v in form.getlist("id")]
            if any(not v.isdigit() or len(v) > 18 for v in raw):
                raise DomainError("数据编号无效", "a figure id is invalid")
            ids = [int(v) for v in raw]
        notify = returned_notifier(settings, now) if action == review.RETURN else None
        result = review.act(
            session, user, action, ids, comment=comment, now=now, path=WritePath.WEB, notify=notify
        )
    except DomainError as exc:
        session.rollback()
        errors = [exc.zh if lang == "zh" else exc.en]
        for item in exc.details or []:
            if isinstance(item, dict) and "detail_zh" in item:
                errors.append(item["detail_zh"] if lang == "zh" else item["detail_en"])
        return _page(request, session, lang, user, status_code=exc.status, errors=errors)
    return RedirectResponse(f"/review?done={len(result.steps)}&lang={lang}", status_code=303)


@router.get("/review/history/{observation_id}", response_class=HTMLResponse)
def review_history_page(
    request: Request,
    session: SessionDep,
    lang: Lang,
    user: ReviewUser,
    observation_id: Annotated[int, Path(ge=1, le=2**62)],
) -> Response:
    try:
        versions = review.history(session, observation_id)
    except DomainError as exc:
        return render(
            request,
            "message.html",
            lang,
            user,
            status_code=exc.status,
            message=exc.zh if lang == "zh" else exc.en,
        )
    from service.db.models import Indicator, Observation, Region

    obs = session.get(Observation, observation_id)
    assert obs is not None
    ind, reg = session.get(Indicator, obs.indicator_id), session.get(Region, obs.region_id)
    return render(
        request,
        "review_history.html",
        lang,
        user,
        rt=lambda k: rt(k, lang),
        versions=versions,
        indicator=ind,
        region=reg,
        period=obs.period,
    )
