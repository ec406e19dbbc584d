"""Targets and series for the methodology's hand-computed cases (no database).

``target()`` is METHODOLOGY §4's worked example (R&D intensity: at least 3.7 % by 2025 from a 2020
base), with any field overridden; ``series(start, *values)`` gives consecutive years from ``start``
whose observation id is the year (easy to check in ``observation_ids``).
"""

from __future__ import annotations

from typing import Any

from service.db.models import Comparator, DeclaredForm
from service.domain.progress import Point, TargetSpec

WORKED_EXAMPLE: dict[str, Any] = {
    "comparator": Comparator.GE,
    "value": 3.7,
    "target_year": 2025,
    "declared_form": DeclaredForm.LEVEL,
    "plan_base_year": 2020,
}


def target(**overrides: Any) -> TargetSpec:
    """The worked example's target, with ``overrides`` replacing its fields."""
    return TargetSpec(**(WORKED_EXAMPLE | overrides))


def series(start: int, *values: float | None) -> list[Point]:
    """Consecutive years from ``start`` (a value of None is a year without a figure); the observation id
    is the year."""
    return [Point(start + i, v, observation_id=start + i) for i, v in enumerate(values)]
