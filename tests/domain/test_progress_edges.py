"""METHODOLOGY's edges (issue 15): end-of-term verdicts after the target year, bases <= 0, preliminary
figures in the status, and a zone's value from its members (the one aggregation). No database."""

from __future__ import annotations

from typing import Any

import pytest

from service.db.models import Aggregation, Comparator, DeclaredForm, Direction
from service.domain.progress import (
    Point,
    TargetSpec,
    aggregate_zone_year,
    assess,
    derive_numerators,
    status_label,
)
from service.domain.statuses import Status
from tests.support.progress import series, target

# --- after the target year: end-of-term verdicts only ---------------------------------------------


def test_after_the_target_year_without_its_value_no_pace_status_but_insufficient_with_an_expectation() -> (
    None
):
    # 2020–2023 known, as of 2026 nothing for 2025 or later: the pace rules would say 略滞后 (R = 0.85,
    # the worked example); after the term that is no verdict: 数据不足, the projection 3.654 as 预计
    a = assess(target(), series(2020, 3.40, 3.44, 3.51, 3.55), as_of_year=2026)
    assert a.status is Status.INSUFFICIENT_DATA
    assert a.projection == pytest.approx(3.654, abs=1e-3)
    assert any("预计" in n and "no end-of-term verdict" in n for n in a.notes)
    assert a.verdict_year is None
    # the same data during the term: the pace status (unchanged)
    assert assess(target(), series(2020, 3.40, 3.44, 3.51, 3.55), as_of_year=2025).status is (
        Status.NEEDS_ACCELERATION
    )


def test_after_the_target_year_the_verdict_rests_on_the_first_later_value() -> None:
    # 2025 has no value, 2026 = 3.72 and 2027 = 3.60: the verdict rests on 2026 (met), not on 2027
    data = [
        *series(2020, 3.40, 3.44, 3.51, 3.55),
        Point(2026, 3.72, observation_id=2026),
        Point(2027, 3.60, observation_id=2027),
    ]
    a = assess(target(), data, as_of_year=2028)
    assert a.status is Status.ACHIEVED and a.verdict_year == 2026 and a.latest_value == 3.72
    assert any("the verdict rests on 2026" in n for n in a.notes)
    assert 2027 not in a.observation_ids
    short = assess(target(), [*series(2020, 3.40, 3.44), Point(2026, 3.60)], as_of_year=2027)
    assert short.status is Status.MISSED and short.verdict_year == 2026
    assert short.shortfall == pytest.approx(0.10)
    # a 2026 value not yet known as of 2026's run (as_of 2025 < it): still the pace rules
    assert assess(target(), data, as_of_year=2025).status is Status.NEEDS_ACCELERATION


def test_a_level_target_with_only_a_later_value_gets_its_verdict_on_it() -> None:
    a = assess(target(value=85.0), [Point(2026, 86.0, observation_id=9)], as_of_year=2027)
    assert a.status is Status.ACHIEVED and a.verdict_year == 2026 and a.observation_ids == (9,)


def test_the_target_years_value_wins_over_later_ones() -> None:
    a = assess(target(), series(2020, 3.40, 3.44, 3.51, 3.55, 3.60, 3.65, 3.90), as_of_year=2027)
    assert a.status is Status.MISSED and a.verdict_year == 2025 and a.latest_year == 2025


# --- a base <= 0 -----------------------------------------------------------------------------------


def test_a_relative_change_from_a_negative_base_is_judged_on_the_linear_schedule() -> None:
    # net outflow -100 (2020), 下降10% (v = -10): x_T = -100 - 10 = -110 (the sign of v is the move);
    # 2023 = -104: P = 4/10 = 0.4, τ = 0.6, S = 0.667 -> 略滞后 on P/τ (no logarithm of values < 0)
    spec = target(
        comparator=Comparator.LE,
        value=-10.0,
        declared_form=DeclaredForm.RELATIVE_CHANGE,
        reference_year=2020,
        direction=Direction.DOWN,
    )
    a = assess(spec, series(2020, -100, -101, -102, -104))
    assert a.target_level == pytest.approx(-110)
    assert a.completion == pytest.approx(0.4) and a.schedule_ratio == pytest.approx(0.4 / 0.6)
    assert a.pace_ratio is None and a.status_basis == "schedule_ratio"
    assert a.status is Status.NEEDS_ACCELERATION
    # a base of exactly 0 has no relative change: no target level
    assert assess(spec, series(2020, 0, -1, -2)).status is Status.INSUFFICIENT_DATA


def test_a_level_target_from_a_zero_base_uses_p_over_tau() -> None:
    # 0 (2020) -> 2 (2023), target 5: P = 0.4, τ = 0.6, S = 0.667 -> 略滞后
    a = assess(target(value=5.0), series(2020, 0.0, 1.0, 1.5, 2.0))
    assert a.status_basis == "schedule_ratio" and a.status is Status.NEEDS_ACCELERATION


# --- preliminary figures ---------------------------------------------------------------------------


def test_a_status_resting_on_a_preliminary_figure_says_so() -> None:
    data = [
        *series(2020, 3.40, 3.44, 3.51, 3.55, 3.62),
        Point(2025, 3.72, observation_id=2025, preliminary=True),
    ]
    a = assess(target(), data, as_of_year=2026)
    assert a.status is Status.ACHIEVED and a.latest_preliminary
    assert a.label_zh == "已实现（初步数据）" and a.label_en == "Achieved (preliminary data)"
    final = assess(target(), [*data[:-1], data[-1]._replace(preliminary=False)], as_of_year=2026)
    assert final.label_zh == "已实现" and not final.latest_preliminary
    assert status_label(Status.INSUFFICIENT_DATA, True) == "数据不足"
    only = assess(target(value=85.0), [Point(2025, 87.5, preliminary=True)], as_of_year=2026)
    assert only.label_zh == "已实现（初步数据）"


# --- a zone from its members (§5) ------------------------------------------------------------------


def test_a_zone_share_from_members_rates_and_denominators() -> None:
    # urbanisation: A publishes urban 60 and resident 100 (万人); B only its rate 50 % and resident 200:
    # B's urban = 50 × 200 / 100 = 100, zone = (60 + 100) / (100 + 200) × 100 = 53.33 %
    members = ["A", "B"]
    nums, derived = derive_numerators({"A": 60.0}, {"A": 60.0, "B": 50.0}, {"A": 100.0, "B": 200.0}, 100)
    assert nums == {"A": 60.0, "B": 100.0} and derived == ["B"]
    z = aggregate_zone_year(
        Aggregation.RATIO,
        members,
        {"B": 50.0},
        numerators={"A": 60.0},
        denominators={"A": 100.0, "B": 200.0},
        scale=100,
    )
    assert z is not None and z.value == pytest.approx(160 / 300 * 100) and z.derived == ("B",)
    # never an average of the rates (55 %), and nothing without every member's denominator
    assert (
        aggregate_zone_year(
            Aggregation.RATIO, members, {"A": 60.0, "B": 50.0}, denominators={"A": 100.0}, scale=100
        )
        is None
    )
    assert aggregate_zone_year(Aggregation.SUM, members, {"A": 1.0, "B": 2.0}) == (3.0, ())
    assert aggregate_zone_year(Aggregation.SUM, members, {"A": 1.0}) is None
    assert aggregate_zone_year(Aggregation.NONE, members, {"A": 1.0, "B": 2.0}) is None


# --- a growth rate's average over several years (年均增速4.8%, 2021–2025) ---------------------------


def rate_target(**overrides: Any) -> TargetSpec:
    from service.db.models import IndicatorKind

    fields: dict[str, Any] = {
        "comparator": Comparator.ABOUT,
        "value": 6.5,
        "reference_year": 2020,
        "declared_form": DeclaredForm.AVG_ANNUAL_GROWTH,
        "indicator_kind": IndicatorKind.GROWTH_RATE,
    }
    return target(**overrides | fields)


def test_a_published_period_average_stands_for_its_years_where_annual_rates_are_missing() -> None:
    # the outline reports 年均增速4.8% for 2021–2025 and no annual rates: the index at 2025 is
    # 100·1.048^5 and the verdict (about 6.5 %, band on the rate) is missed, resting on that average
    mean_only = [Point(2025, 4.8, observation_id=9, preliminary=True, span=5)]
    a = assess(rate_target(), mean_only, as_of_year=2026)
    assert a.status is Status.MISSED and a.latest_preliminary and a.verdict_year == 2025
    assert a.latest_value == pytest.approx(100 * 1.048**5)
    assert any("average annual rate of 2021–2025" in n for n in a.notes)
    # the same average riding on a year that also has its own annual rate (5.2 % in 2025 alone)
    riding = [Point(2025, 5.2, observation_id=8, mean=(5, 4.8, 9, True))]
    b = assess(rate_target(), riding, as_of_year=2026)
    assert b.status is Status.MISSED and b.latest_value == pytest.approx(100 * 1.048**5)
    # met: an average of 6.6 % over the period
    met = assess(rate_target(), [Point(2025, 6.6, span=5)], as_of_year=2026)
    assert met.status is Status.ACHIEVED
    # complete annual rates are chained as before and win over the average
    annual = [
        Point(2020 + i, 6.5, observation_id=i, mean=(5, 4.8, 9, False) if i == 5 else None)
        for i in range(1, 6)
    ]
    c = assess(rate_target(), annual, as_of_year=2026)
    assert c.status is Status.ACHIEVED and c.latest_value == pytest.approx(100 * 1.065**5)


def test_a_period_average_that_does_not_start_after_the_chain_is_not_used() -> None:
    # 2022–2025 average against a 2020 base with no 2021 rate: the years do not join, no verdict
    a = assess(rate_target(), [Point(2025, 4.8, span=4)], as_of_year=2026)
    assert a.status is Status.INSUFFICIENT_DATA
    assert any("does not join the chain" in n for n in a.notes)
    # but after a 2021 annual rate it continues the chain
    b = assess(rate_target(), [Point(2021, 8.0), Point(2025, 4.0, span=4)], as_of_year=2026)
    assert b.latest_value == pytest.approx(100 * 1.08 * 1.04**4)


def test_a_yearly_target_never_reads_a_several_year_average_as_a_year() -> None:
    from service.db.models import IndicatorKind

    spec = target(
        declared_form=DeclaredForm.EACH_YEAR,
        comparator=Comparator.GE,
        value=5.0,
        period_start=2021,
        indicator_kind=IndicatorKind.GROWTH_RATE,
    )
    a = assess(spec, [Point(2025, 6.0, span=5)], as_of_year=2026)
    assert a.status is Status.INSUFFICIENT_DATA
