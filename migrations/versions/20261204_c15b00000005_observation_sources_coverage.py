"""observations: one history per source, part-of-year coverage

A figure's history is per (indicator, region, year, source): ``source_key`` is the normalised source
(every statistics-bureau publication is ``统计局``; other sources their text without spaces and
punctuation; ``#1-10月`` appended for a figure covering part of the year), and the unique index of
originals includes it, so two offices' figures for one year stand side by side instead of forming a
chain whose winner depends on row order. ``coverage`` records the part of the year a figure covers
(1-10月, 1-9月 for 前三季度; NULL = the whole year). Existing rows get ``source_key`` '' (their chains
stay as they are, one line per figure) and no coverage.

Revision ID: c15b00000005
Revises: c14a00000003
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c15b00000005"
down_revision: str | None = "c14a00000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORIGINAL_WHERE = "supersedes_id IS NULL AND status <> 'plan_baseline'"


def upgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source_key",
                sa.Unicode(length=80),
                server_default="",
                nullable=False,
                comment="normalised source: one history per (indicator, region, year, source_key)",
            )
        )
        batch_op.add_column(
            sa.Column(
                "coverage",
                sa.Unicode(length=20),
                nullable=True,
                comment="part of the year the figure covers (1-10月); NULL = the whole year",
            )
        )
        batch_op.drop_index("uq_observations_original")
        batch_op.create_index(
            "uq_observations_original",
            ["indicator_id", "region_id", "period", "source_key"],
            unique=True,
            sqlite_where=sa.text(ORIGINAL_WHERE),
            postgresql_where=sa.text(ORIGINAL_WHERE),
        )


def downgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("uq_observations_original")
        batch_op.create_index(
            "uq_observations_original",
            ["indicator_id", "region_id", "period"],
            unique=True,
            sqlite_where=sa.text(ORIGINAL_WHERE),
            postgresql_where=sa.text(ORIGINAL_WHERE),
        )
        batch_op.drop_column("coverage")
        batch_op.drop_column("source_key")
