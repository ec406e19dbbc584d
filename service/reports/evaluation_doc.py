"""A plan's evaluation as a document: what the Word, Excel and HTML files say, in one place.

``build`` reads the stored run's evaluation (``queries.evaluation``: the assessments, their verdicts
and the observations behind them) and turns it into texts and figures for people: a title, the
summary counts, tables by chapter, charts of the key targets and the sources. Nothing is recomputed:
every figure is one of the run's. The renderers (``evaluation_docx``, ``evaluation_files``) only lay
it out.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, not_, select, text
from sqlalchemy.orm import Session

from service.db.models import Attribute, Plan, ReportRun, Target
from service.domain import texts
from service.domain.errors import NotFound
from service.domain.progress import PRELIMINARY_SUFFIX
from service.domain.review import view_note
from service.domain.statuses import MET, QUALITATIVE, STATUS_LABELS, STATUS_TINTS, Status
from service.domain.texts import EVALUATION_LABELS as LABELS
from service.domain.wording import fmt_number, fmt_value, progress_shown, unit_words
from service.domain.wording import target_words as _target_words
from service.reports.evidence import add_evidence
from service.reports.queries import (
    VERDICT_LABELS,
    AssessmentFilter,
    assessment_record,
    assessment_select,
    end_of_term_condition,
    evaluation,
    with_verdict,
)

MID_TERM_ORDER = [
    "achieved_early",
    "achieved",
    "on_track",
    "needs_acceleration",
    "off_track",
    "regressing",
    "missed",
    "insufficient_data",
    QUALITATIVE,
]
# pale tints of the status colours for printed tables (one palette: service.domain.statuses)
PALE = STATUS_TINTS
KEY_CHARTS = 12  # at most this many charts: a report, not an atlas
CHUNK = 2000  # records read at a time by ``outline``


def _zh_en(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


# --- numbers and targets in words --------------------------------------------------------------------


def fmt_difference(v: float | int | None, unit: str | None, lang: str) -> str:
    """A difference in the indicator's unit: for a % indicator, percentage points (0.9个百分点)."""
    if v is None:
        return ""
    if unit == "%":
        return texts.t("points_n", lang).format(n=fmt_number(v))
    return fmt_value(v, unit, lang)


def target_words(r: dict[str, Any], lang: str = "zh") -> str:
    """The target as the plan declares it (``service.domain.wording.target_words``); a qualitative
    target in its own words."""
    return _target_words(r, lang, qualitative_prefix=False)


# --- the document --------------------------------------------------------------------------------------


@dataclass
class Row:
    """One target in the tables: texts for the page, figures for the spreadsheet."""

    id: str
    chapter: str
    indicator: str
    region: str
    attribute: str  # binding / anticipatory / "" (unknown)
    attribute_text: str
    target: str
    target_year: int
    baseline: str
    latest: str
    verdict: str  # the key: achieved_early, achieved, missed, insufficient_data, qualitative, or a status
    verdict_text: str
    shortfall: str
    notes: list[str]
    unit: str
    base_value: float | None
    base_year: int | None
    latest_value: float | None
    latest_year: int | None
    shortfall_value: float | None
    preliminary: bool
    index_values: bool  # base/latest are a chained index (b = 100), not in the unit
    stretch_met: bool | None
    p_meet: float | None
    p_meet_interval: tuple[float, float] | None
    source_quote: str
    record: dict[str, Any] = field(repr=False)


@dataclass
class Section:
    key: str  # end_of_term / mid_term
    title: str
    verdict_header: str
    shortfall_header: str
    chapters: list[tuple[str, list[Row]]]
    # ``outline``'s sections hold no rows: ``stream`` reads them from the database, in the same order
    stream: Callable[[], Iterator[tuple[str, list[Row]]]] | None = field(default=None, repr=False)

    @property
    def rows(self) -> list[Row]:
        return [r for _, rows in self.chapters for r in rows]

    def parts(self) -> Iterator[tuple[str, list[Row]]]:
        """(chapter, rows) in the document's order; one chapter may come in several consecutive parts
        (a streamed section gives one chunk of rows at a time). Read a streamed section once."""
        if self.stream is None:
            yield from self.chapters
        else:
            yield from self.stream()


@dataclass
class Chart:
    row: Row
    title: str
    caption: str
    png: bytes


@dataclass
class EvaluationDocument:
    lang: str
    plan_code: str
    plan_title: str
    title: str
    as_of: str  # the run's as-of date (YYYY-MM-DD)
    computed_at: str  # when the run was computed, in Beijing time and the document's language
    run_id: int
    method_version: str
    profile: str
    end_of_term_counts: dict[str, int]
    mid_term_counts: dict[str, int]
    summary: list[str]
    sections: list[Section]
    charts: list[Chart]
    documents: list[dict[str, Any]]  # the plan documents the targets come from
    statistics: list[dict[str, Any]]  # the statistics sources, numbered as the notes cite them
    labels: dict[str, str]
    evaluation: dict[str, Any] = field(repr=False)
    # progress statements with their files (支撑材料) of the targets listed, in the tables' order
    materials: list[dict[str, Any]] = field(default_factory=list)
    # an ``outline`` fills ``charts`` and ``materials`` once its sections have been read: ``complete``
    finish: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def rows(self) -> list[Row]:
        return [r for s in self.sections for r in s.rows]

    def complete(self) -> None:
        """After the sections' rows were read (``Section.parts``): the charts and supporting materials
        of a streamed document are known (a built document has them from the start)."""
        if self.finish is not None:
            finish, self.finish = self.finish, None
            finish()

    def filename(self, ext: str) -> tuple[str, str]:
        """(a safe ASCII file name, the same in words for filename*=UTF-8'')."""
        code = re.sub(r"[^A-Za-z0-9._-]+", "-", self.plan_code).strip("-.") or "plan"
        if self.evaluation.get("kind") == "annual":
            code = f"{code}_annual{self.evaluation['year']}"
        ascii_name = f"{code}_evaluation_run{self.run_id}_{self.as_of}.{ext}"
        words = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", f"{self.title}_{self.as_of}")
        return ascii_name, f"{words}.{ext}"


ATTRIBUTES = {"binding": ("约束性", "Binding"), "anticipatory": ("预期性", "Anticipatory")}


def verdict_label(key: str, lang: str) -> str:
    if key in VERDICT_LABELS:
        zh, en = VERDICT_LABELS[key]
    elif key == QUALITATIVE:
        zh, en = "定性目标", "Qualitative target"
    else:
        try:
            zh, en = STATUS_LABELS[Status(key)]
        except ValueError:
            zh, en = key, key
    return en if lang == "en" else zh


def _year(y: Any, lang: str) -> str:
    return texts.t("year_n", lang).format(year=y)


def _value_year(
    v: float | None, y: int | None, unit: str, lang: str, index: bool, prelim: bool = False
) -> str:
    """ "3.2%（初步）" over "2025年": a table cell's two lines."""
    if v is None:
        return ""
    shown = f"{fmt_number(v)}" + ("" if index else unit)
    if prelim:
        shown += texts.t("prelim_mark", lang)
    return shown if y is None else f"{shown}\n{_year(y, lang)}"


_SUBSTITUTED = re.compile(r"base year (\d{4}) has no value; the nearest later year (\d{4}) is used")


def _row(
    r: dict[str, Any], lang: str, end_of_term: bool, source_no: dict[tuple[str, str | None], int]
) -> Row:
    en = lang == "en"
    unit = r.get("unit") or ""
    notes_in = r.get("notes") or []
    index = any("chained into an index" in n for n in notes_in)
    key = r["verdict"] if end_of_term else r["status"]
    prelim = bool(r.get("preliminary"))
    verdict_text = verdict_label(key, lang)
    if prelim and key not in (QUALITATIVE, "insufficient_data") and r.get("latest_value") is not None:
        verdict_text += PRELIMINARY_SUFFIX[
            lang if lang in PRELIMINARY_SUFFIX else "zh"
        ]  # as on every surface
    shortfall_value: float | None = None
    if end_of_term and key == "missed":
        shortfall_value = r.get("shortfall")
    elif not end_of_term and key not in (*MET, QUALITATIVE, Status.INSUFFICIENT_DATA):
        shortfall_value = r.get("gap")
    if shortfall_value is not None and index:
        shortfall_value = None  # a gap on a chained index is not in the indicator's unit
    notes: list[str] = []
    if prelim:
        notes.append(_zh_en(lang, "最新值为初步数据", "latest value is preliminary"))
    if r.get("series_break"):
        notes.append(_zh_en(lang, "统计口径有调整（序列断点）", "series break"))
    if index:
        notes.append(
            _zh_en(
                lang,
                f"增速连乘为指数（{r.get('base_year')}年=100）",
                f"annual rates chained into an index ({r.get('base_year')} = 100)",
            )
        )
        if r.get("cagr_actual") is not None:
            rate = fmt_number(100 * r["cagr_actual"]) + "%"
            notes.append(_zh_en(lang, f"实际年均增长{rate}", f"actual average growth {rate}/yr"))
    if (
        end_of_term
        and r.get("latest_year")
        and r["latest_year"] > r["target_year"]
        and key in ("achieved", "missed")
    ):
        notes.append(_zh_en(lang, f"按{r['latest_year']}年数据", f"based on {r['latest_year']} data"))
    for n in notes_in:
        if m := _SUBSTITUTED.search(n):
            notes.append(
                _zh_en(lang, f"基期{m[1]}年无数据，以{m[2]}年代替", f"no {m[1]} value; {m[2]} used as base")
            )
    if r.get("stretch_value") is not None and r.get("stretch_met") is not None:
        met = r["stretch_met"]
        notes.append(
            _zh_en(
                lang,
                "力争目标" + ("已实现" if met else "未实现"),
                "stretch target " + ("met" if met else "not met"),
            )
        )
    if r.get("p_meet") is not None and not end_of_term:
        p = f"{round(100 * r['p_meet'])}%"
        iv = r.get("p_meet_interval")
        if iv:
            p += (
                f"（{round(100 * iv[0])}%–{round(100 * iv[1])}%）"
                if not en
                else f" ({round(100 * iv[0])}–{round(100 * iv[1])}%)"
            )
        notes.append(_zh_en(lang, f"实现概率{p}", f"P(meet) {p}"))
    if r.get("aggregation") and r.get("latest_value") is not None:
        notes.append(_zh_en(lang, "由成员地区数据汇总", "aggregated from member regions"))
    cited = sorted(
        {
            source_no[(s["source"], s["url"])]
            for s in r.get("sources") or []
            if (s["source"], s["url"]) in source_no
        }
    )
    if cited:
        notes.append(_zh_en(lang, "来源", "sources ") + "".join(f"[{n}]" for n in cited))
    attribute = r.get("attribute") or ""
    return Row(
        id=r["id"],
        chapter=r.get("chapter") or "",
        region=(r.get("region_en") if en else None) or r["region"],
        indicator=(r.get("indicator_en") if en else None) or r["indicator"],
        attribute=attribute,
        attribute_text=_zh_en(lang, *ATTRIBUTES[attribute]) if attribute in ATTRIBUTES else "",
        target=target_words(r, lang),
        target_year=r["target_year"],
        baseline=_value_year(r.get("base_value"), r.get("base_year"), unit, lang, index),
        latest=_value_year(r.get("latest_value"), r.get("latest_year"), unit, lang, index, prelim)
        or _zh_en(lang, "无数据", "no data"),
        verdict=key,
        verdict_text=verdict_text,
        shortfall=fmt_difference(shortfall_value, unit, lang) if shortfall_value is not None else "",
        notes=notes,
        unit=unit,
        base_value=r.get("base_value"),
        base_year=r.get("base_year"),
        latest_value=r.get("latest_value"),
        latest_year=r.get("latest_year"),
        shortfall_value=shortfall_value,
        preliminary=prelim,
        index_values=index,
        stretch_met=r.get("stretch_met"),
        p_meet=r.get("p_meet"),
        p_meet_interval=(r["p_meet_interval"][0], r["p_meet_interval"][1])
        if r.get("p_meet_interval")
        else None,
        source_quote=r.get("source_quote") or "",
        record=r,
    )


def _count_phrase(counts: dict[str, int], lang: str) -> str:
    """已实现X项（其中提前实现Y项），未实现Z项，数据不足W项 — every figure from ``counts``."""
    early = counts.get("achieved_early", 0)
    achieved = counts.get("achieved", 0) + early
    missed, none = counts.get("missed", 0), counts.get("insufficient_data", 0)
    if lang == "en":
        return f"achieved {achieved} (of them early {early}); not achieved {missed}; insufficient data {none}"
    return f"已实现{achieved}项（其中提前实现{early}项），未实现{missed}项，数据不足{none}项"


def _summary(ev: dict[str, Any], end_rows: list[Row], mid_rows: list[Row], lang: str) -> list[str]:
    binding: dict[str, int] = {}
    for r in end_rows:
        if r.attribute == "binding":
            binding[r.verdict] = binding.get(r.verdict, 0) + 1
    mid: dict[str, int] = {}
    for r in mid_rows:
        mid[r.verdict] = mid.get(r.verdict, 0) + 1
    return _summary_of(ev, bool(end_rows), binding, mid, lang)


def _summary_of(
    ev: dict[str, Any], has_end: bool, b_counts: dict[str, int], mid: dict[str, int], lang: str
) -> list[str]:
    """The summary's sentences from the counts: ``ev``'s end-of-term counts (and as-of date), the
    end-of-term verdicts of the binding targets, the mid-term statuses."""
    en = lang == "en"
    out: list[str] = []
    counts = ev["end_of_term_counts"]
    qualitative = counts.get(QUALITATIVE, 0)
    judged = sum(n for k, n in counts.items() if k != QUALITATIVE)
    n_mid = sum(mid.values())
    if has_end:
        binding = bool(b_counts)
        if binding:  # binding (约束性) targets first where the plan says which they are
            b_judged = sum(n for k, n in b_counts.items() if k != QUALITATIVE)
            out.append(
                f"Of the {b_judged} binding targets whose target year has passed: {_count_phrase(b_counts, lang)}."
                if en
                else f"目标年已到的约束性目标{b_judged}项：{_count_phrase(b_counts, lang)}。"
            )
        text = (
            f"{judged} targets have reached their target year: {_count_phrase(counts, lang)}."
            if en
            else f"截至{ev['as_of'][:10]}，本规划目标年已到的目标共{judged}项：{_count_phrase(counts, lang)}。"
        )
        if binding:
            text = text.replace("目标共", "全部目标共") if not en else "All told, " + text
        out.append(text)
        if qualitative:
            out.append(
                f"{qualitative} qualitative targets are listed with their words and not judged."
                if en
                else f"另有定性目标{qualitative}项，列出规划原文，不作判断。"
            )
    if n_mid:
        parts = [
            f"{verdict_label(k, lang)} {mid[k]}" if en else f"{verdict_label(k, lang)}{mid[k]}项"
            for k in MID_TERM_ORDER
            if mid.get(k)
        ]
        parts += [f"{k} {n}" for k, n in mid.items() if k not in MID_TERM_ORDER]
        out.append(
            f"{n_mid} targets are for later years (mid-term evaluation): {'; '.join(parts)}."
            if en
            else f"目标年未到的目标{n_mid}项（中期评估）：{'，'.join(parts)}。"
        )
    if not has_end and not n_mid:
        out.append("The run has no assessed target of this plan." if en else "该次报告运行没有本规划的目标。")
    return out


def _title(plan_title: str, has_end: bool, has_mid: bool, lang: str) -> str:
    if lang == "en":
        kind = (
            ("end-of-term" if has_end else "mid-term") if has_end != has_mid else "end-of-term and mid-term"
        )
        return f"{plan_title}: {kind} evaluation report"
    kind = ("末期评估" if has_end else "中期评估") if has_end != has_mid else "末期及中期评估"
    return f"《{plan_title}》{kind}报告"


def _key_rows(rows: list[Row]) -> list[Row]:
    """The targets that get a chart: binding ones where the plan says which, else every target with a
    base and a latest value; missed ones first, at most ``KEY_CHARTS``."""
    drawable = [r for r in rows if _drawable(r)]
    binding = [r for r in drawable if r.attribute == "binding"]
    chosen = binding or drawable
    return sorted(chosen, key=_chart_rank)[:KEY_CHARTS]


_CHART_ORDER = {"missed": 0, "off_track": 1, "regressing": 1, "needs_acceleration": 2}


def _chart_rank(row: Row) -> int:
    return _CHART_ORDER.get(row.verdict, 3)


def _drawable(row: Row) -> bool:
    return (
        row.base_value is not None
        and row.latest_value is not None
        and row.record.get("target_level") is not None
    )


class _KeyRows:
    """``_key_rows`` of rows that go by in the document's order, holding at most ``KEY_CHARTS`` of each
    kind (binding, any) instead of every row."""

    def __init__(self) -> None:
        self.seen = 0
        self.binding: list[tuple[int, int, Row]] = []
        self.drawable: list[tuple[int, int, Row]] = []

    def add(self, rows: list[Row]) -> None:
        for row in rows:
            self.seen += 1
            if not _drawable(row):
                continue
            kinds = (self.drawable, self.binding) if row.attribute == "binding" else (self.drawable,)
            for kept in kinds:
                kept.append((_chart_rank(row), self.seen, row))
                if len(kept) > 4 * KEY_CHARTS:
                    kept.sort(key=lambda x: x[:2])
                    del kept[KEY_CHARTS:]

    def rows(self) -> list[Row]:
        chosen = self.binding or self.drawable
        return [row for _, _, row in sorted(chosen, key=lambda x: x[:2])[:KEY_CHARTS]]


def _documents(session: Session, plan: Plan, files: dict[str, int]) -> list[dict[str, Any]]:
    """The documents the listed targets come from, in order of first use, each with its title, issuer,
    date and how many of the targets it holds (``files``: document file → that count)."""
    known = (
        {p.source_document: p for p in session.scalars(select(Plan).where(Plan.source_document.in_(files)))}
        if files
        else {}
    )
    if plan.source_document in files:
        known[plan.source_document] = plan
    return [
        {
            "file": f,
            "title": (known[f].document_title or known[f].title_zh) if f in known else f,
            "issuer": known[f].issuer if f in known else None,
            "issued": known[f].issued if f in known else None,
            "targets": n,
        }
        for f, n in files.items()
    ]


def build(
    session: Session,
    run: ReportRun,
    plan_code: str,
    lang: str = "zh",
    charts: bool = True,
    ev: dict[str, Any] | None = None,
) -> EvaluationDocument:
    """The evaluation of ``plan_code`` in ``run`` as a document in ``lang`` (zh or en); ``ev``: an
    evaluation of another kind in ``evaluation``'s shape (the annual one, ``reports.annual``)."""
    from service.reports.evaluation_chart import line_chart  # Pillow only when a document is made

    en = lang == "en"
    ev = evaluation(session, run, plan_code) if ev is None else ev
    annual = ev.get("kind") == "annual"
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    assert plan is not None  # evaluation() raised NotFound otherwise
    # catalog order (the YAML's order is the plan's order) for chapters and rows
    order: dict[str, int] = {
        key: first
        for key, first in session.execute(
            select(Target.key, func.min(Target.id)).where(Target.plan_id == plan.id).group_by(Target.key)
        )
    }
    records = [*ev["end_of_term"], *ev["mid_term"]]
    # statistics sources, numbered by first use; plan baselines are the plan documents, listed apart
    source_no: dict[tuple[str, str | None], int] = {}
    statistics: list[dict[str, Any]] = []
    for r in sorted(records, key=lambda r: order.get(r["id"].split("/", 1)[1], 0)):
        for s in r.get("sources") or []:
            k = (s["source"], s["url"])
            if k not in source_no and not s["baseline"]:
                source_no[k] = len(source_no) + 1
                statistics.append({"no": source_no[k], **s})

    def section(key: str, items: list[dict[str, Any]]) -> Section | None:
        if not items:
            return None
        rows = [_row(r, lang, key == "end_of_term", source_no) for r in items]
        rank = {"binding": 0, "anticipatory": 1}
        chapters: dict[str, list[Row]] = {}
        first: dict[str, int] = {}
        for row in sorted(rows, key=lambda x: order.get(x.id.split("/", 1)[1], 0)):
            chapters.setdefault(row.chapter, []).append(row)
            first.setdefault(row.chapter, order.get(row.id.split("/", 1)[1], 0))
        ordered = [
            (c, sorted(rs, key=lambda x: rank.get(x.attribute, 2)))
            for c, rs in sorted(chapters.items(), key=lambda kv: first[kv[0]])
        ]
        end = key == "end_of_term"
        title = _zh_en(
            lang,
            "末期评估（目标年已到）" if end else "中期评估（目标年未到）",
            "End-of-term evaluation (target year reached)" if end else "Mid-term evaluation (later targets)",
        )
        if annual:
            y = ev["year"]
            title = _zh_en(
                lang,
                f"{y}年度目标完成情况" if end else f"规划目标序时进度（{y}年评估）",
                f"The targets for {y}" if end else f"Plan targets against their schedule ({y} evaluation)",
            )
        return Section(
            key,
            title,
            _zh_en(lang, *LABELS["verdict" if end else "status"]),
            _zh_en(lang, *LABELS["shortfall" if end else "gap"]),
            ordered,
        )

    sections = [
        s for s in (section("end_of_term", ev["end_of_term"]), section("mid_term", ev["mid_term"])) if s
    ]
    end_rows = sections[0].rows if sections and sections[0].key == "end_of_term" else []
    mid_rows = next((s.rows for s in sections if s.key == "mid_term"), [])
    plan_title = plan.title_en if en else plan.title_zh
    chart_list: list[Chart] = []
    if charts:
        for n, row in enumerate(_key_rows(end_rows + mid_rows), start=1):
            chart_list.append(_chart(session, row, n, lang, line_chart))
    # the documents the targets come from
    files: dict[str, int] = {}
    for r in records:
        if f := r.get("source_document"):
            files[f] = files.get(f, 0) + 1
    documents = _documents(session, plan, files)
    materials = _materials(
        session, [r for sec in sections for r in sec.rows], ev["year"] if annual else None, lang
    )
    finished = run.finished_at or run.started_at
    computed = (
        (texts.when(finished, lang) + texts.paren(texts.t("beijing_time", lang), lang)) if finished else ""
    )
    return EvaluationDocument(
        lang=lang,
        plan_code=plan.code,
        plan_title=plan_title,
        title=_viewed(
            (
                f"{plan_title}: annual evaluation report {ev['year']}"
                if en
                else f"《{plan_title}》{ev['year']}年度评估报告"
            )
            if annual
            else _title(plan_title, bool(ev["end_of_term"]), bool(ev["mid_term"]), lang),
            run,
            lang,
        ),
        as_of=run.as_of.date().isoformat(),
        computed_at=computed,
        run_id=run.id,
        method_version=run.method_version,
        profile=run.threshold_profile,
        end_of_term_counts=dict(ev["end_of_term_counts"]),
        mid_term_counts={
            k: sum(1 for r in mid_rows if r.verdict == k) for k in {r.verdict for r in mid_rows}
        },
        summary=_view_line(run, lang) + _summary(ev, end_rows, mid_rows, lang),
        sections=sections,
        charts=chart_list,
        documents=documents,
        statistics=statistics,
        labels={k: _zh_en(lang, *v) for k, v in LABELS.items()},
        evaluation=ev,
        materials=materials,
    )


def _materials(session: Session, rows: list[Row], year: int | None, lang: str) -> list[dict[str, Any]]:
    """The progress statements (current versions) of the rows' targets, for ``year`` in an annual
    evaluation, with their files: name, type, size and the sha256 the stored file is checked against."""
    from service.domain.statements import statements_for_records

    found = statements_for_records(session, [r.id for r in rows], year)
    out = []
    for row in rows:
        for s in found.get(row.id, []):
            org = s.get("organisation")
            out.append(
                {
                    "id": row.id,
                    "indicator": row.indicator,
                    "region": row.region,
                    "year": s["year"],
                    "text": s["text"],
                    "by": s["by"] or "",
                    "version": s["version"],
                    "organisation": (org["name_en"] if lang == "en" else org["name_zh"]) if org else "",
                    "at": texts.day(s["at"], lang),
                    "files": s["files"],
                }
            )
    return out


def _chart(session: Session, row: Row, n: int, lang: str, draw: Any) -> Chart:
    """A key target's line: the run's own points (the observations it used, where they are the series
    itself), its base and latest value, the straight path to the target and the target."""
    from service.db.models import Observation

    r = row.record
    b, t, T = r["base_year"], r["latest_year"], r["target_year"]
    points = {b: r["base_value"], t: r["latest_value"]}
    ids = [int(i) for i in r.get("inputs") or []]
    if ids and not r.get("aggregation") and not row.index_values:
        obs: dict[int, Any] = {
            year: value
            for year, value in session.execute(
                select(Observation.period, Observation.value).where(Observation.id.in_(ids[:500]))
            )
        }
        # the observations are the series only where they give the run's own base and latest values
        same = all(
            obs.get(y) is not None and math.isclose(float(obs[y]), v, rel_tol=1e-9) for y, v in points.items()
        )
        if same:
            points = {int(y): float(v) for y, v in obs.items() if v is not None and b <= y <= t}
    series = sorted(points.items())
    png = draw(
        series,
        base=(b, r["base_value"]),
        target=(T, r["target_level"]),
        preliminary_last=row.preliminary,
        path=progress_shown(r),  # no schedule path from a base that already met the target
    )
    unit = "" if row.index_values else unit_words(row.unit, lang)
    title = (
        f"{_zh_en(lang, '图', 'Figure ')}{n}  {row.indicator}（{row.region}）"
        if lang != "en"
        else (f"Figure {n}  {row.indicator} ({row.region})")
    )
    caption = row.target + texts.paren(_year(T, lang), lang) + texts.t("semicolon", lang) + row.verdict_text
    if unit:
        caption += texts.t("semicolon", lang) + texts.pick(LABELS["chart_note"], lang) + unit
    return Chart(row, title, caption, png)


ZH_NUMERALS = "一二三四五六七八九十"


def _viewed(title: str, run: ReportRun, lang: str) -> str:
    """A provisional run's document says so in its title (and so in every format and file name)."""
    if run.review_view != "provisional":
        return title
    return texts.t("provisional_title", lang).format(title=title)


def _view_line(run: ReportRun, lang: str) -> list[str]:
    """Where figures are reviewed, the summary opens with the view the run took (数据审核)."""
    note = view_note(run.review_view, lang)
    return [note + texts.t("full_stop", lang)] if note else []


def heading_number(n: int, lang: str) -> str:
    """一、 二、 … in Chinese, 1. 2. … in English (n from 1)."""
    return f"{n}. " if lang == "en" else f"{ZH_NUMERALS[n - 1]}、"


# --- the same document, read in chunks (a national plan's downloads) -----------------------------------


def _record_chunks(
    session: Session, run: ReportRun, plan: Plan, end: bool, document_order: bool, chunk: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """The end-of-term (``end``) or mid-term records of ``evaluation``, with their evidence, ``chunk`` at a
    time, each beside its catalog order (the first id of its key); with ``document_order`` in the
    order of ``build``'s tables: chapters by their first target, binding targets first in a chapter,
    then the catalog's order."""
    first = (
        select(Target.key.label("key"), func.min(Target.id).label("first"))
        .where(Target.plan_id == plan.id)
        .group_by(Target.key)
        .subquery()
    )
    ended = end_of_term_condition(run.as_of.year)
    stmt = (
        assessment_select(run, AssessmentFilter(plan=plan.code), ended if end else not_(ended))
        .join(first, first.c.key == Target.key)
        .add_columns(first.c.first.label("catalog_order"))
    )
    if document_order:
        chapter = func.coalesce(Target.chapter, "")
        rank = case(
            (Target.attribute == Attribute.BINDING, 0),
            (Target.attribute == Attribute.ANTICIPATORY, 1),
            else_=2,
        )
        stmt = stmt.order_by(None).order_by(
            func.min(first.c.first).over(partition_by=chapter), rank, first.c.first
        )
    if session.get_bind().dialect.name == "postgresql":
        # a cursor read to its end: plan for all its rows, not PostgreSQL's default first 10 %
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    for part in session.execute(stmt.execution_options(yield_per=chunk)).partitions():
        records = [assessment_record(run, row) for row in part]
        if end:
            records = [with_verdict(r) for r in records]
        add_evidence(session, records)
        yield [(row.catalog_order, r) for row, r in zip(part, records, strict=True)]


def outline(
    session: Session,
    run: ReportRun,
    plan_code: str,
    lang: str = "zh",
    charts: bool = True,
    visit: Callable[[str, Row], None] | None = None,
    chunk: int = CHUNK,
) -> EvaluationDocument:
    """``build``'s document without holding the plan's records: one pass over them in chunks counts
    what the summary says and numbers the statistics sources; the sections' rows are read again, a
    chunk at a time in the tables' order, when a renderer reads them (``Section.parts``), and the
    charts and supporting materials are then known (``EvaluationDocument.complete``). ``visit`` sees
    every row in the first pass (its source numbers not yet final): a spreadsheet's column widths."""
    from service.reports.evaluation_chart import line_chart  # Pillow only when a document is made

    en = lang == "en"
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise NotFound(f"规划 {plan_code} 不存在", f"plan {plan_code!r} does not exist")
    end_counts: dict[str, int] = {}
    binding: dict[str, int] = {}
    mid: dict[str, int] = {}
    first_use: dict[tuple[str, str | None], tuple[tuple[int, int], dict[str, Any]]] = {}
    files: dict[str, int] = {}
    provisional: dict[tuple[str, str | None], int] = {}
    for end in (True, False):
        for part in _record_chunks(session, run, plan, end, False, chunk):
            for order, r in part:
                key = r["verdict"] if end else r["status"]
                if end:
                    end_counts[key] = end_counts.get(key, 0) + 1
                    if r.get("attribute") == "binding":
                        binding[key] = binding.get(key, 0) + 1
                else:
                    mid[key] = mid.get(key, 0) + 1
                for i, s in enumerate(r.get("sources") or []):
                    k = (s["source"], s["url"])
                    if not s["baseline"] and (k not in first_use or (order, i) < first_use[k][0]):
                        first_use[k] = ((order, i), s)
                        provisional.setdefault(k, len(provisional) + 1)
                if f := r.get("source_document"):
                    files[f] = files.get(f, 0) + 1
                if visit is not None:
                    visit("end_of_term" if end else "mid_term", _row(r, lang, end, provisional))
    source_no: dict[tuple[str, str | None], int] = {}
    statistics: list[dict[str, Any]] = []
    for k, (_, s) in sorted(first_use.items(), key=lambda kv: kv[1][0]):
        source_no[k] = len(source_no) + 1
        statistics.append({"no": source_no[k], **s})
    key_rows = _KeyRows()
    materials: list[dict[str, Any]] = []

    def rows_of(end: bool) -> Iterator[tuple[str, list[Row]]]:
        for part in _record_chunks(session, run, plan, end, True, chunk):
            rows = [_row(r, lang, end, source_no) for _, r in part]
            key_rows.add(rows)
            materials.extend(_materials(session, rows, None, lang))
            for chapter, group in itertools.groupby(rows, key=lambda x: x.chapter):
                yield chapter, list(group)

    def section(end: bool) -> Section:
        title = _zh_en(
            lang,
            "末期评估（目标年已到）" if end else "中期评估（目标年未到）",
            "End-of-term evaluation (target year reached)" if end else "Mid-term evaluation (later targets)",
        )
        return Section(
            "end_of_term" if end else "mid_term",
            title,
            _zh_en(lang, *LABELS["verdict" if end else "status"]),
            _zh_en(lang, *LABELS["shortfall" if end else "gap"]),
            [],
            stream=lambda: rows_of(end),
        )

    has_end, has_mid = bool(end_counts), bool(mid)
    sections = [section(end) for end, has in ((True, has_end), (False, has_mid)) if has]
    documents = _documents(session, plan, files)
    ev = {
        "plan_code": plan.code,
        "plan": plan.title_zh,
        "run_id": run.id,
        "as_of": run.as_of.isoformat(),
        "end_of_term_counts": end_counts,
        "review_view": run.review_view,
    }
    plan_title = plan.title_en if en else plan.title_zh
    finished = run.finished_at or run.started_at
    computed = (
        (texts.when(finished, lang) + texts.paren(texts.t("beijing_time", lang), lang)) if finished else ""
    )
    d = EvaluationDocument(
        lang=lang,
        plan_code=plan.code,
        plan_title=plan_title,
        title=_viewed(_title(plan_title, has_end, has_mid, lang), run, lang),
        as_of=run.as_of.date().isoformat(),
        computed_at=computed,
        run_id=run.id,
        method_version=run.method_version,
        profile=run.threshold_profile,
        end_of_term_counts=dict(end_counts),
        mid_term_counts=dict(mid),
        summary=_view_line(run, lang) + _summary_of(ev, has_end, binding, mid, lang),
        sections=sections,
        charts=[],
        documents=documents,
        statistics=statistics,
        labels={k: _zh_en(lang, *v) for k, v in LABELS.items()},
        evaluation=ev,
        materials=materials,
    )

    def finish() -> None:
        if charts:
            d.charts = [_chart(session, row, n, lang, line_chart) for n, row in enumerate(key_rows.rows(), 1)]

    d.finish = finish
    return d
