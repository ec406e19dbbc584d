"""plan periods, target attributes, yearly and qualitative targets

Adds what the 十五五 plans say and the older catalog could not hold: a plan's period (2026–2030), a
target's attribute (binding 约束性 / anticipatory 预期性) and the first year of the period a yearly or
cumulative target covers; widens the plan reader's comparator column for ``qualitative``. The new
comparator ``qualitative`` and form ``each_year`` need no DDL (enums are stored as text without a
CHECK constraint). Every column is nullable: existing plans and targets keep their rows unchanged.

Revision ID: c14a00000003
Revises: c13b00000002
Create Date: 2026-12-04 17:04:35.944656
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c14a00000003"
down_revision: str | None = "c13b00000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_proposals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attribute", sa.String(length=16), nullable=True, comment="binding / anticipatory")
        )
        batch_op.alter_column(
            "comparator",
            existing_type=sa.VARCHAR(length=8),
            type_=sa.String(length=16),
            existing_nullable=False,
        )

    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "period_start",
                sa.Integer(),
                nullable=True,
                comment="first year of the plan period (2026 of 2026-2030)",
            )
        )
        batch_op.add_column(
            sa.Column("period_end", sa.Integer(), nullable=True, comment="last year of the plan period")
        )

    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "period_start",
                sa.Integer(),
                nullable=True,
                comment="first year of the period a yearly or cumulative target covers (target_year is the last)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "attribute",
                sa.Enum("binding", "anticipatory", name="attribute", native_enum=False, length=24),
                nullable=True,
                comment="binding 约束性 / anticipatory 预期性",
            )
        )


def downgrade() -> None:
    # The older schema cannot express these targets: refuse rather than leave rows it cannot read.
    conn = op.get_bind()
    new_kinds = conn.scalar(
        sa.text(
            "SELECT count(*) FROM targets WHERE comparator = 'qualitative' OR declared_form = 'each_year'"
        )
    ) + conn.scalar(sa.text("SELECT count(*) FROM plan_proposals WHERE length(comparator) > 8"))
    if new_kinds:
        raise RuntimeError(
            f"{new_kinds} qualitative or each_year target(s) or proposal(s) exist; remove them before downgrading"
        )
    if conn.dialect.name == "sqlite":
        # Recreating these tables (batch mode) would drop tables other rows point at while SQLite enforces
        # foreign keys; SQLite >= 3.35 drops a plain column in place, and does not enforce VARCHAR lengths.
        for table, column in (
            ("targets", "attribute"),
            ("targets", "period_start"),
            ("plans", "period_end"),
            ("plans", "period_start"),
            ("plan_proposals", "attribute"),
        ):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_column("attribute")
        batch_op.drop_column("period_start")

    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("period_end")
        batch_op.drop_column("period_start")

    with op.batch_alter_table("plan_proposals", schema=None) as batch_op:
        batch_op.alter_column(
            "comparator",
            existing_type=sa.String(length=16),
            type_=sa.VARCHAR(length=8),
            existing_nullable=False,
        )
        batch_op.drop_column("attribute")
