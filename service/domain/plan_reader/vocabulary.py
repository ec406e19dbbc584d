"""The vocabulary: catalog indicators and regions, and the reader's own synonyms for how plans name them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.domain import units

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


# Words at the end of an indicator's name that the text often leaves out (高新技术企业数 -> 高新技术企业).
_NAME_TAILS = ("数量", "总量", "规模", "个数", "数", "率", "额")


def _norm_term(s: str) -> str:
    """One spelling for the many ways plans name the same thing (GDP = 地区生产总值, 每万人口 = 每万人 …)."""
    s = unicodedata.normalize("NFKC", s).replace("规模以上", "规上")
    s = re.sub(r"[ “”‘’\"'「」『』的]", "", s)
    s = re.sub(r"\((?:GDP|R&D|PM2\.5|助理|[A-Za-z0-9.&\s]+)\)", "", s)  # 地区生产总值（GDP）, 医师（助理）
    s = re.sub(r"GDP|(?<!地区)生产总值|全市生产总值", "地区生产总值", s).replace("地区地区", "地区")
    for a, b in _SPELLINGS:
        s = s.replace(a, b)
    return s


_SPELLINGS = (
    ("每万人口", "每万人"),
    ("每千人口", "每千人"),
    ("年均增速", "年均增长"),
    ("增长率", "增长"),
    ("研究与试验发展", "研发"),
    ("R&D", "研发"),
    ("相当于", "占"),
    ("能源消耗", "能耗"),
    ("下降率", "降低"),
    ("下降", "降低"),
    ("年均浓度", "浓度"),
    ("平均浓度", "浓度"),
    ("拥有量", "数"),
    ("经费投入", "经费支出"),
)

# The reader's own knowledge of how plans name catalog indicators (indicators.yaml is reconciled elsewhere):
# more names for indicators the catalog has, and indicators plans share that it lacks yet, each with a
# suggested code, unit, direction and kind. A proposal for one of those names the indicator and its code;
# the reviewer adds it to the catalog.
EXTRA_SYNONYMS: dict[str, tuple[str, ...]] = {
    "gdp": ("地区生产总值", "经济总量"),
    "rd_intensity": (
        "研发经费支出占地区生产总值比重",
        "全社会研发经费支出占地区生产总值比重",
        "研发经费支出与地区生产总值之比",
        "研发经费支出占地区生产总值比例",
        "全社会研发经费支出占地区生产总值比例",
        "研发投入强度",
    ),
    "rd_expenditure": ("全社会研发经费支出", "研发经费支出"),
    "energy_intensity": ("单位地区生产总值能耗",),
    "energy_intensity_change": ("单位地区生产总值能耗降低",),
    "high_value_invention_patents_per_10k": ("每万人拥有高价值发明专利数", "每万人高价值发明专利数"),
    "good_air_days_ratio": ("空气质量达到优良天数比例", "空气质量优良天数比率", "空气优良天数比率"),
    "high_new_tech_industry_output_share": (
        "高新技术产业产值占规上工业产值比重",
        "高新技术产业产值占规上工业总产值比重",
    ),
    "strategic_emerging_industry_output_share": ("战略性新兴产业产值占规上工业总产值比重",),
    "disposable_income_per_capita": ("全体居民人均可支配收入", "全市居民人均可支配收入"),
    "pm25_concentration": ("细颗粒物浓度", "PM2.5浓度"),
    "headquarters_enterprises": ("跨国公司地区总部",),
    "working_age_schooling_years": ("劳动年龄人口平均受教育年限",),
}


@dataclass(frozen=True)
class NewIndicator:
    code: str
    name: str
    unit: str
    direction: str
    kind: str
    synonyms: tuple[str, ...] = ()


NEW_INDICATORS: tuple[NewIndicator, ...] = (
    NewIndicator("labour_productivity", "全员劳动生产率", "万元/人", "up", "level"),
    NewIndicator(
        "digital_economy_core_va_share", "数字经济核心产业增加值占地区生产总值比重", "%", "up", "share"
    ),
    NewIndicator("surveyed_unemployment_rate", "城镇调查失业率", "%", "down", "share"),
    NewIndicator("nursing_bed_share", "养老机构护理型床位占比", "%", "up", "share"),
    NewIndicator(
        "carbon_intensity_reduction",
        "单位地区生产总值二氧化碳排放降低",
        "%",
        "up",
        "growth_rate",
        ("单位地区生产总值二氧化碳排放降低",),
    ),
    NewIndicator(
        "non_fossil_energy_share",
        "非化石能源占能源消费总量比重",
        "%",
        "up",
        "share",
        ("非化石能源占一次能源消费比重", "非化石能源消费比重"),
    ),
    NewIndicator(
        "surface_water_good_share",
        "地表水优良水体比例",
        "%",
        "up",
        "share",
        (
            "优良水体比例",
            "地表水国考断面优良水体比例",
            "断面水质达到或优于Ⅲ类水体比例",
            "达到或好于Ⅲ类水体比例",
        ),
    ),
    NewIndicator("forest_coverage", "森林覆盖率", "%", "up", "share", ("林木覆盖率",)),
    NewIndicator("grain_capacity", "粮食综合生产能力", "万吨", "up", "level"),
    NewIndicator("cultivated_land", "耕地保有量", "万公顷", "up", "level"),
    NewIndicator("waste_recycling_rate", "生活垃圾回收利用率", "%", "up", "share"),
    NewIndicator("work_safety_death_rate", "单位地区生产总值生产安全事故死亡率", "人/亿元", "down", "ratio"),
    NewIndicator("financial_market_turnover", "金融市场交易总额", "万亿元", "up", "level"),
    NewIndicator("services_trade", "服务贸易进出口额", "亿美元", "up", "level", ("服务贸易进出口",)),
    NewIndicator("air_cargo_throughput", "航空货邮吞吐量", "万吨", "up", "level", ("航空货邮年吞吐量",)),
    NewIndicator(
        "higher_education_share_working_age", "主要劳动年龄人口受过高等教育的比例", "%", "up", "share"
    ),
    NewIndicator(
        "disposable_income_growth",
        "居民人均可支配收入增长",
        "%",
        "up",
        "growth_rate",
        ("居民收入增长", "居民人均可支配收入年均增长", "全市居民人均可支配收入年均增长"),
    ),
    NewIndicator(
        "affordable_rental_housing",
        "新增供应保障性租赁住房",
        "万套（间）",
        "up",
        "count",
        ("保障性租赁住房",),
    ),
    NewIndicator(
        "ai_core_industry_revenue",
        "规上人工智能核心产业营业收入",
        "亿元",
        "up",
        "level",
        ("人工智能核心产业营业收入",),
    ),
    NewIndicator("retail_sales", "社会消费品零售总额", "亿元", "up", "level"),
    NewIndicator("culture_industry_va", "文化及相关产业增加值", "亿元", "up", "level", ("文化产业增加值",)),
    NewIndicator(
        "culture_industry_va_share",
        "文化产业增加值占地区生产总值比重",
        "%",
        "up",
        "share",
        ("文化及相关产业增加值占地区生产总值比重",),
    ),
    NewIndicator("land_use_per_gdp", "单位地区生产总值建设用地使用面积", "平方米/万元", "down", "ratio"),
    NewIndicator("digital_trade", "数字贸易额", "亿元", "up", "level"),
    NewIndicator(
        "strategic_emerging_industry_va_share_industry",
        "战略性新兴产业增加值占规上工业增加值比重",
        "%",
        "up",
        "share",
    ),
    NewIndicator(
        "new_urban_jobs", "城镇新增就业人数", "万人", "up", "count", ("城镇新增就业", "新增就业人数")
    ),
    NewIndicator("doctors_per_1000", "每千人执业医师数", "人", "up", "ratio", ("执业医师数",)),
    NewIndicator("nurses_per_1000", "每千人注册护士数", "人", "up", "ratio", ("注册护士数",)),
    NewIndicator("childcare_enrolment_rate", "3岁以下婴幼儿入托率", "%", "up", "share", ("婴幼儿入托率",)),
    NewIndicator(
        "childcare_places_per_1000", "每千人拥有3岁以下婴幼儿托位数", "个", "up", "ratio", ("婴幼儿托位数",)
    ),
    NewIndicator("energy_production_capacity", "能源综合生产能力", "万吨标煤", "up", "level"),
    NewIndicator(
        "water_intensity_reduction",
        "单位地区生产总值用水量降低",
        "%",
        "up",
        "growth_rate",
        ("单位地区生产总值用水量降低",),
    ),
    NewIndicator(
        "manufacturing_va_share", "制造业增加值占地区生产总值比重", "%", "up", "share", ("制造业增加值占比",)
    ),
    NewIndicator("industry_va_share", "工业增加值占地区生产总值比重", "%", "up", "share"),
    NewIndicator(
        "urban_rail_length",
        "城市轨道交通运营里程",
        "公里",
        "up",
        "level",
        ("轨道交通运营总里程", "轨道交通运营里程", "轨道交通市区线和市域线运营总里程"),
    ),
    NewIndicator("container_throughput", "集装箱吞吐量", "万标箱", "up", "level", ("集装箱年吞吐量",)),
    NewIndicator("tourism_revenue", "旅游业总收入", "亿元", "up", "level", ("旅游总收入",)),
    NewIndicator("resident_population_share", "常住人口", "万人", "up", "level"),
)
_NEW_TERMS = sorted(
    (
        (_norm_term(t), ni)
        for ni in NEW_INDICATORS
        if ni.code != "resident_population_share"
        for t in (ni.name, *ni.synonyms)
    ),
    key=lambda x: -len(x[0]),
)


def suggest_indicator(phrase: str, unit: str | None) -> tuple[str, str, str] | None:
    """(name, suggested code, direction) of an indicator plans share that the catalog lacks, or None."""
    found = suggest_term(phrase)
    return (found[1].name, found[1].code, found[1].direction) if found else None


def suggest_term(phrase: str) -> tuple[str, NewIndicator] | None:
    p = _norm_term(phrase)
    for term, ni in _NEW_TERMS:
        if term in p and len(term) >= 0.4 * len(p):
            return term, ni
    return None


class Vocabulary:
    """Indicators and regions the reader matches phrases against."""

    def __init__(self, indicators: Iterable[IndicatorTerm], regions: Iterable[RegionTerm]) -> None:
        self.indicators = {i.code: i for i in indicators}
        self.regions = {r.code: r for r in regions}
        # (normalised term, code, strength): full names/synonyms first, then their shortened cores
        terms: list[tuple[str, str, int]] = []
        for ind in self.indicators.values():
            seen: set[str] = set()
            for term in (*ind.terms, *EXTRA_SYNONYMS.get(ind.code, ())):
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
                    i.code,
                    i.name_zh,
                    i.unit,
                    str(getattr(i.kind, "value", i.kind)),
                    str(getattr(i.direction, "value", i.direction)),
                    tuple(i.synonyms or ()),
                    getattr(i, "numerator", None),
                    getattr(i, "denominator", None),
                )
                for i in indicators
            ],
            [
                RegionTerm(
                    r.code, r.name_zh, r.level, tuple(r.members or ()), tuple(r.aliases or ()), r.parent
                )
                for r in regions
            ],
        )

    # -- indicators

    def real_rate_of(self, code: str) -> str | None:
        """The growth-rate indicator a growth target on ``code`` is about, where the genre means a real rate:
        地区生产总值年均增长5% and 工业增加值年均增长 are at comparable prices (按可比价格计算), so they are the
        real growth rate (地区生产总值增速), never a CAGR of the current-price level. Other levels (incomes,
        spending, turnover) keep their level indicator."""
        level = self.indicators.get(code)
        if level is None or level.kind == "growth_rate" or not re.search(r"生产总值$|增加值$", level.name):
            return None
        for ind in self.indicators.values():
            if ind.kind == "growth_rate" and ind.name in (
                level.name + "增速",
                level.name + "增长",
                level.name + "增长率",
            ):
                return ind.code
        return None

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
        if found:
            better = suggest_term(p)
            if better and len(better[0]) > len(found[2]):
                return (
                    None  # a longer name of an indicator the catalog lacks (数字经济核心产业增加值占GDP比重)
                )
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
        return [
            (m.start(), m.end(), self._region_by_name[m.group()])
            for m in self._region_re.finditer(text)
            if not _inside_word(text, m.start(), m.group())
        ]

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


def _inside_word(text: str, start: int, name: str) -> bool:
    """A short region name read inside another word: 新城 in 创新城市 / 更新城区 (新 ending a verb)."""
    return len(name) == 2 and name[0] == "新" and start > 0 and text[start - 1] in "创更革重全最刷焕清"
