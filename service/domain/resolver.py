"""Finding the indicator and the region a person meant, from a code, a name or a synonym.

Every way figures come in (a file, the entry form, the API, a fill-in template) names its indicator and
region in words; the resolver turns them into plain references, remembers each text it has seen, and
for a text it does not know suggests the nearest name (是否为…？ / did you mean …?).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import Indicator, Observation, Region


@dataclass
class RowProblem:
    column: str
    zh: str
    en: str
    cell: str | None = None  # the spreadsheet cell the problem is in (Sheet2!D14), when read from a table


@dataclass(frozen=True, slots=True)
class IndicatorRef:
    """The few facts about an indicator that ingestion needs, as plain values (no ORM per-row cost)."""

    id: int
    code: str
    unit: str
    name_zh: str
    name_en: str
    numerator_id: int | None
    denominator_id: int | None
    scale: Decimal | None
    kind: str  # level | share | count | ratio | growth_rate | index: which plausibility rules apply


@dataclass(frozen=True, slots=True)
class RegionRef:
    id: int
    code: str
    name_zh: str
    name_en: str


RESOLVE_CACHE = 50_000  # texts remembered per resolver (a file names the same codes over and over)


class Resolver:
    """Finds indicators and regions by code, name or synonym; suggests the nearest match otherwise."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._largest: dict[int, Decimal | None] = {}
        self.indicators: dict[str, Indicator] = {}
        for ind in session.scalars(select(Indicator)):
            for name in (ind.code, ind.name_zh, ind.name_en, *ind.synonyms):
                self.indicators.setdefault(name.strip().lower(), ind)
        self.regions: dict[str, Region] = {}
        for reg in session.scalars(select(Region)):
            for name in (reg.code, reg.name_zh, reg.name_en, *(reg.aliases or [])):
                self.regions.setdefault(name.strip().lower(), reg)
        self.region_by_id = {r.id: r for r in self.regions.values()}
        self.indicator_by_id = {i.id: i for i in self.indicators.values()}
        self.indicator_refs = {
            i.id: IndicatorRef(
                i.id,
                i.code,
                i.unit,
                i.name_zh,
                i.name_en,
                i.numerator_id,
                i.denominator_id,
                i.scale,
                str(i.kind),
            )
            for i in self.indicator_by_id.values()
        }
        self.region_refs = {
            r.id: RegionRef(r.id, r.code, r.name_zh, r.name_en) for r in self.region_by_id.values()
        }
        self._indicator_texts: dict[str, IndicatorRef | RowProblem] = {}
        self._region_texts: dict[str, RegionRef | RowProblem] = {}

    @staticmethod
    def _suggest(text: str, names: Iterable[str]) -> str | None:
        close = difflib.get_close_matches(text.strip().lower(), list(names), n=1, cutoff=0.5)
        return close[0] if close else None

    def indicator(self, text: str) -> Indicator | RowProblem:
        found = self.indicators.get(str(text).strip().lower())
        if found is not None:
            return found
        hint = self._suggest(str(text), self.indicators)
        tip_zh = (
            f"，是否为“{self.indicators[hint].name_zh}”（{self.indicators[hint].code}）？" if hint else ""
        )
        tip_en = (
            f"; did you mean {self.indicators[hint].code} ({self.indicators[hint].name_en})?" if hint else ""
        )
        return RowProblem("indicator", f"未知指标“{text}”{tip_zh}", f"unknown indicator {text!r}{tip_en}")

    def indicator_ref(self, text: str) -> IndicatorRef | RowProblem:
        """Like ``indicator``, as plain values, remembered per text."""
        found = self._indicator_texts.get(text)
        return (
            found
            if found is not None
            else self._remember(self._indicator_texts, text, self.indicator, self.indicator_refs)
        )

    def region_ref(self, text: str) -> RegionRef | RowProblem:
        """Like ``region``, as plain values, remembered per text."""
        found = self._region_texts.get(text)
        return (
            found
            if found is not None
            else self._remember(self._region_texts, text, self.region, self.region_refs)
        )

    @staticmethod
    def _remember(texts: dict[str, Any], text: str, find: Any, refs: dict[int, Any]) -> Any:
        """Resolve a text not seen before, and remember the answer (up to RESOLVE_CACHE texts)."""
        hit = find(text)
        found = hit if isinstance(hit, RowProblem) else refs[hit.id]
        if len(texts) < RESOLVE_CACHE:
            texts[text] = found
        return found

    def largest(self, indicator_id: int) -> Decimal | None:
        """The largest |value| stored for an indicator (any region, year, version), read once per batch:
        the yardstick of ``plausibility.judge_scale``. None when nothing is stored."""
        if indicator_id not in self._largest:
            high, low = self._session.execute(
                select(func.max(Observation.value), func.min(Observation.value)).where(
                    Observation.indicator_id == indicator_id
                )
            ).one()
            known = [abs(Decimal(v)) for v in (high, low) if v is not None]
            self._largest[indicator_id] = max(known) if known else None
        return self._largest[indicator_id]

    def region(self, text: str) -> Region | RowProblem:
        found = self.regions.get(str(text).strip().lower())
        if found is not None:
            return found
        hint = self._suggest(str(text), self.regions)
        tip_zh = f"，是否为“{self.regions[hint].name_zh}”（{self.regions[hint].code}）？" if hint else ""
        tip_en = f"; did you mean {self.regions[hint].code} ({self.regions[hint].name_en})?" if hint else ""
        return RowProblem("region", f"未知地区“{text}”{tip_zh}", f"unknown region {text!r}{tip_en}")
