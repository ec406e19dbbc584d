"""Taking in statistics: resolve, validate, detect revisions and outliers, write append-only.

One code path serves the API, the web form, file uploads and `yrdmon import`. A batch is
all-or-nothing by default: any rejected row (or a flagged row without confirmation) means nothing is
written, and every problem is reported with its row, column and reason in Chinese and English.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import queue
import threading
from collections.abc import Generator, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.bulk import bulk_insert
from service.db.models import (
    ImportBatch,
    Observation,
    ObservationStatus,
    Qualifier,
    Role,
    User,
    WritePath,
)
from service.domain import audit, changes, plausibility, review, units, vintage
from service.domain.errors import Conflict, Forbidden
from service.domain.resolver import IndicatorRef, RegionRef, Resolver, RowProblem
from service.domain.values import (
    MAX_ABS,
    ValueProblem,
    mean_span,
    parse_coverage,
    parse_value,
    parse_year,
    source_key,
    split_period,
    to_column,
)
from service.domain.write_scope import lock_figures, writable_indicator_ids, writable_region_ids

CHUNK = 5000
OBSERVATIONS: Table = Observation.__table__  # type: ignore[assignment]  # Core inserts: no ORM bookkeeping per row
OUTLIER_FACTOR = Decimal(10)  # a jump of 10x against the neighbouring year is almost always a unit slip
COMPONENT_TOLERANCE = Decimal("0.05")
# the observation columns' sizes (source and unit are VARCHARs that PostgreSQL enforces)
TEXT_LIMITS = {"unit": 40, "source": 400, "source_url": 1000, "note": 2000, "revision_reason": 2000}

# enum members read once: a member looked up on its class costs ~10x a name, on every row of a file
_RETRACTED, _FINAL, _REVISED = ObservationStatus.RETRACTED, ObservationStatus.FINAL, ObservationStatus.REVISED
_EXACT = Qualifier.EXACT

_STATUS_WORDS = {
    "preliminary": ObservationStatus.PRELIMINARY,
    "初步": ObservationStatus.PRELIMINARY,
    "初步核算": ObservationStatus.PRELIMINARY,
    "预计": ObservationStatus.PRELIMINARY,
    "快报": ObservationStatus.PRELIMINARY,
    "final": ObservationStatus.FINAL,
    "最终": ObservationStatus.FINAL,
    "正式": ObservationStatus.FINAL,
    "最终核实": ObservationStatus.FINAL,
    "年报": ObservationStatus.FINAL,
    "retracted": ObservationStatus.RETRACTED,
    "撤回": ObservationStatus.RETRACTED,
    "撤销": ObservationStatus.RETRACTED,
}


@dataclass(slots=True)
class ObservationInput:
    row: int
    indicator: str
    region: str
    period: object
    value: object
    unit: str | None = None
    status: str | None = None
    source: str | None = None
    source_url: str | None = None
    note: str | None = None
    revision_reason: str | None = None
    published: object = None  # 发布日期: a date, or text YYYY-MM-DD / YYYY-MM / YYYY; None: unknown
    confirm: bool = False
    series_break: bool = False  # 统计口径调整: not comparable with the years before (METHODOLOGY §6)
    coverage: str | None = None  # part of the year (1-10月, 前三季度); None: the whole year, or as the
    # period or note says
    cells: dict[str, str] | None = None  # where each field was read in a spreadsheet ("value": "Sheet2!D14")


@dataclass(slots=True)
class RowResult:
    row: int
    outcome: str  # added | revised | unchanged | rejected | needs_confirmation
    indicator: str | None = None
    region: str | None = None
    period: int | None = None
    value: float | None = None
    previous_value: float | None = None
    problems: list[RowProblem] = field(default_factory=list)
    cells: dict[str, str] | None = None  # the spreadsheet cells the row was read from, by field

    def place(self, problem: RowProblem | None = None) -> str:
        """Where a problem (or the row) is, for a person: the cell ("Sheet2!D14") or "row 14"."""
        cell = problem.cell if problem is not None else None
        if cell is None and self.cells:
            cell = self.cells.get(problem.column if problem is not None else "value") or self.cells.get(
                "value"
            )
        return cell or f"row {self.row}"


@dataclass
class BatchResult:
    dry_run: bool
    applied: bool
    batch_id: int | None
    counts: dict[str, int]
    rows: list[RowResult]
    review: dict[str, Any] | None = None  # where review is on: the state the figures entered (review.py)

    def as_dict(self, *, all_rows: bool = True) -> dict[str, Any]:
        rows = self.rows if all_rows else [r for r in self.rows if r.problems]
        out = {
            "dry_run": self.dry_run,
            "applied": self.applied,
            "batch_id": self.batch_id,
            "counts": self.counts,
            "rows": [asdict(r) for r in rows],
        }
        if self.review is not None:
            out["review"] = self.review
        return out


_LATER_FIELDS = {
    "published": None,
    "series_break": False,
    "coverage": None,
    "cells": None,
}  # left out at their
# defaults: keys sent before these fields existed keep their fingerprints


def request_fingerprint(inputs: list[ObservationInput], options: dict[str, Any]) -> str:
    rows = []
    for i in inputs:
        row = asdict(i)
        for name, default in _LATER_FIELDS.items():
            if row[name] == default:
                del row[name]
        rows.append(row)
    payload = json.dumps([*rows, options], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(slots=True)
class _Prepared:
    result: RowResult
    indicator: IndicatorRef
    region: RegionRef
    period: int
    value: Decimal
    raw_value: str
    raw_unit: str | None
    status: ObservationStatus
    input: ObservationInput
    key: tuple[int, int, int]  # (indicator id, region id, period): the figure, locked by writers
    chain: tuple[int, int, int, str] = (0, 0, 0, "")  # (…, source_key): the history this row continues
    coverage: str | None = None
    qualifier: Qualifier = Qualifier.EXACT
    previous: Any = None  # the stored row this one follows (id, value, status, batch_id), if any
    doubt: plausibility.Verdict | None = None  # an implausible-looking value, held unless confirmed
    stage: int = 0  # > 0: revises an earlier row of the same batch (written after it)
    retract: bool = False  # a retraction: a new version without a value
    published: dt.date | None = None  # when the source made it public (None: unknown)


def _chunks(items: Iterable[ObservationInput]) -> Iterator[list[ObservationInput]]:
    chunk: list[ObservationInput] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _text_problems(item: ObservationInput) -> list[RowProblem]:
    unit = item.unit
    if not (item.source or item.source_url or item.note or item.revision_reason) and (
        not unit or (len(unit) <= TEXT_LIMITS["unit"] and "\x00" not in unit)
    ):
        return []  # the usual file row: no text beyond a short unit
    problems = []
    for column, limit in TEXT_LIMITS.items():
        text = getattr(item, column)
        if text is not None and len(str(text)) > limit:
            problems.append(
                RowProblem(
                    column, f"文本过长（最多 {limit} 字）", f"text too long (at most {limit} characters)"
                )
            )
        elif text is not None and "\x00" in str(text):  # PostgreSQL cannot store NUL in text
            problems.append(RowProblem(column, "文本含有空字符（NUL）", "the text contains a NUL character"))
    return problems


def _convert(item: ObservationInput, indicator: IndicatorRef) -> tuple[Decimal, Qualifier]:
    """The row's value in the indicator's unit, and how exact the written figure is."""
    parsed = parse_value(item.value)
    written_unit = units.normalise_unit(item.unit) if item.unit else None
    glued = units.normalise_unit(parsed.unit) if parsed.unit else None
    if written_unit and glued and written_unit != glued:
        raise ValueProblem(
            f"数值中的单位“{glued}”与单位列“{written_unit}”不一致",
            f"the unit in the value ({glued}) differs from the unit column ({written_unit})",
        )
    unit = written_unit or glued or indicator.unit
    factor = units.conversion_factor(unit, indicator.unit)
    if factor is None:
        raise ValueError(f"cannot convert {unit!r} to {indicator.unit!r}")
    try:
        too_large = abs(parsed.value * factor) > MAX_ABS
    except ArithmeticError:  # decimal overflow, e.g. 1e18 万亿元 for an indicator counted in 元
        too_large = True
    if too_large:
        raise ValueProblem(
            f"换算为指标单位（{indicator.unit}）后数值超出范围",
            f"the value is out of range once converted to the indicator's unit ({indicator.unit})",
        )
    # exactly as stored, or refused: never a digit rounded away (1e-30 is not 0)
    return to_column(parsed.value, factor, indicator.unit), parsed.qualifier


def _prepare_row(
    item: ObservationInput,
    resolver: Resolver,
    writable: set[int] | None,
    username: str,
    indicators_allowed: set[int] | None = None,
    latest_year: int = 2100,
    today: dt.date = dt.date.max,
) -> _Prepared | RowResult:
    result = RowResult(row=item.row, outcome="pending", cells=item.cells)
    problems = result.problems
    text = item.indicator if type(item.indicator) is str else str(item.indicator or "")
    indicator = (
        resolver.indicator_ref(text)
        if text.strip()
        else RowProblem("indicator", "缺少指标", "the indicator is missing")
    )
    text = item.region if type(item.region) is str else str(item.region or "")
    region = (
        resolver.region_ref(text)
        if text.strip()
        else RowProblem("region", "缺少地区", "the region is missing")
    )
    if type(indicator) is RowProblem:
        problems.append(indicator)
    if type(region) is RowProblem:
        problems.append(region)
    period: int | None = None
    raw_period, coverage = split_period(item.period)
    if item.coverage is not None and str(item.coverage).strip():
        coverage = parse_coverage(item.coverage)
    elif coverage is None and item.note:
        coverage = parse_coverage(item.note, in_note=True)
    try:
        period = parse_year(raw_period, latest=latest_year)
    except ValueProblem as exc:
        problems.append(RowProblem("period", exc.zh, exc.en))
    if (span := mean_span(coverage)) is not None:  # an average over several years (年均)
        if type(indicator) is IndicatorRef and indicator.kind != "growth_rate":
            problems.append(
                RowProblem(
                    "coverage",
                    f"“{coverage}”是多年平均值，只有增速类指标可以这样填报；请填写各年数值",
                    f"{coverage!r} is an average over several years, which only a growth rate can have; enter each "
                    "year's value instead",
                )
            )
        elif period is not None and period != span[1]:
            problems.append(
                RowProblem(
                    "period",
                    f"多年平均值“{coverage}”应填在末年 {span[1]}，而不是 {period}",
                    f"the average {coverage!r} belongs to its last year {span[1]}, not {period}",
                )
            )
    status_text = item.status.strip().lower() if item.status else "final"
    status = _STATUS_WORDS.get(status_text)
    if status is None:
        problems.append(
            RowProblem(
                "status",
                f"状态“{item.status}”无效，应为 preliminary（初步）或 final（最终）",
                f"status {item.status!r} is invalid; use preliminary or final",
            )
        )
    retract = status is _RETRACTED
    value: Decimal | None = None
    qualifier = _EXACT
    doubt: plausibility.Verdict | None = None
    if retract:
        value = Decimal(0)  # not stored: a retraction has no value
        if not (item.revision_reason or "").strip():
            problems.append(
                RowProblem("revision_reason", "撤回数据需填写原因", "a retraction needs a reason")
            )
    if type(indicator) is IndicatorRef:
        result.indicator = indicator.code
        if indicators_allowed is not None and indicator.id not in indicators_allowed:
            problems.append(
                RowProblem(
                    "indicator",
                    f"您（{username}）无权填报指标“{indicator.name_zh}”",
                    f"you ({username}) may not write the indicator {indicator.code}",
                )
            )
        if not retract:
            try:
                value, qualifier = _convert(item, indicator)
            except ValueProblem as exc:
                problems.append(RowProblem("value", exc.zh, exc.en))
            except ValueError:
                problems.append(
                    RowProblem(
                        "unit",
                        f"单位“{item.unit}”无法换算为该指标的单位“{indicator.unit}”",
                        f"unit {item.unit!r} cannot be converted to the indicator's unit {indicator.unit!r}",
                    )
                )
            else:
                doubt = plausibility.judge(value, indicator)
                if doubt is not None and doubt.impossible:  # refused whatever the person confirms
                    problems.append(RowProblem("value", doubt.zh, doubt.en))
                    doubt = None
    if type(region) is RegionRef:
        result.region = region.code
        if writable is not None and region.id not in writable:
            problems.append(
                RowProblem(
                    "region",
                    f"您（{username}）无权填报“{region.name_zh}”的数据",
                    f"you ({username}) may not write data for {region.name_en} ({region.code})",
                )
            )
    problems.extend(_text_problems(item))
    published = _published(item.published, today)
    if isinstance(published, RowProblem):
        problems.append(published)
        published = None
    result.period = period
    if problems or type(indicator) is not IndicatorRef or type(region) is not RegionRef:
        result.outcome = "rejected"
        return result
    assert period is not None and value is not None and status is not None
    result.value = None if retract else float(value)
    return _Prepared(
        result,
        indicator,
        region,
        period,
        value,
        "" if item.value is None else str(item.value),
        item.unit,
        status,
        item,
        (indicator.id, region.id, period),
        (indicator.id, region.id, period, source_key(item.source, coverage)),
        coverage,
        qualifier,
        retract=retract,
        doubt=doubt,
        published=published,
    )


def _published(raw: object, today: dt.date) -> dt.date | RowProblem | None:
    """A row's publication date (the last day of a stated year or month), or the problem with it."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    day = vintage.period_end(raw)
    if day is None or day.year < 1949:
        shown = str(raw)[:40]
        return RowProblem(
            "published",
            f"发布日期“{shown}”无法识别，应为 YYYY-MM-DD（或 YYYY-MM、YYYY）",
            f"publication date {shown!r} is not a date such as 2024-03-04 (or 2024-03, 2024)",
        )
    if day > today:
        return RowProblem(
            "published",
            f"发布日期 {day} 晚于今天：尚未发布的数据不能填报",
            f"publication date {day} is after today: a figure not yet published cannot be entered",
        )
    return day


_LATEST_COLUMNS = (
    Observation.id,
    Observation.indicator_id,
    Observation.region_id,
    Observation.period,
    Observation.value,
    Observation.status,
    Observation.batch_id,
    Observation.published_on,
    Observation.source_key,
    Observation.coverage,
)


def _latest(
    session: Session, ind_ids: set[int], reg_ids: set[int], periods: set[int], as_of: dt.datetime
) -> dict[tuple[int, int, int, str], Any]:
    """The current (latest reported) statistic of each history (indicator, region, period, source_key);
    plan baselines excluded.

    Rows (id, value, status, batch_id, ...) for the given indicators, regions and years.
    """
    if not ind_ids or not reg_ids:
        return {}
    rows = session.execute(
        select(*_LATEST_COLUMNS)
        .where(
            Observation.indicator_id.in_(ind_ids),
            Observation.region_id.in_(reg_ids),
            Observation.period.in_(periods),
            Observation.status != ObservationStatus.PLAN_BASELINE,
            vintage.recorded_by(as_of),
        )
        # the series index's order (latest report last per key): ordering by reported_at alone lets
        # PostgreSQL walk the reported_at index over every row of a growing import
        .order_by(
            Observation.indicator_id,
            Observation.region_id,
            Observation.period,
            Observation.reported_at,
            Observation.id,
        )
    )
    latest: dict[tuple[int, int, int, str], Any] = {}
    for obs in rows:
        latest[(obs.indicator_id, obs.region_id, obs.period, obs.source_key)] = obs
    return latest


def _check_plausibility(
    p: _Prepared, series: dict[tuple[int, int, int], Decimal], resolver: Resolver
) -> None:
    """Refuse a figure beyond any scale of its indicator; flag one implausible for its kind, far from its
    neighbouring years, or inconsistent with its components."""
    ind, reg_id, year = p.indicator, p.region.id, p.period
    value = p.value
    if value and ind.kind in plausibility.MAGNITUDE_KINDS:
        scale = plausibility.judge_scale(value, resolver.largest(ind.id), ind)
        if scale is not None and (scale.impossible or not p.input.confirm):
            p.result.problems.append(RowProblem("value", scale.zh, scale.en))
            p.result.outcome = "rejected" if scale.impossible else "needs_confirmation"
            return
    if p.input.confirm:
        return
    if p.doubt is not None:
        p.result.problems.append(RowProblem("value", p.doubt.zh, p.doubt.en))
        p.result.outcome = "needs_confirmation"
        return
    for y in (year - 1, year + 1):
        other = series.get((ind.id, reg_id, y))
        if other and value and (abs(value / other) >= OUTLIER_FACTOR or abs(other / value) >= OUTLIER_FACTOR):
            p.result.problems.append(
                RowProblem(
                    "value",
                    f"数值 {value} 与相邻年份的 {other} 相差 10 倍以上（单位是否有误？），确认无误后标明确认即可保存",
                    f"value {value} is more than 10x away from the neighbouring year's {other} (unit slip?); "
                    "confirm it to store it",
                )
            )
            p.result.outcome = "needs_confirmation"
            return
    if ind.numerator_id and ind.denominator_id:
        num = series.get((ind.numerator_id, reg_id, year))
        den = series.get((ind.denominator_id, reg_id, year))
        if num is not None and den:
            num_unit = resolver.indicator_refs[ind.numerator_id].unit
            den_unit = resolver.indicator_refs[ind.denominator_id].unit
            factor = units.conversion_factor(den_unit, num_unit)
            if factor is not None:
                implied = (ind.scale or Decimal(1)) * num / (den * factor)
                if implied and abs(value - implied) / abs(implied) > COMPONENT_TOLERANCE:
                    p.result.problems.append(
                        RowProblem(
                            "value",
                            f"数值 {value} 与分项计算值 {implied:.4g} 不一致（相差超过 5%），确认无误后标明确认即可保存",
                            f"value {value} disagrees with {implied:.4g} computed from its components (>5%); "
                            "confirm it to store it",
                        )
                    )
                    p.result.outcome = "needs_confirmation"


FORK_RETRIES = 20


def _new_batch(
    session: Session,
    user: User,
    path: WritePath,
    filename: str | None,
    idempotency_key: str | None,
    fingerprint: str | None,
    now: dt.datetime,
) -> ImportBatch:
    batch = ImportBatch(
        created_at=now,
        user_id=user.id,
        path=path,
        filename=filename,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
    )
    session.add(batch)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same key, sent again while its first request was being written
        session.expunge(batch)
        raise Conflict(
            "使用该幂等键的请求刚刚处理完毕或正在处理，请稍后用同一键重试以取得其结果",
            "a request with this Idempotency-Key was just processed or is in progress; "
            "retry with the same key shortly to get its result",
        ) from None
    return batch


def concurrent_write_conflict(exc: BaseException) -> bool:
    """True when ``exc`` says another transaction wrote a version of the same figure first: a unique
    index of the history refused a fork, or PostgreSQL broke a deadlock between two such writers."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    if state == "40P01":  # deadlock_detected
        return True
    text = str(orig)
    if state == "23505":  # unique_violation
        return "uq_observations_" in text
    return type(orig).__name__ == "IntegrityError" and "UNIQUE constraint failed: observations." in text


def _decide_chunk(
    session: Session,
    chunk_prepared: list[_Prepared],
    later: list[_Prepared],
    resolver: Resolver,
    batch_id: int | None,
    now: dt.datetime,
) -> tuple[list[RowResult], list[_Prepared]]:
    """Each prepared row's outcome against what is stored now: the results and the rows to write."""
    decided: list[RowResult] = []
    for p in chunk_prepared:
        p.result.outcome, p.result.problems, p.result.previous_value = "pending", [], None
    # what is stored for these rows, their neighbouring years and their components
    ind_ids = {p.indicator for p in chunk_prepared}
    components = {i.numerator_id for i in ind_ids if i.numerator_id and i.denominator_id} | {
        i.denominator_id for i in ind_ids if i.numerator_id and i.denominator_id
    }
    years = {p.period for p in chunk_prepared}
    latest = _latest(
        session,
        {i.id for i in ind_ids} | {c for c in components if c is not None},
        {p.region.id for p in chunk_prepared},
        years | {y - 1 for y in years} | {y + 1 for y in years},
        now,
    )
    # the whole-year figures, for the checks against neighbouring years and components
    series = {
        k[:3]: Decimal(o.value) for k, o in latest.items() if o.value is not None and o.coverage is None
    }
    series.update({p.key: p.value for p in chunk_prepared if p.coverage is None})
    to_write: list[_Prepared] = []
    for p in chunk_prepared:
        previous = latest.get(p.chain)
        p.previous = previous
        in_this_batch = previous is not None and batch_id is not None and previous.batch_id == batch_id
        if in_this_batch and not (p.input.revision_reason or "").strip():
            p.result.outcome = "rejected"
            p.result.problems.append(
                RowProblem(
                    "period",
                    "与本批次前面的一行重复（同一指标、地区、年份）",
                    "duplicate of an earlier row of this batch (same indicator, region and year)",
                )
            )
            decided.append(p.result)
            continue
        if p.retract:
            if previous is None or previous.value is None:
                p.result.outcome = "rejected"
                p.result.problems.append(
                    RowProblem(
                        "status",
                        "该年份没有可撤回的数值",
                        "there is no stored value for this year to retract",
                    )
                )
            else:
                p.result.previous_value = float(previous.value)
                p.result.outcome = "revised"
                to_write.append(p)
            decided.append(p.result)
            continue
        if previous is not None and previous.value is not None:
            p.result.previous_value = float(previous.value)
            same_date = p.published is None or p.published == previous.published_on
            if Decimal(previous.value) == p.value and previous.status == p.status and same_date:
                p.result.outcome = "unchanged"
                decided.append(p.result)
                continue
            if Decimal(previous.value) != p.value and not (p.input.revision_reason or "").strip():
                p.result.outcome = "rejected"
                p.result.problems.append(
                    RowProblem(
                        "revision_reason",
                        f"该年份已有数值 {previous.value.normalize():f}，修订需填写修订原因",
                        f"a value ({previous.value.normalize():f}) is already stored for this year; "
                        "a revision needs a reason",
                    )
                )
                decided.append(p.result)
                continue
            p.result.outcome = "revised"
        else:
            p.result.outcome = "added"
        _check_plausibility(p, series, resolver)
        decided.append(p.result)
        if p.result.outcome in ("added", "revised"):
            to_write.append(p)
    decided.extend(p.result for p in later)
    to_write.extend(later)
    return decided, to_write


def _where(item: ObservationInput) -> int | str:
    """A row's place for a message: its value's cell (Sheet2!D14) when read from a table, else its row."""
    return item.cells["value"] if item.cells and "value" in item.cells else item.row


KEEP_ALL_ROWS = 10_000  # beyond this many rows a result lists only the rows with problems
# How a person confirms a held figure, by where it came from (added to each "needs confirmation"
# message, so nobody is told to tick a box their file or request does not have).
CONFIRM_IN_FORM = (
    "请勾选该行的“确认异常值”后重新保存",
    "tick “Confirm unusual value” on its line and save again",
)
CONFIRM_IN_FILE = (
    "请在文件该行的“确认”列填“是”后重新上传",
    "put 是 (yes) in the row's 确认 (confirm) column and upload the file again",
)
CONFIRM_IN_JSON = (
    '请在该条数据中加上 "confirm": true 后重新提交',
    'add "confirm": true to the row and send it again',
)
OUTCOMES = ("added", "revised", "unchanged", "rejected", "needs_confirmation")


def _replay(session: Session, user: User, key: str, fingerprint: str) -> BatchResult | None:
    """The outcome of this user's earlier request with the same Idempotency-Key (None: there is none);
    a Conflict when that request was a different one."""
    earlier = session.scalar(
        select(ImportBatch).where(ImportBatch.user_id == user.id, ImportBatch.idempotency_key == key)
    )
    if earlier is None:
        return None
    if earlier.request_hash != fingerprint:
        raise Conflict(
            "该幂等键已用于内容不同的请求",
            "this Idempotency-Key was already used for a different request",
        )
    stored = dict(earlier.response or {})
    return BatchResult(
        dry_run=False,
        applied=bool(stored.get("applied")),
        batch_id=earlier.id,
        counts=stored.get("counts", {}),
        rows=[],
        review=stored.get("review"),
    )


def _close_batch(
    session: Session,
    batch: ImportBatch,
    user: User,
    path: WritePath,
    now: dt.datetime,
    counts: dict[str, int],
    filename: str | None,
    touched: set[int],
    touched_series: set[tuple[int, int]],
) -> dict[str, Any] | None:
    """An accepted batch's bookkeeping, in its transaction: its counts and stored response, review of
    its figures where review is on (returned), the audit entry, and the data change report runs read."""
    batch.added, batch.revised, batch.unchanged = counts["added"], counts["revised"], counts["unchanged"]
    session.flush()
    # where review is on, the stored versions enter it (submitted, or approved on entry)
    reviewed = review.on_ingest(session, batch, user, path, now)
    batch.response = {"applied": True, "counts": counts}
    if reviewed is not None:
        batch.response["review"] = reviewed
    session.flush()
    audit.record(
        session,
        user=user,
        path=path,
        action="import",
        entity_type="import_batch",
        entity_id=batch.id,
        after={"counts": counts, "filename": filename},
        at=now,
    )
    if touched:  # report runs learn of it by this row, committed with the figures
        changes.record(
            session, "observations", now=now, batch_id=batch.id, indicator_ids=touched, series=touched_series
        )
    return reviewed


READ_AHEAD = 2  # chunks checked ahead by a background thread while PostgreSQL stores the previous one


def _checked_chunks(
    inputs: Iterable[ObservationInput], resolver: Resolver, scope: _WriterScope, now: dt.datetime
) -> Iterator[tuple[int, list[_Prepared | RowResult]]]:
    """Stage 1: each chunk's rows read and checked on their own (names, year, value and unit, the
    writer's scope, texts), as (rows read, each row prepared or refused). No database involved."""
    year, today = now.year, now.date()
    for chunk in _chunks(inputs):
        yield (
            len(chunk),
            [
                _prepare_row(item, resolver, scope.regions, scope.username, scope.indicators, year, today)
                for item in chunk
            ],
        )


@dataclass(frozen=True, slots=True)
class _WriterScope:
    username: str
    regions: set[int] | None  # region ids the writer may write (None: all)
    indicators: set[int] | None  # indicator ids an editor is limited to (None: no limit)


_END = object()


def _read_ahead(items: Iterator[Any], depth: int = READ_AHEAD) -> Generator[Any, None, None]:
    """``items`` produced by a background thread, at most ``depth`` ahead of the consumer.

    On PostgreSQL an import waits most of its time for the server to store a chunk (COPY, indexes,
    foreign keys), without holding the GIL; the next chunks' checks, pure Python, run meanwhile. The
    producer never touches the database; its exceptions (a malformed file) are raised here, in order,
    and it stops (closing the file) when the consumer does."""
    handoff: queue.Queue[tuple[BaseException | None, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[BaseException | None, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((None, item)):
                    return
            put((None, _END))
        except BaseException as exc:  # handed to the consumer, raised there
            put((exc, None))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="ingest-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            error, item = handoff.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def _within_chunk(
    rows: list[_Prepared | RowResult], seen: dict[tuple[int, int, int, str], int | str], dry_run: bool
) -> tuple[list[_Prepared], list[_Prepared], list[RowResult]]:
    """Stage 2: the chunk's rows against each other and against the batch's earlier rows (``seen``,
    kept for a dry run only: a real run finds them in the database). Returns the rows to decide, the
    rows revising an earlier row of the chunk (written after it), and the rows settled here."""
    in_chunk: dict[tuple[int, int, int, str], _Prepared] = {}
    to_decide: list[_Prepared] = []
    later: list[_Prepared] = []
    settled: list[RowResult] = []
    for p in rows:
        if type(p) is RowResult:
            settled.append(p)
            continue
        assert isinstance(p, _Prepared)
        key = p.chain
        if key in in_chunk and (p.input.revision_reason or "").strip():
            prior = in_chunk[key]
            p.stage = prior.stage + 1
            p.result.previous_value = float(prior.value)
            p.result.outcome = "unchanged" if p.value == prior.value else "revised"
            if p.result.outcome == "revised":
                later.append(p)
                in_chunk[key] = p
            else:
                settled.append(p.result)
            continue
        if key in seen or key in in_chunk:
            p.result.outcome = "rejected"
            first = seen.get(key) or _where(in_chunk[key].input)
            p.result.problems.append(
                RowProblem(
                    "period",
                    f"与{'第 ' if isinstance(first, int) else ''}{first}{' 行' if isinstance(first, int) else ''}"
                    "重复（同一指标、地区、年份、来源）",
                    f"duplicate of {'row ' if isinstance(first, int) else ''}{first} (same indicator, region, year "
                    "and source)",
                )
            )
            settled.append(p.result)
            continue
        if dry_run:
            seen[key] = _where(p.input)
        in_chunk[key] = p
        to_decide.append(p)
    return to_decide, later, settled


class _Batch:
    """What a batch being ingested carries from chunk to chunk: its counts, the results it keeps, its
    ImportBatch row (made at its first written chunk) and what it wrote to."""

    def __init__(self, confirm_hint: tuple[str, str] | None) -> None:
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.kept: list[RowResult] = []
        self.rows_read = 0
        self.confirm_hint = confirm_hint
        self.row: ImportBatch | None = None
        self.touched: set[int] = set()  # indicators written to
        self.touched_series: set[tuple[int, int]] = set()  # (indicator, region) series written to

    def read(self, rows: int) -> None:
        """Count a chunk's rows; past KEEP_ALL_ROWS only the rows with problems are kept."""
        self.rows_read += rows
        if self.rows_read > KEEP_ALL_ROWS and self.kept and not self.kept[-1].problems:
            self.kept = [r for r in self.kept if r.problems]

    def record(self, result: RowResult) -> None:
        self.counts[result.outcome] += 1
        if result.cells:
            for problem in result.problems:
                problem.cell = problem.cell or result.place(problem)
        if result.outcome == "needs_confirmation" and self.confirm_hint is not None:
            zh, en = self.confirm_hint
            result.problems = [
                RowProblem(p.column, f"{p.zh}（{zh}）", f"{p.en} ({en})", p.cell) for p in result.problems
            ]
        if result.problems or self.rows_read <= KEEP_ALL_ROWS:
            self.kept.append(result)

    def blocked(self) -> bool:
        return self.counts["rejected"] + self.counts["needs_confirmation"] > 0


def _decide_and_write(
    session: Session,
    to_decide: list[_Prepared],
    later: list[_Prepared],
    resolver: Resolver,
    batch: _Batch,
    user: User,
    path: WritePath,
    now: dt.datetime,
    *,
    writing: bool,
    all_or_nothing: bool,
) -> tuple[list[RowResult], dt.datetime]:
    """Stage 3: the chunk decided against what is stored, and (when ``writing`` and nothing stops the
    batch) written in a savepoint of its own. On PostgreSQL another transaction may commit a version
    of one of these figures in between; the unique indexes on the history refuse the fork, and the
    chunk is decided again on what is stored now (the loser of a race becomes a revision, or is told
    a revision needs a reason). Returns the chunk's results and the time its rows were written at
    (later than ``now`` after a lost race: the batch's next rows must come after the other writer's)."""
    if writing:
        lock_figures(session, [p.key for p in to_decide])
    for attempt in range(FORK_RETRIES + 1):
        batch_id = batch.row.id if batch.row is not None else None
        decided, to_write = _decide_chunk(session, to_decide, later, resolver, batch_id, now)
        stops = any(r.outcome in ("rejected", "needs_confirmation") for r in decided)
        if not writing or not to_write or ((batch.blocked() or stops) and all_or_nothing):
            return decided, now
        assert batch.row is not None
        chunk_savepoint = session.begin_nested()
        try:
            _write(session, to_write, batch.row, user, path, now)
            chunk_savepoint.commit()
        except Exception as exc:
            chunk_savepoint.rollback()
            if attempt == FORK_RETRIES or not concurrent_write_conflict(exc):
                raise
            now = max(now, dt.datetime.now(dt.UTC))  # after the other writer's commit
            lock_figures(session, [p.key for p in to_decide], everything=True)
            continue
        batch.touched.update(p.indicator.id for p in to_write)
        batch.touched_series.update((p.key[0], p.key[1]) for p in to_write)
        return decided, now
    raise AssertionError("unreachable: the last attempt returns or raises")


def ingest(
    session: Session,
    user: User,
    inputs: Iterable[ObservationInput],
    *,
    path: WritePath,
    now: dt.datetime,
    dry_run: bool = False,
    all_or_nothing: bool = True,
    idempotency_key: str | None = None,
    filename: str | None = None,
    confirm_hint: tuple[str, str] | None = None,
) -> BatchResult:
    """Validate and (unless dry_run or refused) write a batch of observations in the caller's transaction.

    Rows stream through in chunks, each in three stages (``_checked_chunks``: each row on its own;
    ``_within_chunk``: the rows against each other; ``_decide_and_write``: against what is stored, then
    written at once inside a savepoint). The batch's savepoint is released when the whole batch is
    accepted and rolled back otherwise, so memory does not grow with the file and a refused batch
    leaves nothing behind. ``confirm_hint`` (zh, en) says how to confirm a held figure on the path it
    came by (CONFIRM_IN_FORM, _FILE, _JSON).
    """
    if user.role not in (Role.ADMIN, Role.EDITOR):
        raise Forbidden(
            "只读用户不能填报数据", "viewers cannot write data; ask an administrator for an editor role"
        )
    fingerprint: str | None = None
    if idempotency_key and not dry_run:
        items = list(inputs)  # keyed requests are API-sized; the key must match the whole request
        fingerprint = request_fingerprint(items, {"dry_run": dry_run, "all_or_nothing": all_or_nothing})
        replayed = _replay(session, user, idempotency_key, fingerprint)
        if replayed is not None:
            return replayed
        inputs = items
    resolver = Resolver(session)
    scope = _WriterScope(
        user.username, writable_region_ids(session, user, resolver), writable_indicator_ids(session, user)
    )
    batch = _Batch(confirm_hint)
    # keys of this batch: all of them for a dry run (nothing reaches the database); for a real run the
    # rows of earlier chunks are found in the database with this batch's id
    seen: dict[tuple[int, int, int, str], int | str] = {}
    savepoint = None if dry_run else session.begin_nested()
    chunks = _checked_chunks(inputs, resolver, scope, now)
    small = isinstance(inputs, list | tuple) and len(inputs) <= CHUNK
    if savepoint is not None and not small and session.get_bind().dialect.name == "postgresql":
        chunks = _read_ahead(chunks)
    try:
        for rows_read, rows in chunks:
            batch.read(rows_read)
            if not dry_run:
                seen = {}
            to_decide, later, settled = _within_chunk(rows, seen, dry_run)
            for result in settled:
                batch.record(result)
            if savepoint is not None and batch.row is None and to_decide:
                batch.row = _new_batch(session, user, path, filename, idempotency_key, fingerprint, now)
            decided, now = _decide_and_write(
                session,
                to_decide,
                later,
                resolver,
                batch,
                user,
                path,
                now,
                writing=savepoint is not None,
                all_or_nothing=all_or_nothing,
            )
            for result in decided:
                batch.record(result)
    except BaseException:
        # a file found broken at a late line, a lost connection: nothing of the batch stays behind,
        # even in a transaction the caller goes on with
        if savepoint is not None and savepoint.is_active:
            with contextlib.suppress(Exception):  # the error being raised is the one to report
                savepoint.rollback()
        raise
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # stops a read-ahead thread when a chunk fails
    return _finish(
        session,
        batch,
        user,
        path,
        now,
        savepoint,
        idempotency_key,
        fingerprint,
        filename,
        dry_run,
        all_or_nothing,
    )


def _finish(
    session: Session,
    batch: _Batch,
    user: User,
    path: WritePath,
    now: dt.datetime,
    savepoint: Any,
    idempotency_key: str | None,
    fingerprint: str | None,
    filename: str | None,
    dry_run: bool,
    all_or_nothing: bool,
) -> BatchResult:
    """Stage 4: the batch accepted (its bookkeeping written, its savepoint released) or rolled back."""
    counts = batch.counts
    batch.kept.sort(key=lambda r: r.row)
    wrote = counts["added"] + counts["revised"] > 0
    applied = not dry_run and not (batch.blocked() and all_or_nothing) and (wrote or not batch.blocked())
    batch_id: int | None = None
    reviewed: dict[str, Any] | None = None
    if savepoint is not None:
        if not applied:
            savepoint.rollback()
        else:
            if batch.row is None:
                batch.row = _new_batch(session, user, path, filename, idempotency_key, fingerprint, now)
            reviewed = _close_batch(
                session, batch.row, user, path, now, counts, filename, batch.touched, batch.touched_series
            )
            batch_id = batch.row.id
            savepoint.commit()
    return BatchResult(
        dry_run=dry_run, applied=applied, batch_id=batch_id, counts=counts, rows=batch.kept, review=reviewed
    )


_WRITE_COLUMNS = (
    "indicator_id",
    "region_id",
    "period",
    "value",
    "value_as_entered",
    "unit_as_entered",
    "status",
    "qualifier",
    "source",
    "source_url",
    "note",
    "revision_reason",
    "reported_at",
    "entered_by_id",
    "batch_id",
    "supersedes_id",
    "series_break",
    "published_on",
    "source_key",
    "coverage",
)
_SUPERSEDES = _WRITE_COLUMNS.index("supersedes_id")
_REASON = _WRITE_COLUMNS.index("revision_reason")


def _write(
    session: Session, rows: list[_Prepared], batch: ImportBatch, user: User, path: WritePath, now: dt.datetime
) -> None:
    """Append the rows (the database's bulk path: executemany / COPY) and audit each revision."""
    batch_id, user_id = batch.id, user.id
    first: list[tuple[Any, ...]] = []
    later: list[tuple[list[Any], _Prepared]] = []
    for p in rows:
        revised = p.result.outcome == "revised"
        previous = p.previous
        status = p.status
        if revised and status is _FINAL and previous is not None and previous.status is _FINAL:
            status = _REVISED
        item = p.input
        row = (
            p.indicator.id,
            p.region.id,
            p.period,
            None if p.retract else p.value,
            p.raw_value[:60],
            p.raw_unit or None,
            status,
            p.qualifier,
            item.source,
            item.source_url,
            item.note,
            item.revision_reason if revised else None,
            now,
            user_id,
            batch_id,
            previous.id if revised and previous is not None else None,
            item.series_break,
            p.published,
            p.chain[3],
            p.coverage,
        )
        if p.stage == 0:
            first.append(row)
        else:
            later.append((list(row), p))
        if revised and previous is not None:
            audit.record(
                session,
                user=user_id,
                path=path,
                action="revise",
                entity_type="observation",
                entity_id=f"{p.indicator.code}/{p.region.code}/{p.period}",
                before={"value": str(previous.value), "status": previous.status.value, "id": previous.id},
                after={"value": str(p.value), "status": status.value, "reason": item.revision_reason},
                at=now,
            )
    connection = session.connection()
    bulk_insert(connection, OBSERVATIONS, _WRITE_COLUMNS, first)
    # rows revising an earlier row of this batch: written after it, pointing at it
    for values, p in sorted(later, key=lambda vp: vp[1].stage):
        values[_SUPERSEDES] = session.scalar(
            select(Observation.id)
            .where(
                Observation.indicator_id == p.indicator.id,
                Observation.region_id == p.region.id,
                Observation.period == p.period,
                Observation.source_key == p.chain[3],
            )
            .order_by(Observation.reported_at.desc(), Observation.id.desc())
            .limit(1)
        )
        values[_REASON] = p.input.revision_reason
        bulk_insert(connection, OBSERVATIONS, _WRITE_COLUMNS, [values])
