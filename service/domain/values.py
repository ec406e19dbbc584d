"""Reading figures as officials write them (pure functions).

Full-width digits, thousands separators, a unit glued to the number ("3.7%", "82,553亿元"),
a leading qualifier word (约, 超过) or trailing one (左右): all are understood; anything else is
refused with a message that says what was expected.
"""

from __future__ import annotations

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
_PREFIX_QUALIFIERS = {"约": Qualifier.APPROXIMATE, "超过": Qualifier.LOWER_BOUND, "逾": Qualifier.LOWER_BOUND,
                      "突破": Qualifier.LOWER_BOUND, "不足": Qualifier.UPPER_BOUND}  # fmt: skip
_SUFFIX_QUALIFIERS = {
    "左右": Qualifier.APPROXIMATE,
    "以上": Qualifier.LOWER_BOUND,
    "多": Qualifier.LOWER_BOUND,
}


class ValueProblem(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


class ParsedValue(NamedTuple):
    value: Decimal
    unit: str | None  # unit written with the number, if any
    qualifier: Qualifier


def parse_value(raw: object) -> ParsedValue:
    """Parse one cell or JSON value into a number, the unit written beside it and a qualifier."""
    if type(raw) is str and _PLAIN.fullmatch(raw):  # the common case, e.g. "1234.5": skip the slow path
        return ParsedValue(Decimal(raw), None, Qualifier.EXACT)
    if isinstance(raw, bool) or raw is None:
        raise ValueProblem("数值为空", "the value is empty")
    if isinstance(raw, int | float | Decimal):
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ValueProblem("数值无法识别", f"{raw!r} is not a number") from None
        if not value.is_finite():
            raise ValueProblem("数值必须是有限数字", "the value must be a finite number")
        if abs(value) > MAX_ABS:
            raise ValueProblem(OUT_OF_RANGE_ZH, OUT_OF_RANGE_EN)
        return ParsedValue(value, None, Qualifier.EXACT)
    if not isinstance(raw, str):
        raise ValueProblem(
            "数值必须是数字或文本", f"the value must be a number or text, not {type(raw).__name__}"
        )
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
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
    if not value.is_finite() or abs(value) > MAX_ABS:
        raise ValueProblem(OUT_OF_RANGE_ZH, OUT_OF_RANGE_EN)
    unit = match.group(2) or None
    return ParsedValue(value, unit, qualifier)


def parse_year(raw: object) -> int:
    if type(raw) is str and len(raw) == 4 and raw.isascii() and raw.isdigit():  # the common case: "2024"
        year = int(raw)
        if 1949 <= year <= 2100:
            return year
    elif type(raw) is int and 1949 <= raw <= 2100:
        return raw
    text = unicodedata.normalize("NFKC", str(raw)).strip().removesuffix("年")
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    if not re.fullmatch(r"\d{4}", text):
        raise ValueProblem(
            f"年份“{raw}”无效，应为四位数字如 2024", f"period {raw!r} is not a year such as 2024"
        )
    year = int(text)
    if not 1949 <= year <= 2100:
        raise ValueProblem("年份超出范围（1949–2100）", "the year must be between 1949 and 2100")
    return year
