"""The plan reader against the reviewed catalog: recall, precision and field agreement per seed document,
and the reading speed on the 210 KB magazine (goal: under one second).

A proposal matches a catalog entry of the same document when the year agrees (target year; for a baseline
the year it describes), the figures agree (value, or low and high) and the indicator agrees or the proposal
names a new indicator (then the figures decide). Each catalog entry is matched by one proposal at most.
Recall counts the catalog's targets found; precision counts proposals that match a catalog target or
baseline; field agreement compares the remaining fields of every matched target.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from service.config import PROJECT_ROOT
from service.domain.plan_reader import PlanHints, Proposal, Vocabulary, numbers_in, read_plan

FIELDS = (
    "indicator",
    "region",
    "comparator",
    "figures",
    "stretch_value",
    "unit",
    "reference_year",
    "declared_form",
)


@dataclass
class Entry:
    document: str
    kind: str  # target | baseline
    label: str
    indicator: str
    region: str
    year: int
    values: frozenset[Decimal]
    fields: dict[str, Any]


@dataclass
class DocResult:
    document: str
    chars: int
    seconds: float
    targets: int
    found: int
    proposals: int
    real: int
    agree: int = 0
    compared: int = 0
    missed: list[str] = field(default_factory=list)
    unmatched: list[Proposal] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    quotes_verbatim: bool = True

    @property
    def recall(self) -> float | None:
        return self.found / self.targets if self.targets else None

    @property
    def precision(self) -> float | None:
        return self.real / self.proposals if self.proposals else None

    @property
    def agreement(self) -> float | None:
        return self.agree / self.compared if self.compared else None


def seeds_dir() -> Path:
    env = os.environ.get("YRDMON_SEEDS_DIR")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "seeds"


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def catalog_entries(directory: Path) -> tuple[dict[str, list[Entry]], dict[str, list[dict[str, Any]]]]:
    """Catalog targets and baselines per source document, and the plans' metadata per document."""
    entries: dict[str, list[Entry]] = {}
    plans: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((directory / "plans").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc = data["plan"]["source_document"]
        plans.setdefault(doc, []).append(data["plan"])
        bucket = entries.setdefault(doc, [])
        for t in data.get("targets") or []:
            values = frozenset(
                v for v in (_dec(t.get("value")), _dec(t.get("low")), _dec(t.get("high"))) if v is not None
            )
            figures = (_dec(t.get("value")), _dec(t.get("low")), _dec(t.get("high")))
            bucket.append(Entry(doc, "target", f"{path.stem}/{t['key']}", t["indicator"], t["region"], t["target_year"],
                                values, {"indicator": t["indicator"], "region": t["region"],
                                         "comparator": t["comparator"], "figures": figures,
                                         "stretch_value": _dec(t.get("stretch_value")), "unit": t["unit"],
                                         "reference_year": t.get("reference_year"),
                                         "declared_form": t["declared_form"]}))  # fmt: skip
            bl = t.get("baseline")
            if bl:
                year = bl.get("year") or (bl.get("period") or [None, None])[1]
                bucket.append(Entry(doc, "baseline", f"{path.stem}/{t['key']}:baseline", t["indicator"], t["region"],
                                    year, frozenset({_dec(bl["value"])}), {}))  # fmt: skip
        for n, b in enumerate(data.get("baselines") or [], 1):
            year = b.get("year") or (b.get("period") or [None, None])[1]
            bucket.append(Entry(doc, "baseline", f"{path.stem}/baselines#{n}", b["indicator"], b["region"], year,
                                frozenset({_dec(b["value"])}), {}))  # fmt: skip
    return entries, plans


def hints_for(plans: list[dict[str, Any]], document: str) -> PlanHints:
    """What a reviewer would type into the upload form: the plan's title and issue year, when the
    document holds one plan (a magazine quoting two plans gets only their common issue year)."""
    years = {str(p.get("issued") or "")[:4] for p in plans}
    issued = int(next(iter(years))) if len(years) == 1 and next(iter(years)) else None
    title = plans[0]["title_zh"] if len(plans) == 1 else None
    return PlanHints(title=title, issued_year=issued, source_document=document)


def _matches(p: Proposal, e: Entry) -> bool:
    if p.target_year != e.year:
        return False
    if p.indicator_code is not None and p.indicator_code != e.indicator:
        return False
    if e.kind == "target" and len(e.values) == 2:
        return p.values == e.values
    return (p.value is not None and p.value in e.values) or (bool(p.values) and p.values == e.values)


def _proposal_fields(p: Proposal) -> dict[str, Any]:
    return {"indicator": p.indicator_code, "region": p.region_code, "comparator": p.comparator,
            "figures": (p.value, p.low, p.high), "stretch_value": p.stretch_value, "unit": p.unit,
            "reference_year": p.reference_year, "declared_form": p.declared_form}  # fmt: skip


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def evaluate(directory: Path | None = None, seeds: Path | None = None) -> list[DocResult]:
    directory = directory or PROJECT_ROOT / "indicators"
    seeds = seeds or seeds_dir()
    vocab = Vocabulary.from_catalog_dir(directory)
    entries, plans = catalog_entries(directory)
    results = []
    for path in sorted(seeds.glob("*.txt")):
        doc = path.name
        text = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        reading = read_plan(text, vocab, hints_for(plans.get(doc, []), doc))
        seconds = time.perf_counter() - start
        proposals = reading.proposals
        doc_entries = entries.get(doc, [])
        targets = [e for e in doc_entries if e.kind == "target"]
        res = DocResult(doc, len(text), seconds, len(targets), 0, len(proposals), 0)
        squeezed = squeeze(text)
        # every quote is in the document and states the figures recorded (as the catalog's own test checks)
        res.quotes_verbatim = all(
            squeeze(p.quote) in squeezed
            and {abs(v) for v in p.values} | ({p.stretch_value} if p.stretch_value else set())
            <= numbers_in(p.quote)
            for p in proposals
        )
        used: set[int] = set()
        pairs: list[tuple[Entry, Proposal]] = []
        # targets first (a region match preferred), then baselines
        for e in sorted(doc_entries, key=lambda x: x.kind != "target"):
            candidates = [i for i, p in enumerate(proposals) if i not in used and _matches(p, e)]
            candidates.sort(
                key=lambda i: (
                    proposals[i].region_code != e.region,
                    proposals[i].indicator_code != e.indicator,
                )
            )
            if candidates:
                used.add(candidates[0])
                pairs.append((e, proposals[candidates[0]]))
            elif e.kind == "target":
                res.missed.append(e.label)
        res.found = sum(1 for e, _ in pairs if e.kind == "target")
        res.real = len(used)
        res.unmatched = [p for i, p in enumerate(proposals) if i not in used]
        for e, p in pairs:
            if e.kind != "target":
                continue
            got = _proposal_fields(p)
            for f in FIELDS:
                res.compared += 1
                if got[f] == e.fields[f] or (f == "figures" and _figures_equal(got[f], e.fields[f])):
                    res.agree += 1
                else:
                    res.disagreements.append(f"{e.label}: {f} {got[f]!r} != {e.fields[f]!r}")
        results.append(res)
    return results


def _figures_equal(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(
        (x is None and y is None) or (x is not None and y is not None and Decimal(x) == Decimal(y))
        for x, y in zip(a, b, strict=True)
    )


def _pct(x: float | None) -> str:
    return "   n/a" if x is None else f"{100 * x:5.1f}%"


def run(verbose: bool = False) -> None:
    results = evaluate()
    print(f"  {'document':<28} {'targets':>7} {'found':>5} {'recall':>7} {'props':>5} {'real':>5} {'precision':>9} "
          f"{'fields':>7} {'time':>8} {'chars/s':>10}")  # fmt: skip
    for r in results:
        print(f"  {r.document:<28} {r.targets:7} {r.found:5} {_pct(r.recall):>7} {r.proposals:5} {r.real:5} "
              f"{_pct(r.precision):>9} {_pct(r.agreement):>7} {r.seconds:7.3f}s {r.chars / r.seconds:10,.0f}")  # fmt: skip
    t = sum(r.targets for r in results)
    f = sum(r.found for r in results)
    n = sum(r.proposals for r in results)
    real = sum(r.real for r in results)
    agree = sum(r.agree for r in results)
    compared = sum(r.compared for r in results)
    print(f"  {'all':<28} {t:7} {f:5} {_pct(f / t if t else None):>7} {n:5} {real:5} {_pct(real / n if n else None):>9} "
          f"{_pct(agree / compared if compared else None):>7}")  # fmt: skip
    print(
        f"  every quote found verbatim (whitespace aside) and stating its figures: {all(r.quotes_verbatim for r in results)}"
    )
    magazine = max(results, key=lambda r: r.chars)
    size = (seeds_dir() / magazine.document).stat().st_size
    print(
        f"  largest document {magazine.document} ({size:,} bytes): {magazine.chars:,} characters in "
        f"{magazine.seconds:.3f} s ({magazine.chars / magazine.seconds:,.0f} characters/s; goal < 1 s)"
    )
    for r in results:
        if verbose or os.environ.get("PLAN_READER_VERBOSE"):
            for label in r.missed:
                print(f"    missed   {label}")
            for p in r.unmatched:
                print(f"    extra    {r.document[:3]} {p.kind} {p.indicator_code or '(new) ' + p.indicator} {p.region_code} "
                      f"{p.value or (p.low, p.high)} {p.unit} {p.target_year} | {p.quote}")  # fmt: skip
            for d in r.disagreements:
                print(f"    differs  {d}")


if __name__ == "__main__":
    run(verbose=True)
