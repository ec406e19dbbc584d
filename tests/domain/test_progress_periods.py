"""Targets of a plan period (十五五 2026–2030): yearly targets (每年…), period totals and changes
(累计…, 〔〕, 年均…) and qualitative targets; hand-computed, no database (METHODOLOGY.md, progress.py)."""

from __future__ import annotations

from typing import Any

import pytest

from service.db.models import Comparator, DeclaredForm, Direction, IndicatorKind
from service.domain.progress import Point, TargetSpec, assess, evaluate, first_met_year, normalise
from service.domain.statuses import Status
from tests.support.progress import series


def jobs(**overrides: Any) -> TargetSpec:
    """每年新增城镇就业30万人以上, 2026–2030 (a yearly flow, in 万人)."""
    fields: dict[str, Any] = {
        "comparator": Comparator.GE,
        "value": 30.0,
        "target_year": 2030,
        "declared_form": DeclaredForm.EACH_YEAR,
        "period_start": 2026,
    }
    fields.update(overrides)
    return TargetSpec(**fields)


# --- each_year: every year of the period must meet the value ----------------------------------------


def test_each_year_met_so_far_is_on_track_not_achieved_early() -> None:
    a = assess(jobs(), series(2025, 32, 31, 30.5), as_of_year=2027)
    assert a.status is Status.ON_TRACK  # a yearly target cannot be achieved before 2030
    assert (a.latest_year, a.latest_value, a.target_level) == (2027, 30.5, 30.0)
    assert (a.base_year, a.base_value) == (2025, 32)  # the year before the period, for context only
    assert a.tau == pytest.approx(2 / 5)  # 2026 and 2027 of five years have data
    assert a.completion == pytest.approx(2 / 5)  # both met
    assert a.pace_ratio == pytest.approx(30.5 / 30)
    assert a.strict_pass is True
    assert a.projection is None and a.r_remain is None and a.cagr_actual is None  # nothing compounds
    assert a.observation_ids == (2026, 2027)  # 2025 is not one of the period's years


def test_each_year_latest_year_short_is_never_on_track() -> None:
    # 29/30 = 0.967 would be "on track" as a pace ratio; one year short of a yearly target is not
    a = assess(jobs(), series(2026, 31, 29), as_of_year=2027)
    assert a.status is Status.NEEDS_ACCELERATION
    assert a.pace_ratio == pytest.approx(29 / 30)
    assert a.shortfall == pytest.approx(1.0) and a.gap == pytest.approx(1.0)
    assert a.strict_pass is False and a.completion == pytest.approx(1 / 5)
    # 15/30 = 0.5 < 0.60: off track
    assert assess(jobs(), series(2026, 31, 15), as_of_year=2027).status is Status.OFF_TRACK


def test_each_year_met_before_the_period_and_short_now_is_regressing() -> None:
    a = assess(jobs(), series(2025, 32, 31, 29), as_of_year=2027)
    assert a.status is Status.REGRESSING
    assert any("met in 2025 but not in 2027" in n for n in a.notes)
    # short before the period as well: judged on the ratio
    assert assess(jobs(), series(2025, 25, 31, 29), as_of_year=2027).status is Status.NEEDS_ACCELERATION


def test_each_year_an_earlier_short_year_is_noted_while_the_latest_decides() -> None:
    a = assess(jobs(), series(2026, 28, 31), as_of_year=2027)
    assert a.status is Status.ON_TRACK
    assert a.strict_pass is False
    assert any(n.startswith("2026: 28") for n in a.notes)
    assert any("can no longer be achieved" in n for n in a.notes)


def test_each_year_end_of_term_needs_every_year() -> None:
    every = series(2026, 31, 30, 32, 33, 30)
    a = assess(jobs(), every, as_of_year=2031)
    assert a.status is Status.ACHIEVED and a.completion == 1.0 and a.strict_pass is True
    assert a.shortfall is None
    # 2028 short: missed, with the worst year's shortfall (27 against 30, although 2030 met it)
    missed = assess(jobs(), series(2026, 31, 29, 27, 33, 30), as_of_year=2031)
    assert missed.status is Status.MISSED
    assert missed.shortfall == pytest.approx(3.0)
    assert missed.completion == pytest.approx(3 / 5)
    # no value for 2028 and none short: not enough to say
    gap = [p for p in every if p.year != 2028]
    insufficient = assess(jobs(), gap, as_of_year=2031)
    assert insufficient.status is Status.INSUFFICIENT_DATA
    assert any("no value for 2028" in n for n in insufficient.notes)
    # the run is after 2030 but 2030 has no value yet; a year already short decides
    early = assess(jobs(), series(2026, 31, 29, 32, 33), as_of_year=2031)
    assert early.status is Status.MISSED


def test_each_year_is_never_an_early_achievement_in_the_evaluation() -> None:
    a, norm = evaluate(jobs(), series(2026, 31, 30, 32, 33, 30), as_of_year=2031)
    assert a.status is Status.ACHIEVED
    assert first_met_year(norm) is None  # not "提前实现": every year counted


def test_each_year_lower_is_better() -> None:
    # PM2.5 each year at most 30 µg/m³: 31 in 2027 is short, ratio 30/31
    spec = jobs(comparator=Comparator.LE, direction=Direction.DOWN)
    a = assess(spec, series(2026, 28, 31), as_of_year=2027)
    assert a.status is Status.NEEDS_ACCELERATION
    assert a.pace_ratio == pytest.approx(30 / 31)
    assert assess(spec, series(2026, 28, 29), as_of_year=2027).status is Status.ON_TRACK


def test_each_year_on_a_growth_rate_indicator_compares_each_years_rate() -> None:
    # GDP growth at least 5 % every year: the rates are compared one by one, never chained
    spec = jobs(value=5.0, indicator_kind=IndicatorKind.GROWTH_RATE)
    a = assess(spec, series(2026, 5.2, 4.8), as_of_year=2027)
    assert a.status is Status.NEEDS_ACCELERATION
    assert a.latest_value == 4.8 and a.target_level == 5.0
    assert a.pace_ratio == pytest.approx(0.96)


def test_each_year_about_uses_a_band_on_each_year() -> None:
    spec = jobs(comparator=Comparator.ABOUT, value=100.0)  # ±2 % -> at least 98
    a = assess(spec, series(2026, 99, 98.5), as_of_year=2027)
    assert a.status is Status.ON_TRACK and a.band == pytest.approx((98.0, 102.0))


def test_each_year_without_a_period_uses_the_plan_base_year() -> None:
    no_period = jobs(period_start=None)
    a = assess(no_period, series(2026, 31), as_of_year=2026)
    assert a.status is Status.INSUFFICIENT_DATA
    assert any("period_start" in n for n in a.notes)
    derived = assess(jobs(period_start=None, plan_base_year=2025), series(2026, 31), as_of_year=2026)
    assert derived.status is Status.ON_TRACK and derived.base_year == 2025


def test_each_year_before_any_year_of_the_period() -> None:
    a = assess(jobs(), series(2024, 29, 32), as_of_year=2026)
    assert a.status is Status.INSUFFICIENT_DATA
    assert any("no value yet for any year of 2026–2030" in n for n in a.notes)


# --- period totals and changes: the base is the year before the period ----------------------------


def test_cumulative_flow_over_the_period_sums_from_period_start() -> None:
    # 〔150〕万人 new urban jobs over 2026–2030; the series holds each year's additions
    spec = jobs(declared_form=DeclaredForm.CUMULATIVE, value=150.0, series_is_flow=True)
    a = assess(spec, series(2025, 40, 32, 31), as_of_year=2027)
    # 2025's 40 is before the period and not counted: 32 + 31 = 63 of 150
    assert (a.base_year, a.base_value, a.latest_value, a.target_level) == (2025, 0.0, 63.0, 150.0)
    assert a.tau == pytest.approx(0.4)  # (2027 - 2025)/(2030 - 2025)
    assert a.completion == pytest.approx(63 / 150)  # 0.42
    assert a.status_basis == "schedule_ratio"  # no CAGR from 0
    assert a.status is Status.ON_TRACK  # 0.42/0.4 = 1.05
    assert a.observation_ids == (2026, 2027)


def test_cumulative_additions_to_a_stock_over_the_period() -> None:
    # 累计新增高新技术企业500家 over 2026–2030, series is the stock: x_T = x_2025 + 500
    spec = jobs(declared_form=DeclaredForm.CUMULATIVE, value=500.0)
    a = assess(spec, series(2025, 1000, 1120, 1230), as_of_year=2027)
    assert a.target_level == pytest.approx(1500.0) and a.base_year == 2025
    assert a.completion == pytest.approx(230 / 500)


def test_avg_annual_growth_over_the_period_compounds_from_the_year_before() -> None:
    # 地区生产总值年均增长5%, 2026–2030: x_T = x_2025 * 1.05^5
    spec = jobs(declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, value=5.0, target_year=2030)
    a = assess(spec, series(2025, 100, 105, 110.25), as_of_year=2027)
    assert a.target_level == pytest.approx(100 * 1.05**5)
    assert a.cagr_actual == pytest.approx(0.05) and a.pace_ratio == pytest.approx(1.0)
    assert a.status is Status.ON_TRACK and a.strict_pass is True


def test_bracketed_cumulative_decrease_is_a_relative_change_from_2025() -> None:
    # 单位GDP二氧化碳排放降低〔20〕: value -20, period 2026–2030, against 2025
    spec = jobs(
        declared_form=DeclaredForm.RELATIVE_CHANGE,
        value=-20.0,
        comparator=Comparator.LE,
        direction=Direction.DOWN,
    )
    a = assess(spec, series(2025, 1.0, 0.95, 0.9), as_of_year=2027)
    assert a.target_level == pytest.approx(0.8) and a.base_year == 2025
    assert a.completion == pytest.approx(0.5)  # 0.1 of the 0.2 promised
    # without a value for 2025 the level cannot be derived (no later-year substitute)
    assert assess(spec, series(2026, 0.95, 0.9), as_of_year=2027).status is Status.INSUFFICIENT_DATA


def test_a_reference_year_wins_over_the_period() -> None:
    spec = jobs(
        declared_form=DeclaredForm.RELATIVE_CHANGE,
        value=-10.0,
        comparator=Comparator.LE,
        direction=Direction.DOWN,
        reference_year=2020,
    )
    assert spec.base_year == 2020
    assert normalise(spec, series(2020, 1.0, 0.98)).target_level == pytest.approx(0.9)


# --- qualitative: never assessed numerically ------------------------------------------------------


def test_a_qualitative_target_is_not_assessed() -> None:
    spec = jobs(comparator=Comparator.QUALITATIVE, value=None, declared_form=DeclaredForm.LEVEL)
    with pytest.raises(ValueError, match="qualitative"):
        assess(spec, series(2025, 1, 2, 3))
    with pytest.raises(ValueError, match="qualitative"):
        normalise(spec, [])


# --- end of term with only the target year's value (the 十四五 results restated in 2026) ------------


def plan_2025(**overrides: Any) -> TargetSpec:
    """常住人口城镇化率 85 % by 2025, plan base year 2020 (no 2020 value known)."""
    fields: dict[str, Any] = {
        "comparator": Comparator.GE,
        "value": 85.0,
        "target_year": 2025,
        "declared_form": DeclaredForm.SHARE,
        "plan_base_year": 2020,
    }
    fields.update(overrides)
    return TargetSpec(**fields)


def test_after_the_term_a_level_target_is_judged_on_the_target_years_value_alone() -> None:
    a, norm = evaluate(plan_2025(), [Point(2025, 87.5, observation_id=7)], as_of_year=2026)
    assert a.status is Status.ACHIEVED
    assert (a.latest_year, a.latest_value, a.target_level) == (2025, 87.5, 85.0)
    assert a.base_year is None and a.tau is None and a.pace_ratio is None and a.completion is None
    assert a.observation_ids == (7,) and any("on the 2025 value alone" in n for n in a.notes)
    assert first_met_year(norm) == 2025  # not an early achievement
    missed = assess(
        plan_2025(value=30.0, declared_form=DeclaredForm.LEVEL), [Point(2025, 23.7)], as_of_year=2026
    )
    assert missed.status is Status.MISSED and missed.shortfall == pytest.approx(6.3)
    # lower is better, within a band (约): 4 左右 met by 4.0
    about = plan_2025(comparator=Comparator.ABOUT, value=4.0)
    assert assess(about, [Point(2025, 4.0)], as_of_year=2026).status is Status.ACHIEVED


def test_one_value_is_still_not_enough_before_the_term_ends_or_for_a_change() -> None:
    assert assess(plan_2025(), [Point(2025, 87.5)], as_of_year=2025).status is Status.INSUFFICIENT_DATA
    change = plan_2025(
        declared_form=DeclaredForm.RELATIVE_CHANGE,
        value=-20.0,
        comparator=Comparator.LE,
        reference_year=2020,
        direction=Direction.DOWN,
    )
    assert assess(change, [Point(2025, 0.5)], as_of_year=2026).status is Status.INSUFFICIENT_DATA
    growth = plan_2025(declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, value=6.5)
    assert assess(growth, [Point(2025, 19428.78)], as_of_year=2026).status is Status.INSUFFICIENT_DATA
