"""Issue 18: one revised figure at 100,000 targets, reassessed by an incremental run, against a full run.

On SQLite and PostgreSQL, the synthetic catalog (``BENCH_INCR_TARGETS``, default 100,000 targets over
3,000 regions, 20 years) gets a full run as of now (the base). Then an official revises one figure
through the import path (its change names the series); the time from that commit to the committed
incremental run (what the scheduler does on its next check, at most ``recompute_check_seconds``
later) is printed beside a full run made the same way in the same run (the reference). Both are
then compared target by target with a full run at the incremental run's moment (made and rolled
back): every assessment and the summary must be equal. Goal: incremental <= 1/100 of the full run.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.harness import Measurement, databases, measure, report
from benchmarks.synthetic import build
from service.db.models import Assessment, ReportRun, Role, User, WritePath
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.observations import ObservationInput, ingest
from service.reports.engine import run_report, run_report_now
from service.reports.queries import in_run

TARGETS = int(os.environ.get("BENCH_INCR_TARGETS", "100000"))
REPEAT = int(os.environ.get("BENCH_INCR_REPEAT", "2"))  # best of this many of each
KINDS = tuple(os.environ.get("BENCH_INCR_DB", "sqlite,postgresql").split(","))
COMPARED = (
    "target_id",
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


def _rows(session: Session, run: ReportRun) -> dict[int, tuple[Any, ...]]:
    cols = [getattr(Assessment, c) for c in COMPARED]
    return {r[0]: tuple(r[1:]) for r in session.execute(select(*cols).where(in_run(run)))}


def run() -> None:
    with databases(KINDS) as dbs:
        for kind, url in dbs:
            engine = make_engine(url)
            data = build(engine, targets=TARGETS)
            sessions = make_sessionmaker(engine)
            with transaction(sessions) as s:
                s.add(User(username="office", role=Role.ADMIN, created_at=dt.datetime.now(dt.UTC)))

            def revise(value: float) -> None:
                with transaction(sessions) as s:
                    office = s.scalars(select(User).where(User.username == "office")).one()
                    row = ObservationInput(
                        row=1,
                        indicator="syn_0",
                        region="S00001",
                        period=2025,
                        value=value,
                        unit="亿元",
                        revision_reason="统计局修订",
                        confirm=True,
                    )
                    assert ingest(s, office, [row], path=WritePath.API, now=dt.datetime.now(dt.UTC)).applied

            def timed_run(incremental: bool) -> tuple[float, int]:
                start = time.perf_counter()
                with transaction(sessions) as s:
                    run_id = run_report_now(s, trigger="data", incremental=incremental).id
                return time.perf_counter() - start, run_id

            timed_run(False)  # the base, and warm caches
            fulls, incs = [], []
            for i in range(
                REPEAT
            ):  # best of REPEAT each: alternately a full and an incremental run after a revision
                revise(300.0 + i)
                fulls.append(timed_run(False)[0])
                revise(310.0 + i)
                seconds, inc_id = timed_run(True)
                incs.append(seconds)
            with sessions() as s:
                inc = s.get(ReportRun, inc_id)
                assert inc is not None
                scope = (inc.summary or {}).get("scope") or {}
                assert scope.get("kind") == "incremental", scope
                mine, summary = _rows(s, inc), dict(inc.summary or {})
                full = run_report(s, as_of=inc.as_of, now=inc.as_of)
                theirs, full_summary = _rows(s, full), dict(full.summary or {})
                s.rollback()

                # readers: every assessment of the incremental run (its own rows and the full run's
                # others) counted by status, beside the same count of a full run's (stored whole)
                def counts(r: ReportRun) -> Callable[[], object]:
                    stmt = (
                        select(Assessment.status, func.count()).where(in_run(r)).group_by(Assessment.status)
                    )
                    return lambda: s.execute(stmt).all()

                base = s.get(ReportRun, scope["rows_from_run"])
                assert base is not None
                read_inc = measure("read the incremental run: counts by status", counts(inc), repeat=3)
                read_full = measure("read a full run: counts by status (reference)", counts(base), repeat=3)
            summary.pop("scope")
            differ = sum(1 for t in theirs if mine.get(t) != theirs[t]) + len(mine.keys() - theirs.keys())
            service = Measurement("incremental run: commit to updated assessments", min(incs))
            reference = Measurement("full run of every target (reference)", min(fulls))
            report(
                f"one revised figure on {kind}: {data.targets:,} targets, {data.observations:,} observations",
                service,
                reference,
                "goal: <= 0.01x",
            )
            print(
                f"  reassessed {scope['covered']} target(s), carried {scope['carried']:,} over from run "
                f"{scope['carried_from_run']}; the scheduler starts it within recompute_check_seconds (1 s)"
            )
            report(f"reading it back on {kind}", read_inc, read_full, "goal: about 1x")
            print(
                f"  equal to a full run at the same moment: {len(theirs) - differ:,} of {len(theirs):,} targets"
                f"{'' if differ == 0 else f' — {differ} DIFFER'}; summary {'equal' if summary == full_summary else 'DIFFERS'}"
            )
            engine.dispose()
