"""Every catalog entry's quote occurs in its source document, and carries the value recorded.

A plan's ``source_document`` is a file in ``../shared/seeds/`` (the older plans, YRDMON_SEEDS_DIR) or in
``../shared/plans/`` (the 十五五 plans, YRDMON_PLANS_DIR).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from service.config import PROJECT_ROOT
from service.domain.plan_reader import numbers_in
from service.domain.plan_reader.numbers import chinese_number

PLAN_FILES = sorted((PROJECT_ROOT / "indicators" / "plans").glob("*.yaml"))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def entries(path: Path) -> list[tuple[str, dict]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for t in data.get("targets") or []:
        out.append((f"{path.name}:{t['key']}", t))
        if t.get("baseline") and t["baseline"].get("quote"):
            out.append((f"{path.name}:{t['key']}:baseline", {**t["baseline"], "declared_form": "level"}))
    for n, b in enumerate(data.get("baselines") or [], 1):
        out.append((f"{path.name}:baselines#{n}", b))
    return [(label, {**e, "_document": data["plan"]["source_document"]}) for label, e in out]


ALL_ENTRIES = [e for path in PLAN_FILES for e in entries(path)]
_TEXTS: dict[Path, str] = {}


def squeezed_text(path: Path) -> str:
    if path not in _TEXTS:
        _TEXTS[path] = squeeze(path.read_text(encoding="utf-8"))
    return _TEXTS[path]


@pytest.fixture(scope="module")
def documents(request: pytest.FixtureRequest) -> dict[str, Path]:
    """Every source document by file name, from the seeds and the plans folders."""
    found: dict[str, Path] = {}
    for fixture in ("seeds_dir", "plans_dir"):
        folder: Path = request.getfixturevalue(fixture)
        found.update({p.name: p for p in folder.iterdir() if p.suffix == ".txt"})
    return found


_ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "Ⅵ": 6, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}


def implicit_numbers(quote: str, entry: dict) -> set[Decimal]:
    """Numbers a plan writes without digits: water classes (Ⅲ类), 突破万亿元 (one 万亿元), figures in
    characters such as 一万四千亿元; and full coverage, which is 100 (%) by its form (SCHEMA.md)."""
    found: set[Decimal] = set()
    for m in re.finditer(r"([ⅠⅡⅢⅣⅤⅥ]|\b(?:VI|IV|V|I{1,3})\b)\s*(?:类|$)", quote):
        found.add(Decimal(_ROMAN[m.group(1)]))
    if entry.get("declared_form") == "full_coverage":
        found.add(Decimal(100))
    if re.search(r"(?<![0-9.０-９一二两三四五六七八九十])万亿", quote) and entry.get("unit") == "万亿元":
        found.add(Decimal(1))
    for m in re.finditer(r"[零一二两三四五六七八九十百千万亿]{2,}", quote):
        span = m.group(0)  # its prefixes too: in 一万四千亿元 and 千万千瓦 the unit begins inside the span
        for text in (span[:end] for end in range(1, len(span) + 1)):
            value = chinese_number(text)
            if value is not None:
                found.add(Decimal(value))
    return found


def test_the_catalog_has_entries() -> None:
    assert len(PLAN_FILES) >= 5
    assert sum(1 for label, _ in ALL_ENTRIES if ":baseline" not in label and "baselines#" not in label) >= 50


@pytest.mark.parametrize(("label", "entry"), ALL_ENTRIES, ids=[label for label, _ in ALL_ENTRIES])
def test_quote_is_in_its_document_and_carries_the_value(
    documents: dict[str, Path], label: str, entry: dict
) -> None:
    document = documents.get(entry["_document"])
    assert document is not None, f"{label}: source document {entry['_document']} in neither seeds nor plans"
    assert squeeze(entry["quote"]) in squeezed_text(document), (
        f"{label}: quote not found in {document.name}: {entry['quote']}"
    )
    numbers = numbers_in(entry["quote"]) | implicit_numbers(entry["quote"], entry)
    for field in ("value", "low", "high", "stretch_value"):
        if entry.get(field) is None:
            continue
        value = abs(Decimal(str(entry[field])))
        assert value in numbers, (
            f"{label}: {field}={entry[field]} is not a number in the quote {entry['quote']!r}"
        )


def test_the_new_round_is_quoted_from_the_plans_folder(documents: dict[str, Path], plans_dir: Path) -> None:
    fifteenth = {e["_document"] for _, e in ALL_ENTRIES if "15th" in e["_document"]}
    assert fifteenth, "no catalog entry quotes a 十五五 plan"
    assert all(documents[name].parent == plans_dir for name in fifteenth)


def test_numbers_in_understands_how_plans_write_numbers() -> None:
    assert numbers_in("研发投入强度达到3.7%左右") == {Decimal("3.7")}
    assert Decimal(3000) in numbers_in("高新技术企业达到３０００家")
    assert Decimal(1500) in numbers_in("增加值1,500亿元")
    assert Decimal(2) in numbers_in("创建两个示范区")
    assert Decimal(100) in numbers_in("5G网络全覆盖")
    assert Decimal(11) in numbers_in("十一个")
    assert Decimal(5) not in numbers_in("研发投入强度达到3.7%")
    assert Decimal(20) in numbers_in("单位地区生产总值二氧化碳排放降低（%）    约束性    〔20〕")


def test_implicit_numbers_cover_how_the_new_plans_write_numbers() -> None:
    assert Decimal(3) in implicit_numbers("太湖湖体水质稳定达到 III 类", {})
    assert Decimal(2) in implicit_numbers("长江干流水质稳定在Ⅱ类", {})
    assert Decimal(14000) in implicit_numbers("地区生产总值突破一万四千亿元", {})
    assert Decimal(1000) in implicit_numbers("光伏总装机规模突破千万千瓦", {"unit": "万千瓦"})
    assert Decimal(1) in implicit_numbers("外贸进出口总额突破万亿元", {"unit": "万亿元"})
    assert Decimal(1) not in implicit_numbers("突破2万亿元", {"unit": "万亿元"})
    assert Decimal(2) in implicit_numbers("长江干流苏州段水质保持Ⅱ", {})  # 类 on the next line
    assert Decimal(100) in implicit_numbers("开发区全面完成循环化改造", {"declared_form": "full_coverage"})
    assert implicit_numbers("开发区全面完成循环化改造", {"declared_form": "level"}) == set()
