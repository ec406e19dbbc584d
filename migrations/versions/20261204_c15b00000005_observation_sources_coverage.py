"""observations: one history per source, part-of-year coverage

A figure's history is per (indicator, region, year, source): ``source_key`` is the normalised source
(every statistics-bureau publication is ``统计局``; other sources their text without spaces and
punctuation; ``#1-10月`` appended for a figure covering part of the year), and the unique index of
originals includes it, so two offices' figures for one year stand side by side instead of forming a
chain whose winner depends on row order. ``coverage`` records the part of the year a figure covers
(1-10月, 1-9月 for 前三季度; NULL = the whole year). Existing rows get the key of their history's first
version (so each existing chain stays one line, under its original's source) and no coverage.

Revision ID: c15b00000005
Revises: c15a00000004
Create Date: 2026-12-04 18:30:00
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c15b00000005"
down_revision: str | None = "c15a00000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORIGINAL_WHERE = "supersedes_id IS NULL AND status <> 'plan_baseline'"
# service.domain.values.source_key as of this revision (a migration does not follow later code)
_BUREAU_WORDS = (
    "统计局",
    "统计公报",
    "统计年鉴",
    "调查队",
    "调查总队",
    "统计监测",
    "statistics bureau",
    "bureau of statistics",
    "stats.gov.cn",
)


def _source_key(source: str | None) -> str:
    text = unicodedata.normalize("NFKC", source or "").strip().lower()
    if any(w in text for w in _BUREAU_WORDS):
        return "统计局"
    return re.sub(r"[\W_]+", "", text)[:68]


def _backfill() -> None:
    """Each existing history under its first version's source key (versions in id order: a
    revision is always written after the version it supersedes)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, supersedes_id, source FROM observations WHERE status <> 'plan_baseline' ORDER BY id"
        )
    ).all()
    keys: dict[int, str] = {}
    updates = []
    for oid, supersedes, source in rows:
        key = keys.get(supersedes, "") if supersedes is not None else _source_key(source)
        keys[oid] = key
        if key:
            updates.append({"k": key, "i": oid})
    for start in range(0, len(updates), 5000):
        bind.execute(
            sa.text("UPDATE observations SET source_key = :k WHERE id = :i"), updates[start : start + 5000]
        )


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
    _backfill()
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index(
            "uq_observations_original",
            ["indicator_id", "region_id", "period", "source_key"],
            unique=True,
            sqlite_where=sa.text(ORIGINAL_WHERE),
            postgresql_where=sa.text(ORIGINAL_WHERE),
        )


def downgrade() -> None:
    several = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM observations WHERE {ORIGINAL_WHERE} "
                "GROUP BY indicator_id, region_id, period HAVING COUNT(*) > 1) AS s"
            )
        )
        .scalar()
    )
    if several:
        raise RuntimeError(
            f"{several} figure(s) have histories from several sources, which the older schema cannot hold "
            "(one history per indicator, region and year); remove the extra sources' rows first"
        )
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
