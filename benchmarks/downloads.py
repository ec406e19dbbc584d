"""Issue 18: the downloads of a run, streamed, each beside a plain SELECT * of the run's assessments.

On ``BENCH_DL_DB`` (default SQLite and PostgreSQL) a synthetic catalog of ``BENCH_DL_TARGETS`` targets
(default 20,000 over 2,800 counties) gets a full run; then, each beside a plain SELECT * of that run's
assessment rows measured just before it: the overview CSV (its columns only, ``overview_chunks``),
the same CSV built from full records (``record_chunks``, what it did before), and the run's CSV and
XLSX exports (``render.write_export``: every field, XLSX in openpyxl's write-only mode, into a
temporary file). Peak Python memory of each (tracemalloc, in a second, traced pass) shows it
does not hold the run.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import text

from benchmarks.harness import databases, measure, report
from benchmarks.synthetic import build
from service.db.models import ReportRun
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.tabular import write_csv
from service.reports.engine import run_report
from service.reports.queries import OVERVIEW_FIELDS, overview_chunks, record_chunks
from service.reports.render import STREAMED, write_export

TARGETS = int(os.environ.get("BENCH_DL_TARGETS", "20000"))
KINDS = tuple(os.environ.get("BENCH_DL_DB", "sqlite,postgresql").split(","))


def run() -> None:
    as_of = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with databases(KINDS) as dbs:
        for kind, url in dbs:
            engine = make_engine(url)
            build(engine, targets=TARGETS, regions=2800)
            sessions = make_sessionmaker(engine)
            with transaction(sessions) as s:
                run_id = run_report(s, as_of=as_of, now=as_of).id

            def plain() -> None:
                with engine.connect() as conn:
                    conn.execute(text("SELECT * FROM assessments WHERE run_id = :r"), {"r": run_id}).all()

            def csv_of(
                chunks: Callable[[Any, ReportRun], Iterator[list[dict[str, Any]]]],
            ) -> Callable[[], None]:
                def write() -> None:
                    sink = io.StringIO()
                    with sessions() as s:
                        r = s.get(ReportRun, run_id)
                        assert r is not None
                        for rows in chunks(s, r):
                            write_csv(sink, OVERVIEW_FIELDS, rows, header=False)
                            sink.seek(0)
                            sink.truncate()

                return write

            def export(fmt: str) -> Callable[[], None]:
                def write() -> None:
                    with tempfile.TemporaryFile() as out, sessions() as s:
                        r = s.get(ReportRun, run_id)
                        assert r is not None
                        write_export(s, r, fmt, out)

                return write

            cases = [
                ("overview CSV (its columns only)", csv_of(overview_chunks)),
                ("overview CSV from full records (before)", csv_of(record_chunks)),
            ]
            cases += [(f"run export {fmt.upper()}, streamed", export(fmt)) for fmt in STREAMED]
            for label, fn in cases:
                reference = measure("plain SELECT * of the run's assessments (reference)", plain, repeat=2)
                made = measure(label, fn, rows=TARGETS)  # timed untraced: tracemalloc slows Python 3-7x
                made.peak_bytes = measure(label, fn, trace_memory=True).peak_bytes
                report(f"{label} on {kind}: {TARGETS:,} targets", made, reference, "goal: a small multiple")
            engine.dispose()
