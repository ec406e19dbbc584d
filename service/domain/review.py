"""Figures reviewed before they count (数据审核): submission, approval, return, revision requests.

Where review is on (``review_settings``; off by default: one office, every figure counts the moment it
is stored), every figure version an editor stores is *submitted* (待审核); a reviewer responsible for its
region (a zone or a city in scope covers its members and the regions below, as for editors) *approves*
it (已审核) or *returns* it with a comment (退回); the editor corrects it (a new version, submitted again)
or resubmits it unchanged with an explanation. Nobody reviews their own figure. A correction of an
approved figure is a *revision request*: the approved value stays in force, in every view, until a
reviewer approves the correction. An administrator's entries and the published statistics loaded by
``init`` can be approved on entry (by the policy, not by a person).

Each step is a new ``ObservationReview`` row (append-only, with who, when, why) and an audit entry.
Which versions count as of a date is ``vintage.reviewed`` (the one owner of "as of" rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from service.db.models import (
    ImportBatch,
    Indicator,
    Observation,
    ObservationReview,
    ObservationStatus,
    Region,
    ReviewSetting,
    ReviewState,
    Role,
    User,
    WritePath,
    user_regions,
)
from service.domain import audit, changes, plausibility, texts
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound
from service.domain.regions import zone_members
from service.domain.resolver import Resolver
from service.domain.review_policy import Policy, policy
from service.domain.vintage import Vintage
from service.domain.write_scope import ALL_FIGURES_LOCK, lock_figures, writable_region_ids

APPROVE, RETURN, RESUBMIT = "approve", "return", "resubmit"
ACTIONS = (APPROVE, RETURN, RESUBMIT)
MAX_BATCH = 5000  # figures acted on in one request
COMMENT_LIMIT = 2000
_ACTION_STATE = {APPROVE: ReviewState.APPROVED, RETURN: ReviewState.RETURNED, RESUBMIT: ReviewState.SUBMITTED}
FROM_STATE = {APPROVE: ReviewState.SUBMITTED, RETURN: ReviewState.SUBMITTED, RESUBMIT: ReviewState.RETURNED}


def set_policy(
    session: Session,
    *,
    enabled: bool,
    approve_admin: bool = True,
    approve_published: bool = True,
    actor: User | None,
    now: dt.datetime,
    path: WritePath = WritePath.CLI,
) -> Policy:
    """Switch review on or off (a new row; the earlier switches stay as the record of when)."""
    if actor is not None and actor.role is not Role.ADMIN:
        raise Forbidden("只有管理员可以开关数据审核", "only an administrator can switch review on or off")
    before = policy(session)
    session.add(
        ReviewSetting(
            at=now,
            user_id=actor.id if actor else None,
            enabled=enabled,
            approve_admin=approve_admin,
            approve_published=approve_published,
        )
    )
    audit.record(
        session,
        user=actor,
        path=path,
        action="review_policy",
        entity_type="review_settings",
        entity_id=None,
        before={
            "enabled": before.enabled,
            "approve_admin": before.approve_admin,
            "approve_published": before.approve_published,
        },
        after={
            "enabled": enabled,
            "approve_admin": approve_admin,
            "approve_published": approve_published,
        },
        at=now,
    )
    session.flush()
    return policy(session)


def require_enabled(session: Session) -> None:
    if not policy(session).enabled:
        raise Conflict(
            "数据审核未启用", "review is switched off for this deployment; there is nothing to review"
        )


VIEW_NOTES = {
    "official": ("正式口径：仅采用已审核的数据", "Official: approved figures only"),
    "provisional": (
        "暂定口径：含待审核的数据，不作为正式结论",
        "PROVISIONAL: includes figures still under review; not an official result",
    ),
}


def view_note(view: str | None, lang: str = "zh") -> str | None:
    """What a run, page, e-mail or document says about the figures it used (None: review off)."""
    if view not in VIEW_NOTES:
        return None
    zh, en = VIEW_NOTES[view]
    return en if lang == "en" else zh


# --- scope -------------------------------------------------------------------------------------


def covered_region_ids(session: Session, region_ids: Iterable[int]) -> set[int]:
    """The regions, the members of zones among them, and every region below those."""
    covered = set(region_ids)
    members = zone_members(session)
    covered |= {m for zone in list(covered) for m in members.get(zone, ())}
    children: dict[int, list[int]] = {}
    for rid, parent in session.execute(select(Region.id, Region.parent_id)):
        if parent is not None:
            children.setdefault(parent, []).append(rid)
    todo = list(covered)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in covered:
                covered.add(child)
                todo.append(child)
    return covered


def reviewable_region_ids(session: Session, user: User) -> set[int] | None:
    """Regions whose figures the user may review (None: all, for an administrator)."""
    if user.role is Role.ADMIN:
        return None
    if user.role is not Role.REVIEWER:
        return set()
    return covered_region_ids(
        session, session.scalars(select(user_regions.c.region_id).where(user_regions.c.user_id == user.id))
    )


# --- on entry ----------------------------------------------------------------------------------


def on_ingest(
    session: Session, batch: ImportBatch, user: User, path: WritePath, now: dt.datetime
) -> dict[str, Any] | None:
    """Put the figure versions a batch stored to review (one statement for the whole batch): submitted,
    or approved on entry where the policy says so. None when review is off (nothing recorded)."""
    rules = policy(session)
    if not rules.enabled:
        return None
    published = path is WritePath.CATALOG and rules.approve_published
    admin = user.role is Role.ADMIN and path is not WritePath.CATALOG and rules.approve_admin
    auto = published or admin
    state = ReviewState.APPROVED if auto else ReviewState.SUBMITTED
    comment = (
        "发布的统计数据，录入即审核通过 / published statistics, approved on entry"
        if published
        else "管理员录入，录入即审核通过 / an administrator's entry, approved on entry"
        if admin
        else None
    )
    rows = session.execute(
        select(
            Observation.id,
            Observation.supersedes_id,
            Observation.indicator_id,
            Observation.region_id,
            Observation.period,
            Observation.coverage,
        )
        .where(Observation.batch_id == batch.id, Observation.status != ObservationStatus.PLAN_BASELINE)
        .order_by(Observation.id)
    ).all()
    if not rows:
        return {"state": state.value, "figures": 0, "revision_requests": 0}
    # a correction of a figure that counts officially (approved, or stored before review) is a revision
    # request: that figure stays in force until the correction is approved. Judged on every step
    # committed now that the writer holds the figures' locks, not on the writer's clock: a large file's
    # clock starts before it is read, and an approval made meanwhile (later by that clock) still counts.
    superseded = [r.supersedes_id for r in rows if r.supersedes_id is not None]
    counted = _officially_counted(session, superseded)
    # the lock is on the indicator, region and year: a figure for them from another source (the
    # bulletin's figure approved, now the yearbook's) is a revision request of the one in force too
    locked = set() if auto else _locked_keys(session, [r for r in rows if r.supersedes_id is None], batch.id)
    values = []
    requests = 0
    for oid, supersedes, ind, reg, period, coverage in rows:
        revision = not auto and (
            supersedes in counted if supersedes is not None else (ind, reg, period, coverage) in locked
        )
        requests += revision
        values.append(
            {
                "observation_id": oid,
                "seq": 1,
                "state": state,
                "at": now,
                "user_id": None if auto else user.id,
                "comment": comment,
                "revision": revision,
            }
        )
    for start in range(0, len(values), 5000):
        session.execute(insert(ObservationReview), values[start : start + 5000])
    return {"state": state.value, "figures": len(values), "revision_requests": requests}


def _locked_keys(session: Session, rows: list[Any], batch_id: int) -> set[tuple[int, int, int, str | None]]:
    """Of these new figures' (indicator, region, year, coverage), those for which a figure stored by
    another batch (from any source) counts officially: approved, or stored before review was on."""
    from sqlalchemy import or_, tuple_

    keys = sorted({(r.indicator_id, r.region_id, r.period) for r in rows})
    wanted = {(r.indicator_id, r.region_id, r.period, r.coverage) for r in rows}
    found: dict[int, tuple[int, int, int, str | None]] = {}
    for start in range(0, len(keys), 1000):
        for oid, ind, reg, period, coverage in session.execute(
            select(
                Observation.id,
                Observation.indicator_id,
                Observation.region_id,
                Observation.period,
                Observation.coverage,
            ).where(
                tuple_(Observation.indicator_id, Observation.region_id, Observation.period).in_(
                    keys[start : start + 1000]
                ),
                or_(Observation.batch_id.is_(None), Observation.batch_id != batch_id),
                Observation.value.is_not(None),
                Observation.status != ObservationStatus.PLAN_BASELINE,
            )
        ):
            if (ind, reg, period, coverage) in wanted:
                found[oid] = (ind, reg, period, coverage)
    counted = _officially_counted(session, list(found))
    return {found[oid] for oid in counted}


def _officially_counted(session: Session, ids: list[int]) -> set[int]:
    """Of these versions, those approved (by any committed step) or never put to review, and the
    revision requests (a correction of one stands, like it, in front of an approved figure)."""
    out: set[int] = set()
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        stepped: dict[int, bool] = {}
        for oid, state, revision in session.execute(
            select(
                ObservationReview.observation_id, ObservationReview.state, ObservationReview.revision
            ).where(ObservationReview.observation_id.in_(part))
        ):
            # a correction of a revision request (pending or refused) still corrects the approved figure
            stepped[oid] = stepped.get(oid, False) or state is ReviewState.APPROVED or revision
        out |= {oid for oid in part if stepped.get(oid, True)}
    return out


# --- review steps ------------------------------------------------------------------------------


@dataclass
class ItemProblem:
    observation_id: int
    zh: str
    en: str
    kind: str = "invalid"  # invalid | forbidden | conflict | not_found


@dataclass
class StepResult:
    action: str
    steps: list[dict[str, Any]] = field(default_factory=list)


def _problem(status_kind: str, problems: list[ItemProblem], zh: str, en: str) -> Exception:
    details = [
        {"observation_id": p.observation_id, "detail_zh": p.zh, "detail_en": p.en, "kind": p.kind}
        for p in problems
    ]
    cls = {"forbidden": Forbidden, "conflict": Conflict, "not_found": NotFound}.get(status_kind, Invalid)
    return cls(zh, en, details=details)


def _label(ind: Indicator, reg: Region, period: int) -> tuple[str, str]:
    return f"{reg.name_zh}{period}年{ind.name_zh}", f"{ind.code} for {reg.code}, {period}"


def act(
    session: Session,
    user: User,
    action: str,
    observation_ids: Sequence[int],
    *,
    comment: str | None,
    now: dt.datetime,
    path: WritePath,
    notify: Any = None,
) -> StepResult:
    """Approve, return or resubmit figure versions, all or none: any version that cannot take the step
    refuses the whole request (4xx, each version's reason in zh and en). Two reviewers acting on the same
    version at once: the first wins; the other is told who acted (409).

    ``notify(session, version, step)`` is called for each returned version (the editor's e-mail)."""
    if action not in ACTIONS:
        raise Invalid(
            f"未知的审核操作“{action}”", f"unknown review action {action!r} (approve, return, resubmit)"
        )
    require_enabled(session)
    ids, text = _request(action, observation_ids, comment)
    scope = _scope(session, user, action)
    known = _load(session, ids)
    problems = [p for oid in ids if (p := _item_problem(oid, known, scope, user, action)) is not None]
    if problems:
        kinds = {p.kind for p in problems}
        kind = next((k for k in ("not_found", "forbidden", "conflict") if k in kinds), "invalid")
        raise _problem(
            kind,
            problems,
            f"有 {len(problems)} 条数据不能{ACTION_ZH[action]}，本次操作未执行",
            f"{len(problems)} figure(s) cannot be {ACTION_EN[action]}; nothing was done",
        )
    state = _ACTION_STATE[action]
    new_steps = _add_steps(session, ids, known, state, user, text or None, now)
    result = StepResult(action)
    for obs, step in new_steps:
        ind, reg = known.indicators[obs.indicator_id], known.regions[obs.region_id]
        entity = f"{ind.code}/{reg.code}/{obs.period}"
        audit.record(
            session,
            user=user,
            path=path,
            action=f"review_{action}",
            entity_type="observation",
            entity_id=entity,
            before={"id": obs.id, "state": FROM_STATE[action].value},
            after={
                "id": obs.id,
                "state": state.value,
                "comment": text or None,
                "revision": step.revision,
            },
            at=now,
        )
        result.steps.append(
            {
                "observation_id": obs.id,
                "figure": entity,
                "state": state.value,
                "seq": step.seq,
                "revision": step.revision,
            }
        )
        if action == RETURN and notify is not None:
            notify(session, obs, step)
    if action == APPROVE:  # what counts officially changed: report runs learn of it by this row
        changes.record(session, "observations", now=now, indicator_ids={o.indicator_id for o, _ in new_steps})
    session.flush()
    return result


def _request(action: str, observation_ids: Sequence[int], comment: str | None) -> tuple[list[int], str]:
    """The versions asked for (each once, in the order given) and the comment, refused when there are
    none or too many, or when the comment is too long or missing where a step needs its reason."""
    ids = list(dict.fromkeys(int(i) for i in observation_ids))
    if not ids:
        raise Invalid("未选择任何数据", "no figure was chosen")
    if len(ids) > MAX_BATCH:
        raise Invalid(f"一次最多处理 {MAX_BATCH} 条数据", f"at most {MAX_BATCH} figures per request")
    text = (comment or "").strip()
    if len(text) > COMMENT_LIMIT or "\x00" in text:
        raise Invalid(
            f"意见过长（最多 {COMMENT_LIMIT} 字）或含空字符",
            f"the comment is too long (at most {COMMENT_LIMIT} characters) or contains NUL",
        )
    if action in (RETURN, RESUBMIT) and not text:
        raise Invalid(
            "退回或重新报送须填写意见（原因）" if action == RETURN else "重新报送须说明数值无误的理由",
            "returning a figure needs a comment saying why"
            if action == RETURN
            else "resubmitting a figure unchanged needs a comment saying why it is right",
        )
    return ids, text


def _scope(session: Session, user: User, action: str) -> set[int] | None:
    """Whether the user's role may take the step at all (reviewers and administrators approve and
    return, editors and administrators resubmit), and the regions they may take it in (None: all)."""
    if action in (APPROVE, RETURN):
        if user.role not in (Role.REVIEWER, Role.ADMIN):
            raise Forbidden(
                "只有审核员或管理员可以审核数据",
                "only a reviewer or an administrator can approve or return figures",
            )
        return reviewable_region_ids(session, user)
    if user.role not in (Role.EDITOR, Role.ADMIN):
        raise Forbidden("只有填报人员可以重新报送数据", "only an editor can resubmit a figure")

    return writable_region_ids(session, user, Resolver(session))


@dataclass
class _Known:
    """What deciding a step needs about the versions asked for, read once (after their figures' locks)."""

    versions: dict[int, Observation]
    newer: set[int | None]  # ids among them that a later version supersedes
    latest_steps: dict[int, ObservationReview]
    indicators: dict[int, Indicator]
    regions: dict[int, Region]
    users: dict[int, User]  # who took each version's latest step


def _load(session: Session, ids: list[int]) -> _Known:
    """The versions, locked against concurrent writers of the same figures, with their latest review
    steps, whether a newer version exists, and the names the refusals and the audit log use."""
    versions = {o.id: o for o in session.scalars(select(Observation).where(Observation.id.in_(ids)))}
    _lock(session, [(o.indicator_id, o.region_id, o.period) for o in versions.values()])
    newer = set(session.scalars(select(Observation.supersedes_id).where(Observation.supersedes_id.in_(ids))))
    latest_steps: dict[int, ObservationReview] = {}
    for step in session.scalars(
        select(ObservationReview)
        .where(ObservationReview.observation_id.in_(ids))
        .order_by(ObservationReview.observation_id, ObservationReview.seq)
    ):
        latest_steps[step.observation_id] = step
    indicators = {i.id: i for i in session.scalars(select(Indicator))}
    regions = {r.id: r for r in session.scalars(select(Region))}
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                User.id.in_({s.user_id for s in latest_steps.values() if s.user_id is not None})
            )
        )
    }
    return _Known(versions, newer, latest_steps, indicators, regions, users)


def _item_problem(
    oid: int, known: _Known, scope: set[int] | None, user: User, action: str
) -> ItemProblem | None:
    """Why this version cannot take the step (missing, outside the user's regions, the user's own figure,
    stored while review was off, superseded, or not in the state the step starts from); None if it can."""
    obs = known.versions.get(oid)
    if obs is None:
        return ItemProblem(oid, f"数据 {oid} 不存在", f"figure version {oid} does not exist", "not_found")
    zh, en = _label(known.indicators[obs.indicator_id], known.regions[obs.region_id], obs.period)
    region = known.regions[obs.region_id]
    if scope is not None and obs.region_id not in scope:
        return ItemProblem(
            oid,
            f"您（{user.username}）无权审核“{region.name_zh}”的数据：{zh}"
            if action != RESUBMIT
            else f"您（{user.username}）无权报送“{region.name_zh}”的数据：{zh}",
            f"you ({user.username}) are not responsible for {region.name_en} ({region.code}): {en}",
            "forbidden",
        )
    if action in (APPROVE, RETURN) and obs.entered_by_id == user.id:
        return ItemProblem(
            oid,
            f"不能审核本人填报的数据：{zh}",
            f"nobody reviews their own figure: {en}",
            "forbidden",
        )
    last = known.latest_steps.get(oid)
    if last is None:
        return ItemProblem(
            oid,
            f"该数据录入时未启用审核，无需审核：{zh}",
            f"this figure was stored while review was off; it counts as approved: {en}",
            "conflict",
        )
    if oid in known.newer:
        return ItemProblem(
            oid,
            f"该数据已有更新的版本，请审核最新版本：{zh}",
            f"a newer version of this figure exists; review the latest one: {en}",
            "conflict",
        )
    if last.state is not FROM_STATE[action]:
        who = known.users.get(last.user_id) if last.user_id is not None else None
        by_zh = f"（{who.username}，{last.at:%Y-%m-%d %H:%M}）" if who else f"（{last.at:%Y-%m-%d %H:%M}）"
        by_en = (
            f" (by {who.username} at {last.at:%Y-%m-%d %H:%M} UTC)"
            if who
            else f" ({last.at:%Y-%m-%d %H:%M} UTC)"
        )
        zh_state, en_state = texts.TEXTS["review_state_" + last.state.value]
        return ItemProblem(
            oid,
            f"该数据当前状态为“{zh_state}”{by_zh}，不能{ACTION_ZH[action]}：{zh}",
            f"this figure is {en_state}{by_en}; it cannot be {ACTION_EN[action]}: {en}",
            "conflict",
        )
    return None


def _add_steps(
    session: Session,
    ids: list[int],
    known: _Known,
    state: ReviewState,
    user: User,
    comment: str | None,
    now: dt.datetime,
) -> list[tuple[Observation, ObservationReview]]:
    """Each version's next review step, all written or none: a step number taken by someone acting at
    the same moment is a 409 (the first reviewer wins)."""
    new_steps: list[tuple[Observation, ObservationReview]] = []
    try:
        with session.begin_nested():
            for oid in ids:
                before = known.latest_steps[oid]
                step = ObservationReview(
                    observation_id=oid,
                    seq=before.seq + 1,
                    state=state,
                    at=now,
                    user_id=user.id,
                    comment=comment,
                    revision=before.revision,
                )
                session.add(step)
                new_steps.append((known.versions[oid], step))
            session.flush()
    except IntegrityError:
        raise Conflict(
            "其他人刚刚审核了其中的数据，本次操作未执行；请刷新后重试",
            "someone else has just acted on one of these figures; nothing was done; reload and try again",
        ) from None
    return new_steps


def _lock(session: Session, keys: list[tuple[int, int, int]]) -> None:
    """PostgreSQL: queue behind writers of the same figures (the ingest's locks, see
    ``write_scope.lock_figures``) and behind large imports, so that a step and a correction of the
    same figure never miss each other: the step sees the correction, or the correction sees the step.
    SQLite: a writing transaction already holds the database's write lock."""
    if session.get_bind().dialect.name != "postgresql" or not keys:
        return
    from sqlalchemy import text

    lock_figures(session, keys)
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": ALL_FIGURES_LOCK})


ACTION_ZH = {APPROVE: "审核通过", RETURN: "退回", RESUBMIT: "重新报送"}
ACTION_EN = {APPROVE: "approved", RETURN: "returned", RESUBMIT: "resubmitted"}


def batch_versions(
    session: Session, batch_id: int, *, state: ReviewState | None = ReviewState.SUBMITTED
) -> list[int]:
    """The versions a file import (a batch) stored that are still the latest of their figure, in the
    given state (all states: None): the unit a reviewer approves or returns whole."""
    if session.get(ImportBatch, batch_id) is None:
        raise NotFound(f"导入批次 {batch_id} 不存在", f"import batch {batch_id} does not exist")
    newer = aliased(Observation)
    ids = list(
        session.scalars(
            select(Observation.id)
            .where(
                Observation.batch_id == batch_id,
                Observation.status != ObservationStatus.PLAN_BASELINE,
                ~select(newer.id).where(newer.supersedes_id == Observation.id).exists(),
            )
            .order_by(Observation.id)
        )
    )
    if state is None:
        return ids
    current = current_states(session, ids)
    return [i for i in ids if current.get(i) is state]


def current_states(session: Session, ids: Sequence[int]) -> dict[int, ReviewState]:
    out: dict[int, ReviewState] = {}
    for start in range(0, len(ids), 5000):
        for oid, state in session.execute(
            select(ObservationReview.observation_id, ObservationReview.state)
            .where(ObservationReview.observation_id.in_(ids[start : start + 5000]))
            .order_by(ObservationReview.observation_id, ObservationReview.seq)
        ):
            out[oid] = state
    return out


# --- what awaits a reviewer --------------------------------------------------------------------


@dataclass
class QueueItem:
    observation_id: int
    indicator: Indicator
    region: Region
    period: int
    value: Any
    status: str
    source: str | None
    entered_by: str | None
    submitted_at: dt.datetime
    batch_id: int | None
    revision: bool
    comment: str | None
    previous_value: Any = None  # the value in force (approved) a revision request would replace
    neighbours: dict[int, Any] = field(default_factory=dict)  # year -> latest value, the years around


def queue(session: Session, user: User, *, limit: int = 500) -> list[QueueItem]:
    """The latest versions awaiting review that this user may review (in scope, not their own)."""
    return _latest_in_state(
        session, reviewable_region_ids(session, user), ReviewState.SUBMITTED, not_by=user.id, limit=limit
    )


def returned_to(session: Session, user: User, *, limit: int = 500) -> list[QueueItem]:
    """The latest versions returned to an editor (any figure of the regions they write): to correct
    (a new version through entry or upload) or resubmit unchanged with an explanation."""
    if user.role not in (Role.EDITOR, Role.ADMIN):
        return []

    scope = writable_region_ids(session, user, Resolver(session))
    return _latest_in_state(session, scope, ReviewState.RETURNED, not_by=None, limit=limit)


def _latest_in_state(
    session: Session, scope: set[int] | None, state: ReviewState, *, not_by: int | None, limit: int
) -> list[QueueItem]:
    if scope is not None and not scope:
        return []
    last = (
        select(ObservationReview.observation_id, func.max(ObservationReview.seq).label("seq"))
        .group_by(ObservationReview.observation_id)
        .subquery()
    )
    newer = aliased(Observation)
    stmt = (
        select(Observation, ObservationReview)
        .join(last, last.c.observation_id == Observation.id)
        .join(
            ObservationReview,
            (ObservationReview.observation_id == last.c.observation_id)
            & (ObservationReview.seq == last.c.seq),
        )
        .where(
            ObservationReview.state == state,
            ~select(newer.id).where(newer.supersedes_id == Observation.id).exists(),
        )
        .order_by(Observation.region_id, Observation.indicator_id, Observation.period, Observation.id)
        .limit(limit)
    )
    if scope is not None:
        stmt = stmt.where(Observation.region_id.in_(scope))
    if not_by is not None:  # nobody reviews their own figure
        stmt = stmt.where((Observation.entered_by_id != not_by) | Observation.entered_by_id.is_(None))
    rows = session.execute(stmt).all()
    if not rows:
        return []
    indicators = {i.id: i for i in session.scalars(select(Indicator))}
    regions = {r.id: r for r in session.scalars(select(Region))}
    people: dict[int | None, str] = {
        uid: name for uid, name in session.execute(select(User.id, User.username))
    }
    first_steps = {
        s.observation_id: s
        for s in session.scalars(
            select(ObservationReview).where(
                ObservationReview.observation_id.in_([o.id for o, _ in rows]), ObservationReview.seq == 1
            )
        )
    }
    items = []
    for obs, step in rows:
        first = first_steps.get(obs.id, step)
        items.append(
            QueueItem(
                obs.id,
                indicators[obs.indicator_id],
                regions[obs.region_id],
                obs.period,
                obs.value,
                obs.status.value,
                obs.source,
                people.get(obs.entered_by_id),
                first.at,
                obs.batch_id,
                step.revision,
                step.comment,
            )
        )
    _fill_context(session, items)
    return items


def _fill_context(session: Session, items: list[QueueItem]) -> None:
    """The neighbouring years (the latest stored version of each) and, for a revision request, the
    approved value it would replace."""

    now = dt.datetime.now(dt.UTC)
    official = Vintage.now(now, "official").observations()
    keys = {(i.indicator.id, i.region.id) for i in items}
    for ind_id, reg_id in keys:
        these = [i for i in items if i.indicator.id == ind_id and i.region.id == reg_id]
        years = {y for i in these for y in (i.period - 1, i.period, i.period + 1)}
        latest: dict[int, Any] = {}
        approved: dict[int, Any] = {}
        for period, value, is_official in session.execute(
            select(Observation.period, Observation.value, official)
            .where(
                Observation.indicator_id == ind_id,
                Observation.region_id == reg_id,
                Observation.period.in_(years),
                Observation.coverage.is_(None),
                Observation.status != ObservationStatus.PLAN_BASELINE,
            )
            .order_by(Observation.reported_at, Observation.id)
        ):
            latest[period] = value
            if is_official:
                approved[period] = value
        for item in these:
            item.neighbours = {y: latest[y] for y in (item.period - 1, item.period + 1) if y in latest}
            if item.revision:
                item.previous_value = approved.get(item.period)


def flags(item: QueueItem) -> list[tuple[str, str]]:
    """What a reviewer should look at twice (zh, en): a value implausible for its kind, ten times or more
    away from a neighbouring year, or a revision that moves the value in force by more than 10%."""
    from decimal import Decimal

    out: list[tuple[str, str]] = []
    value = item.value
    if value is None:
        return [("撤回数据", "a retraction")]
    doubt = plausibility.judge(Decimal(value), item.indicator)
    if doubt is not None:
        out.append((doubt.zh, doubt.en))
    for year, other in sorted(item.neighbours.items()):
        if other and value and max(abs(value / other), abs(other / value)) >= 10:
            out.append(
                (
                    f"与 {year} 年的 {other.normalize():f} 相差 10 倍以上（单位是否有误？）",
                    f"10x or more away from {year}'s {other.normalize():f} (unit slip?)",
                )
            )
    if item.revision and item.previous_value:
        change = (value - item.previous_value) / abs(item.previous_value)
        if abs(change) > Decimal("0.1"):
            out.append((f"修订幅度 {change:+.1%}", f"the revision moves the value by {change:+.1%}"))
    return out


def history(session: Session, observation_id: int) -> list[dict[str, Any]]:
    """Every version of the figure's history up to and including this one, each with its review steps."""
    chain: list[Observation] = []
    current = session.get(Observation, observation_id)
    if current is None:
        raise NotFound(f"数据 {observation_id} 不存在", f"figure version {observation_id} does not exist")
    seen = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        chain.append(current)
        current = session.get(Observation, current.supersedes_id) if current.supersedes_id else None
    chain.reverse()
    people: dict[int | None, str] = {
        uid: name for uid, name in session.execute(select(User.id, User.username))
    }
    steps: dict[int, list[ObservationReview]] = {}
    for step in session.scalars(
        select(ObservationReview)
        .where(ObservationReview.observation_id.in_([o.id for o in chain]))
        .order_by(ObservationReview.observation_id, ObservationReview.seq)
    ):
        steps.setdefault(step.observation_id, []).append(step)
    return [
        {
            "id": o.id,
            "value": None if o.value is None else str(o.value.normalize()),
            "status": o.status.value,
            "reported_at": o.reported_at.isoformat(),
            "entered_by": people.get(o.entered_by_id),
            "revision_reason": o.revision_reason,
            "batch_id": o.batch_id,
            "review": [
                {
                    "seq": s.seq,
                    "state": s.state.value,
                    "at": s.at.isoformat(),
                    "by": people.get(s.user_id),
                    "comment": s.comment,
                    "revision": s.revision,
                }
                for s in steps.get(o.id, [])
            ],
        }
        for o in chain
    ]
