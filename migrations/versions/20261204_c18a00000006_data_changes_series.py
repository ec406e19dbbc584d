"""data_changes: the series a change touched, so that a run may reassess only what it can change

``series`` lists the (indicator_id, region_id) pairs whose figures a write added or revised (NULL:
not known, and then the next run reassesses every target, as before). The scheduler reassesses the
targets those series feed (the series itself, the zones containing the region, ratios built on it)
and carries every other assessment over from the previous run.

Revision ID: c18a00000006
Revises: c21a00000008
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c18a00000006"
down_revision: str | None = "c21a00000008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("data_changes") as batch:
        batch.add_column(
            sa.Column(
                "series",
                sa.JSON(),
                nullable=True,
                comment="[indicator_id, region_id] pairs touched, if known",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("data_changes") as batch:
        batch.drop_column("series")
