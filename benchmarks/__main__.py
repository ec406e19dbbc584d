"""python -m benchmarks [NAME ...]: run the named benchmarks (all when none are named)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "catalog_load": "benchmarks.catalog_load",
    "report_run": "benchmarks.report_run",
    "plan_reader": "benchmarks.plan_reader",
    "ingest": "benchmarks.ingest",
    "web_pages": "benchmarks.web_pages",
    "incremental": "benchmarks.incremental",
    "national": "benchmarks.national",
    "downloads": "benchmarks.downloads",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"== {name}")
        importlib.import_module(BENCHMARKS[name]).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
