"""A province-scale synthetic catalog: thousands of regions, many targets, 20 years of observations.

Written straight into the tables (the database's own bulk path: executemany on SQLite, COPY on
PostgreSQL), because what is measured afterwards is reading and assessing, not loading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

from sqlalchemy import Engine, insert

from service.db.models import (
    Aggregation,
    Comparator,
    Confidence,
    DeclaredForm,
    Direction,
    Indicator,
    IndicatorKind,
    Observation,
    ObservationStatus,
    Plan,
    Qualifier,
    Region,
    Target,
)

T0 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
CHUNK = 20_000  # targets (and their observations) written at a time


@dataclass
class Synthetic:
    regions: int
    indicators: int
    targets: int
    observations: int


def _copy_or_insert(engine: Engine, table, rows: list[dict]) -> None:
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for r in rows:
                    copy.write_row([r[c] for c in columns])
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        for start in range(0, len(rows), 50_000):
            conn.execute(insert(table), rows[start : start + 50_000])


def build(
    engine: Engine,
    *,
    targets: int,
    regions: int = 3000,
    years: int = 20,
    revisions: float = 0.01,
    seed: int = 7,
) -> Synthetic:
    """Insert a synthetic plan with ``targets`` targets spread over ``regions`` regions."""
    rnd = random.Random(seed)
    n_ind = max(1, -(-targets // regions))
    h = hashlib.sha256(b"synthetic").hexdigest()
    _copy_or_insert(
        engine,
        Region.__table__,
        [
            {
                "id": 100_000 + i,
                "code": f"S{i:05d}",
                "name_zh": f"合成地区{i}",
                "name_en": f"Synthetic {i}",
                "level": "county",
                "admin_code": None,
                "parent_id": None,
                "aliases": "[]",
                "content_hash": h,
            }
            for i in range(regions)
        ],
    )
    _copy_or_insert(
        engine,
        Indicator.__table__,
        [
            {
                "id": 100_000 + k,
                "code": f"syn_{k}",
                "name_zh": f"合成指标{k}",
                "name_en": f"Synthetic {k}",
                "unit": "亿元",
                "direction": Direction.UP.value if k % 4 else Direction.DOWN.value,
                "kind": IndicatorKind.LEVEL.value,
                "aggregation": Aggregation.SUM.value,
                "numerator_id": None,
                "denominator_id": None,
                "scale": None,
                "category": "other",
                "synonyms": "[]",
                "content_hash": h,
            }
            for k in range(n_ind)
        ],
    )
    _copy_or_insert(
        engine,
        Plan.__table__,
        [
            {
                "id": 100_000,
                "code": "synthetic",
                "title_zh": "合成规划",
                "title_en": "Synthetic plan",
                "issuer": None,
                "issued": "2021",
                "base_year": 2020,
                "horizon_years": "[2025, 2035]",
                "source_document": "synthetic",
                "document_title": None,
                "note": None,
                "content_hash": h,
                "created_at": T0,
                "updated_at": T0,
            }
        ],
    )
    target_rows: list[dict] = []
    obs_rows: list[dict] = []
    written = 0
    oid = 1_000_000
    first_year = 2026 - years
    for n in range(targets):
        if len(target_rows) == CHUNK:  # written chunk by chunk: memory stays flat at national scale
            _copy_or_insert(engine, Target.__table__, target_rows)
            _copy_or_insert(engine, Observation.__table__, obs_rows)
            written += len(obs_rows)
            target_rows, obs_rows = [], []
        region, ind = n % regions, n // regions
        up = ind % 4 != 0
        base = rnd.uniform(50, 500)
        growth = rnd.uniform(-0.02, 0.08) * (1 if up else -1)
        target_rows.append(
            {
                "id": 100_000 + n,
                "plan_id": 100_000,
                "key": f"t{n}",
                "version": 1,
                "valid_from": T0,
                "valid_to": None,
                "indicator_id": 100_000 + ind,
                "region_id": 100_000 + region,
                "chapter": f"第{ind % 7}章",
                "unit": "亿元",
                "comparator": (Comparator.GE if up else Comparator.LE).value,
                "value": round(base * (1.05 if up else 0.95) ** 15, 4),
                "low": None,
                "high": None,
                "stretch_value": None,
                "tolerance": None,
                "target_year": 2035 if n % 3 else 2025,
                "reference_year": None,
                "declared_form": DeclaredForm.LEVEL.value,
                "baseline_value": None,
                "baseline_year": None,
                "source_document": "synthetic",
                "source_quote": "合成",
                "confidence": Confidence.HIGH.value,
                "note": None,
                "content_hash": h,
            }
        )
        value = base
        for y in range(first_year, 2026):
            value *= 1 + growth + rnd.gauss(0, 0.01)
            reported = dt.datetime(y + 1, 3, 1, tzinfo=dt.UTC)
            obs_rows.append(_obs(oid, ind, region, y, value, reported))
            oid += 1
            if rnd.random() < revisions:
                obs_rows.append(
                    _obs(
                        oid,
                        ind,
                        region,
                        y,
                        value * 1.01,
                        reported + dt.timedelta(days=200),
                        supersedes=oid - 1,
                    )
                )
                oid += 1
    _copy_or_insert(engine, Target.__table__, target_rows)
    _copy_or_insert(engine, Observation.__table__, obs_rows)
    return Synthetic(regions, n_ind, targets, written + len(obs_rows))


def _obs(
    oid: int,
    ind: int,
    region: int,
    year: int,
    value: float,
    reported: dt.datetime,
    supersedes: int | None = None,
) -> dict:
    return {
        "id": oid,
        "indicator_id": 100_000 + ind,
        "region_id": 100_000 + region,
        "period": year,
        "value": round(value, 6),
        "value_as_entered": None,
        "unit_as_entered": None,
        "status": (ObservationStatus.REVISED if supersedes else ObservationStatus.FINAL).value,
        "qualifier": Qualifier.EXACT.value,
        "series_break": False,
        "source": "synthetic",
        "source_url": None,
        "note": None,
        "revision_reason": "synthetic revision" if supersedes else None,
        "reported_at": reported,
        "entered_by_id": None,
        "batch_id": None,
        "supersedes_id": supersedes,
    }
