"""Indicator tables (主要指标 / 专栏): the layouts plans are published in, read into rows of cells.

A table starts at a title (……主要指标, 指标完成情况) or at a header line naming the indicator and a year or
属性 column, and ends at the first line of running text. Its cells come in one of four layouts:

- a row per line, cells split by tabs (a .docx table) or runs of spaces (a PDF's text layer): ``lines``;
- one cell per line, rows told apart by their serial numbers (序号): ``cells``;
- one cell per paragraph, a cell's own line breaks inside it (web pages): ``paragraphs``;
- a whole row on one line separated by single spaces, wrapping onto the next line (PDF): ``spaced``.

The header gives the value columns in order: a year column (2025年 / 2025年预计 / 2025年完成情况 = a
baseline; 2030年 / 2030年目标 = a target), a period column (年均 / 累计: over the plan period), and columns
that are not values (序号, 指标, 单位, 属性). A cell is a figure (``≥85``, ``5左右``, ``＞25``, ``〔20〕`` a
cumulative five-year value), a dash (no value), or words (完成省定目标, 基本稳定, 与经济增长同步): a target
without a number, proposed with the comparator ``qualitative``. Category headers (经济发展（7项）) and serial
numbers are not figures. A row's quote runs from its indicator's name to the value cell.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from decimal import Decimal

from service.domain.plan_reader.numbers import _NUM, to_decimal
from service.domain.plan_reader.proposals import Proposal
from service.domain.plan_reader.reasons import Reason
from service.domain.plan_reader.reasons import r as why
from service.domain.plan_reader.sentences import _Ctx, _plan_title_at, _section
from service.domain.plan_reader.text import _PAGE_FOOTER as DASH_PAGE
from service.domain.plan_reader.vocabulary import suggest_indicator

_TITLE = re.compile(r"主要指标|指标体系|指标完成情况|主要目标指标|指标表")
_HEADER_WORDS = re.compile(r"指\s*标|属\s*性|序\s*号|单\s*位")
_YEAR_COL = re.compile(r"((?:19|20)\d\d)\s*年")
_SERIAL = re.compile(r"^\d{1,2}$")
_ATTR = re.compile(r"^(约束性|预期性)$")
_CATEGORY = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]\s*)?[\u4e00-\u9fff“”]{2,10}\s*(?:[（(]\s*\d+\s*项\s*[)）])?$"
)
_COUNT_NOTE = re.compile(r"^[（(]\s*\d+\s*项\s*[)）]$")
_DASH = re.compile(r"^[—\-–－*＊/／]*$")
_OPEN, _CLOSE = r"〔［\[【", r"〕］\]】"  # inside a character class: [ and ] escaped
_VALUE = re.compile(
    rf"^(?P<open>[{_OPEN}])?\s*(?P<op>[<>≤≥＜＞]=?|不低于|不高于|不少于|不超过|超过|高于|低于|大于|小于)?\s*"
    rf"(?P<force>力争|争取)?(?:达到)?\s*(?P<num>{_NUM})(?:\s*[—\-–~～]\s*(?P<hi>{_NUM}))?\s*(?P<unit>%|‰)?\s*"
    rf"(?P<q>左右|以上|以内|以下)?\s*(?P<close>[{_CLOSE}])?$"
)
_POINTS = re.compile(
    rf"^(?P<verb>提高|提升|增加|下降|降低|减少)\s*(?P<num>{_NUM})\s*个?\s*百分点\s*(?P<q>以上|左右)?$"
)
_UNIT_PAREN = re.compile(r"[（(]\s*([^（()）]{1,14}?)\s*[)）]\s*$")
_UNIT_CELL = re.compile(
    r"^(?:%|‰|[万亿千百]*(?:元|美元|人|人次|吨|件|个|家|套|间|户|张|床|项|座|所|岁|年|分|斤|平方米|平方公里|公里|千瓦|"
    r"千瓦时|标准箱|标箱|小时|天)(?:[（(][^）)]{1,3}[）)])?(?:/[万亿千百]*[\u4e00-\u9fff]{1,4})?|[\u4e00-\u9fff]{1,4}/[万亿千百]*[\u4e00-\u9fff]{1,4}|"
    r"微克/立方米|百分点|万吨标煤|吨标准煤/万元)$"
)
_PERIOD_COL = re.compile(r"年均|累计")
_BASE_WORDS = re.compile(r"预计|完成|实际|基期|基数|现状|基准")
_GROUP = re.compile(r"规划目标|[“\"]?十[一二三四五六七八九]五[”\"]?目标")


@dataclass
class _Cell:
    text: str
    start: int  # original offsets
    end: int
    gap: bool = False  # an empty cell (a wide run of spaces between two cells)
    line_start: bool = False  # the first cell of its line
    year_note: int | None = None  # 21.5（2024年）: the year the figure is for


@dataclass
class _Column:
    kind: str  # year | period | old
    year: int | None = None
    role: str | None = None  # target | baseline | None (decide by the plan period)


@dataclass
class _Row:
    names: list[_Cell] = field(default_factory=list)
    unit: str | None = None
    values: list[_Cell] = field(default_factory=list)
    attribute: str | None = None


def _read_tables(ctx: _Ctx, spans: list[tuple[int, int]] | None = None) -> list[Proposal]:
    """The proposals of every indicator table; ``spans`` receives the original offsets of each table read."""
    original = ctx.text.original
    lines: list[tuple[int, str]] = []
    offset = 0
    for line in original.splitlines(keepends=True):
        lines.append((offset, line.rstrip("\r\n")))
        offset += len(line)
    out: list[Proposal] = []
    i = 0
    while i < len(lines):
        lines[i][1].strip()
        if _starts_table(lines, i):
            end = _table_end(lines, i)
            found = _read_table(ctx, lines[i:end])
            out.extend(found)
            if found and spans is not None:
                spans.append((lines[i][0], lines[end - 1][0] + len(lines[end - 1][1])))
            i = end
        else:
            i += 1
    return out


def _starts_table(lines: list[tuple[int, str]], i: int) -> bool:
    raw = lines[i][1].strip()
    if not raw or len(raw) > 60 or "。" in raw:
        return False
    if _TITLE.search(raw) and not re.search(r"[，,；;]", raw):
        return True
    # a header line of its own: 指标 with a year, 属性 or 单位 column (a .docx table has no title before it)
    cells = re.split(r"\t| {2,}", raw)
    return (
        len(cells) >= 3
        and bool(re.search(r"指\s*标", raw))
        and bool(_YEAR_COL.search(raw) or re.search(r"属\s*性|单\s*位", raw))
    )


def _table_end(lines: list[tuple[int, str]], i: int) -> int:
    j = i + 1
    seen_serial = False
    while j < len(lines):
        raw = lines[j][1].strip()
        if (
            _prose(raw)
            or raw.startswith(("注：", "注:", "说明："))
            or re.match(r"^第[一二三四五六七八九十]+[章节篇]", raw)
        ):
            break
        if re.match(r"^\d{1,2}(?:\s|$)", raw):
            seen_serial = True
        if not seen_serial and j - i > 60:
            return i + 1
        j += 1
    return j


def _prose(raw: str) -> bool:
    if re.search(r"\t| {3,}", raw):
        return False
    # a long line with punctuation, or a sentence (a clause and a full stop) of any length
    return (len(raw) > 45 and bool(re.search(r"[，。；]", raw))) or bool(re.search(r"[，,].*。$", raw))


def _read_table(ctx: _Ctx, block: list[tuple[int, str]]) -> list[Proposal]:
    body = [(o, ln) for o, ln in block if not DASH_PAGE.match(ln.strip() or "x")]
    first_row = next((k for k, (_, ln) in enumerate(body) if k > 0 and _is_row_start(ln)), None)
    if first_row is None:
        # a .docx table without serial numbers: the rows follow its header line
        tabbed = [k for k, (_, ln) in enumerate(body[:3]) if "\t" in ln]
        if not tabbed:
            return []
        first_row = tabbed[0] + 1
    header_text = " ".join(ln.strip() for _, ln in body[:first_row])
    columns, has_unit = _columns(header_text)
    if not columns:
        return []
    rows, layout = _rows(body[first_row:])
    out: list[Proposal] = []
    for cells in rows:
        for row in _row_parts(cells, has_unit, layout == "spaced"):
            out.extend(_proposals_of_row(ctx, row, columns))
    return out


def _is_row_start(line: str) -> bool:
    raw = line.strip()
    if not raw:
        return False
    first = re.split(r"\s+", raw)
    if _SERIAL.match(first[0]):
        return True
    # a category cell before the serial (经济强    1    …)
    return len(first) >= 2 and bool(_CATEGORY.match(first[0])) and bool(_SERIAL.match(first[1]))


def _columns(header: str) -> tuple[list[_Column], bool]:
    """The value columns a header names, in order, and whether it has a unit column."""
    cols: list[_Column] = []
    group_at: int | None = None
    pattern = re.compile(
        r"(?P<old>规划目标\s*[（(]\s*(?P<oy>(?:19|20)\d\d)\s*年\s*[)）])"
        r"|(?P<year>(?P<y>(?:19|20)\d\d)\s*年\s*(?P<word>[\u4e00-\u9fff]{0,4}))"
        r"|(?P<period>年均\S{0,3}?\s*[/／]?\s*[［\[〔(（]?\s*累计|年均(?:增速|增长)?(?!\S*累计)|累计)"
        r"|(?P<group>规划目标|[“\"]?十[一二三四五六七八九]五[”\"]?目标)"
    )
    for m in pattern.finditer(header):
        if m.group("old"):
            cols.append(_Column("old", int(m.group("oy"))))
        elif m.group("year"):
            word = m.group("word")
            role = "baseline" if _BASE_WORDS.search(word) else "target" if "目标" in word else None
            if role is None and cols and cols[-1].kind == "year" and cols[-1].role is None and not word:
                pass
            cols.append(_Column("year", int(m.group("y")), role))
        elif m.group("period"):
            if not (cols and cols[-1].kind == "period"):
                cols.append(_Column("period"))
        elif group_at is None:
            group_at = len(cols)
    # a two-level header (规划目标 over 规划目标（2025年）and 年均增速〔累计〕, then 2025年完成情况): the
    # results column comes after the group's sub-columns
    if group_at is not None:
        done = [c for c in cols[group_at:] if c.kind == "year" and c.role == "baseline"]
        rest = [c for c in cols[group_at:] if c not in done]
        if done and rest and any(c.kind in ("old", "period") for c in rest):
            cols = cols[:group_at] + rest + done
    return cols, bool(re.search(r"单\s*位", header))


def _rows(body: list[tuple[int, str]]) -> tuple[list[list[_Cell]], str]:
    """The table's rows as lists of cells (the serial number first), and the layout."""
    nonblank = [ln for _, ln in body if ln.strip()]
    blank_share = 1 - len(nonblank) / max(len(body), 1)
    cells: list[_Cell] = []
    if sum(1 for t in nonblank if re.search(r"\S(\t| {2,})\S", t.strip())) >= 0.3 * len(nonblank):
        layout = "lines"
        for o, ln in body:
            first = True
            for m in re.finditer(r"[^\t ]+(?: [^\t ]+)*", ln):
                cells.append(_Cell(m.group(), o + m.start(), o + m.end(), line_start=first))
                first = False
                if re.match(r"(\t\t| {7,})", ln[m.end() :]):
                    cells.append(_Cell("", o + m.end(), o + m.end(), gap=True))
    elif blank_share > 0.3:
        layout = "paragraphs"  # a cell's lines run on until a blank line
        cur: list[tuple[int, str]] = []
        for o, ln in [*body, (body[-1][0] + len(body[-1][1]), "")]:
            if ln.strip():
                cur.append((o, ln))
            elif cur:
                s = cur[0][0] + len(cur[0][1]) - len(cur[0][1].lstrip())
                e = cur[-1][0] + len(cur[-1][1].rstrip())
                cells.append(_Cell("".join(x.strip() for _, x in cur), s, e, line_start=True))
                cur = []
    elif sum(1 for t in nonblank if " " in t.strip()) >= 0.5 * len(nonblank):
        layout = "spaced"
        for o, ln in body:
            first = True
            for m in re.finditer(r"\S+", ln):
                cells.append(_Cell(m.group(), o + m.start(), o + m.end(), line_start=first))
                first = False
    else:
        layout = "cells"
        for o, ln in body:
            if ln.strip():
                s = o + len(ln) - len(ln.lstrip())
                cells.append(_Cell(ln.strip(), s, o + len(ln.rstrip()), line_start=True))
    # split into rows at serial numbers that count up (1, 2, 3 …)
    rows: list[list[_Cell]] = []
    expected = 1
    for k, c in enumerate(cells):
        at_start = c.line_start or (
            k > 0 and cells[k - 1].line_start and bool(_CATEGORY.match(cells[k - 1].text))
        )
        if at_start and _SERIAL.match(c.text) and int(c.text) in (expected, expected + 1):
            expected = int(c.text) + 1
            if (
                (
                    rows
                    and k > 0
                    and not c.line_start
                    and cells[k - 1].line_start
                    and _CATEGORY.match(cells[k - 1].text)
                )
                and rows[-1]
                and rows[-1][-1] is cells[k - 1]
            ):
                rows[-1].pop()
            rows.append([c])
        elif rows:
            rows[-1].append(c)
    if layout == "lines" and not rows:
        # a .docx table without serial numbers: every line with a name and a figure is a row
        for c in cells:
            if c.line_start:
                rows.append([_Cell("", c.start, c.start), c])
            elif rows:
                rows[-1].append(c)
    return rows, layout


def _join_spaced(cells: list[_Cell]) -> list[_Cell]:
    """PDF rows split on single spaces: glue the words of a name, a figure and its qualifier back together."""
    out: list[_Cell] = []
    for c in cells:
        if out and not out[-1].gap:
            prev = out[-1]
            glue = (
                re.match(r"^(左右|以上|以下|以内|%|‰|年|个|百分点\S*|个百分点\S*)$", c.text)
                or (re.fullmatch(r"[<>≤≥＜＞]=?", prev.text) and re.match(r"^\d", c.text))  # ≥ 420
                or (re.fullmatch(r"\d{1,2}", prev.text) and re.match(r"^(?:周?岁|个月)", c.text))  # 3 岁以下…
                or (re.search(r"[（(][^）)]*$", prev.text))  # an open bracket
                or (
                    re.match(r"^[\u4e00-\u9fff（(]", c.text)
                    and re.search(r"[\u4e00-\u9fff]$", prev.text)
                    and not _ATTR.match(c.text)
                    and not _ATTR.match(prev.text)
                    and not _CATEGORY_NOTE(c.text)
                )
                or (re.match(r"^\d", c.text) and re.search(r"(提高|提升|增加|下降|降低|减少)$", prev.text))
                or (
                    re.match(r"^[\u4e00-\u9fff]", c.text)
                    and re.search(r"[\u4e00-\u9fff][）)]$", prev.text) is None
                    and re.search(r"\d$", prev.text) is not None
                    and re.match(r"^个", c.text) is not None
                )
            )
            if glue:
                out[-1] = _Cell(prev.text + c.text, prev.start, c.end)
                continue
        out.append(c)
    return out


def _CATEGORY_NOTE(text: str) -> bool:
    return bool(_COUNT_NOTE.match(text))


def _row_parts(cells: list[_Cell], has_unit: bool, spaced: bool) -> list[_Row]:
    """A row's cells as name / unit / values / attribute; a row may hold sub-rows (执业医师数, 注册护士数)."""
    body = _join_spaced(cells[1:]) if spaced else cells[1:]
    # a category header at the end of the row (创新驱动（4项）) belongs to the next one
    while body and (
        _COUNT_NOTE.match(body[-1].text) or (_CATEGORY.match(body[-1].text) and "（" in body[-1].text)
    ):
        body.pop()
        if (
            body
            and _CATEGORY.match(body[-1].text)
            and not _ATTR.match(body[-1].text)
            and not _value_like(body[-1].text)
        ):
            body.pop()
    rows: list[_Row] = []
    row = _Row()
    name_done = False
    for c in body:
        t = c.text.replace(" ", "") if not _VALUE.match(c.text.strip()) else c.text.strip()
        if _ATTR.match(t):
            row.attribute = "binding" if "约束" in t else "anticipatory"
            name_done = bool(row.names)
            continue
        if not name_done and not c.gap and not _value_like(t):
            if has_unit and row.names and _UNIT_CELL.match(t):
                row.unit, name_done = t, True
                continue
            row.names.append(c)
            paren = _UNIT_PAREN.search(t)
            name_done = bool(paren and _unit_in_paren(paren.group(1)))
            continue
        name_done = name_done or bool(row.names)
        if (
            row.values
            and not c.gap
            and _UNIT_PAREN.search(t)
            and not _value_like(t)
            and re.search(r"[\u4e00-\u9fff]", t)
        ):
            rows.append(row)  # a sub-row: 注册护士数（人）
            row = _Row(names=[c], attribute=None)
            continue
        row.values.append(c)
    rows.append(row)
    # sub-rows share the attribute of their row when they do not state it
    for r in rows:
        r.attribute = r.attribute or next((x.attribute for x in rows if x.attribute), None)
    return [r for r in rows if r.names]


def _value_like(t: str) -> bool:
    t = t.strip()
    return bool(
        _VALUE.match(t)
        or _DASH.match(t)
        or _POINTS.match(t.replace(" ", ""))
        or re.match(r"^[（(]\s*20\d\d\s*年\s*[)）]$", t)
        or re.match(rf"^[{_OPEN}].*[{_CLOSE}]$", t)
        or re.match(r"^(左右|以上|以下)$", t)
        or re.match(rf"^{_NUM}[，,]", t)
    )


def _merge_values(values: list[_Cell], n: int) -> list[_Cell | None]:
    """Fragments of one cell back together (1.58 | 左右, 稳步 | 提高, 完成省 | 下达指标), then one per column."""
    merged: list[_Cell] = []
    notes: dict[int, int] = {}
    for c in values:
        t = c.text.strip()
        if merged and not c.gap and not merged[-1].gap:
            prev = merged[-1]
            if re.match(r"^(左右|以上|以下|以内|%)$", t) or (
                re.match(r"^[\u4e00-\u9fff]", t)
                and re.search(r"[\u4e00-\u9fff]$", prev.text)
                and len(merged) + 0 >= 1
                and not _VALUE.match(prev.text)
                and not _DASH.match(prev.text)
                and len(values) > n
            ):
                merged[-1] = _Cell(prev.text + t, prev.start, c.end)
                continue
            m = re.match(r"^[（(]\s*((?:19|20)\d\d)\s*年\s*[)）]$", t)
            if m:
                notes[len(merged) - 1] = int(m.group(1))
                merged[-1] = _Cell(prev.text, prev.start, c.end, year_note=int(m.group(1)))
                continue
        merged.append(c)
    out: list[_Cell | None] = list(merged[:n])
    out += [None] * (n - len(out))
    return out


def _proposals_of_row(ctx: _Ctx, row: _Row, columns: list[_Column]) -> list[Proposal]:
    name = "".join(c.text for c in row.names).replace(" ", "")
    name = re.sub(r"^(?:[一二三四五六七八九十]+[、.])?[\u4e00-\u9fff]{2,8}[（(]\d+项[)）]", "", name)
    unit = row.unit
    um = _UNIT_PAREN.search(name)
    if um and (unit is None) and _unit_in_paren(um.group(1)):
        unit = um.group(1).replace(" ", "")
        name = name[: um.start()]
    elif um and _unit_in_paren(um.group(1)):
        name = name[: um.start()]
    if not re.search(r"[\u4e00-\u9fff]{2}", name):
        return []
    period = _table_period(ctx, columns)
    values = _merge_values(row.values, len(columns))
    out: list[Proposal] = []
    for col, cell in zip(columns, values, strict=True):
        if cell is None or not cell.text.strip() or _DASH.match(cell.text.strip()):
            continue
        for part in re.split(r"[，,]", cell.text):
            p = _cell_proposal(ctx, row, name, unit, col, cell, part.strip(), period)
            if p is not None:
                out.append(p)
    # a flow (城镇新增就业) with a five-year total beside its 2030 cell: the 2030 cell is a yearly amount
    if re.search(r"新增|新建|引进|培育", name) and any(p.declared_form == "cumulative" for p in out):
        for p in out:
            if p.kind == "target" and p.declared_form == "level" and period and p.target_year == period[1]:
                p.declared_form, p.period_start = "each_year", period[0]
    return out


def _table_period(ctx: _Ctx, columns: list[_Column]) -> tuple[int, int] | None:
    """The five-year period a table's 年均/累计 column runs over: the plan's own, or, in a table restating
    an earlier plan's targets (规划目标（2025年） beside 2025年完成情况), that plan's."""
    old = next((c.year for c in columns if c.kind == "old" and c.year), None)
    if old is not None and (ctx.period is None or old < ctx.period[0]):
        return old - 4, old
    return ctx.period


def _unit_in_paren(text: str) -> bool:
    t = text.replace(" ", "")
    return (
        bool(_UNIT_CELL.match(t))
        or t in ("%", "‰")
        or (
            bool(re.fullmatch(r"[\u4e00-\u9fff/%‰·（）()]{1,10}", t))
            and not re.search(r"PM|GDP|R&D|按|计算", t)
        )
    )


def _cell_proposal(
    ctx: _Ctx,
    row: _Row,
    name: str,
    unit: str | None,
    col: _Column,
    cell: _Cell,
    text: str,
    period: tuple[int, int] | None,
) -> Proposal | None:
    if not text or _DASH.match(text):
        return None
    year_note = cell.year_note
    # the year and whether the cell is a target or a baseline
    if col.kind == "period":
        if period is None:
            return None
        year, kind = period[1], "target"
    elif col.kind == "old":  # an earlier plan's target for its own end year
        assert col.year is not None
        year, kind = col.year, "target"
    else:
        assert col.year is not None
        year = col.year
        role = col.role
        if role is None:
            role = (
                "baseline"
                if (period and year < period[0]) or (ctx.issued and year <= ctx.issued - 1)
                else "target"
            )
        kind = role
        if year_note:
            year = year_note
    growth_name = bool(re.search(r"年均(?:增长|增速)|增长率?$|增速$", name))
    decrease_name = bool(re.search(r"(?:降低|下降)率?$|下降幅度$", name))
    grow = re.match(rf"^年均(?:增速|增长)(?P<op>超过|高于)?(?P<num>{_NUM})?%?", text)
    value: Decimal | None = None
    low = high = None
    comparator = "="
    form = "level"
    reason: list[Reason] = []
    vm = _VALUE.match(text)
    pm = _POINTS.match(text.replace(" ", ""))
    cumulative = False
    if grow:
        if grow.group("num") is None:
            return None
        value = to_decimal(grow.group("num"))
        form = "avg_annual_growth"
        unit = "%"
    elif vm:
        value = to_decimal(vm.group("num"))
        if vm.group("hi"):
            low, high, value = value, to_decimal(vm.group("hi")), None
        op, q = vm.group("op") or "", vm.group("q") or ""
        cumulative = bool(vm.group("open"))
        if low is not None:
            comparator = "range"
        elif q == "左右":
            comparator = "~"
        elif (
            op[:1] in ("<", "≤", "＜") or op in ("不高于", "不超过", "低于", "小于") or q in ("以内", "以下")
        ):
            comparator = "<="
        elif op or q == "以上":
            comparator = ">="
        else:
            comparator = "="
        if col.kind == "period" and vm.group("unit") == "%" and unit not in (None, "%") and not cumulative:
            # 6.5% in the 年均 column of a row measured in 亿元: the average growth of the level
            unit, form = "%", "avg_annual_growth"
        unit = unit or (vm.group("unit") or None)
    elif pm:
        value = to_decimal(pm.group("num"))
        if value is not None and pm.group("verb") in ("下降", "降低", "减少"):
            value = -value
        comparator = ">=" if pm.group("q") == "以上" else "~" if pm.group("q") == "左右" else "="
        form, unit = "relative_change", "百分点"
    else:
        if kind == "baseline" or not re.search(r"[\u4e00-\u9fff]{2}", text):
            return None
        comparator, form = "qualitative", "level"
        reason.append(why("no_figure", text=text))
    if value is None and low is None and comparator != "qualitative":
        return None
    # the form
    if comparator != "qualitative":
        if col.kind == "period" or growth_name:
            if cumulative or (col.kind == "period" and decrease_name):
                form = (
                    "relative_change" if decrease_name or (unit == "%" and not growth_name) else "cumulative"
                )
            elif form != "avg_annual_growth":
                form = "avg_annual_growth" if growth_name else "each_year"
        elif cumulative:
            form = "relative_change" if decrease_name else "cumulative"
        elif decrease_name and unit == "%":
            form = "relative_change"
        if (
            form == "relative_change"
            and value is not None
            and value > 0
            and (decrease_name or (cumulative and "降" in name))
        ):
            value = -value
            if comparator == ">=":
                comparator = "<="
        if (
            form not in ("relative_change", "avg_annual_growth", "cumulative", "each_year")
            and (unit == "%")
            and re.search(r"率|比重|占比|比例|份额|覆盖", name)
        ):
            form = "share"
    elif col.kind == "period" or growth_name:
        form = "avg_annual_growth" if growth_name else "relative_change" if decrease_name else "level"
    elif decrease_name:
        form = "relative_change"
    # the indicator
    vocab = ctx.vocab
    matched = None
    if kind == "baseline" and form == "avg_annual_growth":  # a growth observation: the growth-rate indicator
        matched = vocab.match_indicator(name, None, growth=True) or vocab.match_indicator(
            re.sub(r"年均.*$", "", name) + "增速", None, growth=True
        )
    matched = matched or vocab.match_indicator(
        name, None if form in ("avg_annual_growth", "relative_change") else unit
    )
    if matched is None and form in ("avg_annual_growth",) and suggest_indicator(name, unit) is None:
        matched = vocab.match_indicator(re.sub(r"年均.*$|增长.*$|增速.*$", "", name), None)
    if (
        matched
        and kind == "target"
        and form == "avg_annual_growth"
        and (rate := vocab.real_rate_of(matched[0]))
    ):
        matched = (rate, f"{matched[1]}; a real growth rate (按可比价)", matched[2])
    ind = vocab.indicators[matched[0]] if matched else None
    suggested = None if ind else suggest_indicator(name, unit)
    if comparator == "=" and kind == "target":
        comparator = (
            "<=" if (ind and ind.direction == "down") or (suggested and suggested[2] == "down") else ">="
        )
    if form == "relative_change" and value is not None and value < 0 and comparator == ">=":
        comparator = "<="  # a decrease of at least X: the change is at most -X
    if kind == "baseline":
        comparator = (
            "="
            if comparator in (">=", "<=") and not (vm and (vm.group("op") or vm.group("q")))
            else comparator
        )
    # the quote: from the name to the value cell
    clean_a = bisect.bisect_left(ctx.text.pos, row.names[0].start)
    clean_b = bisect.bisect_left(ctx.text.pos, cell.end)
    if clean_b <= clean_a:
        return None
    quote = _row_quote(ctx.text.original[row.names[0].start : cell.end])
    o_start, o_end = ctx.text.original_span(clean_a, clean_b)
    _section_kind, section_region, chapter, _ = _section(ctx, clean_a)
    region = section_region or ctx.scope
    reference_year = None
    period_start = None
    if (
        form in ("relative_change", "avg_annual_growth", "cumulative", "each_year")
        and kind == "target"
        and period
    ):
        period_start = period[0]
        reference_year = (
            period[0] - 1 if form in ("relative_change", "avg_annual_growth", "multiple") else None
        )
    how = (
        why("indicator_matched", how=matched[1])
        if matched
        else why("new_indicator", name=suggested[0] if suggested else name)
    )
    col_said = f"{col.year}年" if col.kind != "period" else "年均/累计"
    reason = [why("table_row"), how, why("table_column", year=year, col=col_said), *reason]
    if row.attribute:
        reason.append(why("attribute_binding" if row.attribute == "binding" else "attribute_anticipatory"))
    if period_start:
        reason.append(why("applies_over", start=period_start, end=year))
    confidence = "high" if matched and comparator != "qualitative" else "medium"
    return Proposal(
        kind=kind,
        indicator_code=ind.code if ind else None,
        indicator=ind.name if ind else (suggested[0] if suggested else name),
        region_code=region,
        comparator=comparator,
        value=value,
        unit=unit or (ind.unit if ind else ""),
        target_year=year,
        declared_form=form,
        quote=quote,
        start=o_start,
        end=o_end,
        line=ctx.text.line_of(o_start),
        sentence=quote,
        confidence=confidence,
        reason=reason,
        low=low,
        high=high,
        reference_year=reference_year if kind == "target" else None,
        chapter=chapter,
        plan_title=_plan_title_at(ctx, clean_a),
        attribute=row.attribute,
        period_start=period_start,
        suggested_code=suggested[1] if suggested else None,
        period=(period_start, year)
        if kind == "baseline" and form == "avg_annual_growth" and period_start
        else None,
    )


def _row_quote(raw: str) -> str:
    """A row's text from its name to a value cell: the lines of the original, page footers left out, a space
    between two cells (where a line ends at a figure, a bracket or a unit) and none inside a wrapped name."""
    parts = [re.sub(r"\s+", " ", ln.strip()) for ln in raw.splitlines()]
    parts = [x for x in parts if x and not DASH_PAGE.match(x)]
    out = ""
    for x in parts:
        if out and (
            _UNIT_CELL.match(x)
            or re.search(r"[\d%)）>＞<＜≥≤—\]］〕性]$", out)
            or re.match(r"^[\d—<>＜＞≥≤\[［〔（(]", x)
            or not re.search(r"[\u4e00-\u9fff]$", out)
            or _ATTR.match(x)
            or _VALUE.match(x)
        ):
            out += " "
        out += x
    return out
