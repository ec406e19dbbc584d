"""A province-scale synthetic catalog: thousands of regions, many targets, 20 years of observations.

Written straight into the tables, because what is measured afterwards is reading and assessing, not
loading. On SQLite the rows are made in Python and inserted with executemany. On PostgreSQL the
database makes them itself (``INSERT ... SELECT`` over ``generate_series``), which is what makes a
national catalog (840,000 targets, ~17 million observations) possible to build in minutes: the
secondary indexes of the two large tables are dropped for the load and then created again from their
own definitions (so the measured database has exactly the schema's indexes), foreign keys are not
checked row by row (the rows are consistent by construction), and the tables are vacuumed and
analysed afterwards, as a database in service would be.

On PostgreSQL every figure of target ``n`` follows from ``n`` and the seed alone (an md5 of them, not a
random stream), so a larger catalog extends a smaller one: ``build`` called again with more targets on
the same database adds targets ``n`` .. ``targets - 1`` and their observations, and the result is the same
database that building the larger size at once gives.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, text

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


def _catalog(engine: Engine, regions: int, indicators: range, *, plan: bool) -> None:
    """The synthetic regions (with ``plan``: and the plan) and the indicators numbered ``indicators``."""
    h = hashlib.sha256(b"synthetic").hexdigest()
    if plan:
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
            for k in indicators
        ],
    )
    if plan:
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


def build(
    engine: Engine,
    *,
    targets: int,
    regions: int = 3000,
    years: int = 20,
    revisions: float = 0.01,
    seed: int = 7,
) -> Synthetic:
    """Insert a synthetic plan with ``targets`` targets spread over ``regions`` regions (on PostgreSQL:
    extend the one already there, if any, up to ``targets``)."""
    if engine.dialect.name == "postgresql":
        return _build_in_postgresql(
            engine, targets=targets, regions=regions, years=years, revisions=revisions, seed=seed
        )
    rnd = random.Random(seed)
    n_ind = max(1, -(-targets // regions))
    _catalog(engine, regions, range(n_ind), plan=True)
    h = hashlib.sha256(b"synthetic").hexdigest()
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


# --- PostgreSQL: rows made by the database --------------------------------------------------------------

LARGE_TABLES = ("targets", "observations")
SQL_CHUNK = 50_000  # targets (about a million observations) per INSERT ... SELECT


def _uniform(seed: int, what: str) -> str:
    """SQL for a number in [0, 1) that depends only on the seed, the target ``n`` (and the year ``y``)."""
    return f"(('x' || substr(md5('{seed}|' || {what}), 1, 8))::bit(32)::bigint / 4294967296.0)"


def _base(seed: int) -> str:
    u = _uniform(seed, "n || '|b'")
    return f"(50 + 450 * {u})"


def _growth(seed: int) -> str:
    u = _uniform(seed, "n || '|g'")
    return f"((-0.02 + 0.10 * {u}) * CASE WHEN (n / :regions) % 4 <> 0 THEN 1 ELSE -1 END)"


def secondary_indexes(conn: Connection, tables: tuple[str, ...] = LARGE_TABLES) -> dict[str, str]:
    """Name -> definition of the indexes of ``tables`` that no constraint owns (the primary keys and
    unique constraints stay), as the migrations created them."""
    rows = conn.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(:tables) AND t.relnamespace = 'public'::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        ),
        {"tables": list(tables)},
    )
    return {name: definition for name, definition in rows}


def _build_in_postgresql(
    engine: Engine, *, targets: int, regions: int, years: int, revisions: float, seed: int
) -> Synthetic:
    n_ind = max(1, -(-targets // regions))
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM targets WHERE plan_id = 100000")).scalar_one()
        have_regions = conn.execute(text("SELECT count(*) FROM regions WHERE id >= 100000")).scalar_one()
        have_ind = conn.execute(text("SELECT count(*) FROM indicators WHERE id >= 100000")).scalar_one()
    if have and have_regions != regions:
        raise ValueError(f"the synthetic catalog there has {have_regions} regions, not {regions}")
    if have > targets:
        raise ValueError(f"the synthetic catalog there has {have} targets, more than {targets}")
    _catalog(engine, regions, range(have_ind, max(have_ind, n_ind)), plan=not have)
    first = 2026 - years
    params = {
        "regions": regions,
        "first": first,
        "span": 2 * years,  # ids per target: each year's figure and room for its revision
        "revisions": revisions,
        "t0": T0,
        "hash": hashlib.sha256(b"synthetic").hexdigest(),
        "ge": Comparator.GE.value,
        "le": Comparator.LE.value,
        "form": DeclaredForm.LEVEL.value,
        "confidence": Confidence.HIGH.value,
        "final": ObservationStatus.FINAL.value,
        "revised": ObservationStatus.REVISED.value,
        "exact": Qualifier.EXACT.value,
    }
    insert_targets = text(
        "INSERT INTO targets (id, plan_id, key, version, valid_from, valid_to, indicator_id, region_id, "
        "chapter, unit, comparator, value, target_year, declared_form, source_document, source_quote, "
        "confidence, content_hash) "
        "SELECT 100000 + n, 100000, 't' || n, 1, :t0, NULL, 100000 + n / :regions, 100000 + n % :regions, "
        "'第' || (n / :regions) % 7 || '章', '亿元', "
        "CASE WHEN (n / :regions) % 4 <> 0 THEN :ge ELSE :le END, "
        f"round(({_base(seed)} * power(CASE WHEN (n / :regions) % 4 <> 0 THEN 1.05 ELSE 0.95 END, 15))"
        "::numeric, 4), "
        "CASE WHEN n % 3 <> 0 THEN 2035 ELSE 2025 END, :form, 'synthetic', '合成', :confidence, :hash "
        "FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint) - 1) AS n"
    )
    noise, revised = _uniform(seed, "n || '|' || y"), _uniform(seed, "n || '|r' || y")
    # Each year's figure grows from the target's base by its growth rate, with ±1.7 % noise; a share
    # ``revisions`` of the figures is revised (1 % higher, 200 days later), the revision's id right
    # after the original's.
    insert_observations = text(
        "INSERT INTO observations (id, indicator_id, region_id, period, value, status, qualifier, "
        "series_break, source, revision_reason, reported_at, supersedes_id) "
        "SELECT o.id + CASE WHEN k.rev THEN 1 ELSE 0 END, o.indicator_id, o.region_id, o.y, "
        "round((o.v * CASE WHEN k.rev THEN 1.01 ELSE 1 END)::numeric, 6), "
        "CASE WHEN k.rev THEN :revised ELSE :final END, :exact, false, 'synthetic', "
        "CASE WHEN k.rev THEN 'synthetic revision' END, "
        "make_timestamptz(o.y + 1, 3, 1, 0, 0, 0, 'UTC') + CASE WHEN k.rev THEN interval '200 days' "
        "ELSE interval '0 days' END, CASE WHEN k.rev THEN o.id END "
        "FROM (SELECT 1000000 + n * :span + 2 * (y - :first) AS id, 100000 + n / :regions AS indicator_id, "
        f"100000 + n % :regions AS region_id, y, {_base(seed)} * power(1 + {_growth(seed)}, y - :first + 1) "
        f"* (1 + 0.034 * ({noise} - 0.5)) AS v, {revised} < :revisions AS revised "
        "FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint) - 1) AS n "
        "CROSS JOIN generate_series(:first, 2025) AS y) AS o "
        "CROSS JOIN LATERAL (VALUES (false), (true)) AS k(rev) WHERE NOT k.rev OR o.revised"
    )
    with engine.connect() as conn:
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        if superuser:  # the rows are consistent by construction: no foreign-key check row by row
            conn.execute(text("SET session_replication_role = replica"))
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        indexes = secondary_indexes(conn)
        for name in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        for start in range(have, targets, SQL_CHUNK):
            part = {**params, "start": start, "stop": min(targets, start + SQL_CHUNK)}
            conn.execute(insert_targets, part)
            if years > 0:
                conn.execute(insert_observations, part)
        for definition in indexes.values():
            conn.execute(text(definition))
        if secondary_indexes(conn) != indexes:
            raise RuntimeError("the indexes after the load differ from the schema's")
        for table in ("targets", "observations", "indicators", "regions"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        conn.execute(text("SET session_replication_role = DEFAULT"))
        conn.commit()
        observations = conn.execute(
            text("SELECT count(*) FROM observations WHERE indicator_id >= 100000")
        ).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) " + ", ".join(LARGE_TABLES)))
    return Synthetic(regions, n_ind, targets, observations)
