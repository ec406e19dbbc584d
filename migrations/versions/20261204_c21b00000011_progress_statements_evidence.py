"""progress statements (进展情况说明) and their supporting files (支撑材料)

``progress_statements``: what a department says about a target's progress for a year, per (plan, target
key) so that it outlives a new version of the target; append-only: a correction is a new row that names
the row it corrects (``supersedes_id``). ``statement_files``: the files attached to a statement (PDF,
DOCX, PNG, JPEG), stored outside the database under the instance's data directory by their sha256; the
row keeps the checksum, the size, the detected type and the name the user gave (shown, never used as a
path). No existing row changes.

Revision ID: c21b00000011
Revises: c18a00000006
Create Date: 2026-12-04 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.base

revision: str = "c21b00000011"
down_revision: str | None = "c20a00000010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "progress_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("target_key", sa.String(length=120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False, comment="the year the statement speaks for"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True, comment="the statement this one corrects"),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_progress_statements_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_progress_statements_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_progress_statements_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["progress_statements.id"],
            name=op.f("fk_progress_statements_supersedes_id_progress_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_statements")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_progress_statements_supersedes_id")),
    )
    op.create_index("ix_progress_statements_target", "progress_statements", ["plan_id", "target_key", "year"])
    op.create_table(
        "statement_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column(
            "filename",
            sa.Unicode(length=255),
            nullable=False,
            comment="as the user named it: shown, never a path",
        ),
        sa.Column("media_type", sa.String(length=100), nullable=False, comment="from the file's magic bytes"),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column(
            "sha256", sa.String(length=64), nullable=False, comment="the stored file's name and checksum"
        ),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["progress_statements.id"],
            name=op.f("fk_statement_files_statement_id_progress_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_files")),
    )
    op.create_index(op.f("ix_statement_files_statement_id"), "statement_files", ["statement_id"])
    op.create_index(op.f("ix_statement_files_sha256"), "statement_files", ["sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_statement_files_sha256"), table_name="statement_files")
    op.drop_index(op.f("ix_statement_files_statement_id"), table_name="statement_files")
    op.drop_table("statement_files")
    op.drop_index("ix_progress_statements_target", table_name="progress_statements")
    op.drop_table("progress_statements")
