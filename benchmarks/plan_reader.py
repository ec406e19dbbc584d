"""The plan reader against reviewed targets: recall, precision, field agreement and time per document, over
the seed documents (shared/seeds, reviewed catalog in indicators/plans/) and the new round of real plans
(shared/plans). For each document the reference is the first of: the reviewed catalog files in
indicators/plans/ whose source_document is that document; the reviewed catalog files in catalog-staging/
(``../catalog-staging`` beside the checkout, or YRDMON_CATALOG_STAGING_DIR) that name it; the hand-read
gold set in benchmarks/plan_gold/. Goal: recall ≥ 95 %, precision ≥ 90 % over all documents, each read in
< 1 s.

A proposal matches a reviewed entry of the same document when the year agrees (target year; for a baseline
the year it describes), the figures agree (value, or low and high; a target without a number matches a
qualitative proposal whose quote overlaps the entry's) and, where both name a catalog indicator, the
indicators agree. Each entry is matched by one proposal at most. Recall counts the reviewed targets found;
precision counts proposals that match a reviewed target or baseline (or an entry marked optional, which
counts neither way) among those in the lines the gold set covers (a hand-read gold set covers only part
of a long plan); field agreement compares indicator, region, year, comparator, unit and attribute (and, for
the seeds, the catalog's other fields) of every matched target.
"""

from __future__ import annotations

import bisect
import csv
import os
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from service.config import PROJECT_ROOT
from service.domain.plan_reader import (
    CleanText,
    IndicatorTerm,
    PlanHints,
    Proposal,
    Vocabulary,
    numbers_in,
    read_plan,
)

FIELDS = ("indicator", "region", "year", "comparator", "figures", "unit", "attribute", "declared_form")
GOLD_DIR = Path(__file__).parent / "plan_gold"
_ATTR = {"b": "binding", "a": "anticipatory", "-": None}


@dataclass
class Entry:
    document: str
    kind: str  # target | baseline | optional
    label: str
    indicator: str
    region: str
    year: int
    values: frozenset[Decimal]
    fields: dict[str, Any]
    key: str = ""


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
    by_field: dict[str, list[int]] = field(default_factory=dict)  # field -> [agree, compared]
    quotes_verbatim: bool = True
    source: str = "catalog"  # catalog | staging | gold

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


def plans_dir() -> Path:
    env = os.environ.get("YRDMON_PLANS_DIR")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "plans"


def staging_dir() -> Path:
    env = os.environ.get("YRDMON_CATALOG_STAGING_DIR")
    return Path(env) if env else PROJECT_ROOT.parent / "catalog-staging"


def with_staged_indicators(vocab: Vocabulary, directory: Path) -> Vocabulary:
    """The vocabulary with the indicators the staged catalogs add (``*-new-indicators.yaml``): how the reader
    does once those catalogs are merged with their indicators (PLAN_READER_STAGED_INDICATORS=1)."""
    terms = list(vocab.indicators.values())
    seen = set(vocab.indicators)
    for path in sorted(directory.glob("*-new-indicators.yaml")) if directory.is_dir() else []:
        for i in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(i, dict) and i.get("code") and i["code"] not in seen:
                seen.add(i["code"])
                terms.append(
                    IndicatorTerm(
                        i["code"],
                        i.get("name_zh") or i["code"],
                        i.get("unit") or "",
                        i.get("kind") or "level",
                        i.get("direction") or "up",
                        tuple(i.get("synonyms") or ()),
                    )
                )
    return Vocabulary(terms, vocab.regions.values())


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def catalog_entries(directory: Path) -> tuple[dict[str, list[Entry]], dict[str, list[dict[str, Any]]]]:
    """Catalog targets and baselines per source document, and the plans' metadata per document; the
    results a document reports (observations files whose source is the document) count as baselines."""
    entries, plans = plan_file_entries(sorted((directory / "plans").glob("*.yaml")))
    for doc, items in published_results(sorted((directory / "observations").glob("*.csv")), plans).items():
        entries.setdefault(doc, []).extend(items)
    return entries, plans


def plan_file_entries(
    paths: list[Path],
) -> tuple[dict[str, list[Entry]], dict[str, list[dict[str, Any]]]]:
    """Targets and baselines of PlanFile YAML files per source document (files of another shape, such as a
    list of new indicators, are passed over), and the plans' metadata per document."""
    entries: dict[str, list[Entry]] = {}
    plans: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "plan" not in data:
            continue
        doc = data["plan"]["source_document"]
        plans.setdefault(doc, []).append(data["plan"])
        bucket = entries.setdefault(doc, [])
        for t in data.get("targets") or []:
            values = frozenset(
                v for v in (_dec(t.get("value")), _dec(t.get("low")), _dec(t.get("high"))) if v is not None
            )
            figures = (_dec(t.get("value")), _dec(t.get("low")), _dec(t.get("high")))
            bucket.append(
                Entry(
                    doc,
                    "target",
                    f"{path.stem}/{t['key']}",
                    t["indicator"],
                    t["region"],
                    t["target_year"],
                    values,
                    {
                        "indicator": t["indicator"],
                        "region": t["region"],
                        "year": t["target_year"],
                        "comparator": t["comparator"],
                        "figures": figures,
                        "unit": t["unit"],
                        "attribute": t.get("attribute"),
                        "declared_form": t["declared_form"],
                        "stretch_value": _dec(t.get("stretch_value")),
                        "reference_year": t.get("reference_year"),
                    },
                    t.get("quote") or "",
                )
            )
            bl = t.get("baseline")
            if bl:
                year = bl.get("year") or (bl.get("period") or [None, None])[1]
                bucket.append(
                    Entry(
                        doc,
                        "baseline",
                        f"{path.stem}/{t['key']}:baseline",
                        t["indicator"],
                        t["region"],
                        year,
                        frozenset({_dec(bl["value"])}),
                        {},
                        bl.get("quote") or "",
                    )
                )
        for n, b in enumerate(data.get("baselines") or [], 1):
            year = b.get("year") or (b.get("period") or [None, None])[1]
            bucket.append(
                Entry(
                    doc,
                    "baseline",
                    f"{path.stem}/baselines#{n}",
                    b["indicator"],
                    b["region"],
                    year,
                    frozenset({_dec(b["value"])}),
                    {},
                    b.get("quote") or "",
                )
            )
    return entries, plans


def published_results(paths: list[Path], plans: dict[str, list[dict[str, Any]]]) -> dict[str, list[Entry]]:
    """Results a document reports (a reviewer's CSV of observations: indicator, region, period, value, …,
    source naming the document's title), as baselines of that document: a proposal stating one is right."""
    titles = {p.get("document_title") or p["title_zh"]: doc for doc, ps in plans.items() for p in ps}
    out: dict[str, list[Entry]] = {}
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for n, row in enumerate(csv.DictReader(f), 1):
                doc = next((d for t, d in titles.items() if (row.get("source") or "").startswith(t)), None)
                if doc is None or not row.get("value") or not (row.get("period") or "")[:4].isdigit():
                    continue
                try:
                    value = Decimal(row["value"])
                except ArithmeticError:  # a figure written with its unit or a qualifier: not a plain result
                    continue
                out.setdefault(doc, []).append(
                    Entry(
                        doc,
                        "baseline",
                        f"{path.stem}#{n}",
                        row["indicator"],
                        row["region"],
                        int(row["period"][:4]),
                        frozenset({value}),
                        {},
                    )
                )
    return out


_GOLD_LINE = re.compile(
    r"^(?P<kind>[TBO]) (?P<year>\d{4}) (?P<cmp>\S+) (?P<value>\S+) (?P<unit>\S+) (?P<attr>[ab-]) (?P<form>\S+) "
    r"(?P<ind>\S+) \| (?P<key>.+)$"
)


def gold_entries(path: Path) -> tuple[str, list[Entry], list[tuple[int, int]]]:
    """A hand-read gold set: (document, entries, covered line ranges). See benchmarks/plan_gold/*.yaml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc, region = data["document"], data["region"]
    out = []
    for n, line in enumerate(data["entries"], 1):
        m = _GOLD_LINE.match(line)
        if m is None:
            raise ValueError(f"{path.name} entry {n}: {line!r}")
        kind = {"T": "target", "B": "baseline", "O": "optional"}[m["kind"]]
        cmp_ = {">": ">=", "<": "<="}.get(m["cmp"], m["cmp"])
        if m["value"] == "-":
            values: frozenset[Decimal] = frozenset()
            figures: tuple[Decimal | None, ...] = (None, None, None)
        elif cmp_ == "range":
            lo, hi = (Decimal(x) for x in m["value"].split("-"))
            values, figures = frozenset({lo, hi}), (None, lo, hi)
        else:
            values, figures = frozenset({Decimal(m["value"])}), (Decimal(m["value"]), None, None)
        ind = m["ind"]
        fields = {
            "indicator": None if ind == "*" else ind,
            "region": region,
            "year": int(m["year"]),
            "comparator": cmp_,
            "figures": figures,
            "unit": None if m["unit"] == "-" else m["unit"],
            "attribute": _ATTR[m["attr"]],
            "declared_form": m["form"],
        }
        out.append(
            Entry(
                doc,
                kind,
                f"{path.stem}#{n} {m['key']}",
                ind,
                region,
                int(m["year"]),
                values,
                fields,
                m["key"],
            )
        )
    return doc, out, [(a, b) for a, b in data.get("covered") or []]


def hints_for(plans: list[dict[str, Any]], document: str) -> PlanHints:
    """What a reviewer would type into the upload form: the plan's title and issue year, when the
    document holds one plan (a magazine quoting two plans gets only their common issue year)."""
    years = {str(p.get("issued") or "")[:4] for p in plans}
    issued = int(next(iter(years))) if len(years) == 1 and next(iter(years)) else None
    title = plans[0]["title_zh"] if len(plans) == 1 else None
    return PlanHints(title=title, issued_year=issued, source_document=document)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _overlap(p: Proposal, e: Entry) -> bool:
    if not e.key:
        return True
    return any(_overlaps(e.key, q) for q in (p.quote, *p.quotes))


def _ends_with_cell(p: Proposal, e: Entry) -> bool:
    # an entry quoting a table cell alone ("35", "＞25"): the proposal's row quote ends at that cell
    key = squeeze(e.key)
    return any(squeeze(q).endswith(key) for q in (p.quote, *p.quotes))


def _overlaps(entry_quote: str, proposal_quote: str) -> bool:
    key, quote = squeeze(entry_quote), squeeze(proposal_quote)
    if key in quote or quote in key or key[:8] in quote:
        return True
    # a row quoted cell by cell from another cell (23 耕地保有量（万公顷） 约束性 完成省 | 耕地保有量… 完成省下达指标)
    m = SequenceMatcher(None, key, quote, autojunk=False).find_longest_match(0, len(key), 0, len(quote))
    return m.size >= min(10, len(key), len(quote))


def _family(code: str) -> str:
    # a growth goal is recorded on the level indicator (gdp) by some reviewers and on its growth-rate
    # indicator (gdp_growth) by others: either is the same target
    return code.removesuffix("_growth")


def _matches(p: Proposal, e: Entry, codes: set[str]) -> bool:
    if p.target_year != e.year:
        return False
    if (
        p.indicator_code is not None
        and e.indicator in codes
        and _family(p.indicator_code) != _family(e.indicator)
    ):
        return False
    if not e.values:  # a target without a number
        return p.value is None and p.low is None and _overlap(p, e)
    if len(e.values) == 2 and e.fields.get("comparator") in ("range", None):
        return p.values == e.values
    values = {abs(v) for v in p.values}
    return (p.value is not None and abs(p.value) in {abs(v) for v in e.values}) or (
        bool(values) and values == {abs(v) for v in e.values}
    )


def _proposal_fields(p: Proposal) -> dict[str, Any]:
    return {
        "indicator": p.indicator_code or p.suggested_code,
        "region": p.region_code,
        "year": p.target_year,
        "comparator": p.comparator,
        "figures": (p.value, p.low, p.high),
        "unit": p.unit,
        "attribute": p.attribute,
        "declared_form": p.declared_form,
        "stretch_value": p.stretch_value,
        "reference_year": p.reference_year,
    }


def _figures_equal(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(
        (x is None and y is None) or (x is not None and y is not None and abs(Decimal(x)) == abs(Decimal(y)))
        for x, y in zip(a, b, strict=True)
    )


def _agrees(f: str, got: Any, want: Any) -> bool:
    if f == "figures":
        return _figures_equal(got, want)
    if f == "unit" and got and want:
        return squeeze(str(got)).replace("（", "(").replace("）", ")") == squeeze(str(want)).replace(
            "（", "("
        ).replace("）", ")")
    return bool(got == want)


NEAR_CHARS = 400  # how far (non-space characters) a proposal may be from the entry's quote it matches


def _nearness(text: str) -> Any:
    """A test of whether a proposal lies near an entry's quote in the text (an entry without a quote, or
    whose quote is not found, is near everything)."""
    keep = [i for i, ch in enumerate(text) if not ch.isspace()]
    squeezed = "".join(text[i] for i in keep)
    places: dict[str, list[int]] = {}

    def where(key: str) -> list[int]:
        if key not in places:
            found, at = [], squeezed.find(key)
            while at >= 0 and len(found) < 50:
                found.append(at)
                at = squeezed.find(key, at + 1)
            places[key] = found
        return places[key]

    def near(p: Proposal, e: Entry) -> bool:
        code = p.indicator_code or p.suggested_code
        if code is not None and _family(code) == _family(e.indicator):
            return True  # the same indicator restated elsewhere (a table row and its sentence)
        key = squeeze(e.key)
        spots = where(key) if key else []
        if not spots:
            return True
        ats = [bisect.bisect_left(keep, p.start)] + [x for q in p.quotes for x in where(squeeze(q))]
        return any(abs(at - s) <= NEAR_CHARS for s in spots for at in ats)

    return near


def _match_pass(
    entries: list[Entry],
    proposals: list[Proposal],
    codes: set[str],
    used: set[int],
    pairs: list[tuple[Entry, Proposal]],
    strict: bool,
    near: Any = None,
) -> list[Entry]:
    """Pair entries with unused matching proposals (``strict``: only those whose quotes overlap; else, where
    ``near`` tells, only those within a few sentences of the entry's quote); the entries left unpaired."""
    left = []
    for e in entries:
        candidates = [
            i
            for i, p in enumerate(proposals)
            if i not in used
            and _matches(p, e, codes)
            and (
                (bool(e.key) and _overlap(p, e) and (len(squeeze(e.key)) >= 6 or _ends_with_cell(p, e)))
                if strict
                else (near is None or near(p, e))
            )
        ]
        candidates.sort(
            key=lambda i: (
                (proposals[i].kind == "target") != (e.kind == "target") and e.kind != "optional",
                not _overlap(proposals[i], e),
                proposals[i].region_code != e.region,
                _family(proposals[i].indicator_code or proposals[i].suggested_code or "")
                != _family(e.indicator),
            )
        )
        if candidates:
            used.add(candidates[0])
            pairs.append((e, proposals[candidates[0]]))
        else:
            left.append(e)
    return left


def _evaluate_document(
    path: Path,
    vocab: Vocabulary,
    entries: list[Entry],
    hints: PlanHints,
    source: str,
    covered: list[tuple[int, int]] | None = None,
) -> DocResult:
    doc = path.name
    text = path.read_text(encoding="utf-8")
    start = time.process_time()  # CPU time: other processes on a shared machine do not count
    reading = read_plan(text, vocab, hints)
    seconds = time.process_time() - start
    proposals = reading.proposals
    if covered is not None:
        proposals = [p for p in proposals if any(a <= p.line <= b for a, b in covered)]
    targets = [e for e in entries if e.kind == "target"]
    res = DocResult(doc, len(text), seconds, len(targets), 0, len(proposals), 0, source=source)
    squeezed = squeeze(text)
    furnished = squeeze(CleanText(text).without_furniture())
    # every quote is in the document (page footers aside) and states the figures recorded (as the catalog's
    # own test checks)
    res.quotes_verbatim = all(
        (squeeze(p.quote) in squeezed or squeeze(p.quote) in furnished)
        and {abs(v) for v in p.values} | ({p.stretch_value} if p.stretch_value else set())
        <= numbers_in(p.quote)
        for p in reading.proposals
    )
    codes = set(vocab.indicators)
    used: set[int] = set()
    pairs: list[tuple[Entry, Proposal]] = []
    order = {"target": 0, "baseline": 1, "optional": 2}
    # first the pairs whose quotes overlap, then the rest: an entry the reader missed must not take the
    # proposal of another entry that states the same figures in the same year
    pending = sorted(entries, key=lambda x: order[x.kind])
    near = _nearness(text)
    for strict in (True, False):
        pending = _match_pass(pending, proposals, codes, used, pairs, strict, near)
    res.missed = [e.label for e in pending if e.kind == "target"]
    res.found = sum(1 for e, _ in pairs if e.kind == "target")
    optional = sum(1 for e, _ in pairs if e.kind == "optional")
    res.proposals -= optional  # a reading an entry marks as either way counts neither way
    res.real = len(used) - optional
    res.unmatched = [p for i, p in enumerate(proposals) if i not in used]
    for e, p in pairs:
        if e.kind != "target":
            continue
        got = _proposal_fields(p)
        for f in FIELDS:
            want = e.fields.get(f)
            if want is None and f in ("indicator", "unit", "attribute"):
                continue  # the gold set leaves it open
            res.compared += 1
            counts = res.by_field.setdefault(f, [0, 0])
            counts[1] += 1
            if _agrees(f, got[f], want):
                res.agree += 1
                counts[0] += 1
            else:
                res.disagreements.append(f"{e.label}: {f} {got[f]!r} != {want!r}")
    return res


def evaluate(
    directory: Path | None = None,
    seeds: Path | None = None,
    plans: Path | None = None,
    *,
    include_plans: bool = True,
    staging: Path | None = None,
) -> list[DocResult]:
    directory = directory or PROJECT_ROOT / "indicators"
    seeds = seeds or seeds_dir()
    vocab = Vocabulary.from_catalog_dir(directory)
    if os.environ.get("PLAN_READER_STAGED_INDICATORS"):
        vocab = with_staged_indicators(vocab, staging_dir() if staging is None else staging)
    entries, metas = catalog_entries(directory)
    results = []
    for path in sorted(seeds.glob("*.txt")):
        doc = path.name
        results.append(
            _evaluate_document(
                path, vocab, entries.get(doc, []), hints_for(metas.get(doc, []), doc), "catalog"
            )
        )
    if not include_plans:
        return results
    plans = plans or plans_dir()
    staged = staging_dir() if staging is None else staging
    staged_entries: dict[str, list[Entry]] = {}
    if staged.is_dir():
        staged_entries, staged_plans = plan_file_entries(sorted(staged.glob("*.yaml")))
        for doc, items in published_results(sorted(staged.glob("*.csv")), staged_plans).items():
            staged_entries.setdefault(doc, []).extend(items)
    gold = {}
    for g in sorted(GOLD_DIR.glob("*.yaml")):
        doc, doc_entries, covered = gold_entries(g)
        gold[doc] = (doc_entries, covered)
    for path in sorted(plans.glob("*.txt")) if plans.is_dir() else []:
        doc = path.name
        hints = PlanHints(source_document=doc)  # what the document itself says: nothing typed in
        if any(e.kind == "target" for e in entries.get(doc, [])):
            results.append(_evaluate_document(path, vocab, entries[doc], hints, "catalog"))
        elif any(e.kind == "target" for e in staged_entries.get(doc, [])):
            results.append(_evaluate_document(path, vocab, staged_entries[doc], hints, "staging"))
        elif doc in gold:
            results.append(_evaluate_document(path, vocab, gold[doc][0], hints, "gold", gold[doc][1]))
    return results


def _pct(x: float | None) -> str:
    return "   n/a" if x is None else f"{100 * x:5.1f}%"


def run(verbose: bool = False) -> None:
    results = evaluate()
    print(
        f"  {'document':<30} {'src':>7} {'targets':>7} {'found':>5} {'recall':>7} {'props':>5} {'real':>5} "
        f"{'precision':>9} {'fields':>7} {'time':>8}"
    )
    for r in results:
        print(
            f"  {r.document:<30} {r.source:>7} {r.targets:7} {r.found:5} {_pct(r.recall):>7} {r.proposals:5} "
            f"{r.real:5} {_pct(r.precision):>9} {_pct(r.agreement):>7} {r.seconds:7.3f}s"
        )
    t = sum(r.targets for r in results)
    f = sum(r.found for r in results)
    n = sum(r.proposals for r in results)
    real = sum(r.real for r in results)
    agree = sum(r.agree for r in results)
    compared = sum(r.compared for r in results)
    print(
        f"  {'all':<30} {'':>7} {t:7} {f:5} {_pct(f / t if t else None):>7} {n:5} {real:5} "
        f"{_pct(real / n if n else None):>9} {_pct(agree / compared if compared else None):>7} "
        f"{max(r.seconds for r in results):7.3f}s max"
    )
    print(
        f"  every quote found verbatim (whitespace aside) and stating its figures: {all(r.quotes_verbatim for r in results)}"
    )
    per_field = {f: [sum(r.by_field.get(f, [0, 0])[k] for r in results) for k in (0, 1)] for f in FIELDS}
    print(
        "  field agreement of matched targets: "
        + ", ".join(f"{f} {_pct(a / n if n else None).strip()}" for f, (a, n) in per_field.items())
    )
    print("  goal: recall ≥ 95 %, precision ≥ 90 %, each document < 1 s")
    for r in results:
        if verbose or os.environ.get("PLAN_READER_VERBOSE"):
            for label in r.missed:
                print(f"    missed   {r.document[:8]} {label}")
            for p in r.unmatched:
                print(
                    f"    extra    {r.document[:8]} L{p.line} {p.kind} {p.indicator_code or '(new) ' + p.indicator} "
                    f"{p.region_code} {p.comparator} {p.value if p.value is not None else (p.low, p.high)} {p.unit} "
                    f"{p.target_year} | {p.quote}"
                )
            for d in r.disagreements:
                print(f"    differs  {r.document[:8]} {d}")


if __name__ == "__main__":
    run(verbose=True)
