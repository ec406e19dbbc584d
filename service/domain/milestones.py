"""Yearly milestones (年度目标) against the five-year target's 序时进度 path (METHODOLOGY §2).

A milestone is the year's target set by the yearly plan or the government work report on the way to a
plan target (2026年 GDP 增长5%左右 toward 年均增长5%); the report run assesses it like any target, and at
year end gives its verdict. Here the year's target is set beside the path the methodology itself
expects of the five-year target: ``ref_y = x_b + τ_y (x_T − x_b)``, or ``x_b (x_T/x_b)^τ_y`` for growth
and multiple targets, with ``τ_y = (y − b)/(T − b)``. A milestone that asks less than the path plans
to fall behind schedule (滞后于序时进度); one that asks more plans to get ahead. Pure functions only.
"""

from __future__ import annotations

from typing import Any, Literal

Position = Literal["ahead", "on_path", "behind"]

# relative difference under which a milestone is on the path itself (figures as published)
ON_PATH_TOLERANCE = 1e-6


def schedule_level(b: int, xb: float, T: int, xT: float, year: int, compounding: bool) -> float | None:
    """The value the straight (序时) path from (b, x_b) to (T, x_T) expects in ``year`` (METHODOLOGY ref_t)."""
    if b == T:
        return None
    tau = (year - b) / (T - b)
    if compounding:
        if xb <= 0 or xT <= 0:
            return None
        return xb * (xT / xb) ** tau
    return xb + tau * (xT - xb)


def required_rate(b: int, xb: float, T: int, xT: float) -> float | None:
    """CAGR_r = (x_T/x_b)^(1/(T−b)) − 1, the yearly rate the path needs (METHODOLOGY §2)."""
    if b == T or xb <= 0 or xT <= 0:
        return None
    return float((xT / xb) ** (1 / (T - b)) - 1)


def position(sense: int, milestone: float, path: float) -> Position:
    gap = sense * (milestone - path)
    if abs(gap) <= ON_PATH_TOLERANCE * max(1.0, abs(path)):
        return "on_path"
    return "ahead" if gap > 0 else "behind"


def compare(
    *,
    b: int,
    xb: float,
    T: int,
    xT: float,
    compounding: bool,
    sense: int,
    year: int,
    level: float | None = None,
    rate: float | None = None,
) -> dict[str, Any]:
    """A milestone for ``year`` beside the parent's 序时进度 path.

    ``level``: the level the milestone asks for in ``year`` (its normalised target level);
    ``rate``: the yearly rate it asks for (增长5% = 0.05), compared with the path's required rate
    CAGR_r when the parent compounds. ``sense`` is +1 when more is better, −1 when less is.
    """
    out: dict[str, Any] = {"year": year, "tau": (year - b) / (T - b) if b != T else None}
    path = schedule_level(b, xb, T, xT, year, compounding)
    out["schedule_level"] = path
    out["milestone_level"] = level
    out["position"] = None
    if level is not None and path is not None:
        out["gap"] = level - path
        out["position"] = position(sense, level, path)
    need = required_rate(b, xb, T, xT) if compounding else None
    out["required_rate"] = need
    out["milestone_rate"] = rate
    if rate is not None and need is not None and out["position"] is None:
        out["gap"] = rate - need
        out["position"] = position(sense, rate, need)
    return out
