"""Every catalog entry's quote occurs in its seed document, and carries the value recorded."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from service.config import PROJECT_ROOT

PLAN_FILES = sorted((PROJECT_ROOT / "indicators" / "plans").glob("*.yaml"))
_DIGITS = {
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
_UNITS = {"十": 10, "百": 100, "千": 1000}
# Words that carry a number without writing it.
_WORD_VALUES = {"全覆盖": 100, "全面实现": 100, "全部": 100, "翻一番": 2, "倍增": 2, "翻番": 2}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def chinese_numeral(text: str) -> int | None:
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def numbers_in(quote: str) -> set[Decimal]:
    text = unicodedata.normalize("NFKC", quote)
    found = {Decimal(m.replace(",", "")) for m in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)}
    for run in re.findall(r"[零〇一二两三四五六七八九十百千]+", text):
        value = chinese_numeral(run)
        if value is not None:
            found.add(Decimal(value))
    for word, value in _WORD_VALUES.items():
        if word in text:
            found.add(Decimal(value))
    return found


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


def test_the_catalog_has_entries() -> None:
    assert len(PLAN_FILES) >= 5
    assert sum(1 for label, _ in ALL_ENTRIES if ":baseline" not in label and "baselines#" not in label) >= 50


@pytest.mark.parametrize(("label", "entry"), ALL_ENTRIES, ids=[label for label, _ in ALL_ENTRIES])
def test_quote_is_in_its_document_and_carries_the_value(seeds_dir: Path, label: str, entry: dict) -> None:
    document = seeds_dir / entry["_document"]
    assert document.is_file(), f"{label}: source document {entry['_document']} not in {seeds_dir}"
    assert squeeze(entry["quote"]) in squeeze(document.read_text(encoding="utf-8")), (
        f"{label}: quote not found in {document.name}: {entry['quote']}"
    )
    numbers = numbers_in(entry["quote"])
    for field in ("value", "low", "high", "stretch_value"):
        if entry.get(field) is None:
            continue
        value = abs(Decimal(str(entry[field])))
        assert value in numbers, (
            f"{label}: {field}={entry[field]} is not a number in the quote {entry['quote']!r}"
        )


def test_numbers_in_understands_how_plans_write_numbers() -> None:
    assert numbers_in("研发投入强度达到3.7%左右") == {Decimal("3.7")}
    assert Decimal(3000) in numbers_in("高新技术企业达到３０００家")
    assert Decimal(1500) in numbers_in("增加值1,500亿元")
    assert Decimal(2) in numbers_in("创建两个示范区")
    assert Decimal(100) in numbers_in("5G网络全覆盖")
    assert Decimal(11) in numbers_in("十一个")
    assert Decimal(5) not in numbers_in("研发投入强度达到3.7%")
