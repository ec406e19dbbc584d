"""Indicator tables (主要指标 / 专栏)."""

from __future__ import annotations

import bisect
import re

from service.domain.plan_reader.numbers import _NUM, to_decimal
from service.domain.plan_reader.proposals import Proposal
from service.domain.plan_reader.sentences import _Ctx, _plan_title_at, _section

_CELL_SPLIT = re.compile(r"\t+| {2,}|\u3000{1,}|\|")
_CELL_YEAR = re.compile(r"^((?:19|20)\d\d)\s*年?(?:目标值?|预期值?|实际值?|基期|基数|现状值?)?$")
_CELL_VALUE = re.compile(
    rf"^(?P<op>[<>≤≥＜＞]=?|不低于|不高于|不少于|不超过)?\s*(?P<num>{_NUM})\s*(?P<unit>%|‰)?\s*(?P<q>左右|以上|以内|以下)?$"
)
_CELL_UNIT = re.compile(r"[（(]([^（()）]{1,12})[)）]\s*$")


def _read_tables(ctx: _Ctx) -> list[Proposal]:
    """Indicator tables (主要指标表): a header row of years, then one row per indicator, cells split by tabs
    (as .docx tables are read) or runs of spaces. The row is the quote."""
    original = ctx.text.original
    out: list[Proposal] = []
    header: list[int | None] | None = None
    offset = 0
    for line in original.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        raw = line.strip()
        cells = [c.strip() for c in _CELL_SPLIT.split(raw)] if raw else []
        if len(cells) < 2:
            header = None
            continue
        years = [int(m.group(1)) if (m := _CELL_YEAR.match(c)) else None for c in cells]
        if sum(1 for y in years if y) >= 1 and not any(_CELL_VALUE.match(c) for c in cells):
            header = years
            continue
        if header is None or len(cells) != len(header):
            continue
        names = [c for c in cells if re.search(r"[\u4e00-\u9fff]", c) and not _CELL_YEAR.match(c)]
        if not names:
            continue
        name = names[0]
        unit_m = _CELL_UNIT.search(name)
        unit = unit_m.group(1).strip() if unit_m else None
        name = name[: unit_m.start()] if unit_m else name
        matched = ctx.vocab.match_indicator(name, unit)
        if matched is None:
            continue
        ind = ctx.vocab.indicators[matched[0]]
        row_start = start + line.index(raw[0])
        row_end = row_start + len(raw)
        clean_pos = bisect.bisect_left(ctx.text.pos, row_start)
        chapter = _section(ctx, clean_pos)[2]
        region = (_section(ctx, clean_pos)[1] or ctx.scope) if clean_pos < len(ctx.text.pos) else ctx.scope
        for cell, year in zip(cells, header, strict=True):
            vm = _CELL_VALUE.match(cell)
            if year is None or vm is None:
                continue
            value = to_decimal(vm.group("num"))
            if value is None:
                continue
            cell_unit = unit or vm.group("unit") or ind.unit
            past = ctx.issued is not None and year <= ctx.issued
            op, q = vm.group("op") or "", vm.group("q") or ""
            if past:
                comparator = "="
            elif q == "左右":
                comparator = "~"
            elif op[:1] in ("<", "≤", "＜") or op in ("不高于", "不超过") or q in ("以内", "以下"):
                comparator = "<="
            elif op or q == "以上":
                comparator = ">="
            else:
                comparator = "<=" if ind.direction == "down" else ">="
            form = "share" if cell_unit == "%" and ind.kind == "share" else "level"
            out.append(
                Proposal(
                    kind="baseline" if past else "target", indicator_code=ind.code, indicator=ind.name,
                    region_code=region, comparator=comparator, value=value, unit=cell_unit, target_year=year,
                    declared_form=form, quote=re.sub(r"\s+", " ", raw), start=row_start, end=row_end,
                    line=ctx.text.line_of(row_start), sentence=re.sub(r"\s+", " ", raw),
                    confidence="medium",
                    reason=f"a row of an indicator table; indicator matched by {matched[1]}; year {year} from the "
                    "column heading",
                    chapter=chapter, plan_title=_plan_title_at(ctx, clean_pos),
                )
            )  # fmt: skip
    return out
