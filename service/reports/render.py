"""Report exports: JSON, CSV, XLSX (what an official hands upward) and a standalone HTML page."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import IO, Any

from jinja2 import Environment, select_autoescape
from sqlalchemy.orm import Session

from service.db.models import ReportRun
from service.domain import texts
from service.domain.statuses import STATUS_COLOURS, STATUS_ICONS, STATUS_LABELS
from service.domain.tabular import FORMULA_START, write_csv
from service.domain.wording import base_already_met, fmt_number, fmt_percent, target_words
from service.reports.queries import AssessmentFilter, assessment_records, record_chunks

COLUMNS: list[tuple[str, str, str]] = [
    ("id", "目标编号", "Target"),
    ("region", "地区", "Region"),
    ("indicator", "指标", "Indicator"),
    ("target_text", "目标值", "Target value"),
    ("target_year", "目标年", "Target year"),
    ("status_zh", "状态", "Status"),
    ("attribute", "属性", "Attribute"),
    ("latest_year", "最新年份", "Latest year"),
    ("latest_value", "最新值", "Latest value"),
    ("unit", "单位", "Unit"),
    ("base_year", "基期年", "Base year"),
    ("base_value", "基期值", "Base value"),
    ("tau", "时间进度", "Time elapsed"),
    ("completion", "完成进度", "Completion"),
    ("pace_ratio", "速度比", "Pace ratio"),
    ("r_remain", "剩余年均所需增速", "Required rate"),
    ("gap", "差距", "Gap"),
    ("projection", "目标年预测值", "Projection"),
    ("source_quote", "规划原文", "Source sentence"),
]


def target_text(r: dict[str, Any], lang: str = "zh") -> str:
    """A target in words (``service.domain.wording.target_words``): 较2020年翻一番（≥ 2.4亿元）, ≥3.7%, …"""
    return target_words(r, lang)


ATTRIBUTE_LABELS: dict[str, tuple[str, str]] = {
    a: texts.TEXTS["attribute_" + a] for a in ("binding", "anticipatory")
}  # the words live in service/domain/texts.py


def attribute_text(attribute: str | None, lang: str = "zh") -> str:
    """约束性 / 预期性 (binding / anticipatory); empty when the plan gives none."""
    if not attribute:
        return ""
    zh, en = ATTRIBUTE_LABELS.get(attribute, (attribute, attribute))
    return en if lang == "en" else zh


# shares held as fractions: shown as percentages (288%, not 2.875); in a workbook as numbers formatted so
PERCENT_COLUMNS: dict[str, str] = {"tau": "0%", "completion": "0%", "r_remain": "0.0%"}


def _cell(r: dict[str, Any], key: str) -> Any:
    if key == "target_text":
        return target_text(r)
    if key == "attribute":
        return attribute_text(r.get("attribute"))
    if key in ("completion", "pace_ratio") and base_already_met(r):
        return None  # met at the base: no completion share or pace beside the status (METHODOLOGY §3)
    v = r.get(key)
    if isinstance(v, float):
        return round(v, 4)
    return v


def _shown(r: dict[str, Any], key: str) -> str:
    """A cell of the HTML report as text: percentages as such, figures without float noise."""
    v = _cell(r, key)
    if v is None:
        return ""
    if key in PERCENT_COLUMNS and isinstance(v, int | float):
        return fmt_percent(v, 1 if key == "r_remain" else 0)
    if isinstance(v, float):
        return fmt_number(v)
    return str(v)


def to_json(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2)


def to_csv(records: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    write_csv_records(buf, [records])
    return buf.getvalue()


def write_csv_records(out: IO[str], chunks: Iterable[list[dict[str, Any]]]) -> None:
    """``to_csv`` of records that come chunk by chunk, written to ``out`` as they come."""
    fields: list[str] | None = None
    for records in chunks:
        if not records:
            continue
        first = fields is None
        if fields is None:
            fields = [k for k in records[0] if k not in ("notes", "inputs")] + ["notes", "inputs"]
        write_csv(
            out,
            fields,
            (
                {**r, "notes": "; ".join(r.get("notes") or []), "inputs": " ".join(map(str, r["inputs"]))}
                for r in records
            ),
            header=first,
        )


def to_xlsx(records: Iterable[dict[str, Any]]) -> bytes:
    """One sheet per plan, Chinese headers, statuses in words and colours, frozen header row."""
    buf = io.BytesIO()
    write_xlsx(buf, [records])
    return buf.getvalue()


def write_xlsx(out: IO[bytes], chunks: Iterable[Iterable[dict[str, Any]]]) -> None:
    """``to_xlsx`` of records that come chunk by chunk in plan order, written to ``out`` as they come
    (openpyxl's write-only mode: each row goes to a temporary file at once), so a run of any size is
    written in memory that does not grow with it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    status_col = [k for k, _, _ in COLUMNS].index("status_zh")
    widths = {"id": 34, "indicator": 24, "target_text": 18, "status_zh": 12, "source_quote": 50}
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="center")
    fills: dict[str, PatternFill] = {}
    ws: Any = None
    code: str | None = None

    def cell(value: Any, key: str) -> Any:
        c = WriteOnlyCell(ws, value)
        if isinstance(value, str) and value.startswith(FORMULA_START):  # text, never a live formula
            c.data_type = "s"
            c.quotePrefix = True
        if key in PERCENT_COLUMNS:
            c.number_format = PERCENT_COLUMNS[key]
        return c

    for chunk in chunks:
        for r in chunk:
            if r["plan_code"] != code:
                code = r["plan_code"]
                ws = wb.create_sheet(code[:31])
                ws.freeze_panes = "A2"
                for i, (k, _, _) in enumerate(COLUMNS, start=1):
                    ws.column_dimensions[get_column_letter(i)].width = widths.get(k, 12)
                header = []
                for _, zh, _ in COLUMNS:
                    h = WriteOnlyCell(ws, zh)
                    h.font, h.alignment = bold, wrap
                    header.append(h)
                ws.append(header)
            row = [cell(_cell(r, k), k) for k, _, _ in COLUMNS]
            colour = STATUS_COLOURS.get(r["status"], "#FFFFFF").lstrip("#")
            fill = fills.get(colour)
            if fill is None:
                fill = fills[colour] = PatternFill("solid", start_color=colour, end_color=colour)
            row[status_col].fill = fill
            ws.append(row)
    if ws is None:
        wb.create_sheet("无数据")
    wb.save(out)


_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>规划目标监测报告 · 截至 {{ as_of }}</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top}
th{background:#f3f3f3;position:sticky;top:0}.st{white-space:nowrap;font-weight:600}
</style></head><body>
<h1>规划目标监测报告</h1>
<p>截至 {{ as_of }}（运行 #{{ run_id }}，方法版本 {{ method }}，阈值方案 {{ profile }}）</p>
{% for code, rows in plans.items() %}
<h2>{{ rows[0].plan }}</h2>
<table><thead><tr>{% for _, zh, _ in columns %}<th>{{ zh }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr>{% for key, _, _ in columns %}
{% if key == 'status_zh' %}<td class="st" style="background:{{ colours[r.status] }}">{{ icons[r.status] }} {{ r.status_zh }}</td>
{% else %}<td>{{ shown(r, key) }}</td>{% endif %}
{% endfor %}</tr>{% endfor %}
</tbody></table>
{% endfor %}
</body></html>
"""


def to_html(records: list[dict[str, Any]], *, run_id: int, as_of: str, method: str, profile: str) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    plans: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        plans.setdefault(r["plan_code"], []).append(r)
    return env.from_string(_HTML).render(
        plans=plans,
        columns=COLUMNS,
        colours=STATUS_COLOURS,
        icons=STATUS_ICONS,
        shown=_shown,
        run_id=run_id,
        as_of=as_of,
        method=method,
        profile=profile,
    )


__all__ = [
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "attribute_text",
    "target_text",
    "to_csv",
    "to_html",
    "to_json",
    "to_xlsx",
]


def export_run(session: Session, run: ReportRun, fmt: str, plan: str | None = None) -> bytes:
    """A run's assessments (of one plan, or all) as a file: json, csv (with a BOM for Excel), xlsx or html."""
    if fmt in ("csv", "xlsx"):
        buf = io.BytesIO()
        write_export(session, run, fmt, buf, plan)
        return buf.getvalue()
    records = assessment_records(session, run, AssessmentFilter(plan=plan))
    if fmt == "json":
        return to_json(records).encode()
    html = to_html(
        records,
        run_id=run.id,
        as_of=run.as_of.isoformat(),
        method=run.method_version,
        profile=run.threshold_profile,
    )
    return html.encode()


STREAMED = ("csv", "xlsx")  # the formats ``write_export`` writes as the records are read


def write_export(
    session: Session, run: ReportRun, fmt: str, out: IO[bytes], plan: str | None = None, chunk: int = 2000
) -> None:
    """The csv or xlsx of ``export_run`` written to ``out`` chunk by chunk as the database's cursor
    gives the records: a national run (840,000 targets) in memory that does not grow with it."""
    chunks = record_chunks(session, run, AssessmentFilter(plan=plan), chunk=chunk)
    if fmt == "xlsx":
        write_xlsx(out, chunks)
        return
    if fmt != "csv":
        raise ValueError(f"not a streamed format: {fmt!r}")
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    text.write("\ufeff")
    write_csv_records(text, chunks)
    text.flush()
    text.detach()
