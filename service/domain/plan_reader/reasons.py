"""Why the plan reader proposes what it does, as codes with parameters (stored as JSON in
``plan_proposals.reason``) and read in either language from texts.READER_REASONS.

A reason is ``(code, params)``. Parameters named in ``QUOTED`` are the plan's own words: shown quoted, and
marked as Chinese on English pages. ``how`` is how an indicator was matched (vocabulary.match_indicator's
second field: "name", "synonym 'X'", ...), read into words here."""

from __future__ import annotations

import json
import re
from typing import Any

from service.domain.texts import READER_REASONS

Reason = tuple[str, dict[str, Any]]
Piece = tuple[str, bool]  # (text, the plan's own words)

QUOTED = frozenset({"said", "name", "term", "phrase", "quote", "col", "text", "zone"})
_FIELD = re.compile(r"\{(\w+)\}")


def r(code: str, /, **params: Any) -> Reason:
    assert code in READER_REASONS, code
    return code, params


def dump(reasons: list[Reason]) -> str:
    return json.dumps([[code, params] for code, params in reasons], ensure_ascii=False)


def load(stored: str | None) -> list[Reason] | None:
    """The reasons of a stored proposal; None for a reason stored as English prose (before codes)."""
    if not stored or not stored.startswith("["):
        return None
    try:
        items = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    out: list[Reason] = []
    for item in items:
        if not (isinstance(item, list) and len(item) == 2 and item[0] in READER_REASONS):
            return None
        out.append((item[0], dict(item[1] or {})))
    return out


def how_words(how: str) -> Reason | None:
    """How an indicator was matched, as a reason of its own; None for a way this module does not know."""
    if how.endswith("; a real growth rate (按可比价)"):
        return "how_real", {"how": how[: -len("; a real growth rate (按可比价)")]}
    if how == "name":
        return "how_name", {}
    if how == "share of its components":
        return "how_share", {}
    m = re.fullmatch(r"(synonym|shortened name) '(.*)'", how)
    if m:
        return ("how_synonym" if m.group(1) == "synonym" else "how_shortened"), {"term": m.group(2)}
    m = re.fullmatch(r"'(.*)' as part of '(.*)'", how)
    if m:
        return "how_part", {"phrase": m.group(1), "term": m.group(2)}
    return None


def pieces(reason: Reason, lang: str) -> list[Piece]:
    """One reason in the language, as text pieces; the plan's words are quoted and flagged."""
    code, params = reason
    zh, en = READER_REASONS[code]
    template = en if lang == "en" else zh
    out: list[Piece] = []
    at = 0
    for m in _FIELD.finditer(template):
        out.append((template[at : m.start()], False))
        name = m.group(1)
        value = params.get(name, "")
        if name == "how":
            how = how_words(str(value))
            out.extend(pieces(how, lang) if how else [(str(value), True)])
        elif name in QUOTED:
            said = str(value)
            left, right = ("‘", "’") if lang == "en" else ("“", "”")
            if any(q in said for q in '“”"'):  # words the plan itself quotes: no quotes around quotes
                left = right = ""
            out.extend([(left, False), (said, True), (right, False)])
        else:
            out.append((str(value), False))
        at = m.end()
    out.append((template[at:], False))
    return [p for p in out if p[0]]


def render(stored: str | list[Reason] | None, lang: str) -> list[list[Piece]]:
    """Every reason of a proposal as pieces; a reason stored as prose before codes is one piece, flagged as
    not the page's words only under zh (it is English)."""
    reasons = stored if isinstance(stored, list) else load(stored)
    if reasons is None:
        return [[(str(stored or ""), False)]] if stored else []
    return [pieces(x, lang) for x in reasons]


def text(stored: str | list[Reason] | None, lang: str) -> str:
    """The reasons as one line of plain text (the command line, the reading's records)."""
    sep = "; " if lang == "en" else "；"
    return sep.join("".join(t for t, _ in p) for p in render(stored, lang))
