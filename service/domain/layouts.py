"""Tables as statistics offices keep them: the long template, and the wide tables of bulletins and
yearbooks (indicators down the side and years or regions across the top, or regions down the side and
indicators across), with a title row, merged header cells, unit and source notes, footnotes and blank
rows, on every sheet of a workbook.

A file is read into a ``Reading``: per sheet the layout found, the mapping of each row and column label
to an indicator, region or year (with the nearest match for a name it does not know), the sheet's
source and unit, and the figures as ``ObservationInput`` rows that remember their cells (Sheet2!D14).
Nothing here touches the database beyond reading the catalog's names; ``ingest`` decides the rest.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import units
from service.domain.errors import Invalid
from service.domain.observations import ObservationInput
from service.domain.resolver import Resolver
from service.domain.tabular import DAMAGED_EN, DAMAGED_ZH, HEADERS, REQUIRED, _decode, _row_reader
from service.domain.values import FOOTNOTE_MARKS

LONG = "long"
WIDE_BY_YEAR = "wide_by_year"  # years across the top (indicators or regions down the side)
WIDE_BY_REGION = "wide_by_region"  # regions across the top, or down the side with indicators across
WIDE_BY_INDICATOR = "wide_by_indicator"  # regions or years down the side, indicators across
EMPTY = "empty"
REFUSED = "refused"
LAYOUT_NAMES = {
    LONG: ("长表（每行一个数值，模板格式）", "long (one figure a row, the template)"),
    WIDE_BY_YEAR: ("宽表：年份横排", "wide: years across the top"),
    WIDE_BY_REGION: ("宽表：地区横排", "wide: regions across the top"),
    WIDE_BY_INDICATOR: ("宽表：指标横排", "wide: indicators across the top"),
    EMPTY: ("空工作表（跳过）", "empty sheet (skipped)"),
    REFUSED: ("无法识别的表格", "a table that cannot be read"),
}

# hostile or oversized workbooks: what a yearbook table never needs
MAX_UNCOMPRESSED = 40 * 1024 * 1024  # bytes a workbook may expand to (the sum of its parts)
MAX_RATIO = 200  # a part compressed more than this is a zip bomb, not a table
MAX_CELLS = 500_000  # cells of a workbook read as a wide table (a yearbook sheet has a few thousand)
MAX_SHEETS = 100
HEADER_ROWS = 4  # header rows a wide table may have (merged blocks above years)

_YEAR = re.compile(r"^((?:19|20)\d{2})\s*年?(?:末|底|度|全年)?\s*(?:[(（]?(?:预计|初步|快报|核实)[)）]?)?$")
_YEAR_IN = re.compile(r"((?:19|20)\d{2})\s*年")
_UNIT_IN_PARENS = re.compile(r"[(（]\s*(?:单位\s*[:：]\s*)?([^()（）]{1,12})\s*[)）]\s*$")
_NOTE = re.compile(
    r"^[\s(（]*(注|说明|备注|附注|资料来源|数据来源|来源|单位|计量单位)\s*(?:\d+|[①-⑳])?\s*[:：]\s*(.*)$"
)
_NOTE_START = re.compile(r"^(注\s*(?:\d+|[①-⑳])?\s*[:：.、]|[①-⑳*＊]\s*\S)")
_NUMBERING = re.compile(
    r"^(?:[#＃*]+|其中\s*[:：]?|[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|\d+\s*[、.．](?!\d))\s*"
)
_MARKS = re.compile(r"\s*(?:[①-⑳*＊]|[(（]\s*\d\s*[)）])+$")
EMPTY_MARKS = {"", "—", "-", "－", "--", "——", "…", "……", "...", "/", "…………", "x", "×", "n/a", "na"}
# column headers that describe a figure derived from the one before it, not a figure in the catalog's sense
_DERIVED = (
    "增长",
    "增速",
    "增幅",
    "比上年",
    "同比",
    "环比",
    "比重",
    "占比",
    "位次",
    "排名",
    "排序",
    "构成",
    "指数",
    "百分点",
    "名次",
    "growth",
    "share",
    "rank",
)
# column headers that name the figure's own column (the value itself)
_NEUTRAL = {
    "绝对数",
    "绝对值",
    "总量",
    "数值",
    "数量",
    "本年",
    "本期",
    "本年实绩",
    "实绩",
    "完成数",
    "完成",
    "金额",
    "总额",
    "全年",
    "value",
    "amount",
    "数据",
}
_IGNORED_STUBS = {"序号", "编号", "代码", "地区代码", "指标代码", "行次", "no", "no.", "栏次"}
_UNIT_STUBS = {"单位", "计量单位", "unit"}
# filler words around a catalog name in a table's label ("全年地区生产总值", "年末常住人口")
_FILLERS = (
    "全年",
    "全市",
    "全省",
    "全区",
    "全县",
    "年末",
    "年底",
    "年内",
    "实现",
    "完成",
    "全部",
    "本年",
    "当年",
    "总计",
    "合计",
    "共计",
)
# the whole of the region the table is about: a district table's total row
_WHOLE = {
    "全市",
    "全省",
    "全区",
    "全县",
    "全镇",
    "合计",
    "总计",
    "全部",
    "全市合计",
    "全省合计",
    "总计合计",
    "全市总计",
    "市区合计",
    "total",
}
_REGION_SUFFIXES = ("市", "区", "县", "省", "新区", "自治县")
IGNORE = "-"  # a mapping target: leave this row or column out


def _clean(value: Any) -> Any:
    """A cell as a person reads it: text in half-width forms, spaces squeezed; numbers as they are."""
    if isinstance(value, str):  # footnote marks first: NFKC would make "①" a digit
        text = unicodedata.normalize("NFKC", FOOTNOTE_MARKS.sub("", value)).replace("\u3000", " ").strip()
        return re.sub(r"\s+", " ", text)
    return value


def _key(text: str) -> str:
    """A label for matching: no spaces (yearbooks space out short labels: "地　区"), lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Grid:
    """One sheet's cells (rows of values, merged blocks filled with their value) and its name."""

    name: str  # the sheet's name; '' for a CSV file
    rows: list[list[Any]]

    def ref(self, row: int, column: int) -> str:
        cell = f"{column_letter(column)}{row + 1}"
        return f"{self.name}!{cell}" if self.name else cell

    def cell(self, row: int, column: int) -> Any:
        cells = self.rows[row]
        return cells[column] if column < len(cells) else None


@dataclass
class Label:
    """One row or column label and what it was read as."""

    cell: str
    text: str
    role: str  # indicator | region | year | unit | ignored | unknown | neutral
    code: str | None = None  # the indicator or region code, or the year
    name: str | None = None  # the catalog name it matched
    unit: str | None = None
    how: str = "name"  # name | contains | context | mapping | remembered | rule | none
    suggestion: str | None = None  # for an unknown name: "gdp 地区生产总值"


@dataclass
class SheetReport:
    name: str
    layout: str
    layout_zh: str = ""
    layout_en: str = ""
    title: str | None = None
    region: str | None = None  # the region given once (title, sheet name): a code
    year: int | None = None  # the year given once
    indicator: str | None = None  # the indicator given once (title)
    unit: str | None = None  # the unit of a note ("单位：亿元") or the title
    source: str | None = None  # from "资料来源：…"
    notes: list[str] = field(default_factory=list)
    skipped_rows: list[str] = field(default_factory=list)  # title, note, blank rows: "A1 标题"
    rows: list[Label] = field(default_factory=list)
    columns: list[Label] = field(default_factory=list)
    figures: int = 0
    left_out: int = 0  # figures under a label that is not in the catalog (nor mapped)
    problems: list[dict[str, str]] = field(default_factory=list)
    shape: str = ""


@dataclass
class Reading:
    sheets: list[SheetReport]
    inputs: list[ObservationInput]

    def as_dict(self) -> dict[str, Any]:
        return {"sheets": [asdict(s) for s in self.sheets]}

    @property
    def shapes(self) -> list[str]:
        return [s.shape for s in self.sheets if s.shape]


@dataclass
class Options:
    """What the person says about the whole file: overrides and the words every figure carries."""

    mapping: Mapping[str, str] = field(default_factory=dict)  # label text -> code, year or "-"
    source: str | None = None
    status: str | None = None
    revision_reason: str | None = None
    published: str | None = None


# --- reading the cells ---------------------------------------------------------------------------


def _check_archive(data: bytes) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise Invalid("文件不是有效的 XLSX 表格", "the file is not a valid XLSX workbook")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception:
        raise Invalid(DAMAGED_ZH, DAMAGED_EN) from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise Invalid(
            f"XLSX 解压后超过 {MAX_UNCOMPRESSED >> 20} MB，请拆分后上传或另存为 CSV",
            f"the XLSX expands to more than {MAX_UNCOMPRESSED >> 20} MB; split it or save it as CSV",
        )
    for info in infos:
        if info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise Invalid(
                f"XLSX 中的“{info.filename[:60]}”压缩比异常（疑似压缩炸弹），已拒绝",
                f"the part {info.filename[:60]!r} of the XLSX is compressed abnormally (a zip bomb); refused",
            )


def _count_cells(data: bytes) -> None:
    """Refuse a workbook with more cells than a table has, counted while streaming (before the full load
    that merged cells need: a sheet's declared size can lie)."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise Invalid(DAMAGED_ZH, DAMAGED_EN) from None
    try:
        if len(workbook.worksheets) > MAX_SHEETS:
            raise Invalid(f"工作表超过 {MAX_SHEETS} 个", f"the workbook has more than {MAX_SHEETS} sheets")
        cells = 0
        for sheet in workbook.worksheets:
            try:
                for row in sheet.iter_rows(values_only=True):
                    cells += len(row)
                    if cells > MAX_CELLS:
                        raise Invalid(
                            f"工作表“{sheet.title}”过大（超过 {MAX_CELLS} 个单元格）；模板格式的大文件请另存为 CSV",
                            f"the sheet {sheet.title!r} is too large (more than {MAX_CELLS} cells); save a large "
                            "file in the template layout as CSV",
                        )
            except Invalid:
                raise
            except Exception:
                raise Invalid(DAMAGED_ZH, DAMAGED_EN) from None
    finally:
        workbook.close()


def xlsx_grids(data: bytes) -> list[Grid]:
    """Every sheet of a workbook as a grid, merged blocks filled with their top-left value; formulas come
    as their text ("=B2*2"), never evaluated."""
    import openpyxl

    _check_archive(data)
    _count_cells(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=False, read_only=False)
    except Exception:
        raise Invalid(DAMAGED_ZH, DAMAGED_EN) from None
    sheets = workbook.worksheets
    if not sheets:
        raise Invalid("XLSX 中没有工作表", "the XLSX workbook has no worksheet")
    if len(sheets) > MAX_SHEETS:
        raise Invalid(f"工作表超过 {MAX_SHEETS} 个", f"the workbook has more than {MAX_SHEETS} sheets")
    grids = []
    for sheet in sheets:
        if sheet.max_row * sheet.max_column > MAX_CELLS:
            raise Invalid(
                f"工作表“{sheet.title}”过大（{sheet.max_row} 行 × {sheet.max_column} 列）",
                f"the sheet {sheet.title!r} is too large ({sheet.max_row} rows x {sheet.max_column} columns)",
            )
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        for block in sheet.merged_cells.ranges:
            value = rows[block.min_row - 1][block.min_col - 1] if block.min_row <= len(rows) else None
            for r in range(block.min_row - 1, min(block.max_row, len(rows))):
                for c in range(block.min_col - 1, min(block.max_col, len(rows[r]))):
                    rows[r][c] = value
        grids.append(Grid(sheet.title, rows))
    workbook.close()
    return grids


def csv_grid(text: str) -> Grid:
    rows: list[list[Any]] = []
    cells = 0
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            cells += len(row)
            if cells > MAX_CELLS:
                raise Invalid(
                    f"CSV 表格过大（超过 {MAX_CELLS} 个单元格）；大文件请使用模板格式（每行一个数值）",
                    f"the CSV table is too large (more than {MAX_CELLS} cells); use the template layout "
                    "(one figure a row) for large files",
                )
            rows.append(list(row))
    except csv.Error as exc:
        raise Invalid(
            f"CSV 第 {reader.line_num} 行格式有误：{exc}", f"malformed CSV at line {reader.line_num}: {exc}"
        ) from None
    return Grid("", rows)


# --- what a label is -------------------------------------------------------------------------------


def _unit_of(text: str) -> tuple[str, str | None]:
    """A label without its unit in brackets, and the unit ("地区生产总值（亿元）" -> 地区生产总值, 亿元)."""
    m = _UNIT_IN_PARENS.search(text)
    if m and (units.is_known(m.group(1)) or units.normalise_unit(m.group(1)) in ("倍",) or "/" in m.group(1)):
        return text[: m.start()].strip(), units.normalise_unit(m.group(1))
    return text, None


def _bare(text: str) -> str:
    """A label without numbering, sub-item marks and footnote marks ("#第一产业", "（一）农业", "GDP①")."""
    text = _MARKS.sub("", text.strip())
    for _ in range(2):
        text = _NUMBERING.sub("", text)
    return text.strip()


class Names:
    """Indicator and region names as Chinese statistical tables write them."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.indicators = {_key(k): v for k, v in resolver.indicators.items()}
        self.regions = {_key(k): v for k, v in resolver.regions.items()}
        self.by_code_ind = {i.code: i for i in resolver.indicators.values()}
        self.by_code_reg = {r.code: r for r in resolver.regions.values()}
        self._long_ind = sorted((k for k in self.indicators if len(k) >= 3), key=len, reverse=True)
        self._long_reg = sorted(
            (k for k in self.regions if len(k) >= 2 and not k.isdigit()), key=len, reverse=True
        )

    def region(self, text: str) -> Any:
        k = _key(text)
        if not k:
            return None
        if k in self.regions:
            return self.regions[k]
        for suffix in _REGION_SUFFIXES:  # 南京 / 南京市, 浦东 / 浦东新区
            if k + suffix in self.regions:
                return self.regions[k + suffix]
            if k.endswith(suffix) and k[: -len(suffix)] in self.regions and len(k) > len(suffix) + 1:
                return self.regions[k[: -len(suffix)]]
        return None

    def indicator(self, text: str) -> tuple[Any, str]:
        k = _key(text)
        if not k:
            return None, "none"
        if k in self.indicators:
            return self.indicators[k], "name"
        rest = k
        for word in _FILLERS:
            rest = rest.replace(word, "") if rest != word else rest
        if rest in self.indicators:
            return self.indicators[rest], "name"
        # a bracketed gloss: 研究与试验发展(R&D)经费投入强度, 细颗粒物浓度（PM2.5）
        plain = re.sub(r"[(（][^()（）]*[)）]", "", rest)
        if plain != rest and plain in self.indicators:
            return self.indicators[plain], "name"
        return None, "none"

    def region_in(self, text: str) -> Any:
        k = _key(text)
        for name in self._long_reg:
            if name in k:
                return self.regions[name]
        return None

    def indicator_in(self, text: str) -> Any:
        k = _key(text)
        for name in self._long_ind:
            if name in k:
                return self.indicators[name]
        return None

    def suggest(self, text: str, kind: str) -> str | None:
        import difflib

        k = _key(text)
        pool = self.indicators if kind == "indicator" else self.regions
        close = difflib.get_close_matches(k, list(pool), n=1, cutoff=0.45)
        if not close:
            # a catalog name inside the label, or the label inside a catalog name
            inside = [n for n in pool if len(n) >= 2 and (n in k or k in n)]
            if not inside:
                return None
            close = [max(inside, key=len)]
        found = pool[close[0]]
        return f"{found.code} {found.name_zh}"

    def target(self, value: str) -> tuple[str, Any]:
        """A mapping's target: an indicator or region (code or name), a year, or "-" (leave out)."""
        text = str(value).strip()
        if text in ("", IGNORE, "忽略", "ignore"):
            return "ignored", None
        if text in self.by_code_ind:
            return "indicator", self.by_code_ind[text]
        if text in self.by_code_reg:
            return "region", self.by_code_reg[text]
        if m := _YEAR.match(_clean(text)):
            return "year", int(m.group(1))
        found, _ = self.indicator(text)
        if found is not None:
            return "indicator", found
        found = self.region(text)
        if found is not None:
            return "region", found
        raise Invalid(
            f"映射目标“{text[:60]}”不是已知的指标、地区或年份（可填指标代码、地区代码、四位年份，或“-”表示忽略）",
            f"the mapping target {text[:60]!r} is not a known indicator, region or year (use an indicator code, "
            "a region code, a four-digit year, or '-' to leave the label out)",
        )


def _classify(
    names: Names,
    text: Any,
    cell: str,
    mapping: Mapping[str, str],
    remembered: Mapping[str, str],
    whole: Any,
    prefer: str | None = None,
) -> Label:
    """What one row or column label names."""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    raw = "" if text is None else str(_clean(text))
    key = _key(raw)
    for source, how in ((mapping, "mapping"), (remembered, "remembered")):
        if key in source:
            role, found = names.target(source[key])
            if role == "ignored":
                return Label(cell, raw, "ignored", how=how)
            if role == "year":
                return Label(cell, raw, "year", code=str(found), how=how)
            _, unit = _unit_of(raw)
            return Label(cell, raw, role, code=found.code, name=found.name_zh, unit=unit, how=how)
    if not key:
        return Label(cell, raw, "neutral", how="none")
    if units.is_known(raw) and len(raw) <= 6:  # a unit row under the names: "亿元"
        return Label(cell, raw, "neutral", unit=units.normalise_unit(raw), how="rule")
    name, unit = _unit_of(raw)  # "地区生产总值（亿元）", "2025年（亿元）", "绝对数（万人）"
    bare = _bare(name)
    bare_key = _key(bare)
    if m := _YEAR.match(bare):
        return Label(cell, raw, "year", code=m.group(1), unit=unit, how="rule")
    if bare_key in _IGNORED_STUBS:
        return Label(cell, raw, "ignored", how="rule")
    if bare_key in _UNIT_STUBS:
        return Label(cell, raw, "unit", how="rule")
    if not bare_key or bare_key in _NEUTRAL:
        return Label(cell, raw, "neutral", unit=unit, how="rule")
    if bare_key in _WHOLE:
        if whole is not None:
            return Label(cell, raw, "region", code=whole.code, name=whole.name_zh, how="context")
        return Label(cell, raw, "unknown", how="whole", suggestion=None)  # the title names no region
    region = names.region(bare) if prefer != "indicator" else None
    if region is not None:
        return Label(cell, raw, "region", code=region.code, name=region.name_zh, how="name")
    indicator, how = names.indicator(bare)
    if indicator is not None:
        return Label(cell, raw, "indicator", code=indicator.code, name=indicator.name_zh, unit=unit, how=how)
    if any(word in bare_key for word in _DERIVED):  # 比上年增长(%), 占比, 位次: not the figure itself
        return Label(cell, raw, "ignored", unit=unit, how="rule")
    if prefer == "indicator":
        region = names.region(bare)
        if region is not None:
            return Label(cell, raw, "region", code=region.code, name=region.name_zh, how="name")
    kind = "region" if prefer == "region" else "indicator"
    return Label(cell, raw, "unknown", unit=unit, how="none", suggestion=names.suggest(bare, kind))


# --- one sheet -----------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        text = _clean(value).replace(",", "").replace(" ", "")
        return bool(re.fullmatch(r"[-+]?\d+(\.\d+)?%?", text)) or text.startswith("=")
    return False


def _is_empty_mark(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _key(value) in EMPTY_MARKS)


def _texts(cells: Sequence[Any]) -> list[str]:
    seen: list[str] = []
    for c in cells:
        if c is None or (isinstance(c, str) and not c.strip()):
            continue
        text = str(_clean(c))
        if text not in seen:
            seen.append(text)
    return seen


def _shape(report: SheetReport) -> str:
    """The same for next year's file of the same table: the labels, years and numbers aside."""
    labels = sorted(
        {_key(lab.text) for lab in report.rows + report.columns if lab.text and not _YEAR.match(lab.text)}
    )
    payload = json.dumps([report.layout, labels], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _long_sheet(grid: Grid, header_at: int, report: SheetReport) -> list[ObservationInput]:
    header = [str(c) if c is not None else "" for c in grid.rows[header_at]]
    from service.domain.tabular import _map_header

    mapping = _map_header(header)
    read = _row_reader(mapping)
    fields = {field_name: column_letter(i) for i, field_name in mapping.items()}
    report.columns = [
        Label(grid.ref(header_at, i), header[i], field_name, how="rule") for i, field_name in mapping.items()
    ]
    out = []
    for r in range(header_at + 1, len(grid.rows)):
        item = read(r + 1, grid.rows[r])
        if item is None:
            continue
        prefix = f"{grid.name}!" if grid.name else ""
        item.cells = {f: f"{prefix}{letter}{r + 1}" for f, letter in fields.items()}
        out.append(item)
    return out


def _is_long_header(cells: Sequence[Any]) -> bool:
    keys = {HEADERS.get(str(c).strip().lower()) for c in cells if c is not None}
    return all(f in keys for f in REQUIRED)


def read_sheet(
    grid: Grid, names: Names, options: Options, remembered: Mapping[str, str]
) -> tuple[SheetReport, list[ObservationInput]]:
    report = SheetReport(name=grid.name, layout=EMPTY)
    rows = [[_clean(c) for c in r] for r in grid.rows]
    while rows and not any(c not in (None, "") for c in rows[-1]):
        rows.pop()
    if not rows:
        return _named(report), []
    # 1. title, unit and source notes, blank rows above the header; the header: the first row with two
    # or more filled cells that is no note
    titles: list[str] = []
    header_at = None
    for r, cells in enumerate(rows):
        texts = _texts(cells)
        if not texts:
            continue
        if _is_long_header(grid.rows[r]):
            report.layout = LONG
            inputs = _long_sheet(grid, r, report)
            report.figures = len(inputs)
            report.shape = ""
            return _named(report), inputs
        if _take_note(report, " ".join(texts), grid.ref(r, 0)):
            continue
        rest = [t for t in texts if not _take_note(report, t, grid.ref(r, 0))]  # "表1 …   单位：亿元"
        if len(rest) <= 1:
            titles.extend(rest)
            report.skipped_rows.append(f"{grid.ref(r, 0)} {' '.join(texts)[:40]}")
            continue
        header_at = r
        break
    if header_at is None:
        report.title = " ".join(titles) or None
        return _named(report), []
    report.title = " ".join(titles) or None
    # 2. more header rows: below the first while the stub (first column) is blank or repeats the header's
    # (a vertically merged corner) and the row holds no figure under a header of its own
    header_rows = [header_at]
    r = header_at + 1
    while r < len(rows) and len(header_rows) < HEADER_ROWS:
        cells = rows[r]
        first = cells[0] if cells else None
        if not _texts(cells):
            break
        if (first in (None, "") or first == rows[header_at][0]) and all(
            _is_empty_mark(c) or not _is_number(c) or _YEAR.match(str(c)) for c in cells[1:]
        ):
            header_rows.append(r)
            r += 1
            continue
        break
    body_start = header_rows[-1] + 1
    width = max(len(c) for c in rows)
    # 3. the context: region, year, indicator and unit given once (sheet name, title, notes)
    context = " ".join([grid.name or "", *titles])
    whole = names.region_in(context)
    # a range of years ("2021—2025年") is no single year of the table
    spans = re.search(r"(?:19|20)\d{2}\s*年?\s*[-—–~～至到]\s*(?:19|20)\d{2}", context)
    year_match = (
        None if spans else _YEAR_IN.search(context) or re.search(r"((?:19|20)\d{2})", grid.name or "")
    )
    mapped = {_key(k): v for k, v in options.mapping.items()}
    for key, attribute in (("@region", "region"), ("@year", "year"), ("@indicator", "indicator")):
        if key in mapped:
            role, found = names.target(mapped[key])
            if attribute == "year" and role == "year":
                year_match = None
                report.year = found
            elif role == attribute == "region":
                whole = found
            elif role == attribute == "indicator":
                report.indicator = found.code
    if whole is not None:
        report.region = whole.code
    if year_match is not None and report.year is None:
        report.year = int(year_match.group(1))
    title_indicator = names.indicator_in(" ".join(titles)) if titles and report.indicator is None else None
    if title_indicator is not None:
        report.indicator = title_indicator.code
    if titles and report.unit is None:
        _, unit = _unit_of(titles[-1])
        report.unit = unit
    # 4. the stub columns (labels down the side): leading columns whose body cells are text
    body = [row for row in rows[body_start:]]
    stub_columns: list[int] = []
    unit_column: int | None = None
    for c in range(width):
        head = " ".join(_texts([rows[h][c] if c < len(rows[h]) else None for h in header_rows]))
        if _key(head) in _UNIT_STUBS:
            unit_column = c
            stub_columns.append(c)
            continue
        if _key(head) in _IGNORED_STUBS:
            stub_columns.append(c)
            continue
        cells = [row[c] for row in body if c < len(row) and not _is_empty_mark(row[c])]
        numbers = sum(1 for v in cells if _is_number(v))
        years = sum(
            1 for v in cells if _YEAR.match(str(int(v) if isinstance(v, float) and v.is_integer() else v))
        )
        if cells and (numbers * 2 < len(cells) or (not stub_columns and years == len(cells))):
            stub_columns.append(c)
            continue
        break
    label_columns = [
        c
        for c in stub_columns
        if c != unit_column
        and _key(" ".join(_texts([rows[h][c] for h in header_rows if c < len(rows[h])])))
        not in _IGNORED_STUBS
    ]
    if not label_columns:
        report.layout = REFUSED
        report.problems.append(
            _problem(
                grid.ref(body_start, 0),
                "找不到行标题列（指标或地区名称）",
                "no column of row labels (indicator or region names)",
            )
        )
        return _named(report), []
    label_column = label_columns[0]
    data_columns = [c for c in range(width) if c not in stub_columns and c > label_column]
    # 5. read every column's header and every row's label
    stub_head = _key(
        " ".join(_texts([rows[h][label_column] for h in header_rows if label_column < len(rows[h])]))
    )
    row_prefer = (
        "region"
        if stub_head in ("地区", "地区名称", "区域", "地区别", "城市", "区县", "市别", "县(市、区)")
        or "地区" in stub_head
        else ("indicator" if stub_head in ("指标", "指标名称", "项目", "项目名称", "主要指标") else None)
    )
    columns: dict[int, list[Label]] = {}
    for c in data_columns:
        parts = _texts([rows[h][c] if c < len(rows[h]) else None for h in header_rows])
        labels = [
            _classify(
                names, p, grid.ref(header_rows[min(i, len(header_rows) - 1)], c), mapped, remembered, whole
            )
            for i, p in enumerate(parts)
        ]
        columns[c] = labels
        report.columns.extend(labels)
    figures: list[ObservationInput] = []
    note_rows = False
    for offset, cells in enumerate(body):
        r = body_start + offset
        texts = _texts(cells)
        if not texts:
            continue
        if _take_note(report, " ".join(texts), grid.ref(r, 0)) or (note_rows and len(texts) == 1):
            note_rows = True  # a footnote runs on over the rows below it
            continue
        label_text = cells[label_column] if label_column < len(cells) else None
        if label_text in (None, "") and len(texts) == 1:
            continue
        label = _classify(names, label_text, grid.ref(r, label_column), mapped, remembered, whole, row_prefer)
        report.rows.append(label)
        if label.role == "ignored":
            continue
        row_unit = None
        if unit_column is not None and unit_column < len(cells) and cells[unit_column] not in (None, ""):
            row_unit = units.normalise_unit(str(cells[unit_column]))
        for c in data_columns:
            value = cells[c] if c < len(cells) else None
            if _is_empty_mark(value):
                continue
            dims = [label, *columns[c]]
            if any(d.role == "ignored" for d in dims):
                continue
            if any(d.role == "unknown" for d in dims):
                report.left_out += 1  # listed with the label, its cell and the nearest name
                continue
            item = _figure(grid, r, c, value, dims, report, row_unit, options)
            if item is not None:
                figures.append(item)
    for label in report.rows + report.columns:
        if label.role == "unknown" and label.how == "whole":
            report.problems.append(
                _problem(
                    label.cell,
                    f"“{label.text}”指本表所属地区，但标题和工作表名中没有地区：请在映射中指定 @region，或为此行指定地区代码",
                    f"{label.text!r} is the region the table is about, but neither its title nor its sheet name names a "
                    "region: map @region (or this label) to a region code",
                    (label.text,),
                )
            )
        elif label.role == "unknown":
            hint_zh = f"，是否为 {label.suggestion}？" if label.suggestion else ""
            hint_en = f"; did you mean {label.suggestion}?" if label.suggestion else ""
            report.problems.append(
                _problem(
                    label.cell,
                    f"“{label.text}”不是目录中的指标或地区，其数值未导入{hint_zh}（可在映射中指定指标、地区、年份，或填“-”忽略）",
                    f"{label.text!r} is not an indicator or region of the catalog; its figures are left out{hint_en} "
                    "(map it to an indicator, region or year, or to '-' to leave it out quietly)",
                    (label.text, label.suggestion),
                )
            )
    if figures and not report.region and any(not f.region for f in figures):
        report.problems.append(
            _problem(
                grid.ref(header_at, 0),
                "表中没有地区：请在标题中写明地区，或在映射中指定 @region",
                "the table names no region: state it in the title, or map @region to a region code",
            )
        )
    if figures and not report.year and any(not f.period for f in figures):
        report.problems.append(
            _problem(
                grid.ref(header_at, 0),
                "表中没有年份：请在标题或工作表名中写明年份（如“2025年”），或在映射中指定 @year",
                "the table names no year: state it in the title or sheet name (2025年), or map @year",
            )
        )
    across = [lab.role for labs in columns.values() for lab in labs]
    if "year" in across:
        report.layout = WIDE_BY_YEAR
    elif "region" in across:
        report.layout = WIDE_BY_REGION
    elif "indicator" in across:
        report.layout = WIDE_BY_INDICATOR
    elif figures:
        report.layout = WIDE_BY_REGION if any(lab.role == "region" for lab in report.rows) else WIDE_BY_YEAR
    else:
        report.layout = REFUSED if not report.problems else report.layout
    if report.layout == EMPTY and figures:
        report.layout = WIDE_BY_YEAR
    for item in figures:  # notes below the table count as much as those above it
        item.unit = item.unit or report.unit
        item.source = item.source or report.source
    report.figures = len(figures)
    report.shape = _shape(report)
    return _named(report), figures


def _problem(cell: str, zh: str, en: str, names: tuple[str | None, ...] = ()) -> dict[str, Any]:
    """A problem in both languages; ``names``: the labels and catalog names it quotes (a page marks them as
    names, not as the page's language)."""
    problem: dict[str, Any] = {"cell": cell, "zh": zh, "en": en}
    if any(names):
        problem["names"] = [n for n in names if n]
    return problem


def _named(report: SheetReport) -> SheetReport:
    report.layout_zh, report.layout_en = LAYOUT_NAMES.get(report.layout, (report.layout, report.layout))
    return report


def _take_note(report: SheetReport, text: str, cell: str) -> bool:
    """A unit, source or footnote row: what it says is kept, the row is not read as figures."""
    m = _NOTE.match(text)
    if m is None:
        if _NOTE_START.match(text):
            report.notes.append(text[:300])
            report.skipped_rows.append(f"{cell} {text[:40]}")
            return True
        # "单位：亿元" at the right-hand end of a row that holds nothing else
        inline = re.search(r"(?:计量)?单位\s*[:：]\s*(\S{1,10})\s*$", text)
        if inline and units.is_known(inline.group(1).strip("）)")):
            report.unit = units.normalise_unit(inline.group(1).strip("）)"))  # the rest may be the title
        return False
    word, rest = m.group(1), m.group(2).strip().rstrip("）)").strip()
    if word in ("单位", "计量单位"):
        unit = rest.split()[0] if rest else ""
        if units.is_known(unit):
            report.unit = units.normalise_unit(unit)
        else:  # "单位：亿元、万人": the units are in the labels
            report.notes.append(text[:300])
    elif word in ("资料来源", "数据来源", "来源"):
        report.source = rest[:400] or report.source
    else:
        report.notes.append(text[:300])
    report.skipped_rows.append(f"{cell} {text[:40]}")
    return True


def _figure(
    grid: Grid,
    r: int,
    c: int,
    value: Any,
    dims: list[Label],
    report: SheetReport,
    row_unit: str | None,
    options: Options,
) -> ObservationInput | None:
    cells: dict[str, str] = {"value": grid.ref(r, c)}
    indicator = region = year = None
    unit = row_unit
    for d in dims:
        if d.role == "indicator" and indicator is None:
            indicator, cells["indicator"] = d.code, d.cell
            unit = unit or d.unit
        elif d.role == "region" and region is None:
            region, cells["region"] = d.code, d.cell
        elif d.role == "year" and year is None:
            year, cells["period"] = d.code, d.cell
        if d.unit and unit is None:
            unit = d.unit
    indicator = indicator or report.indicator
    region = region or report.region
    year = year or (str(report.year) if report.year else None)
    if isinstance(value, str):  # "1021.5①", "−3.2" (a minus sign, not a hyphen)
        value = _MARKS.sub("", value).replace("\u2212", "-").strip()
    if isinstance(value, str) and value.endswith("%") and unit in ("%", None):
        value, unit = value[:-1], "%"
    return ObservationInput(
        row=r + 1,
        indicator=indicator or "",
        region=region or "",
        period=year or "",
        value=value,
        unit=unit,
        status=options.status,
        source=options.source,
        revision_reason=options.revision_reason,
        published=options.published,
        cells=cells,
    )


# --- a whole file --------------------------------------------------------------------------------


def grids_of(filename: str, data: bytes) -> list[Grid]:
    if not data.strip():
        raise Invalid("文件为空", "the file is empty")
    lower = filename.lower()
    if lower.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        if not lower.endswith(".xlsx"):
            raise Invalid(
                "文件内容是 XLSX，但扩展名不是 .xlsx", "the file is an XLSX workbook but is not named .xlsx"
            )
        return xlsx_grids(data)
    if lower.endswith((".csv", ".txt")):
        if b"\x00" in data[:4096]:
            raise Invalid("文件不是文本 CSV", "the file is not a text CSV (binary content)")
        return [csv_grid(_decode(data))]
    raise Invalid("仅支持 CSV 和 XLSX 文件", "only CSV and XLSX files are accepted")


def read_file(
    grids: list[Grid],
    resolver: Resolver,
    options: Options | None = None,
    remembered: Callable[[str], Mapping[str, str] | None] | None = None,
) -> Reading:
    """Every sheet read: the layout found, the labels' mapping, and the figures. ``remembered`` gives the
    corrections kept for a sheet's shape (applied under the ones given now)."""
    options = options or Options()
    names = Names(resolver)
    sheets: list[SheetReport] = []
    inputs: list[ObservationInput] = []
    for grid in grids:
        report, figures = read_sheet(grid, names, options, {})
        kept = remembered(report.shape) if remembered is not None and report.shape else None
        if kept:
            report, figures = read_sheet(grid, names, options, {_key(k): v for k, v in kept.items()})
        sheets.append(report)
        inputs.extend(figures)
    return Reading(sheets, inputs)


def is_long(filename: str, source: bytes | Path) -> bool:
    """Whether a file (its bytes, or its path on disk) is in the long template layout: its first row is
    the template's header. Such a file is streamed row by row as it always was."""
    if isinstance(source, Path):
        with source.open("rb") as fh:
            head = fh.read(65536)
    else:
        head = source[:65536]
    if head.startswith(b"PK\x03\x04"):
        import openpyxl

        try:
            opened = source if isinstance(source, Path) else io.BytesIO(source)
            workbook = openpyxl.load_workbook(opened, read_only=True)
            first = next(workbook.worksheets[0].iter_rows(values_only=True, max_row=1), None)
            workbook.close()
        except Exception:
            return False  # refused with the right message by the full reader
        return first is not None and _is_long_header(first)
    if not filename.lower().endswith((".csv", ".txt")) or b"\x00" in head[:4096]:
        return False
    try:  # a line ends at a b"\n" byte in UTF-8 and GB18030 alike
        first_line = _decode(head.split(b"\n", 1)[0]).rstrip("\r")
        cells = next(csv.reader([first_line]))
    except (Invalid, csv.Error, StopIteration):
        return False
    return _is_long_header(cells)


def remembered_mappings(session: Session) -> Callable[[str], Mapping[str, str] | None]:
    from service.db.models import ImportMapping

    def find(shape: str) -> Mapping[str, str] | None:
        return session.scalar(select(ImportMapping.mapping).where(ImportMapping.shape == shape))

    return find


def read_upload(session: Session, filename: str, data: bytes, options: Options | None = None) -> Reading:
    """An uploaded file read in whatever layout it has; the long template streams as it always did."""
    options = options or Options()
    if is_long(filename, data):
        from service.domain.tabular import read_table

        long_rows = read_table(filename, data)
        report = _named(SheetReport(name="", layout=LONG, figures=len(long_rows)))
        for item in long_rows:
            item.source = item.source or options.source
            item.revision_reason = item.revision_reason or options.revision_reason
            item.published = item.published or options.published
        return Reading([report], long_rows)
    return read_file(grids_of(filename, data), Resolver(session), options, remembered_mappings(session))


def remember(
    session: Session, reading: Reading, options: Options, user_id: int | None, now: dt.datetime
) -> int:
    """Keep the corrections that read each sheet, for the next file of its shape; the number of shapes."""
    from service.db.models import ImportMapping

    given = {_key(k): v for k, v in options.mapping.items()}
    kept = 0
    for sheet in reading.sheets:
        used = {
            _key(lab.text): given[_key(lab.text)]
            for lab in sheet.rows + sheet.columns
            if lab.how == "mapping" and _key(lab.text) in given
        }
        used.update({k: v for k, v in given.items() if k.startswith("@")})
        if not sheet.shape or not used:
            continue
        row = session.scalar(select(ImportMapping).where(ImportMapping.shape == sheet.shape))
        if row is None:
            session.add(ImportMapping(shape=sheet.shape, mapping=used, user_id=user_id, updated_at=now))
        else:
            row.mapping, row.user_id, row.updated_at = {**row.mapping, **used}, user_id, now
        kept += 1
    session.flush()
    return kept


def parse_mapping(text: str | bytes | None) -> dict[str, str]:
    """A mapping as a person writes it: JSON {"label": "code"} or lines "label,code" / "label=code"."""
    if text is None:
        return {}
    if isinstance(text, bytes):
        text = _decode(text)
    text = text.strip().lstrip("\ufeff")
    if not text:
        return {}
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise Invalid(f"映射不是有效的 JSON：{exc}", f"the mapping is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict) or not all(isinstance(v, str | int) for v in loaded.values()):
            raise Invalid('映射应为 {"表中名称": "代码"}', 'the mapping must be {"label": "code"}')
        pairs = {str(k): str(v) for k, v in loaded.items()}
    else:
        pairs = {}
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = re.split(r"\s*[,=，\t]\s*", line.strip(), maxsplit=1)
            if len(parts) != 2:
                raise Invalid(f"映射第 {n} 行应为“表中名称,代码”", f"mapping line {n} must be 'label,code'")
            pairs[parts[0]] = parts[1]
    if len(pairs) > 2000 or any(len(k) > 200 or len(v) > 200 for k, v in pairs.items()):
        raise Invalid("映射过长", "the mapping is too long")
    return pairs


def describe(reading: Reading) -> list[str]:
    """A reading as lines for a terminal: per sheet its layout, context and every label's mapping."""
    lines = []
    for sheet in reading.sheets:
        where = sheet.name or "CSV"
        context = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("region", sheet.region),
                ("year", sheet.year),
                ("indicator", sheet.indicator),
                ("unit", sheet.unit),
                ("source", sheet.source),
            )
            if v
        )
        lines.append(
            f"[{where}] {sheet.layout_en} / {sheet.layout_zh}: {sheet.figures} figure(s)"
            + (f"; {context}" if context else "")
            + (f"; {sheet.left_out} left out" if sheet.left_out else "")
        )
        for label in sheet.rows + sheet.columns:
            target = label.code or "-"
            if label.role == "unknown":
                target = "? " + (f"(did you mean {label.suggestion})" if label.suggestion else "(unknown)")
            lines.append(
                f"  {label.cell}  {label.text!s:<24} -> {label.role} {target} [{label.how}]"
                + (f" unit {label.unit}" if label.unit else "")
            )
        lines.extend(f"  {p['cell']}: {p['en']} / {p['zh']}" for p in sheet.problems)
    return lines
