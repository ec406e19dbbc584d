"""organisations, target assignments (牵头/配合单位), sub-targets and yearly milestones

``organisations``: departments and district governments (catalog file indicators/organisations.yaml).
``target_assignments``: who leads (牵头单位) and who supports (配合单位) a target, per (plan, target key)
so that an assignment outlives a new version of its target; a change closes the current row
(``valid_to``) and adds a new one, never rewrites it. ``users.organisation_id``: the bureau a user
works for. ``targets``: ``parent_key`` (a sub-target: a district quota or an organisation's share of a
target of the same plan), ``split`` on the parent (``sum``: the quotas must add up to it; ``each``: every
sub-target must meet its rate), ``organisation_id`` (a sub-target for an organisation) and ``serves``
(a yearly milestone: ``plan/key`` of the five-year target it serves). Existing rows keep their values;
the new columns are empty.

Revision ID: c21a00000008
Revises: c22a00000009
Create Date: 2026-12-04 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c21a00000008"
down_revision: str | None = "c22a00000009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name_zh", sa.Unicode(length=200), nullable=False),
        sa.Column("name_en", sa.Unicode(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_organisations_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_organisations_code")),
    )
    op.create_table(
        "target_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.String(length=120), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column(
            "source",
            sa.Unicode(length=400),
            nullable=True,
            comment="the notice that assigns it (分解落实方案)",
        ),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('lead', 'support')", name=op.f("ck_target_assignments_role_known")),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_target_assignments_assigned_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_target_assignments_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_target_assignments_plan_id_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_assignments")),
    )
    op.create_index(
        "ix_target_assignments_current", "target_assignments", ["plan_id", "target_key", "valid_to"]
    )
    op.create_index(op.f("ix_target_assignments_organisation_id"), "target_assignments", ["organisation_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_users_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(
            sa.Column(
                "organisation_codes",
                sa.JSON(),
                nullable=True,
                comment="only what these organisations are accountable for",
            )
        )
    with op.batch_alter_table("targets") as batch:
        batch.add_column(
            sa.Column(
                "parent_key",
                sa.String(length=120),
                nullable=True,
                comment="a sub-target of this plan's target with this key",
            )
        )
        batch.add_column(
            sa.Column(
                "split",
                sa.String(length=8),
                nullable=True,
                comment="sum: sub-target quotas add up to it; each: every sub-target meets it",
            )
        )
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "serves",
                sa.String(length=200),
                nullable=True,
                comment="a yearly milestone: plan/key of the target it serves",
            )
        )
        batch.create_foreign_key(
            op.f("fk_targets_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.drop_constraint(op.f("fk_targets_organisation_id_organisations"), type_="foreignkey")
        batch.drop_column("serves")
        batch.drop_column("organisation_id")
        batch.drop_column("split")
        batch.drop_column("parent_key")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("organisation_codes")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("fk_users_organisation_id_organisations"), type_="foreignkey")
        batch.drop_column("organisation_id")
    op.drop_index(op.f("ix_target_assignments_organisation_id"), table_name="target_assignments")
    op.drop_index("ix_target_assignments_current", table_name="target_assignments")
    op.drop_table("target_assignments")
    op.drop_table("organisations")
