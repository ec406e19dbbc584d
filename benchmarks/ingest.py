"""Issue 4: bulk import through the service's own path against the database's own bulk load.

A CSV of N observations (synthetic regions and indicators) is imported exactly as `yrdmon import`
does it (parsing, validation, unit conversion, revision detection, insert) and, in the same run on
the same rows, loaded by the database's own bulk path (sqlite3 executemany; psycopg COPY). Peak
memory of the import is measured in a child process for two file sizes, to show whether it grows
with the file. Goal (issue 18): the import's time at most 2x the bulk load's; memory flat in the file size.

The bulk load stores the same rows as the import: every column the import fills, with the same values
(so the database's foreign-key checks and index entries are the same). The earlier stops' reference
loaded eight of those columns (no text as entered, no user, no batch): it is measured too and shown
beside, so the figures can be compared with theirs.

Knobs: BENCH_ROWS (default 1,000,000), BENCH_INGEST_MEMORY=0 (skip the child-process memory runs).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from benchmarks.harness import Measurement, databases, measure, report
from benchmarks.synthetic import build
from service.db.models import ImportBatch, Observation, ObservationStatus, Qualifier, Role, User, WritePath
from service.db.session import make_engine, make_sessionmaker, transaction

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
MEMORY = os.environ.get("BENCH_INGEST_MEMORY", "1") != "0"  # 0: the time ratio only (no child processes)
REGIONS = 3000


def write_csv(path: Path, rows: int, indicators: int) -> None:
    years = 20
    with path.open("w", encoding="utf-8") as fh:
        fh.write("indicator,region,period,value,unit\n")
        n = 0
        for k in range(indicators):
            for r in range(REGIONS):
                for y in range(2006, 2006 + years):
                    if n == rows:
                        return
                    fh.write(f"syn_{k},S{r:05d},{y},{100 + (n % 997) * 0.37:.2f},万元\n")
                    n += 1


def _service_import(url: str, csv_path: Path) -> int:
    from service.domain.observations import ingest
    from service.domain.tabular import iter_file

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as s:
        admin = s.scalar(select(User).where(User.username == "bench").options(selectinload(User.regions)))
        if admin is None:
            admin = User(username="bench", role=Role.ADMIN, created_at=dt.datetime.now(dt.UTC))
            s.add(admin)
            s.flush()
        result = ingest(s, admin, iter_file(csv_path), path=WritePath.CLI, now=dt.datetime.now(dt.UTC))
        assert result.applied, result.counts
    engine.dispose()
    return result.counts["added"]


def _bulk_reference(url: str, csv_path: Path, *, same_rows: bool = True) -> int:
    """The database's own bulk load of the rows the service stores (sqlite3 executemany; psycopg COPY),
    parsed by the csv module and converted (codes -> ids, 万元 -> 亿元) in plain Python.

    ``same_rows``: every column the service fills, with the same values (the text as entered, the
    unit, who entered it, the batch, the source key): what the import's rows cost the database,
    foreign-key checks and indexes included. Without it, the eight columns the first version of this
    benchmark loaded (the reference of the earlier stops' figures), shown beside for comparison.
    """
    import csv

    from service.domain.observations import _WRITE_COLUMNS

    now = dt.datetime.now(dt.UTC)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        user_id = s.scalar(select(User.id).where(User.username == "bench"))
        batch = ImportBatch(created_at=now, user_id=user_id, path=WritePath.CLI, filename=csv_path.name)
        s.add(batch)
        s.flush()
        batch_id = batch.id
    # each row built in the driver's form (the timestamp as SQLite stores it)
    stamp: object = now if engine.dialect.name == "postgresql" else now.isoformat(sep=" ")
    rows = []
    with csv_path.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            ind = 100_000 + int(rec["indicator"].removeprefix("syn_"))
            reg = 100_000 + int(rec["region"].removeprefix("S"))
            value = float(rec["value"]) / 10_000
            if same_rows:
                rows.append(
                    (
                        ind,
                        reg,
                        int(rec["period"]),
                        value,
                        rec["value"],
                        rec["unit"],
                        ObservationStatus.FINAL.value,
                        Qualifier.EXACT.value,
                        None,
                        None,
                        None,
                        None,
                        stamp,
                        user_id,
                        batch_id,
                        None,
                        False,
                        None,
                        "",
                        None,
                    )
                )
            else:
                rows.append(
                    (
                        ind,
                        reg,
                        int(rec["period"]),
                        value,
                        ObservationStatus.FINAL.value,
                        Qualifier.EXACT.value,
                        False,
                        stamp,
                    )
                )
    names = (
        _WRITE_COLUMNS
        if same_rows
        else (
            "indicator_id",
            "region_id",
            "period",
            "value",
            "status",
            "qualifier",
            "series_break",
            "reported_at",
        )
    )
    cols = ", ".join(names)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY observations ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for r in rows:
                    copy.write_row(r)
        else:
            cur.execute("BEGIN")
            cur.executemany(
                f"INSERT INTO observations ({cols}) VALUES ({', '.join('?' for _ in names)})", rows
            )
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return len(rows)


def _child_peak(url: str, csv_path: Path) -> int:
    """Peak RSS (bytes) of a child process that does only the service import."""
    # VmHWM belongs to the process's own address space (ru_maxrss would carry the parent's peak over exec)
    code = (
        "import sys; from pathlib import Path; from benchmarks.ingest import _service_import; "
        "_service_import(sys.argv[1], Path(sys.argv[2])); "
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url, str(csv_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return int(out.stdout.strip().splitlines()[-1]) * 1024


def run() -> None:
    indicators = -(-ROWS // (REGIONS * 20))
    with tempfile.TemporaryDirectory(prefix="yrdmon-ingest-") as tmp:
        big, small = Path(tmp) / "big.csv", Path(tmp) / "small.csv"
        write_csv(big, ROWS, indicators)
        write_csv(small, ROWS // 4, indicators)
        with databases() as dbs:
            for kind, url in dbs:
                engine = make_engine(url)
                build(engine, targets=REGIONS * indicators, regions=REGIONS, years=0)
                engine.dispose()
                service = measure(
                    "service import (parse, validate, convert, insert)",
                    lambda: _service_import(url, big),
                    rows=ROWS,
                )
                wipe(url)
                bulk = "COPY" if kind == "postgresql" else "executemany"
                reference: Measurement = measure(
                    f"database bulk load of the same rows, every column the import fills ({bulk})",
                    lambda: _bulk_reference(url, big),
                    rows=ROWS,
                )
                wipe(url)
                reduced: Measurement = measure(
                    f"database bulk load of 8 of those columns (the earlier stops' reference, {bulk})",
                    lambda: _bulk_reference(url, big, same_rows=False),
                    rows=ROWS,
                )
                report(
                    f"ingest on {kind}: {ROWS:,} rows",  # the title carries the machine's load
                    service,
                    reference,
                    "goal: <= 2x the bulk load's time (issue 18)",
                )
                print(reduced.line())
                print(f"  ratio service/8-column load: {service.seconds / reduced.seconds:.2f}x")
                wipe(url)
                if not MEMORY:
                    continue
                small_peak = _child_peak(url, small)
                wipe(url)
                big_peak = _child_peak(url, big)
                wipe(url)
                print(
                    f"  peak RSS of the import: {small_peak / 2**20:.0f} MiB for {ROWS // 4:,} rows, "
                    f"{big_peak / 2**20:.0f} MiB for {ROWS:,} rows"
                )


def wipe(url: str) -> None:
    """Empty the tables the import wrote, between measurements (the service never deletes)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        else:
            conn.exec_driver_sql("SET session_replication_role = replica")
        conn.execute(Observation.__table__.delete())
        conn.exec_driver_sql("DELETE FROM audit_log")
        conn.exec_driver_sql("DELETE FROM import_batches")
    engine.dispose()


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps({"rows": ROWS, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
