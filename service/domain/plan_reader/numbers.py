"""Numbers and units: Arabic and Chinese numerals, and the figures (with units) a sentence states."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from service.domain.plan_reader.words import _GOAL_VERB, _REGION_NOUN, _SUFFIX_RE

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
    """A Chinese numeral below 100,000,000 (三千五百, 二十, 十一, 两, 一万四千), or None if it is not a
    well-formed one."""
    if not text:
        return None
    if "万" in text:
        high, _, low = text.partition("万")
        h = chinese_number(high) if high else 1
        lo = chinese_number(low) if low else 0
        if h is None or lo is None or lo >= 10_000:
            return None
        return h * 10_000 + lo
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
    for run in re.findall(r"[零〇一二两三四五六七八九十百千万]+", text):
        run = run.rstrip("万")  # 两万亿元: 万 is the unit's
        if "万" in run and (head := chinese_number(run.partition("万")[0])) is not None:
            found.add(Decimal(head))  # 千万千瓦: 1000 万千瓦
        value = chinese_number(run)
        if value is None and len(run) > 1:  # 十百千亿级: a run of several numerals
            found.update(Decimal(v) for ch in run if (v := chinese_number(ch)) is not None)
        elif value is not None:
            found.add(Decimal(value))
    if re.search(r"(?<![零〇一二两三四五六七八九十百千\d.])万亿", text):
        found.add(Decimal(1))  # 突破万亿元
    for word, value in _WORD_VALUES.items():
        if word in text:
            found.add(Decimal(value))
    for cls in re.findall(r"(Ⅰ|Ⅱ|Ⅲ|Ⅳ|Ⅴ|III|II|IV|I|V)\s?类", text):
        found.add(Decimal(_ROMAN[cls]))
    return found


_WORD_VALUES = {
    "全覆盖": 100,
    "全面实现": 100,
    "全面完成": 100,
    "全部": 100,
    "翻一番": 2,
    "倍增": 2,
    "翻番": 2,
    "清零": 0,
}

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CNUM = r"[零〇一二两三四五六七八九十百千]+(?:万[零〇一二两三四五六七八九十百千]+)?(?:点[零〇一二两三四五六七八九]+)?"
_BASE_UNITS = [
    "公里/万平方公里",
    "公里/百平方公里",
    "微克/立方米",
    "吨标准煤/万元",
    "个百分点",
    "平方公里",
    "平方米",
    "立方米",
    "标准箱",
    "吨标准煤",
    "千瓦时",
    "人次",
    "千瓦",
    "兆瓦",
    "美元",
    "元",
    "人",
    "家",
    "个",
    "件",
    "项",
    "所",
    "座",
    "条",
    "台",
    "套",
    "处",
    "张",
    "辆",
    "艘",
    "名",
    "位",
    "户",
    "岁",
    "年",
    "天",
    "倍",
    "公里",
    "千米",
    "米",
    "吨",
    "亩",
    "公顷",
    "小时",
    "标箱",
    "幢",
    "宗",
    "场",
    "床",
    "部",
    "种",
    "只",
    "支",
    "篇",
    "款",
    "%",
    "‰",
]
_SCALABLE = {
    "元",
    "美元",
    "人",
    "人次",
    "吨",
    "亩",
    "立方米",
    "公顷",
    "标箱",
    "幢",
    "宗",
    "场",
    "千瓦",
    "平方米",
    "标准箱",
    "户",
    "辆",
    "件",
    "家",
    "个",
    "台",
    "套",
    "张",
    "床",
    "千瓦时",
    "公里",
    "项",
    "名",
}
_COMPOUND_UNITS = ["EFLOPS", "万TEU", "TEU", "万元/人", "元/人", "人/亿元", "件/万人", "平方米/人", "吨/万元"]
_UNIT = "|".join(
    [re.escape(u) for u in _COMPOUND_UNITS]
    + [f"(?:万亿|亿|万){re.escape(u)}" for u in sorted(_SCALABLE, key=len, reverse=True)]
    + [re.escape(u) for u in _BASE_UNITS]
)
_VALUE_RE = re.compile(
    rf"(?<![A-Za-z\d.])(?:"
    rf"百分之(?P<pct>{_NUM}|{_CNUM})|千分之(?P<permille>{_NUM}|{_CNUM})"
    rf"|(?P<rnum>{_NUM})[∶:](?P<rden>{_NUM})(?![\d.])"
    rf"|(?P<lo>{_NUM}|{_CNUM})(?:—|–|-|~|～|至|到)(?P<hi>{_NUM}|{_CNUM})(?P<runit>{_UNIT})"
    rf"|(?P<lv>{_CNUM}|\d+)(?P<lvunit>万亿|亿)级"
    rf"|(?P<num>{_NUM}|{_CNUM})(?P<unit>{_UNIT})"
    rf")"
)
_ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_WORD_RE = re.compile(
    r"(?P<cls>(?<![A-Za-z劣])(?:Ⅰ|Ⅱ|Ⅲ|Ⅳ|Ⅴ|III|II|IV|I|V)\s?类)|(?<![健齐完安])全覆盖|全面实现|全部(?:建成|达到|实现|完成)|全面完成(?=[^，。；]{2,20}?(?:改造|整治|治理)(?:[，。；]|$))|(?:动态)?清零|(?P<times>[二两三四五六七八九十\d]*)倍增|翻一番|翻番|一(?P<per>[城区县市镇园])一(?P<what>[^，。,；;、”\"]{1,4}?)(?=[”\"」]|建设|$)"
)


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
        elif m.group("permille") is not None:
            v = to_decimal(m.group("permille"))
            if v is not None:
                out.append(_Mention(st, en, v, None, None, "‰"))
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
            if (
                raw == "一"
                and unit in _COUNTS | {"人", "名", "种", "套"}
                and not _SUFFIX_RE.match(s[m.end() :])
            ):
                continue  # 打造一支队伍 / 建设一个平台 / 一人公司: an article, not a count
            if not raw[0].isdigit() and (
                v < 1
                or (
                    len(raw) == 1
                    and unit in ("年", "个", "家", "条", "项", "批", "种", "场", "宗", "幢", "支")
                    and not (
                        _SUFFIX_RE.match(s[m.end() :])
                        or _GOAL_VERB.search(s[max(0, m.start() - 3) : m.start()])
                        or s[max(0, m.start() - 1) : m.start()] in ("超", "逾", "达")
                    )
                )
            ):
                continue
            if s[max(0, m.start() - 1) : m.start()] == "第":
                continue  # 第十五个五年规划: an ordinal
            if s[max(0, m.start() - 1) : m.start()] == "每" and not raw[0].isdigit():
                continue  # 每千名婴幼儿 / 每万人: the denominator of a rate
            if unit == "年" and re.match(r"^(内|来|间|前|后|多|期|以来|行动|计划)", s[m.end() :]):
                continue
            if unit in ("个", "座", "所") and _REGION_NOUN.match(s[m.end() :]):
                continue  # 4个新城: a count of regions
            if (
                unit in ("小时", "天")
                and re.match(r"[\u4e00-\u9fff“\"]", s[m.end() :])
                and not _SUFFIX_RE.match(s[m.end() :])
            ):
                continue  # 24小时“年轻力”单元 / 7天无理由: a duration describing what follows
            out.append(_Mention(st, en, v, None, None, unit))
    for m in _BARE_SCALE.finditer(s):  # 突破万亿元: one 万亿元
        out.append(_Mention(a + m.start(), a + m.end(), Decimal(1), None, None, m.group()))
    for m in _WORD_RE.finditer(s):
        st, en = a + m.start(), a + m.end()
        word = m.group()
        if m.group("cls"):  # water quality class: Ⅲ类 (a lower class is cleaner)
            out.append(
                _Mention(
                    st, en, Decimal(_ROMAN[m.group("cls").rstrip("类").strip()]), None, None, "类", word="类"
                )
            )
        elif word.endswith("清零"):  # a count brought to zero (and kept there)
            out.append(_Mention(st, en, Decimal(0), None, None, "个", word="清零"))
        elif word in ("全覆盖", "全面实现", "全面完成") or word.startswith("全部"):
            out.append(_Mention(st, en, Decimal(100), None, None, "%", word="全覆盖"))
        elif m.group("per"):
            out.append(
                _Mention(
                    st,
                    en,
                    Decimal(1),
                    None,
                    None,
                    "个",
                    word="一城一",
                    per=m.group("per"),
                    what=m.group("what"),
                )
            )
        else:
            times_s = m.group("times") or ""
            times = to_decimal(times_s) if times_s else None
            out.append(
                _Mention(
                    st,
                    en,
                    Decimal(2),
                    None,
                    None,
                    "倍",
                    word="倍增",
                    times=int(times) if times is not None else None,
                )
            )
    # a figure inside a word (the 六倍 of 六倍增) is dropped, and so is the level that all members of a set
    # reach (县区全部达到千亿元: the goal is that every one does, 100 %)
    words = [
        (mt.start, mt.end + (3 if s[mt.start - a : mt.start - a + 2] == "全部" else 0))
        for mt in out
        if mt.word and mt.word not in ("级", "类")
    ]
    out = [mt for mt in out if mt.word or not any(s0 < mt.end and mt.start < e0 for s0, e0 in words)]
    out.sort(key=lambda x: x.start)
    # a scale class (千万千瓦级基地, 4个万亿级产业) is not a figure of its own: the count before it is the
    # goal (4个); a 亿级 class without a count (培育千亿级产业集群) reads as its scale
    counted = {mt.end for mt in out if mt.unit in _COUNTS and not mt.word}
    return [
        mt
        for mt in out
        if not (mt.word == "级" and mt.start in counted)
        and not (mt.word is None and clean[mt.end : mt.end + 1] == "级")
    ]


_BARE_SCALE = re.compile(r"(?<=突破|超过|达到|迈上|跨越)万亿(?:元|美元)|(?<=[超达])万亿(?:元|美元)")
_COUNTS = {"个", "家", "条", "座", "项", "所", "处", "支", "批"}


def _is_year(v: Decimal, unit: str) -> bool:
    return unit == "年" and v == v.to_integral_value() and 1900 <= v <= 2100
