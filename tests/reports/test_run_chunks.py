"""Issue 18: a report run reads, assesses and stores its targets a chunk of whole indicators at a time
(memory flat in the catalog); how the catalog is cut into chunks changes nothing a reader sees."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, NamedTuple

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Assessment, Plan, Region, ReportRun, Target
from service.domain.progress import summarise
from service.domain.statuses import QUALITATIVE, Status
from service.domain.vintage import Vintage
from service.reports import engine
from service.reports.engine import run_report, target_chunks
from tests.support.factories import create_user
from tests.support.samples import populations

COLUMNS = (
    "status",
    "latest_year",
    "latest_value",
    "base_year",
    "base_value",
    "target_level",
    "pace_ratio",
    "completion",
    "score",
    "metrics",
    "inputs",
)


def stored(session: Session, run: ReportRun) -> dict[int, tuple[Any, ...]]:
    cols = [getattr(Assessment, c) for c in COLUMNS]
    rows = session.execute(select(Assessment.target_id, *cols).where(Assessment.run_id == run.id)).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_a_run_in_small_chunks_equals_a_run_in_one(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    populations(session, admin)  # zones whose ratio reads its members' components from other indicators
    moment = dt.datetime.now(dt.UTC)
    chunks = list(target_chunks(session, Vintage(moment, moment), size=1))  # one indicator a chunk
    assert len(chunks) > 5
    indicators = [{t.indicator_id for t in c} for c in chunks]
    assert all(len(ids) == 1 for ids in indicators)  # whole indicators: none split over two chunks
    assert len({i for ids in indicators for i in ids}) == len(chunks)
    for c in chunks:  # each in (indicator, region, id) order: a key's targets next to each other
        assert [(t.indicator_id, t.region_id, t.id) for t in c] == sorted(
            (t.indicator_id, t.region_id, t.id) for t in c
        )

    monkeypatch.setattr(engine, "RUN_CHUNK", 1)
    small = run_report(session, as_of=moment, now=moment)
    monkeypatch.setattr(engine, "RUN_CHUNK", 10**9)
    whole = run_report(session, as_of=moment, now=moment)
    assert stored(session, small) == stored(session, whole)
    assert len(stored(session, whole)) == sum(len(c) for c in chunks) == (whole.summary or {})["targets"]
    assert small.summary == whole.summary
    groups = (whole.summary or {})["groups"]
    assert any(g.startswith("region:") for g in groups) and any(g.startswith("plan:") for g in groups)

    # each group's entry is what the methodology's ``summarise`` gives over its targets' assessments
    items: dict[str, list[tuple[Any, _Judged]]] = defaultdict(list)
    statuses = {s.value: s for s in Status}
    rows = session.execute(
        select(
            Plan.code, Region.code, Target.chapter, Target.indicator_id, Target.region_id, Assessment.status
        )
        .join(Target, Assessment.target_id == Target.id)
        .join(Plan, Plan.id == Target.plan_id)
        .join(Region, Region.id == Target.region_id)
        .where(Assessment.run_id == whole.id)
    ).all()
    for plan, region, chapter, ind, reg, status in rows:
        if status == QUALITATIVE:
            continue
        for g in (f"plan:{plan}", f"region:{region}", *([f"chapter:{plan}:{chapter}"] if chapter else [])):
            items[g].append(((ind, reg), _Judged(statuses[status])))
    assert items
    for g, entries in items.items():
        expected = summarise(entries)  # type: ignore[arg-type]  # a status is all summarise reads
        assert groups[g]["units"] == expected.total and groups[g]["assessable"] == expected.assessable
        assert groups[g]["mean_score"] == expected.mean_score
        counts = {k: v for k, v in groups[g]["counts"].items() if k != QUALITATIVE}
        assert counts == {str(k): v for k, v in expected.counts.items() if v}


class _Judged(NamedTuple):
    status: Status
