"""Loading the catalog (`yrdmon init`'s second half) against a raw insert of the same number of rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select, text

from benchmarks.harness import databases, measure, report
from service.config import PROJECT_ROOT
from service.db.models import AuditEntry, WritePath
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.catalog import apply_catalog, read_catalog


def run() -> None:
    catalog = read_catalog(PROJECT_ROOT / "indicators")
    now = dt.datetime.now(dt.UTC)
    with databases() as dbs:
        for kind, url in dbs:
            engine = make_engine(url)
            sessions = make_sessionmaker(engine)

            def load() -> None:
                with transaction(sessions) as s:
                    apply_catalog(s, catalog, now=now)

            service = measure("apply_catalog (validate-free write path)", load)
            with engine.connect() as conn:
                rows = sum(
                    conn.scalar(select(func.count()).select_from(text(t))) or 0
                    for t in ("regions", "indicators", "plans", "targets", "observations", "audit_log")
                )
            service.rows = rows
            payload = [{"at": now, "path": WritePath.CATALOG, "action": "bench", "entity_type": "x"}] * rows

            def raw() -> None:
                with engine.begin() as conn:
                    conn.execute(insert(AuditEntry), payload)

            reference = measure("executemany of as many rows (reference)", raw, rows=rows)
            report(f"catalog load on {kind}: {rows} rows", service, reference, "no goal; tracks regressions")
            engine.dispose()
