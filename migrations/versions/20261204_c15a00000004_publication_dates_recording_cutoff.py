"""publication dates of figures, recording cut-off of report runs

Two clocks for every figure (METHODOLOGY.md, "Vintages"): ``observations.published_on`` is when the
source made it public (NULL = unknown: the time it was recorded stands in, flagged as such), beside
``reported_at``, when this service recorded it. ``report_runs.recorded_until`` is a run's recording
cut-off: a run reads what was published by its ``as_of`` and recorded by its cut-off, so rerunning it
later gives the same result.

Existing data is kept: existing figures get no publication date (they count as published when they
were recorded, as before), except plan baselines, which take their plan's issue date (the last day of
the period stated: '2019' -> 2019-12-31, '2023-07' -> 2023-07-31). Existing runs get their start as
cut-off (before this revision a run read what was recorded by its as_of, never after its start).

Revision ID: c15a00000004
Revises: c14a00000003
Create Date: 2026-12-04 18:30:00
"""

import calendar
import datetime as dt
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.db.base

revision: str = "c15a00000004"
down_revision: str | None = "c14a00000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _period_end(text: str | None) -> dt.date | None:
    m = re.match(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$", text or "")
    if m is None:
        return None
    year = int(m[1])
    try:
        if m[2] is None:
            return dt.date(year, 12, 31)
        if m[3] is None:
            return dt.date(year, int(m[2]), calendar.monthrange(year, int(m[2]))[1])
        return dt.date(year, int(m[2]), int(m[3]))
    except ValueError:
        return None


def upgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "published_on",
                sa.Date(),
                nullable=True,
                comment="发布日期: when the source made it public; NULL = unknown (reported_at stands in)",
            )
        )
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "recorded_until",
                service.db.base.UTCDateTime(timezone=True),
                nullable=True,
                comment="recording cut-off: only what was recorded by then counts (now, for a run made now)",
            )
        )
    # nullable only so that SQLite need not rebuild the table (every run writes it)
    op.execute("UPDATE report_runs SET recorded_until = started_at")
    # plan baselines: their plan's issue date (the source the catalog names them by)
    bind = op.get_bind()
    plans = sa.table("plans", sa.column("title_zh"), sa.column("source_document"), sa.column("issued"))
    observations = sa.table(
        "observations", sa.column("status"), sa.column("source"), sa.column("published_on", sa.Date())
    )
    for title, document, issued in bind.execute(
        sa.select(plans.c.title_zh, plans.c.source_document, plans.c.issued)
    ):
        day = _period_end(issued)
        if day is None:
            continue
        bind.execute(
            observations.update()
            .where(
                observations.c.status == "plan_baseline",
                observations.c.source == f"{title}（{document}）",
                observations.c.published_on.is_(None),
            )
            .values(published_on=day)
        )


def downgrade() -> None:
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.drop_column("recorded_until")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_column("published_on")
