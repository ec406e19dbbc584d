"""What a writer of figures may touch, and how writers of the same figures queue behind each other.

Editors write the regions of their scope (with the zones' members and the regions below) and, when
their account names indicators, only those; administrators write everything. On PostgreSQL writers of
the same figures take advisory locks in one order, so none decides on a figure another is writing.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from service.db.models import Role, User, user_indicators
from service.domain.regions import zone_members
from service.domain.resolver import Resolver


def writable_region_ids(session: Session, user: User, resolver: Resolver) -> set[int] | None:
    """Region ids a user may write (None = all).

    Editors may write their regions, the members of zones in their scope, and the regions below those.
    """
    if user.role is Role.ADMIN:
        return None
    if user.role is not Role.EDITOR:
        return set()
    allowed = {r.id for r in user.regions}
    members = zone_members(session)
    allowed |= {m for zone in list(allowed) for m in members.get(zone, ())}
    changed = True
    while changed:
        changed = False
        for region in resolver.region_by_id.values():
            if region.id not in allowed and region.parent_id in allowed:
                allowed.add(region.id)
                changed = True
    return allowed


def writable_indicator_ids(session: Session, user: User) -> set[int] | None:
    """Indicator ids an editor is limited to (None = no limit: administrators, editors without a list)."""
    if user.role is not Role.EDITOR:
        return None
    ids = set(
        session.scalars(select(user_indicators.c.indicator_id).where(user_indicators.c.user_id == user.id))
    )
    return ids or None


LOCK_KEYS_LIMIT = 1000  # chunks with more figures than this are not locked figure by figure
ALL_FIGURES_LOCK = 0x79726D6F6E  # a transaction-level advisory lock for writers that lost a race


def lock_figures(session: Session, keys: list[tuple[int, int, int]], *, everything: bool = False) -> None:
    """PostgreSQL: queue writers of the same figures behind each other (transaction advisory locks,
    taken in one order so two writers cannot deadlock), so a small batch (an entry form, an API call)
    decides against the latest committed version and does not lose a race. Large imports are not
    locked row by row; they rely on the history's unique indexes and redo a chunk that lost a race,
    then queue behind one lock shared by every writer in that situation. SQLite needs none of this:
    a writing transaction holds the database's single write lock from its start."""
    if session.get_bind().dialect.name != "postgresql" or not keys:
        return
    if everything or len(keys) > LOCK_KEYS_LIMIT:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ALL_FIGURES_LOCK})
        return
    # one statement for the batch: the arrays are in lock order, and a scan of unnest() yields (and so
    # locks) them in that order
    pairs = sorted({(i, (r * 4099 + p) % 2_147_483_647) for i, r, p in keys})
    session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(a, b)) FROM unnest(CAST(:a AS integer[]), CAST(:b AS integer[])) AS k(a, b)"
        ),
        {"a": [a for a, _ in pairs], "b": [b for _, b in pairs]},
    )
