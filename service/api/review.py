"""Figure review (数据审核): the policy, a reviewer's queue, approve / return / resubmit (one figure, a
list, or a whole import batch), revision requests, and a figure's review history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.api.deps import NO_NUL, CurrentUser, SessionDep, app_settings
from service.api.observations import BatchOut, ObservationIn, _inputs, _respond
from service.db.models import WritePath
from service.domain import review
from service.domain.errors import Invalid
from service.domain.observations import ingest
from service.notify.review_mail import returned_notifier

router = APIRouter(tags=["review"], prefix="/reviews")


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="review on (figures count once approved) or off (at once)")
    approve_admin: bool = Field(default=True, description="an administrator's entries approved on entry")
    approve_published: bool = Field(default=True, description="statistics loaded by init approved on entry")


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    observation_ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        default=None, max_length=review.MAX_BATCH, description="the figure versions (ids) to act on"
    )
    batch_id: int | None = Field(
        default=None,
        ge=1,
        le=2**62,
        description="or: every figure of an import batch still awaiting this step",
    )
    comment: str | None = Field(default=None, max_length=review.COMMENT_LIMIT, pattern=NO_NUL)

    @model_validator(mode="after")
    def _one_of(self) -> StepIn:
        if (self.observation_ids is None) == (self.batch_id is None):
            raise ValueError(
                "请给出 observation_ids 或 batch_id 之一 / give observation_ids or batch_id, not both"
            )
        return self


class RevisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    observations: list[ObservationIn] = Field(min_length=1, max_length=5000)


class PolicyOut(BaseModel):
    enabled: bool
    approve_admin: bool
    approve_published: bool
    since: str | None = Field(description="when review was last switched (ISO date-time)")


class QueueItem(BaseModel):
    observation_id: int
    indicator: str = Field(description="indicator code")
    region: str = Field(description="region code")
    period: int
    value: str | None = Field(description="the figure as an exact decimal")
    unit: str
    status: str
    source: str | None
    entered_by: str | None
    submitted_at: str
    batch_id: int | None
    revision_request: bool
    comment: str | None
    value_in_force: str | None = Field(description="for a revision: the approved value it would replace")
    neighbours: dict[str, str | None] = Field(description="the same series' figures in the years around it")


class QueueOut(BaseModel):
    items: list[QueueItem]


class StepOut(BaseModel):
    action: str
    count: int
    steps: list[dict[str, Any]] = Field(description="each figure: its id, the figure, its new state")


class HistoryOut(BaseModel):
    versions: list[dict[str, Any]] = Field(description="every version up to this one, with its review steps")


def _policy(p: review.Policy) -> dict[str, Any]:
    return {
        "enabled": p.enabled,
        "approve_admin": p.approve_admin,
        "approve_published": p.approve_published,
        "since": p.since.isoformat() if p.since else None,
    }


@router.get("/policy", response_model=PolicyOut, summary="Whether figures are reviewed before they count")
def get_policy(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _policy(review.policy(session))


@router.put("/policy", response_model=PolicyOut, summary="Switch review on or off (administrators)")
def put_policy(body: PolicyIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _policy(
        review.set_policy(
            session,
            enabled=body.enabled,
            approve_admin=body.approve_admin,
            approve_published=body.approve_published,
            actor=user,
            now=dt.datetime.now(dt.UTC),
            path=WritePath.API,
        )
    )


def _num(value: Any) -> str | None:
    return None if value is None else f"{value.normalize():f}"


@router.get(
    "/queue", response_model=QueueOut, summary="The figures awaiting my review (in my regions, not my own)"
)
def get_queue(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _items(review.queue(session, user))


@router.get(
    "/returned",
    response_model=QueueOut,
    summary="The figures returned to me (editors): correct them or resubmit them",
)
def get_returned(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _items(review.returned_to(session, user))


def _items(items: list[review.QueueItem]) -> dict[str, Any]:
    return {
        "items": [
            {
                "observation_id": i.observation_id,
                "indicator": i.indicator.code,
                "region": i.region.code,
                "period": i.period,
                "value": _num(i.value),
                "unit": i.indicator.unit,
                "status": i.status,
                "source": i.source,
                "entered_by": i.entered_by,
                "submitted_at": i.submitted_at.isoformat(),
                "batch_id": i.batch_id,
                "revision_request": i.revision,
                "comment": i.comment,
                "value_in_force": _num(i.previous_value),
                "neighbours": {str(y): _num(v) for y, v in i.neighbours.items()},
            }
            for i in items
        ]
    }


def _step(request: Request, session: Any, user: Any, action: str, body: StepIn) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    review.require_enabled(session)
    if body.batch_id is not None:
        ids = review.batch_versions(session, body.batch_id, state=review.FROM_STATE[action])
        if not ids:
            raise Invalid(
                f"导入批次 {body.batch_id} 中没有可{review.ACTION_ZH[action]}的数据",
                f"import batch {body.batch_id} has no figure that can be {review.ACTION_EN[action]}",
            )
    else:
        ids = list(body.observation_ids or [])
    notify = returned_notifier(app_settings(request), now) if action == review.RETURN else None
    result = review.act(
        session, user, action, ids, comment=body.comment, now=now, path=WritePath.API, notify=notify
    )
    return {"action": action, "count": len(result.steps), "steps": result.steps}


@router.post(
    "/approve", response_model=StepOut, summary="Approve figures (已审核): one, a list, or an import batch"
)
def approve(request: Request, body: StepIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _step(request, session, user, review.APPROVE, body)


@router.post(
    "/return", response_model=StepOut, summary="Return figures to their editor with a comment (退回)"
)
def return_(request: Request, body: StepIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _step(request, session, user, review.RETURN, body)


@router.post(
    "/resubmit",
    response_model=StepOut,
    summary="Resubmit returned figures unchanged, with an explanation (editors)",
)
def resubmit(request: Request, body: StepIn, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _step(request, session, user, review.RESUBMIT, body)


@router.post(
    "/revisions",
    response_model=BatchOut,
    summary="Request a revision of approved figures (each with its reason)",
)
def request_revision(
    body: RevisionIn,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    missing = [n for n, o in enumerate(body.observations, start=1) if not (o.revision_reason or "").strip()]
    if missing:
        raise Invalid(
            f"修订申请须填写修订原因（第 {', '.join(map(str, missing))} 条）",
            f"a revision request needs a reason (item(s) {', '.join(map(str, missing))})",
        )
    result = ingest(
        session,
        user,
        _inputs(body.observations),
        path=WritePath.API,
        now=dt.datetime.now(dt.UTC),
        idempotency_key=idempotency_key,
    )
    return _respond(result)


@router.get(
    "/history/{observation_id}",
    response_model=HistoryOut,
    summary="A figure's versions, each with its review steps",
)
def get_history(
    session: SessionDep, user: CurrentUser, observation_id: Annotated[int, Path(ge=1, le=2**62)]
) -> dict[str, Any]:
    return {"versions": review.history(session, observation_id)}
