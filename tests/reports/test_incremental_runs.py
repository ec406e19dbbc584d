"""Issue 18: a revised figure is reassessed within seconds by a run of only the targets it can change,
and that run equals, target by target, a full run at the same moment."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from service.config import PROJECT_ROOT, Settings
from service.db.models import Assessment, DataChange, Plan, ReportRun, Role, Target, User, WritePath
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.catalog import load_observation_files
from service.domain.observations import ObservationInput, ingest
from service.reports.engine import run_report
from service.scheduler import jobs
from service.scheduler.runner import SchedulerRunner
from tests.support.databases import PreparedDatabases
from tests.support.factories import table_of
from tests.support.samples import PROVINCES, RESIDENT, URBAN

COMPARED = ("status", "latest_year", "latest_value", "base_year", "base_value", "target_level", "pace_ratio",
            "completion", "score", "metrics", "inputs")  # fmt: skip


@pytest.fixture
def fresh_engine(prepared: PreparedDatabases, db_kind: str) -> Iterator[Engine]:
    """A database of its own (runs commit): the catalog, its shipped figures, provinces' populations."""
    engine = make_engine(prepared.catalogued(db_kind))  # migrated, catalog as of 2026-01-01
    sessions = make_sessionmaker(engine)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with transaction(sessions) as s:
        load_observation_files(s, PROJECT_ROOT / "indicators", now=before)
        s.add(User(username="office", role=Role.ADMIN, created_at=before))
    enter(engine, [(i, p, 2018 + k, v[p][k]) for p in PROVINCES for k in range(5)
                   for i, v in (("urban_population", URBAN), ("resident_population", RESIDENT))], before)  # fmt: skip
    yield engine
    jobs.install_context(None)
    engine.dispose()


def enter(
    engine: Engine, rows: list[tuple[str, str, int, float]], when: dt.datetime, reason: str = ""
) -> None:
    with transaction(make_sessionmaker(engine)) as s:
        office = s.scalars(select(User).where(User.username == "office")).one()
        inputs = [
            ObservationInput(row=n, indicator=i, region=r, period=y, value=v, unit="万人" if "population" in i else None,
                             revision_reason=reason or None, confirm=True)
            for n, (i, r, y, v) in enumerate(rows, 1)
        ]  # fmt: skip
        result = ingest(s, office, inputs, path=WritePath.API, now=when)
        assert result.applied, result.as_dict(all_rows=False)


def assessments(engine: Engine, run_id: int) -> dict[int, tuple[Any, ...]]:
    with make_sessionmaker(engine)() as s:
        cols = [getattr(Assessment, c) for c in COMPARED]
        return {
            r[0]: tuple(r[1:])
            for r in s.execute(select(Assessment.target_id, *cols).where(Assessment.run_id == run_id))
        }


def run_of(engine: Engine, run_id: int) -> ReportRun:
    with make_sessionmaker(engine)() as s:
        run = s.get(ReportRun, run_id)
        assert run is not None
        s.expunge(run)
        return run


def full_run_at(engine: Engine, moment: dt.datetime) -> tuple[dict[int, tuple[Any, ...]], dict[str, Any]]:
    """What a full run at ``moment`` gives (made, read, then rolled back)."""
    with make_sessionmaker(engine)() as s:
        run = run_report(s, as_of=moment, now=moment)
        cols = [getattr(Assessment, c) for c in COMPARED]
        rows = {
            r[0]: tuple(r[1:])
            for r in s.execute(select(Assessment.target_id, *cols).where(Assessment.run_id == run.id))
        }
        summary = dict(run.summary or {})
        s.rollback()
    return rows, summary


def target_id(engine: Engine, plan: str, key: str) -> int:
    with make_sessionmaker(engine)() as s:
        found = select(Target.id).join(Plan, Plan.id == Target.plan_id)
        return int(
            s.scalar(found.where(Plan.code == plan, Target.key == key, Target.valid_to.is_(None))) or 0
        )


def test_a_revised_figure_reassesses_only_what_it_feeds_and_equals_a_full_run(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(database_url=str(fresh_engine.url), var_dir=tmp_path, recompute_debounce_seconds=0)
    jobs.install_context(jobs.JobContext(make_sessionmaker(fresh_engine), settings))
    first = jobs.recompute_if_changed()  # the catalog load: a change without series, so everything
    assert first is not None and "scope" not in (run_of(fresh_engine, first).summary or {})
    total = len(assessments(fresh_engine, first))
    urbanization = target_id(
        fresh_engine, "yrd-outline-2019", "urbanization-rate-2025"
    )  # the YRD zone's ratio of summed members
    assert urbanization

    # one province's urban population for a new year, and a revision of another's resident population
    now = dt.datetime.now(dt.UTC)
    enter(fresh_engine, [("urban_population", "320000", 2023, URBAN["320000"][5])], now)
    enter(
        fresh_engine, [("resident_population", "330000", 2022, RESIDENT["330000"][4] + 3)], now, "统计局修订"
    )
    second = jobs.recompute_if_changed()
    assert second is not None
    run = run_of(fresh_engine, second)
    scope = (run.summary or {})["scope"]
    assert scope["kind"] == "incremental" and scope["carried_from_run"] == first
    assert urbanization in scope["covered_targets"]  # a ratio over the zone whose member's component changed
    assert 0 < scope["covered"] < total and scope["covered"] + scope["carried"] == total
    mine = assessments(fresh_engine, second)
    assert mine[urbanization] != assessments(fresh_engine, first)[urbanization]  # it did change

    full, full_summary = full_run_at(fresh_engine, run.as_of)
    assert mine.keys() == full.keys()
    differ = [t for t in full if mine[t] != full[t]]
    assert differ == [], f"incremental differs from a full run for targets {differ[:10]}"
    summary = dict(run.summary or {})
    summary.pop("scope")
    assert summary == full_summary
    assert jobs.recompute_if_changed() is None  # every change covered

    # figures of a series no target uses: a run that carries everything over
    enter(fresh_engine, [("urban_population", "310000", 2010, 1900.0)], dt.datetime.now(dt.UTC))
    third = jobs.recompute_if_changed()
    assert third is not None
    scope = (run_of(fresh_engine, third).summary or {})["scope"]
    assert scope["carried_from_run"] == second and scope["carried"] + scope["covered"] == total


def test_a_change_without_series_waits_for_the_quiet_period_and_runs_everything(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(database_url=str(fresh_engine.url), var_dir=tmp_path, recompute_debounce_seconds=3600)
    jobs.install_context(jobs.JobContext(make_sessionmaker(fresh_engine), settings))
    with transaction(make_sessionmaker(fresh_engine)) as s:  # the catalog was loaded just now
        s.execute(table_of(DataChange).update().values(at=dt.datetime.now(dt.UTC)))
    assert jobs.recompute_if_changed() is None  # the catalog load waits out the quiet period
    enter(fresh_engine, [("urban_population", "320000", 2023, 6394.0)], dt.datetime.now(dt.UTC))
    assert jobs.recompute_if_changed() is None  # still a catalog change among the waiting ones
    with transaction(make_sessionmaker(fresh_engine)) as s:
        s.execute(table_of(DataChange).update().values(at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)))
    run_id = jobs.recompute_if_changed()
    assert run_id is not None and "scope" not in (run_of(fresh_engine, run_id).summary or {})


def test_the_scheduler_reassesses_a_new_figure_within_two_seconds(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    """The real scheduler (lease, job store, one-second checks) on this database."""
    settings = Settings(database_url=str(fresh_engine.url), var_dir=tmp_path, scheduler_lease_seconds=30)
    with transaction(make_sessionmaker(fresh_engine)) as s:  # a full run of the catalog load already made
        s.execute(table_of(DataChange).delete())
        moment = dt.datetime.now(dt.UTC)
        run_report(s, as_of=moment, now=moment)
    urbanization = target_id(fresh_engine, "yrd-outline-2019", "urbanization-rate-2025")
    runner = SchedulerRunner(settings, fresh_engine)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while not runner.is_leader and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runner.is_leader
        enter(fresh_engine, [("urban_population", "320000", 2023, 6394.0)], dt.datetime.now(dt.UTC))
        committed = time.monotonic()
        newest: ReportRun | None = None
        while time.monotonic() - committed < 5:
            with make_sessionmaker(fresh_engine)() as s:
                newest = s.scalars(select(ReportRun).where(ReportRun.trigger == "data")).first()
                if newest is not None:
                    break
            time.sleep(0.05)
        elapsed = time.monotonic() - committed
        assert newest is not None, "no run within 5 s of the commit"
        assert elapsed < 2.5, f"the run came {elapsed:.2f} s after the commit"
        assert urbanization in (newest.summary or {})["scope"]["covered_targets"]
    finally:
        runner.stop()
    with make_sessionmaker(fresh_engine)() as s:
        assert s.scalar(select(func.count(DataChange.id))) == 0
