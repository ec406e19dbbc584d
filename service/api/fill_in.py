"""Fill-in templates: the indicators a region is expected to report, as an XLSX or CSV the importer accepts.

Public on purpose: a template holds only catalog facts (indicator names and units, which are already
public through GET /api/v1/targets), and officials open it from a link in an e-mail or a browser, which
cannot send a Bearer token. Uploading the filled-in file needs a token as before.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.deps import NO_NUL, SessionDep
from service.db.models import Indicator, Plan, Region
from service.domain.attachments import attachment
from service.domain.errors import NotFound
from service.domain.regions import expected_indicators
from service.domain.resolver import Resolver
from service.domain.tabular import write_csv, xlsx_append

router = APIRouter(tags=["observations"])

# Only columns the importer (service.domain.tabular) accepts: any other column would make it refuse the file.
# 确认: "是" stores a figure the checks hold as unusual (a zero GDP, a tripled growth rate) once checked.
COLUMNS = ("指标", "地区", "年份", "数值", "单位", "状态", "来源", "发布日期", "备注", "修订原因", "确认")
WIDTHS = (36, 14, 8, 14, 12, 10, 30, 12, 30, 24, 8)
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.
CHINA = dt.timezone(dt.timedelta(hours=8))


def template_rows(
    indicators: list[Indicator], region: Region, year: int, resolver: Resolver
) -> list[list[object]]:
    """One row per indicator; names where the importer resolves them back unambiguously, codes otherwise."""
    region_text = (
        region.name_zh if resolver.regions.get(region.name_zh.strip().lower()) is region else region.code
    )
    rows: list[list[object]] = []
    for ind in indicators:
        name = ind.name_zh if resolver.indicators.get(ind.name_zh.strip().lower()) is ind else ind.code
        rows.append([name, region_text, year, None, ind.unit, None, None, None, None, None, None])
    return rows


def to_xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "填报模板"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx_append(ws, row)
        # Text format keeps "3.7%" as typed; Excel would otherwise store 0.037 and the unit column would lie.
        ws.cell(row=ws.max_row, column=COLUMNS.index("数值") + 1).number_format = "@"
    ws.freeze_panes = "A2"
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    if rows:
        status = ws.cell(row=1, column=COLUMNS.index("状态") + 1).column_letter
        choice = DataValidation(type="list", formula1='"最终,初步"', allow_blank=True)
        choice.add(f"{status}2:{status}{len(rows) + 1}")
        ws.add_data_validation(choice)
        confirm = ws.cell(row=1, column=COLUMNS.index("确认") + 1).column_letter
        yes = DataValidation(type="list", formula1='"是"', allow_blank=True)
        yes.add(f"{confirm}2:{confirm}{len(rows) + 1}")
        ws.add_data_validation(yes)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    write_csv(buf, COLUMNS, (dict(zip(COLUMNS, row, strict=True)) for row in rows))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def _find_plan(session: Session, code: str) -> Plan:
    found = session.scalar(select(Plan).where(Plan.code == code))
    if found is not None:
        return found
    codes = list(session.scalars(select(Plan.code).order_by(Plan.code)))
    close = difflib.get_close_matches(code, codes, n=1, cutoff=0.5)
    tip_zh = f"，是否为“{close[0]}”？" if close else f"。可用规划：{'、'.join(codes)}"
    tip_en = f"; did you mean {close[0]}?" if close else f". Plans: {', '.join(codes)}"
    raise NotFound(f"未知规划“{code}”{tip_zh}", f"unknown plan {code!r}{tip_en}")


@router.get(
    "/templates",
    response_class=Response,
    responses={200: {"description": "the fill-in file", "content": {m: {} for m in MEDIA.values()}}},
    summary="A fill-in template (XLSX or CSV) of the indicators a region reports",
)
def download_template(
    session: SessionDep,
    region: Annotated[str, Query(min_length=1, max_length=120, description="region code or name")],
    plan: Annotated[str | None, Query(max_length=80, pattern=NO_NUL, description="plan code")] = None,
    year: Annotated[int | None, Query(ge=1949, le=2100, description="default: last calendar year")] = None,
    fmt: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx",
) -> Response:
    resolver = Resolver(session)
    found = resolver.region(region)
    if not isinstance(found, Region):
        raise NotFound(found.zh, found.en)
    the_plan = _find_plan(session, plan) if plan else None
    year = year if year is not None else dt.datetime.now(CHINA).year - 1
    indicators = expected_indicators(session, found, the_plan)
    if not indicators:
        scope_zh = f"规划“{the_plan.code}”中" if the_plan else "当前目标中"
        scope_en = f" in plan {the_plan.code}" if the_plan else ""
        raise NotFound(
            f"{scope_zh}没有“{found.name_zh}”（或其所属区域）需要填报的指标",
            f"no current target{scope_en} concerns {found.name_en} ({found.code}) or a zone containing it",
        )
    rows = template_rows(indicators, found, year, resolver)
    body = to_xlsx(rows) if fmt == "xlsx" else to_csv(rows)
    plan_part = f"_{the_plan.code}" if the_plan else ""
    name = f"模板_{found.name_zh}{plan_part}_{year}.{fmt}"
    fallback = f"template_{found.code}{plan_part}_{year}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": attachment(fallback, name)})
