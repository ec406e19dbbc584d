"""Proposals, the reading, and their output records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from service.domain.plan_reader import reasons
from service.domain.plan_reader.reasons import Reason, r
from service.domain.plan_reader.vocabulary import Vocabulary
from service.domain.targets import EXPORT_FIELDS, figure


@dataclass(frozen=True)
class ExistingTarget:
    """A target already in the catalog, for marking duplicate proposals."""

    ref: str  # plan_code/key
    indicator: str
    region: str
    target_year: int
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None


# --- proposals ----------------------------------------------------------------------------------


@dataclass
class Proposal:
    kind: str  # target | baseline
    indicator_code: str | None  # None: a new indicator is proposed, named `indicator`
    indicator: str
    region_code: str | None
    comparator: str
    value: Decimal | None
    unit: str
    target_year: int | None  # for a baseline: the year the figure describes
    declared_form: str
    quote: str
    start: int  # offsets of the quote in the original text
    end: int
    line: int
    sentence: str
    confidence: str
    reason: list[Reason]  # codes and parameters (reasons.py), read in either language
    low: Decimal | None = None
    high: Decimal | None = None
    stretch_value: Decimal | None = None
    reference_year: int | None = None
    period: tuple[int, int] | None = None  # baselines stated for a period (年均增长 over 2019-2022)
    chapter: str | None = None
    plan_title: str | None = None  # a plan named in a heading of the document (magazines quote several)
    baseline_value: Decimal | None = None
    baseline_year: int | None = None
    duplicate_of: str | None = None
    attribute: str | None = None  # binding (约束性) | anticipatory (预期性), when the plan says
    period_start: int | None = None  # first year of the period a value applies over (每年 / 年均 / 累计)
    suggested_code: str | None = None  # a new indicator's suggested catalog code (indicator_code is None)
    quotes: list[str] = field(default_factory=list)  # further quotes restating the same target

    @property
    def values(self) -> set[Decimal]:
        return {v for v in (self.value, self.low, self.high) if v is not None}


@dataclass(frozen=True)
class PlanHints:
    """What the reviewer knows about the plan (all optional)."""

    title: str | None = None
    issued_year: int | None = None
    region_code: str | None = None
    source_document: str | None = None


@dataclass
class Reading:
    proposals: list[Proposal]
    chars: int
    issued_year: int | None
    horizon_year: int | None
    scope_region: str | None
    notes: list[str] = field(default_factory=list)


def _dedupe(proposals: list[Proposal]) -> list[Proposal]:
    """One proposal per target: an exact repeat is dropped; a restatement (a table row and a sentence, or a
    专栏, stating the same indicator, year and figures) becomes one proposal with both quotes, the table's
    (which carries the 属性) first."""
    seen: set[tuple[Any, ...]] = set()
    by_identity: dict[tuple[Any, ...], Proposal] = {}
    out: list[Proposal] = []
    exact: dict[tuple[Any, ...], Proposal] = {}
    for p in proposals:
        key = (
            p.kind,
            p.indicator_code or p.indicator,
            p.region_code,
            p.target_year,
            p.value,
            p.low,
            p.high,
            p.declared_form,
        )
        if key in seen:
            # an exact repeat: one proposal; the table's (which carries the 属性) is kept, with both quotes
            earlier = exact.get(key)
            if earlier is not None and p.quote != earlier.quote:
                keep, other = (p, earlier) if p.attribute and not earlier.attribute else (earlier, p)
                if keep is p:
                    out[out.index(earlier)] = p
                    exact[key] = p
                    for k, v in list(by_identity.items()):
                        if v is earlier:
                            by_identity[k] = p
                keep.quotes.append(other.quote)
                keep.reason.append(r("restated", line=other.line, quote=other.quote[:60]))
            continue
        seen.add(key)
        exact[key] = p
        ident = p.indicator_code or p.suggested_code
        figures = frozenset(abs(v) for v in p.values)
        same = (p.kind, ident, p.region_code, p.target_year, figures, p.comparator == "qualitative")
        first = by_identity.get(same) if ident else None
        if first is not None:
            keep, other = (p, first) if p.attribute and not first.attribute else (first, p)
            if keep is p:
                out[out.index(first)] = p
                by_identity[same] = p
                for k, v in list(exact.items()):
                    if v is first:
                        exact[k] = p
            exact[key] = keep  # a later exact repeat of this one goes to the proposal kept
            keep.quotes.append(other.quote)
            keep.reason.append(r("restated", line=other.line, quote=other.quote[:60]))
            keep.attribute = keep.attribute or other.attribute
            continue
        if ident:
            by_identity[same] = p
        out.append(p)
    return out


def _link_baselines(proposals: list[Proposal]) -> None:
    """A target whose indicator and region have a stated baseline carries it (as in the catalog)."""
    baselines = [p for p in proposals if p.kind == "baseline" and p.period is None]
    for t in proposals:
        if (
            t.kind != "target"
            or t.declared_form not in ("level", "share", "ratio")
            or t.indicator_code is None
        ):
            continue
        for bl in baselines:
            if (
                bl.indicator_code == t.indicator_code
                and bl.region_code == t.region_code
                and bl.unit == t.unit
            ) and (
                bl.target_year is not None and t.target_year is not None and bl.target_year < t.target_year
            ):
                t.baseline_value, t.baseline_year = bl.value, bl.target_year


def mark_duplicates(proposals: Sequence[Proposal], existing: Iterable[ExistingTarget]) -> None:
    """Mark proposals that restate a target already in the catalog (same indicator, region, year, figures)."""
    index: dict[tuple[str, str, int], list[ExistingTarget]] = {}
    for e in existing:
        index.setdefault((e.indicator, e.region, e.target_year), []).append(e)
    for p in proposals:
        if p.kind != "target" or p.indicator_code is None or p.region_code is None or p.target_year is None:
            continue
        for e in index.get((p.indicator_code, p.region_code, p.target_year), []):
            if _same(e.value, p.value) and _same(e.low, p.low) and _same(e.high, p.high):
                p.duplicate_of = e.ref
                break


def _same(x: Decimal | None, y: Decimal | None) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return Decimal(x) == Decimal(y)


# --- output -------------------------------------------------------------------------------------

# A proposal's record is the catalog export's record (EXPORT_FIELDS, in that order) with the reader's own
# fields placed after the export field they explain: the proposal's kind after its id, where the quote
# sits after the quote, and why the reader is (un)sure and what it duplicates after its confidence.
READER_FIELDS = {
    "id": ["kind"],
    "source_quote": ["quote_start", "quote_end", "line"],
    "confidence": ["confidence_reason", "duplicate_of"],
}
RECORD_FIELDS = [name for field in EXPORT_FIELDS for name in (field, *READER_FIELDS.get(field, []))]


def to_record(
    p: Proposal,
    n: int,
    vocab: Vocabulary,
    *,
    plan: str | None,
    plan_code: str | None,
    source_document: str | None,
) -> dict[str, Any]:
    """A proposal as a record with the catalog export's fields, plus kind and confidence."""
    baseline = p.kind == "baseline"
    values = {
        "id": f"proposal-{n}",
        "kind": p.kind,
        "plan": plan or p.plan_title,
        "plan_code": plan_code,
        "region": vocab.region_name(p.region_code),
        "region_code": p.region_code,
        "indicator_code": p.indicator_code,
        "indicator": p.indicator,
        "unit": p.unit,
        "comparator": p.comparator,
        "value": figure(p.value),
        "low": figure(p.low),
        "high": figure(p.high),
        "stretch_value": figure(p.stretch_value),
        "tolerance": None,
        "target_year": None if baseline else p.target_year,
        "reference_year": p.reference_year,
        "declared_form": p.declared_form,
        "baseline_value": figure(p.value if baseline else p.baseline_value),
        "baseline_year": p.target_year if baseline else p.baseline_year,
        "source_document": source_document,
        "source_quote": p.quote,
        "quote_start": p.start,
        "quote_end": p.end,
        "line": p.line,
        "chapter": p.chapter,
        "confidence": p.confidence,
        "confidence_reason": reasons.text(p.reason, "en"),
        "duplicate_of": p.duplicate_of,
        "note": None if p.indicator_code else f"new indicator proposed: {p.indicator}",
        "version": None,
    }
    return {name: values[name] for name in RECORD_FIELDS}
