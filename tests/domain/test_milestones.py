"""Yearly milestones against the 序时进度 path, hand-computed (METHODOLOGY §2, §4)."""

from __future__ import annotations

import pytest

from service.domain.milestones import compare, required_rate, schedule_level


def test_the_straight_path_of_the_worked_example() -> None:
    # R&D intensity 3.40 (2020) -> 3.7 (2025): τ(2023) = 0.6, ref = 3.40 + 0.6 * 0.30 = 3.58
    assert schedule_level(2020, 3.40, 2025, 3.7, 2023, False) == pytest.approx(3.58)
    # a 2023 milestone of 3.55 plans to be behind the path, 3.6 ahead of it, 3.58 on it
    assert (
        compare(b=2020, xb=3.40, T=2025, xT=3.7, compounding=False, sense=1, year=2023, level=3.55)[
            "position"
        ]
        == "behind"
    )
    assert (
        compare(b=2020, xb=3.40, T=2025, xT=3.7, compounding=False, sense=1, year=2023, level=3.6)["position"]
        == "ahead"
    )
    assert (
        compare(b=2020, xb=3.40, T=2025, xT=3.7, compounding=False, sense=1, year=2023, level=3.58)[
            "position"
        ]
        == "on_path"
    )


def test_a_growth_target_compounds_and_compares_rates() -> None:
    # output 100 (2020) at ≥ 25 %/yr to 2025: x_T = 305.18; path in 2021 = 125, CAGR_r = 25 %
    xT = 100 * 1.25**5
    assert schedule_level(2020, 100, 2025, xT, 2021, True) == pytest.approx(125.0)
    assert required_rate(2020, 100, 2025, xT) == pytest.approx(0.25)
    # the year's plan asks 5 % growth against the 25 % the path needs: behind, by 20 points
    c = compare(b=2020, xb=100, T=2025, xT=xT, compounding=True, sense=1, year=2021, rate=0.05)
    assert c["position"] == "behind" and c["gap"] == pytest.approx(-0.20)


def test_lower_is_better_turns_the_sense() -> None:
    # income ratio 2.56 (2020) <= 2.2 (2025): path in 2021 = 2.488; a milestone of 2.45 is ahead
    assert schedule_level(2020, 2.56, 2025, 2.2, 2021, False) == pytest.approx(2.488)
    c = compare(b=2020, xb=2.56, T=2025, xT=2.2, compounding=False, sense=-1, year=2021, level=2.45)
    assert c["position"] == "ahead" and c["gap"] == pytest.approx(2.45 - 2.488)
