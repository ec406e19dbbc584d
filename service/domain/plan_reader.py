"""Reading a plan's text for its quantitative targets and stated baselines (pure functions, no database).

``read_document`` turns an uploaded file (plain text, .docx, the text layer of a .pdf) into text, refusing
what is not a plan's text with a message in Chinese and English. ``read_plan`` proposes every target and
baseline it finds, each with the verbatim quote, its character offsets in the original text, and a
confidence with its reason; an administrator reviews the proposals before any of them reaches the catalog.

How it reads: line breaks are removed (plans converted from PDF or set as a magazine break lines every few
characters) into a *clean* text whose every character keeps its offset in the original, so quotes and
positions always point into the document as uploaded. Sentences are split into clauses; a clause with a
figure is read as *subject* + *predicate* (达到 / 不低于 / 控制在 …) + *figure* + *qualifier* (以上 / 以内 /
左右); a clause without its own subject takes the one before it in the same sentence; a year heading such as
到2025年 or "十四五" governs the sentences after it; section headings (发展基础 / 发展目标, or a region's
name) set whether figures are baselines or targets and which region they are for.
"""

from __future__ import annotations

import bisect
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from service.domain import units
from service.domain.errors import Invalid

# --- limits for uploaded files ------------------------------------------------------------------

MAX_FILE_BYTES = 20 * 1024 * 1024  # the file as uploaded
MAX_TEXT_CHARS = 3_000_000  # the text taken from it (a long plan is ~300,000 characters)
MAX_DOCX_UNPACKED = 60 * 1024 * 1024  # all members of a .docx, unpacked
MAX_DOCX_RATIO = 200  # unpacked / packed size of one member: beyond this it is a zip bomb
MAX_PDF_PAGES = 2000
MIN_CJK_CHARS = 20


class UnreadableDocument(Invalid):
    """The file is not a plan's text this reader can read; nothing is changed."""


def _refuse(zh: str, en: str) -> UnreadableDocument:
    return UnreadableDocument(zh, en)


def read_document(filename: str, content: bytes) -> str:
    """The text of an uploaded plan (.txt/.md, .docx, or the text layer of a .pdf).

    Raises ``UnreadableDocument`` (HTTP 422) for an empty, oversized, binary, malformed or hostile file.
    """
    if not content:
        raise _refuse("文件为空", "the file is empty")
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(
            f"文件过大（{len(content) // 2**20} MB），上限为 {MAX_FILE_BYTES // 2**20} MB",
            f"the file is too large ({len(content) // 2**20} MB); the limit is {MAX_FILE_BYTES // 2**20} MB",
        )
    suffix = Path(filename or "").suffix.lower()
    if content[:4] == b"PK\x03\x04" or suffix == ".docx":
        text = _docx_text(content)
    elif content[:5] == b"%PDF-" or suffix == ".pdf":
        text = _pdf_text(content)
    else:
        text = _plain_text(content)
    return check_text(text)


def check_text(text: str) -> str:
    """Refuse text that is too long, or has too little Chinese to be a plan."""
    if len(text) > MAX_TEXT_CHARS:
        raise _refuse(
            f"文本过长（{len(text):,} 字符），上限为 {MAX_TEXT_CHARS:,} 字符",
            f"the text is too long ({len(text):,} characters); the limit is {MAX_TEXT_CHARS:,}",
        )
    if not text.strip():
        raise _refuse("文件中没有文字", "the file contains no text")
    cjk = sum(1 for ch in text[:200_000] if "\u4e00" <= ch <= "\u9fff")
    if cjk < MIN_CJK_CHARS:
        raise _refuse(
            "文件中几乎没有中文文字，不像是规划文本",
            "the file has almost no Chinese text; it does not look like a plan",
        )
    return text


def _plain_text(content: bytes) -> str:
    if b"\x00" in content[:65536]:
        raise _refuse("这是二进制文件，不是文本", "this is a binary file, not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:65536] if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t\f")
        if controls > 0.01 * min(len(text), 65536):
            raise _refuse("这是二进制文件，不是文本", "this is a binary file, not text")
        return text
    raise _refuse(
        "无法识别文件编码（应为 UTF-8 或 GB18030 文本）",
        "the file's encoding is not recognised (expected UTF-8 or GB18030 text)",
    )


def _docx_text(content: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(
            "不是有效的 .docx 文件（压缩包损坏）", f"not a valid .docx file (bad archive: {exc})"
        ) from exc
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_DOCX_UNPACKED or (info.file_size > 1_000_000 and ratio > MAX_DOCX_RATIO):
            raise _refuse(
                "文件解压后异常巨大（疑似压缩炸弹），已拒绝",
                "the file unpacks to an abnormal size (a zip bomb?); refused",
            )
    if "word/document.xml" not in {m.filename for m in members}:
        raise _refuse("不是 Word (.docx) 文档", "not a Word (.docx) document")
    try:
        import docx

        document = docx.Document(io.BytesIO(content))
    except Exception as exc:  # python-docx raises many kinds of errors on malformed files
        raise _refuse("无法读取该 .docx 文件", f"cannot read this .docx file ({type(exc).__name__})") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _pdf_text(content: bytes) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise _refuse(f"PDF 超过 {MAX_PDF_PAGES} 页", f"the PDF has more than {MAX_PDF_PAGES} pages")
        pages = []
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            size += len(text)
            if size > MAX_TEXT_CHARS:
                raise _refuse("PDF 文字过多", "the PDF holds too much text")
            pages.append(text)
    except UnreadableDocument:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on malformed files
        raise _refuse("无法读取该 PDF 文件", f"cannot read this PDF file ({type(exc).__name__})") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise _refuse(
            "PDF 没有文字层（可能是扫描件），请先做文字识别",
            "the PDF has no text layer (a scan?); run OCR on it first",
        )
    return text


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
    reason: str
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


# --- the clean text and its map to the original ---------------------------------------------------

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_DASH_PAGE = re.compile(
    r"^\s*[-—–－]+\s*\d{1,4}\s*[-—–－]+\s*$|^\s*第\s*\d{1,4}\s*页\s*$|^\s*\[\d{1,3}\]\s*$"
)
_PERIODICAL = re.compile(r"20\d\d\s*年\s*第\s*\d{1,2}\s*期")


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class CleanText:
    """The text without line breaks and page furniture; ``pos[i]`` is the original offset of ``clean[i]``."""

    def __init__(self, original: str) -> None:
        self.original = original
        lines = original.splitlines(keepends=True)
        keys = Counter(re.sub(r"\d+", "#", ln.strip()) for ln in lines if len(ln.strip()) >= 8)
        out: list[str] = []
        pos: list[int] = []
        self.line_starts: list[int] = []
        offset = 0
        pending_space = False
        for ln in lines:
            self.line_starts.append(offset)
            stripped = ln.strip()
            junk = bool(
                stripped
                and (
                    _DASH_PAGE.match(stripped)
                    or (len(stripped) < 40 and _PERIODICAL.search(stripped))
                    or (len(stripped) >= 8 and keys[re.sub(r"\d+", "#", stripped)] >= 3)
                )
            )
            if not junk:
                for i, ch in enumerate(ln):
                    if ch.isspace() or ch == "\u3000":
                        # a space inside a line between two ASCII words or numbers is kept
                        if ch not in "\r\n" and out and _is_ascii_alnum(out[-1]):
                            pending_space = True
                        continue
                    c = chr(_FULLWIDTH.get(ord(ch), ord(ch)))
                    if pending_space and _is_ascii_alnum(c) and out and _is_ascii_alnum(out[-1]):
                        out.append(" ")
                        pos.append(offset + i - 1)
                    pending_space = False
                    out.append(c)
                    pos.append(offset + i)
            pending_space = False
            offset += len(ln)
        self.clean = "".join(out)
        self.pos = pos

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.pos[start], self.pos[end - 1] + 1

    def quote(self, start: int, end: int) -> str:
        """The original text of a clean span, line breaks removed and spaces kept as written."""
        a, b = self.original_span(start, end)
        raw = self.original[a:b]
        raw = re.sub(r"[ \t\u3000]*[\r\n]+[ \t\u3000\r\n]*", "", raw)
        return re.sub(r"[ \t\u3000]+", " ", raw).strip()

    def line_of(self, original_offset: int) -> int:
        return bisect.bisect_right(self.line_starts, original_offset)


# --- numbers ------------------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int | None:
    """A Chinese numeral below 10,000 (三千五百, 二十, 十一, 两), or None if it is not a well-formed one."""
    if not text:
        return None
    if all(ch in _CN_DIGITS for ch in text):  # 二〇二五 style: digit by digit
        return int("".join(str(_CN_DIGITS[ch]) for ch in text)) if len(text) > 1 else _CN_DIGITS[text]
    total, current, last_unit = 0, None, 10_000
    for ch in text:
        if ch in _CN_DIGITS:
            if current is not None and current != 0:
                return None
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            u = _CN_UNITS[ch]
            if u >= last_unit:
                return None
            total += (current if current is not None else 1) * u
            current, last_unit = None, u
        else:
            return None
    return total + (current or 0)


def to_decimal(text: str) -> Decimal | None:
    """An Arabic (1,500 / 3.7) or Chinese (三千 / 三点五) number as a Decimal."""
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        whole, _, frac = text.partition("点")
        value = chinese_number(whole)
        if value is None:
            return None
        if frac:
            if not all(ch in _CN_DIGITS for ch in frac):
                return None
            return Decimal(f"{value}.{''.join(str(_CN_DIGITS[ch]) for ch in frac)}")
        return Decimal(value)


def numbers_in(quote: str) -> set[Decimal]:
    """Every number a quote states, however written (full-width, 1,500, 三千, 百分之五, 全覆盖 = 100)."""
    text = unicodedata.normalize("NFKC", quote)
    found = {Decimal(m.replace(",", "")) for m in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)}
    for run in re.findall(r"[零〇一二两三四五六七八九十百千]+", text):
        value = chinese_number(run)
        if value is None and len(run) > 1:  # 十百千亿级: a run of several numerals
            found.update(Decimal(v) for ch in run if (v := chinese_number(ch)) is not None)
        elif value is not None:
            found.add(Decimal(value))
    for word, value in _WORD_VALUES.items():
        if word in text:
            found.add(Decimal(value))
    return found


_WORD_VALUES = {"全覆盖": 100, "全面实现": 100, "全部": 100, "翻一番": 2, "倍增": 2, "翻番": 2}

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CNUM = r"[零〇一二两三四五六七八九十百千]+(?:点[零〇一二两三四五六七八九]+)?"
_BASE_UNITS = [
    "公里/万平方公里", "公里/百平方公里", "微克/立方米", "吨标准煤/万元", "个百分点", "平方公里", "平方米",
    "立方米", "标准箱", "吨标准煤", "千瓦时", "人次", "千瓦", "兆瓦", "美元", "元", "人", "家", "个", "件",
    "项", "所", "座", "条", "台", "套", "处", "张", "辆", "艘", "名", "位", "户", "岁", "年", "天", "倍",
    "公里", "千米", "米", "吨", "亩", "床", "部", "种", "只", "支", "篇", "款", "%", "‰",
]  # fmt: skip
_SCALABLE = {"元", "美元", "人", "人次", "吨", "亩", "千瓦", "平方米", "标准箱", "户", "辆", "件", "家", "个", "台", "套", "张", "床", "千瓦时", "公里", "项", "名"}  # fmt: skip
_UNIT = "|".join(
    [f"(?:万亿|亿|万){re.escape(u)}" for u in sorted(_SCALABLE, key=len, reverse=True)]
    + [re.escape(u) for u in _BASE_UNITS]
)
_VALUE_RE = re.compile(
    rf"(?<![A-Za-z\d.])(?:"
    rf"百分之(?P<pct>{_NUM}|{_CNUM})"
    rf"|(?P<rnum>{_NUM})[∶:](?P<rden>{_NUM})(?![\d.])"
    rf"|(?P<lo>{_NUM}|{_CNUM})(?:—|–|-|~|～|至|到)(?P<hi>{_NUM}|{_CNUM})(?P<runit>{_UNIT})"
    rf"|(?P<lv>{_CNUM}|\d+)(?P<lvunit>万亿|亿)级"
    rf"|(?P<num>{_NUM}|{_CNUM})(?P<unit>{_UNIT})"
    rf")"
)
_WORD_RE = re.compile(
    r"全覆盖|全面实现|(?P<times>[二两三四五六七八九十\d]*)倍增|翻一番|翻番|一(?P<per>[城区县市镇园])一(?P<what>[^，。,；;、”\"]{1,4}?)(?=[”\"」]|建设|$)"
)

# --- words --------------------------------------------------------------------------------------

_VERBS = (
    "年均增长|年均提高|年均下降|年均增速|每年增长|年增长|"
    "达到|达|超过|超|突破|不低于|不少于|不高于|不超过|不多于|低于|高于|大于|少于|多于|"
    "控制在|保持在|稳定在|维持在|缩小到|缩小至|缩减到|降低到|降低至|降至|降到|下降到|下降至|"
    "提高到|提高至|提升到|提升至|增加到|增加至|增至|增长到|增长至|扩大到|扩大至|"
    "增长|提高|提升|下降|降低|减少|为|是|共有|拥有|有|各有|新增|累计|创建|新建|建成|建设|打造|培育|"
    "引进|形成|设立|组建|认定|集聚|布局|实现"
)
_PRE_RE = re.compile(rf"(?P<force>力争|争取|确保)?(?P<verb>{_VERBS})?(?P<adv>约|大约|近|接近|力争)?$")
_SUFFIX_RE = re.compile(r"^(以上|以内|以下|之内|左右|上下|内)")
_OBJECT_VERBS = {"创建", "新建", "建成", "建设", "打造", "培育", "引进", "形成", "设立", "组建", "认定", "集聚", "布局",
                 "新增", "累计", "共有", "拥有", "有", "实现"}  # fmt: skip
_GE = {"超过", "超", "突破", "不低于", "不少于", "高于", "大于", "多于"}
_LE = {"不高于", "不超过", "不多于", "低于", "少于", "控制在", "缩小到", "缩小至", "缩减到", "降低到", "降低至",
       "降至", "降到", "下降到", "下降至"}  # fmt: skip
_LEAD = re.compile(
    r"^(?:其中|并且|并|且|使|确保|力争|争取|努力|全面|基本|进一步|同时|以及|——|—|-|“|”|‘|’|\"|'|,|、|及|和|"
    r"谋划实施|谋划|实施|推动|推进|加快|积极|开展|逐步|总体|整体)+"
)
_YEAR_WORDS = re.compile(
    r"(?:到|至|截至|截止到|截止|在|于)?(?:20\d\d|19\d\d)\s*(?:[-—–~至到]\s*(?:20\d\d|19\d\d))?年(?:底|末|前|初|以来)?"
    r"|[“\"]?十[三四五六七八九]五[”\"]?(?:期间|时期|末|时期末)?|\d+年内|[一二三四五六七八九十]+年内"
)
_PAST_MARK = re.compile(r"现状|目前|现有|已经|已|截至|截止|同比|上年|去年|过去|季度|上半年|(?<!为)了|近年")
_FORECAST = re.compile(r"预计|预测|预期将|估计|有望|可能")
_GOAL_MARK = re.compile(r"力争|争取|确保|目标|将|要|每年|全覆盖|全面实现|倍增|翻一番|翻番")
_HEADING = re.compile(
    r"(?P<l0>第[一二三四五六七八九十]+[章节篇])|(?P<l1>(?<![\d.])[一二三四五六七八九十]{1,3}、)"
    r"|(?P<l2>\([一二三四五六七八九十]{1,3}\))|(?P<l3>(?<![\d.])\d{1,2}\.(?!\d))"
)
_PAST_SECTION = re.compile(
    r"^(?:发展|现实|工作|已有)?(?:基础|现状|成就|回顾|背景|进展|概况)|^.{0,10}(?:成效|成绩)|^[“\"]?十[一二三四五六七八九]五[”\"]?.{0,4}(?:成就|回顾|进展)"
)
_GOAL_SECTION = re.compile(r"目标|指标|任务|举措|重点|工程|行动")
_PLAN_HEADING = re.compile(r"(?:图解)?《(?P<title>[^》]{4,60}(?:规划|纲要|计划|方案|意见))》")
_REGION_NOUN = re.compile(r"^(?:新城|城市|区县|县市|个?地市|个?城市|区|县|市|省|镇)")
_ATTRIBUTIVE_NEXT = re.compile(r"^[\u4e00-\u9fffA-Za-z]")
_SENTENCE_END = re.compile(r"[。！？!?；;■▶]")
_CLAUSE_SEP = set("，,；;：:（）()")


# --- the reader ---------------------------------------------------------------------------------


@dataclass
class _Heading:
    start: int
    level: int
    title: str


@dataclass
class _YearMark:
    start: int
    end: int
    year: int | None  # the year it points at
    period: tuple[int, int] | None
    future: bool | None  # True: a target year; False: a past year; None: decide by the issue year
    relative: int | None = None  # N年内: N years from the issue year


def _fyp_period(n: int) -> tuple[int, int]:
    # the sixth five-year plan was 1981-1985, and every one since has followed the last
    end = 1955 + 5 * n
    return end - 4, end


_CN_SMALL = {"三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _year_marks(clean: str) -> list[_YearMark]:
    marks: list[_YearMark] = []
    for m in _YEAR_WORDS.finditer(clean):
        s = m.group()
        fyp = re.search(r"十([三四五六七八九])五", s)
        if fyp:
            a, b = _fyp_period(10 + _CN_SMALL[fyp.group(1)])
            marks.append(_YearMark(m.start(), m.end(), b, (a, b), None))
            continue
        rel = re.match(r"(\d+|[一二三四五六七八九十]+)年内", s)
        if rel:
            n = to_decimal(rel.group(1))
            if n is not None and 0 < n <= 15:
                marks.append(_YearMark(m.start(), m.end(), None, None, True, int(n)))
            continue
        years = [int(y) for y in re.findall(r"(?:19|20)\d\d", s)]
        if len(years) == 2:
            marks.append(_YearMark(m.start(), m.end(), years[1], (years[0], years[1]), False))
            continue
        future: bool | None = None
        if re.match(r"(到|至)", s) or s.endswith("前"):
            future = True
        elif re.match(r"(截至|截止|于)", s) or s.endswith(("底", "末", "以来")):
            future = None if s.startswith("到") else False
        marks.append(_YearMark(m.start(), m.end(), years[0], None, future))
    for m in re.finditer(r"(20\d\d)年远景目标|远景目标", clean):
        marks.append(_YearMark(m.start(), m.end(), int(m.group(1)) if m.group(1) else 2035, None, True))
    marks.sort(key=lambda x: x.start)
    return marks


def _infer_issued(clean: str, marks: list[_YearMark]) -> int | None:
    head = clean[:400]
    dated = re.search(r"((?:19|20)\d\d)年\d{1,2}月", head)
    if dated:
        return int(dated.group(1))
    fyps = [mk for mk in marks if mk.period and mk.future is None]
    if fyps:
        return fyps[0].period[0] if fyps[0].period else None
    return None


@dataclass
class _Ctx:
    vocab: Vocabulary
    text: CleanText
    issued: int | None
    horizon: int | None
    scope: str | None
    marks: list[_YearMark]
    mark_starts: list[int]
    headings: list[_Heading]
    heading_starts: list[int]
    plan_titles: list[tuple[int, str, str | None]]  # (start, title, region)


def read_plan(text: str, vocab: Vocabulary, hints: PlanHints | None = None) -> Reading:
    """Propose the targets and baselines a plan's text states."""
    hints = hints or PlanHints()
    ct = CleanText(text)
    clean = ct.clean
    marks = _year_marks(clean)
    issued = hints.issued_year or _infer_issued(clean, marks)
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
    scope = hints.region_code or _scope_region(vocab, hints.title, clean)
    headings = _headings(ct)
    plan_titles = [
        (m.start(), m.group("title"), _first_region(vocab, m.group("title")))
        for m in _PLAN_HEADING.finditer(clean)
        if _own_line(ct, m.start(), m.end())
    ]
    ctx = _Ctx(vocab, ct, issued, horizon, scope, marks, [m.start for m in marks], headings,
               [h.start for h in headings], plan_titles)  # fmt: skip
    proposals: list[Proposal] = []
    for a, b in _sentences(clean):
        proposals.extend(_read_sentence(ctx, a, b))
    proposals.extend(_read_tables(ctx))
    proposals = _dedupe(proposals)
    _link_baselines(proposals)
    for p in proposals:
        p.plan_title = p.plan_title or hints.title
    notes = []
    if issued is None:
        notes.append("issue year unknown: past and future years told apart by wording only")
    return Reading(proposals, len(text), issued, horizon, scope, notes)


def _own_line(ct: CleanText, start: int, end: int) -> bool:
    """Whether a clean span stands on line(s) of its own in the original (a heading, not a citation)."""
    a, b = ct.original_span(start, end)
    before = ct.original[max(0, a - 40) : a]
    after = ct.original[b : b + 40]
    return (not before.strip(" \t\u3000") or before.rstrip(" \t\u3000").endswith("\n")) and (
        not after.strip(" \t\u3000") or after.lstrip(" \t\u3000").startswith(("\n", "\r"))
    )


_LEVEL_RANK = {"area": 6, "district": 5, "county": 5, "city": 4, "province": 3, "zone": 2, "country": 1}


def _first_region(vocab: Vocabulary, text: str | None) -> str | None:
    """The most specific region a title names (杭州市落实长三角… -> 杭州市), the first one on a tie."""
    if not text:
        return None
    found = list(dict.fromkeys(code for _, _, code in vocab.regions_in(_norm_term(text))))
    if not found:
        return None
    # a region inside another one named (上海市五个新城 -> the five new cities) is the more specific
    inner = [c for c in found if not any(vocab.within(o, c) for o in found)]
    return max(inner or found, key=lambda c: (_LEVEL_RANK.get(vocab.regions[c].level, 0), -found.index(c)))


def _scope_region(vocab: Vocabulary, title: str | None, clean: str) -> str | None:
    return _first_region(vocab, title) or _first_region(vocab, clean[:300])


def _sentences(clean: str) -> Iterable[tuple[int, int]]:
    start = 0
    for m in _SENTENCE_END.finditer(clean):
        if m.end() - start > 1:
            yield start, m.end()
        start = m.end()
    if start < len(clean):
        yield start, len(clean)


def _headings(ct: CleanText) -> list[_Heading]:
    clean = ct.clean
    out = []
    for m in _HEADING.finditer(clean):
        s = m.start()
        line_start = (
            not ct.original[max(0, ct.pos[s] - 20) : ct.pos[s]].strip(" \t\u3000").rpartition("\n")[2]
        )
        if (
            s > 0
            and not line_start
            and clean[s - 1] not in '。；;！!？?■”"》:：'
            and not _looks_like_heading_start(clean, s)
        ):
            continue
        level = 0 if m.group("l0") else 1 if m.group("l1") else 2 if m.group("l2") else 3
        # a heading's title is the rest of its line in the original (lines are joined in the clean text)
        o_end = ct.pos[m.end() - 1] + 1
        nl = ct.original.find("\n", o_end)
        rest = re.sub(r"\s+", "", ct.original[o_end : nl if 0 <= nl < o_end + 60 else o_end + 60])
        title = (
            re.split(r"[，,。；;：:]", rest)[0][:30]
            or re.split(r"[，,。；;：:]", clean[m.end() : m.end() + 30])[0]
        )
        if re.match(r"^[.…·]{3,}|.*\.{4,}", clean[m.end() : m.end() + 40]):  # table of contents
            continue
        out.append(_Heading(s, level, title))
    return out


def _looks_like_heading_start(clean: str, s: int) -> bool:
    # a heading glued to the text before it when lines were joined: only after a heading-like word
    return bool(
        re.search(r"(目标|基础|重点|举措|原则|要求|背景|意义|发展|建设|任务)$", clean[max(0, s - 6) : s])
    )


def _section(ctx: _Ctx, pos: int) -> tuple[str | None, str | None, str | None, int | None]:
    """(section kind 'past'/'goal', section region, chapter title, section start) at a position."""
    i = bisect.bisect_right(ctx.heading_starts, pos) - 1
    kind: str | None = None
    region: str | None = None
    chapter: list[str] = []
    start: int | None = None
    level_seen = 99
    while i >= 0 and level_seen > 0:
        h = ctx.headings[i]
        if h.level < level_seen:
            level_seen = h.level
            chapter.insert(0, h.title[:20])
            if start is None:
                start = h.start
            if kind is None:
                if _PAST_SECTION.search(h.title[:14]):
                    kind = "past"
                elif _GOAL_SECTION.search(h.title[:8]):
                    kind = "goal"
            if region is None:
                found = ctx.vocab.regions_in(h.title[:10])
                if found and found[0][0] == 0:
                    region = found[0][2]
        i -= 1
    # a plan named in a heading (a magazine quoting several plans) starts a new section
    for t_start, _title, t_region in reversed(ctx.plan_titles):
        if t_start <= pos:
            if start is None or t_start > start:
                kind, chapter, start = None, [], t_start
                region = region or t_region
            elif region is None:
                region = t_region
            break
    return kind, region, " / ".join(chapter) or None, start


def _plan_title_at(ctx: _Ctx, pos: int) -> str | None:
    for t_start, title, _ in reversed(ctx.plan_titles):
        if t_start <= pos:
            return title
    return None


@dataclass
class _Mention:
    start: int  # clean offsets of the figure
    end: int
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    unit: str
    ratio: bool = False
    word: str | None = None  # 全覆盖 / 倍增 / 一城一园 ...
    times: int | None = None
    per: str | None = None
    what: str | None = None


def _mentions(clean: str, a: int, b: int) -> list[_Mention]:
    s = clean[a:b]
    out: list[_Mention] = []
    for m in _VALUE_RE.finditer(s):
        st, en = a + m.start(), a + m.end()
        if m.group("pct") is not None:
            v = to_decimal(m.group("pct"))
            if v is not None:
                out.append(_Mention(st, en, v, None, None, "%"))
        elif m.group("rnum") is not None:
            if m.group("rden") not in ("1", "1.0"):
                continue
            out.append(_Mention(st, en, to_decimal(m.group("rnum")), None, None, "倍", ratio=True))
        elif m.group("lo") is not None:
            lo, hi = to_decimal(m.group("lo")), to_decimal(m.group("hi"))
            unit = m.group("runit")
            if lo is None or hi is None or lo >= hi or _is_year(hi, unit):
                continue
            out.append(_Mention(st, en, None, lo, hi, unit))
        elif m.group("lv") is not None:
            v = to_decimal(m.group("lv"))
            if v is not None and v > 1:
                scale = Decimal(10_000) if m.group("lvunit") == "万亿" else Decimal(1)
                out.append(_Mention(st, en, v * scale, None, None, "亿元", word="级"))
        else:
            raw, unit = m.group("num"), m.group("unit")
            v = to_decimal(raw)
            if v is None or _is_year(v, unit):
                continue
            # 一个 / 三年 / 五个新城: articles, durations and counts of places, unless a goal word is next to them
            if not raw[0].isdigit() and (
                v < 1
                or (
                    len(raw) == 1
                    and unit in ("年", "个", "家", "条", "项", "批", "种")
                    and not (
                        _SUFFIX_RE.match(s[m.end() :])
                        or _GOAL_VERB.search(s[max(0, m.start() - 3) : m.start()])
                    )
                )
            ):
                continue
            if s[max(0, m.start() - 1) : m.start()] == "第":
                continue  # 第十五个五年规划: an ordinal
            if unit == "年" and re.match(r"^(内|来|间|前|后|多|期|以来|行动|计划)", s[m.end() :]):
                continue
            if unit in ("个", "座", "所") and _REGION_NOUN.match(s[m.end() :]):
                continue  # 4个新城: a count of regions
            out.append(_Mention(st, en, v, None, None, unit))
    for m in _WORD_RE.finditer(s):
        st, en = a + m.start(), a + m.end()
        word = m.group()
        if word in ("全覆盖", "全面实现"):
            out.append(_Mention(st, en, Decimal(100), None, None, "%", word="全覆盖"))
        elif m.group("per"):
            out.append(_Mention(st, en, Decimal(1), None, None, "个", word="一城一", per=m.group("per"),
                                what=m.group("what")))  # fmt: skip
        else:
            times_s = m.group("times") or ""
            times = to_decimal(times_s) if times_s else None
            out.append(_Mention(st, en, Decimal(2), None, None, "倍", word="倍增",
                                times=int(times) if times is not None else None))  # fmt: skip
    # a figure inside a word (the 六倍 of 六倍增) is dropped
    words = [(mt.start, mt.end) for mt in out if mt.word and mt.word != "级"]
    out = [mt for mt in out if mt.word or not any(s0 < mt.end and mt.start < e0 for s0, e0 in words)]
    out.sort(key=lambda x: x.start)
    return out


def _is_year(v: Decimal, unit: str) -> bool:
    return unit == "年" and v == v.to_integral_value() and 1900 <= v <= 2100


def _clause_bounds(clean: str, a: int, b: int, pos: int) -> tuple[int, int]:
    s = pos
    while s > a and clean[s - 1] not in _CLAUSE_SEP:
        s -= 1
    e = pos
    while e < b and clean[e] not in _CLAUSE_SEP and clean[e] not in "。！？!?；;":
        e += 1
    return s, e


def _strip_lead(text: str) -> str:
    # what stands before a year, a title or a heading's end is not part of the subject (lines were joined)
    cut = max(
        (
            m.end()
            for m in _YEAR_WORDS.finditer(text)
            if m.start() == 0 or text[m.start() - 1] not in "较比与"
        ),
        default=0,
    )
    cut = max(cut, text.rfind("》") + 1)
    text = text[cut:]
    prev = None
    while prev != text:
        prev = text
        text = _LEAD.sub("", text)
        text = _YEAR_WORDS.sub("", text, count=1) if _YEAR_WORDS.match(text) else text
        text = re.sub(r"^\(?[一二三四五六七八九十\d]{1,3}[)、.]", "", text)
    return text


def _remove_regions(vocab: Vocabulary, text: str) -> tuple[str, list[str]]:
    found = vocab.regions_in(text)
    codes = [c for _, _, c in found]
    for s, e, _ in sorted(found, reverse=True):
        text = text[:s] + text[e:]
    if codes:
        text = re.sub(
            r"[、，,和及与]|等(?:\d+|[一二三四五六七八九十])?[座个]?(?:城市|地区|省市|区县)?", "", text
        )
        text = _LEAD.sub("", text)
    text = re.sub(r"^(?:其他|其余|各|每个|全|全市|全省|全区|区域|地区|总体|全域)+", "", text)
    text = re.sub(r"^\d+个|^[一二三四五六七八九十]个", "", text)
    return text, codes


_GROWTH_VERBS = {
    "年均增长",
    "年均提高",
    "年均增速",
    "年均下降",
    "每年增长",
    "年增长",
    "增长",
    "提高",
    "下降",
    "降低",
    "减少",
}
_GROWTH_TAIL = re.compile(r"(年均增长|年均增速|年均提高|年均下降|每年增长|年增长|增速|增长)$")
_WEAK_VERBS = {"为", "是", "有", "共有", "拥有", "各有", ""}
_GOAL_VERB = re.compile(
    r"新建|新增|建成|创建|打造|培育|引进|力争|确保|争取|达到|突破|超过|不低于|不少于|控制在"
)
_NEGATION = re.compile(r"未能|尚未|没有|未|不能|难以")


@dataclass
class _Clause:
    cs: int  # clean offsets of the clause
    ce: int
    pre: str  # the clause's text before the figure
    subject_raw: str  # pre without its predicate
    verb: str
    force: str
    adv: str
    suffix: str
    post: str  # after the figure and its qualifier, to the end of the clause
    growth: str  # 年均增长 / 增长 / … when the figure is a rate of growth
    continuation: bool  # a further figure of a list in the same clause

    @property
    def evidence(self) -> bool:
        """Whether the wording makes the figure a goal (达到, 以上, 力争, 年均增长 …) rather than a statement."""
        return bool(
            self.verb not in _WEAK_VERBS
            or self.suffix
            or self.force
            or self.adv
            or self.growth
            or _GOAL_VERB.search(self.pre)
        )


@dataclass
class _State:
    """What the clauses of one sentence pass on to the next ones."""

    subject: str | None = None
    indicator: tuple[str, str, str] | None = None
    distribute: list[str] = field(default_factory=list)
    group: list[Proposal] = field(default_factory=list)
    group_end: int = -1


def _clause(ctx: _Ctx, a: int, b: int, mt: _Mention, state: _State) -> _Clause:
    clean = ctx.text.clean
    cs, ce = _clause_bounds(clean, a, b, mt.start)
    pre = clean[cs : mt.start]
    post = clean[mt.end : ce]
    sm = _SUFFIX_RE.match(post)
    suffix = sm.group() if sm else ""
    continuation = False
    soft = max(pre.rfind("、"), pre.rfind("和"), pre.rfind("及"))
    if (
        soft >= 0
        and state.group
        and state.group_end >= cs
        and re.fullmatch(r"(?:力争|争取)?(?:达到|为)?(?:约|近)?", pre[soft + 1 :])
    ):
        continuation = True
        pre = pre[soft + 1 :]
    pm = _PRE_RE.search(pre)
    assert pm is not None
    verb = pm.group("verb") or ""
    subject_raw = pre[: pm.start()]
    growth = verb if verb in _GROWTH_VERBS else ""
    if not growth and verb and verb not in _WEAK_VERBS:
        gm = _GROWTH_TAIL.search(subject_raw)  # 年均增长不低于25%
        if gm:
            growth = gm.group()
            subject_raw = subject_raw[: gm.start()]
    return _Clause(cs, ce, pre, subject_raw, verb, pm.group("force") or "", pm.group("adv") or "", suffix,
                   post[len(suffix) :], growth, continuation)  # fmt: skip


def _read_sentence(ctx: _Ctx, a: int, b: int) -> list[Proposal]:
    clean = ctx.text.clean
    mentions = _mentions(clean, a, b)
    if not mentions:
        return []
    out: list[Proposal] = []
    state = _State()
    for mt in mentions:
        cl = _clause(ctx, a, b, mt, state)
        if _NEGATION.search(cl.pre[-6:]) or _FORECAST.search(clean[cl.cs : mt.start]):
            continue
        if mt.word == "倍增":
            props = _doubling(ctx, a, b, cl, mt)
        elif mt.word == "一城一":
            props = _per_member(ctx, a, cl, mt)
        else:
            props = _propose(ctx, a, b, cl, mt, state)
        if props:
            state.group = props
            state.group_end = mt.end
            out.extend(props)
    return out


def _propose(ctx: _Ctx, a: int, b: int, cl: _Clause, mt: _Mention, state: _State) -> list[Proposal]:
    vocab = ctx.vocab
    clean = ctx.text.clean
    reasons: list[str] = []
    quote_start, quote_end = cl.cs, mt.end + len(cl.suffix)
    stretch_only = "力争" in cl.pre

    if cl.continuation:
        first = state.group[0]
        if "力争" in cl.pre and mt.unit == first.unit and mt.value is not None:
            # 年均增长6%以上、力争8%以上: the second figure is the stretch value of the first
            for p in state.group:
                p.stretch_value = mt.value
                p.end = ctx.text.original_span(mt.start, quote_end)[1]
                p.quote = ctx.text.quote(bisect.bisect_left(ctx.text.pos, p.start), quote_end)
            state.group_end = mt.end
            return []
        if not state.distribute:
            return []
        listed = [state.distribute.pop(0)]
        carried = state.indicator
        quote_start = bisect.bisect_left(ctx.text.pos, first.start)
        kind, year, period, year_reason, year_strength = _year_for(ctx, a, mt.start)
        section_kind, _r, chapter, _s = _section(ctx, mt.start)
        if kind is None:
            kind = "baseline" if section_kind == "past" or not cl.evidence else "target"
        if carried is None or year is None:
            return []
        reasons.append(f"one of a list of figures ({clean[a : cl.cs][-12:]}…分别); indicator {carried[1]}")
        return _build(ctx, a, b, mt, cl, kind, carried, None, listed, year, period, year_reason,
                      year_strength, reasons, quote_start, quote_end, chapter, inherited=True)  # fmt: skip

    # figures that describe a noun (发布的45个集群名单, 3.7%的国土面积) state nothing
    if not mt.word and (cl.post.startswith("的") or (
        not cl.suffix and cl.verb in _WEAK_VERBS and _ATTRIBUTIVE_NEXT.match(cl.post)
        and (cl.subject_raw.endswith("的") or not cl.subject_raw or cl.verb == "")
    )):  # fmt: skip
        return []

    subject = _strip_lead(cl.subject_raw)
    regions: list[str] = []
    # regions sharing the figures: 江苏、浙江和安徽分别为…; 上海、苏州、无锡各有3个
    dist = re.search(r"(?:等\d+座城市|等\d+个城市|等)?(分别|各)$", subject)
    if dist or cl.verb == "各有":
        head = subject[: dist.start()] if dist else subject
        codes = [c for _, _, c in vocab.regions_in(head)]
        if len(codes) >= 2 or (codes and cl.verb == "各有"):
            if dist and dist.group(1) == "分别":
                regions, state.distribute = [codes[0]], codes[1:]
            else:
                regions = codes
            subject = _remove_regions(vocab, head)[0]
    object_phrase = ""
    if mt.word == "级":
        if re.search(r"(一批|若干|多个|一系列|一些)$", cl.pre):
            return []  # 形成一批千亿级产业集群: no one subject to measure
        object_phrase = cl.post
        quote_end = cl.ce
    elif cl.verb in _OBJECT_VERBS and not _remove_regions(vocab, subject)[0].strip("每年"):
        object_phrase = cl.post  # 打造15家以上国际知名的金融科技领军企业
        quote_end = cl.ce
    # -- year, and target or baseline
    kind, year, period, year_reason, year_strength = _year_for(ctx, a, mt.start)
    section_kind, _section_region, chapter, _ = _section(ctx, mt.start)
    before_in_clause = clean[cl.cs : mt.start]
    past = [m.end() for m in _PAST_MARK.finditer(clean, a, mt.start)]
    if past and not _GOAL_MARK.search(before_in_clause):
        # 目前… / 现状… after the last year stated: a figure of the present, not a goal
        year_at = max((mk.end for mk in ctx.marks if a <= mk.start < mt.start), default=-1)
        if past[-1] > year_at:
            kind = "baseline"
    if kind is None:
        if section_kind == "past":
            kind = "baseline"
        elif cl.evidence or mt.word or _GOAL_MARK.search(before_in_clause) or section_kind == "goal":
            kind = "target"
        else:
            return []
    if kind == "target" and not (cl.evidence or mt.word or object_phrase):
        return []  # 为 / 有 with a future year is a forecast or a statement, not a goal
    if kind == "baseline" and re.search(r"季度|上半年|下半年|\d+月", before_in_clause):
        return []  # a figure for part of a year is not a baseline of a yearly indicator
    # -- the indicator
    growth = bool(cl.growth)
    phrase = object_phrase or subject
    if mt.word == "全覆盖":
        lead = re.sub(r"^(?:逐步|全面|基本|率先)?实现", "", subject)
        if clean[mt.start : mt.end] == "全面实现":
            quote_end = cl.ce
        if lead:
            phrase = lead + (clean[mt.end : cl.ce] if clean[mt.start : mt.end] == "全面实现" else "覆盖")
        else:
            phrase = ""
    matched = None
    inherited = False
    unit = None if growth else mt.unit
    own = _remove_regions(vocab, phrase)[0]
    if own:
        matched = vocab.match_indicator(phrase, unit, growth=growth and kind == "baseline")
        if matched is None and growth and kind == "baseline":
            matched = vocab.match_indicator(phrase + "增长", None, growth=True)
    if matched is None and state.indicator is not None and (not own or object_phrase):
        matched, inherited = state.indicator, True
        phrase = state.subject or phrase
        if growth and kind == "baseline":
            matched = vocab.match_indicator(vocab.indicators[matched[0]].name + "增长", None, growth=True)
    elif matched is None and (not own or object_phrase):
        # the indicator is named in an earlier clause (开展园区循环化改造，逐步实现全覆盖)
        earlier = clean[a : cl.cs]
        matched = vocab.match_indicator(
            earlier, None if growth else ("%" if mt.word else mt.unit), whole=False
        )
        if matched is not None:
            inherited = True
            at = earlier.rfind(matched[2])
            if at >= 0 and mt.word:
                quote_start = _clause_bounds(clean, a, b, a + at)[0]
            reasons.append(f"indicator named earlier in the sentence ({matched[1]})")
    new_name = None
    if matched is None:
        new_name = _new_indicator_name(phrase)
        # a new indicator is proposed only for a dated goal in plain words
        if not new_name or kind == "baseline" or year is None or year_strength < 1:
            return []
        if mt.word == "级" or clean[mt.start : mt.end] == "全面实现":
            return []  # an order of magnitude, or 全面实现 (often qualitative), only for a known indicator
    # (a growth goal stays on the level indicator, 产值年均增长25% -> industrial_output, as the catalog has it;
    # a growth baseline is an observation, so it goes to the growth-rate indicator)
    state.subject = phrase if not inherited else state.subject or phrase
    state.indicator = matched
    if not regions:
        regions = _region_codes(ctx, a, cl, subject, mt)
    return _build(ctx, a, b, mt, cl, kind, matched, new_name, regions, year, period, year_reason, year_strength,
                  reasons, quote_start, quote_end, chapter, inherited=inherited, stretch_only=stretch_only)  # fmt: skip


def _build(
    ctx: _Ctx, a: int, b: int, mt: _Mention, cl: _Clause, kind: str, matched: tuple[str, str, str] | None,
    new_name: str | None, regions: list[str], year: int | None, period: tuple[int, int] | None,
    year_reason: str, year_strength: int, reasons: list[str], quote_start: int, quote_end: int,
    chapter: str | None, *, inherited: bool = False, stretch_only: bool = False,
) -> list[Proposal]:  # fmt: skip
    vocab = ctx.vocab
    clean = ctx.text.clean
    if year is None and kind == "target" and ctx.horizon is not None:
        year, year_reason, year_strength = ctx.horizon, f"no year stated; the plan's horizon {ctx.horizon}", 0
    if year is None:
        return []
    ind = vocab.indicators[matched[0]] if matched else None
    comparator = _comparator(cl.verb, cl.adv, cl.suffix, mt, bool(ind and ind.direction == "down"), kind)
    form = _form(cl, mt, ind, kind)
    value = mt.value
    reference_year = None
    rel = re.search(r"(?:较|比)((?:19|20)\d\d)年", clean[cl.cs : mt.start])
    if rel and kind == "target":
        reference_year = int(rel.group(1))
        form = "relative_change"
        if re.search(r"下降|降低|减少", cl.pre) and value is not None:
            value = -value
            comparator = "<=" if comparator in (">=", "=") else comparator
    elif form in ("avg_annual_growth", "multiple"):
        reference_year = _base_year(ctx, period)
    if reference_year is not None and reference_year >= year:
        reference_year = None
    strength = 2
    if matched is None:
        reasons.append(f"new indicator proposed: '{new_name}'")
        strength = 1
    elif not inherited:
        reasons.append(f"indicator matched by {matched[1]}")
        if not matched[1].startswith(("name", "synonym", "share")):
            strength = 1
    elif not any("indicator" in r for r in reasons):
        reasons.append(f"indicator carried over from the clause before ({matched[1]})")
        strength = 1
    reasons.append(year_reason)
    strength = min(strength, year_strength + 1)
    if stretch_only and kind == "target":
        reasons.append("only a 力争 (stretch) figure is given")
        strength = min(strength, 1)
    if mt.word == "级":
        comparator = ">="
        reasons.append(f"'{clean[mt.start : mt.end]}' read as at least {figure(value)} 亿元")
        strength = 0
    if not regions:
        reasons.append("region unknown")
        strength = min(strength, 1)
    confidence = ("low", "medium", "high")[max(0, min(2, strength))]
    quote_start = _after_heading(clean, quote_start, mt.start)
    o_start, o_end = ctx.text.original_span(quote_start, quote_end)
    quote = ctx.text.quote(quote_start, quote_end)
    sentence = ctx.text.quote(a, b)
    return [
        Proposal(
            kind=kind, indicator_code=ind.code if ind else None, indicator=ind.name if ind else (new_name or ""),
            region_code=region, comparator=comparator, value=value, unit=mt.unit, target_year=year,
            declared_form=form, quote=quote, start=o_start, end=o_end, line=ctx.text.line_of(o_start),
            sentence=sentence, confidence=confidence, reason="; ".join(r for r in reasons if r), low=mt.low,
            high=mt.high, reference_year=reference_year if kind == "target" else None,
            period=period if kind == "baseline" else None, chapter=chapter, plan_title=_plan_title_at(ctx, mt.start),
        )
        for region in _or_none(regions)
    ]  # fmt: skip


def _or_none(regions: list[str]) -> list[str | None]:
    return list(regions) if regions else [None]


def _new_indicator_name(phrase: str) -> str | None:
    name = re.sub(r"^(?:的|了|在|为|和|与|及|对|使|将|把|其|该|各类|一批|若干|多个)+", "", phrase)
    name = re.sub(r"[“”‘’\"'《》]", "", name)
    name = re.split(r"(?:达到|超过|突破|不低于|控制在)", name)[0]
    name = re.sub(r"(?:每年|年均|累计)$", "", name)
    if len(name) < 2 or len(name) > 30 or not re.search(r"[\u4e00-\u9fff]", name):
        return None
    if re.search(r"\d", name) and not re.search(r"5G|PM2\.5|R&D", name):
        return None
    return name


def _region_codes(ctx: _Ctx, a: int, cl: _Clause, subject: str, mt: _Mention) -> list[str]:
    vocab = ctx.vocab
    clean = ctx.text.clean
    before = clean[a : cl.cs]
    # 其他4个新城: the members of a zone not named before, when their number agrees
    others = re.search(r"(?:其他|其余)(\d+|[一二三四五六七八九十])个(\S{2,4}?)(?:年均|$|达到|的)", subject)
    if others:
        zone = vocab.regions.get(vocab._region_by_name.get(others.group(2), ""))
        if zone and zone.members:
            named = {c for _, _, c in vocab.regions_in(before)}
            rest = [m for m in zone.members if m not in named]
            n = to_decimal(others.group(1))
            if n is not None and len(rest) == int(n):
                return rest
    found = vocab.regions_in(subject)
    if found:
        return [found[0][2]]
    # a clause of the sentence that names a region and states no figure is its topic (南汇新城按照…，产值达到…)
    # (a later clause that names its own region and figure ends the topic's reach)
    start = cl.cs
    while start > a:
        end = start - 1
        start = _clause_bounds(clean, a, end, end)[0]
        clause = _strip_lead(clean[start:end])
        found = vocab.regions_in(clause)
        at_start = bool(found and found[0][0] == 0) or bool(re.match(r"(?:其他|其余)", clause))
        if _VALUE_RE.search(clause):
            if at_start:
                break
            continue
        if at_start and found:
            return [found[0][2]]
    _kind, section_region, _chapter, _ = _section(ctx, mt.start)
    if section_region:
        return [section_region]
    return [ctx.scope] if ctx.scope else []


def _year_for(ctx: _Ctx, a: int, pos: int) -> tuple[str | None, int | None, tuple[int, int] | None, str, int]:
    """(kind, year, period, reason, strength 0..2) for a figure at ``pos`` in the sentence starting at ``a``."""
    clean = ctx.text.clean
    i = bisect.bisect_right(ctx.mark_starts, pos) - 1
    # a year in the same sentence before the figure (较2017年 is a reference year, not the figure's year)
    k = i
    while k >= 0 and ctx.marks[k].start >= a:
        mk = ctx.marks[k]
        if (
            clean[max(0, mk.start - 1) : mk.start] in ("较", "比", "与")
            or clean[mk.end : mk.end + 2] == "相比"
        ):
            k -= 1
            continue
        # two year headings side by side (到2025年到2035年, two columns): the first governs the text below
        if k > 0 and ctx.marks[k - 1].end == mk.start and ctx.marks[k - 1].future and mk.future:
            mk = ctx.marks[k - 1]
        if mk.year is None:
            return None, None, None, "", 0
        said = clean[mk.start : mk.end]
        if mk.future:
            return "target", mk.year, mk.period, f"year from '{said}' in the sentence", 2
        return "baseline", mk.year, mk.period, f"year from '{said}' in the sentence", 2
    # a governing year heading in the sentences before, within the same section
    section_kind, _region, _chapter, section_start = _section(ctx, pos)
    j = i
    while j >= 0:
        mk = ctx.marks[j]
        if pos - mk.end > 1500 or (section_start is not None and mk.start < section_start):
            break
        if mk.future and mk.year and _governs(clean, mk):
            if j > 0 and ctx.marks[j - 1].end == mk.start and ctx.marks[j - 1].future:
                mk = ctx.marks[j - 1]
            return "target", mk.year, mk.period, f"under the heading '{clean[mk.start : mk.end]}'", 1
        j -= 1
    # an undated figure of a 发展基础 section: the latest past year stated in that section
    if section_kind == "past":
        root = _section_root(ctx, pos)
        j = i
        while j >= 0 and ctx.marks[j].start >= root:
            mk = ctx.marks[j]
            if mk.future is False and mk.year:
                return "baseline", mk.year, None, f"undated; the latest year in its section is {mk.year}", 1
            j -= 1
        if ctx.issued:
            return (
                "baseline",
                ctx.issued - 1,
                None,
                f"undated; the year before the plan ({ctx.issued - 1})",
                0,
            )
    return None, None, None, "", 0


def _section_root(ctx: _Ctx, pos: int) -> int:
    # the start of the level-1/2 section holding pos
    i = bisect.bisect_right(ctx.heading_starts, pos) - 1
    while i >= 0:
        if ctx.headings[i].level <= 2:
            return ctx.headings[i].start
        i -= 1
    return 0


def _governs(clean: str, mk: _YearMark) -> bool:
    # 到2025年， / "十四五"期间 / 2035年远景目标: worded as the horizon of what follows
    said = clean[mk.start : mk.end]
    if mk.period and mk.future is not False and "十" in said:
        return True
    if not (said.startswith(("到", "至")) or said.endswith("前") or "远景" in clean[mk.start : mk.end + 4]):
        return False
    return clean[mk.end : mk.end + 1] in ("，", ",", "：", ":", "", "到", "。") or "远景" in said


def _base_year(ctx: _Ctx, period: tuple[int, int] | None) -> int | None:
    if period:
        return period[0] - 1
    return ctx.issued - 1 if ctx.issued else None


def _comparator(verb: str, adv: str, suffix: str, mt: _Mention, down: bool, kind: str) -> str:
    if mt.low is not None:
        return "range"
    if mt.word == "全覆盖":
        return ">="
    if mt.word == "倍增":
        return ">="
    if suffix in ("左右", "上下") or adv in ("约", "大约", "近", "接近"):
        return "~"
    if suffix == "以上" or verb in _GE:
        return ">="
    if suffix in ("以内", "以下", "之内", "内") or verb in _LE:
        return "<="
    if kind == "baseline":
        return "="
    return "<=" if down else ">="


def _form(cl: _Clause, mt: _Mention, ind: IndicatorTerm | None, kind: str) -> str:
    if mt.word == "全覆盖":
        return "full_coverage"
    if mt.word == "倍增":
        return "multiple"
    if mt.ratio:
        return "ratio"
    if cl.growth and kind == "target" and mt.unit == "%":
        if cl.growth.startswith("年均"):
            return "avg_annual_growth"
        if cl.growth in ("每年增长", "年增长"):
            return "annual_growth"
        return "relative_change"
    subject = cl.subject_raw + cl.post
    if mt.unit == "%" and (
        (ind and ind.kind == "share") or re.search(r"(率|比重|占比|比例)", cl.subject_raw[-4:])
    ):
        return "share"
    if (
        kind == "target"
        and re.search(r"新增|累计|创建|新建", cl.subject_raw + cl.verb)
        and "每年" not in subject
    ):
        return "cumulative"
    return "level"


def _after_heading(clean: str, start: int, limit: int) -> int:
    """Skip a heading glued in front of a quote (…建设1.推进“一城一名园”建设 -> 推进…)."""
    last = None
    for m in _HEADING.finditer(clean, start, limit):
        last = m
    return last.end() if last is not None else start


def _doubling(ctx: _Ctx, a: int, b: int, cl: _Clause, mt: _Mention) -> list[Proposal]:
    """规上工业企业、…、新引进项目投资额“六倍增”: every subject of the list doubles."""
    clean = ctx.text.clean
    vocab = ctx.vocab
    head = _strip_lead(clean[cl.cs : mt.start].rstrip("“\"'‘"))
    items = [x for x in re.split(r"、|和|及|与", head) if x]
    kind, year, _period, year_reason, _strength = _year_for(ctx, a, mt.start)
    if not items or kind == "baseline" or _PAST_MARK.search(head):
        return []
    rel = re.search(r"(?:较|比)((?:19|20)\d\d)年", clean[a : mt.start])
    if year is None:
        year, year_reason = ctx.horizon, f"no year stated; the plan's horizon {ctx.horizon}"
    if year is None:
        return []
    reference = int(rel.group(1)) if rel else _base_year(ctx, None)
    count_ok = mt.times is None or mt.times == len(items)
    q_end = mt.end + (3 if clean[mt.end : mt.end + 3] == "”计划" else 0)
    out = []
    for item in items:
        matched = vocab.match_indicator(item, None)
        if matched is None:
            continue
        ind = vocab.indicators[matched[0]]
        item_pos = clean.find(item, cl.cs, mt.start)
        item_pos = item_pos if item_pos >= 0 else cl.cs
        reasons = [
            f"indicator matched by {matched[1]}",
            f"one of {len(items)} subjects of '{clean[mt.start : mt.end]}'",
        ]
        if not count_ok:
            reasons.append(f"but {mt.times} were announced")
        reasons.append(year_reason)
        if reference and not rel:
            reasons.append(f"reference year taken as the year before the plan ({reference})")
        o_start, o_end = ctx.text.original_span(item_pos, q_end)
        regions = _region_codes(ctx, a, cl, item, mt)
        out.append(
            Proposal(
                kind="target", indicator_code=ind.code, indicator=ind.name, region_code=regions[0] if regions else None,
                comparator=">=", value=Decimal(2), unit=ind.unit, target_year=year, declared_form="multiple",
                quote=ctx.text.quote(item_pos, q_end), start=o_start, end=o_end, line=ctx.text.line_of(o_start),
                sentence=ctx.text.quote(a, b), confidence="medium" if count_ok and rel else "low",
                reason="; ".join(reasons), reference_year=reference if reference and reference < year else None,
                chapter=_section(ctx, mt.start)[2], plan_title=_plan_title_at(ctx, mt.start),
            )
        )  # fmt: skip
    return out


def _per_member(ctx: _Ctx, a: int, cl: _Clause, mt: _Mention) -> list[Proposal]:
    """一城一名园: one of something in every member of the plan's zone."""
    vocab = ctx.vocab
    clean = ctx.text.clean
    matched = vocab.match_indicator(mt.what or "", None)
    _k, section_region, chapter, _ = _section(ctx, mt.start)
    zone = None
    for code in (section_region, ctx.scope):
        candidate = vocab.regions.get(code or "")
        if candidate is not None and candidate.members:
            zone = candidate
            break
    kind, year, _period, year_reason, _strength = _year_for(ctx, a, mt.start)
    if matched is None or zone is None or kind == "baseline":
        return []
    if year is None:
        year, year_reason = ctx.horizon, f"no year stated; the plan's horizon {ctx.horizon}"
    if year is None:
        return []
    ind = vocab.indicators[matched[0]]
    q_end = mt.end + (3 if clean[mt.end : mt.end + 3] == "”建设" else 0)
    q_start = _after_heading(clean, cl.cs, mt.start)
    o_start, o_end = ctx.text.original_span(q_start, q_end)
    reason = (f"'{clean[mt.start : mt.end]}': one in each member of {zone.name}; indicator matched by {matched[1]}; "
              f"{year_reason}")  # fmt: skip
    return [
        Proposal(
            kind="target", indicator_code=ind.code, indicator=ind.name, region_code=member, comparator=">=",
            value=Decimal(1), unit=ind.unit, target_year=year, declared_form="level",
            quote=ctx.text.quote(q_start, q_end), start=o_start, end=o_end, line=ctx.text.line_of(o_start),
            sentence=ctx.text.quote(a, cl.ce), confidence="medium", reason=reason, chapter=chapter,
            plan_title=_plan_title_at(ctx, mt.start),
        )
        for member in zone.members
    ]  # fmt: skip


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


def _dedupe(proposals: list[Proposal]) -> list[Proposal]:
    seen: set[tuple[Any, ...]] = set()
    out = []
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
            continue
        seen.add(key)
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

RECORD_FIELDS = [
    "id", "kind", "plan", "plan_code", "region", "region_code", "indicator_code", "indicator", "unit",
    "comparator", "value", "low", "high", "stretch_value", "tolerance", "target_year", "reference_year",
    "declared_form", "baseline_value", "baseline_year", "source_document", "source_quote", "quote_start",
    "quote_end", "line", "chapter", "confidence", "confidence_reason", "duplicate_of", "note", "version",
]  # fmt: skip


def figure(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    d = Decimal(value).normalize()
    return int(d) if d == d.to_integral_value() else float(d)


def to_record(p: Proposal, n: int, vocab: Vocabulary, *, plan: str | None, plan_code: str | None,
              source_document: str | None) -> dict[str, Any]:  # fmt: skip
    """A proposal as a record with the catalog export's fields, plus kind and confidence."""
    baseline = p.kind == "baseline"
    return {
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
        "confidence_reason": p.reason,
        "duplicate_of": p.duplicate_of,
        "note": None if p.indicator_code else f"new indicator proposed: {p.indicator}",
        "version": None,
    }
