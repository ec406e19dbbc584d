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
    assert Decimal(20) in numbers_in("单位地区生产总值二氧化碳排放降低（%）    约束性    〔20〕")
