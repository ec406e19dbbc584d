"""Report runs at METHODOLOGY's edges (issue 15), on both databases: a zone with a plan baseline
aggregated from its members for the other years, a zone's share derived from members' rates and
denominators, and Nanjing's 十四五 targets judged on their 2025 results on a database loaded like
``yrdmon init``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from service.config import PROJECT_ROOT
from service.db.migrate import upgrade_to_head
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain.catalog import apply_catalog, load_observation_files
from service.domain.statuses import Status
from service.reports.engine import run_report
from service.reports.queries import AssessmentFilter, assessment_records
from tests.support.factories import create_user, project_catalog
from tests.support.samples import enter, record

AS_OF = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)  # after the catalog (and its baselines) was loaded
MEMBERS = ["310118", "320509", "330421"]  # 青浦区, 吴江区, 嘉善县


def test_a_zone_with_a_plan_baseline_is_aggregated_from_its_members_for_the_other_years(
    session: Session,
) -> None:
    # Z-DEMO R&D intensity ~3.7 % by 2025; the plan's baseline 3.4 (2022) is the zone's only figure.
    # Members publish R&D spending and GDP (亿元) for 2023–2025; 嘉善县 publishes only its rate for
    # 2025 (3.0 % of GDP 900 -> spending 27 derived). Zone 2023 = (30+60+20)/(1000+2000+700) =
    # 2.972973 %; 2024 = (33+66+24)/(1050+2100+800) = 3.113924 %; 2025 = (36+72+27)/(1100+2200+900)
    # = 3.214286 %
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    rows = [
        ("rd_expenditure", "310118", 2023, 30, "亿元", None),
        ("gdp", "310118", 2023, 1000, "亿元", None),
        ("rd_expenditure", "320509", 2023, 60, "亿元", None),
        ("gdp", "320509", 2023, 2000, "亿元", None),
        ("rd_expenditure", "330421", 2023, 20, "亿元", None),
        ("gdp", "330421", 2023, 700, "亿元", None),
        ("rd_expenditure", "310118", 2024, 33, "亿元", None),
        ("gdp", "310118", 2024, 1050, "亿元", None),
        ("rd_expenditure", "320509", 2024, 66, "亿元", None),
        ("gdp", "320509", 2024, 2100, "亿元", None),
        ("rd_expenditure", "330421", 2024, 24, "亿元", None),
        ("gdp", "330421", 2024, 800, "亿元", None),
        ("rd_expenditure", "310118", 2025, 36, "亿元", None),
        ("gdp", "310118", 2025, 1100, "亿元", None),
        ("rd_expenditure", "320509", 2025, 72, "亿元", None),
        ("gdp", "320509", 2025, 2200, "亿元", None),
        ("rd_intensity", "330421", 2025, 3.0, "%", None),
        ("gdp", "330421", 2025, 900, "亿元", None),
    ]
    enter(session, admin, rows, AS_OF - dt.timedelta(days=30))
    run = run_report(session, as_of=AS_OF, now=AS_OF)
    r = record(session, run, "demo-zone-industry-2023/rd-intensity-2025")
    assert r["status"] != Status.INSUFFICIENT_DATA.value, r["notes"]
    assert (r["base_year"], r["base_value"]) == (2022, 3.4)  # the plan baseline is the base
    assert r["latest_year"] == 2025 and r["verdict_year"] == 2025
    assert r["latest_value"] == pytest.approx(100 * 135 / 4200)
    assert "the zone's own figures for 2022" in r["aggregation"]
    assert "2025: rd_expenditure of 330421 derived as rate × gdp" in r["aggregation"]
    # 3.21 % in 2025 is short of the band's lower edge 3.626 (3.7 − 2 %): the end-of-term verdict
    assert r["status"] == Status.MISSED.value
    assert r["shortfall"] == pytest.approx(3.7 * 0.98 - 100 * 135 / 4200)


# --- Nanjing's 十四五 targets and their 2025 results ----------------------------------------------

# What the numbers of 专栏1 say, target by target (2025 result against the 2025 target; "—" = none)
NANJING_EXPECTED = {
    "gdp-2025": Status.MISSED,  # 19428.78 < 20000 亿元
    "gdp-avg-growth-2025": Status.MISSED,  # 年均增速4.8% (2021–2025, the outline's period mean) < about 6.5 %
    "rd-intensity-2025": Status.ACHIEVED,  # 4 ≈ 4
    "high-value-patents-per-10k-2025": Status.ACHIEVED,  # 82 ≥ 45
    "high-new-tech-output-share-2025": Status.ACHIEVED,  # 55.2 ≥ 54.5
    "working-age-schooling-2025": Status.ACHIEVED,  # 13.28 ≥ 13.2
    "urbanization-rate-2025": Status.ACHIEVED,  # 87.5 ≥ 85
    "manufacturing-va-share-2025": Status.MISSED,  # 23.7 < 30
    "digital-core-va-share-2025": Status.ACHIEVED,  # 16.3 ≥ 10
    "labour-productivity-2025": Status.ACHIEVED,  # 39 ≥ 34
    "disposable-income-2025": Status.MISSED,  # 78243 short of about 90000
    "urban-unemployment-2025": Status.INSUFFICIENT_DATA,  # no 2025 figure
    "life-expectancy-2025": Status.ACHIEVED,  # 85 ≥ 83.5
    "physicians-per-1000-2025": Status.MISSED,  # 4.8 < 5.5
    "pension-contribution-rate-2025": Status.ACHIEVED,  # 超过90 ≥ 90
    "childcare-places-per-1000-2025": Status.ACHIEVED,  # 4.8 above about 4.5
    "home-care-elderly-share-2025": Status.ACHIEVED,  # 23.1 above about 18
    "carbon-intensity-reduction-2025": Status.INSUFFICIENT_DATA,  # no 2020/2025 figures
    "non-fossil-energy-share-2025": Status.ACHIEVED,  # 20 ≥ 12
    "surface-water-good-quality-2025": Status.ACHIEVED,  # 100 ≥ 90
    "good-air-days-2025": Status.ACHIEVED,  # 87.4 ≥ 80
    "tree-cover-2025": Status.ACHIEVED,  # 31.9 ≥ 31.6
    "grain-capacity-2025": Status.ACHIEVED,  # 100 ≥ 95
    "safety-accidents-reduction-2025": Status.INSUFFICIENT_DATA,  # "—"
    "safety-deaths-reduction-2025": Status.INSUFFICIENT_DATA,  # "—"
    "social-civility-index-2025": Status.INSUFFICIENT_DATA,  # "—"
    "rule-of-law-satisfaction-2025": Status.INSUFFICIENT_DATA,  # "—"
    "public-security-2025": Status.ACHIEVED,  # 安全感保持99%以上 (the 十五五 outline's 2025 baseline)
}


def test_nanjing_14th_targets_agree_with_their_2025_results(fresh_db_url: Callable[[], str]) -> None:
    engine = make_engine(fresh_db_url())
    try:
        upgrade_to_head(engine)
        now = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
        with transaction(make_sessionmaker(engine)) as session:  # what `yrdmon init` does
            apply_catalog(session, project_catalog(), now=now)
            load_observation_files(session, PROJECT_ROOT / "indicators", now=now)
        with transaction(make_sessionmaker(engine)) as session:
            run = run_report(session, as_of=now, now=now)
            records = {
                r["id"].partition("/")[2]: r
                for r in assessment_records(session, run, AssessmentFilter(plan="nanjing-14th-outline"))
            }
    finally:
        engine.dispose()
    got = {k: r["status"] for k, r in records.items() if k in NANJING_EXPECTED}
    assert got == {k: s.value for k, s in NANJING_EXPECTED.items()}
    # the growth verdict rests on the outline's average rate over 2021–2025, not on a made-up 2020 level
    growth = records["gdp-avg-growth-2025"]
    assert growth["indicator"] == "地区生产总值增速" and growth["latest_value"] == pytest.approx(
        100 * 1.048**5
    )
    # every verdict rests on the outline's preliminary 2025 figures, and says so
    for key, status in NANJING_EXPECTED.items():
        r = records[key]
        if status in (Status.ACHIEVED, Status.MISSED) and key != "public-security-2025":
            assert r["verdict_year"] == 2025 and r["latest_preliminary"] is True, key
            assert r["status_zh"].endswith("（初步数据）"), key
