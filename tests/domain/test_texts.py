"""The one home of user-facing texts (service/domain/texts.py): every key a page asks for exists in both
languages, the methodology's notes read in Chinese, and figures, percentages and times are written the
locale's way (Babel), times in Beijing time."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from service.config import PROJECT_ROOT
from service.domain import texts
from service.domain.statuses import QUALITATIVE, Status

SERVICE = PROJECT_ROOT / "service"
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("4.10000000", "4.1", "4.1"),  # a Decimal column's trailing zeros
        ("1.5E+2", "150", "150"),  # never an exponent
        (142351.5, "142,352", "142,352"),  # a computed figure: four significant digits, every whole digit
        (3.56441, "3.564", "3.564"),
        (-0.33, "-0.33", "-0.33"),
        (0, "0", "0"),
    ],
)
def test_numbers_are_written_plainly(value: object, zh: str, en: str) -> None:
    assert texts.number(value, "zh") == zh and texts.number(value, "en") == en  # type: ignore[arg-type]


def test_stored_figures_keep_their_digits_and_fractions_read_as_percentages() -> None:
    assert texts.number(142351.5, "zh", 6) == "142,351.5"
    assert texts.number("19428.78000", "en", 6) == "19,428.78"
    assert texts.percent(2.875, "zh") == "287.5%"  # a completion of 2.875 is 288 %, not "2.875"
    assert texts.percent(0.0415, "en", 2) == "4.15%"
    assert texts.number(None, "zh") == "" and texts.percent(None, "en") == ""


def test_times_are_beijing_time_in_words_without_seconds() -> None:
    stored = dt.datetime(2026, 12, 4, 15, 34, 13, 614222, tzinfo=dt.UTC)
    assert texts.when(stored, "zh") == "2026年12月4日 23:34"
    assert texts.when(stored, "en").replace("\u202f", " ") == "Dec 4, 2026, 11:34 PM"
    naive = stored.replace(tzinfo=None)  # SQLite returns stored UTC times without their zone
    assert texts.when(naive, "zh") == texts.when(stored, "zh")
    late = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)  # already 1 January in Beijing
    assert texts.day(late, "zh") == "2027年1月1日" and texts.day(late, "en") == "Jan 1, 2027"
    for shown in (texts.when(stored, "zh"), texts.when(stored, "en")):
        assert "T" not in shown and "614222" not in shown and ":13" not in shown


def test_units_read_in_english_on_english_pages() -> None:
    assert texts.unit("亿元", "zh") == "亿元" and texts.unit("亿元", "en") == " 100m yuan"
    assert texts.unit("%", "en") == "%"
    assert texts.unit_name("个", "en") == "—" and texts.unit_name("个", "zh") == "个"
    import yaml

    catalog = yaml.safe_load((PROJECT_ROOT / "indicators" / "indicators.yaml").read_text(encoding="utf-8"))
    items = catalog["indicators"] if isinstance(catalog, dict) else catalog
    missing = sorted(
        {
            i["unit"]
            for i in items
            if i.get("unit") and re.search(r"[\u3400-\u9fff]", texts.unit(i["unit"], "en"))
        }
    )
    assert missing == [], f"units without English words in texts.UNITS_EN: {missing}"


def test_every_status_has_words_in_both_languages() -> None:
    for s in [*(s.value for s in Status), QUALITATIVE]:
        zh, en = texts.TEXTS["status_" + s]
        assert (
            re.search(r"[\u3400-\u9fff]", zh)
            and LATIN_WORD.search(en)
            and not re.search(r"[\u3400-\u9fff]", en)
        )


def _keys_used() -> set[tuple[str, str]]:
    """(file, key) for every literal t('key') / pt('key') in the templates and web modules."""
    used = set()
    for path in [*(SERVICE / "web" / "templates").glob("*.html"), *(SERVICE / "web").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for prefix, key in re.findall(r"\b(p?t)\(['\"]([a-z_]*[a-z])['\"]", text):
            used.add((path.name, ("reader_" if prefix == "pt" else "") + key))
    return used


def test_every_text_a_page_asks_for_exists() -> None:
    used = _keys_used()
    assert len(used) > 100
    missing = sorted((f, k) for f, k in used if k not in texts.TEXTS)
    assert missing == []
    for key, (zh, en) in texts.TEXTS.items():
        assert zh and en is not None, key
        assert not re.search(r"[\u3400-\u9fff]", en) or key in {"language"}, f"{key}: Chinese in its English"


def _note_literals(path: Path) -> list[str]:
    """Every note the module writes: the strings passed to notes.append / unassessable / insufficient or
    assigned to ``reason`` / ``how``, with each {placeholder} filled by a year-like number."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            if (name == "append" and owner == "notes") or name in ("unassessable", "insufficient"):
                found.append(node.args[0])
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("reason", "how")
                                                   for t in node.targets):  # fmt: skip
            found.append(node.value)

    def render(e: ast.expr) -> str | None:
        if isinstance(e, ast.Constant) and isinstance(e.value, str):
            return e.value
        if isinstance(e, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "2025" for v in e.values)  # type: ignore[misc]
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
            left, right = render(e.left), render(e.right)
            return left + right if left is not None and right is not None else left
        if isinstance(e, ast.IfExp):
            return render(e.body)
        return None

    return [s for s in (render(e) for e in found) if s]


def test_every_note_of_the_methodology_reads_in_chinese() -> None:
    notes = _note_literals(SERVICE / "domain" / "progress.py") + _note_literals(
        SERVICE / "reports" / "engine.py"
    )
    assert len(notes) > 30
    untranslated = [
        n for n in notes if LATIN_WORD.search(re.sub(r"[a-z_]+_[a-z_]+|P/τ|x_\d+", "", texts.note(n, "zh")))
    ]
    assert untranslated == []
    assert texts.note(notes[0], "en") == notes[0]  # English pages show them as stored
