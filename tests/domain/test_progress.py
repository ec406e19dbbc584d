"""The progress-and-gap methodology (docs METHODOLOGY.md) on hand-computed cases; no database.

Every expected figure is worked out in the comment beside it. Rates are fractions (0.0145 = 1.45 %).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from service.db.models import Aggregation, Comparator, DeclaredForm, Direction, IndicatorKind
from service.domain.progress import (
    METHOD_VERSION,
    PROFILES,
    SIGMA_FLOOR,
    Point,
    TargetResult,
    TargetSpec,
    Thresholds,
    aggregate,
    aggregate_ratio,
    aggregate_sum,
    assess,
    classify,
    normalise,
    summarise,
)
from service.domain.statuses import STATUS_LABELS, STATUS_SCORES, Status, worst
from tests.support.progress import series, target


def rnd(x: float | None, digits: int) -> float:
    assert x is not None
    return round(x, digits)


# --- METHODOLOGY §4: the worked examples, to the printed precision --------------------------------


def test_worked_example_rd_intensity() -> None:
    a = assess(target(), series(2020, 3.40, 3.44, 3.51, 3.55))
    assert a.status is Status.NEEDS_ACCELERATION
    assert a.tau == pytest.approx(0.6)  # (2023-2020)/(2025-2020)
    assert rnd(a.completion, 3) == 0.5  # (3.55-3.40)/(3.70-3.40) = 0.15/0.30
    assert rnd(a.schedule_ratio, 3) == 0.833  # 0.5/0.6
    assert rnd(a.schedule_gap, 3) == -0.1  # 0.5-0.6
    assert rnd(a.cagr_actual, 4) == 0.0145  # (3.55/3.40)^(1/3)-1 = 1.4495 %
    assert rnd(a.cagr_required, 4) == 0.0171  # (3.70/3.40)^(1/5)-1 = 1.7055 %
    assert rnd(a.pace_ratio, 3) == 0.850  # 1.4495/1.7055 = 0.8499
    assert rnd(a.r_remain, 4) == 0.0209  # (3.70/3.55)^(1/2)-1 = 2.0908 %
    assert rnd(a.projection, 3) == 3.654  # 3.55 * 1.014495^2 = 3.6537
    # linear reference path: 3.40 + 0.6*0.30 = 3.58; gap 3.70-3.55 = 0.15, half of 0.30
    assert a.ref_value == pytest.approx(3.58)
    assert a.gap == pytest.approx(0.15)
    assert a.gap_share == pytest.approx(0.5)
    # least squares: x̄ = 2021.5, ȳ = 13.9/4 = 3.475, slope = (1.5*.075+.5*.035)*2/5 = 0.26/5 = 0.052;
    # at 2025: 3.475 + 0.052*3.5 = 3.657
    assert a.projection_trend == pytest.approx(3.657)
    assert a.p_meet is None  # only 4 points
    assert a.strict_pass is None  # a level target has no rate floor
    assert a.status_basis == "pace_ratio"
    assert (a.base_year, a.base_value, a.latest_year, a.latest_value) == (2020, 3.40, 2023, 3.55)
    assert a.target_level == 3.7
    assert a.observation_ids == (2020, 2021, 2022, 2023)
    assert a.method_version == METHOD_VERSION
    assert a.profile == "eurostat"
    assert a.notes == ()


def test_worked_example_output_growth_floor() -> None:
    spec = target(value=25, declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, reference_year=2020)
    a = assess(spec, series(2020, 100, 128, 155, 190))
    assert rnd(a.target_level, 2) == 305.18  # 100 * 1.25^5 = 305.176
    assert rnd(a.completion, 3) == 0.575  # ln(1.90)/ln(3.0518) = 0.6419/1.1158
    assert rnd(a.cagr_actual * 100 if a.cagr_actual else None, 2) == 23.86  # 1.9^(1/3)-1
    assert a.cagr_required == pytest.approx(0.25)
    assert rnd(a.pace_ratio, 3) == 0.954  # 0.23856/0.25
    assert a.status is Status.ON_TRACK
    assert a.strict_pass is False  # 23.86 % < 25 %
    assert rnd(a.r_remain, 3) == 0.267  # (305.18/190)^(1/2)-1 = 26.74 %
    # compounding reference path: 100 * 3.0518^0.6 = 100 * 1.25^3 = 195.3125
    assert a.ref_value == pytest.approx(195.3125)


def test_worked_example_income_ratio_lower_is_better() -> None:
    spec = target(
        comparator=Comparator.LE, value=2.2, declared_form=DeclaredForm.RATIO, direction=Direction.DOWN
    )
    a = assess(spec, series(2020, 2.56, 2.50, 2.45, 2.39))
    # CAGR_a = (2.39/2.56)^(1/3)-1 = -2.2644 %, CAGR_r = (2.2/2.56)^(1/5)-1 = -2.9855 %
    assert rnd(a.pace_ratio, 3) == 0.758
    assert a.status is Status.NEEDS_ACCELERATION
    assert a.cagr_actual == pytest.approx(-0.022644, abs=1e-6)
    assert a.cagr_required == pytest.approx(-0.029855, abs=1e-6)
    assert a.completion == pytest.approx(0.17 / 0.36)  # linear: (2.39-2.56)/(2.2-2.56)
    assert a.comparator is Comparator.LE
    assert a.shortfall == pytest.approx(0.19)  # 2.39 - 2.2


# --- levels, both directions, pace bands --------------------------------------------------------


def test_level_target_slow_progress_is_off_track() -> None:
    # base 100 (2020), >= 200 by 2025, 110 in 2022: τ = 0.4, P = 10/100 = 0.1, S = 0.25
    # CAGR_a = 1.1^(1/2)-1 = 0.048809, CAGR_r = 2^(1/5)-1 = 0.148698, R = 0.32824
    a = assess(target(value=200), series(2020, 100, None, 110))
    assert a.tau == pytest.approx(0.4)
    assert a.completion == pytest.approx(0.1)
    assert a.schedule_ratio == pytest.approx(0.25)
    assert a.pace_ratio == pytest.approx(0.32824, abs=1e-5)
    assert a.status is Status.OFF_TRACK
    assert a.observation_ids == (2020, 2022)  # the retracted 2021 is not used


def test_share_target_ahead_of_pace_is_on_track() -> None:
    # share >= 60 from 50 (2020), 54.8 in 2022: CAGR_a = 1.096^(1/2)-1 = 0.046895,
    # CAGR_r = 1.2^(1/5)-1 = 0.037137, R = 1.2628
    a = assess(target(value=60, declared_form=DeclaredForm.SHARE), series(2020, 50, 52, 54.8))
    assert a.pace_ratio == pytest.approx(1.2628, abs=1e-4)
    assert a.completion == pytest.approx(0.48)  # 4.8/10
    assert a.status is Status.ON_TRACK


def test_moving_away_from_the_target_is_regressing() -> None:
    # >= 200 from 100; 95 in 2022: CAGR_a = 0.95^(1/2)-1 < 0, so R < 0
    a = assess(target(value=200), series(2020, 100, 98, 95))
    assert a.pace_ratio is not None and a.pace_ratio < 0
    assert a.status is Status.REGRESSING
    assert a.completion == pytest.approx(-0.05)  # -5/100


def test_decrease_target_uses_the_sign_of_the_rates() -> None:
    # PM2.5 <= 30 from 40 (2020), 36 in 2022: P = -4/-10 = 0.4, τ = 0.4, S = 1.0;
    # CAGR_a = 0.9^(1/2)-1 = -0.051317, CAGR_r = 0.75^(1/5)-1 = -0.055912, R = 0.91780
    spec = target(comparator=Comparator.LE, value=30, direction=Direction.DOWN)
    a = assess(spec, series(2020, 40, 38, 36))
    assert a.schedule_ratio == pytest.approx(1.0)
    assert a.pace_ratio == pytest.approx(0.91780, abs=1e-5)
    assert a.status is Status.NEEDS_ACCELERATION
    assert a.r_remain == pytest.approx((30 / 36) ** (1 / 3) - 1)  # -5.90 %/yr still needed
    rising = assess(spec, series(2020, 40, 41, 42))
    assert rising.status is Status.REGRESSING  # CAGR_a > 0 against a decrease: R < 0
    done = assess(spec, series(2020, 40, 35, 29))
    assert done.status is Status.ACHIEVED_EARLY  # 29 <= 30 in 2022 < 2025


def test_comparator_decides_the_sense_over_the_indicator_direction() -> None:
    # an "at most" target on an indicator whose direction says up: <= wins (29 satisfies <= 30)
    spec = target(comparator=Comparator.LE, value=30, direction=Direction.UP)
    assert assess(spec, series(2020, 40, 29)).status is Status.ACHIEVED_EARLY


def test_profiles_and_classify() -> None:
    assert PROFILES["eurostat"] == (0.95, 0.60, 0.0)
    assert PROFILES["unsd"] == Thresholds(0.95, 0.50, -0.10)
    eurostat, unsd = PROFILES["eurostat"], PROFILES["unsd"]
    assert classify(0.95, eurostat) is Status.ON_TRACK
    assert classify(0.9499, eurostat) is Status.NEEDS_ACCELERATION
    assert classify(0.60, eurostat) is Status.NEEDS_ACCELERATION
    assert classify(0.55, eurostat) is Status.OFF_TRACK
    assert classify(0.55, unsd) is Status.NEEDS_ACCELERATION  # fair progress >= 0.5
    assert classify(0.0, eurostat) is Status.OFF_TRACK
    assert classify(-0.05, eurostat) is Status.REGRESSING
    assert classify(-0.05, unsd) is Status.OFF_TRACK  # stagnation band [-0.1, 0.1)
    assert classify(-0.1, unsd) is Status.OFF_TRACK
    assert classify(-0.11, unsd) is Status.REGRESSING


def test_profile_changes_the_status_and_is_recorded() -> None:
    # >= 200 from 100 by 2025, CAGR_r = 2^(1/5)-1 = 0.148698.
    # 115 in 2022: CAGR_a = 1.15^(1/2)-1 = 0.072381, R = 0.48677: OFF_TRACK in both profiles
    # 120 in 2022: CAGR_a = 1.2^(1/2)-1 = 0.095445, R = 0.64187: NEEDS_ACCELERATION in both
    slow = series(2020, 100, 107, 115)
    e = assess(target(value=200), slow)
    u = assess(target(value=200), slow, profile="unsd")
    assert e.pace_ratio == pytest.approx(0.48677, abs=1e-5)
    assert e.status is Status.OFF_TRACK
    assert u.status is Status.OFF_TRACK  # 0.1 <= R < 0.5: limited progress
    faster = series(2020, 100, 110, 120)
    assert assess(target(value=200), faster).pace_ratio == pytest.approx(0.64187, abs=1e-5)
    assert assess(target(value=200), faster).status is Status.NEEDS_ACCELERATION
    assert assess(target(value=200), faster, profile="unsd").status is Status.NEEDS_ACCELERATION
    # R = 0.55 separates the profiles: 100 -> 100*(1+0.55*0.148698)^2 = 117.0226 in 2022
    mid = series(2020, 100, 108, 100 * (1 + 0.55 * (2**0.2 - 1)) ** 2)
    assert assess(target(value=200), mid).status is Status.OFF_TRACK
    assert assess(target(value=200), mid, profile="unsd").status is Status.NEEDS_ACCELERATION
    assert u.profile == "unsd"
    with pytest.raises(ValueError, match="unknown threshold profile"):
        assess(target(), slow, profile="oecd")


# --- achieved, early, missed, window -------------------------------------------------------------


def test_achieved_early_and_at_the_target_year() -> None:
    early = assess(target(), series(2020, 3.40, 3.55, 3.72))
    assert early.status is Status.ACHIEVED_EARLY
    assert early.label_zh == "提前实现" and early.score == 5
    assert early.shortfall is None
    exact = assess(target(), series(2020, 3.40, 3.44, 3.51, 3.55, 3.62, 3.70))
    assert exact.status is Status.ACHIEVED  # 3.70 >= 3.7 in 2025
    assert exact.label_zh == "已实现"
    assert exact.projection is None and exact.r_remain is None  # nothing left to project


def test_target_year_passed_and_not_met_is_missed_with_shortfall() -> None:
    a = assess(target(), series(2020, 3.40, 3.44, 3.51, 3.55, 3.60, 3.65, 3.90))
    assert a.status is Status.MISSED
    assert a.latest_year == 2025  # the 2026 value does not count for a 2025 target
    assert a.shortfall == pytest.approx(0.05)  # 3.70 - 3.65
    assert a.gap == pytest.approx(0.05)
    assert a.completion == pytest.approx(0.25 / 0.30)
    assert any("after the target year 2025" in n for n in a.notes)
    assert a.label_zh == "未实现" and a.score == -4


def test_missing_target_year_value_leaves_the_latest_earlier_year() -> None:
    # 2025 has no value: t = 2024 < T, so the pace rules apply, not MISSED:
    # CAGR_a = (3.62/3.40)^(1/4)-1 = 0.015798, R = 0.015798/0.017055 = 0.92629
    a = assess(target(), series(2020, 3.40, 3.44, 3.51, 3.55, 3.62, None, 3.90))
    assert a.latest_year == 2024
    assert a.pace_ratio == pytest.approx(0.92629, abs=1e-5)
    assert a.status is Status.NEEDS_ACCELERATION


def test_as_of_year_cuts_the_series() -> None:
    data = series(2020, 3.40, 3.44, 3.51, 3.55, 3.80)
    assert assess(target(), data).status is Status.ACHIEVED_EARLY
    a = assess(target(), data, as_of_year=2023)
    assert a.latest_year == 2023 and a.status is Status.NEEDS_ACCELERATION
    assert a.observation_ids == (2020, 2021, 2022, 2023)
    assert assess(target(), data, as_of_year=2019).status is Status.INSUFFICIENT_DATA


# --- ~, =, range, stretch -------------------------------------------------------------------------


def about(**overrides: Any) -> TargetSpec:
    # 高新技术企业达到3000家左右, base 2600 in 2022, by 2025
    fields: dict[str, Any] = {"comparator": Comparator.ABOUT, "value": 3000, "plan_base_year": 2022}
    fields.update(overrides)
    return target(**fields)


def test_about_band_inside_is_achieved() -> None:
    a = assess(about(), series(2022, 2600, 2800, 2950))
    assert a.band == pytest.approx((2940, 3060))  # 3000 ± 2 %
    assert a.status is Status.ACHIEVED_EARLY  # 2950 inside [2940, 3060]
    assert a.target_level == 3000


def test_about_band_outside_below_is_not_achieved() -> None:
    a = assess(about(), series(2022, 2600, 2750, 2900))
    # CAGR_a = (2900/2600)^(1/2)-1 = 0.056118, CAGR_r = (3000/2600)^(1/3)-1 = 0.048856, R = 1.14863
    assert a.pace_ratio == pytest.approx(1.14863, abs=1e-5)
    assert a.status is Status.ON_TRACK
    assert a.shortfall == pytest.approx(40)  # to the band's lower edge 2940
    assert a.gap == pytest.approx(100)  # to the central value
    missed = assess(about(), series(2022, 2600, 2750, 2850, 2900))
    assert missed.status is Status.MISSED


def test_about_band_overshoot_on_the_better_side_counts_as_achieved() -> None:
    a = assess(about(), series(2022, 2600, 2800, 3100))
    assert a.status is Status.ACHIEVED_EARLY
    assert any("beyond the band" in n for n in a.notes)


def test_about_band_custom_tolerance() -> None:
    a = assess(about(tolerance=0.05), series(2022, 2600, 2800, 2900))
    assert a.band == pytest.approx((2850, 3150))
    assert a.status is Status.ACHIEVED_EARLY


def test_about_band_lower_is_better() -> None:
    # 控制在30左右 on a lower-is-better indicator: band [29.4, 30.6]; the worse side is above it
    spec = about(value=30, direction=Direction.DOWN, plan_base_year=2020)
    assert assess(spec, series(2020, 36, 30.5)).status is Status.ACHIEVED_EARLY
    below = assess(spec, series(2020, 36, 29))
    assert below.status is Status.ACHIEVED_EARLY
    assert any("beyond the band" in n for n in below.notes)
    late = assess(spec, series(2020, 36, 34, 33, 32, 31.5, 31))
    assert late.status is Status.MISSED
    assert late.shortfall == pytest.approx(0.4)  # 31 - 30.6


def test_equals_is_a_band_without_tolerance() -> None:
    spec = target(comparator=Comparator.EQ, value=100)
    assert assess(spec, series(2020, 90, 100)).status is Status.ACHIEVED_EARLY
    # 99.9 misses "= 100": CAGR_a = 99.9/90-1 = 0.11, CAGR_r = (100/90)^(1/5)-1 = 0.021295 -> ON_TRACK
    short = assess(spec, series(2020, 90, 99.9))
    assert short.status is Status.ON_TRACK
    assert short.band == (100, 100)
    assert short.shortfall == pytest.approx(0.1)


def test_range_is_achieved_at_low_with_high_as_stretch() -> None:
    spec = target(comparator=Comparator.RANGE, value=None, low=2, high=3, plan_base_year=2019)
    a = assess(spec, series(2019, 1, 1, 2))
    assert a.status is Status.ACHIEVED_EARLY  # 2 >= low
    assert a.comparator is Comparator.GE
    assert a.stretch_level == 3 and a.stretch_met is False
    b = assess(spec, series(2019, 1, 2, 3))
    assert b.stretch_met is True
    # 1.5 < 2: CAGR_a = 0.5, CAGR_r = 2^(1/6)-1 = 0.122462, R = 4.08 -> ON_TRACK
    c = assess(spec, series(2019, 1, 1.5))
    assert c.status is Status.ON_TRACK
    assert c.shortfall == pytest.approx(0.5)


def test_range_on_a_lower_is_better_indicator_binds_at_high() -> None:
    spec = target(comparator=Comparator.RANGE, value=None, low=30, high=35, direction=Direction.DOWN)
    a = assess(spec, series(2020, 40, 33))
    assert a.comparator is Comparator.LE
    assert a.target_level == 35 and a.stretch_level == 30
    assert a.status is Status.ACHIEVED_EARLY and a.stretch_met is False
    # 36 > 35: CAGR_a = -0.1, CAGR_r = (35/40)^(1/5)-1 = -0.026352, R = 3.795 -> ON_TRACK
    assert assess(spec, series(2020, 40, 36)).status is Status.ON_TRACK


def test_range_on_cumulative_additions_to_a_stock() -> None:
    # 创建2—3个国家实验室: 1 lab in 2018 -> x_T = 1 + 2 = 3, stretch 1 + 3 = 4; 2 labs in 2020.
    # τ = 2/7, P = (2-1)/(3-1) = 0.5; CAGR_a = 2^(1/2)-1 = 0.414214, CAGR_r = 3^(1/7)-1 = 0.169931,
    # R = 2.43754
    spec = target(
        comparator=Comparator.RANGE,
        value=None,
        low=2,
        high=3,
        declared_form=DeclaredForm.CUMULATIVE,
        plan_base_year=2018,
        indicator_kind=IndicatorKind.COUNT,
    )
    a = assess(spec, series(2018, 1, 1, 2))
    assert (a.target_level, a.stretch_level) == (3, 4)
    assert a.tau == pytest.approx(2 / 7)
    assert a.completion == pytest.approx(0.5)
    assert a.pace_ratio == pytest.approx(2.43754, abs=1e-5)
    assert a.status is Status.ON_TRACK


def test_stretch_line_on_a_growth_floor() -> None:
    # 年均增长6%以上、力争8%以上 from 100 in 2020: x_T = 100*1.06^5 = 133.8226,
    # stretch = 100*1.08^5 = 146.9328; growth 8 %/yr so far: R = 0.08/0.06 = 1.3333
    spec = target(value=6, stretch_value=8, declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, reference_year=2020)
    a = assess(spec, series(2020, 100, 108, 116.64))
    assert a.target_level == pytest.approx(133.8226, abs=1e-4)
    assert a.stretch_level == pytest.approx(146.9328, abs=1e-4)
    assert a.cagr_actual == pytest.approx(0.08)
    assert a.pace_ratio == pytest.approx(4 / 3)
    assert a.strict_pass is True
    assert a.stretch_met is False
    assert a.status is Status.ON_TRACK


# --- the other declared forms -------------------------------------------------------------------


def test_relative_change_against_2017() -> None:
    # 单位GDP能耗较2017年下降10%: x_2017 = 0.50 -> x_T = 0.45, <=; b = 2017 (not the plan's 2018)
    # τ = (2021-2017)/(2025-2017) = 0.5; P = (0.47-0.50)/(0.45-0.50) = 0.6 (linear), S = 1.2
    # CAGR_a = 0.94^(1/4)-1 = -0.015350, CAGR_r = 0.9^(1/8)-1 = -0.013084, R = 1.17320
    spec = target(
        comparator=Comparator.LE,
        value=-10,
        declared_form=DeclaredForm.RELATIVE_CHANGE,
        reference_year=2017,
        plan_base_year=2018,
        direction=Direction.DOWN,
    )
    data = [Point(2017, 0.50), Point(2019, 0.48), Point(2021, 0.47)]
    a = assess(spec, data)
    assert a.target_level == pytest.approx(0.45)
    assert a.base_year == 2017
    assert a.tau == pytest.approx(0.5)
    assert a.completion == pytest.approx(0.6)
    assert a.schedule_ratio == pytest.approx(1.2)
    assert a.pace_ratio == pytest.approx(1.17320, abs=1e-5)
    assert a.status is Status.ON_TRACK
    assert assess(spec, [*data, Point(2023, 0.449)]).status is Status.ACHIEVED_EARLY


def test_relative_change_without_the_reference_value_is_not_assessed() -> None:
    spec = target(
        comparator=Comparator.LE, value=-10, declared_form=DeclaredForm.RELATIVE_CHANGE, reference_year=2017
    )
    a = assess(spec, [Point(2018, 0.50), Point(2021, 0.47)])
    assert a.status is Status.INSUFFICIENT_DATA
    assert a.target_level is None
    assert any("reference year 2017" in n for n in a.notes)


def test_multiple_doubling() -> None:
    # 翻一番 against 2018 = 50: x_T = 100. 70 in 2020: τ = 2/7,
    # P (geometric) = ln(1.4)/ln(2) = 0.485427, CAGR_a = 1.4^(1/2)-1 = 0.183216,
    # CAGR_r = 2^(1/7)-1 = 0.104090, R = 1.76017; reference path 50*2^(2/7) = 60.9507
    spec = target(value=2, declared_form=DeclaredForm.MULTIPLE, reference_year=2018)
    a = assess(spec, series(2018, 50, 60, 70))
    assert a.target_level == 100
    assert a.completion == pytest.approx(0.485427, abs=1e-6)
    assert a.pace_ratio == pytest.approx(1.76017, abs=1e-5)
    assert a.ref_value == pytest.approx(60.9507, abs=1e-4)
    assert a.status is Status.ON_TRACK


def test_multiple_of_a_non_positive_reference_has_no_level() -> None:
    spec = target(value=2, declared_form=DeclaredForm.MULTIPLE, reference_year=2018)
    a = assess(spec, series(2018, 0.0, 5, 10))
    assert a.status is Status.INSUFFICIENT_DATA
    assert a.target_level is None
    assert any("positive base" in n for n in a.notes)


def test_full_coverage() -> None:
    # 5G全覆盖 -> 100 %, >=, whatever comparator was recorded
    spec = target(comparator=Comparator.EQ, value=100, declared_form=DeclaredForm.FULL_COVERAGE)
    done = assess(spec, series(2020, 80, 90, 100))
    assert done.target_level == 100 and done.comparator is Comparator.GE
    assert done.status is Status.ACHIEVED_EARLY
    # 90 in 2022: P = 10/20 = 0.5, τ = 0.4; CAGR_a = 1.125^(1/2)-1 = 0.060660,
    # CAGR_r = 1.25^(1/5)-1 = 0.045640, R = 1.32911
    part = assess(spec, series(2020, 80, 85, 90))
    assert part.completion == pytest.approx(0.5)
    assert part.pace_ratio == pytest.approx(1.32911, abs=1e-5)
    assert part.status is Status.ON_TRACK


def test_annual_growth_checks_every_year_and_cannot_be_achieved_early() -> None:
    # 每年增长10%: x_T = 100*1.1^5 = 161.051. 100 -> 112 (+12 %) -> 121 (+8.04 %):
    # CAGR_a = 1.21^(1/2)-1 = 0.10 -> R = 1.0, but 2022 fell short of 10 %
    spec = target(value=10, declared_form=DeclaredForm.ANNUAL_GROWTH, reference_year=2020)
    a = assess(spec, series(2020, 100, 112, 121))
    assert a.target_level == pytest.approx(161.051)
    assert a.pace_ratio == pytest.approx(1.0)
    assert a.status is Status.ON_TRACK
    assert a.strict_pass is False
    assert assess(spec, series(2020, 100, 111, 123.21)).strict_pass is True  # +11 %, +11 %
    # the 2025 level is reached in 2021, but every year to 2025 counts: not achieved early
    jump = assess(spec, series(2020, 100, 170))
    assert jump.status is Status.ON_TRACK  # R = 0.70/0.10 = 7
    avg = assess(
        target(value=10, declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, reference_year=2020),
        series(2020, 100, 170),
    )
    assert avg.status is Status.ACHIEVED_EARLY


def test_cumulative_flow_is_summed_and_uses_the_linear_schedule() -> None:
    # 新增产业人才超过50万人 over 2021-2025; yearly additions 8, 9, 10 -> 27 by 2023 (2020 = 0).
    # x_b = 0: no CAGR, no pace ratio; P = 27/50 = 0.54, τ = 0.6, S = 0.9 -> NEEDS_ACCELERATION.
    # Trend through (2020,0),(2021,8),(2022,17),(2023,27): slope 45/5 = 9, at 2025 13 + 9*3.5 = 44.5
    spec = target(value=50, declared_form=DeclaredForm.CUMULATIVE, series_is_flow=True, reference_year=2020)
    a = assess(spec, [Point(2020, 7, observation_id=1), *series(2021, 8, 9, 10)])
    assert a.target_level == 50
    assert (a.base_value, a.latest_value) == (0, 27)
    assert a.completion == pytest.approx(0.54)
    assert a.schedule_ratio == pytest.approx(0.9)
    assert a.cagr_actual is None and a.cagr_required is None and a.pace_ratio is None
    assert a.projection is None and a.p_meet is None
    assert a.projection_trend == pytest.approx(44.5)
    assert a.status_basis == "schedule_ratio"
    assert a.status is Status.NEEDS_ACCELERATION
    assert a.observation_ids == (2021, 2022, 2023)  # the 2020 flow is outside the period
    gap = assess(spec, [*series(2021, 8), *series(2023, 10)])
    assert gap.latest_year == 2021 and gap.latest_value == 8
    assert any("chain stops at 2021" in n for n in gap.notes)


# --- base year, values <= 0, data rules --------------------------------------------------------


def test_missing_base_year_uses_the_nearest_later_year_and_says_so() -> None:
    # no 2020 value: b = 2021 (3.44); τ = 2/4 = 0.5, P = 0.11/0.26 = 0.423077
    a = assess(target(), [Point(2019, 3.30), *series(2021, 3.44, 3.51, 3.55)])
    assert a.base_year == 2021 and a.base_value == 3.44
    assert a.tau == pytest.approx(0.5)
    assert a.completion == pytest.approx(0.11 / 0.26)
    assert any("base year 2020 has no value; the nearest later year 2021" in n for n in a.notes)


def test_missing_base_year_of_a_growth_target_keeps_the_rate() -> None:
    # 25 %/yr from 2020, 2020 missing: b = 2021 = 128, x_T = 128*1.25^4 = 312.5;
    # CAGR_a = (190/128)^(1/2)-1 = 0.218349, R = 0.873397
    spec = target(value=25, declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, reference_year=2020)
    a = assess(spec, [Point(2021, 128), Point(2022, 155), Point(2023, 190)])
    assert a.target_level == pytest.approx(312.5)
    assert a.pace_ratio == pytest.approx(0.873397, abs=1e-6)
    assert a.status is Status.NEEDS_ACCELERATION
    assert any("nearest later year 2021" in n for n in a.notes)


def test_without_any_base_year() -> None:
    level = assess(target(plan_base_year=None), series(2019, 3.3, 3.4))
    assert level.base_year == 2019
    assert any("earliest observation (2019)" in n for n in level.notes)
    growth = target(value=6, declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, plan_base_year=None)
    assert assess(growth, series(2019, 100, 106)).status is Status.INSUFFICIENT_DATA


def test_met_at_base_then_worsening_is_regressing() -> None:
    a = assess(target(), series(2020, 3.80, 3.75, 3.60))
    assert a.status is Status.REGRESSING
    assert a.label_zh == "逆向变化" and a.score == -5
    assert any("met at the base year 2020" in n for n in a.notes)
    assert a.shortfall == pytest.approx(0.10)
    still = assess(target(), series(2020, 3.80, 3.75))
    assert still.status is Status.ACHIEVED_EARLY
    ceiling = target(comparator=Comparator.LE, value=2.2, declared_form=DeclaredForm.RATIO)
    assert assess(ceiling, series(2020, 2.1, 2.3)).status is Status.REGRESSING
    # at the target year the verdict is MISSED (rule 3 comes first)
    assert assess(target(), series(2020, 3.80, 3.75, 3.7, 3.7, 3.68, 3.60)).status is Status.MISSED


def test_values_at_or_below_zero_have_no_log_metrics() -> None:
    # net inflow >= 5 from -5 (2020), 1 in 2022: P = 6/10 = 0.6, τ = 0.4, S = 1.5 -> ON_TRACK on S
    a = assess(target(value=5), series(2020, -5, -2, 1))
    assert a.cagr_actual is None and a.cagr_required is None and a.pace_ratio is None
    assert a.projection is None
    assert a.completion == pytest.approx(0.6)
    assert a.schedule_ratio == pytest.approx(1.5)
    assert a.ref_value == pytest.approx(-1.0)  # -5 + 0.4*10
    assert a.r_remain == pytest.approx(5 ** (1 / 3) - 1)  # x_t and x_T are positive: defined
    assert a.status_basis == "schedule_ratio"
    assert a.status is Status.ON_TRACK
    # a growth target whose value drops to 0 has no geometric completion
    spec = target(value=10, declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, reference_year=2020)
    g = assess(spec, series(2020, 100, 50, 0.0))
    assert g.completion is None and g.cagr_actual is None and g.pace_ratio is None
    assert g.status is Status.REGRESSING  # linear fallback: P = -100/61.05 < 0


def test_series_break_inside_the_window_is_insufficient_data() -> None:
    data = series(2020, 3.40, 3.44)
    data.append(Point(2022, 3.60, series_break=True, observation_id=2022))
    a = assess(target(), data)
    assert a.status is Status.INSUFFICIENT_DATA
    assert a.label_zh == "数据不足" and a.score is None
    assert a.pace_ratio is None and a.completion is None
    assert any("series break in 2022" in n for n in a.notes)
    # a break at the base year (the series starts there) does not matter:
    # CAGR_a = (3.51/3.40)^(1/2)-1 = 0.016047, R = 0.016047/0.017055 = 0.94092
    fresh = [Point(2020, 3.40, series_break=True), Point(2021, 3.44), Point(2022, 3.51)]
    assert assess(target(), fresh).pace_ratio == pytest.approx(0.94092, abs=1e-5)
    assert assess(target(), fresh).status is Status.NEEDS_ACCELERATION
    # nor one after the "as of" year: 3.44/3.40-1 = 0.011765, R = 0.68980
    before = assess(target(), data, as_of_year=2021)
    assert before.pace_ratio == pytest.approx(0.68980, abs=1e-5)
    assert before.status is Status.NEEDS_ACCELERATION


def test_one_point_only_is_insufficient_data() -> None:
    a = assess(target(), series(2020, 3.40))
    assert a.status is Status.INSUFFICIENT_DATA
    assert (a.latest_year, a.latest_value) == (2020, 3.40)
    assert a.tau is None and a.gap is None
    assert any("fewer than 2 points" in n for n in a.notes)
    # even when that one point meets the target: rule 1 comes before rule 2
    assert assess(target(), series(2020, 3.9)).status is Status.INSUFFICIENT_DATA
    assert assess(target(), []).status is Status.INSUFFICIENT_DATA


def test_two_values_for_one_year_are_refused() -> None:
    with pytest.raises(ValueError, match="two values for 2021"):
        assess(target(), [Point(2020, 3.4), Point(2021, 3.5), Point(2021, 3.6)])


# --- probability of meeting the target ----------------------------------------------------------


def test_p_meet_needs_five_points() -> None:
    four = assess(target(value=150, target_year=2026), series(2020, 100, 110, 121, 133.1))
    assert four.p_meet is None and four.p_meet_interval is None
    five = assess(target(value=150, target_year=2026), series(2020, 100, 110, 121, 133.1, 146.41))
    assert five.p_meet is not None


def test_p_meet_smooth_series_uses_the_sigma_floor() -> None:
    # +10 %/yr exactly: drift ln 1.1, residual σ = 0 -> floored at 0.01. Target = the drift's own
    # projection 146.41*1.1^2 = 177.1561 in 2026, so P = 0.5.
    # Interval: drift ± 1.645*0.01/√4 = ±0.0082243/yr, ±0.0164485 at h = 2; sd 0.01*√2 = 0.0141421;
    # z = ±1.16309 -> Φ = 0.12240 / 0.87760
    assert SIGMA_FLOOR == 0.01
    a = assess(target(value=177.1561, target_year=2026), series(2020, 100, 110, 121, 133.1, 146.41))
    assert a.p_meet == pytest.approx(0.5, abs=1e-6)
    assert a.p_meet_interval == pytest.approx((0.12240, 0.87760), abs=1e-4)


def test_p_meet_noisy_series_both_directions() -> None:
    # log values 0, .1, .4, .5, .8: drift 0.8/4 = 0.2, residuals ∓0.1 -> σ² = 0.04/3.
    # At 2026 (h = 2): mean 0.8 + 0.4 = 1.2, variance σ²*2 + σ²*4/4 = 3σ² = 0.04 -> sd 0.2.
    # Threshold ln e = 1.0: z = -1 -> P(>=) = Φ(1) = 0.841345, P(<=) = Φ(-1) = 0.158655.
    # Interval for >=: drift ± 1.645*0.11547/2 = ±0.094966 -> mean 1.2 ∓ 0.189933, sd σ√2 = 0.163299:
    # z = -0.06166 / -2.38784 -> 0.52458 / 0.99153
    data = series(2020, *(math.exp(x) for x in (0, 0.1, 0.4, 0.5, 0.8)))
    up = assess(target(value=math.e, target_year=2026), data)
    assert up.p_meet == pytest.approx(0.841345, abs=1e-6)
    assert up.p_meet_interval == pytest.approx((0.52458, 0.99153), abs=1e-4)
    down = assess(target(comparator=Comparator.LE, value=math.e, target_year=2026), data)
    assert down.p_meet == pytest.approx(0.158655, abs=1e-6)


def test_no_p_meet_once_the_target_year_is_reached() -> None:
    a = assess(target(value=150), series(2020, 100, 110, 121, 133.1, 146.41, 161.05))
    assert a.status is Status.ACHIEVED
    assert a.p_meet is None


# --- growth-rate indicators ----------------------------------------------------------------------


def rate_target(**overrides: Any) -> TargetSpec:
    fields: dict[str, Any] = {
        "value": 6,
        "declared_form": DeclaredForm.AVG_ANNUAL_GROWTH,
        "indicator_kind": IndicatorKind.GROWTH_RATE,
        "reference_year": 2020,
    }
    fields.update(overrides)
    return target(**fields)


def test_growth_rate_indicator_is_chained_not_fed_to_a_cagr() -> None:
    # rates 6, 6, 6 % -> index 100, 106, 112.36, 119.1016: CAGR of the index = 6 %, R = 1.
    # (A CAGR of the rates themselves, 6 -> 6, would say 0 %.) The 2020 rate (9 %) is the base
    # year's own growth and is not part of the period.
    a = assess(rate_target(), [Point(2020, 9, observation_id=1), *series(2021, 6, 6, 6)])
    assert a.cagr_actual == pytest.approx(0.06)
    assert a.latest_value == pytest.approx(119.1016)
    assert a.target_level == pytest.approx(100 * 1.06**5)
    assert a.pace_ratio == pytest.approx(1.0)
    assert a.strict_pass is True
    assert a.status is Status.ON_TRACK
    assert a.observation_ids == (2021, 2022, 2023)
    assert any("never fed to a CAGR" in n for n in a.notes)
    # geometric mean of 5 % and 7 %: √(1.05*1.07)-1 = 0.059953 < 6 %
    b = assess(rate_target(), series(2021, 5, 7))
    assert b.cagr_actual == pytest.approx(0.059953, abs=1e-6)
    assert b.strict_pass is False


def test_growth_rate_level_target_is_a_mean_rate_and_not_achieved_early() -> None:
    # 增速保持6%以上 by 2022: 20 % in 2021 puts the index (120) above 100*1.06^2 = 112.36, but the
    # rate target covers every year to 2022; R = 0.20/0.06 = 3.33 -> ON_TRACK
    a = assess(rate_target(declared_form=DeclaredForm.LEVEL, target_year=2022), series(2021, 20))
    assert a.status is Status.ON_TRACK
    assert a.pace_ratio == pytest.approx(0.20 / 0.06)
    at_t = assess(rate_target(declared_form=DeclaredForm.LEVEL, target_year=2022), series(2021, 20, 5))
    assert at_t.status is Status.ACHIEVED  # mean √(1.2*1.05)-1 = 12.2 % >= 6 %
    assert at_t.cagr_actual == pytest.approx(math.sqrt(1.26) - 1)


def test_growth_rate_annual_target_checks_each_year() -> None:
    # 每年增长10%: rates 12, 8 -> index 112, 120.96; mean √1.2096-1 = 0.099818, R = 0.99818
    a = assess(rate_target(value=10, declared_form=DeclaredForm.ANNUAL_GROWTH), series(2021, 12, 8))
    assert a.strict_pass is False
    assert a.pace_ratio == pytest.approx(0.99818, abs=1e-5)
    assert a.status is Status.ON_TRACK


def test_growth_rate_with_a_form_it_cannot_have() -> None:
    a = assess(rate_target(declared_form=DeclaredForm.RELATIVE_CHANGE, value=-10), series(2021, 6, 6))
    assert a.status is Status.INSUFFICIENT_DATA
    assert any("not defined for a growth-rate indicator" in n for n in a.notes)


# --- normalise on its own -------------------------------------------------------------------------


def test_normalise_returns_level_comparator_and_base() -> None:
    n = normalise(
        target(value=25, declared_form=DeclaredForm.AVG_ANNUAL_GROWTH, reference_year=2020),
        series(2020, 100, 128),
    )
    assert (n.target_level, n.comparator, n.base_year, n.base_value) == (
        pytest.approx(305.17578125),
        Comparator.GE,
        2020,
        100,
    )
    assert n.compounding is True and n.rate == pytest.approx(0.25)
    rel = normalise(
        target(
            comparator=Comparator.LE,
            value=-10,
            declared_form=DeclaredForm.RELATIVE_CHANGE,
            reference_year=2017,
        ),
        [Point(2017, 0.5), Point(2020, 0.48)],
    )
    assert rel.target_level == pytest.approx(0.45) and rel.sense == -1 and rel.compounding is False
    stock = normalise(
        target(value=50, declared_form=DeclaredForm.CUMULATIVE, plan_base_year=2020), series(2020, 120, 130)
    )
    assert stock.target_level == 170  # 120 + 50
    about_growth = normalise(
        target(
            comparator=Comparator.ABOUT,
            value=10,
            declared_form=DeclaredForm.AVG_ANNUAL_GROWTH,
            reference_year=2020,
        ),
        series(2020, 100, 110),
    )
    # band on the rate: 10 % ± 2 % -> 9.8 % and 10.2 %, compounded over 5 years
    assert about_growth.band == pytest.approx((100 * 1.098**5, 100 * 1.102**5))


# --- summaries (§5 across targets) --------------------------------------------------------------


def made(status: Status) -> TargetResult:
    return TargetResult(status=status, profile="eurostat", target_year=2025)


def test_status_labels_and_scores() -> None:
    assert {s: STATUS_LABELS[s][0] for s in Status} == {
        Status.INSUFFICIENT_DATA: "数据不足",
        Status.ACHIEVED: "已实现",
        Status.ACHIEVED_EARLY: "提前实现",
        Status.MISSED: "未实现",
        Status.ON_TRACK: "符合序时进度",
        Status.NEEDS_ACCELERATION: "略滞后",
        Status.OFF_TRACK: "明显滞后",
        Status.REGRESSING: "逆向变化",
    }
    assert Status.ON_TRACK.label_en == "On track"
    scores = [v for v in STATUS_SCORES.values() if v is not None]
    assert all(-5 <= v <= 5 for v in scores) and max(scores) == 5 and min(scores) == -5
    assert worst([Status.ON_TRACK, Status.MISSED, Status.ACHIEVED]) is Status.MISSED
    assert worst([Status.INSUFFICIENT_DATA, Status.ON_TRACK]) is Status.ON_TRACK
    assert worst([Status.INSUFFICIENT_DATA]) is Status.INSUFFICIENT_DATA
    assert worst([Status.MISSED, Status.REGRESSING]) is Status.REGRESSING


def test_summary_counts_and_mean_score() -> None:
    # ACHIEVED 5, ON_TRACK 3, OFF_TRACK -2, one not assessable: 3/4 = 75 % >= 60 % -> mean 6/3 = 2
    statuses = [Status.ACHIEVED, Status.ON_TRACK, Status.OFF_TRACK, Status.INSUFFICIENT_DATA]
    s = summarise(enumerate(made(x) for x in statuses))
    assert s.total == 4 and s.targets == 4 and s.assessable == 3
    assert s.counts[Status.ACHIEVED] == 1 and s.counts[Status.INSUFFICIENT_DATA] == 1
    assert s.counts[Status.MISSED] == 0
    assert s.assessable_share == pytest.approx(0.75)
    assert s.mean_score == pytest.approx(2.0)


def test_summary_hides_the_score_below_sixty_percent_assessable() -> None:
    # 3 of 5 = 60 %: shown, (5 + 3 + 1)/3 = 3
    at_60 = [Status.ACHIEVED, Status.ON_TRACK, Status.NEEDS_ACCELERATION, *[Status.INSUFFICIENT_DATA] * 2]
    assert summarise(enumerate(made(x) for x in at_60)).mean_score == pytest.approx(3.0)
    # 2 of 4 = 50 %: hidden
    at_50 = [Status.ACHIEVED, Status.ON_TRACK, *[Status.INSUFFICIENT_DATA] * 2]
    s = summarise(enumerate(made(x) for x in at_50))
    assert s.mean_score is None and s.assessable == 2
    empty = summarise([])
    assert empty.total == 0 and empty.mean_score is None and empty.assessable_share is None


def test_summary_worst_status_wins_per_indicator() -> None:
    items = [
        ("rd_intensity", made(Status.ON_TRACK)),  # 2025 target
        ("rd_intensity", made(Status.MISSED)),  # 2020 target
        ("gdp", made(Status.INSUFFICIENT_DATA)),
        ("gdp", made(Status.ACHIEVED)),
        ("labs", made(Status.INSUFFICIENT_DATA)),
    ]
    s = summarise(items)
    assert s.targets == 5 and s.total == 3
    assert s.counts[Status.MISSED] == 1 and s.counts[Status.ON_TRACK] == 0
    assert s.counts[Status.ACHIEVED] == 1 and s.counts[Status.INSUFFICIENT_DATA] == 1
    # 2 of 3 units assessable (66.7 %): mean (-4 + 5)/2 = 0.5
    assert s.mean_score == pytest.approx(0.5)


# --- aggregation (§5 across regions) -----------------------------------------------------------


def test_aggregate_sum_over_a_composite_zone() -> None:
    assert aggregate_sum({"青浦区": 1200.5, "吴江区": 2300.0, "嘉善县": 800.0}) == pytest.approx(4300.5)
    assert aggregate_sum({"青浦区": 1200.5, "吴江区": None, "嘉善县": 800.0}) is None
    members = ["青浦区", "吴江区", "嘉善县"]
    assert aggregate_sum({"青浦区": 1200.5, "吴江区": 2300.0}, members) is None  # 嘉善县 missing
    assert aggregate_sum({}) is None


def test_aggregate_ratio_from_summed_components() -> None:
    # R&D intensity = 100 * Σ R&D / Σ GDP = 100 * (10 + 30)/(1000 + 500) = 2.6667 %,
    # not the mean of the members' ratios (1.0 % and 6.0 % -> 3.5 %)
    rd = {"a": 10.0, "b": 30.0}
    gdp = {"a": 1000.0, "b": 500.0}
    assert aggregate_ratio(rd, gdp, scale=100) == pytest.approx(40 / 15)
    assert aggregate_ratio(rd, {"a": 1000.0, "b": None}, scale=100) is None
    assert aggregate_ratio(rd, {"a": 1000.0}, scale=100) is None  # b has no denominator
    assert aggregate_ratio(rd, gdp, scale=100, members=["a", "b", "c"]) is None
    assert aggregate_ratio(rd, {"a": 0.0, "b": 0.0}) is None


def test_aggregate_by_rule() -> None:
    values = {"a": 1.0, "b": 2.0}
    assert aggregate(Aggregation.SUM, values) == 3.0
    assert aggregate(Aggregation.RATIO, numerators={"a": 1.0}, denominators={"a": 4.0}, scale=100) == 25.0
    assert aggregate(Aggregation.NONE, values) is None  # rates without components
