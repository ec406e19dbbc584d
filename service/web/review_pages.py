"""Review pages (数据审核): a reviewer's queue (each figure with its plausibility flags, the neighbouring
years and, for a revision request, the value in force; approve or return several at once or a whole
import batch), an editor's returned figures (resubmit with an explanation, or correct them through
entry or upload), and a figure's history with every review step."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.deps import SessionDep
from service.db.models import Role, WritePath
from service.domain import review
from service.domain.errors import DomainError
from service.notify.review_mail import returned_notifier
from service.web.routes import Lang, WebUser, render
from service.web.session import csrf_ok

router = APIRouter(include_in_schema=False)

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("数据审核", "Review"),
    "off": ("本系统未启用数据审核：数据录入后即计入。管理员可用 yrdmon review policy --on 启用。",
            "Review is off: figures count as soon as they are stored. An administrator can switch it on "
            "(yrdmon review policy --on)."),
    "queue": ("待我审核的数据", "Figures awaiting my review"),
    "returned": ("退回给我的数据", "Figures returned to me"),
    "none": ("没有数据。", "None."),
    "figure": ("数据", "Figure"),
    "value": ("报送值", "Value"),
    "in_force": ("现行值（已审核）", "In force (approved)"),
    "neighbours": ("相邻年份", "Neighbouring years"),
    "flags": ("提示", "Flags"),
    "by": ("填报人", "Entered by"),
    "submitted": ("报送时间", "Submitted"),
    "batch": ("批次", "Batch"),
    "comment": ("意见", "Comment"),
    "comment_hint": ("退回或重新报送须填写", "needed to return or resubmit"),
    "approve": ("审核通过所选", "Approve selected"),
    "return": ("退回所选", "Return selected"),
    "resubmit": ("重新报送所选", "Resubmit selected"),
    "approve_batch": ("整批审核通过", "Approve the whole batch"),
    "return_batch": ("整批退回", "Return the whole batch"),
    "revision": ("修订申请", "revision request"),
    "new": ("新报送", "new"),
    "history": ("审核记录", "Review history"),
    "select": ("选择", "Select"),
    "done": ("已处理 {n} 条数据。", "{n} figure(s) done."),
    "correct": ("更正请到数据填报或批量导入，重新提交即进入审核。",
                "To correct a figure, enter it again (entry or upload); it goes to review again."),
    "version": ("版本", "Version"),
    "steps": ("审核步骤", "Review steps"),
    "reason": ("修订原因", "Revision reason"),
    "state_submitted": ("待审核", "submitted"),
    "state_approved": ("已审核", "approved"),
    "state_returned": ("退回", "returned"),
    "no_steps": ("录入时未启用审核（视同已审核）", "stored while review was off (counts as approved)"),
    "forbidden": ("只有审核员、填报人员或管理员可以使用本页。", "Only reviewers, editors and administrators can use this page."),
    "batch_filter": ("只看批次", "Only batch"),
    "all": ("全部", "all"),
}  # fmt: skip


def rt(key: str, lang: str) -> str:
    zh, en = TEXTS.get(key, (key, key))
    return en if lang == "en" else zh


def _page(request: Request, session: Any, lang: str, user: Any, *, status_code: int = 200,
          errors: list[str] | None = None, batch: int | None = None, done: int | None = None) -> HTMLResponse:  # fmt: skip
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
        request, "review.html", lang, user, status_code=status_code, rt=lambda k: rt(k, lang), enabled=rules.enabled,
        waiting=[(i, review.flags(i)) for i in waiting], back=back, errors=errors or [], batch=batch,
        batches=batches, done=done, can_review=user.role in (Role.REVIEWER, Role.ADMIN),
    )  # fmt: skip


def _allowed(request: Request, user: Any, lang: str) -> Response | None:
    if user is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if user.role not in (Role.REVIEWER, Role.EDITOR, Role.ADMIN):
        return render(request, "message.html", lang, user, status_code=403, message=rt("forbidden", lang))
    return None


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request, session: SessionDep, lang: Lang, user: WebUser,
    batch: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    done: Annotated[int | None, Query(ge=0, le=10**6)] = None,
) -> Response:  # fmt: skip
    refused = _allowed(request, user, lang)
    if refused is not None:
        return refused
    return _page(request, session, lang, user, batch=batch, done=done)


@router.post("/review", response_class=HTMLResponse)
async def review_submit(request: Request, session: SessionDep, lang: Lang, user: WebUser) -> Response:
    refused = _allowed(request, user, lang)
    if refused is not None:
        return refused
    assert user is not None
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf") or "")):
        return render(request, "message.html", lang, user, status_code=403, message="CSRF")
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
        notify = returned_notifier(request.app.state.settings, now) if action == review.RETURN else None
        result = review.act(session, user, action, ids, comment=comment, now=now, path=WritePath.WEB,
                            notify=notify)  # fmt: skip
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
    request: Request, session: SessionDep, lang: Lang, user: WebUser,
    observation_id: Annotated[int, Path(ge=1, le=2**62)],
) -> Response:  # fmt: skip
    refused = _allowed(request, user, lang)
    if refused is not None:
        return refused
    try:
        versions = review.history(session, observation_id)
    except DomainError as exc:
        return render(request, "message.html", lang, user, status_code=exc.status,
                      message=exc.zh if lang == "zh" else exc.en)  # fmt: skip
    from service.db.models import Indicator, Observation, Region

    obs = session.get(Observation, observation_id)
    assert obs is not None
    ind, reg = session.get(Indicator, obs.indicator_id), session.get(Region, obs.region_id)
    return render(request, "review_history.html", lang, user, rt=lambda k: rt(k, lang), versions=versions,
                  indicator=ind, region=reg, period=obs.period)  # fmt: skip
