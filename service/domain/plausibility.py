"""Whether a figure is possible, and plausible, for its indicator (pure functions).

Two grades, matching the outcomes of ingest:

- *impossible*: refused (``rejected``), and no confirmation stores it: a negative count, a share above
  100 %, a fall of 100 % or more, a figure larger than the whole world's;
- *implausible*: held (``needs_confirmation``) until the person confirms it: a GDP of exactly 0, a
  growth rate that more than tripled the quantity or took two thirds of it.

Rules by the indicator's kind (indicators.yaml):

| kind        | impossible (refused)                                   | implausible (held)                      |
|-------------|--------------------------------------------------------|-----------------------------------------|
| level       | below 0; above its unit family's ceiling               | exactly 0                               |
| count       | below 0; not a whole number of items; above ceiling    | (0 is ordinary: no national laboratory) |
| share       | outside 0–100 % (in the indicator's unit: 0–1000 ‰)    |                                         |
| ratio       | below 0; above ceiling                                 | exactly 0                               |
| growth_rate | −100 % or less (the quantity would vanish)             | more than tripled, or fell by 2/3       |
| index       | 0 or below; above ceiling                              |                                         |

Levels, ratios and indices are quotients or totals of quantities that cannot be negative (every such
indicator in the catalog: GDP, population, income, output, length, area, concentrations); a level of
exactly 0 is possible for a young zone's investment but almost always a missing figure typed as 0,
so it needs a confirmation. Zero counts are ordinary, so they pass.

Magnitude, for the kinds without a natural bound (level, count, ratio, index), is judged twice:
against a ceiling per unit family that no region can reach (at least the whole world's total for a
year; see CEILINGS), and against the data: more than a thousand times the largest figure stored for
the indicator in any region and year is held, more than a million times is refused (a figure a
million times every one of its peers is a unit or typing slip, whatever it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from service.domain import units

GROWTH_FACTOR = Decimal(3)  # a growth rate is held when the quantity more than tripled or fell by 2/3
SCALE_HOLD = Decimal(1000)  # times the largest stored |value| of the indicator: held
SCALE_REFUSE = Decimal(1_000_000)  # ... refused
MAGNITUDE_KINDS = frozenset({"level", "count", "ratio", "index"})

# Per unit family, in the family's base unit: a figure no region can reach, with the reason.
CEILINGS: dict[str, tuple[Decimal, str, str]] = {
    "money": (Decimal("1e15"), "超过全球一年的产出", "more than the world's output in a year"),
    "usd": (Decimal("1e15"), "超过全球一年的产出", "more than the world's output in a year"),
    "people": (Decimal("1e10"), "超过世界人口", "more than the world's population"),
    "visits": (Decimal("1e12"), "超过全球一年的出行人次", "more than all the world's trips in a year"),
    "length": (Decimal("1e13"), "超过地球上全部道路和光缆", "more than all the world's roads and cables"),
    "area": (Decimal("5.1e14"), "超过地球表面积", "more than the Earth's surface"),
    "mass": (Decimal("1e12"), "超过全球一年的物质开采量", "more than the world extracts in a year"),
    "teu": (Decimal("1e10"), "超过全球港口十年的吞吐量", "more than the world's ports handle in ten years"),
    "count": (Decimal("1e12"), "超过地球人口的百倍", "a hundred times the world's population"),
}


class IndicatorFacts(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def name_en(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    impossible: bool  # True: refused whatever the person says; False: stored once confirmed
    zh: str
    en: str


def _fmt(x: Decimal) -> str:
    """A number as a person reads it: fixed point, no trailing zeros; a computed bound that does not end
    (−66.666… %) to one decimal. Figures themselves have at most 8 decimals and are shown whole."""
    exponent = x.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        x = x.quantize(Decimal("0.1"))
    return f"{x.normalize():f}"


def _names(ind: IndicatorFacts) -> tuple[str, str]:
    return f"“{ind.name_zh}”（{ind.code}）", f"{ind.code} ({ind.name_en})"


def _verdict(impossible: bool, ind: IndicatorFacts, value: Decimal, zh: str, en: str) -> Verdict:
    name_zh, name_en = _names(ind)
    shown = f"{_fmt(value)} {ind.unit}".strip()
    if impossible:
        return Verdict(
            True,
            f"{name_zh}的数值 {shown} 不可能成立：{zh}；请核对数值和单位",
            f"{name_en}: {shown} is impossible: {en}; check the value and its unit",
        )
    return Verdict(
        False,
        f"{name_zh}的数值 {shown} 不太可能：{zh}；请核对，确认无误后标明确认即可保存",
        f"{name_en}: {shown} is unlikely: {en}; check it, and confirm it to store it",
    )


def _refuse(ind: IndicatorFacts, value: Decimal, zh: str, en: str) -> Verdict:
    return _verdict(True, ind, value, zh, en)


def _hold(ind: IndicatorFacts, value: Decimal, zh: str, en: str) -> Verdict:
    return _verdict(False, ind, value, zh, en)


def judge(value: Decimal, ind: IndicatorFacts) -> Verdict | None:
    """The first rule of the indicator's kind that ``value`` (in the indicator's unit) breaks, if any;
    impossible ones first."""
    kind, unit = str(ind.kind), ind.unit
    fam = units.family(unit)
    if kind == "share":
        if fam is not None and fam[0] == "share":
            whole = 1 / fam[1]  # 100 % = 100 in %, 1000 in ‰
            if not 0 <= value <= whole:
                return _refuse(
                    ind,
                    value,
                    f"比重应在 0–{_fmt(whole)} {unit} 之间",
                    f"a share must lie between 0 and {_fmt(whole)} {unit}",
                )
        elif value < 0:
            return _refuse(ind, value, "比重不能为负数", "a share cannot be negative")
        return None
    if kind == "growth_rate":
        if fam is None or fam[0] != "share":
            return None  # a rate in a unit we cannot read as a fraction
        per = fam[1]
        rate = value * per
        if rate <= -1:
            return _refuse(
                ind,
                value,
                f"增速应大于 {_fmt(-1 / per)} {unit}（降幅达 100% 即该量不复存在）",
                f"a growth rate must be greater than {_fmt(-1 / per)} {unit} "
                "(a fall of 100 % would mean the quantity vanished)",
            )
        low, high = (1 / GROWTH_FACTOR - 1) / per, (GROWTH_FACTOR - 1) / per
        if not low <= value <= high:
            return _hold(
                ind,
                value,
                f"增速通常在 {_fmt(low)} {unit} 到 {_fmt(high)} {unit} 之间（一年内增至三倍以上或减少三分之二以上极为罕见）",
                f"growth rates lie between {_fmt(low)} {unit} and {_fmt(high)} {unit} "
                "(more than tripling or losing two thirds in a year is all but unheard of)",
            )
        return None
    if kind == "index":
        if value <= 0:
            return _refuse(ind, value, "指数必须大于 0", "an index must be greater than 0")
    elif value < 0:
        return _refuse(ind, value, "该指标不能为负数", "this indicator cannot be negative")
    if fam is not None:
        family, per = fam
        ceiling = CEILINGS.get(family)
        if ceiling is not None and value * per > ceiling[0]:
            top = ceiling[0] / per
            return _refuse(
                ind,
                value,
                f"超过任何地区可能的规模（上限 {_fmt(top)} {unit}，{ceiling[1]}）",
                f"it is above any possible figure for a region (at most {_fmt(top)} {unit}, {ceiling[2]})",
            )
        if kind == "count" and family in ("count", "people") and (value * per) % 1:
            return _refuse(
                ind,
                value,
                f"个数必须是整数（{_fmt(value * per)} 不是整数）",
                f"a count must be a whole number of items ({_fmt(value * per)} is not)",
            )
    if value == 0 and kind in ("level", "ratio"):
        return _hold(
            ind,
            value,
            "该指标几乎不可能恰为零，零值通常是缺失数据被填成了 0（未知请留空）",
            "it is almost never exactly zero: a zero usually stands for a missing figure "
            "(leave it empty if it is not known)",
        )
    return None


def judge_scale(value: Decimal, largest: Decimal | None, ind: IndicatorFacts) -> Verdict | None:
    """``value`` against the largest |value| stored for the indicator (any region, any year)."""
    if str(ind.kind) not in MAGNITUDE_KINDS or not largest or not value:
        return None
    largest = abs(largest)
    ratio = abs(value) / largest
    shown = f"{_fmt(largest)} {ind.unit}".strip()
    if ratio > SCALE_REFUSE:
        return _refuse(
            ind,
            value,
            f"是该指标已有最大数值 {shown} 的一百万倍以上",
            f"it is more than a million times the largest figure stored for the indicator "
            f"({shown}) in any region and year",
        )
    if ratio > SCALE_HOLD:
        return _hold(
            ind,
            value,
            f"是该指标已有最大数值 {shown} 的 1000 倍以上（单位是否有误？）",
            f"it is more than 1000 times the largest figure stored for the indicator ({shown}); "
            "is the unit right?",
        )
    return None
