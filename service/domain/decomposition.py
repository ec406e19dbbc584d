"""Decomposition (分解) of a target into sub-targets: district quotas and organisations' shares.

A parent target says how it is split: ``sum`` — the sub-targets' quotas must add up to it (耕地保有量,
用水总量: amounts that add up); ``each`` — every sub-target must meet the parent's rate (单位GDP能耗下降,
城镇化率). Pure functions: the catalog loader and the API check the same rules, the target page shows
which sub-targets hold the parent back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from service.db.models import Comparator, DeclaredForm

SPLITS = ("sum", "each")

# forms whose value is an amount that can add up across districts or organisations
SUMMABLE_FORMS = frozenset({DeclaredForm.LEVEL, DeclaredForm.CUMULATIVE, DeclaredForm.EACH_YEAR})

# statuses of a sub-target that hold its parent back (the parent's own status aside)
HOLDING_BACK = ("missed", "regressing", "off_track", "needs_acceleration", "insufficient_data")
_SEVERITY = {s: n for n, s in enumerate(HOLDING_BACK)}


@dataclass(frozen=True)
class Quota:
    """A target's number in the parent indicator's unit (None when it has none: qualitative)."""

    key: str
    comparator: Comparator
    form: DeclaredForm
    value: Decimal | None
    tolerance: Decimal | None = None


@dataclass(frozen=True)
class Problem:
    zh: str
    en: str


def _num(v: Decimal) -> str:
    text = format(v.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def split_problems(
    parent: Quota,
    split: str,
    parts: Sequence[Quota],
    unit: str,
    *,
    summable_indicator: bool = True,
    unit_en: str | None = None,
) -> list[Problem]:
    """What is wrong with a parent's sub-targets under its split rule (empty when they hold together).

    ``sum``: the quotas add up to at least (``>=``), at most (``<=``) or exactly (``=``, ``~`` within its
    tolerance) the parent; ``each``: each sub-target is at least as demanding as the parent, in the same
    form. A qualitative parent (完成省定目标) has no number to check against.
    """
    out: list[Problem] = []
    ue = unit if unit_en is None else unit_en  # the unit in the English message (万吨: 10k t)
    if split not in SPLITS:
        return [
            Problem(f"分解方式 {split} 未知（应为 sum 或 each）", f"unknown split {split!r} (sum or each)")
        ]
    if not parts:
        return [Problem("已声明分解方式但没有子目标", "a split is declared but there are no sub-targets")]
    if parent.value is None or parent.comparator in (Comparator.QUALITATIVE, Comparator.RANGE):
        return out
    if split == "sum":
        if not summable_indicator or parent.form not in SUMMABLE_FORMS:
            return [
                Problem(
                    "按配额分解（sum）只适用于可加总的总量指标；比率或增速请用 each",
                    "quotas that add up (sum) need an amount that adds up; use 'each' for a rate or share",
                )
            ]
        missing = [p.key for p in parts if p.value is None]
        if missing:
            return [
                Problem(
                    f"子目标没有数值，无法核对配额：{', '.join(missing)}",
                    f"sub-target(s) without a number, quotas cannot be checked: {', '.join(missing)}",
                )
            ]
        total = sum((p.value for p in parts if p.value is not None), Decimal(0))
        target = parent.value
        ok = {
            Comparator.GE: total >= target,
            Comparator.LE: total <= target,
            Comparator.EQ: total == target,
            Comparator.ABOUT: abs(total - target) <= abs(target) * (parent.tolerance or Decimal("0.02")),
        }[parent.comparator]
        if not ok:
            need = {Comparator.GE: ("不少于", "at least"), Comparator.LE: ("不超过", "at most")}.get(
                parent.comparator, ("等于", "equal to")
            )
            out.append(
                Problem(
                    f"各子目标配额合计 {_num(total)} {unit}，应{need[0]}上级目标 {_num(target)} {unit}",
                    f"the sub-targets' quotas add up to {_num(total)} {ue}; they must be {need[1]} "
                    f"the parent's {_num(target)} {ue}",
                )
            )
        return out
    for p in parts:
        if p.form is not parent.form:
            out.append(
                Problem(
                    f"子目标 {p.key} 的形式（{p.form.value}）与上级目标（{parent.form.value}）不同",
                    f"sub-target {p.key} is a {p.form.value}, the parent a {parent.form.value}",
                )
            )
            continue
        if p.value is None:
            out.append(Problem(f"子目标 {p.key} 没有数值", f"sub-target {p.key} has no number"))
            continue
        weaker = {
            Comparator.GE: p.value < parent.value,
            Comparator.LE: p.value > parent.value,
        }.get(parent.comparator, p.value != parent.value)
        if weaker:
            out.append(
                Problem(
                    f"子目标 {p.key} 的 {_num(p.value)} {unit} 低于上级目标要求 {_num(parent.value)} {unit}",
                    f"sub-target {p.key} asks {_num(p.value)} {ue}, less than the parent's "
                    f"{_num(parent.value)} {ue}",
                )
            )
    return out


@dataclass(frozen=True)
class SubStatus:
    key: str
    label: str
    status: str


def holding_back(parts: Iterable[SubStatus]) -> list[SubStatus]:
    """The sub-targets that hold the parent back, worst first: missed, regressing, off track, needing
    acceleration, then those without enough data (which cannot show they are on track)."""
    behind = [p for p in parts if p.status in _SEVERITY]
    return sorted(behind, key=lambda p: (_SEVERITY[p.status], p.key))
