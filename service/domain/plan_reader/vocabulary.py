"""The vocabulary: catalog indicators and regions, and the reader's own synonyms for how plans name them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.domain import units

# --- the vocabulary: catalog indicators and regions ---------------------------------------------


@dataclass(frozen=True)
class IndicatorTerm:
    code: str
    name: str
    unit: str
    kind: str
    direction: str = "up"
    synonyms: tuple[str, ...] = ()
    numerator: str | None = None
    denominator: str | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


@dataclass(frozen=True)
class RegionTerm:
    code: str
    name: str
    level: str
    members: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    parent: str | None = None


# Words at the end of an indicator's name that the text often leaves out (高新技术企业数 -> 高新技术企业).
_NAME_TAILS = ("数量", "总量", "规模", "个数", "数", "率", "额")


def _norm_term(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).replace("规模以上", "规上")
    return re.sub(r"[ “”‘’\"'「」『』的]", "", s)


class Vocabulary:
    """Indicators and regions the reader matches phrases against."""

    def __init__(self, indicators: Iterable[IndicatorTerm], regions: Iterable[RegionTerm]) -> None:
        self.indicators = {i.code: i for i in indicators}
        self.regions = {r.code: r for r in regions}
        # (normalised term, code, strength): full names/synonyms first, then their shortened cores
        terms: list[tuple[str, str, int]] = []
        for ind in self.indicators.values():
            seen: set[str] = set()
            for term in ind.terms:
                t = _norm_term(term)
                if len(t) >= 2 and t not in seen:
                    seen.add(t)
                    terms.append((t, ind.code, 2))
            for term in ind.terms:
                t = _norm_term(term)
                for tail in _NAME_TAILS:
                    if t.endswith(tail) and len(t) - len(tail) >= 3 and t[: -len(tail)] not in seen:
                        seen.add(t[: -len(tail)])
                        terms.append((t[: -len(tail)], ind.code, 1))
                        break
        terms.sort(key=lambda x: (-len(x[0]), -x[2]))
        self._terms = terms
        self._by_ratio = {
            (i.numerator, i.denominator): i.code
            for i in self.indicators.values()
            if i.numerator and i.denominator
        }
        names: list[tuple[str, str]] = []
        for reg in self.regions.values():
            for n in (reg.name, *reg.aliases):
                if len(n) >= 2:
                    names.append((n, reg.code))
        names.sort(key=lambda x: -len(x[0]))
        self._region_names = names
        self._region_re = re.compile("|".join(re.escape(n) for n, _ in names)) if names else None
        self._region_by_name = dict(names)

    @classmethod
    def from_catalog_dir(cls, directory: Path) -> Vocabulary:
        from service.domain.catalog import read_catalog

        catalog = read_catalog(directory)
        return cls.from_entries(catalog.indicators, catalog.regions)

    @classmethod
    def from_entries(cls, indicators: Iterable[Any], regions: Iterable[Any]) -> Vocabulary:
        return cls(
            [
                IndicatorTerm(
                    i.code, i.name_zh, i.unit, str(getattr(i.kind, "value", i.kind)),
                    str(getattr(i.direction, "value", i.direction)), tuple(i.synonyms or ()),
                    getattr(i, "numerator", None), getattr(i, "denominator", None),
                )
                for i in indicators
            ],
            [RegionTerm(r.code, r.name_zh, r.level, tuple(r.members or ()), tuple(r.aliases or ()), r.parent)
             for r in regions],
        )  # fmt: skip

    # -- indicators

    def match_indicator(
        self, phrase: str, unit: str | None, *, growth: bool = False, whole: bool = True
    ) -> tuple[str, str, str] | None:
        """(indicator code, how it matched, the text matched) for a subject phrase, or None.

        With ``whole`` the name must cover a good part of the phrase: 单位GDP二氧化碳排放 is not GDP.
        """
        p = _norm_term(phrase)
        if len(p) < 2:
            return None
        share = re.search(r"(.+?)占(.+?)(?:的)?(?:比重|比例|比值)", p)
        if share:
            num = self._best_term(share.group(1), None)
            den = self._best_term(share.group(2), None)
            if num and den and (num[0], den[0]) in self._by_ratio:
                return self._by_ratio[(num[0], den[0])], "share of its components", share.group(1)
        found = self._best_term(p, unit, growth=growth)
        if found and (not whole or len(found[2]) >= 0.4 * len(p)):
            return found
        # the phrase is a shortened name: 产值 -> 工业产值 (weak)
        if len(p) >= 2 and not growth:
            inside = [
                (len(t), code, t)
                for t, code, strength in self._terms
                if strength == 2 and p in t and len(t) <= len(p) + 3
            ]
            inside = [x for x in inside if self._unit_fits(x[1], unit)]
            if inside:
                inside.sort()
                return inside[0][1], f"'{phrase}' as part of '{inside[0][2]}'", p
        return None

    def _best_term(
        self, phrase: str, unit: str | None, *, growth: bool = False
    ) -> tuple[str, str, str] | None:
        for term, code, strength in self._terms:
            if term in phrase:
                ind = self.indicators[code]
                if growth != (ind.kind == "growth_rate"):
                    continue
                if not self._unit_fits(code, unit):
                    continue
                how = "name" if term == _norm_term(ind.name) else f"synonym '{term}'"
                return code, how if strength == 2 else f"shortened name '{term}'", term
        return None

    def _unit_fits(self, code: str, unit: str | None) -> bool:
        if unit is None:
            return True
        ind_unit = self.indicators[code].unit
        if unit == ind_unit or units.conversion_factor(unit, ind_unit) is not None:
            return True
        return unit in _COUNT_UNITS and ind_unit in _COUNT_UNITS

    # -- regions

    def regions_in(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, region code) of every region name or alias in the text, longest first."""
        if self._region_re is None:
            return []
        return [(m.start(), m.end(), self._region_by_name[m.group()]) for m in self._region_re.finditer(text)]

    def within(self, code: str, other: str) -> bool:
        """Whether region ``code`` lies inside ``other`` (a descendant, or a zone of its descendants)."""
        region = self.regions.get(code)
        if region is None or code == other:
            return False
        if region.members:
            return all(m == other or self.within(m, other) for m in region.members)
        seen = 0
        while region is not None and region.parent and seen < 20:
            if region.parent == other:
                return True
            region, seen = self.regions.get(region.parent), seen + 1
        return False

    def region_name(self, code: str | None) -> str | None:
        return self.regions[code].name if code and code in self.regions else None


_COUNT_UNITS = units.COUNT_WORDS
