"""What the entry form and the upload page say after a submission: saved (how many, added and revised)
only when something was saved, otherwise "nothing saved" with every problem by row and field, in the
page's language; and the values typed into the entry form, kept for the next try."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Indicator, Plan, Region, Target, region_members
from service.domain import texts
from service.domain.observations import BatchResult
from service.web.i18n import TEXTS, t

# the entry form's fields that are given back to the person when a save did not go through
KEPT_PREFIXES = ("value_", "reason_", "confirm_", "break_")
KEPT_FIELDS = ("status", "source", "published", "coverage", "dry_run")


@dataclass
class Reason:
    ref: str  # 第 3 行 / the indicator's name
    outcome: str  # refused / needs confirmation, in words
    problems: list[tuple[str, str]]  # (field in words, message)
    indicator: str | None = None  # the indicator code, to mark the form's line


@dataclass
class Summary:
    kind: str  # saved | dry_run | refused | nothing
    headline: str
    details: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kind in ("saved", "dry_run") and not self.reasons

    @property
    def flagged(self) -> set[str]:
        """Indicator codes of the rows with a problem."""
        return {r.indicator for r in self.reasons if r.indicator}


def field_name(column: str, lang: str) -> str:
    key = "field_" + column
    return t(key, lang) if key in TEXTS else column


def _where(problem: Any, lang: str) -> str:
    """The field in words, and the spreadsheet cell it was read from when known (D14, Sheet2!D14)."""
    cell = getattr(problem, "cell", None)
    name = field_name(problem.column, lang)
    return name + texts.paren(cell, lang) if cell else name


def summarise(
    result: BatchResult | None,
    lang: str,
    *,
    error: str | None = None,
    row_names: Mapping[int, str] | None = None,
    from_file: bool = False,
) -> Summary | None:
    """The result of a submission in words. ``row_names`` names a row by its indicator (the entry
    form); otherwise rows are named by their line in the file."""
    if error is not None:
        return Summary("refused", t("nothing_saved", lang), details=[error])
    if result is None:
        return None
    c = result.counts
    added, revised, unchanged = c.get("added", 0), c.get("revised", 0), c.get("unchanged", 0)
    bad = c.get("rejected", 0) + c.get("needs_confirmation", 0)
    total = sum(c.values())
    reasons = []
    for row in result.rows:
        if not row.problems:
            continue
        name = (row_names or {}).get(row.row) or t("row_n", lang).format(n=row.row)
        reasons.append(
            Reason(
                ref=name,
                outcome=t("outcome_" + row.outcome, lang)
                if row.outcome in ("rejected", "needs_confirmation")
                else "",
                problems=[(_where(p, lang), p.zh if lang == "zh" else p.en) for p in row.problems],
                indicator=row.indicator,
            )
        )
    saved = added + revised
    if result.dry_run:
        if bad:
            return Summary("refused", t("dry_run_refused", lang).format(bad=bad), reasons=reasons)
        return Summary("dry_run", t("dry_run_ok", lang).format(n=saved, added=added, revised=revised))
    if result.applied and saved:
        details = [t("unchanged_counts", lang).format(n=unchanged)] if unchanged else []
        return Summary(
            "saved",
            t("saved_counts", lang).format(n=saved, added=added, revised=revised),
            details=details,
            reasons=reasons,
        )
    if bad:
        why = t("file_refused" if from_file else "batch_refused", lang).format(bad=bad, rest=total - bad)
        return Summary("refused", t("nothing_saved", lang), details=[why], reasons=reasons)
    why = t("all_unchanged", lang).format(n=unchanged) if unchanged else t("nothing_entered", lang)
    return Summary("nothing", t("nothing_saved", lang), details=[why])


def kept_values(form: Mapping[str, Any] | None) -> dict[str, str]:
    """The entry form's fields as typed (values, reasons, ticks, the shared source fields)."""
    if form is None:
        return {}
    return {
        str(k): str(v)
        for k, v in form.items()
        if isinstance(v, str) and (str(k).startswith(KEPT_PREFIXES) or k in KEPT_FIELDS)
    }


def first_region_with_targets(session: Session, regions: list[Region]) -> Region | None:
    """The region the entry form opens on: the first of ``regions`` (a person's scope) that has current
    targets of its own or through a zone it belongs to, so the table has lines to fill; else the first."""
    direct = set(session.scalars(select(Target.region_id).where(Target.valid_to.is_(None)).distinct()))
    members = set(
        session.scalars(select(region_members.c.member_id).where(region_members.c.zone_id.in_(direct)))
    )
    with_targets = direct | members
    return next((r for r in regions if r.id in with_targets), regions[0] if regions else None)


def subscription_choices(session: Session, lang: str) -> dict[str, Any]:
    """The names the subscription form offers and its list shows: regions, and the indicators that have
    a current target (code -> name, in the page's language)."""
    regions = session.scalars(select(Region).order_by(Region.code)).all()
    targeted = select(Target.indicator_id).where(Target.valid_to.is_(None))
    indicators = session.scalars(
        select(Indicator).where(Indicator.id.in_(targeted)).order_by(Indicator.code)
    ).all()
    plans = session.scalars(select(Plan).order_by(Plan.code)).all()
    return {
        "region_names": {r.code: r.name_en if lang == "en" else r.name_zh for r in regions},
        "indicator_names": {i.code: i.name_en if lang == "en" else i.name_zh for i in indicators},
        "plan_names": {p.code: p.title_en if lang == "en" else p.title_zh for p in plans},
    }


@dataclass(frozen=True)
class Document:
    title_zh: str
    title_en: str
    issued: str | None  # YYYY, YYYY-MM or YYYY-MM-DD

    def label(self, lang: str) -> str:
        """《title》 (issued 2023-07): what a person recognises, never the stored file's name."""
        if lang == "en":
            return f"{self.title_en} (issued {self.issued})" if self.issued else self.title_en
        return f"《{self.title_zh}》（{self.issued}发布）" if self.issued else f"《{self.title_zh}》"


def documents(session: Session) -> dict[str, Document]:
    """The plans' documents by the catalog's file name (source_document): their titles and dates."""
    return {
        p.source_document: Document(p.document_title or p.title_zh, p.title_en, p.issued)
        for p in session.scalars(select(Plan))
        if p.source_document
    }


def source_label(text: str | None, docs: Mapping[str, Document], lang: str) -> str:
    """A figure's source as stored ("<plan title>（000_7beb258b8a9f605f.txt）" for a plan's baseline) with
    the file name replaced by the document's publication date."""
    if not text:
        return ""
    for name, doc in docs.items():
        if name in text:
            when = texts.paren(t("issued_on", lang).format(day=doc.issued), lang) if doc.issued else ""
            text = text.replace(f"（{name}）", when).replace(name, doc.label(lang))
    return text


def plan_document(session: Session, plan_code: str, lang: str) -> str | None:
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        return None
    return Document(plan.document_title or plan.title_zh, plan.title_en, plan.issued).label(lang)
