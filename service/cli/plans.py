"""`yrdmon plans read FILE --plan "..."`: the targets and baselines a plan's text states, for review.

Reading needs no database: indicators and regions come from the catalog files, and a proposal that
restates a target of those files is marked as a duplicate. Nothing is written anywhere.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

plans_app = typer.Typer(help="Plans: read a new plan's text for its targets", no_args_is_help=True)


class ReadFormat(StrEnum):
    json = "json"
    table = "table"


def _fail(zh: str, en: str) -> None:
    from service.cli import fail

    fail((zh, en))


@plans_app.command("read")
def read(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="the plan: .txt, .docx or .pdf (text layer)")],
    plan: Annotated[str, typer.Option("--plan", help="the plan's title (its region is read from it)")],
    format: Annotated[ReadFormat, typer.Option("--format", "-f")] = ReadFormat.table,
    issued: Annotated[
        str | None, typer.Option(help="year the plan was issued (tells past figures from goals)")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="region code the plan is for, if not in its title")
    ] = None,
    catalog: Annotated[Path | None, typer.Option(help="catalog directory (default: indicators/)")] = None,
) -> None:
    """Propose the plan's quantitative targets and baselines, each with its quote and a confidence."""
    from service.config import get_settings
    from service.domain.catalog import read_catalog
    from service.domain.errors import DomainError
    from service.domain.plan_reader import (
        ExistingTarget,
        PlanHints,
        Vocabulary,
        mark_duplicates,
        read_document,
        read_plan,
        to_record,
    )

    if not file.is_file():
        _fail(f"找不到文件 {file}", f"file not found: {file}")
    if issued is not None and not (issued[:4].isdigit() and len(issued) in (4, 7, 10)):
        _fail("--issued 应写作 2026 或 2026-03", "--issued should read 2026 or 2026-03")
    try:
        parsed = read_catalog(catalog or get_settings().catalog_dir)
        vocab = Vocabulary.from_entries(parsed.indicators, parsed.regions)
        if region is not None and region not in vocab.regions:
            _fail(f"未知地区代码 {region}", f"unknown region code {region!r}")
        size = file.stat().st_size
        from service.domain.plan_reader import MAX_FILE_BYTES

        content = file.read_bytes() if size <= MAX_FILE_BYTES else b"x" * (MAX_FILE_BYTES + 1)
        text = read_document(file.name, content)
    except DomainError as exc:
        _fail(exc.zh, exc.en)
    hints = PlanHints(plan, int(issued[:4]) if issued else None, region, file.name)
    reading = read_plan(text, vocab, hints)
    existing = [
        ExistingTarget(
            f"{pf.plan.code}/{t.key}", t.indicator, t.region, t.target_year, t.value, t.low, t.high
        )
        for _, pf in parsed.plans
        for t in pf.targets
    ]
    mark_duplicates(reading.proposals, existing)
    records = [
        to_record(p, n, vocab, plan=plan, plan_code=None, source_document=file.name)
        for n, p in enumerate(reading.proposals, 1)
    ]
    if format is ReadFormat.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    _table(records, [p.reason for p in reading.proposals])
    targets = sum(1 for r in records if r["kind"] == "target")
    from service.cli import say
    from service.cli import text as words

    dups = words("read_duplicates", n=sum(1 for r in records if r["duplicate_of"])) if records else ""
    say(
        "read_summary",
        name=file.name,
        chars=f"{reading.chars:,}",
        targets=targets,
        baselines=len(records) - targets,
        duplicates=dups,
    )


def _figure_text(r: dict[str, Any]) -> str:
    if r["comparator"] == "range":
        text = f"{r['low']}–{r['high']}"
    else:
        text = f"{r['comparator']} {r['value']}" if r["kind"] == "target" else f"{r['value']}"
    if r["stretch_value"] is not None:
        text += f" (力争 {r['stretch_value']})"
    return f"{text} {r['unit']}"


def _table(records: list[dict[str, Any]], why: list[Any]) -> None:
    from service.cli import lang
    from service.domain.plan_reader import reasons

    for r, reason in zip(records, why, strict=True):
        year = r["target_year"] if r["kind"] == "target" else r["baseline_year"]
        indicator = r["indicator_code"] or f"NEW: {r['indicator']}"
        flag = f"  [duplicate of {r['duplicate_of']}]" if r["duplicate_of"] else ""
        typer.echo(
            f"{r['id']:>12}  {r['kind']:<8} {year}  {r['region_code'] or '?':<14} {indicator:<40} "
            f"{_figure_text(r):<24} {r['declared_form']:<17} {r['confidence']:<6} line {r['line']}{flag}"
        )
        typer.echo(f"{'':>14}“{r['source_quote']}”  — {reasons.text(reason, lang())}")
