"""Templates (Jinja2, HTML autoescaped), labels in Chinese and English, and number formatting for e-mail."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.domain.progress import status_label as progress_status_label
from service.domain.statuses import QUALITATIVE, QUALITATIVE_LABELS, STATUS_COLOURS, STATUS_ICONS, Status
from service.domain.texts import TEXTS

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("zh", "en")

# The order statuses are listed in a summary: best first, "no data" last.
SUMMARY_ORDER: tuple[Status, ...] = (
    Status.ACHIEVED_EARLY,
    Status.ACHIEVED,
    Status.ON_TRACK,
    Status.NEEDS_ACCELERATION,
    Status.OFF_TRACK,
    Status.REGRESSING,
    Status.MISSED,
    Status.INSUFFICIENT_DATA,
)

# the words live in service/domain/texts.py (keys change_*, mail_cadence_*)
REASONS: dict[str, tuple[str, str]] = {
    k[len("change_") :]: v for k, v in TEXTS.items() if k.startswith("change_")
}
CADENCE_WORDS: dict[str, tuple[str, str]] = {
    k[len("mail_cadence_") :]: v for k, v in TEXTS.items() if k.startswith("mail_cadence_")
}


def lang_of(value: str | None) -> str:
    return value if value in LANGUAGES else "zh"


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def status_chip(status: str | None, lang: str, preliminary: bool = False) -> dict[str, str] | None:
    """A status as the three things every reader gets: an icon, a word and a colour; the word is
    marked when the status rests on a preliminary figure (已实现（初步数据）)."""
    if status is None:
        return None
    if status == QUALITATIVE:
        return {
            "status": status,
            "word": pick(QUALITATIVE_LABELS, lang),
            "colour": STATUS_COLOURS[status],
            "icon": STATUS_ICONS[status],
        }
    try:
        s = Status(status)
    except ValueError:
        return {"word": status, "colour": "#BBBBBB", "icon": "?", "status": status}
    return {
        "status": s.value,
        "word": progress_status_label(s, preliminary, lang),
        "colour": STATUS_COLOURS[s.value],
        "icon": STATUS_ICONS[s.value],
    }


def number(value: float | None) -> str:
    """A figure as people write it: 3.12, 69.1, 5,000 (no float noise, no needless zeros)."""
    if value is None:
        return "—"
    a = abs(value)
    if a >= 1000:
        text = f"{value:,.0f}"
    elif a >= 100:
        text = f"{value:.1f}"
    elif a >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(fraction: float | None, digits: int = 0) -> str:
    if fraction is None:
        return "—"
    return f"{fraction * 100:.{digits}f}%"


def bar_width(fraction: float | None) -> int:
    """Width in per cent of a progress bar's filled part (clamped; the number beside it is exact)."""
    if fraction is None:
        return 0
    return max(0, min(100, round(fraction * 100)))


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = number
    env.filters["percent"] = percent
    env.filters["bar"] = bar_width
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
