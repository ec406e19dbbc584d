"""Shared pieces: databases to run on, timing, and printing figures side by side."""

from __future__ import annotations

import contextlib
import os
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from service.db.migrate import upgrade_to_head
from service.db.session import make_engine
from tests.support.pgcluster import PgCluster, find_bin_dir


@dataclass
class Measurement:
    label: str
    seconds: float
    rows: int | None = None
    peak_bytes: int | None = None

    def line(self) -> str:
        rate = f"{self.rows / self.seconds:12,.0f} rows/s" if self.rows and self.seconds else " " * 19
        peak = f"  peak {self.peak_bytes / 2**20:7.1f} MiB" if self.peak_bytes is not None else ""
        return f"  {self.label:<48} {self.seconds:9.3f} s  {rate}{peak}"


def measure(
    label: str, fn: Callable[[], object], rows: int | None = None, trace_memory: bool = False, repeat: int = 1
) -> Measurement:
    """Time ``fn``; with ``repeat`` > 1 the best of that many runs (the first warms caches)."""
    if trace_memory:
        tracemalloc.start()
    seconds = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        seconds = min(seconds, time.perf_counter() - start)
    peak = None
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Measurement(label, seconds, rows, peak)


def load() -> str:
    """The machine's load average now (1, 5, 15 min) beside its cores: figures mean little without it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def report(title: str, service: Measurement, reference: Measurement, goal: str) -> None:
    print(f"{title}  [{load()}]")
    print(service.line())
    print(reference.line())
    ratio = service.seconds / reference.seconds
    print(
        f"  ratio service/reference time: {ratio:.4f}x   ({goal})"
        if ratio < 0.1
        else f"  ratio service/reference time: {ratio:.2f}x   ({goal})"
    )


@contextlib.contextmanager
def databases(kinds: tuple[str, ...] = ("sqlite", "postgresql")) -> Iterator[Iterator[tuple[str, str]]]:
    """Yields an iterator of (kind, url) for fresh, migrated databases."""
    with TemporaryDirectory(prefix="yrdmon-bench-") as tmp:
        cluster: PgCluster | None = None
        try:

            def gen() -> Iterator[tuple[str, str]]:
                nonlocal cluster
                for n, kind in enumerate(kinds):
                    if kind == "sqlite":
                        url = f"sqlite:///{Path(tmp) / f'bench{n}.sqlite3'}"
                    else:
                        bin_dir = find_bin_dir()
                        if bin_dir is None:
                            print("  (PostgreSQL binaries not found: skipping postgresql)")
                            continue
                        cluster = cluster or PgCluster(bin_dir).start()
                        url = cluster.create_database(f"bench{n}")
                    engine = make_engine(url)
                    upgrade_to_head(engine)
                    engine.dispose()
                    yield kind, url

            yield gen()
        finally:
            if cluster is not None:
                cluster.stop()
