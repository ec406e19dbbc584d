"""integrity: one line of history per figure, a fencing epoch on the scheduler lease, pending changes

Revision ID: c13a00000001
Revises: 5667a2280018
Create Date: 2026-12-04

Before the unique indexes go on, any history that concurrent writers forked is straightened out (no
row is deleted or changed in value): where several originals of one figure exist, each later one is
chained to the one before it; where several versions supersede the same row, each later one is
chained to the one before it. Order is the order of recording (reported_at, id).
"""

import itertools
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.base

revision: str = "c13a00000001"
down_revision: str | None = "5667a2280018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORIGINAL_WHERE = "supersedes_id IS NULL AND status <> 'plan_baseline'"


def _relink(groups_sql: str, members_sql: str) -> None:
    bind = op.get_bind()
    for key in bind.execute(sa.text(groups_sql)).all():
        ids = [r[0] for r in bind.execute(sa.text(members_sql), dict(key._mapping)).all()]
        for earlier, later in itertools.pairwise(ids):
            bind.execute(
                sa.text("UPDATE observations SET supersedes_id = :earlier WHERE id = :later"),
                {"earlier": earlier, "later": later},
            )


def upgrade() -> None:
    # forked chains: several versions superseding one row (repeat until none: relinking can expose
    # a new pair when a fork had more than two branches)
    for _ in range(100):
        forks = (
            op.get_bind()
            .execute(
                sa.text(
                    "SELECT supersedes_id FROM observations WHERE supersedes_id IS NOT NULL "
                    "GROUP BY supersedes_id HAVING COUNT(*) > 1"
                )
            )
            .all()
        )
        if not forks:
            break
        _relink(
            "SELECT supersedes_id AS s FROM observations WHERE supersedes_id IS NOT NULL "
            "GROUP BY supersedes_id HAVING COUNT(*) > 1",
            "SELECT id FROM observations WHERE supersedes_id = :s ORDER BY reported_at, id",
        )
    # several originals of one figure
    _relink(
        f"SELECT indicator_id AS i, region_id AS r, period AS p FROM observations WHERE {ORIGINAL_WHERE} "
        "GROUP BY indicator_id, region_id, period HAVING COUNT(*) > 1",
        f"SELECT id FROM observations WHERE {ORIGINAL_WHERE} AND indicator_id = :i AND region_id = :r "
        "AND period = :p ORDER BY reported_at, id",
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("ix_observations_supersedes_id")
        batch_op.create_index("uq_observations_supersedes_id", ["supersedes_id"], unique=True)
        batch_op.create_index(
            "uq_observations_original",
            ["indicator_id", "region_id", "period"],
            unique=True,
            sqlite_where=sa.text(ORIGINAL_WHERE),
            postgresql_where=sa.text(ORIGINAL_WHERE),
        )
    with op.batch_alter_table("scheduler_lease", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "epoch",
                sa.Integer(),
                server_default="1",
                nullable=False,
                comment="fencing token: +1 each time another holder takes the lease",
            )
        )
    op.create_table(
        "data_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False, comment="observations | catalog"),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("indicator_ids", sa.JSON(), nullable=True, comment="indicators touched, if known"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_data_changes_batch_id_import_batches"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_changes")),
    )
    op.create_index(op.f("ix_data_changes_at"), "data_changes", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_data_changes_at"), table_name="data_changes")
    op.drop_table("data_changes")
    with op.batch_alter_table("scheduler_lease", schema=None) as batch_op:
        batch_op.drop_column("epoch")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("uq_observations_original")
        batch_op.drop_index("uq_observations_supersedes_id")
        batch_op.create_index("ix_observations_supersedes_id", ["supersedes_id"], unique=False)
