"""read_plan: the whole reading of a plan's text."""

from __future__ import annotations

import bisect
import re
from collections import Counter

from service.domain.plan_reader.proposals import PlanHints, Proposal, Reading, _dedupe, _link_baselines
from service.domain.plan_reader.sentences import (
    _Ctx,
    _first_region,
    _fyp_period,
    _governs,
    _heading_breaks,
    _headings,
    _infer_issued,
    _own_line,
    _read_sentence,
    _scope_region,
    _sentences,
    _year_marks,
)
from service.domain.plan_reader.tables import _read_tables
from service.domain.plan_reader.text import CleanText
from service.domain.plan_reader.vocabulary import Vocabulary
from service.domain.plan_reader.words import _PLAN_HEADING


def read_plan(text: str, vocab: Vocabulary, hints: PlanHints | None = None) -> Reading:
    """Propose the targets and baselines a plan's text states."""
    hints = hints or PlanHints()
    ct = CleanText(text)
    clean = ct.clean
    marks = _year_marks(clean)
    own = _plan_period(hints.title, clean, None, title_only=True)
    issued = hints.issued_year or _infer_issued(clean, marks, own)
    for mk in marks:
        if mk.relative is not None and issued is not None:
            mk.year = issued + mk.relative
        if issued is not None and mk.year is not None and mk.relative is None and mk.year <= issued:
            mk.future = False  # 到2018年6月发展为… in a 2019 plan tells what has happened
        if mk.future is None and mk.year is not None:
            if mk.period:
                mk.future = issued is None or mk.period[1] > issued
            elif issued is not None:
                mk.future = mk.year > issued
    governing = Counter(
        mk.year
        for mk in marks
        if mk.future
        and mk.year
        and (issued is None or mk.year > issued)
        and mk.relative is None
        and _governs(clean, mk)
        and "远景" not in clean[mk.start : mk.end + 4]
    )
    horizon = min(governing, key=lambda y: (-governing[y], y)) if governing else None
    scope = hints.region_code or _scope_region(vocab, hints.title or _title_line(text), clean)
    headings = _headings(ct)
    plan_titles = [
        (m.start(), m.group("title"), _first_region(vocab, m.group("title")))
        for m in _PLAN_HEADING.finditer(clean)
        if _own_line(ct, m.start(), m.end())
    ]
    period = _plan_period(hints.title, clean, issued)
    ctx = _Ctx(
        vocab,
        ct,
        issued,
        horizon,
        scope,
        marks,
        [m.start for m in marks],
        headings,
        [h.start for h in headings],
        plan_titles,
        period,
    )
    spans: list[tuple[int, int]] = []
    table_proposals = _read_tables(ctx, spans)
    # the text of a table read as one is not read again as running text
    ctx.tables = [(bisect.bisect_left(ct.pos, s), bisect.bisect_left(ct.pos, e)) for s, e in spans]
    proposals: list[Proposal] = []
    for a, b in _sentences(clean, _heading_breaks(ct)):
        proposals.extend(_read_sentence(ctx, a, b))
    proposals.extend(table_proposals)
    proposals = _dedupe(proposals)
    _link_baselines(proposals)
    for p in proposals:
        p.plan_title = p.plan_title or hints.title
    notes = []
    if issued is None:
        notes.append("issue year unknown: past and future years told apart by wording only")
    return Reading(proposals, len(text), issued, horizon, scope, notes)


def _title_line(text: str) -> str | None:
    """The document's own title: its first line that names a plan (…规划纲要 / …的建议 / …方案)."""
    for line in text.splitlines()[:15]:
        line = line.strip()
        if line and len(line) <= 80 and re.search(r"规划|纲要|建议|方案|计划|意见", line):
            return line
    return None


_CN_ORDINAL = {"十一": 11, "十二": 12, "十三": 13, "十四": 14, "十五": 15, "十六": 16, "十七": 17}


def _plan_period(
    title: str | None, clean: str, issued: int | None, *, title_only: bool = False
) -> tuple[int, int] | None:
    """The plan's own five-year period: from its title (第十五个五年 / 十五五), else the five-year plan named
    most often in its text that has not ended before the plan was issued."""
    for text in (title or "", clean[:600]):
        m = re.search(r"第(十[一二三四五六七])个五年|[“\"]?(十[一二三四五六七])五[”\"]?(?:规划|时期)", text)
        if m:
            n = _CN_ORDINAL[m.group(1) or m.group(2)]
            return _fyp_period(n)
    if title_only:
        return None
    counts = Counter(_CN_ORDINAL[m] for m in re.findall(r"(十[一二三四五六七])五", clean))
    candidates = [n for n in counts if issued is None or _fyp_period(n)[1] > issued]
    if candidates:
        return _fyp_period(max(candidates, key=lambda n: counts[n]))
    return None
