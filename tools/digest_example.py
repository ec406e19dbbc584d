"""The example digest in docs/: the real catalog, a few years of plausible figures, two report runs.

    python -m tools.digest_example docs/digest-example.html

builds a throwaway SQLite database, loads the catalog, enters the figures below in two rounds (the
second adds new years, revises one province's 2023 population and follows a mid-term adjustment of one
target), runs a report after each round and renders the zh digest a subscriber to the regional outline
and the demonstration-zone plan would get after the second run. The figures are invented but plausible;
they are not official statistics.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import PROJECT_ROOT, Settings
from service.db.models import Role, Subscription, User, WritePath
from service.domain.catalog import apply_catalog, read_catalog
from service.domain.observations import ObservationInput, ingest
from service.domain.users import create_user
from service.notify.digest import Digest, RunView, baseline_run, compose_digest
from service.notify.subscriptions import SubscriptionRequest, create_subscription
from service.reports.engine import run_report

# mid-course (before the 2025 targets' year has passed: after it only end-of-term verdicts are given)
FIRST = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
SECOND = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
PROVINCES = ["310000", "320000", "330000", "340000"]
URBAN = {
    "310000": [2136, 2144, 2220, 2220, 2220, 2225],
    "320000": [5604, 5698, 6227, 6289, 6338, 6394],
    "330000": [3953, 4095, 4660, 4708, 4751, 4808],
    "340000": [3459, 3553, 3559, 3631, 3680, 3741],
}
RESIDENT = {
    "310000": [2424, 2428, 2488, 2489, 2475, 2487],
    "320000": [8051, 8070, 8477, 8505, 8515, 8526],
    "330000": [5737, 5850, 6468, 6540, 6577, 6627],
    "340000": [6324, 6366, 6105, 6113, 6127, 6121],
}

Row = tuple[str, str, int, float, str, str | None]

FIRST_ROUND: list[Row] = [
    *[
        (i, p, 2018 + k, v[p][k], "万人", None)
        for p in PROVINCES
        for k in range(6)
        for i, v in (("urban_population", URBAN), ("resident_population", RESIDENT))
    ],
    *[
        ("rd_intensity", "Z-YRD", y, v, "%", None)
        for y, v in ((2018, 2.75), (2019, 2.82), (2020, 2.88), (2021, 2.93), (2022, 2.97))
    ],
    *[
        ("good_air_days_ratio", "Z-YRD", y, v, "%", None)
        for y, v in ((2018, 74.1), (2019, 76.5), (2020, 78.2), (2021, 79.0))
    ],
    *[
        ("average_life_expectancy", "Z-YRD", y, v, "岁", None)
        for y, v in ((2018, 78.1), (2020, 78.5), (2022, 78.8))
    ],
    ("rd_intensity", "Z-DEMO", 2022, 3.4, "%", None),  # the plan's baseline, as published
    ("rd_intensity", "Z-DEMO", 2023, 3.52, "%", None),
    ("high_tech_enterprises", "Z-DEMO", 2022, 1860, "家", None),
    ("high_tech_enterprises", "Z-DEMO", 2023, 2280, "家", None),
    ("network_5g_coverage", "Z-DEMO", 2022, 82, "%", None),
    ("network_5g_coverage", "Z-DEMO", 2023, 90, "%", None),
]

SECOND_ROUND: list[Row] = [
    ("urban_population", "340000", 2023, 3780, "万人", "年报修订：第五次全国经济普查后调整"),
    *[("rd_intensity", "Z-YRD", y, v, "%", None) for y, v in ((2023, 3.02), (2024, 3.08))],
    ("good_air_days_ratio", "Z-YRD", 2022, 77.6, "%", None),
    ("good_air_days_ratio", "Z-YRD", 2023, 77.0, "%", None),
    ("rd_intensity", "Z-DEMO", 2024, 3.55, "%", None),
    ("high_tech_enterprises", "Z-DEMO", 2024, 2650, "家", None),
    ("network_5g_coverage", "Z-DEMO", 2024, 100, "%", None),
]


def enter(session: Session, user: User, rows: list[Row], when: dt.datetime) -> None:
    inputs = [
        ObservationInput(
            row=n, indicator=i, region=r, period=y, value=v, unit=u, revision_reason=why, confirm=True
        )
        for n, (i, r, y, v, u, why) in enumerate(rows, 1)
    ]
    result = ingest(session, user, inputs, path=WritePath.API, now=when)
    if not result.applied:
        raise RuntimeError(f"example figures refused: {result.as_dict(all_rows=False)}")


def build_example(session: Session, settings: Settings, catalog_dir: Path | None = None) -> Digest:
    """Enter the example figures, run two reports and render the digest (the session must hold the catalog)."""
    admin = session.scalar(select(User).where(User.username == "example-admin"))
    if admin is None:
        admin = create_user(session, username="example-admin", role=Role.ADMIN, now=FIRST)
    enter(session, admin, FIRST_ROUND, FIRST)
    first = run_report(session, as_of=FIRST, now=FIRST, trigger="nightly")
    sub = create_subscription(
        session,
        None,
        SubscriptionRequest(
            email="planning-office@example.gov.cn",
            plan_codes=["yrd-outline-2019", "demo-zone-industry-2023"],
        ),
        now=FIRST,
        path=WritePath.CLI,
    )
    sub.last_run_id, sub.last_sent_at = first.id, FIRST  # as if the first digest had gone out
    enter(session, admin, SECOND_ROUND, SECOND)
    # a mid-term review raises the outline's urbanisation goal, met early, from 70 % to 73 % (目标调整)
    catalog = read_catalog(catalog_dir or PROJECT_ROOT / "indicators")
    for _, plan_file in catalog.plans:
        for target in plan_file.targets:
            if plan_file.plan.code == "yrd-outline-2019" and target.key == "urbanization-rate-2025":
                target.value = Decimal("73")
    apply_catalog(session, catalog, now=SECOND - dt.timedelta(days=1))
    second = run_report(session, as_of=SECOND, now=SECOND, trigger="nightly")
    session.flush()
    fresh = session.get(Subscription, sub.id)
    assert fresh is not None
    return compose_digest(RunView(session, second), fresh, baseline_run(session, fresh, second), settings)


def main(argv: list[str]) -> int:
    from service.db.migrate import upgrade_to_head
    from service.db.session import make_engine, make_sessionmaker, transaction

    out = Path(argv[0]) if argv else PROJECT_ROOT / "docs" / "digest-example.html"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/example.sqlite3",
            var_dir=Path(tmp),
            secret_key="example-only-not-a-real-key",
            base_url="https://yrdmon.example.gov.cn",
        )
        engine = make_engine(settings.effective_database_url)
        upgrade_to_head(engine)
        with transaction(make_sessionmaker(engine)) as session:
            apply_catalog(session, read_catalog(settings.catalog_dir), now=FIRST - dt.timedelta(days=60))
            digest = build_example(session, settings)
        engine.dispose()
    out.write_text(digest.html, encoding="utf-8")
    out.with_suffix(".txt").write_text(digest.text, encoding="utf-8")
    print(f"wrote {out} and {out.with_suffix('.txt')}: {digest.subject}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
