"""The evaluation report as an Excel workbook and as a standalone printable HTML page, and the one entry
point that makes any of the report's files (``document``), for the CLI and the web downloads alike."""

from __future__ import annotations

import base64
import io
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, select_autoescape
from sqlalchemy.orm import Session

from service.db.models import ReportRun
from service.domain import texts
from service.domain.statuses import STATUS_COLOURS, STATUS_ICONS, VERDICTS
from service.domain.tabular import xlsx_append
from service.reports.evaluation_doc import (
    MID_TERM_ORDER,
    PALE,
    EvaluationDocument,
    build,
    heading_number,
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


# --- XLSX ----------------------------------------------------------------------------------------------


def _display_width(text: Any) -> int:
    """Columns a text needs in a spreadsheet: a Chinese character takes two."""
    lines = str(text).split("\n") if text is not None else [""]
    return max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line in lines)


def _fit(ws: Any, widest: int = 60, narrowest: int = 6) -> None:
    widths: dict[str, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or type(cell).__name__ == "MergedCell":
                continue
            letter = cell.column_letter
            widths[letter] = max(widths.get(letter, 0), _display_width(cell.value))
    for letter, w in widths.items():
        ws.column_dimensions[letter].width = max(narrowest, min(widest, w + 2))


def _figure(v: float | None, scale: float = 1.0) -> float | None:
    """A stored figure for a cell: scaled (3.7 % -> 0.037) without binary noise (0.7409999999999999)."""
    return None if v is None else float(f"{v * scale:.12g}")


def _percent(unit: str, index: bool) -> bool:
    return unit == "%" and not index


def to_xlsx(d: EvaluationDocument) -> bytes:
    """A summary sheet first, then one table per part (end-of-term, mid-term): number formats by unit
    (a % indicator as percentages), an autofilter, a frozen header, widths that fit Chinese names."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    en, labels = d.lang == "en", d.labels
    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary" if en else "摘要"
    xlsx_append(ws, [d.title])
    ws["A1"].font = Font(bold=True, size=14)
    for key, value in (
        ("as_of", d.as_of),
        ("computed", d.computed_at),
        ("run", d.run_id),
        ("method", d.method_version),
    ):
        xlsx_append(ws, [labels[key], value])
    xlsx_append(ws, [])
    for text in d.summary:
        xlsx_append(ws, [text])
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=6)
        ws.row_dimensions[ws.max_row].height = 15 * (1 + _display_width(text) // 90)
    if d.end_of_term_counts:
        xlsx_append(ws, [])
        xlsx_append(ws, [labels["verdict"], labels["count"]])
        for cell in ws[ws.max_row]:
            cell.font = bold
        for v in VERDICTS + tuple(k for k in d.end_of_term_counts if k not in VERDICTS):
            if d.end_of_term_counts.get(v):
                xlsx_append(ws, [verdict_label(v, d.lang), d.end_of_term_counts[v]])
        xlsx_append(ws, ["Total" if en else "合计", sum(d.end_of_term_counts.values())])
        ws.cell(row=ws.max_row, column=1).font = bold
    if d.mid_term_counts:
        xlsx_append(ws, [])
        xlsx_append(ws, [labels["status"], labels["count"]])
        for cell in ws[ws.max_row]:
            cell.font = bold
        for s in sorted(
            d.mid_term_counts, key=lambda k: MID_TERM_ORDER.index(k) if k in MID_TERM_ORDER else 99
        ):
            xlsx_append(ws, [verdict_label(s, d.lang), d.mid_term_counts[s]])
    xlsx_append(ws, [])
    xlsx_append(ws, [labels["documents"]])
    ws.cell(row=ws.max_row, column=1).font = bold
    for item in d.documents:
        xlsx_append(ws, [item["title"], ", ".join(x for x in (item.get("issuer"), item.get("issued")) if x)])
    if d.statistics:
        xlsx_append(ws, [])
        xlsx_append(ws, [labels["statistics"]])
        ws.cell(row=ws.max_row, column=1).font = bold
        for src in d.statistics:
            xlsx_append(
                ws, [f"[{src['no']}] {src['source']}", src.get("published") or "", src.get("url") or ""]
            )
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 24

    yes, no = labels["yes"], labels["no"]
    pp = '0.0##" pp"' if en else '0.0##"个百分点"'
    for section in d.sections:
        end = section.key == "end_of_term"
        sheet = wb.create_sheet(
            ("End of term" if end else "Mid term") if en else ("末期评估" if end else "中期评估")
        )
        columns = [
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
        header = {
            **labels,
            "verdict": section.verdict_header,
            "shortfall": section.shortfall_header,
            "indicator": "Indicator" if en else "指标",
            "id": "Target id" if en else "目标编号",
        }
        xlsx_append(sheet, [header[c] for c in columns])
        for cell in sheet[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.fill = PatternFill("solid", start_color="E7E6E6", end_color="E7E6E6")
        col = {c: i + 1 for i, c in enumerate(columns)}
        for r in section.rows:
            pct = _percent(r.unit, r.index_values)
            scale = 0.01 if pct else 1.0
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
            xlsx_append(sheet, [values[c] for c in columns])
            n = sheet.max_row
            for key in ("base_value", "latest_value"):
                sheet.cell(row=n, column=col[key]).number_format = "0.0##%" if pct else "General"
            if r.shortfall_value is not None:
                sheet.cell(row=n, column=col["shortfall"]).number_format = pp if pct else "General"
            sheet.cell(row=n, column=col["p_meet"]).number_format = "0%"
            fill = STATUS_COLOURS.get(r.verdict, "#FFFFFF").lstrip("#")
            sheet.cell(row=n, column=col["verdict"]).fill = PatternFill(
                "solid", start_color=fill, end_color=fill
            )
            for key in ("notes", "source_quote", "target", "indicator"):
                sheet.cell(row=n, column=col[key]).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "C2"  # the header row, and the chapter and indicator while scrolling right
        sheet.auto_filter.ref = sheet.dimensions
        _fit(sheet, widest=50)
        for key, width in (("notes", 40), ("source_quote", 50), ("chapter", 30)):
            letter = sheet.cell(row=1, column=col[key]).column_letter
            sheet.column_dimensions[letter].width = min(width, sheet.column_dimensions[letter].width or width)
    if d.materials:
        sheet = wb.create_sheet(labels["materials"])
        columns = [
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
        header = {
            **labels,
            "id": "Target id" if en else "目标编号",
            "indicator": "Indicator" if en else "指标",
            "organisation": "Organisation" if en else "单位",
            "sha256": "SHA-256",
        }
        xlsx_append(sheet, [header[c] for c in columns])
        for cell in sheet[1]:
            cell.font = bold
        for m in d.materials:
            xlsx_append(
                sheet,
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
                ],
            )
            sheet.cell(row=sheet.max_row, column=5).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        _fit(sheet, widest=50)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


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
