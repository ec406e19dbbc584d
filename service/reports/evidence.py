"""What the figures of a stored run rest on: the observations behind each assessment (its ``inputs``).

A run stores, per target, the ids of the observations it used; reading those rows back tells whether
the latest value is a preliminary figure (初步), which sources it comes from and whether the series
has a break, without recomputing anything.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Observation, ObservationStatus

_CHUNK = 900  # ids per IN (...): under SQLite's old 999-variable limit
_DATE = re.compile(r"(20\d\d|19\d\d)[-年./](\d{1,2})[-月./](\d{1,2})日?")


def publication_date(source: str | None) -> str | None:
    """The date a source text names (…，2021-01-24）or 2021年1月24日), as YYYY-MM-DD; None when it names none."""
    if not source:
        return None
    found = _DATE.findall(source)
    if not found:
        return None
    y, m, d = found[-1]
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def _observations(session: Session, ids: set[int]) -> dict[int, Any]:
    rows: dict[int, Any] = {}
    wanted = sorted(ids)
    for i in range(0, len(wanted), _CHUNK):
        stmt = select(
            Observation.id,
            Observation.period,
            Observation.status,
            Observation.source,
            Observation.source_url,
            Observation.series_break,
            Observation.published_on,
        ).where(Observation.id.in_(wanted[i : i + _CHUNK]))
        for row in session.execute(stmt):
            rows[row.id] = row
    return rows


def add_evidence(session: Session, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds to each assessment record (in place, and returns them):

    - ``preliminary``: the latest value rests on a preliminary figure (METHODOLOGY §3: 已实现（初步数据）);
    - ``latest_sources``: the sources of the figures behind the latest value;
    - ``sources``: every source behind the record's figures, as ``{source, url, published, baseline}``;
    - ``series_break``: a series break lies between the base and the latest year.
    """
    ids = {int(i) for r in records for i in (r.get("inputs") or [])}
    rows = _observations(session, ids) if ids else {}
    for r in records:
        used = [rows[int(i)] for i in (r.get("inputs") or []) if int(i) in rows]
        latest = [o for o in used if o.period == r.get("latest_year")]
        base_year = r.get("base_year")
        r["preliminary"] = any(o.status == ObservationStatus.PRELIMINARY for o in latest)
        r["latest_sources"] = list(dict.fromkeys(o.source for o in latest if o.source))
        r["series_break"] = any(o.series_break and (base_year is None or o.period > base_year) for o in used)
        seen: dict[tuple[str, str | None], dict[str, Any]] = {}
        for o in used:
            if o.source and (o.source, o.source_url) not in seen:
                seen[(o.source, o.source_url)] = {
                    "source": o.source,
                    "url": o.source_url,
                    "published": (
                        o.published_on.isoformat() if o.published_on else publication_date(o.source)
                    ),
                    "baseline": o.status == ObservationStatus.PLAN_BASELINE,
                }
        r["sources"] = list(seen.values())
    return records
