"""Issue 18: national scale — a report run and the streamed downloads beyond 100,000 targets.

For each size in ``BENCH_NATIONAL_TARGETS`` (default 100,000 and 300,000 targets over 2,800 counties,
20 years; a national deployment is ~840,000 targets and ~17 million observations) on
``BENCH_NATIONAL_DB`` (default PostgreSQL), prints in one run, each beside its reference measured on
the same database:

- the full report run (µs per target; peak RSS of the process that makes it: a fresh Python process
  per run, so the figure is the run's own, beside that process's RSS before the run) against a plain
  SELECT of the observation rows it uses;
- the overview CSV download as the service streams it (``record_chunks``, written to a sink; peak
  memory) against a plain SELECT of the run's assessment rows.

Goals: flat per-target time (±20 %) and flat memory from the smallest to the largest size.

The sizes share one database: it is built once for the smallest size and extended for each larger one
(``synthetic.build`` makes the rows in PostgreSQL itself, the schema's own indexes dropped for the load,
created again after it, and the tables vacuumed and analysed), so ``BENCH_NATIONAL_TARGETS=100000,300000,
840000`` measures the three sizes in one process. Between sizes the runs made at the smaller one are
deleted (and the tables vacuumed), so every size is measured on a database that holds its catalog only.
The reference reads its rows through a server-side cursor, a chunk at a time, as the run does, so the
benchmark's own memory stays flat too.

Environment knobs:

- ``BENCH_NATIONAL_TARGETS``: comma-separated sizes (default ``100000,300000``);
- ``BENCH_NATIONAL_DB``: ``postgresql`` (default) and/or ``sqlite``;
- ``BENCH_NATIONAL_DOWNLOADS=0``: leave the downloads out (the report run only).

Run it under ``nice -n -15`` (as root) on a shared machine: the child processes and the PostgreSQL server
it starts inherit the priority.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable

from sqlalchemy import Engine, text

from benchmarks.harness import Measurement, databases, load, measure, report
from benchmarks.synthetic import build
from service.db.models import ReportRun
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.tabular import write_csv
from service.reports.engine import run_report
from service.reports.queries import OVERVIEW_FIELDS, overview_chunks
from service.reports.render import STREAMED, write_export

SIZES = [int(s) for s in os.environ.get("BENCH_NATIONAL_TARGETS", "100000,300000").split(",")]
KINDS = tuple(os.environ.get("BENCH_NATIONAL_DB", "postgresql").split(","))
COUNTIES = 2800
DOWNLOADS = os.environ.get("BENCH_NATIONAL_DOWNLOADS", "1") != "0"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _status(field: str) -> int:
    """A field of /proc/self/status in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith(field + ":"))


def _run_in_child(url: str) -> tuple[float, int, int]:
    """A full report run in this (fresh) process: seconds, RSS before it and peak RSS (bytes) during it.

    The peak is the process's high-water mark reset just before the run (/proc/self/clear_refs):
    ru_maxrss would carry the parent's peak over into the spawned process."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as s:  # connected and the modules loaded: the process's own baseline
        s.execute(text("SELECT 1"))
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # resets VmHWM to the current RSS
    start = time.perf_counter()
    with transaction(sessions) as s:
        run_report(s, as_of=AS_OF, now=AS_OF)
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    engine.dispose()
    return seconds, before, peak


def _clear_runs(engine: Engine) -> None:
    """Delete the runs (and their assessments) made at the previous size; vacuum what they left."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM assessments"))
        conn.execute(text("DELETE FROM report_runs"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) assessments, report_runs"))


def run() -> None:
    figures: list[tuple[str, int, float, float, int, str, int | None]] = []
    spawn = multiprocessing.get_context("spawn")
    print(f"  process priority (nice): {os.nice(0)}  [{load()}]", flush=True)
    with databases(KINDS) as dbs:
        for kind, url in dbs:
            engine = make_engine(url)
            for size in sorted(SIZES):
                started = time.perf_counter()
                data = build(engine, targets=size, regions=COUNTIES)
                print(
                    f"  {kind}: built (extended to) {size:,} targets, {data.observations:,} observations in "
                    f"{time.perf_counter() - started:.0f} s  [{load()}]",
                    flush=True,
                )
                sessions = make_sessionmaker(engine)
                if engine.dialect.name == "postgresql":
                    with engine.connect() as conn:
                        conn.execute(text("ANALYZE"))
                        conn.commit()

                def plain_read() -> None:
                    with engine.connect().execution_options(stream_results=True, yield_per=20_000) as conn:
                        result = conn.execute(
                            text(
                                "SELECT o.id, o.indicator_id, o.region_id, o.period, o.value, o.status, o.reported_at "
                                "FROM observations o JOIN targets t ON t.indicator_id = o.indicator_id "
                                "AND t.region_id = o.region_id WHERE t.valid_to IS NULL"
                            )
                        )
                        for _ in result.partitions():
                            pass

                reference = measure(
                    "plain SELECT of the rows used (reference)", plain_read, rows=data.observations
                )
                with spawn.Pool(1) as pool:
                    seconds, before, peak = pool.apply(_run_in_child, (url,))
                service = Measurement("report run (read, assess, store)", seconds, data.observations, peak)
                report(
                    f"report run on {kind}: {size:,} targets, {data.observations:,} observations",
                    service,
                    reference,
                    "goal: flat µs per target",
                )
                per_target = service.seconds / size * 1e6
                print(
                    f"  per target: {per_target:.0f} µs; peak RSS of the run's process {peak / 2**20:,.0f} MiB "
                    f"({before / 2**20:,.0f} MiB before the run)",
                    flush=True,
                )
                figure = (kind, size, per_target, reference.seconds / size * 1e6, peak, load())
                if not DOWNLOADS:
                    figures.append((*figure, None))
                    _clear_runs(engine)
                    continue

                with sessions() as s:
                    run_id = s.query(ReportRun.id).order_by(ReportRun.id.desc()).limit(1).scalar()

                def download() -> None:
                    sink = io.StringIO()
                    with transaction(make_sessionmaker(engine, write=False)) as s:
                        r = s.get(ReportRun, run_id)
                        assert r is not None
                        write_csv(sink, OVERVIEW_FIELDS, [])
                        for rows in overview_chunks(s, r):
                            write_csv(sink, OVERVIEW_FIELDS, rows, header=False)
                            sink.seek(0)
                            sink.truncate()

                def plain_assessments() -> None:
                    with engine.connect() as conn:
                        conn.execute(text("SELECT * FROM assessments WHERE run_id = :r"), {"r": run_id}).all()

                ref_dl = measure("plain SELECT * of the run's assessments (reference)", plain_assessments)
                dl = measure("overview CSV, streamed", download, rows=size, trace_memory=True)
                report(f"overview CSV on {kind}: {size:,} targets", dl, ref_dl, "goal: flat memory")

                def export(fmt: str) -> Callable[[], None]:
                    def write() -> None:
                        with tempfile.TemporaryFile() as out, make_sessionmaker(engine, write=False)() as s:
                            r = s.get(ReportRun, run_id)
                            assert r is not None
                            write_export(s, r, fmt, out)

                    return write

                for fmt in STREAMED:
                    made = measure(
                        f"run export {fmt.upper()}, streamed", export(fmt), rows=size, trace_memory=True
                    )
                    report(
                        f"run export {fmt.upper()} on {kind}: {size:,} targets",
                        made,
                        ref_dl,
                        "goal: flat memory",
                    )
                figures.append((*figure, dl.peak_bytes))
                _clear_runs(engine)
            engine.dispose()
    print("summary by size (each run beside its reference, plain SELECT of its rows, in the same process):")
    for kind, size, per_target, ref_per_target, run_peak, at, dl_peak in figures:
        print(
            f"  {kind} {size:>9,} targets: run {per_target:6.0f} µs/target, reference {ref_per_target:6.0f} "
            f"µs/target (ratio {per_target / ref_per_target:.2f}x), run peak RSS {run_peak / 2**20:6,.0f} MiB"
            + (f", download peak {dl_peak / 2**20:6.1f} MiB" if dl_peak is not None else "")
            + f"  [{at}]"
        )
