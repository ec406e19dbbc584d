"""Tables in and out: reading uploaded tables (CSV in UTF-8 / UTF-8 with BOM / GB18030, and XLSX) into
observation rows, and writing CSV and XLSX cells that a spreadsheet shows as text, never runs."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from service.domain.errors import Invalid
from service.domain.observations import ObservationInput

# header (lower-cased, Chinese or English) -> field
HEADERS = {
    "indicator": "indicator",
    "indicator_code": "indicator",
    "指标": "indicator",
    "指标代码": "indicator",
    "指标名称": "indicator",
    "region": "region",
    "region_code": "region",
    "地区": "region",
    "地区代码": "region",
    "地区名称": "region",
    "period": "period",
    "year": "period",
    "年份": "period",
    "年度": "period",
    "value": "value",
    "数值": "value",
    "值": "value",
    "unit": "unit",
    "单位": "unit",
    "status": "status",
    "状态": "status",
    "数据状态": "status",
    "source": "source",
    "来源": "source",
    "数据来源": "source",
    "source_url": "source_url",
    "来源链接": "source_url",
    "note": "note",
    "备注": "note",
    "说明": "note",
    "revision_reason": "revision_reason",
    "修订原因": "revision_reason",
    "published": "published",
    "published_on": "published",
    "发布日期": "published",
    "发布时间": "published",
    "confirm": "confirm",
    "确认": "confirm",
    "series_break": "series_break",
    "口径调整": "series_break",
    "统计口径调整": "series_break",
    "coverage": "coverage",
    "覆盖期": "coverage",
    "统计期": "coverage",
    "期间": "coverage",
}
REQUIRED = ("indicator", "region", "period", "value")
DAMAGED_ZH = "XLSX 文件已损坏或无法读取"
DAMAGED_EN = "the XLSX file is damaged or cannot be read"
TRUE_WORDS = {"1", "true", "yes", "y", "是", "确认", "√", "x"}

# A cell starting with one of these is a formula to Excel or LibreOffice (a plan title "=HYPERLINK(...)"
# would open a link, "=cmd|..." could start a program); the OWASP remedy is a leading apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[-+][\d.,]*\d[\d.,]*%?")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet shows as text: text that starts like a formula gets a
    leading ``'``; numbers, and text that is only a signed number such as "-3.5", are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _SIGNED_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unguard(text: Any) -> Any:
    """The inverse of ``spreadsheet_safe`` for a name read back from one of our own CSV files."""
    if isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def write_csv(
    stream: Any,
    fields: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    labels: Sequence[str] | None = None,
    header: bool = True,
) -> None:
    """Every CSV the service writes: a header (``labels`` in words, else ``fields``) and one line per row,
    cells made safe (``header=False``: the rows only, a further chunk of a streamed CSV)."""
    writer = csv.DictWriter(stream, fieldnames=fields, extrasaction="ignore")
    if header and labels is None:
        writer.writeheader()
    elif header and labels is not None:
        writer.writerow({f: spreadsheet_safe(label) for f, label in zip(fields, labels, strict=True)})
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)


def xlsx_append(sheet: Any, values: Sequence[Any]) -> None:
    """``sheet.append(values)``, but text that starts like a formula stays text, unchanged: a string
    cell with Excel's quote prefix, the way a person types '=... (openpyxl would store "=..." as a live
    formula)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise Invalid(
            "文件编码无法识别：请保存为 UTF-8 或 GB18030 编码的 CSV，或 XLSX",
            "the file's encoding is not recognised: save it as CSV in UTF-8 or GB18030, or as XLSX",
        ) from None


def _map_header(header: list[str]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    unknown = []
    for i, name in enumerate(header):
        key = str(name or "").strip().lower()
        if not key:
            continue
        if key in HEADERS:
            mapping[i] = HEADERS[key]
        else:
            unknown.append(str(name))
    missing = [f for f in REQUIRED if f not in mapping.values()]
    if missing or unknown:
        raise Invalid(
            f"表头有误：缺少列 {', '.join(missing) or '无'}；无法识别的列 {', '.join(unknown) or '无'}。"
            "可用列：指标、地区、年份、数值、单位、状态、来源、备注、修订原因、发布日期、确认、口径调整、覆盖期",
            f"bad header: missing column(s) {', '.join(missing) or 'none'}; unknown column(s) "
            f"{', '.join(unknown) or 'none'}. Columns: indicator, region, period, value, unit, status, source, "
            "note, revision_reason, published, confirm, series_break, coverage",
        )
    return mapping


_FIELDS = (
    "indicator",
    "region",
    "period",
    "value",
    "unit",
    "status",
    "source",
    "source_url",
    "note",
    "revision_reason",
    "published",
    "confirm",
    "series_break",
    "coverage",
)


def _text(v: Any) -> str | None:
    return None if v is None or v == "" else v if type(v) is str else str(v)


def _row_reader(mapping: dict[int, str]) -> Callable[[int, Sequence[Any]], ObservationInput | None]:
    """A function turning one row's cells into an input (None for an empty or unfilled template row).

    Only the columns the file has are read (a file of five columns costs five cells a row, not
    fourteen); the others keep the input's defaults."""
    index = {field: i for i, field in mapping.items()}
    present = tuple((f, index[f]) for f in _FIELDS if f in index)
    has_reason = "revision_reason" in index

    def read(row_number: int, cells: Sequence[Any]) -> ObservationInput | None:
        n = len(cells)
        got: dict[str, Any] = {}
        filled = False
        for field, i in present:
            v = cells[i] if i < n else None
            if type(v) is str:
                v = v.strip()
            if v is not None and v != "":
                filled = True
            got[field] = v
        if not filled:
            return None
        value = got.get("value")
        if (value is None or value == "") and not (has_reason and got["revision_reason"]):
            return None  # a template row left empty: not reported (an empty value never erases a figure)
        item = ObservationInput(
            row=row_number,
            indicator=_text(unguard(got.get("indicator"))) or "",
            region=_text(unguard(got.get("region"))) or "",
            period=got.get("period"),
            value=value,
        )
        for field, v in got.items():
            if field in _AS_TEXT:
                setattr(item, field, _text(v))
            elif field == "published":
                item.published = v if isinstance(v, dt.date) else _text(v)
            elif field in _AS_FLAG:
                setattr(item, field, str(v or "").strip().lower() in TRUE_WORDS)
        return item

    return read


_AS_TEXT = frozenset(("unit", "status", "source", "source_url", "note", "revision_reason", "coverage"))
_AS_FLAG = frozenset(("confirm", "series_break"))


def _read_csv_text(stream: Any) -> Iterator[ObservationInput]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid("文件为空", "the file is empty") from None
    except csv.Error as exc:
        raise Invalid(f"CSV 格式有误：{exc}", f"malformed CSV: {exc}") from None
    read = _row_reader(_map_header(header))
    try:
        for n, cells in enumerate(reader, start=2):
            item = read(n, cells)
            if item is not None:
                yield item
    except csv.Error as exc:
        raise Invalid(
            f"CSV 第 {reader.line_num} 行格式有误：{exc}", f"malformed CSV at line {reader.line_num}: {exc}"
        ) from None


def read_csv(data: bytes) -> Iterator[ObservationInput]:
    return _read_csv_text(io.StringIO(_decode(data), newline=""))


def _file_encoding(path: Path) -> str:
    """utf-8-sig, utf-8 or gb18030, found by decoding the file once in pieces (never all in memory)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while piece := fh.read(1 << 20):
                    decoder.decode(piece)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise Invalid(
        "文件编码无法识别：请保存为 UTF-8 或 GB18030 编码的 CSV，或 XLSX",
        "the file's encoding is not recognised: save it as CSV in UTF-8 or GB18030, or as XLSX",
    )


def iter_file(path: Path) -> Iterator[ObservationInput]:
    """Rows of a CSV or XLSX file on disk, streamed: memory does not grow with the file."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise Invalid("文件为空", "the file is empty")
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() == ".xlsx":
        # openpyxl's read-only mode streams the sheet from the archive
        yield from (
            read_table(path.name, path.read_bytes()) if path.stat().st_size < (64 << 20) else _xlsx_too_big()
        )
        return
    if path.suffix.lower() not in (".csv", ".txt"):
        raise Invalid("仅支持 CSV 和 XLSX 文件", "only CSV and XLSX files are accepted")
    if b"\x00" in head:
        raise Invalid("文件不是文本 CSV", "the file is not a text CSV (binary content)")
    with path.open(encoding=_file_encoding(path), newline="") as stream:
        yield from _read_csv_text(stream)


def _xlsx_too_big() -> Iterator[ObservationInput]:
    raise Invalid(
        "XLSX 文件超过 64 MB，请拆分或另存为 CSV", "the XLSX file exceeds 64 MB; split it or save it as CSV"
    )


def read_xlsx(data: bytes) -> Iterator[ObservationInput]:
    import openpyxl

    if not data.startswith(b"PK\x03\x04"):
        raise Invalid("文件不是有效的 XLSX 表格", "the file is not a valid XLSX workbook")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            if total > 200 * 1024 * 1024:
                raise Invalid("XLSX 解压后过大", "the XLSX expands to more than 200 MB; split it")
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Invalid:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise Invalid(DAMAGED_ZH, DAMAGED_EN) from None
    if not workbook.worksheets:
        raise Invalid("XLSX 中没有工作表", "the XLSX workbook has no worksheet")
    sheet = workbook.worksheets[0]
    rows = _sheet_rows(sheet)
    try:
        header = [str(c) if c is not None else "" for c in next(rows)]
    except StopIteration:
        raise Invalid("表格为空", "the sheet is empty") from None
    read = _row_reader(_map_header(header))
    for n, cells in enumerate(rows, start=2):
        # data_only=False: a formula arrives as its text ("=B2*2") and parse_value refuses it clearly
        item = read(n, cells)
        if item is not None:
            yield item
    workbook.close()


def _percent_cell(value: Any, number_format: str | None) -> Any:
    """A number shown as a percentage (number format with %: 0.0415 shown as 4.15 %) as the text a person
    sees, "4.15%", so it is read in percent; any other cell as it is."""
    if type(value) in (int, float) and number_format and "%" in number_format.replace('"%"', ""):
        return f"{(Decimal(repr(value)) * 100).normalize():f}%"
    return value


def _sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows as values (percent-formatted numbers as percentages); read-only mode parses
    lazily, so a damaged sheet only fails while iterating."""
    rows = sheet.iter_rows()
    while True:
        try:
            row = next(rows)
            values = tuple(_percent_cell(c.value, getattr(c, "number_format", None)) for c in row)
        except StopIteration:
            return
        except Exception:  # XML ParseError, bad cell references, ...
            raise Invalid(DAMAGED_ZH, DAMAGED_EN) from None
        yield values


def read_table(filename: str, data: bytes) -> list[ObservationInput]:
    """Rows of an uploaded file; the type is taken from the content, checked against the name."""
    if not data.strip():
        raise Invalid("文件为空", "the file is empty")
    lower = filename.lower()
    is_zip = data.startswith(b"PK\x03\x04")
    if lower.endswith(".xlsx") or is_zip:
        if not lower.endswith(".xlsx"):
            raise Invalid(
                "文件内容是 XLSX，但扩展名不是 .xlsx", "the file is an XLSX workbook but is not named .xlsx"
            )
        return list(read_xlsx(data))
    if lower.endswith((".csv", ".txt")):
        if b"\x00" in data[:4096]:
            raise Invalid("文件不是文本 CSV", "the file is not a text CSV (binary content)")
        return list(read_csv(data))
    raise Invalid("仅支持 CSV 和 XLSX 文件", "only CSV and XLSX files are accepted")
