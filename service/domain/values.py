"""Reading figures as officials write them (pure functions).

Full-width digits, thousands separators, a unit glued to the number ("3.7%", "82,553亿元"),
a leading qualifier word (约, 超过) or trailing one (左右): all are understood; anything else is
refused with a message that says what was expected.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from service.db.models import Qualifier

# Far beyond any official figure; a figure stays within it after conversion to the indicator's unit too,
# which keeps it inside the Numeric(28, 8) column (and inside Decimal's 28-digit precision).
MAX_ABS = Decimal("1e18")
OUT_OF_RANGE_ZH = "数值超出范围（绝对值不能超过 10^18）"
OUT_OF_RANGE_EN = "the value is out of range (at most 1e18 in absolute value)"
_PLAIN = re.compile(
    r"[+-]?[0-9]{1,18}(?:\.[0-9]{1,12})?"
)  # an ASCII number well inside MAX_ABS: no work to do
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(.*)$")
_PREFIX_QUALIFIERS = {
    "约": Qualifier.APPROXIMATE,
    "超过": Qualifier.LOWER_BOUND,
    "逾": Qualifier.LOWER_BOUND,
    "突破": Qualifier.LOWER_BOUND,
    "不足": Qualifier.UPPER_BOUND,
}
_SUFFIX_QUALIFIERS = {
    "左右": Qualifier.APPROXIMATE,
    "以上": Qualifier.LOWER_BOUND,
    "多": Qualifier.LOWER_BOUND,
}


BOOLEAN_ZH = "数值不能是 true/false（布尔值），请填写数字"
BOOLEAN_EN = "the value must be a number, not true/false"
FIRST_YEAR = 1949  # the People's Republic's first year: no series in the catalog starts earlier
SCALE = 8  # decimals of the value column (Numeric(28, 8), service.db.base.Figure)
_QUANTUM = Decimal(1).scaleb(-SCALE)


# circled, parenthesised and dotted numbers: footnote marks in statistical tables (superscripts stay: km²)
FOOTNOTE_MARKS = re.compile("[\u2460-\u249b\u24ea-\u24ff\u2776-\u2793]")


class ValueProblem(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


class ParsedValue(NamedTuple):
    value: Decimal
    unit: str | None  # unit written with the number, if any
    qualifier: Qualifier


_EXACT = Qualifier.EXACT  # read once: the fast path below runs on every row of a file


def parse_value(raw: object) -> ParsedValue:
    """Parse one cell or JSON value into a number, the unit written beside it and a qualifier."""
    if type(raw) is str and _PLAIN.fullmatch(raw):  # the common case, e.g. "1234.5": skip the slow path
        return ParsedValue(Decimal(raw), None, _EXACT)
    if isinstance(raw, bool):  # JSON true/false: never 1/0
        raise ValueProblem(BOOLEAN_ZH, BOOLEAN_EN)
    if raw is None:
        raise ValueProblem("数值为空", "the value is empty")
    if isinstance(raw, int | float | Decimal):
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ValueProblem("数值无法识别", f"{raw!r} is not a number") from None
        if not value.is_finite():
            raise ValueProblem("数值必须是有限数字", "the value must be a finite number")
        if value.copy_abs() > MAX_ABS:  # copy_abs: exact, never an overflow signal
            raise ValueProblem(OUT_OF_RANGE_ZH, OUT_OF_RANGE_EN)
        return ParsedValue(value, None, Qualifier.EXACT)
    if not isinstance(raw, str):
        raise ValueProblem(
            "数值必须是数字或文本", f"the value must be a number or text, not {type(raw).__name__}"
        )
    # a footnote mark (①, ⑴) goes before NFKC, which would make it a digit: "1208①" is 1208, not 12081
    text = unicodedata.normalize("NFKC", FOOTNOTE_MARKS.sub("", raw)).strip().replace(" ", "")
    if not text:
        raise ValueProblem("数值为空", "the value is empty")
    if text.startswith("="):
        raise ValueProblem("不接受公式，请填写数值", "formulas are not accepted; enter the value itself")
    qualifier = Qualifier.EXACT
    for word, q in _PREFIX_QUALIFIERS.items():
        if text.startswith(word):
            text, qualifier = text[len(word) :], q
            break
    for word, q in _SUFFIX_QUALIFIERS.items():
        if text.endswith(word):
            text, qualifier = text[: -len(word)], q
            break
    text = re.sub(r"(?<=\d),(?=\d{3}(\D|$))", "", text)
    match = _NUMBER.match(text)
    if not match:
        raise ValueProblem(f"“{raw}”不是数值", f"{raw!r} is not a number")
    value = Decimal(match.group(1))
    if not value.is_finite() or value.copy_abs() > MAX_ABS:  # 1E+999999999: refused, not an overflow
        raise ValueProblem(OUT_OF_RANGE_ZH, OUT_OF_RANGE_EN)
    unit = match.group(2) or None
    return ParsedValue(value, unit, qualifier)


def parse_year(raw: object, *, latest: int = 2100) -> int:
    """The calendar year a figure describes, between FIRST_YEAR and ``latest`` (the current year).

    A statistic describes a year that has begun (the current year's preliminary figures included), so
    ingest passes the current year: 2099 is a typing slip, not a forecast.
    """
    if type(raw) is str and len(raw) == 4 and raw.isascii() and raw.isdigit():  # the common case: "2024"
        year = int(raw)
        if FIRST_YEAR <= year <= latest:
            return year
    elif type(raw) is int and FIRST_YEAR <= raw <= latest:
        return raw
    if isinstance(raw, bool):
        raise ValueProblem(
            "年份不能是 true/false（布尔值），请填写如 2024",
            "the year must be a year such as 2024, not true/false",
        )
    text = unicodedata.normalize("NFKC", str(raw)).strip().removesuffix("年")
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    if not re.fullmatch(r"\d{4}", text):
        raise ValueProblem(
            f"年份“{raw}”无效，应为四位数字如 2024", f"period {raw!r} is not a year such as 2024"
        )
    year = int(text)
    if not FIRST_YEAR <= year <= latest:
        raise ValueProblem(
            f"年份 {year} 超出范围，应在 {FIRST_YEAR}–{latest} 年之间（统计数据描述已开始的年份，最晚为今年）",
            f"the year {year} is out of range: it must be between {FIRST_YEAR} and {latest} "
            "(a statistic describes a year that has begun, this year at the latest)",
        )
    return year


def to_column(written: Decimal, factor: Decimal, unit: str) -> Decimal:
    """The written figure times ``factor`` (into the indicator's ``unit``), as the value column keeps it.

    Refused, never rounded away: a written digit that would fall beyond the column's SCALE decimals
    (1e-30 must not become 0; 880.12345 万元 is 0.088012345 亿元, nine decimals), and a figure that
    SQLite's REAL storage would not give back exactly (about 16 significant digits or more; the same
    rule on PostgreSQL, so a figure is accepted or refused alike on both). A factor without a finite
    decimal (亩 to 平方公里: 2/3) is rounded to the column, which keeps every written digit as long as
    the written figure's last digit, converted, is not finer than the column.
    """
    value = written * factor
    stored = value.quantize(_QUANTUM)  # within Decimal's precision: the caller keeps |value| <= MAX_ABS
    if stored != value:  # the usual figure fits as it is
        if written:
            last_digit = Decimal(1).scaleb(written.normalize().as_tuple().exponent)  # type: ignore[arg-type]
            if last_digit * abs(factor) < _QUANTUM:
                shown = f"{written:f}" if abs(written.adjusted()) < 30 else str(written)
                raise ValueProblem(
                    f"数值 {shown} 换算为{unit}后小数位数超过可保存的 {SCALE} 位，会被舍入；请核对数值和单位，"
                    f"或按{unit}保留至多 {SCALE} 位小数后填写",
                    f"the value {shown} has more than the {SCALE} decimal places that can be stored once "
                    f"expressed in {unit}, so it would be rounded; check the value and its unit, or enter it in "
                    f"{unit} with at most {SCALE} decimals",
                )
        value = stored  # only digits beyond the written ones are dropped (a factor such as 2/3)
    if not value:
        return Decimal(0)
    if abs(value) >= _EXACT_REAL and not _survives_real(value):
        places = next(
            (d for d in range(SCALE - 1, -1, -1) if _survives_real(value.quantize(Decimal(1).scaleb(-d)))),
            None,
        )
        if places is None:
            hint_zh = "请保留至多 15 位有效数字"
            hint_en = "round it to at most 15 significant digits"
        else:
            example = value.quantize(Decimal(1).scaleb(-places))
            hint_zh = f"请四舍五入到 {places} 位小数（如 {example}）"
            hint_en = f"round it to {places} decimal places, e.g. {example}"
        raise ValueProblem(
            f"数值 {value.normalize():f} {unit} 的有效数字过多，数据库无法精确保存；{hint_zh}",
            f"the value {value.normalize():f} {unit} has more digits than the database keeps exactly; {hint_en}",
        )
    return value.normalize()


# Below 2^25 a double is within 2^-28 (< half of 1e-8) of any SCALE-decimal figure: SQLite returns it exactly.
_EXACT_REAL = Decimal(2**25)


def _survives_real(value: Decimal) -> bool:
    """Whether SQLite gives ``value`` back unchanged: it stores a double, read back as a SCALE-decimal text."""
    return Decimal(f"{float(value):.{SCALE}f}") == value


# --- part of a year (1-10月, 前三季度, 上半年): never that year's value (METHODOLOGY §6) -------------

_CN_DIGITS = {
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
    "十": 10,
    "十一": 11,
    "十二": 12,
}
_MONTH_RANGE = re.compile(r"(?:1|一)\s*[-–—~～至到]\s*(\d{1,2}|十[一二]?|[二三四五六七八九])\s*月")
_FIRST_MONTHS = re.compile(r"前\s*(\d{1,2}|十[一二]?|[一二两三四五六七八九])\s*个?月")
_QUARTER_WORDS = (
    ("前三季度", 9),
    ("前三个季度", 9),
    ("上半年", 6),
    ("前两季度", 6),
    ("前两个季度", 6),
    ("第一季度", 3),
    ("一季度", 3),
    ("1季度", 3),
    ("Q1-Q3", 9),
    ("Q1-3", 9),
    ("H1", 6),
    ("Q1", 3),
)
_PARTIAL_WORDS = ("partial year", "部分年度", "january–", "january-")
PARTIAL = "partial"  # a part of the year whose months are not stated


def _months(word: str) -> int | None:
    return int(word) if word.isdigit() else _CN_DIGITS.get(word)


# --- an average over several years (年均增速4.8%, 2021—2025年): a growth rate's period mean ---------------

_PERIOD_MEAN = re.compile(r"(\d{4})\s*年?\s*[-–—~～至到]\s*(\d{4})\s*年?\s*(?:年均|平均|均值)")
_STORED_MEAN = re.compile(r"^(\d{4})-(\d{4})年均$")


def period_mean(text: object) -> str | None:
    """``"2021-2025年均"`` when a text says a figure is the average over a run of years ("2021—2025年年均",
    "2021-2025年平均"); None otherwise. Only a growth rate has such a figure (Nanjing's outline reports
    年均增速4.8% for 2021–2025): it stands for that run of years, never for its last year alone."""
    if text is None:
        return None
    m = _PERIOD_MEAN.search(unicodedata.normalize("NFKC", str(text)))
    if m is None or not int(m.group(1)) < int(m.group(2)):
        return None
    return f"{m.group(1)}-{m.group(2)}年均"


def mean_span(coverage: str | None) -> tuple[int, int] | None:
    """The first and last year of a stored period-mean coverage ("2021-2025年均"), else None."""
    m = _STORED_MEAN.match(coverage) if coverage else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def parse_coverage(text: object, *, in_note: bool = False) -> str | None:
    """The part of a year a text says a figure covers, as ``"1-N月"`` (N < 12), ``PARTIAL`` when a note
    says "partial year" without months, or None for a whole year. ``in_note``: the text is a remark,
    where only a month range, 前N个月, 前三季度 / 上半年 or "partial year" counts (a quarter named in a
    news title is not the figure's coverage)."""
    if text is None:
        return None
    if (mean := period_mean(text)) is not None:
        return mean
    s = unicodedata.normalize("NFKC", str(text))
    months: int | None = None
    if (m := _MONTH_RANGE.search(s)) or (m := _FIRST_MONTHS.search(s)):
        months = _months(m.group(1))
    else:
        for word, n in _QUARTER_WORDS:
            if (not in_note or n > 3) and word.lower() in s.lower():
                months = n
                break
    if months is not None:
        return f"1-{months}月" if 0 < months < 12 else None
    if any(w in s.lower() for w in _PARTIAL_WORDS) or (not in_note and "月" in s):
        return PARTIAL
    return None


def split_period(raw: object) -> tuple[object, str | None]:
    """A period written with its part of the year ("2025年1-10月", "2025年前三季度", "2025 H1"): the year
    and the coverage; a plain year comes back unchanged with None."""
    if type(raw) is not str or len(raw) <= 5:
        return raw, None
    s = unicodedata.normalize("NFKC", raw).strip()
    if (mean := period_mean(s)) is not None:  # "2021-2025年均": filed under its last year
        return mean[5:9], mean
    m = re.match(r"(\d{4})\s*年?\s*(.+)$", s)
    if m is None or re.match(r"[-–—~～至到]\s*\d{4}", m.group(2)):  # a run of years is not its first year
        return raw, None
    return m.group(1), parse_coverage(m.group(2))


# --- sources: one history per source (METHODOLOGY §6) ----------------------------------------------

STATISTICS_BUREAU = "统计局"
_BUREAU_WORDS = (
    "统计局",
    "统计公报",
    "统计年鉴",
    "调查队",
    "调查总队",
    "统计监测",
    "statistics bureau",
    "bureau of statistics",
    "stats.gov.cn",
)
SOURCE_KEY_LIMIT = 80


@functools.lru_cache(maxsize=4096)  # a file names the same few sources over and over
def source_key(source: str | None, coverage: str | None = None) -> str:
    """The normalised source a figure's history is kept under: every statistics-bureau publication
    (统计局, 统计公报, 统计年鉴, 调查队, 统计监测) is ``统计局``; another source is its text without case,
    spaces or punctuation; none is ''. A figure for part of the year has a history of its own
    (``#1-10月`` appended), apart from the whole year's."""
    text = unicodedata.normalize("NFKC", source or "").strip().lower()
    if any(w in text for w in _BUREAU_WORDS):
        key = STATISTICS_BUREAU
    else:
        key = re.sub(r"[\W_]+", "", text)[: SOURCE_KEY_LIMIT - 12]
    if coverage:
        key = f"{key}#{coverage}"
    return key[:SOURCE_KEY_LIMIT]
