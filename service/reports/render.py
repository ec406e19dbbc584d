"""Report exports: JSON, CSV, XLSX (what an official hands upward) and a standalone HTML page."""

from __future__ import annotations

import io
import json
from typing import Any

from jinja2 import Environment, select_autoescape
from sqlalchemy.orm import Session

from service.db.models import ReportRun
from service.domain import texts
from service.domain.statuses import STATUS_COLOURS, STATUS_ICONS, STATUS_LABELS
from service.domain.tabular import write_csv, xlsx_append
from service.domain.wording import base_already_met, fmt_number, fmt_percent, target_words
from service.reports.queries import AssessmentFilter, assessment_records

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
    if not records:
        return ""
    fields = [k for k in records[0] if k not in ("notes", "inputs")] + ["notes", "inputs"]
    write_csv(buf, fields, (
        {**r, "notes": "; ".join(r.get("notes") or []), "inputs": " ".join(map(str, r["inputs"]))} for r in records
    ))  # fmt: skip
    return buf.getvalue()


def to_xlsx(records: list[dict[str, Any]]) -> bytes:
    """One sheet per plan, Chinese headers, statuses in words and colours, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)
    by_plan: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_plan.setdefault(r["plan_code"], []).append(r)
    if not by_plan:
        wb.create_sheet("无数据")
    for code, rows in by_plan.items():
        ws = wb.create_sheet(code[:31])
        ws.append([zh for _, zh, _ in COLUMNS])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        status_col = [k for k, _, _ in COLUMNS].index("status_zh") + 1
        for r in rows:
            xlsx_append(ws, [_cell(r, k) for k, _, _ in COLUMNS])
            for i, (k, _, _) in enumerate(COLUMNS, start=1):
                if k in PERCENT_COLUMNS:
                    ws.cell(row=ws.max_row, column=i).number_format = PERCENT_COLUMNS[k]
            fill = STATUS_COLOURS.get(r["status"], "#FFFFFF").lstrip("#")
            ws.cell(row=ws.max_row, column=status_col).fill = PatternFill(
                "solid", start_color=fill, end_color=fill
            )
        ws.freeze_panes = "A2"
        widths = {"id": 34, "indicator": 24, "target_text": 18, "status_zh": 12, "source_quote": 50}
        for i, (k, _, _) in enumerate(COLUMNS, start=1):
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = widths.get(k, 12)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


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
        plans=plans, columns=COLUMNS, colours=STATUS_COLOURS, icons=STATUS_ICONS, shown=_shown, run_id=run_id,
        as_of=as_of, method=method, profile=profile,
    )  # fmt: skip


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
    records = assessment_records(session, run, AssessmentFilter(plan=plan))
    if fmt == "json":
        return to_json(records).encode()
    if fmt == "csv":
        return ("\ufeff" + to_csv(records)).encode()
    if fmt == "xlsx":
        return to_xlsx(records)
    html = to_html(records, run_id=run.id, as_of=run.as_of.isoformat(), method=run.method_version,
                   profile=run.threshold_profile)  # fmt: skip
    return html.encode()
