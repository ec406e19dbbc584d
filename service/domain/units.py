"""Unit conversion for official statistics (pure functions).

Units belong to a family (money, people, share, ...) with a factor to the family's base unit;
conversion is only allowed inside a family. Unknown units convert only to themselves.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

# unit -> (family, factor to the family's base unit)
_UNITS: dict[str, tuple[str, Decimal]] = {
    "元": ("money", Decimal(1)),
    "万元": ("money", Decimal(10_000)),
    "亿元": ("money", Decimal(100_000_000)),
    "万亿元": ("money", Decimal(1_000_000_000_000)),
    "美元": ("usd", Decimal(1)),
    "万美元": ("usd", Decimal(10_000)),
    "亿美元": ("usd", Decimal(100_000_000)),
    "%": ("share", Decimal("0.01")),
    "‰": ("share", Decimal("0.001")),
    "人": ("people", Decimal(1)),
    "万人": ("people", Decimal(10_000)),
    "亿人": ("people", Decimal(100_000_000)),
    "人次": ("visits", Decimal(1)),
    "万人次": ("visits", Decimal(10_000)),
    "亿人次": ("visits", Decimal(100_000_000)),
    "公里": ("length", Decimal(1000)),
    "千米": ("length", Decimal(1000)),
    "万公里": ("length", Decimal(10_000_000)),
    "米": ("length", Decimal(1)),
    "平方米": ("area", Decimal(1)),
    "万平方米": ("area", Decimal(10_000)),
    "平方公里": ("area", Decimal(1_000_000)),
    "亩": ("area", Decimal("666.6666666666666666666666667")),
    "万亩": ("area", Decimal("6666666.666666666666666666667")),
    "吨": ("mass", Decimal(1)),
    "万吨": ("mass", Decimal(10_000)),
    "亿吨": ("mass", Decimal(100_000_000)),
    "斤": ("mass", Decimal("0.0005")),  # 市斤 = 0.5 kg (grain: 粮食产能19亿斤 = 95万吨)
    "万斤": ("mass", Decimal(5)),
    "亿斤": ("mass", Decimal(50_000)),
    "标准箱": ("teu", Decimal(1)),
    "万标准箱": ("teu", Decimal(10_000)),
    "吨标准煤/万元": ("energy_intensity", Decimal(1)),
}

# Counting words: 家 (firms), 个 (items), 项, 所, 座 ... are all plain counts.
_COUNT_WORDS = (
    "家",
    "个",
    "项",
    "所",
    "座",
    "条",
    "只",
    "件",
    "户",
    "张",
    "台",
    "套",
    "处",
    "支",
    "种",
    "批",
    "次",
    "位",
    "名",
)
COUNT_WORDS = frozenset(_COUNT_WORDS)
for _word in _COUNT_WORDS:
    _UNITS[_word] = ("count", Decimal(1))
    _UNITS["万" + _word] = ("count", Decimal(10_000))

_ALIASES = {
    "％": "%",
    "percent": "%",
    "pct": "%",
    "百分比": "%",
    "yuan": "元",
    "10k yuan": "万元",
    "100m yuan": "亿元",
    "km": "公里",
    "km2": "平方公里",
    "平方千米": "平方公里",
    "百分点": "%",  # a change of a share in percentage points is a change in % (cumulative targets)
    "标箱": "标准箱",
    "万标箱": "万标准箱",
    "teu": "标准箱",
    "万teu": "万标准箱",
    "10k persons": "万人",
    "persons": "人",
    "倍": "倍",
    "元/人": "元",  # a per-capita figure's unit as yearbook tables print it
    "万元/人": "万元",
}


@lru_cache(maxsize=1024)
def normalise_unit(unit: str | None) -> str:
    """Canonical spelling of a unit as written (full-width %, English aliases, surrounding spaces)."""
    if unit is None:
        return ""
    text = unit.strip()
    return _ALIASES.get(text.lower(), _ALIASES.get(text, text))


def family(unit: str | None) -> tuple[str, Decimal] | None:
    """The unit's family and its factor to the family's base unit (None for a unit without a family)."""
    return _UNITS.get(normalise_unit(unit))


def is_known(unit: str) -> bool:
    return normalise_unit(unit) in _UNITS


@lru_cache(maxsize=4096)
def conversion_factor(from_unit: str, to_unit: str) -> Decimal | None:
    """Factor f so that value_in_to = value_in_from * f, or None if the units are not convertible."""
    a, b = normalise_unit(from_unit), normalise_unit(to_unit)
    if a == b:
        return Decimal(1)
    if a in _UNITS and b in _UNITS:
        fam_a, fac_a = _UNITS[a]
        fam_b, fac_b = _UNITS[b]
        if fam_a == fam_b:
            return fac_a / fac_b
        if fam_a == "count" and fam_b == "count":
            return fac_a / fac_b
    return None


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    factor = conversion_factor(from_unit, to_unit)
    if factor is None:
        raise ValueError(f"cannot convert {from_unit!r} to {to_unit!r}")
    result = value * factor
    # Strip float noise from factors like 1/10000 while keeping the figure exact.
    return result.quantize(Decimal("1e-8")).normalize() if result != 0 else Decimal(0)
