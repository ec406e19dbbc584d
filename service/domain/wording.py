"""Targets and figures in words for people, in Chinese and English (one home; no web imports).

``target_words`` is the one way a target's declared form is written wherever a target is shown (the
target, plan, indicator and evaluation pages, the report files, the digest e-mail): 较2020年翻一番
（≥ 2.4万亿元）, 较2017年下降10%, 2–3个, 3000家左右, 6%以上（力争8%）, 2026–2030年每年≥30万人, or a
qualitative target's own words. A form that is not itself a level (a multiple, a change against a base
year, average growth, a cumulative addition) is never written as "≥2家" or "≤-10%": it is said in words,
and, once the base is known, followed by the level it means in the indicator's unit.

``target_marker`` says what a chart in the indicator's unit may draw for the target: the level (and
band or stretch) only when it is a level on that axis; otherwise nothing (the words say it instead).
"""

from __future__ import annotations

import math
from typing import Any

from service.domain import texts
from service.domain.progress import LEVEL_FORMS  # declared forms whose figure is a level (re-exported)
from service.domain.texts import UNITS_EN  # the one unit table (re-exported)

# forms whose level depends on a base value (said in words, the level added when the base is known)
BASED_FORMS = frozenset({"multiple", "relative_change", "avg_annual_growth", "annual_growth", "cumulative"})


def unit_words(unit: str | None, lang: str) -> str:
    """A unit in the page's language: 亿元 / 100m yuan; a counting word (个, 所) has no English.
    The words are texts.UNITS_EN (one table)."""
    return texts.unit(unit, lang).strip()


def _digits(x: float) -> int:
    """Decimals a figure for people needs: 2 from 1 up, enough for two significant digits below 1."""
    return 2 if abs(x) >= 1 else min(6, max(2, 2 - math.floor(math.log10(abs(x)))))


def fmt_number(v: float | int | None, lang: str = "zh") -> str:
    """A figure for people: 3.7, 5000, 0.9, 37987.55, 0.0123; never 4.10000000, 1.5E+2 or 1e-05
    (``texts.number``, the one number formatter, without thousands separators)."""
    if v is None or isinstance(v, bool):
        return ""
    x = float(v)
    if not math.isfinite(x):
        return ""
    if x == 0:
        return "0"
    text = texts.number(x, lang, _digits(x), group=False)
    return "0" if text in ("-0", "") else text


def fmt_value(v: float | int | None, unit: str | None, lang: str = "zh") -> str:
    """A figure with its unit: 3.7%, 5000亿元 / 5000 100m yuan, 2.2 (a ratio has no unit)."""
    if v is None:
        return ""
    return f"{fmt_number(v, lang)}{texts.unit(unit, lang)}"


def fmt_percent(fraction: float | None, digits: int = 0, lang: str = "zh") -> str:
    """A share held as a fraction as a percentage: 2.875 -> 288%, 0.6 -> 60% (``texts.percent``)."""
    if fraction is None or not math.isfinite(fraction):
        return "—"
    return texts.percent(fraction, lang, digits, fixed=True)


def _multiple_words(m: float, year: int | None, lang: str) -> str:
    if lang == "en":
        named = {2.0: "double", 3.0: "triple", 4.0: "quadruple"}.get(m)
        return (named or f"{fmt_number(m)} times") + (f" the {year} level" if year else " the base")
    named = {2.0: "翻一番", 4.0: "翻两番", 8.0: "翻三番"}.get(m)
    ref = f"较{year}年" if year else "较基期"
    return ref + (named or f"增长到{fmt_number(m)}倍")


def _sign(comparator: str | None) -> str:
    return {">=": "≥", "<=": "≤", "=": "="}.get(str(comparator), "")


def _base_year(r: dict[str, Any]) -> int | None:
    """The year a change is measured from: the target's reference year, else the year before its period,
    else the assessed base."""
    if r.get("reference_year"):
        return int(r["reference_year"])
    if r.get("period_start"):
        return int(r["period_start"]) - 1
    return r.get("base_year") or r.get("baseline_year")


def implied_level(r: dict[str, Any]) -> float | None:
    """The level (in the indicator's unit) a target whose figure is not a level means, when its base is
    known: the assessed level, else the catalog's baseline times the declared figure."""
    form = r.get("declared_form")
    if form not in BASED_FORMS or r.get("comparator") in ("qualitative", "range", None):
        return None
    if r.get("indicator_kind") == "growth_rate":  # the level of a rate's chained index is no figure to show
        return None
    if r.get("target_level") is not None:
        return float(r["target_level"])
    base, v = r.get("baseline_value"), r.get("value")
    if base is None or v is None:
        return None
    base, v = float(base), float(v)
    if form == "multiple":
        return base * v
    if form == "relative_change" and base > 0:
        return base * (1 + v / 100)
    if form == "cumulative":
        return base + v
    if form == "avg_annual_growth" and base > 0 and (start := _base_year(r)) and r.get("target_year"):
        return base * (1 + v / 100) ** (int(r["target_year"]) - start)
    return None


def _level_comparator(r: dict[str, Any]) -> str:
    """The comparator on the level a based form implies (下降10% = ≤ the level; 翻一番 = ≥ it)."""
    c = str(r.get("comparator") or "")
    return {">=": "≥", "<=": "≤", "=": "=", "~": "≈"}.get(c, "")


def target_words(
    r: dict[str, Any], lang: str = "zh", *, qualitative_prefix: bool = True, with_level: bool = True
) -> str:
    """The target as the plan declares it, in words (see the module's docstring). ``r`` is a target or
    assessment record: comparator, value, low, high, stretch_value, declared_form, target_unit (the
    declared figure's unit), unit (the indicator's), reference_year, period_start, target_year,
    source_quote and, when known, target_level / baseline_value."""
    en = lang == "en"
    comparator, form = r.get("comparator"), r.get("declared_form")
    unit = r.get("target_unit") or r.get("unit") or ""
    if unit == "None":
        unit = ""
    value, ref = r.get("value"), _base_year(r)
    if comparator == "qualitative" or (value is None and r.get("low") is None and r.get("high") is None):
        quote = r.get("source_quote") or ""
        if not qualitative_prefix:
            return quote
        return ("Qualitative: " if en else "定性：") + quote

    def v(x: Any, u: str = unit) -> str:
        return fmt_value(x, u, lang)

    if comparator == "range":
        lo, hi = fmt_number(r.get("low")), fmt_number(r.get("high"))
        u = unit_words(unit, lang)
        text = f"{lo}–{hi}{'' if not en or u in ('%', '') else ' '}{u}"
    elif form == "multiple" and value is not None:
        text = _multiple_words(float(value), ref, lang)
    elif form == "relative_change" and value is not None:
        x = float(value)
        amount = v(abs(x), {"": "%", "百分点": "个百分点"}.get(unit, unit))
        within = (x < 0 and comparator == ">=") or (x > 0 and comparator == "<=")
        if en:
            how = (
                "at most"
                if within
                else "at least"
                if comparator in (">=", "<=")
                else "about"
                if comparator == "~"
                else ""
            )
            text = f"{'down' if x < 0 else 'up'} {how + ' ' if how else ''}{amount}" + (
                f" on {ref}" if ref else ""
            )
        else:
            text = (f"较{ref}年" if ref else "") + ("下降" if x < 0 else "增长") + amount
            text += "以内" if within else "左右" if comparator == "~" else ""
    elif form == "full_coverage":
        text = "full coverage (100%)" if en else "全覆盖（100%）"
    elif comparator == "~":
        text = f"about {v(value)}" if en else f"{v(value)}左右"
    else:
        text = f"{_sign(comparator)}{v(value)}"
    start = r.get("period_start")
    period = f"{start}–{r.get('target_year')}" if start else ""
    if form == "avg_annual_growth":
        span = f"{ref}–{r.get('target_year')}" if ref else ""
        text = (
            (f"average annual growth {text}" + (f" ({span})" if span else ""))
            if en
            else (f"年均增长{text}" + (f"（{span}年）" if span else ""))
        )
    elif form == "annual_growth":
        text = f"growth of {text} every year" if en else f"每年增长{text}"
    elif form == "each_year":
        text = f"{text} each year" + (f" of {period}" if period else "") if en else f"{period}每年{text}"
    elif form == "cumulative":
        text = (
            (f"{text} in total" + (f" over {period}" if period else ""))
            if en
            else ((f"{period}年" if period else "") + f"累计{text}")
        )
    if r.get("stretch_value") is not None:
        stretch = v(r["stretch_value"])
        text += f" (stretch {stretch})" if en else f"（力争{stretch}）"
    level = implied_level(r) if with_level else None
    if level is not None:
        shown = f"{_level_comparator(r)} {fmt_value(level, r.get('unit'), lang)}".strip()
        text += f" (i.e. {shown})" if en else f"（{shown}）"
    return text


def target_marker(r: dict[str, Any]) -> dict[str, Any] | None:
    """What a chart in the indicator's unit may draw for the target: ``{"level", "band", "stretch"}``.
    A level form's declared figure is a level on that axis even before any data; a based form's level
    (下降10%, 翻一番) only once its base is known; a rate indicator's targets or a qualitative target
    never (they are said in words)."""
    form, comparator = r.get("declared_form"), r.get("comparator")
    if comparator in ("qualitative", None) or r.get("indicator_kind") == "growth_rate":
        return None
    band = r.get("band")
    stretch = r.get("stretch_level")
    level = r.get("target_level")
    if level is None:
        if form in LEVEL_FORMS:
            if form == "full_coverage":
                level = 100.0
            elif comparator == "range" and r.get("low") is not None and r.get("high") is not None:
                level, band = float(r["low"]), band or [float(r["low"]), float(r["high"])]
            elif r.get("value") is not None:
                level = float(r["value"])
            if stretch is None and r.get("stretch_value") is not None:
                stretch = float(r["stretch_value"])
        else:
            level = implied_level(r)
    if level is None:
        return None
    return {
        "level": float(level),
        "band": list(band) if band else None,
        "stretch": float(stretch) if stretch is not None else None,
    }


def base_already_met(r: dict[str, Any]) -> bool:
    """Whether the target was already met at its base year (METHODOLOGY §3, the REGRESSING rule): then
    the completion share P = (x_t − x_b)/(x_T − x_b) and the straight path from the base to the target
    mean nothing (the path runs away from the better side), and neither is shown."""
    if r.get("base_met") is not None:
        return bool(r["base_met"])
    xb, xT = r.get("base_value"), r.get("target_level")
    if xb is None or xT is None:
        return False
    comparator = r.get("binding_comparator") or r.get("comparator")
    if comparator == ">=":
        return float(xb) >= float(xT)
    if comparator == "<=":
        return float(xb) <= float(xT)
    return False


def progress_shown(r: dict[str, Any]) -> bool:
    """Whether a completion share (完成进度) and the schedule path (序时进度) may be shown beside the
    status: not for a target met at its base (see ``base_already_met``)."""
    return r.get("completion") is not None and not base_already_met(r)


__all__ = [
    "BASED_FORMS",
    "LEVEL_FORMS",
    "UNITS_EN",
    "base_already_met",
    "fmt_number",
    "fmt_percent",
    "fmt_value",
    "implied_level",
    "progress_shown",
    "target_marker",
    "target_words",
    "unit_words",
]
