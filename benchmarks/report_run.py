"""Issue 5: a full report run against the plain read of the observations it uses.

For 10k, 30k and 100k synthetic targets (3,000 regions, 20 years, ~1 % revisions) on SQLite and
PostgreSQL, prints the time of one report run and, in the same run on the same database, the time
of a plain SELECT of those observation rows into Python (each the best of two runs).
Goal: run <= 3x the read, linear in targets.
"""

from __future__ import annotations

import datetime as dt
import os

from sqlalchemy import text

from benchmarks.harness import Measurement, databases, measure, report
from benchmarks.synthetic import build
from service.db.session import make_engine, make_sessionmaker, transaction
from service.reports.engine import run_report

SIZES = [int(s) for s in os.environ.get("BENCH_TARGETS", "10000,30000,100000").split(",")]


def run() -> None:
    as_of = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for size in SIZES:
        with databases() as dbs:
            for kind, url in dbs:
                engine = make_engine(url)
                data = build(engine, targets=size)
                sessions = make_sessionmaker(engine)

                def plain_read() -> None:
                    with engine.connect() as conn:
                        rows = conn.execute(
                            text(
                                "SELECT o.id, o.indicator_id, o.region_id, o.period, o.value, o.status, o.reported_at "
                                "FROM observations o JOIN targets t ON t.indicator_id = o.indicator_id "
                                "AND t.region_id = o.region_id WHERE t.valid_to IS NULL"
                            )
                        ).all()
                        assert len(rows) >= data.observations * 0.9

                def full_run() -> None:
                    with transaction(sessions) as s:
                        run_report(s, as_of=as_of, now=as_of)

                # best of two for both: the first of each pays for cold caches (pages, compiled SQL)
                reference = measure(
                    "plain SELECT of the rows used (reference)", plain_read, rows=data.observations, repeat=2
                )
                service: Measurement = measure(
                    "report run (read, assess, store)", full_run, rows=data.observations, repeat=2
                )
                report(
                    f"report run on {kind}: {size:,} targets, {data.observations:,} observations",
                    service,
                    reference,
                    "goal: <= 3x",
                )
                print(f"  per target: {service.seconds / size * 1e6:.0f} µs")
                engine.dispose()
