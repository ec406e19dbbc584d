"""Whether figures are reviewed (数据审核) and who skips the step: the switch in force, read by review
itself and by the vintage rules that decide which versions a view counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ReviewSetting


@dataclass(frozen=True, slots=True)
class Policy:
    enabled: bool = False
    approve_admin: bool = True
    approve_published: bool = True
    since: dt.datetime | None = None


def policy(session: Session) -> Policy:
    """The review policy in force: the latest switch; none recorded: review off."""
    row = session.scalar(select(ReviewSetting).order_by(ReviewSetting.id.desc()).limit(1))
    if row is None:
        return Policy()
    return Policy(row.enabled, row.approve_admin, row.approve_published, row.at)
