"""The plan reader on text written for these tests (not the seed documents): how plans write goals,
numbers, years and regions; magazine layout; and files that are not a plan's text."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from service.config import PROJECT_ROOT
from service.domain.plan_reader import (
    CleanText,
    PlanHints,
    Proposal,
    UnreadableDocument,
    Vocabulary,
    chinese_number,
    numbers_in,
    read_document,
    read_plan,
    to_decimal,
)
from tests.support.samples import PLAN, without_absent


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return without_absent(Vocabulary.from_catalog_dir(PROJECT_ROOT / "indicators"))


def by(proposals: list[Proposal], indicator: str, **fields: object) -> Proposal:
    found = [
        p
        for p in proposals
        if p.indicator_code == indicator and all(getattr(p, k) == v for k, v in fields.items())
    ]
    assert len(found) == 1, f"{indicator} {fields}: {[(p.quote, p.target_year) for p in found]}"
    return found[0]


def magazine(text: str, width: int = 7) -> str:
    """The text set as a magazine sets it: a line break every few characters, blank lines between."""
    flat = text.replace("\n", "")
    return "\n\n".join(flat[i : i + width] for i in range(0, len(flat), width))


def test_numbers_as_plans_write_them() -> None:
    assert chinese_number("三千五百") == 3500 and chinese_number("十一") == 11 and chinese_number("两") == 2
    assert chinese_number("二〇二五") == 2025 and chinese_number("十百千") is None
    assert to_decimal("1,500") == Decimal(1500) and to_decimal("三点五") == Decimal("3.5")
    assert numbers_in("高新技术企业达到３０００家") >= {Decimal(3000)}
    assert numbers_in("5G网络全覆盖") == {Decimal(5), Decimal(100)}
    assert Decimal(2) in numbers_in("创建两个示范区")


def test_a_plan_written_for_this_test(vocab: Vocabulary) -> None:
    reading = read_plan(PLAN, vocab, PlanHints(title="上海市青浦区国民经济和社会发展第十五个五年规划纲要"))
    props = reading.proposals
    assert reading.issued_year == 2026 and reading.horizon_year == 2030 and reading.scope_region == "310118"
    # baselines in 发展基础: a period and a year
    gdp_growth = by(props, "gdp_growth", kind="baseline")
    assert (gdp_growth.value, gdp_growth.target_year, gdp_growth.period) == (
        Decimal("6.5"),
        2025,
        (2021, 2025),
    )
    assert by(props, "urbanization_rate", kind="baseline").value == Decimal("72.3")
    assert by(props, "high_tech_enterprises", kind="baseline").value == Decimal(850)  # full-width digits
    # 突破 + full-width digits + 亿
    gdp = by(props, "gdp", kind="target")
    assert (gdp.comparator, gdp.value, gdp.unit, gdp.target_year) == (">=", Decimal(20000), "亿元", 2030)
    assert by(props, "rd_intensity").value == Decimal("3.5")  # 百分之三点五
    hte = by(props, "high_tech_enterprises", kind="target")
    assert (hte.comparator, hte.value) == (">=", Decimal(1200))  # 不低于 1,200
    urb = by(props, "urbanization_rate", kind="target")
    assert (urb.comparator, urb.value, urb.declared_form) == ("~", Decimal(75), "share")  # 左右
    energy = by(props, "energy_intensity")  # a heading year governs the sentences after it
    assert (energy.declared_form, energy.value, energy.reference_year, energy.target_year) == (
        "relative_change", Decimal("-13.5"), 2025, 2030,
    )  # fmt: skip
    pm = by(props, "pm25_concentration")
    assert (pm.comparator, pm.value, pm.unit) == ("<=", Decimal(30), "微克/立方米")  # 控制在…以内
    income = by(props, "disposable_income_per_capita")
    assert (income.declared_form, income.comparator, income.reference_year) == (
        "avg_annual_growth",
        "~",
        2025,
    )
    assert by(props, "gdp_per_capita").comparator == "~"  # 约
    stations = by(props, "base_stations_5g")
    assert (stations.comparator, stations.low, stations.high, stations.unit) == ("range", 2, 3, "万个")
    assert (stations.declared_form) == "cumulative"
    assert by(props, "industrial_value_added").declared_form == "multiple"  # 翻一番
    sewage = [p for p in props if p.indicator_code is None]
    assert len(sewage) == 1 and sewage[0].declared_form == "full_coverage" and "污水" in sewage[0].indicator
    # 分别: each region with its figure
    qingpu = by(props, "industrial_output", region_code="SH-NC-QINGPU")
    jiading = by(props, "industrial_output", region_code="SH-NC-JIADING")
    assert (qingpu.value, jiading.value) == (Decimal(1500), Decimal(2000))
    labs = by(props, "national_laboratories")  # 力争 + Chinese numeral
    assert (labs.value, labs.comparator, labs.confidence) == (Decimal(2), ">=", "medium")
    # the 2035 section
    assert by(props, "average_life_expectancy").target_year == 2035
    assert by(props, "high_value_invention_patents_per_10k").value == Decimal(20)  # 二十件
    assert {p.region_code for p in props} <= {"310118", "SH-NC-QINGPU", "SH-NC-JIADING"}
    for p in props:
        assert p.quote and p.quote.replace(" ", "") in PLAN.replace("\n", "")
        assert PLAN[p.start : p.end].replace("\n", "") == p.quote.replace(" ", "")
        assert p.confidence in ("high", "medium", "low") and p.reason


def test_magazine_layout_reads_the_same_and_points_into_the_original(vocab: Vocabulary) -> None:
    plain = read_plan(PLAN, vocab, PlanHints(title="上海市青浦区规划"))
    broken_text = magazine(PLAN)
    broken = read_plan(broken_text, vocab, PlanHints(title="上海市青浦区规划"))

    def key(p: Proposal) -> tuple[object, ...]:
        return (p.kind, p.indicator_code, p.region_code, p.value, p.low, p.high, p.target_year, p.quote)

    assert [key(p) for p in broken.proposals] == [key(p) for p in plain.proposals]
    for p in broken.proposals:
        assert broken_text[p.start : p.end].replace("\n", "") == p.quote.replace(" ", "")
        assert broken_text.count("\n", 0, p.start) + 1 == p.line


def test_shared_subjects_stretch_values_and_the_other_members_of_a_zone(vocab: Vocabulary) -> None:
    text = (
        "为推进“十四五”新城建设，制订本方案。到2025年，南汇新城按照产业规划，工业总产值达到3000亿元，"
        "年均增长不低于20%，其他4个新城年均增长7%以上、力争9%以上。推进“一城一名园”建设。"
    )
    props = read_plan(text, vocab, PlanHints(title="上海市五个新城产业方案", issued_year=2021)).proposals
    nanhui = [p for p in props if p.region_code == "SH-NC-NANHUI" and p.indicator_code == "industrial_output"]
    assert {(p.value, p.declared_form) for p in nanhui} == {(3000, "level"), (20, "avg_annual_growth")}
    growth = [p for p in props if p.indicator_code == "industrial_output" and p.value == 7]
    assert sorted(p.region_code or "" for p in growth) == ["SH-NC-FENGXIAN", "SH-NC-JIADING", "SH-NC-QINGPU",
                                                         "SH-NC-SONGJIANG"]  # fmt: skip
    assert all(p.stretch_value == 9 and p.reference_year == 2020 for p in growth)
    parks = [p for p in props if p.indicator_code == "brand_industrial_parks"]
    assert len(parks) == 5 and all(p.value == 1 for p in parks)


def test_two_year_headings_side_by_side_and_a_list_that_doubles(vocab: Vocabulary) -> None:
    text = (
        "图解《杭州市某行动计划》\n行动目标\n到2025年到2035年\n全市常住人口城镇化率达到82%，"
        "人均GDP达到22万元。实施工业投资、工业技改“两倍增”计划。去年全市GDP同比下降6.8%。"
    )
    props = read_plan(text, vocab, PlanHints(issued_year=2019)).proposals
    assert by(props, "urbanization_rate").target_year == 2025
    assert by(props, "gdp_per_capita").region_code == "330100"
    doubled = {p.indicator_code for p in props if p.declared_form == "multiple"}
    assert doubled == {"industrial_investment", "industrial_upgrade_investment"}
    assert all(p.reference_year == 2018 for p in props if p.declared_form == "multiple")
    assert not [p for p in props if p.kind == "target" and p.value == Decimal("6.8")]


def test_statements_forecasts_and_attributes_are_not_goals(vocab: Vocabulary) -> None:
    text = (
        "长三角以仅占全国3.7%的国土面积，集中了全国四分之一的经济总量。2019年，九城市开展要素对接活动300余场。"
        "预计2020年全球经济将萎缩3%。政策未能全覆盖。形成一批千亿级产业集群。"
    )
    assert read_plan(text, vocab, PlanHints(issued_year=2019)).proposals == []


def test_clean_text_maps_every_character_back(vocab: Vocabulary) -> None:
    text = "第一行\n— 8 —\n到 2025 年，研发投入\n强度达到 3.5%。"
    ct = CleanText(text)
    assert ct.clean == "第一行到2025年,研发投入强度达到3.5%。"
    for i, ch in enumerate(ct.clean):
        assert text[ct.pos[i]] in (ch, "，")
    (p,) = read_plan(text, vocab).proposals
    assert p.quote == "研发投入强度达到 3.5%" and text[p.start : p.end] == "研发投入\n强度达到 3.5%"


# --- files ------------------------------------------------------------------------------------------------


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _pdf(text: str) -> bytes:
    """A one-page PDF whose text layer holds ``text`` (a CID font with a ToUnicode map, no glyphs)."""
    chars = sorted(set(text))
    cid = {ch: i + 1 for i, ch in enumerate(chars)}
    cmap_lines = "\n".join(f"<{cid[ch]:04X}> <{ord(ch):04X}>" for ch in chars)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(chars)} beginbfchar\n{cmap_lines}\nendbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    content = ("BT /F1 12 Tf 40 700 Td <" + "".join(f"{cid[ch]:04X}" for ch in text) + "> Tj ET").encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


GOALS = "到2030年，全市研发投入强度达到3.5%，高新技术企业数量不低于1200家，常住人口城镇化率达到80%。"


def test_docx_and_pdf_text_layers_are_read(vocab: Vocabulary) -> None:
    text = read_document("plan.docx", _docx(["某市发展规划", GOALS]))
    assert GOALS in text
    assert len(read_plan(text, vocab).proposals) == 3
    pdf_text = read_document("plan.pdf", _pdf(GOALS))
    assert pdf_text.replace("\n", "").replace(" ", "") == GOALS
    assert {p.indicator_code for p in read_plan(pdf_text, vocab).proposals} == {
        "rd_intensity", "high_tech_enterprises", "urbanization_rate",
    }  # fmt: skip


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (200 * 1024 * 1024))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"   \n\n  ", "no text"),
        ("image.txt", bytes(range(256)) * 40, "binary"),
        (
            "english.txt",
            b"The city will raise its R&D intensity to 3.5% by 2030. " * 20,
            "does not look like a plan",
        ),
        ("huge.txt", "规划目标。".encode() * (50 * 1024 * 1024 // 15), "too large"),
        ("bomb.docx", None, "zip bomb"),
        ("broken.docx", b"PK\x03\x04 this is not a zip", "not a valid .docx"),
        ("other.docx", None, "not a Word"),
        ("broken.pdf", b"%PDF-1.7\n garbage", "cannot read this PDF"),
    ],
)
def test_what_is_not_a_plan_is_refused_with_a_clear_message(
    name: str, content: bytes | None, message: str
) -> None:
    if name == "bomb.docx":
        content = _zip_bomb()
        assert len(content) < 1024 * 1024
    elif name == "other.docx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("hello.txt", "你好")
        content = buf.getvalue()
    assert content is not None
    with pytest.raises(UnreadableDocument) as err:
        read_document(name, content)
    assert message in err.value.en and err.value.zh and err.value.status == 422


def test_an_indicator_table_in_a_docx(vocab: Vocabulary) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("上海市某区“十五五”规划纲要")
    document.add_paragraph("专栏1 主要指标")
    table = document.add_table(rows=3, cols=4)
    for row, cells in zip(
        table.rows,
        [["指标", "2025年", "2030年", "属性"], ["研发经费投入强度（%）", "3.2", "3.6左右", "预期性"],
         ["PM2.5平均浓度（微克/立方米）", "30", "≤28", "约束性"]],
        strict=True,
    ):  # fmt: skip
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    buf = io.BytesIO()
    document.save(buf)
    text = read_document("plan.docx", buf.getvalue())
    props = read_plan(text, vocab, PlanHints(title="上海市青浦区规划", issued_year=2026)).proposals
    rd = by(props, "rd_intensity", kind="target")
    assert (rd.value, rd.comparator, rd.target_year, rd.region_code) == (Decimal("3.6"), "~", 2030, "310118")
    assert by(props, "rd_intensity", kind="baseline").target_year == 2025
    pm = by(props, "pm25_concentration", kind="target")
    assert (pm.value, pm.comparator, pm.unit) == (Decimal(28), "<=", "微克/立方米")
    assert text[pm.start : pm.end].split("\t")[0] == "PM2.5平均浓度（微克/立方米）"
