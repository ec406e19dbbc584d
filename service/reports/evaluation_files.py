"""The evaluation report as an Excel workbook and as a standalone printable HTML page, and the one entry
point that makes any of the report's files (``document``), for the CLI and the web downloads alike."""

from __future__ import annotations

import base64
import io
import json
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from jinja2 import Environment, select_autoescape
from sqlalchemy.orm import Session

from service.db.models import ReportRun
from service.domain import texts
from service.domain.statuses import STATUS_COLOURS, STATUS_ICONS, VERDICTS
from service.domain.tabular import FORMULA_START
from service.domain.texts import EVALUATION_LABELS as LABELS
from service.reports.evaluation_doc import (
    MID_TERM_ORDER,
    PALE,
    EvaluationDocument,
    Row,
    build,
    heading_number,
    outline,
    verdict_label,
)
from service.reports.queries import evaluation, evaluation_chunks
from service.reports.render import target_text

FORMATS = ("docx", "xlsx", "html", "json")
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}


@dataclass(frozen=True)
class ReportFile:
    body: bytes
    media_type: str
    filename: str  # safe ASCII
    filename_words: str  # the title in words, for filename*=UTF-8''


def document(
    session: Session,
    run: ReportRun,
    plan_code: str,
    fmt: str,
    lang: str = "zh",
    ev: dict[str, Any] | None = None,
) -> ReportFile:
    """The evaluation of ``plan_code`` in ``run`` as a docx, xlsx, html or json file (``ev``: another
    kind of evaluation in the same shape, such as the annual one)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "json":  # the evaluation query's result, as `report evaluate` has always printed it
        data = evaluation(session, run, plan_code) if ev is None else ev
        body = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()
        kind = f"annual{ev['year']}_" if ev is not None and ev.get("kind") == "annual" else ""
        name = f"{plan_code}_{kind}evaluation_run{run.id}.json"
        return ReportFile(body, MEDIA_TYPES["json"], name, name)
    if fmt in STREAMED and ev is None:
        buf = io.BytesIO()
        ascii_name, words = write_document(session, run, plan_code, fmt, buf, lang)
        return ReportFile(buf.getvalue(), MEDIA_TYPES[fmt], ascii_name, words)
    d = build(session, run, plan_code, lang, charts=fmt != "xlsx", ev=ev)
    if fmt == "docx":
        from service.reports.evaluation_docx import to_docx

        body = to_docx(d)
    elif fmt == "xlsx":
        body = to_xlsx(d)
    else:
        body = to_html(d).encode()
    ascii_name, words = d.filename(fmt)
    return ReportFile(body, MEDIA_TYPES[fmt], ascii_name, words)


STREAMED = ("docx", "xlsx")  # the formats ``write_document`` writes as the records are read


def write_document(
    session: Session, run: ReportRun, plan_code: str, fmt: str, out: IO[bytes], lang: str = "zh"
) -> tuple[str, str]:
    """The evaluation of ``plan_code`` in ``run`` as a Word or Excel file written to ``out``, its records
    read a chunk at a time (``evaluation_doc.outline``): the workbook in openpyxl's write-only mode,
    in memory that does not grow with the plan; the Word document (python-docx holds its whole XML)
    without the plan's records. Returns the file's names (``EvaluationDocument.filename``)."""
    if fmt == "xlsx":
        widths = ColumnWidths(lang)
        d = outline(session, run, plan_code, lang, charts=False, visit=widths.visit)
        write_xlsx(d, out, widths)
    elif fmt == "docx":
        from service.reports.evaluation_docx import write_docx

        d = outline(session, run, plan_code, lang)
        write_docx(d, out)
    else:
        raise ValueError(f"not a streamed format: {fmt!r}")
    return d.filename(fmt)


# --- XLSX ----------------------------------------------------------------------------------------------


def _display_width(text: Any) -> int:
    """Columns a text needs in a spreadsheet: a Chinese character takes two."""
    lines = str(text).split("\n") if text is not None else [""]
    return max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line in lines)


def _figure(v: float | None, scale: float = 1.0) -> float | None:
    """A stored figure for a cell: scaled (3.7 % -> 0.037) without binary noise (0.7409999999999999)."""
    return None if v is None else float(f"{v * scale:.12g}")


def _percent(unit: str, index: bool) -> bool:
    return unit == "%" and not index


SECTION_COLUMNS = [
    "chapter",
    "indicator",
    "region",
    "attribute",
    "target",
    "target_year",
    "base_value",
    "base_year",
    "latest_value",
    "latest_year",
    "unit",
    "verdict",
    "preliminary",
    "shortfall",
    "stretch_met",
    "p_meet",
    "notes",
    "source_quote",
    "id",
]
MATERIAL_COLUMNS = [
    "id",
    "indicator",
    "region",
    "statement_year",
    "statement",
    "organisation",
    "statement_by",
    "statement_at",
    "files",
    "sha256",
]
_WRAPPED = ("notes", "source_quote", "target", "indicator")
_NARROWER = (("notes", 40), ("source_quote", 50), ("chapter", 30))


def _row_values(r: Row, en: bool, yes: str, no: str) -> list[Any]:
    """A table row's cells in ``SECTION_COLUMNS`` order: figures scaled for their number format."""
    scale = 0.01 if _percent(r.unit, r.index_values) else 1.0
    values = {
        "chapter": r.chapter,
        "indicator": r.indicator,
        "region": r.region,
        "attribute": r.attribute_text,
        "target": r.target,
        "target_year": r.target_year,
        "base_value": _figure(r.base_value, scale),
        "base_year": r.base_year,
        "latest_value": _figure(r.latest_value, scale),
        "latest_year": r.latest_year,
        "unit": "" if r.index_values else r.unit,
        "verdict": r.verdict_text,
        "preliminary": yes if r.preliminary else "",
        "shortfall": _figure(r.shortfall_value),
        "stretch_met": "" if r.stretch_met is None else (yes if r.stretch_met else no),
        "p_meet": r.p_meet,
        "notes": "；".join(r.notes) if not en else "; ".join(r.notes),
        "source_quote": r.source_quote,
        "id": r.id,
    }
    return [values[c] for c in SECTION_COLUMNS]


class ColumnWidths:
    """The widest cell of each column of each table sheet, measured as the rows go by (a write-only
    sheet takes its column widths before its first row): ``evaluation_doc.outline``'s ``visit``."""

    def __init__(self, lang: str) -> None:
        self.en = lang == "en"
        labels = {k: v[1] if self.en else v[0] for k, v in LABELS.items()}
        self.yes, self.no = labels["yes"], labels["no"]
        self.widest: dict[str, list[int]] = {}

    def visit(self, section: str, row: Row) -> None:
        self.add(section, _row_values(row, self.en, self.yes, self.no))

    def add(self, section: str, values: Sequence[Any]) -> None:
        widest = self.widest.setdefault(section, [0] * len(values))
        for i, v in enumerate(values):
            if v is not None:
                widest[i] = max(widest[i], _display_width(v))


def _widths(widest: Sequence[int], widest_allowed: int = 60, narrowest: int = 6) -> list[float]:
    """``_fit``'s widths of columns whose widest cells are ``widest`` (0: an empty column, left alone)."""
    return [max(narrowest, min(widest_allowed, w + 2)) if w else 0 for w in widest]


def to_xlsx(d: EvaluationDocument) -> bytes:
    """The workbook of a document (``write_xlsx``) as bytes."""
    buf = io.BytesIO()
    write_xlsx(d, buf)
    return buf.getvalue()


def write_xlsx(d: EvaluationDocument, out: IO[bytes], widths: ColumnWidths | None = None) -> None:
    """A summary sheet first, then one table per part (end-of-term, mid-term): number formats by unit
    (a % indicator as percentages), an autofilter, a frozen header, widths that fit Chinese names.

    Written in openpyxl's write-only mode (each row goes to a temporary file as it is made) to ``out``:
    the rows of an ``outline``'s sections are read from the database a chunk at a time, so a plan of
    any size is written in memory that does not grow with it; ``widths`` are the column widths its
    ``visit`` measured (a built document's are measured here)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    en, labels = d.lang == "en", d.labels
    if widths is None:
        widths = ColumnWidths(d.lang)
        for sec in d.sections:
            for r in sec.rows:
                widths.visit(sec.key, r)
    bold = Font(bold=True)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    wb = Workbook(write_only=True)

    def cell(ws: Any, value: Any, **style: Any) -> Any:
        c = WriteOnlyCell(ws, value)
        if isinstance(value, str) and value.startswith(FORMULA_START):  # text, never a live formula
            c.data_type = "s"
            c.quotePrefix = True
        for name, v in style.items():
            setattr(c, name, v)
        return c

    ws = wb.create_sheet("Summary" if en else "摘要")
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 24
    n = columns = 0  # rows and columns written so far

    def add(values: Sequence[Any], bold_first: bool = False, all_bold: bool = False) -> None:
        """A row; ``all_bold``: every cell of the row so far wide, as a header row's."""
        nonlocal n, columns
        n += 1
        columns = max(columns, len(values))
        if all_bold:
            values = [*values, *[None] * (columns - len(values))]
        ws.append(
            [
                cell(ws, v, font=bold) if all_bold or (bold_first and i == 0) else cell(ws, v)
                for i, v in enumerate(values)
            ]
        )

    n, columns = 1, 1
    ws.append([cell(ws, d.title, font=Font(bold=True, size=14))])
    for key, value in (
        ("as_of", d.as_of),
        ("computed", d.computed_at),
        ("run", d.run_id),
        ("method", d.method_version),
    ):
        add([labels[key], value])
    add([])
    for text in d.summary:
        ws.row_dimensions[n + 1].height = 15 * (1 + _display_width(text) // 90)
        ws.merged_cells.add(f"A{n + 1}:F{n + 1}")
        n, columns = n + 1, max(columns, 6)
        ws.append([cell(ws, text, alignment=wrap_top)])
    if d.end_of_term_counts:
        add([])
        add([labels["verdict"], labels["count"]], all_bold=True)
        for v in VERDICTS + tuple(k for k in d.end_of_term_counts if k not in VERDICTS):
            if d.end_of_term_counts.get(v):
                add([verdict_label(v, d.lang), d.end_of_term_counts[v]])
        add(["Total" if en else "合计", sum(d.end_of_term_counts.values())], bold_first=True)
    if d.mid_term_counts:
        add([])
        add([labels["status"], labels["count"]], all_bold=True)
        for s in sorted(
            d.mid_term_counts, key=lambda k: MID_TERM_ORDER.index(k) if k in MID_TERM_ORDER else 99
        ):
            add([verdict_label(s, d.lang), d.mid_term_counts[s]])
    add([])
    add([labels["documents"]], bold_first=True)
    for item in d.documents:
        add([item["title"], ", ".join(x for x in (item.get("issuer"), item.get("issued")) if x)])
    if d.statistics:
        add([])
        add([labels["statistics"]], bold_first=True)
        for src in d.statistics:
            add([f"[{src['no']}] {src['source']}", src.get("published") or "", src.get("url") or ""])

    yes, no = labels["yes"], labels["no"]
    pp = '0.0##" pp"' if en else '0.0##"个百分点"'
    col = {c: i for i, c in enumerate(SECTION_COLUMNS)}
    header_fill = PatternFill("solid", start_color="E7E6E6", end_color="E7E6E6")
    header_alignment = Alignment(wrap_text=True, vertical="center")
    fills: dict[str, Any] = {}
    for section in d.sections:
        end = section.key == "end_of_term"
        sheet = wb.create_sheet(
            ("End of term" if end else "Mid term") if en else ("末期评估" if end else "中期评估")
        )
        header = {
            **labels,
            "verdict": section.verdict_header,
            "shortfall": section.shortfall_header,
            "indicator": "Indicator" if en else "指标",
            "id": "Target id" if en else "目标编号",
        }
        titles = [header[c] for c in SECTION_COLUMNS]
        widths.add(section.key, titles)
        fitted = _widths(widths.widest[section.key], widest_allowed=50)
        for c, cap in _NARROWER:
            fitted[col[c]] = min(cap, fitted[col[c]] or cap)
        for i, w in enumerate(fitted, start=1):
            if w:
                sheet.column_dimensions[get_column_letter(i)].width = w
        sheet.freeze_panes = "C2"  # the header row, and the chapter and indicator while scrolling right
        sheet.append(
            [cell(sheet, t, font=bold, alignment=header_alignment, fill=header_fill) for t in titles]
        )
        rows = 1
        for _, part in section.parts():
            for r in part:
                pct = _percent(r.unit, r.index_values)
                cells = [cell(sheet, v) for v in _row_values(r, en, yes, no)]
                for key in ("base_value", "latest_value"):
                    cells[col[key]].number_format = "0.0##%" if pct else "General"
                if r.shortfall_value is not None:
                    cells[col["shortfall"]].number_format = pp if pct else "General"
                cells[col["p_meet"]].number_format = "0%"
                colour = STATUS_COLOURS.get(r.verdict, "#FFFFFF").lstrip("#")
                if colour not in fills:
                    fills[colour] = PatternFill("solid", start_color=colour, end_color=colour)
                cells[col["verdict"]].fill = fills[colour]
                for key in _WRAPPED:
                    cells[col[key]].alignment = wrap_top
                sheet.append(cells)
                rows += 1
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(SECTION_COLUMNS))}{rows}"
    d.complete()
    if d.materials:
        sheet = wb.create_sheet(labels["materials"])
        header = {
            **labels,
            "id": "Target id" if en else "目标编号",
            "indicator": "Indicator" if en else "指标",
            "organisation": "Organisation" if en else "单位",
            "sha256": "SHA-256",
        }
        table = [[header[c] for c in MATERIAL_COLUMNS]]
        table += [
            [
                m["id"],
                m["indicator"],
                m["region"],
                m["year"],
                m["text"],
                m["organisation"],
                m["by"],
                m["at"],
                "\n".join(f["name"] for f in m["files"]),
                "\n".join(f["sha256"] for f in m["files"]),
            ]
            for m in d.materials
        ]
        measured = ColumnWidths(d.lang)
        for values in table:
            measured.add("materials", values)
        for i, w in enumerate(_widths(measured.widest["materials"], widest_allowed=50), start=1):
            if w:
                sheet.column_dimensions[get_column_letter(i)].width = w
        sheet.freeze_panes = "A2"
        sheet.append([cell(sheet, t, font=bold) for t in table[0]])
        for values in table[1:]:
            cells = [cell(sheet, v) for v in values]
            cells[4].alignment = wrap_top
            sheet.append(cells)
    wb.save(out)


# --- HTML ----------------------------------------------------------------------------------------------

_HTML = """<!doctype html>
<html lang="{{ 'en' if en else 'zh-CN' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ d.title }}</title>
<style>
@page{size:A4;margin:18mm 15mm}
body{font-family:"SimSun","Songti SC","Noto Serif CJK SC","Noto Sans CJK SC",serif;font-size:10.5pt;line-height:1.5;
color:#111;max-width:190mm;margin:1.5rem auto;padding:0 1rem}
h1,h2,h3,.fig-title{font-family:"SimHei","Heiti SC","Noto Sans CJK SC",sans-serif}
h1{font-size:18pt;text-align:center;margin:.5rem 0}h2{font-size:15pt;margin:1.2rem 0 .4rem}h3{font-size:12pt;margin:1rem 0 .3rem}
.meta{text-align:center;color:#555;font-size:9pt}.summary p{text-indent:2em;margin:.3rem 0}
table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:9pt;margin:.3rem 0 .8rem}
th,td{border:1px solid #777;padding:3px 4px;vertical-align:top;text-align:left}
th{background:#e7e6e6;text-align:center}tr{break-inside:avoid}thead{display:table-header-group}
td.num{text-align:right}.sub{color:#555;font-size:8pt}.verdict{font-weight:bold}
td.notes{font-size:8pt}figure{margin:.8rem 0;break-inside:avoid;text-align:center}
figure img{width:100%;max-width:160mm}figcaption{font-size:9pt}.fig-title{text-align:left;font-weight:bold}
.sources li{margin:.15rem 0}.small{font-size:8pt;color:#555}.url{color:#555;font-size:8pt;word-break:break-all}
</style></head><body>
<h1>{{ d.title }}</h1>
<p class="meta">{{ d.labels.as_of }} {{ d.as_of }} · {{ d.labels.computed }} {{ d.computed_at }} · {{ d.labels.run }} #{{ d.run_id }} · {{ d.labels.method }} {{ d.method_version }}</p>
<h2>{{ num(1) }}{{ d.labels.summary }}</h2>
<div class="summary">{% for p in d.summary %}<p>{{ p }}</p>{% endfor %}</div>
{% for s in d.sections %}
<h2>{{ num(loop.index + 1) }}{{ s.title }}</h2>
{% for chapter, rows in s.chapters %}{% if chapter %}<h3>{{ chapter }}</h3>{% endif %}
<table><colgroup><col style="width:18%"><col style="width:16%"><col style="width:12%"><col style="width:13%"><col style="width:13%"><col style="width:10%"><col style="width:18%"></colgroup><thead><tr><th>{{ d.labels.indicator }}</th><th>{{ d.labels.target }}</th><th>{{ d.labels.baseline }}</th>
<th>{{ d.labels.latest }}</th><th>{{ s.verdict_header }}</th><th>{{ s.shortfall_header }}</th><th>{{ d.labels.notes }}</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.indicator }}<br><span class="sub">{{ r.region }}{% if r.attribute_text %} · {{ r.attribute_text }}{% endif %}</span></td>
<td>{{ r.target }}<br><span class="sub">{{ year(r.target_year) }}</span></td><td>{{ lines(r.baseline or '—') }}</td><td>{{ lines(r.latest) }}</td>
<td class="verdict" style="background:#{{ pale.get(r.verdict, 'FFFFFF') }}">{{ icons.get(r.verdict, '') }} {{ r.verdict_text }}</td>
<td class="num">{{ r.shortfall }}</td><td class="notes">{{ notes(r.notes) }}</td></tr>
{% endfor %}</tbody></table>{% endfor %}{% endfor %}
{% set n = d.sections | length + 2 %}
{% if d.charts %}<h2>{{ num(n) }}{{ d.labels.charts }}</h2><p class="small">{{ d.labels.legend }}</p>
{% for c in d.charts %}<figure><div class="fig-title">{{ c.title }}</div><img alt="{{ c.title }}" src="data:image/png;base64,{{ b64(c.png) }}">
<figcaption>{{ c.caption }}</figcaption></figure>{% endfor %}{% set n = n + 1 %}{% endif %}
{% if d.materials %}<h2>{{ num(n) }}{{ d.labels.materials }}</h2><p class="small">{{ d.labels.materials_intro }}</p>
{% for m in d.materials %}<div class="material"><h3>{{ m.indicator }}{{ ' (' if en else '（' }}{{ m.region }}{{ ')' if en else '）' }} · {{ m.year }}</h3>
<p class="small">{% for x in [m.organisation, m.by, m.at] if x %}{% if not loop.first %}{{ ', ' if en else '，' }}{% endif %}{{ x }}{% endfor %}</p><p>{{ lines(m.text) }}</p>
{% if m.files %}<ul class="sources">{% for f in m.files %}<li>{{ f.name }} <span class="small">({{ f.kind }}, {{ f.size_text }}, SHA-256 {{ f.sha256 }})</span></li>{% endfor %}</ul>{% endif %}</div>{% endfor %}{% set n = n + 1 %}{% endif %}
<h2>{{ num(n) }}{{ d.labels.sources }}</h2>
<h3>{{ d.labels.documents }}</h3><ul class="sources">{% for item in d.documents %}<li>{{ item.title if en else '《' ~ item.title ~ '》' }}{% for x in [item.issuer, item.issued] if x %}{{ ', ' if en else '，' }}{{ x }}{% endfor %}</li>{% endfor %}</ul>
{% if d.statistics %}<h3>{{ d.labels.statistics }}</h3><ul class="sources">{% for s in d.statistics %}<li>[{{ s.no }}] {{ s.source }}{% if s.published and s.published not in s.source %} ({{ s.published }}){% endif %}{% if s.url %}<br><span class="url">{{ s.url }}</span>{% endif %}</li>{% endfor %}</ul>{% endif %}
<p class="small">{{ d.labels.generated }}</p>
</body></html>
"""


def to_html(d: EvaluationDocument) -> str:
    """A standalone page of the same content: inline CSS only, no script, charts as data: images."""
    from markupsafe import Markup, escape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    en = d.lang == "en"
    return env.from_string(_HTML).render(
        d=d,
        en=en,
        pale=PALE,
        icons=STATUS_ICONS,
        num=lambda n: heading_number(n, d.lang),
        b64=lambda b: base64.b64encode(b).decode("ascii"),
        year=lambda y: f"by {y}" if en else f"{y}年",
        lines=lambda text: Markup("<br>").join(escape(x) for x in str(text).split("\n")),
        notes=lambda items: Markup("<br>").join(escape(x) for x in items),
    )


# --- the evaluation as CSV rows (the download of /plans/{code}/evaluation.csv) -------------------------
CSV_FIELDS = [
    "id",
    "region",
    "indicator",
    "target_year",
    "target",
    "verdict",
    "status",
    "latest_year",
    "latest_value",
    "unit",
    "target_level",
    "shortfall",
]
_CSV_LABEL_KEYS = {
    "id": "target_id",
    "region": "region",
    "indicator": "indicator",
    "target_year": "target_year",
    "target": "target",
    "verdict": "verdict",
    "status": "status",
    "latest_year": "year",
    "latest_value": "latest",
    "unit": "unit",
    "target_level": "target_point",
    "shortfall": "shortfall",
}


def csv_labels(lang: str) -> list[str]:
    """The evaluation CSV's header in the reader's language."""
    return [texts.t(_CSV_LABEL_KEYS[f], lang) for f in CSV_FIELDS]


def csv_row(r: dict[str, Any], lang: str) -> dict[str, Any]:
    """An evaluation record (``queries.evaluation_chunks``) as a CSV row in the reader's language: names,
    verdicts and statuses in words; the target's id stays as the key that links a row to its page."""
    en = lang == "en"
    verdict = r.get("verdict")
    return {
        "id": r["id"],
        "region": (r.get("region_en") if en else None) or r["region"],
        "indicator": (r.get("indicator_en") if en else None) or r["indicator"],
        "target_year": r["target_year"],
        "target": target_text(r, lang),
        "verdict": texts.t("status_" + verdict, lang) if verdict else "",
        "status": "" if verdict else texts.t("status_" + r["status"], lang),
        "latest_year": r["latest_year"],
        "latest_value": r["latest_value"],
        "unit": texts.unit_name(r.get("unit"), lang),
        "target_level": r["target_level"],
        "shortfall": r["shortfall"] if verdict == "missed" else None,
    }


def csv_chunks(session: Session, run: ReportRun, plan_code: str, lang: str) -> Iterator[list[dict[str, Any]]]:
    """The evaluation's CSV rows, a chunk at a time (``queries.evaluation_chunks``)."""
    for part in evaluation_chunks(session, run, plan_code):
        yield [csv_row(x, lang) for x in part]
