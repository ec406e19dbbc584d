"""Figures reviewed before they count (数据审核): states, scopes, self-review, locks, batches, views.

Every test runs on SQLite and PostgreSQL (the ``session`` fixture); the concurrency tests use a fresh
database of their own and real transactions on separate connections."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from service.db.models import (
    AuditEntry,
    Indicator,
    Observation,
    ObservationReview,
    Region,
    ReviewState,
    Role,
    User,
    WritePath,
)
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain import review, users
from service.domain.errors import Conflict, Forbidden, Invalid
from service.domain.observations import BatchResult, ObservationInput, ingest
from service.domain.vintage import Vintage
from service.notify.review_mail import queue_returned
from tests.support.databases import PreparedDatabases
from tests.support.smtp import plain_text

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def person(session: Session, name: str, role: Role, regions: tuple[str, ...] = ()) -> User:
    user = users.create_user(session, username=name, role=role, region_codes=list(regions), now=T0)
    session.flush()
    return user


def gdp(
    row: int = 1, *, region: str = "330421", year: int = 2024, value: object = "880.5", **extra: Any
) -> ObservationInput:
    return ObservationInput(
        row=row, indicator="gdp", region=region, period=year, value=value, unit="亿元", **extra
    )


def enter(
    session: Session, user: User, *rows: ObservationInput, at: dt.datetime, path: WritePath = WritePath.API
) -> BatchResult:
    result = ingest(session, user, list(rows), path=path, now=at)
    assert result.applied, result.as_dict()
    return result


def counted(
    session: Session, view: str | None, at: dt.datetime, region: str = "330421", year: int = 2024
) -> Decimal | None:
    """The value of gdp for the region and year that counts in a view as recorded by ``at``."""
    reg = session.scalar(select(Region.id).where(Region.code == region))
    ind = session.scalar(select(Indicator.id).where(Indicator.code == "gdp"))
    rows = session.execute(
        select(Observation.value)
        .where(
            Observation.indicator_id == ind,
            Observation.region_id == reg,
            Observation.period == year,
            Vintage(at, at, view).observations(),
        )
        .order_by(Observation.reported_at, Observation.id)
    ).all()
    return rows[-1][0] if rows else None


def latest_id(session: Session, region: str = "330421", year: int = 2024) -> int:
    reg = session.scalar(select(Region.id).where(Region.code == region))
    found = session.scalar(
        select(Observation.id)
        .where(Observation.region_id == reg, Observation.period == year)
        .order_by(Observation.id.desc())
        .limit(1)
    )
    assert found is not None
    return found


@pytest.fixture
def office(session: Session) -> dict[str, User]:
    """Review on; a 嘉善县 editor, a 嘉兴市 reviewer, a 青浦区 editor and a plan-office administrator."""
    people = {
        "editor": person(session, "js-editor", Role.EDITOR, ("330421",)),
        "qp_editor": person(session, "qp-editor", Role.EDITOR, ("310118",)),
        "reviewer": person(session, "jx-reviewer", Role.REVIEWER, ("330400",)),
        "reviewer2": person(session, "jx-reviewer-2", Role.REVIEWER, ("330400",)),
        "admin": person(session, "plan-office", Role.ADMIN),
    }
    review.set_policy(session, enabled=True, actor=people["admin"], now=T0)
    return people


def test_review_is_off_by_default_and_every_figure_counts_at_once(session: Session) -> None:
    assert review.policy(session).enabled is False
    editor = person(session, "js-editor", Role.EDITOR, ("330421",))
    result = enter(session, editor, gdp(), at=T0)
    assert result.review is None and "review" not in result.as_dict()
    assert session.scalar(select(func.count()).select_from(ObservationReview)) == 0
    for view in (None, "official", "provisional"):
        assert counted(session, view, T0) == Decimal("880.5")


def test_a_submitted_figure_counts_officially_only_once_approved_and_from_the_approval_time(
    session: Session, office: dict[str, User]
) -> None:
    result = enter(session, office["editor"], gdp(), at=T0)
    assert result.review == {"state": "submitted", "figures": 1, "revision_requests": 0}
    assert counted(session, "official", T0) is None
    assert counted(session, "provisional", T0) == Decimal("880.5")
    oid = latest_id(session)
    approved_at = T0 + dt.timedelta(days=2)
    done = review.act(
        session, office["reviewer"], "approve", [oid], comment=None, now=approved_at, path=WritePath.API
    )
    assert done.steps[0]["state"] == "approved"
    # the approval's time is part of the record: as recorded before it, the figure was not official
    assert counted(session, "official", approved_at - dt.timedelta(seconds=1)) is None
    assert counted(session, "official", approved_at) == Decimal("880.5")
    steps = session.scalars(
        select(ObservationReview)
        .where(ObservationReview.observation_id == oid)
        .order_by(ObservationReview.seq)
    ).all()
    assert [(s.state, s.user_id) for s in steps] == [
        (ReviewState.SUBMITTED, office["editor"].id),
        (ReviewState.APPROVED, office["reviewer"].id),
    ]
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "review_approve"))
    assert (
        audit is not None and audit.user_id == office["reviewer"].id and audit.entity_id == "gdp/330421/2024"
    )


def test_a_reviewer_for_jiaxing_cannot_approve_qingpu(session: Session, office: dict[str, User]) -> None:
    enter(session, office["qp_editor"], gdp(region="310118"), at=T0)
    enter(session, office["editor"], gdp(), at=T0)
    qingpu, jiashan = latest_id(session, "310118"), latest_id(session)
    with pytest.raises(Forbidden) as refused:
        review.act(
            session,
            office["reviewer"],
            "approve",
            [jiashan, qingpu],
            comment=None,
            now=T0,
            path=WritePath.API,
        )
    problem = refused.value.problem()
    assert problem["status"] == 403
    assert [e["observation_id"] for e in problem["errors"]] == [qingpu]
    assert "青浦区" in problem["errors"][0]["detail_zh"] and "310118" in problem["errors"][0]["detail_en"]
    # all or none: the 嘉善县 figure the reviewer may approve was not approved either
    assert review.current_states(session, [jiashan, qingpu]) == {
        jiashan: ReviewState.SUBMITTED,
        qingpu: ReviewState.SUBMITTED,
    }
    assert [i.observation_id for i in review.queue(session, office["reviewer"])] == [jiashan]


def test_nobody_approves_their_own_figure(session: Session, office: dict[str, User]) -> None:
    admin = office["admin"]
    review.set_policy(session, enabled=True, approve_admin=False, actor=admin, now=T0)
    enter(session, admin, gdp(), at=T0)
    oid = latest_id(session)
    assert review.current_states(session, [oid]) == {oid: ReviewState.SUBMITTED}
    with pytest.raises(Forbidden) as refused:
        review.act(session, admin, "approve", [oid], comment=None, now=T0, path=WritePath.API)
    assert "own figure" in refused.value.problem()["errors"][0]["detail_en"]
    assert oid not in [i.observation_id for i in review.queue(session, admin)]
    review.act(session, office["reviewer"], "approve", [oid], comment=None, now=T0, path=WritePath.API)
    assert counted(session, "official", T0) == Decimal("880.5")


def test_administrator_entries_and_published_statistics_are_approved_on_entry_when_configured(
    session: Session, office: dict[str, User]
) -> None:
    result = enter(session, office["admin"], gdp(), at=T0)
    assert result.review is not None and result.review["state"] == "approved"
    oid = latest_id(session)
    step = session.scalar(select(ObservationReview).where(ObservationReview.observation_id == oid))
    assert step is not None and step.user_id is None and "approved on entry" in (step.comment or "")
    assert counted(session, "official", T0) == Decimal("880.5")
    # published statistics loaded by init (the catalog path) likewise, and not when switched off
    review.set_policy(session, enabled=True, approve_published=False, actor=office["admin"], now=T0)
    catalog = enter(session, office["admin"], gdp(year=2023, value="851"), at=T0, path=WritePath.CATALOG)
    assert catalog.review is not None and catalog.review["state"] == "submitted"


def test_an_approved_figure_is_locked_a_correction_is_a_revision_request(
    session: Session, office: dict[str, User]
) -> None:
    enter(session, office["editor"], gdp(), at=T0)
    first = latest_id(session)
    review.act(session, office["reviewer"], "approve", [first], comment=None, now=T0, path=WritePath.API)
    later = T0 + dt.timedelta(days=1)
    result = enter(session, office["editor"], gdp(value="901", revision_reason="年报核实"), at=later)
    assert result.review == {"state": "submitted", "figures": 1, "revision_requests": 1}
    # the approved value stays in force in every view until a reviewer approves the correction
    assert counted(session, "official", later) == Decimal("880.5")
    assert counted(session, "provisional", later) == Decimal("880.5")
    request = latest_id(session)
    item = next(i for i in review.queue(session, office["reviewer"]) if i.observation_id == request)
    assert item.revision and item.previous_value == Decimal("880.5") and item.value == Decimal("901")
    # rejected: the approved value stays; the request is recorded, not erased
    review.act(
        session, office["reviewer"], "return", [request], comment="与年鉴不符", now=later, path=WritePath.API
    )
    assert counted(session, "official", later) == Decimal("880.5")
    assert counted(session, "provisional", later) == Decimal("880.5")
    # asked again and approved: the new value is in force from the approval on
    again = enter(session, office["editor"], gdp(value="902", revision_reason="按年鉴更正"), at=later)
    assert again.review is not None and again.review["revision_requests"] == 1
    second = latest_id(session)
    approved_at = later + dt.timedelta(hours=1)
    review.act(
        session, office["reviewer"], "approve", [second], comment=None, now=approved_at, path=WritePath.API
    )
    assert counted(session, "official", later) == Decimal("880.5")
    assert counted(session, "official", approved_at) == Decimal("902")
    history = review.history(session, second)
    assert [v["value"] for v in history] == ["880.5", "901", "902"]
    assert [s["state"] for s in history[1]["review"]] == ["submitted", "returned"]
    assert history[1]["review"][1]["comment"] == "与年鉴不符"


def test_a_figure_from_another_source_for_an_approved_year_is_a_revision_request(
    session: Session, office: dict[str, User]
) -> None:
    """The lock is on the indicator, region and year, whatever the source: the bulletin's figure approved,
    the editor's figure from the quick report is a revision request and the approved value stays."""
    enter(session, office["editor"], gdp(source="嘉善县统计公报"), at=T0)
    review.act(
        session, office["reviewer"], "approve", [latest_id(session)], comment=None, now=T0, path=WritePath.API
    )
    later = T0 + dt.timedelta(days=1)
    result = enter(session, office["editor"], gdp(value="905", source="嘉善县统计快报"), at=later)
    assert result.review == {"state": "submitted", "figures": 1, "revision_requests": 1}
    assert counted(session, "official", later) == counted(session, "provisional", later) == Decimal("880.5")
    item = next(
        i for i in review.queue(session, office["reviewer"]) if i.observation_id == latest_id(session)
    )
    assert item.revision and item.previous_value == Decimal("880.5")
    # another year, or a part of the year, is not locked by it
    other = enter(
        session,
        office["editor"],
        gdp(year=2023, value="850", source="嘉善县统计快报"),
        gdp(2, value="640", source="嘉善县统计快报", coverage="1-9月"),
        at=later,
    )
    assert other.review is not None and other.review["revision_requests"] == 0


def test_a_returned_batch_is_corrected_or_resubmitted_row_by_row(
    session: Session, office: dict[str, User]
) -> None:
    editor, reviewer = office["editor"], office["reviewer"]
    result = ingest(
        session,
        editor,
        [gdp(1, year=2022, value="820"), gdp(2, year=2023, value="851"), gdp(3, year=2024, value="88.05")],
        path=WritePath.WEB,
        now=T0,
        filename="嘉善县2022-2024.xlsx",
    )
    assert result.applied and result.batch_id is not None
    ids = review.batch_versions(session, result.batch_id)
    assert len(ids) == 3
    with pytest.raises(Invalid):  # returning needs a reason
        review.act(session, reviewer, "return", ids, comment=" ", now=T0, path=WritePath.WEB)
    returned: list[tuple[int, int]] = []
    review.act(
        session,
        reviewer,
        "return",
        ids,
        comment="2024年数值疑似单位错误",
        now=T0,
        path=WritePath.WEB,
        notify=lambda s, obs, step: returned.append((obs.id, step.seq)),
    )
    assert sorted(returned) == sorted((i, 2) for i in ids)
    assert review.batch_versions(session, result.batch_id) == []
    assert counted(session, "provisional", T0, year=2024) is None  # returned counts in no view
    # the editor corrects 2024 (a new version, submitted again) and resubmits 2022/2023 as they were
    later = T0 + dt.timedelta(hours=2)
    enter(session, editor, gdp(year=2024, value="880.5", revision_reason="单位更正", confirm=True), at=later)
    with pytest.raises(Invalid):  # resubmitting unchanged needs an explanation
        review.act(session, editor, "resubmit", ids[:2], comment=None, now=later, path=WritePath.WEB)
    with pytest.raises(Forbidden):  # and only an editor for the region may do it
        review.act(
            session, office["qp_editor"], "resubmit", ids[:2], comment="无误", now=later, path=WritePath.WEB
        )
    review.act(
        session, editor, "resubmit", ids[:2], comment="已与统计年鉴核对无误", now=later, path=WritePath.WEB
    )
    with pytest.raises(Conflict):  # the returned 2024 version has a newer one: it cannot be resubmitted
        review.act(session, editor, "resubmit", ids[2:], comment="无误", now=later, path=WritePath.WEB)
    waiting = review.queue(session, reviewer)
    assert sorted((i.period, i.value) for i in waiting) == [
        (2022, Decimal("820")),
        (2023, Decimal("851")),
        (2024, Decimal("880.5")),
    ]
    review.act(
        session,
        reviewer,
        "approve",
        [i.observation_id for i in waiting],
        comment=None,
        now=later,
        path=WritePath.WEB,
    )
    assert counted(session, "official", later, year=2024) == Decimal("880.5")
    assert review.queue(session, reviewer) == []


def test_a_step_on_a_figure_no_longer_submitted_is_a_clear_conflict(
    session: Session, office: dict[str, User]
) -> None:
    enter(session, office["editor"], gdp(), at=T0)
    oid = latest_id(session)
    review.act(session, office["reviewer"], "approve", [oid], comment=None, now=T0, path=WritePath.API)
    with pytest.raises(Conflict) as late:
        review.act(
            session, office["reviewer2"], "return", [oid], comment="有疑问", now=T0, path=WritePath.API
        )
    detail = late.value.problem()["errors"][0]
    assert "jx-reviewer" in detail["detail_en"] and "approved" in detail["detail_en"]
    assert "已审核" in detail["detail_zh"]


def test_review_steps_need_review_on_and_a_reviewer(session: Session) -> None:
    editor = person(session, "js-editor", Role.EDITOR, ("330421",))
    enter(session, editor, gdp(), at=T0)
    with pytest.raises(Conflict):
        review.act(session, editor, "approve", [latest_id(session)], comment=None, now=T0, path=WritePath.API)
    admin = person(session, "plan-office", Role.ADMIN)
    review.set_policy(session, enabled=True, actor=admin, now=T0)
    with pytest.raises(Forbidden):
        review.act(session, editor, "approve", [latest_id(session)], comment=None, now=T0, path=WritePath.API)
    with pytest.raises(Forbidden):
        review.set_policy(session, enabled=False, actor=editor, now=T0)
    with pytest.raises(Invalid):  # a reviewer is responsible for some region
        users.create_user(session, username="nobody", role=Role.REVIEWER, now=T0)


# --- concurrency: real transactions on their own connections ------------------------------------


@pytest.fixture(scope="module")
def shared(prepared: PreparedDatabases, db_kind: str) -> Iterator[tuple[Engine, dict[str, int]]]:
    engine = make_engine(prepared.catalogued(db_kind, now=T0 - dt.timedelta(days=30)))
    factory = make_sessionmaker(engine)
    with transaction(factory) as s:
        ids = {
            "editor": person(s, "js-editor", Role.EDITOR, ("330421",)).id,
            "r1": person(s, "jx-reviewer", Role.REVIEWER, ("330400",)).id,
            "r2": person(s, "jx-reviewer-2", Role.REVIEWER, ("330400",)).id,
        }
        review.set_policy(s, enabled=True, actor=None, now=T0)
    yield engine, ids
    engine.dispose()


def _submit(engine: Engine, editor_id: int, year: int, value: str, reason: str | None = None) -> int:
    with transaction(make_sessionmaker(engine)) as s:
        editor = s.scalar(select(User).where(User.id == editor_id).options(selectinload(User.regions)))
        assert editor is not None
        enter(s, editor, gdp(year=year, value=value, revision_reason=reason), at=dt.datetime.now(dt.UTC))
    with transaction(make_sessionmaker(engine)) as s:
        return latest_id(s, year=year)


def _while_an_approval_is_held(
    engine: Engine, ids: dict[str, int], oid: int, other: Callable[[], None]
) -> bool:
    """The first reviewer approves ``oid`` in a transaction kept open while ``other`` runs on a thread of its
    own (started once the approval is written, not yet committed); the approval commits half a second
    later. Returns whether ``other`` was still waiting then (on the approval's locks)."""
    held, release = threading.Event(), threading.Event()

    def approve() -> None:
        with transaction(make_sessionmaker(engine)) as s:
            reviewer = s.get_one(User, ids["r1"])
            review.act(
                s, reviewer, "approve", [oid], comment=None, now=dt.datetime.now(dt.UTC), path=WritePath.API
            )
            held.set()
            release.wait(timeout=30)

    def after_the_approval() -> None:
        held.wait(timeout=30)
        other()

    first = threading.Thread(target=approve)
    second = threading.Thread(target=after_the_approval)
    first.start()
    second.start()
    held.wait(timeout=30)
    second.join(timeout=0.5)
    waiting = second.is_alive()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    return waiting


def test_two_reviewers_at_once_one_wins_the_other_gets_a_conflict(
    shared: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = shared
    oid = _submit(engine, ids["editor"], 2021, "700")
    outcome: dict[str, Any] = {}

    def second() -> None:
        try:
            with transaction(make_sessionmaker(engine)) as s:
                reviewer = s.get_one(User, ids["r2"])
                review.act(
                    s,
                    reviewer,
                    "return",
                    [oid],
                    comment="再核实",
                    now=dt.datetime.now(dt.UTC),
                    path=WritePath.API,
                )
            outcome["second"] = "done"
        except Conflict as exc:
            outcome["second"] = exc

    # the second reviewer waits on the first one's transaction
    assert _while_an_approval_is_held(engine, ids, oid, second)
    assert isinstance(outcome["second"], Conflict), outcome
    assert "jx-reviewer" in outcome["second"].problem()["errors"][0]["detail_en"]
    with transaction(make_sessionmaker(engine)) as s:
        steps = s.scalars(
            select(ObservationReview.state)
            .where(ObservationReview.observation_id == oid)
            .order_by(ObservationReview.seq)
        ).all()
    assert steps == [ReviewState.SUBMITTED, ReviewState.APPROVED]


def test_an_approval_and_a_correction_at_once_lose_neither(shared: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = shared
    oid = _submit(engine, ids["editor"], 2020, "650")
    outcome: dict[str, Any] = {}

    def correct() -> None:
        outcome["new"] = _submit(engine, ids["editor"], 2020, "651", reason="核实")

    _while_an_approval_is_held(engine, ids, oid, correct)
    new = outcome["new"]
    assert new != oid
    with transaction(make_sessionmaker(engine)) as s:
        states = review.current_states(s, [oid, new])
        revision = s.scalar(select(ObservationReview.revision).where(ObservationReview.observation_id == new))
        now = dt.datetime.now(dt.UTC)
        official = counted(s, "official", now, year=2020)
        provisional = counted(s, "provisional", now, year=2020)
    # both kept: the approval of 650 and the correction to 651, which is a revision request of it
    assert states == {oid: ReviewState.APPROVED, new: ReviewState.SUBMITTED}
    assert revision is True
    assert official == provisional == Decimal("650")


def test_a_large_import_correcting_a_figure_approved_while_it_was_read_files_a_revision_request(
    shared: tuple[Engine, dict[str, int]],
) -> None:
    """An import of more than 1,000 figures (one chunk, past the per-figure locks) whose file is still being
    read when a reviewer approves one of its figures: its correction of that figure is a revision request,
    so the approved value stays in force. (The import's clock started before the approval; what it
    supersedes is judged on what is committed when it holds its locks, not on that clock.) On SQLite the
    import holds the write lock while reading, so the approval waits and is then refused as out of date."""
    from service.domain.write_scope import LOCK_KEYS_LIMIT

    engine, ids = shared
    oid = _submit(engine, ids["editor"], 2018, "600")
    with transaction(make_sessionmaker(engine)) as s:
        wide = person(s, "yrd-editor", Role.EDITOR, ("Z-YRD",)).id
        codes = sorted(
            set(s.scalars(select(Region.code).where(Region.level.in_(("city", "district", "county")))))
        )
    rows = [gdp(1, region="330421", year=2018, value="612", revision_reason="年报核实")]
    others = [(code, year) for year in range(1990, 2018) for code in codes if code != "330421"]
    rows += [
        gdp(n, region=code, year=year, value=str(900 + year % 100))
        for n, (code, year) in enumerate(others, 2)
    ]
    assert len(rows) > LOCK_KEYS_LIMIT
    reading, approved = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def file_rows() -> Iterator[ObservationInput]:  # a file still being read when the approval is made
        reading.set()
        approved.wait(timeout=2 if engine.dialect.name == "sqlite" else 30)
        yield from rows

    def import_file() -> None:
        with transaction(make_sessionmaker(engine)) as s:
            editor = s.scalar(select(User).where(User.id == wide).options(selectinload(User.regions)))
            assert editor is not None
            outcome["import"] = ingest(
                s, editor, file_rows(), path=WritePath.CLI, now=dt.datetime.now(dt.UTC)
            )

    def approve() -> None:
        reading.wait(timeout=30)
        try:
            with transaction(make_sessionmaker(engine)) as s:
                reviewer = s.get(User, ids["r1"])
                assert reviewer is not None
                review.act(
                    s,
                    reviewer,
                    "approve",
                    [oid],
                    comment=None,
                    now=dt.datetime.now(dt.UTC),
                    path=WritePath.API,
                )
            outcome["approval"] = "done"
        except Conflict as exc:
            outcome["approval"] = exc
        approved.set()

    threads = [threading.Thread(target=import_file), threading.Thread(target=approve)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    result = outcome["import"]
    assert result.applied and result.counts["revised"] == 1, result.as_dict(all_rows=False)
    with transaction(make_sessionmaker(engine)) as s:
        new = latest_id(s, year=2018)
        states = review.current_states(s, [oid, new])
        revision = s.scalar(select(ObservationReview.revision).where(ObservationReview.observation_id == new))
        now = dt.datetime.now(dt.UTC)
        official = counted(s, "official", now, year=2018)
        provisional = counted(s, "provisional", now, year=2018)
    assert new != oid and states[new] is ReviewState.SUBMITTED
    if engine.dialect.name == "postgresql":
        assert outcome["approval"] == "done"  # the approval did not wait for the file to be read
    if outcome["approval"] == "done":
        # both kept: 600 approved stays in force; 612 awaits review as a revision request of it
        assert states[oid] is ReviewState.APPROVED and revision is True
        assert result.review is not None and result.review["revision_requests"] == 1
        assert official == provisional == Decimal("600")
    else:  # the approval came after the correction and was refused: 612 is an ordinary submission
        assert isinstance(outcome["approval"], Conflict)
        assert states[oid] is ReviewState.SUBMITTED and revision is False
        assert official is None and provisional == Decimal("612")


def test_reviewers_get_a_daily_digest_and_editors_their_returns_by_e_mail(
    shared: tuple[Engine, dict[str, int]], tmp_path: Path
) -> None:
    from service.scheduler import jobs, notify_jobs
    from tests.support.smtp import Inbox, smtp_server, smtp_settings

    engine, ids = shared
    with transaction(make_sessionmaker(engine)) as s:
        for key, address in (("r1", "jx-reviewer@example.gov.cn"), ("editor", "js-editor@example.gov.cn")):
            person_ = s.get(User, ids[key])
            assert person_ is not None
            person_.email = address
    oid = _submit(engine, ids["editor"], 2019, "620")
    inbox = Inbox()
    try:
        with smtp_server(inbox) as port:
            jobs.install_context(
                jobs.JobContext(make_sessionmaker(engine), smtp_settings(port, var_dir=tmp_path))
            )
            notify_jobs.review_digests()
            notify_jobs.review_digests()  # once a day: the second queues nothing
            with transaction(make_sessionmaker(engine)) as s:
                reviewer = s.scalars(
                    select(User).where(User.id == ids["r1"]).options(selectinload(User.regions))
                ).one()
                review.act(
                    s,
                    reviewer,
                    "return",
                    [oid],
                    comment="请附统计公报来源",
                    now=dt.datetime.now(dt.UTC),
                    path=WritePath.API,
                    notify=lambda ss, obs, step: queue_returned(
                        ss, obs, step, settings=smtp_settings(port), now=dt.datetime.now(dt.UTC)
                    ),
                )
            notify_jobs.send_outbox()
            notify_jobs.send_outbox()
    finally:
        jobs.install_context(None)
    received = {m["To"]: m for m in inbox.messages}
    assert sorted(received) == ["js-editor@example.gov.cn", "jx-reviewer@example.gov.cn"]
    digest = received["jx-reviewer@example.gov.cn"]
    assert "待审核" in str(digest["Subject"])
    assert "2019" in plain_text(digest)
    back = received["js-editor@example.gov.cn"]
    assert "退回" in str(back["Subject"]) and "请附统计公报来源" in plain_text(back)
