"""The data model: catalog, observations, users, reports, e-mail and scheduling.

Observations are append-only: a correction or retraction is a new row that points at the row it
supersedes, so any "as of" view can be rebuilt from ``reported_at``. Catalog targets are versioned the
same way (``version`` / ``valid_from`` / ``valid_to``).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, BigId, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Direction(enum.StrEnum):
    UP = "up"
    DOWN = "down"


class IndicatorKind(enum.StrEnum):
    LEVEL = "level"
    SHARE = "share"
    COUNT = "count"
    RATIO = "ratio"
    GROWTH_RATE = "growth_rate"
    INDEX = "index"


class Aggregation(enum.StrEnum):
    SUM = "sum"
    RATIO = "ratio"
    NONE = "none"


class Comparator(enum.StrEnum):
    GE = ">="
    LE = "<="
    EQ = "="
    ABOUT = "~"
    RANGE = "range"
    QUALITATIVE = "qualitative"  # no number (完成省定目标, 基本稳定, 与经济增长同步): shown, never assessed


class DeclaredForm(enum.StrEnum):
    LEVEL = "level"
    SHARE = "share"
    RATIO = "ratio"
    AVG_ANNUAL_GROWTH = "avg_annual_growth"
    ANNUAL_GROWTH = "annual_growth"
    RELATIVE_CHANGE = "relative_change"
    MULTIPLE = "multiple"
    CUMULATIVE = "cumulative"
    FULL_COVERAGE = "full_coverage"
    EACH_YEAR = "each_year"  # the value holds in every year from period_start to target_year (每年…)


class Attribute(enum.StrEnum):
    """A plan indicator's 属性: binding (约束性) or anticipatory (预期性)."""

    BINDING = "binding"
    ANTICIPATORY = "anticipatory"


class Confidence(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ObservationStatus(enum.StrEnum):
    PLAN_BASELINE = "plan_baseline"
    PRELIMINARY = "preliminary"
    FINAL = "final"
    REVISED = "revised"
    RETRACTED = "retracted"


class Qualifier(enum.StrEnum):
    """How the published figure relates to the true value (超过 = lower bound, 左右/预计 = approximate)."""

    EXACT = "exact"
    APPROXIMATE = "approximate"
    LOWER_BOUND = "lower_bound"
    UPPER_BOUND = "upper_bound"


class Role(enum.StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"
    REVIEWER = "reviewer"  # 审核员: approves or returns the figures of the regions in scope


class ReviewState(enum.StrEnum):
    """A figure's review state (数据审核); each step is a new ``ObservationReview`` row."""

    SUBMITTED = "submitted"  # 待审核
    APPROVED = "approved"  # 已审核
    RETURNED = "returned"  # 退回 (a revision request: 驳回)


class WritePath(enum.StrEnum):
    API = "api"
    WEB = "web"
    CLI = "cli"
    CATALOG = "catalog"
    SCHEDULER = "scheduler"


# The statuses below are stored as plain strings (String columns, no CHECK beyond the proposal's): the
# enums name the values once, and a StrEnum member compares and binds as its string.


class RunStatus(enum.StrEnum):
    """A report run's status: ``running`` until the run's transaction commits it ``finished``."""

    RUNNING = "running"
    FINISHED = "finished"


class ProposalStatus(enum.StrEnum):
    """What the reviewer decided about one plan-reader proposal."""

    PENDING = "pending"  # 待审核
    ACCEPTED = "accepted"  # 已接受: the target or baseline is in the catalog
    REJECTED = "rejected"  # 已拒绝


class OutboxStatus(enum.StrEnum):
    """Where an outbox message is: queued → sending (claimed) → sent / failed, or cancelled."""

    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender until ``next_attempt_at``; an expired claim is taken again
    SENT = "sent"
    FAILED = "failed"  # permanent error or out of attempts
    CANCELLED = "cancelled"  # its subscription was cancelled before it went out


class DeliveryOutcome(enum.StrEnum):
    """One delivery attempt's outcome in the delivery log."""

    SENT = "sent"
    DEFERRED = "deferred"  # a temporary error: queued again after the back-off
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the attempt's claim expired before its outcome was recorded
    CANCELLED = "cancelled"  # the message was cancelled with its subscription


# --- catalog -----------------------------------------------------------------------------------


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title_zh: Mapped[str] = mapped_column(Unicode(300))
    title_en: Mapped[str] = mapped_column(Unicode(300))
    issuer: Mapped[str | None] = mapped_column(Unicode(300))
    issued: Mapped[str | None] = mapped_column(String(10), comment="YYYY, YYYY-MM or YYYY-MM-DD")
    base_year: Mapped[int | None]
    horizon_years: Mapped[list[Any]] = mapped_column(default=list)
    period_start: Mapped[int | None] = mapped_column(
        comment="first year of the plan period (2026 of 2026-2030)"
    )
    period_end: Mapped[int | None] = mapped_column(comment="last year of the plan period")
    source_document: Mapped[str] = mapped_column(String(200))
    document_title: Mapped[str | None] = mapped_column(Unicode(300))
    note: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


region_members = Table(
    "region_members",
    Base.metadata,
    Column("zone_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(Unicode(120))
    name_en: Mapped[str] = mapped_column(Unicode(200))
    level: Mapped[str] = mapped_column(String(20))
    admin_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64))

    members: Mapped[list[Region]] = relationship(
        secondary=region_members,
        primaryjoin=lambda: Region.id == region_members.c.zone_id,
        secondaryjoin=lambda: Region.id == region_members.c.member_id,
        lazy="raise",
        order_by=lambda: Region.code,
    )

    @property
    def is_zone(self) -> bool:
        return self.level == "zone"


class Indicator(Base):
    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(Unicode(200))
    name_en: Mapped[str] = mapped_column(Unicode(300))
    unit: Mapped[str] = mapped_column(Unicode(40))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    kind: Mapped[IndicatorKind] = mapped_column(_enum(IndicatorKind))
    aggregation: Mapped[Aggregation] = mapped_column(_enum(Aggregation))
    numerator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"))
    denominator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id"))
    scale: Mapped[Decimal | None]
    category: Mapped[str] = mapped_column(String(40), default="other")
    synonyms: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64))


class Organisation(Base):
    """A department or district government that plan targets are assigned to (indicators/organisations.yaml)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(Unicode(200))
    name_en: Mapped[str] = mapped_column(Unicode(300))
    kind: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64))


class TargetAssignment(Base):
    """One organisation's responsibility for one target (牵头 lead / 配合 support), per (plan, target key).

    The current assignment has ``valid_to`` NULL; a change closes the row and adds a new one."""

    __tablename__ = "target_assignments"
    __table_args__ = (
        Index("ix_target_assignments_current", "plan_id", "target_key", "valid_to"),
        CheckConstraint("role IN ('lead', 'support')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    target_key: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    source: Mapped[str | None] = mapped_column(
        Unicode(400), comment="the notice that assigns it (分解落实方案)"
    )
    valid_from: Mapped[dt.datetime] = mapped_column(default=utcnow)
    valid_to: Mapped[dt.datetime | None]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Target(Base):
    """One version of one catalog target; the current version has ``valid_to`` NULL."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("plan_id", "key", "version"),
        Index("ix_targets_current", "plan_id", "key", "valid_to"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    key: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[dt.datetime] = mapped_column(default=utcnow)
    valid_to: Mapped[dt.datetime | None]
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    chapter: Mapped[str | None] = mapped_column(Unicode(200))
    unit: Mapped[str] = mapped_column(Unicode(40), comment="unit as written in the plan")
    comparator: Mapped[Comparator] = mapped_column(_enum(Comparator))
    value: Mapped[Decimal | None]
    low: Mapped[Decimal | None]
    high: Mapped[Decimal | None]
    stretch_value: Mapped[Decimal | None]
    tolerance: Mapped[Decimal | None]
    target_year: Mapped[int]
    reference_year: Mapped[int | None]
    period_start: Mapped[int | None] = mapped_column(
        comment="first year of the period a yearly or cumulative target covers (target_year is the last)"
    )
    declared_form: Mapped[DeclaredForm] = mapped_column(_enum(DeclaredForm))
    attribute: Mapped[Attribute | None] = mapped_column(
        _enum(Attribute), comment="binding 约束性 / anticipatory 预期性"
    )
    baseline_value: Mapped[Decimal | None]
    baseline_year: Mapped[int | None]
    source_document: Mapped[str] = mapped_column(String(200))
    source_quote: Mapped[str] = mapped_column(Text)
    confidence: Mapped[Confidence] = mapped_column(_enum(Confidence), default=Confidence.HIGH)
    note: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))

    # decomposition (分解) and yearly milestones
    parent_key: Mapped[str | None] = mapped_column(
        String(120), comment="a sub-target of this plan's target with this key"
    )
    split: Mapped[str | None] = mapped_column(
        String(8), comment="sum: sub-target quotas add up to it; each: every sub-target meets it"
    )
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    serves: Mapped[str | None] = mapped_column(
        String(200), comment="a yearly milestone: plan/key of the target it serves"
    )

    # provenance of a target accepted from the plan reader (NULL for targets loaded from indicators/)
    quote_position: Mapped[int | None] = mapped_column(
        comment="character offset of the quote in the document"
    )
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[dt.datetime | None]

    plan: Mapped[Plan] = relationship(lazy="raise")
    indicator: Mapped[Indicator] = relationship(lazy="raise")
    region: Mapped[Region] = relationship(lazy="raise")


class ProgressStatement(Base):
    """A progress statement (进展情况说明) on a target for a year, per (plan, target key); append-only: a
    correction is a new row naming the one it corrects (``supersedes_id``)."""

    __tablename__ = "progress_statements"
    __table_args__ = (Index("ix_progress_statements_target", "plan_id", "target_key", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    target_key: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(comment="the year the statement speaks for")
    text: Mapped[str] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_statements.id"), unique=True, comment="the statement this one corrects"
    )
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StatementFile(Base):
    """A file attached to a progress statement (支撑材料), stored under the data directory by its sha256."""

    __tablename__ = "statement_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("progress_statements.id"), index=True)
    filename: Mapped[str] = mapped_column(Unicode(255), comment="as the user named it: shown, never a path")
    media_type: Mapped[str] = mapped_column(String(100), comment="from the file's magic bytes")
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True, comment="the stored file's name and checksum")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PlanReading(Base):
    """A plan document read by the plan reader; its proposals wait for an administrator's review."""

    __tablename__ = "plan_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(Unicode(200))
    sha256: Mapped[str] = mapped_column(String(64))
    plan_code: Mapped[str] = mapped_column(String(80))
    plan_title: Mapped[str] = mapped_column(Unicode(300))
    issued: Mapped[str | None] = mapped_column(String(10))
    region_code: Mapped[str | None] = mapped_column(String(40))
    chars: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, comment="the document's text, for showing the quotes in context")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PlanProposal(Base):
    """One target or baseline the plan reader proposes, and what the reviewer decided."""

    __tablename__ = "plan_proposals"
    __table_args__ = (
        UniqueConstraint("reading_id", "seq"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in ProposalStatus) + ")", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reading_id: Mapped[int] = mapped_column(ForeignKey("plan_readings.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10), comment="target or baseline")
    indicator_code: Mapped[str | None] = mapped_column(
        String(80), comment="NULL: a new indicator is proposed"
    )
    indicator_name: Mapped[str] = mapped_column(Unicode(200))
    region_code: Mapped[str | None] = mapped_column(String(40))
    comparator: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal | None]
    low: Mapped[Decimal | None]
    high: Mapped[Decimal | None]
    stretch_value: Mapped[Decimal | None]
    unit: Mapped[str] = mapped_column(Unicode(40))
    target_year: Mapped[int | None] = mapped_column(comment="for a baseline: the year the figure describes")
    period_start: Mapped[int | None]
    reference_year: Mapped[int | None]
    declared_form: Mapped[str] = mapped_column(String(24))
    attribute: Mapped[str | None] = mapped_column(String(16), comment="binding / anticipatory")
    baseline_value: Mapped[Decimal | None]
    baseline_year: Mapped[int | None]
    quote: Mapped[str] = mapped_column(Text)
    quote_start: Mapped[int]
    quote_end: Mapped[int]
    line: Mapped[int]
    sentence: Mapped[str] = mapped_column(Text)
    chapter: Mapped[str | None] = mapped_column(Unicode(200))
    confidence: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(
        String(200), comment="plan/key of the same catalog target"
    )
    status: Mapped[str] = mapped_column(String(10), default=ProposalStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    note: Mapped[str | None] = mapped_column(Text)


# --- observations ------------------------------------------------------------------------------


class ImportBatch(Base):
    """One write of observations (a single API call, a form, a file, the catalog's baselines)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    path: Mapped[WritePath] = mapped_column(_enum(WritePath))
    filename: Mapped[str | None] = mapped_column(Unicode(300))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    added: Mapped[int] = mapped_column(default=0)
    revised: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    response: Mapped[dict[str, Any] | None]

    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)


class ImportMapping(Base):
    """A correction of how a file's headers read (a header's text -> indicator, region or year, or ignored),
    remembered for the next file of the same shape (the same row and column labels, years aside)."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    shape: Mapped[str] = mapped_column(String(64), unique=True)
    mapping: Mapped[dict[str, Any]]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Observation(Base):
    """A value of an indicator for a region and year, as known from ``reported_at`` on (a vintage)."""

    __tablename__ = "observations"
    __table_args__ = (
        Index("ix_observations_series", "indicator_id", "region_id", "period", "reported_at"),
        Index("ix_observations_reported_at", "reported_at"),
        # A figure's history is one line per source: one original per (indicator, region, year,
        # source_key) (plan baselines,
        # quoted per plan, keep their own chains) and no version superseded twice. Concurrent writers
        # of the same figure meet here; the loser re-reads and becomes a revision (see ingest).
        Index(
            "uq_observations_original",
            "indicator_id",
            "region_id",
            "period",
            "source_key",
            unique=True,
            sqlite_where=text("supersedes_id IS NULL AND status <> 'plan_baseline'"),
            postgresql_where=text("supersedes_id IS NULL AND status <> 'plan_baseline'"),
        ),
        Index("uq_observations_supersedes_id", "supersedes_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    period: Mapped[int] = mapped_column(comment="calendar year the figure describes")
    value: Mapped[Decimal | None] = mapped_column(
        comment="in the indicator's canonical unit; NULL if retracted"
    )
    value_as_entered: Mapped[str | None] = mapped_column(Unicode(60))
    unit_as_entered: Mapped[str | None] = mapped_column(Unicode(40))
    status: Mapped[ObservationStatus] = mapped_column(_enum(ObservationStatus))
    qualifier: Mapped[Qualifier] = mapped_column(_enum(Qualifier), default=Qualifier.EXACT)
    series_break: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(Unicode(400))
    source_key: Mapped[str] = mapped_column(
        Unicode(80),
        default="",
        server_default="",
        comment="normalised source: one history per (indicator, region, year, source_key)",
    )
    coverage: Mapped[str | None] = mapped_column(
        Unicode(20), comment="part of the year the figure covers (1-10月); NULL = the whole year"
    )
    source_url: Mapped[str | None] = mapped_column(String(1000))
    note: Mapped[str | None] = mapped_column(Text)
    revision_reason: Mapped[str | None] = mapped_column(Text)
    published_on: Mapped[dt.date | None] = mapped_column(
        comment="发布日期: when the source made it public; NULL = unknown (reported_at stands in)"
    )
    reported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id"))


class ObservationReview(Base):
    """One step of one figure version's review, append-only: submitted, approved or returned, by whom,
    when and why. The step with the highest ``seq`` is the version's state; two reviewers acting on the
    same version at once both write ``seq`` + 1, and the unique constraint lets only one of them in.
    A version without any step (entered while review was off) counts as approved."""

    __tablename__ = "observation_reviews"
    __table_args__ = (
        UniqueConstraint("observation_id", "seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        Index("ix_observation_reviews_state_at", "state", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observations.id"))
    seq: Mapped[int] = mapped_column(comment="1 = submission; each later step + 1")
    state: Mapped[ReviewState] = mapped_column(_enum(ReviewState))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), comment="who took the step; NULL: approved on entry by the review policy"
    )
    comment: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        comment="a revision request: the version corrects an approved figure, whose value stays in force",
    )


class ReviewSetting(Base):
    """The review policy as switched by an administrator, append-only: the latest row is in force; no
    row means review is off (one office: every figure counts the moment it is stored)."""

    __tablename__ = "review_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    approve_admin: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="an administrator's entries are approved on entry"
    )
    approve_published: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="published statistics loaded by init are approved on entry"
    )


# --- people and access -------------------------------------------------------------------------

user_regions = Table(
    "user_regions",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)

user_indicators = Table(
    "user_indicators",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_id", ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(Unicode(120))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(_enum(Role))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    regions: Mapped[list[Region]] = relationship(secondary=user_regions, lazy="raise")
    indicators: Mapped[list[Indicator]] = relationship(secondary=user_indicators, lazy="raise")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Unicode(120), default="default")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 of the token")
    prefix: Mapped[str] = mapped_column(String(16), comment="first characters, to tell tokens apart")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class WebSession(Base):
    """A browser login. The cookie holds a random value; only its hash is stored, so a leaked table
    opens no session. Logout, disabling the user or changing their password or role sets revoked_at."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 of the cookie value")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    """A refused web login, counted per submitted username and per client address within the lock window
    (in the database, so that the limit holds across several web processes). Rows older than the window
    are deleted; a successful login deletes its username's rows."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(10), comment="failed (counts) or locked (refused unchecked)")


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    path: Mapped[WritePath] = mapped_column(_enum(WritePath))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    request_id: Mapped[str | None] = mapped_column(String(64))


# --- reports -----------------------------------------------------------------------------------


class ReportRun(Base):
    __tablename__ = "report_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.datetime] = mapped_column(index=True)
    recorded_until: Mapped[dt.datetime | None] = mapped_column(
        comment="recording cut-off: only what was recorded by then counts (now, for a run made now)"
    )
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.RUNNING)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    method_version: Mapped[str] = mapped_column(String(20))
    threshold_profile: Mapped[str] = mapped_column(String(20))
    review_view: Mapped[str | None] = mapped_column(
        String(12),
        comment="official (approved figures only) / provisional (also under review); NULL: review off",
    )
    summary: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)


class Assessment(Base):
    """The judgement of one target version in one run, with the exact inputs it used."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("run_id", "target_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("report_runs.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    latest_year: Mapped[int | None]
    latest_value: Mapped[float | None] = mapped_column(Float)
    base_year: Mapped[int | None]
    base_value: Mapped[float | None] = mapped_column(Float)
    target_level: Mapped[float | None] = mapped_column(Float)
    pace_ratio: Mapped[float | None] = mapped_column(Float)
    completion: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    inputs: Mapped[list[Any]] = mapped_column(default=list, comment="observation ids used")


# --- e-mail ------------------------------------------------------------------------------------


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(254), index=True, comment="NULL for a chat channel")
    channel: Mapped[str] = mapped_column(
        String(16), default="email", server_default="email", comment="email, wecom, dingtalk or webhook"
    )
    channel_secret: Mapped[str | None] = mapped_column(
        Text, comment="chat channel: its URL and signing secret, encrypted (Fernet)"
    )
    channel_label: Mapped[str | None] = mapped_column(
        String(200), comment="chat channel as shown: host and the last 4 characters of its key"
    )
    plan_codes: Mapped[list[Any]] = mapped_column(default=list)
    region_codes: Mapped[list[Any]] = mapped_column(default=list)
    indicator_codes: Mapped[list[Any]] = mapped_column(default=list)
    organisation_codes: Mapped[list[Any] | None] = mapped_column(
        comment="only what these organisations are accountable for"
    )
    cadence: Mapped[str] = mapped_column(String(20), default="after_run")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[dt.datetime | None]
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("report_runs.id", ondelete="SET NULL"))


class OutboxMessage(Base):
    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Unicode(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(
        String(16), default="email", server_default="email", comment="email, wecom, dingtalk or webhook"
    )
    destination: Mapped[str | None] = mapped_column(
        Text, comment="chat channel: the URL and signing secret it goes to, encrypted (Fernet)"
    )


class DeliveryLog(Base):
    __tablename__ = "email_delivery_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("email_outbox.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(
        String(40), comment="the platform's answer code (企业微信/钉钉 errcode, HTTP status, SMTP code)"
    )


class ReportingDeadline(Base):
    """When each year's figure is due: by default the year's statistics by a day of a later year.

    The most specific row wins: (indicator, region) over (indicator, any region) over (any, region)
    over the default row with neither.
    """

    __tablename__ = "reporting_deadlines"
    __table_args__ = (UniqueConstraint("indicator_id", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    due_month: Mapped[int] = mapped_column(default=3)
    due_day: Mapped[int] = mapped_column(default=31)
    lag_years: Mapped[int] = mapped_column(default=1, comment="the figure for year Y is due in year Y + lag")
    remind_days_before: Mapped[int] = mapped_column(default=14)


# --- scheduling --------------------------------------------------------------------------------


class SchedulerLease(Base):
    """Who may run scheduled jobs: one row per lease name, held until ``expires_at``."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    epoch: Mapped[int] = mapped_column(
        default=1, server_default="1", comment="fencing token: +1 each time another holder takes the lease"
    )


class DataChange(Base):
    """A committed change that report runs have not yet covered (data imported, catalog changed).

    Written in the same transaction as the change; a run deletes the rows it read, in its own
    transaction. Unlike a timestamp watermark, this cannot miss a long transaction that commits after
    a run started: its row simply is not there yet, and the next run picks it up.
    """

    __tablename__ = "data_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(20), comment="observations | catalog")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))
    indicator_ids: Mapped[list[Any] | None] = mapped_column(comment="indicators touched, if known")
    series: Mapped[list[Any] | None] = mapped_column(
        comment="[indicator_id, region_id] pairs touched, if known"
    )


# APScheduler 3's SQLAlchemyJobStore table, declared here so migrations own it and `alembic check` sees it.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
