"""The plan reader on synthetic texts in the genre of the 十五五 outlines (written for these tests, not taken
from any plan): indicator tables in other layouts and units, 属性, 〔〕 cumulative values, cells without a
number, review sections, and a table row restated in a sentence."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.config import PROJECT_ROOT
from service.domain.plan_reader import PlanHints, Proposal, Vocabulary, read_plan

CELLS = """某市国民经济和社会发展第十五个五年规划纲要
第一章 发展基础
“十四五”时期，全市地区生产总值达到8600亿元，常住人口城镇化率提高到71.2%。
第二章 主要目标
到2030年，全员劳动生产率达到30万元/人。
“十五五”时期经济社会发展主要指标
类别
序号
指标名称
2025年
预计
2030年
目标
年均/
累计
属性
经济发展
（2项）
1
全员劳动生产率（万元/人）
24.5
30
—
预期性

2
常住人口城镇化率（%）
71.2
74左右
—
预期性
绿色生态
（2项）
3
单位地区生产总值二氧化碳排放降低（%）
—
—
完成省下达目标
约束性

4
城镇新增就业人数（万人）
12.1
＞10
〔52〕
预期性
第三章 产业
"""

SPACED = """某市国民经济和社会发展第十五个五年规划纲要
表 2 主要指标
序号 指 标 2030 年目标 属性
一、创新（2 项）
1 每万人口高价值发明专利拥有量（件） 35 左右 约束性
2 集装箱吞吐量（万标箱） ≥ 420 预期性
3 森林覆盖率（%） 基本稳定 约束性
在此基础上，到 2035 年基本实现现代化。
"""


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    """The vocabulary a plan from another city meets: the catalog as it stood before the 十五五 round
    (the indicators of the seed plans and of the published statistics), so that these texts, written
    in the genre and not taken from any plan, exercise both known indicators and proposals of new ones."""
    from tests.support.factories import project_catalog

    catalog = project_catalog()
    used = {
        t.indicator for _, pf in catalog.plans if pf.plan.source_document[:1].isdigit() for t in pf.targets
    }
    stats = (PROJECT_ROOT / "indicators" / "observations" / "published_stats.csv").read_text(encoding="utf-8")
    used |= {line.split(",", 1)[0] for line in stats.splitlines()[1:]}
    known = [i for i in catalog.indicators if i.code in used]
    used |= {c for i in known for c in (i.numerator, i.denominator) if c}
    return Vocabulary.from_entries([i for i in catalog.indicators if i.code in used], catalog.regions)


def find(props: list[Proposal], words: str, kind: str = "target", year: int = 2030) -> list[Proposal]:
    return [p for p in props if words in p.quote and p.kind == kind and p.target_year == year]


def test_a_table_one_cell_per_line(vocab: Vocabulary) -> None:
    props = read_plan(CELLS, vocab, PlanHints()).proposals
    (lp,) = find(props, "全员劳动生产率")
    assert (lp.value, lp.unit, lp.attribute, lp.suggested_code) == (
        Decimal(30),
        "万元/人",
        "anticipatory",
        "labour_productivity",
    )
    assert len(lp.quotes) == 1  # the sentence restating it
    (base,) = find(props, "全员劳动生产率", kind="baseline", year=2025)
    assert base.value == Decimal("24.5")
    (urb,) = find(props, "城镇化率（%）")
    assert (urb.indicator_code, urb.comparator, urb.value) == ("urbanization_rate", "~", Decimal(74))
    (co2,) = find(props, "二氧化碳")
    assert (co2.comparator, co2.value, co2.attribute) == ("qualitative", None, "binding")
    jobs = {p.declared_form: p for p in find(props, "城镇新增就业人数")}
    assert jobs["cumulative"].value == Decimal(52) and jobs["cumulative"].period_start == 2026
    assert not find(props, "（2项）")
    # the review section states results: baselines, not 2030 targets
    assert not find(props, "8600")


def test_a_pdf_table_row_per_line(vocab: Vocabulary) -> None:
    props = read_plan(SPACED, vocab, PlanHints()).proposals
    (pat,) = find(props, "发明专利")
    assert (pat.indicator_code, pat.comparator, pat.value, pat.attribute) == (
        "high_value_invention_patents_per_10k",
        "~",
        Decimal(35),
        "binding",
    )
    (box,) = find(props, "集装箱")
    assert (box.comparator, box.value, box.unit) == (">=", Decimal(420), "万标箱")
    (forest,) = find(props, "森林覆盖率")
    assert forest.comparator == "qualitative"


OLD_PLAN_TABLE = """某市国民经济和社会发展第十五个五年规划纲要
第一章 发展基础
专栏1 “十四五”规划主要指标完成情况
序号\t指标\t属性\t规划目标\t2025年完成情况
\t\t\t规划目标（2025年）\t年均增速〔累计〕\t
1\t地区生产总值（亿元）\t预期性\t9000以上\t7%左右\t8800，年均增速5.1%
2\t森林覆盖率（%）\t约束性\t26.5\t\t26.8
3\t单位地区生产总值能源消耗降低（%）\t约束性\t\t〔14〕\t〔15.2〕
第二章 主要目标
"""


def test_an_earlier_plans_table_states_its_own_targets(vocab: Vocabulary) -> None:
    """A new plan restating the previous plan's indicators: its 规划目标 cells are that plan's targets for
    its own end year (2025, not 2030), its 年均/累计 column runs over that plan's period, and the results
    column gives 2025 baselines."""
    props = read_plan(OLD_PLAN_TABLE, vocab, PlanHints()).proposals
    assert not [p for p in props if p.target_year == 2030]
    gdp = {p.declared_form: p for p in find(props, "地区生产总值", year=2025)}
    assert (gdp["level"].comparator, gdp["level"].value) == (">=", Decimal(9000))
    growth = gdp["avg_annual_growth"]
    assert (growth.value, growth.unit, growth.comparator, growth.period_start) == (Decimal(7), "%", "~", 2021)
    (forest,) = find(props, "森林覆盖率", year=2025)
    assert (forest.value, forest.attribute) == (Decimal("26.5"), "binding")
    (energy,) = find(props, "能源消耗", year=2025)
    assert (energy.value, energy.declared_form, energy.period_start) == (
        Decimal(-14),
        "relative_change",
        2021,
    )
    results = {p.value for p in find(props, "", kind="baseline", year=2025)}
    assert {Decimal(8800), Decimal("26.8")} <= results


UNDATED = """某市国民经济和社会发展第十五个五年规划纲要
第一章 发展基础
过去五年，全市建成数字农场40家。
第六章 推进乡村全面振兴
专栏9 乡村振兴重点工程
1.智慧农业工程。建成数字农场60家，新增冷链仓储库容12万立方米以上。
2.乡村人才工程。培育乡村工匠500名左右。
"""


def test_undated_goals_of_the_plans_own_period(vocab: Vocabulary) -> None:
    """A 十五五 plan's 专栏 and task chapters state goals without a year: they are for the period's end
    (2030); figures of the review section are not goals."""
    props = read_plan(UNDATED, vocab, PlanHints()).proposals
    (farms,) = find(props, "数字农场60家")
    assert (farms.value, farms.unit, farms.comparator) == (Decimal(60), "家", ">=")
    (craft,) = find(props, "乡村工匠")
    assert (craft.value, craft.comparator) == (Decimal(500), "~")
    assert not [p for p in props if p.kind == "target" and p.value == Decimal(40)]


SCALE_CLASSES = """某市国民经济和社会发展第十五个五年规划纲要
第一章 回顾与成就
过去五年，常住人口城镇化率达到78.5%，较2020年提高2个百分点。
第四章 构建现代化产业体系
壮大新能源、新材料、高端装备等6个千亿级产业集群。新建两个千万千瓦级海上风电基地。培育五百亿级数字贸易产业集群。
"""


def test_a_count_before_a_scale_class_is_the_goal(vocab: Vocabulary) -> None:
    """6个千亿级产业集群 is six clusters (not 1000 亿元); 千万千瓦级 is a class, not a figure; a 亿级 class
    without a count reads as its scale. An undated figure of the review section is a 2025 result."""
    props = read_plan(SCALE_CLASSES, vocab, PlanHints()).proposals
    (clusters,) = find(props, "6个千亿级")
    assert (clusters.value, clusters.unit) == (Decimal(6), "个")
    (bases,) = find(props, "千万千瓦级")
    assert (bases.value, bases.unit) == (Decimal(2), "个")
    (trade,) = find(props, "五百亿级")
    assert (trade.value, trade.unit, trade.comparator) == (Decimal(500), "亿元", ">=")
    assert not [p for p in props if p.value == Decimal(1000) or p.unit == "万千瓦"]
    (urban,) = find(props, "城镇化率", kind="baseline", year=2025)
    assert (urban.indicator_code, urban.value) == ("urbanization_rate", Decimal("78.5"))


SHARED_VERB = """某市国民经济和社会发展第十五个五年规划纲要
第七章 建设数字城市
到2030年，累计建成市级智能工厂300家，省级智能工厂80家，国家级智能工厂12个。
到2030年，建设市级数据实验室40家、数据赋能中心15家，争创国家级平台3个。
推动百亿级数字产业项目落地见效。
"""


def test_items_of_a_list_share_the_verb_of_the_first(vocab: Vocabulary) -> None:
    """X 300 家，Y 80 家，Z 12 个 and A 40 家、B 15 家: each item is a goal of its own, named by the words
    after the figure before it; a 亿级 scale describing projects is no goal."""
    props = read_plan(SHARED_VERB, vocab, PlanHints()).proposals
    got = {(p.indicator, p.value, p.unit) for p in props if p.kind == "target" and p.target_year == 2030}
    assert {
        ("省级智能工厂", Decimal(80), "家"),
        ("国家级智能工厂", Decimal(12), "个"),
        ("数据赋能中心", Decimal(15), "家"),
        ("市级数据实验室", Decimal(40), "家"),
    } <= got
    assert len([p for p in props if p.value == Decimal(300)]) == 1
    assert not [p for p in props if p.value == Decimal(100)]


WORDED_GOALS = """某市国民经济和社会发展第十五个五年规划纲要
第九章 建设美丽城市
到2030年，城区黑臭河道动态清零，主要入江支流水质稳定达到Ⅱ类，骨干企业超千家。
加快建设托育服务体系，每千人口拥有3岁以下婴幼儿托位数达到5个。健全覆盖城乡的救助体系，构建多层次、全覆盖的服务网络。
推动村级便民服务中心全覆盖。实施“零碳社区全覆盖”行动。
"""


def test_goals_stated_in_words(vocab: Vocabulary) -> None:
    """清零 is a goal of zero, a water class (Ⅱ类) a level to reach, 超千家 a thousand; 3岁以下 is a
    qualifier, 健全覆盖 is no 全覆盖, a system described as 全覆盖 or a quoted programme name is no goal."""
    props = read_plan(WORDED_GOALS, vocab, PlanHints()).proposals
    (zero,) = find(props, "清零")
    assert (zero.value, zero.comparator) == (Decimal(0), "<=")
    (water,) = find(props, "Ⅱ类")
    assert (water.value, water.unit, water.comparator) == (Decimal(2), "类", "<=")
    (firms,) = find(props, "超千家")
    assert (firms.value, firms.unit) == (Decimal(1000), "家")
    (places,) = find(props, "托位数")
    assert places.value == Decimal(5)
    assert not [p for p in props if p.unit == "岁"]
    coverage = [p for p in props if p.declared_form == "full_coverage"]
    assert [p.quote for p in coverage] == ["推动村级便民服务中心全覆盖"]


GLOSSES = """某市国民经济和社会发展第十五个五年规划纲要
第八章 推进城乡融合
建成数字农（牧、渔）场60家，全市累计建设完整社区（未来社区）400个左右，改造老旧管网（含燃气）300公里。
"""


def test_a_gloss_in_brackets_belongs_to_the_name(vocab: Vocabulary) -> None:
    props = read_plan(GLOSSES, vocab, PlanHints()).proposals
    got = {(p.value, p.unit, p.comparator) for p in props if p.kind == "target" and p.target_year == 2030}
    assert got == {(Decimal(60), "家", ">="), (Decimal(400), "个", "~"), (Decimal(300), "公里", ">=")}
    assert any("农（牧、渔）场" in p.quote for p in props)


BRACKET_CELLS = """某市国民经济和社会发展第十五个五年规划纲要
“十五五”时期主要指标
序号
指标名称
2025年
2030年
年均/累计
属性
1
城镇新增就业人数（万人）
18.2
＞15
[80]
预期性

2
学前教育毛入园率提高（百分点）
—
—
[3]
预期性
第三章 产业
"""


def test_bracketed_cells_of_a_table_one_cell_per_line(vocab: Vocabulary) -> None:
    """[80] on a line of its own is the cumulative cell of the row, not a page mark; a 提高（百分点）row's
    [3] is a rise of three points over the period."""
    props = read_plan(BRACKET_CELLS, vocab, PlanHints()).proposals
    jobs = {p.declared_form: p for p in find(props, "城镇新增就业人数")}
    assert jobs["cumulative"].value == Decimal(80) and jobs["cumulative"].period_start == 2026
    assert jobs["each_year"].value == Decimal(15)  # beside a five-year total, the 2030 cell is yearly
    (rise,) = find(props, "入园率")
    assert (rise.value, rise.unit, rise.period_start) == (Decimal(3), "百分点", 2026)


OBJECTS = """某市国民经济和社会发展第十五个五年规划纲要
第五章 建设创新城市
壮大生物医药、高端装备、新能源3个万亿级产业和12个千亿级产业集群。
每年为企业提供至少80个应用场景。接续实施2000万平方米城镇老旧小区改造。推进25个防洪排涝设施建设。
港口集装箱吞吐量达到450万TEU，智能算力规模超过60EFLOPS。
"""


def test_counts_and_amounts_before_their_noun(vocab: Vocabulary) -> None:
    """The number before its noun (提供至少80个场景 / 实施2000万平方米改造 / 3个万亿级产业和12个千亿级集群)
    is the goal; 至少 is at least; TEU and EFLOPS are units; 创新城市 names no region (新城)."""
    props = read_plan(OBJECTS, vocab, PlanHints()).proposals
    got = {(p.value, p.unit, p.comparator) for p in props if p.kind == "target" and p.target_year == 2030}
    assert {
        (Decimal(3), "个", ">="),
        (Decimal(12), "个", ">="),
        (Decimal(80), "个", ">="),
        (Decimal(2000), "万平方米", ">="),
        (Decimal(25), "个", ">="),
        (Decimal(450), "万TEU", ">="),
        (Decimal(60), "EFLOPS", ">="),
    } <= got
    (scenes,) = find(props, "80个")
    assert (scenes.indicator, scenes.declared_form) == ("应用场景", "each_year")
    assert all(p.region_code is None for p in props)


QUALITATIVE_TEXT = """某市国民经济和社会发展第十五个五年规划纲要
第一章 发展基础
过去五年，居民收入增长和经济增长基本同步。
第二章 发展目标
到2030年，城乡居民收入增长与经济增长同步，单位地区生产总值能耗降低完成省下达的目标任务。
"""


def test_goals_without_a_number_in_running_text(vocab: Vocabulary) -> None:
    """与经济增长同步 and 完成省下达目标 are goals without a number (comparator qualitative) for the indicator
    the clause names; said of the past, they are not goals."""
    props = read_plan(QUALITATIVE_TEXT, vocab, PlanHints()).proposals
    qual = {p.indicator_code or p.suggested_code: p for p in props if p.comparator == "qualitative"}
    assert set(qual) == {"disposable_income_growth", "energy_intensity"}
    assert all(p.target_year == 2030 and p.value is None for p in qual.values())
    assert qual["energy_intensity"].quote == "单位地区生产总值能耗降低完成省下达的目标任务"


REGIONS = """上海市国民经济和社会发展第十五个五年规划纲要
第六章 扩大开放
2.中国（上海）数字贸易先行区。新增跨境电商产业园8个，培育进入全国百强的数字贸易企业20家。
到2030年，浦东新区规上工业总产值突破2万亿元。
"""


def test_the_region_of_a_goal(vocab: Vocabulary) -> None:
    """全国 / 中国 inside a city plan's heading or clause is no region of the goal; a district named in the
    clause is."""
    props = read_plan(REGIONS, vocab, PlanHints()).proposals
    assert {p.region_code for p in find(props, "跨境电商产业园")} == {"310000"}
    assert {p.region_code for p in find(props, "数字贸易企业")} == {"310000"}
    assert {p.region_code for p in find(props, "浦东新区")} == {"310115"}


ALL_OF_A_SET = """某市国民经济和社会发展第十五个五年规划纲要
第四章 产业
力争各县（市）全部达到五百亿元经济总量，把具备条件的耕地全部建成高标准农田。低空经济规模实现倍增。
到2030年，实施关键技术攻关项目 120 个。支持“一区五园”建设。
"""


def test_all_of_a_set_doubling_and_names(vocab: Vocabulary) -> None:
    """全部达到X / 全部建成 is full coverage (100 %), not the level X; a new indicator of a plan's own period
    doubles (倍增); an action verb opens a goal; a numeral inside a quoted programme name is no figure."""
    props = read_plan(ALL_OF_A_SET, vocab, PlanHints()).proposals
    coverage = [p for p in props if p.declared_form == "full_coverage"]
    assert len(coverage) == 2 and all(p.value == Decimal(100) for p in coverage)
    assert not [p for p in props if p.value == Decimal(500)]
    (double,) = [p for p in props if p.declared_form == "multiple"]
    assert (double.indicator, double.value, double.target_year) == ("低空经济规模", Decimal(2), 2030)
    (projects,) = find(props, "攻关项目")
    assert projects.value == Decimal(120)
    assert not [p for p in props if p.value == Decimal(5)]


REVIEW_PASSAGE = """某市国民经济和社会发展第十五个五年规划纲要
第一章 开启现代化新征程
“十四五”时期，我市综合实力跃升，上市公司突破150家，常住人口城镇化率达到76%。
“十五五”时期，全市上市公司突破200家。
"""


def test_a_passage_looking_back_states_results(vocab: Vocabulary) -> None:
    """A passage that opens with "十四五"时期 / 过去五年 states the previous period's results (2025), under
    whatever heading; the next one that opens with "十五五" states goals again."""
    props = read_plan(REVIEW_PASSAGE, vocab, PlanHints()).proposals
    assert not [p for p in props if p.value == Decimal(150) and p.kind == "target"]
    (urban,) = [p for p in props if p.indicator_code == "urbanization_rate"]
    assert (urban.kind, urban.target_year, urban.value) == ("baseline", 2025, Decimal(76))
    (firms,) = find(props, "200家")
    assert firms.target_year == 2030


LISTS_OF_EVENTS = """某市国民经济和社会发展第十五个五年规划纲要
专栏8 文体旅融合工程
1.赛事工程。每年举办2—4项国际赛事、30项以上全国性赛事。年营收5000万元以上文旅企业突破150家。
2.乡村工程。建成数字渔场40家，生态茶园120家。力争旅游总收入突破万亿元。
"""


def test_lists_of_objects_and_bare_scales(vocab: Vocabulary) -> None:
    """举办2—4项A、30项以上B: two goals, each named by its own noun; a qualifier with a figure inside a name
    (年营收5000万元以上企业) leaves the count as the goal; the second item of X 40家，Y 120家 shares the verb;
    突破万亿元 is one 万亿元."""
    props = read_plan(LISTS_OF_EVENTS, vocab, PlanHints()).proposals
    got = {(p.indicator, p.low or p.value, p.unit) for p in props if p.kind == "target"}
    assert {
        ("国际赛事", Decimal(2), "项"),
        ("全国性赛事", Decimal(30), "项"),
        ("生态茶园", Decimal(120), "家"),
    } <= got
    (firms,) = find(props, "文旅企业")
    assert (firms.value, firms.unit) == (Decimal(150), "家")
    (tourism,) = find(props, "万亿元")
    assert (tourism.value, tourism.unit) == (Decimal(1), "万亿元")


BARE_RATES = """某市国民经济和社会发展第十五个五年规划纲要
第十章 民生
到“十五五”末，社区儿童之家服务覆盖率100%。到2030年，每千名老年人拥有养老床位数45张。
每年联合举办国际学术会议3—5个。实现装配式建筑100%覆盖。
"""


def test_rates_stated_under_a_target_year(vocab: Vocabulary) -> None:
    """到2030年，X率100% (no verb) is a goal; 每千名 is a rate's denominator, not a figure; 未成年/未来 are
    no negation; 联合举办 opens a goal; 100%覆盖 is a coverage."""
    props = read_plan(BARE_RATES + "未成年人保护站覆盖率达到95%。\n", vocab, PlanHints()).proposals
    got = {(p.value, p.low, p.unit) for p in props if p.kind == "target" and p.target_year == 2030}
    assert {
        (Decimal(100), None, "%"),
        (Decimal(45), None, "张"),
        (None, Decimal(3), "个"),
        (Decimal(95), None, "%"),
    } <= got
    assert not [p for p in props if p.value == Decimal(1000)]
    assert len([p for p in props if p.value == Decimal(100)]) == 2


FOOTER_INSIDE = """某市国民经济和社会发展第十五个五年规划纲要
第四章 产业
到2030年，规上工业增加值率提高到24%，规上工业增加值达到9000亿元，全市研发投入强度达到
— 41 —
3.8%①。
"""


def test_a_page_footer_inside_a_sentence_and_a_rate_beside_its_level(vocab: Vocabulary) -> None:
    """A page footer between two lines of a sentence is left out of the quote; 规上工业增加值率 (a rate) is not
    the level 规上工业增加值."""
    props = read_plan(FOOTER_INSIDE, vocab, PlanHints()).proposals
    (rd,) = [p for p in props if p.indicator_code == "rd_intensity"]
    assert rd.quote == "全市研发投入强度达到3.8%" and rd.value == Decimal("3.8")
    (rate,) = find(props, "增加值率")
    assert rate.indicator_code is None and rate.declared_form == "share"
    (level,) = find(props, "9000亿元")
    assert level.indicator_code == "industrial_value_added"


MEASURED_SUBJECTS = """某市国民经济和社会发展第十五个五年规划纲要
第七章 城市
到2030年约600平方公里建成区达到海绵城市建设要求。新增百亿元数字贸易产业集群4个。
加快推进城中村改造，基本完成项目前期工作，接续实施1500万平方米老旧小区改造。
"""


def test_figures_that_measure_or_describe_a_noun(vocab: Vocabulary) -> None:
    """约600平方公里建成区达到… measures its subject (a goal of 600); 百亿元 describing clusters that a count
    measures is no goal of its own; 项目前期 holds no 目前."""
    props = read_plan(MEASURED_SUBJECTS, vocab, PlanHints()).proposals
    (area,) = find(props, "600平方公里")
    assert (area.value, area.comparator, area.unit) == (Decimal(600), "~", "平方公里")
    assert not [p for p in props if p.value == Decimal(100)]
    (clusters,) = find(props, "集群4个")
    assert clusters.value == Decimal(4)
    (renewal,) = find(props, "1500万平方米")
    assert renewal.kind == "target"


COMPLETIONS = """某市国民经济和社会发展第十五个五年规划纲要
第十章 乡村
7.集体经济工程。市级重点支持建设共享农园200家，力争实现村集体经济“20100”目标全覆盖。
省级以上工业园区全面完成污水零直排改造。全面完成省下达的目标任务。
"""


def test_completions_and_quoted_targets(vocab: Vocabulary) -> None:
    """全面完成X改造 is full coverage; a quoted target name may hold digits; 市级重点支持建设 opens a goal."""
    props = read_plan(COMPLETIONS, vocab, PlanHints()).proposals
    cover = {p.quote for p in props if p.declared_form == "full_coverage"}
    assert cover == {"力争实现村集体经济“20100”目标全覆盖", "省级以上工业园区全面完成污水零直排改造"}
    (parks,) = find(props, "200家")
    assert parks.value == Decimal(200)


PROGRAMME_NAMES = """某市国民经济和社会发展第十五个五年规划纲要
第八章 人才
实施百名青年企业家培养计划，培育青年企业家200名。推动24小时“青年驿站”建设。
第一章 回顾
过去五年，形成1个万亿级、2个千亿级和一批300—500亿级的产业集群。
"""


def test_numbers_in_programme_names_and_classes(vocab: Vocabulary) -> None:
    """百名…培养计划 is a programme's name, 200名 the goal; 24小时“驿站” a duration describing a noun;
    一批300—500亿级 is no figure."""
    props = read_plan(PROGRAMME_NAMES, vocab, PlanHints()).proposals
    assert [p.value for p in props if p.kind == "target"] == [Decimal(200)]
    assert not [p for p in props if p.value in (Decimal(300), Decimal(500))]


EACH = """某市国民经济和社会发展第十五个五年规划纲要
第十四章 开发区
到2030年，开发区规上工业总产值和服务业营业收入占全市比重均超过75%。
"""


def test_a_figure_shared_by_subjects_with_jun(vocab: Vocabulary) -> None:
    """A和B占…比重均超过X: one goal for each subject."""
    props = read_plan(EACH, vocab, PlanHints()).proposals
    assert sorted(p.indicator for p in props) == [
        "开发区规上工业总产值占全市比重",
        "服务业营业收入占全市比重",
    ]
    assert all(p.value == Decimal(75) and p.declared_form == "share" for p in props)
