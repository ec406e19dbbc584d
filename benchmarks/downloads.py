"""Issue 18: the downloads of a run, streamed, each beside a plain SELECT * of the run's assessments.

On ``BENCH_DL_DB`` (default SQLite and PostgreSQL) a synthetic catalog of ``BENCH_DL_TARGETS`` targets
(default 20,000 over 2,800 counties) gets a full run; then, each beside a plain SELECT * of that run's
assessment rows measured just before it: the overview CSV (its columns only, ``overview_chunks``),
the same CSV built from full records (``record_chunks``, what it did before), and the run's CSV and
XLSX exports (``render.write_export``: every field, XLSX in openpyxl's write-only mode, into a
temporary file). Peak Python memory of each (tracemalloc, in a second, traced pass) shows it
does not hold the run.

Then the evaluation's Excel and Word files of the synthetic plan at each size of
``BENCH_DL_EVAL_TARGETS`` (default 10,000 and 30,000 targets; empty: left out) on
``BENCH_DL_EVAL_DB`` (default PostgreSQL), three ways, each in a fresh process whose peak RSS (VmHWM,
reset just before) is the figure: streamed as the service now writes them
(``evaluation_files.write_document``: records read in chunks, the workbook in write-only mode), from
the whole document built at once (``evaluation_doc.build``: every record and row held, then the same
writers), and the reference, a plain ``SELECT *`` of the plan's assessments fetched at once.

Environment knobs: ``BENCH_DL_TARGETS``, ``BENCH_DL_DB`` (the run's downloads; ``BENCH_DL_EXPORTS=0``
leaves them out), ``BENCH_DL_EVAL_TARGETS``, ``BENCH_DL_EVAL_DB``.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import text

from benchmarks.harness import databases, load, measure, report
from benchmarks.synthetic import build
from service.db.models import ReportRun
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.tabular import write_csv
from service.reports.engine import run_report
from service.reports.queries import OVERVIEW_FIELDS, overview_chunks, record_chunks
from service.reports.render import STREAMED, write_export

TARGETS = int(os.environ.get("BENCH_DL_TARGETS", "20000"))
KINDS = tuple(os.environ.get("BENCH_DL_DB", "sqlite,postgresql").split(","))
EXPORTS = os.environ.get("BENCH_DL_EXPORTS", "1") != "0"
EVAL_SIZES = [int(n) for n in os.environ.get("BENCH_DL_EVAL_TARGETS", "10000,30000").split(",") if n]
EVAL_KINDS = tuple(os.environ.get("BENCH_DL_EVAL_DB", "postgresql").split(","))
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def run() -> None:
    if EXPORTS:
        run_exports()
    if EVAL_SIZES:
        run_evaluation()


def run_exports() -> None:
    as_of = AS_OF
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


def _evaluation_in_child(url: str, run_id: int, fmt: str, way: str) -> tuple[float, int, int, int]:
    """One evaluation file (or the reference read) in this fresh process: seconds, RSS before, peak RSS
    (VmHWM reset just before: ru_maxrss would carry the parent's peak over) and the file's bytes."""
    from service.reports.evaluation_doc import build as build_document
    from service.reports.evaluation_docx import write_docx
    from service.reports.evaluation_files import write_document, write_xlsx

    engine = make_engine(url)
    sessions = make_sessionmaker(engine, write=False)
    with sessions() as s:  # connected and the modules loaded: the process's own baseline
        s.execute(text("SELECT 1"))
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # resets VmHWM to the current RSS
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, sessions() as s:
        r = s.get(ReportRun, run_id)
        assert r is not None
        if way == "streamed":
            write_document(s, r, "synthetic", fmt, out, "zh")
        elif way == "built":
            d = build_document(s, r, "synthetic", "zh", charts=fmt != "xlsx")
            if fmt == "xlsx":
                write_xlsx(d, out)
            else:
                write_docx(d, out)
        else:
            s.execute(
                text(
                    "SELECT a.* FROM assessments a JOIN targets t ON t.id = a.target_id "
                    "WHERE a.run_id = :r AND t.plan_id = 100000"
                ),
                {"r": run_id},
            ).all()
        size = out.tell()
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    engine.dispose()
    return seconds, before, peak, size


def _status(field: str) -> int:
    """A field of /proc/self/status in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith(field + ":"))


def run_evaluation() -> None:
    spawn = multiprocessing.get_context("spawn")
    figures: list[str] = []
    with databases(EVAL_KINDS) as dbs:
        for kind, url in dbs:
            engine = make_engine(url)
            for size in sorted(EVAL_SIZES):
                if kind == "sqlite" and size != min(EVAL_SIZES):
                    print("  (SQLite: the synthetic catalog is built once; larger sizes on PostgreSQL)")
                    break
                build(engine, targets=size, regions=2800)
                with transaction(make_sessionmaker(engine)) as s:
                    s.execute(text("DELETE FROM assessments"))
                    s.execute(text("DELETE FROM report_runs"))
                    run_id = run_report(s, as_of=AS_OF, now=AS_OF).id
                print(f"evaluation files on {kind}: {size:,} targets  [{load()}]", flush=True)
                for label, fmt, way in (
                    ("plain SELECT * of the plan's assessments (reference)", "-", "reference"),
                    ("evaluation XLSX, streamed (now)", "xlsx", "streamed"),
                    ("evaluation XLSX from the built document (before)", "xlsx", "built"),
                    ("evaluation DOCX, records in chunks (now)", "docx", "streamed"),
                    ("evaluation DOCX from the built document (before)", "docx", "built"),
                ):
                    with spawn.Pool(1) as pool:
                        seconds, before, peak, nbytes = pool.apply(
                            _evaluation_in_child, (url, run_id, fmt, way)
                        )
                    line = (
                        f"  {label:<52} {seconds:8.1f} s  peak RSS {peak / 2**20:7.1f} MiB "
                        f"(+{(peak - before) / 2**20:6.1f} over {before / 2**20:5.1f})  {nbytes / 2**20:6.1f} MiB file"
                    )
                    print(line + f"  [{load()}]", flush=True)
                    figures.append(f"{kind} {size:>7,} {line.strip()}")
            engine.dispose()
    print("evaluation files, summary:")
    for f in figures:
        print("  " + f)
