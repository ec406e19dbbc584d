"""Region hierarchy and composite zones, read once per unit of work."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.db.models import Indicator, Plan, Region, Target, region_members


def zone_members(session: Session) -> dict[int, list[int]]:
    """zone id -> its member region ids."""
    members: dict[int, list[int]] = defaultdict(list)
    for zone, member in session.execute(select(region_members.c.zone_id, region_members.c.member_id)):
        members[zone].append(member)
    return members


def expected_indicators(session: Session, region: Region, plan: Plan | None = None) -> list[Indicator]:
    """Indicators of the current targets set for the region or a zone containing it, then ratio components.

    Ordered as the catalog lists the targets (plan, key); each ratio's numerator and denominator follow it.
    """
    zones = select(region_members.c.zone_id).where(region_members.c.member_id == region.id)
    stmt = (
        select(Target.indicator_id)
        .join(Plan, Target.plan_id == Plan.id)
        .where(Target.valid_to.is_(None), or_(Target.region_id == region.id, Target.region_id.in_(zones)))
        .order_by(Plan.code, Target.key)
    )
    if plan is not None:
        stmt = stmt.where(Target.plan_id == plan.id)
    target_ids = list(session.scalars(stmt))
    if not target_ids:
        return []
    by_id = {i.id: i for i in session.scalars(select(Indicator))}
    ordered: list[Indicator] = []
    seen: set[int] = set()

    def add(indicator_id: int | None) -> None:
        if indicator_id is None or indicator_id in seen:
            return
        seen.add(indicator_id)
        indicator = by_id[indicator_id]
        ordered.append(indicator)
        if indicator.numerator_id and indicator.denominator_id:
            add(indicator.numerator_id)
            add(indicator.denominator_id)

    for indicator_id in target_ids:
        add(indicator_id)
    return ordered
