"""Targets in words (service.domain.wording), the status palette, verdicts beside progress, and the
target chart's figure (service.web.charts) without a browser. Pure functions: no database."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.db.models import Comparator, DeclaredForm, Direction
from service.domain.progress import Point, TargetSpec, assess
from service.domain.statuses import QUALITATIVE, STATUS_COLOURS, STATUS_ICONS, STATUS_TINTS, Status
from service.domain.wording import (
    base_already_met,
    fmt_number,
    fmt_value,
    implied_level,
    progress_shown,
    target_marker,
    target_words,
)
from service.notify.digest import _schedule
from service.web.charts import target_chart

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def rec(**kw: Any) -> dict[str, Any]:
    base = {"comparator": ">=", "value": None, "low": None, "high": None, "stretch_value": None,
            "declared_form": "level", "target_unit": "%", "unit": "%", "reference_year": None,
            "period_start": None, "target_year": 2025, "source_quote": "原文"}  # fmt: skip
    return {**base, **kw}


# (record, zh, en): the declared forms the plans use, as officials write them
CASES: list[tuple[dict[str, Any], str, str]] = [
    (rec(value=3.7), "≥3.7%", "≥3.7%"),
    (rec(comparator="<=", value=2.2, target_unit="倍", unit="倍", declared_form="ratio"), "≤2.2倍", "≤2.2×"),
    (rec(comparator="~", value=3000, target_unit="家", unit="家"), "3000家左右", "about 3000 firms"),
    (rec(comparator="~", value=3.7), "3.7%左右", "about 3.7%"),
    (rec(comparator="range", low=2, high=3, target_unit="个", unit="个"), "2–3个", "2–3"),
    (rec(value=6, stretch_value=8), "≥6%（力争8%）", "≥6% (stretch 8%)"),
    (rec(value=100, declared_form="full_coverage"), "全覆盖（100%）", "full coverage (100%)"),
    # doubling: in words, never "≥2家"; with the level it means once the base is known
    (rec(value=2, target_unit="家", unit="家", declared_form="multiple", reference_year=2018),
     "较2018年翻一番", "double the 2018 level"),
    (rec(value=2, target_unit="亿元", unit="亿元", declared_form="multiple", reference_year=2020,
         baseline_value=1200), "较2020年翻一番（≥ 2400亿元）", "double the 2020 level (i.e. ≥ 2400 100m yuan)"),
    (rec(value=4, target_unit="倍", unit="亿元", declared_form="multiple", reference_year=2000),
     "较2000年翻两番", "quadruple the 2000 level"),
    # a change against a base year: never "≤-10%"; the level once the base is known
    (rec(comparator="<=", value=-10, unit="吨标准煤/万元", declared_form="relative_change", reference_year=2017),
     "较2017年下降10%", "down at least 10% on 2017"),
    (rec(comparator="<=", value=-10, unit="吨标准煤/万元", declared_form="relative_change", reference_year=2017,
         target_level=0.45), "较2017年下降10%（≤ 0.45吨标准煤/万元）",
     "down at least 10% on 2017 (i.e. ≤ 0.45 tce per 10k yuan)"),
    (rec(comparator=">=", value=-5, unit="起", declared_form="relative_change", period_start=2026,
         target_year=2030), "较2025年下降5%以内", "down at most 5% on 2025"),
    (rec(comparator="<=", value=-2, target_unit="百分点", declared_form="relative_change", reference_year=2020),
     "较2020年下降2个百分点", "down at least 2 pp on 2020"),
    (rec(comparator=">=", value=25, declared_form="avg_annual_growth", reference_year=2020, unit="亿元",
         target_unit="%"), "年均增长≥25%（2020–2025年）", "average annual growth ≥25% (2020–2025)"),
    (rec(comparator="~", value=5, declared_form="avg_annual_growth", period_start=2026, target_year=2030,
         unit="%"), "年均增长5%左右（2025–2030年）", "average annual growth about 5% (2025–2030)"),
    (rec(value=30, target_unit="万人", unit="万人", declared_form="each_year", period_start=2026, target_year=2030),
     "2026–2030每年≥30万人", "≥30 10k people each year of 2026–2030"),
    (rec(value=150, target_unit="万人", unit="万人", declared_form="cumulative", period_start=2026,
         target_year=2030), "2026–2030年累计≥150万人", "≥150 10k people in total over 2026–2030"),
    (rec(comparator="qualitative", source_quote="完成省定目标"), "定性：完成省定目标", "Qualitative: 完成省定目标"),
]  # fmt: skip


@pytest.mark.parametrize(("r", "zh", "en"), CASES, ids=[c[1] for c in CASES])
def test_declared_forms_in_words_in_both_languages(r: dict[str, Any], zh: str, en: str) -> None:
    assert target_words(r, "zh") == zh
    assert target_words(r, "en") == en
    if r["comparator"] != "qualitative":  # the plan's own words are Chinese; everything else is not
        assert not CJK.search(target_words(r, "en")), target_words(r, "en")
    assert "≤-" not in target_words(r, "zh") and "≥-" not in target_words(r, "zh")


def test_a_growth_rate_indicators_index_is_never_shown_as_a_level() -> None:
    r = rec(value=6, declared_form="avg_annual_growth", reference_year=2020, target_level=133.8,
            indicator_kind="growth_rate")  # fmt: skip
    assert implied_level(r) is None and "133.8" not in target_words(r)
    assert target_marker(r) is None


def test_numbers_for_people() -> None:
    assert fmt_number(4.10000000) == "4.1" and fmt_number(150.0) == "150" and fmt_number(0.012345) == "0.0123"
    assert fmt_number(37987.549) == "37987.55" and fmt_number(None) == "" and fmt_number(float("nan")) == ""
    assert fmt_value(3.7, "%", "en") == "3.7%" and fmt_value(5000, "亿元", "zh") == "5000亿元"
    assert fmt_value(5000, "亿元", "en") == "5000 100m yuan" and fmt_value(2, None, "zh") == "2"
    assert fmt_value(2, "None", "zh") == "2"  # never 单位“None”


def test_target_marker_on_the_indicators_axis() -> None:
    assert target_marker(rec(value=3.7)) == {"level": 3.7, "band": None, "stretch": None}
    assert target_marker(rec(comparator="range", low=2, high=3)) == {"level": 2.0, "band": [2.0, 3.0],
                                                                       "stretch": None}  # fmt: skip
    assert target_marker(rec(value=100, declared_form="full_coverage"))["level"] == 100.0  # type: ignore[index]
    assert target_marker(rec(value=6, stretch_value=8))["stretch"] == 8.0  # type: ignore[index]
    # 下降10% is not a level on a 吨标准煤/万元 axis: drawn only at the level it implies from a known base
    energy = rec(comparator="<=", value=-10, declared_form="relative_change", reference_year=2017)
    assert target_marker(energy) is None
    assert target_marker({**energy, "baseline_value": 0.5})["level"] == pytest.approx(0.45)  # type: ignore[index]
    assert target_marker(rec(comparator="qualitative")) is None


def test_every_status_has_its_own_colour_and_icon() -> None:
    keys = [s.value for s in Status] + [QUALITATIVE]
    for palette in (STATUS_COLOURS, STATUS_ICONS, STATUS_TINTS):
        assert set(palette) == set(keys)
        assert len(set(palette.values())) == len(keys), palette
    assert STATUS_COLOURS["achieved"] != STATUS_COLOURS["achieved_early"]
    assert STATUS_ICONS["achieved"] != STATUS_ICONS["achieved_early"]


# --- verdicts and progress never contradict each other ----------------------------------------------


def spec(comparator: Comparator, value: float, **kw: Any) -> TargetSpec:
    return TargetSpec(comparator=comparator, value=value, target_year=2025, declared_form=DeclaredForm.LEVEL,
                      direction=Direction.UP, reference_year=2020, **kw)  # fmt: skip


def record_of(a: Any) -> dict[str, Any]:
    return {"status": a.status.value, "completion": a.completion, "tau": a.tau, "base_value": a.base_value,
            "target_level": a.target_level, "comparator": ">=", "base_met": a.base_met}  # fmt: skip


def test_met_at_the_base_and_missed_at_the_end_shows_no_completion_share() -> None:
    """≥85 with 90 at the base and 84 in the target year: MISSED (§3 rule 3 comes first), and the
    completion share (84−90)/(85−90) = 120 % is not shown beside it, nor the path sloping down."""
    a = assess(spec(Comparator.GE, 85), [Point(2020, 90.0), Point(2023, 88.0), Point(2025, 84.0)], 2026)
    assert a.status is Status.MISSED and a.completion == pytest.approx(1.2) and a.base_met is True
    r = record_of(a)
    assert base_already_met(r) and not progress_shown(r)
    assert _schedule(r, "zh") is None and _schedule(r, "en") is None  # the e-mail leaves it out too


def test_about_target_met_at_the_base_then_below_its_band() -> None:
    """约4% (band 3.92–4.08) from 4.2 at the base to 3.9: the completion share would read 150 %."""
    s = TargetSpec(comparator=Comparator.ABOUT, value=4.0, target_year=2025, declared_form=DeclaredForm.SHARE,
                   direction=Direction.UP, reference_year=2020)  # fmt: skip
    a = assess(s, [Point(2020, 4.2), Point(2025, 3.9)], 2026)
    assert a.status is Status.MISSED and a.completion == pytest.approx(1.5)
    assert not progress_shown({**record_of(a), "comparator": "~"})


def test_met_at_the_base_and_worse_before_the_end_is_regressing() -> None:
    a = assess(spec(Comparator.GE, 85), [Point(2020, 90.0), Point(2023, 84.0)], 2023)
    assert a.status is Status.REGRESSING and not progress_shown(record_of(a))


def test_met_at_the_base_and_still_met_is_achieved_without_a_share_below_100() -> None:
    a = assess(spec(Comparator.GE, 85), [Point(2020, 90.0), Point(2025, 87.0)], 2026)
    assert a.status is Status.ACHIEVED and a.completion == pytest.approx(0.6)
    assert not progress_shown(record_of(a))


def test_progress_is_shown_where_it_means_something() -> None:
    a = assess(spec(Comparator.GE, 3.7), [Point(2020, 3.4), Point(2021, 3.44), Point(2022, 3.51),
                                          Point(2023, 3.55)], 2023)  # fmt: skip
    assert a.status is Status.NEEDS_ACCELERATION and a.base_met is False
    r = record_of(a)
    assert progress_shown(r) and "完成进度 50%" in (_schedule(r, "zh") or "")


# --- the target chart's figure -------------------------------------------------------------------------


def chart_data(**kw: Any) -> dict[str, Any]:
    d = {"indicator": "铁路网密度", "indicator_en": "Railway density", "region": "长三角", "region_en": "YRD",
         "unit": "公里/万平方公里", "target_year": 2025, "period_start": None, "first_year": 2018, "series": [],
         "revised": [], "base": None, "reference": [], "required": [], "projection": [], "trend": None,
         "target_level": 507.0, "band": None, "stretch": None,
         "words": {"zh": "≥507公里/万平方公里", "en": "≥507 km per 10k km²"}}  # fmt: skip
    return {**d, **kw}


def test_an_empty_chart_says_so_and_still_shows_the_target() -> None:
    for lang, empty in (("zh", "暂无数据"), ("en", "No data yet")):
        fig = target_chart(chart_data(), lang)
        assert [a["text"] for a in fig["layout"]["annotations"]] == [empty]
        (target,) = fig["data"]
        assert target["x"] == [2025] and target["y"] == [507.0]
        x = fig["layout"]["xaxis"]
        assert x["dtick"] == 1 and x["tickformat"] == "d" and x["range"] == [2017.5, 2025.5]
    en = target_chart(chart_data(), "en")
    texts = [en["layout"]["title"]["text"], en["layout"]["yaxis"]["title"]["text"],
             en["layout"]["xaxis"]["title"]["text"], *(t["name"] for t in en["data"]),
             *(c for t in en["data"] for c in t["customdata"])]  # fmt: skip
    assert not any(CJK.search(s) for s in texts), texts


def test_a_target_not_on_the_axis_is_said_in_words() -> None:
    fig = target_chart(chart_data(target_level=None, words={"zh": "较2017年下降10%", "en": "down at least 10% on 2017"},
                                  unit="吨标准煤/万元"), "zh")  # fmt: skip
    assert fig["data"] == []
    assert any("较2017年下降10%" in a["text"] for a in fig["layout"]["annotations"])
    assert "≤-10" not in str(fig)


def test_hover_texts_are_formatted_figures() -> None:
    fig = target_chart(
        chart_data(series=[[2023, 4.10000000], [2024, 150.0]], unit="%", target_level=5.0), "zh"
    )
    obs = next(t for t in fig["data"] if t["name"] == "观测值")
    assert obs["customdata"] == ["4.1%", "150%"] and "%{y" not in obs["hovertemplate"]
    assert fig["layout"]["yaxis"]["exponentformat"] == "none"
    assert fig["layout"]["xaxis"]["range"] == [2017.5, 2025.5]


def test_every_place_a_target_is_shown_uses_the_one_wording() -> None:
    """The report files (XLSX/HTML/CSV: reports.render), the evaluation documents (evaluation_doc) and the
    e-mail digest write a target exactly as the pages do."""
    from service.notify.digest import _target_item
    from service.reports import evaluation_doc, render

    doubling = rec(value=2, target_unit="家", unit="家", declared_form="multiple", reference_year=2018,
                   baseline_value=1500)  # fmt: skip
    for lang in ("zh", "en"):
        words = target_words(doubling, lang)
        assert render.target_text(doubling, lang) == words == evaluation_doc.target_words(doubling, lang)
        record = {**doubling, "id": "p/k", "region_code": "330100", "indicator_code": "firms", "status": "achieved",
                  "latest_year": None, "latest_value": None}  # fmt: skip
        names = type("Names", (), {"regions": {}, "indicators": {}, "of": staticmethod(lambda *a: "")})()
        assert _target_item(record, names, lang, "")["target"].startswith(words)
    assert target_words(doubling) == "较2018年翻一番（≥ 3000家）"


def test_report_files_show_percentages_and_no_share_for_a_target_met_at_its_base() -> None:
    import io

    import openpyxl

    from service.reports.render import COLUMNS, to_html, to_xlsx

    def row(key: str, **kw: Any) -> dict[str, Any]:
        r: dict[str, Any] = dict.fromkeys((k for k, _, _ in COLUMNS), None)
        r.update(rec(value=3000, target_unit="家", unit="家", comparator="~"), id=f"p/{key}", plan_code="p",
                 plan="规划", region="杭州市", indicator="高新技术企业数", status="achieved", status_zh="已实现",
                 target_year=2025, base_year=2022, tau=1.0, **kw)  # fmt: skip
        return r

    ahead = row(
        "ahead", base_value=2600, target_level=3000, latest_value=3750, completion=2.875, base_met=False
    )
    at_base = row("at-base", base_value=3100, target_level=3000, latest_value=3050, completion=-0.5,
                  pace_ratio=-0.3, base_met=True)  # fmt: skip
    page = to_html([ahead, at_base], run_id=1, as_of="2026-12-04", method="1.2", profile="eurostat")
    assert "288%" in page and "2.875" not in page and "-50%" not in page and "-0.3" not in page
    assert "3000家左右" in page
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx([ahead, at_base])))
    sheet = book["p"]
    col = [k for k, _, _ in COLUMNS].index("completion") + 1
    assert (
        sheet.cell(row=2, column=col).value == 2.875 and sheet.cell(row=2, column=col).number_format == "0%"
    )
    assert sheet.cell(row=3, column=col).value is None
