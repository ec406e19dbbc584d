"""The `yrdmon` console script: the app and its core commands (init, serve, scheduler, import, report,
targets); users, plans, subscriptions and e-mail come from their own modules of this package."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from service.cli import fail, fail_key, load_settings, now, open_database, say, set_lang, text
from service.cli.mail import email_app, subscriptions_app
from service.cli.plans import plans_app
from service.cli.review import review_app
from service.cli.users import users_app
from service.db.session import make_sessionmaker, transaction
from service.domain.errors import DomainError

app = typer.Typer(help="yrdmon — 长三角规划目标监测 / YRD plan-target monitoring", no_args_is_help=True)
targets_app = typer.Typer(help="The target catalog", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(targets_app, name="targets")
report_app = typer.Typer(help="Progress reports: run, show, evaluate", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(plans_app, name="plans")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(email_app, name="email")
app.add_typer(review_app, name="review")


class Language(StrEnum):
    zh = "zh"
    en = "en"


@app.callback()
def choose_language(
    lang: Annotated[
        Language | None,
        typer.Option("--lang", help="language of messages: zh (default) or en; also YRDMON_LANG"),
    ] = None,
) -> None:
    set_lang(lang.value if lang else None)


@app.command()
def init(
    catalog: Annotated[Path | None, typer.Option(help="catalog directory (default: indicators/)")] = None,
) -> None:
    """Migrate the database to the newest schema, load the catalog and, on a database that has no report
    run yet, compute the first one, so the overview and evaluation pages work at once, before the
    scheduler's first run (safe to run again: a later init leaves runs to the scheduler)."""
    from service.db.migrate import upgrade_to_head
    from service.domain.catalog import apply_catalog, load_observation_files, read_catalog
    from service.reports.engine import run_report_now
    from service.reports.queries import latest_live_run

    settings = load_settings()
    engine = open_database(settings)
    first_run = None
    try:
        upgrade_to_head(engine)
        parsed = read_catalog(catalog or settings.catalog_dir)
        with transaction(make_sessionmaker(engine)) as session:
            report = apply_catalog(session, parsed, now=now())
            loaded = load_observation_files(session, catalog or settings.catalog_dir, now=now())
        with transaction(make_sessionmaker(engine)) as session:
            if latest_live_run(session) is None:
                first_run = run_report_now(session, trigger="init")
                first_summary = (first_run.id, first_run.as_of, (first_run.summary or {}).get("targets", 0))
    except DomainError as exc:
        fail((exc.zh, exc.en))
    except SQLAlchemyError as exc:
        fail_key("init_db_error", why=str(exc).splitlines()[0])
    finally:
        engine.dispose()
    for name, counts in loaded.items():
        if counts.get("added") or counts.get("revised"):
            say("file_loaded", name=name, added=counts.get("added", 0), revised=counts.get("revised", 0))
    if report.changed:
        parts = [f"{k} +{v}" for k, v in report.created.items()] + [
            f"{k} ~{v}" for k, v in report.updated.items()
        ]
        parts += [f"{k} -{v}" for k, v in report.retired.items()]
        say("catalog_loaded", parts=", ".join(parts))
    else:
        say("catalog_unchanged")
    if first_run is not None:
        run_id, as_of, targets = first_summary
        say("first_run", id=run_id, as_of=as_of.isoformat(), targets=targets)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (YRDMON_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (YRDMON_PORT)")] = None,
    scheduler: Annotated[
        bool | None, typer.Option("--scheduler/--no-scheduler", help="also run the scheduler in this process")
    ] = None,
) -> None:
    """Run the web service (and, by default, the scheduler in the same process)."""
    import uvicorn

    from service.main import create_app

    settings = load_settings()
    open_database(settings).dispose()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    application = create_app(settings, start_scheduler=scheduler)
    uvicorn.run(application, host=host or settings.host, port=port or settings.port, log_level="info")


@app.command("scheduler")
def run_scheduler() -> None:
    """Run the scheduler alone (deployments with several web processes)."""
    from service.scheduler.runner import SchedulerRunner

    settings = load_settings()
    engine = open_database(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = SchedulerRunner(settings, engine)
    say("scheduler_waiting", holder=runner.holder)
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        engine.dispose()


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX")],
    user: Annotated[str, typer.Option("--user", "-u", help="the user the figures are entered for")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show how the file reads and what would change; write nothing")
    ] = False,
    partial: Annotated[
        bool, typer.Option("--partial", help="store the valid rows even if some are rejected")
    ] = False,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            exists=True,
            dir_okay=False,
            readable=True,
            help='corrections for a wide table: JSON {"表中名称": "code"} or lines 表中名称,代码 (indicator or '
            "region code, year, or - to leave out; @region / @year for a table naming neither); remembered "
            "for the next file of the same shape",
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="the figures' source (default: the table's)")
    ] = None,
    status: Annotated[str | None, typer.Option("--status", help="preliminary or final (default)")] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="the revision reason for figures that revise stored ones")
    ] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="发布日期 of the figures (YYYY-MM-DD), when the table's")
    ] = None,
) -> None:
    """Import a file of observations through the same checks as the API (all-or-nothing by default): the
    long template, or a wide yearbook or bulletin table (every sheet of a workbook)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from service.db.models import User, WritePath
    from service.domain import layouts
    from service.domain.observations import CONFIRM_IN_FILE, ingest
    from service.domain.tabular import iter_file

    settings = load_settings()
    engine = open_database(settings)
    reading = None
    try:
        options = layouts.Options(
            layouts.parse_mapping(mapping.read_bytes()) if mapping else {},
            source=source,
            status=status,
            revision_reason=reason,
            published=published,
        )
        with transaction(make_sessionmaker(engine)) as session:
            account = session.scalar(
                select(User).where(User.username == user).options(selectinload(User.regions))
            )
            if account is None:
                fail_key("unknown_user", user=repr(user))
            if layouts.is_long(file.name, file) and not (source or reason or published):
                inputs: Any = iter_file(file)  # the template streams: memory does not grow with the file
            else:
                if file.stat().st_size > settings.max_upload_bytes:
                    fail_key("wide_too_large", name=file.name, mb=settings.max_upload_bytes >> 20)
                reading = layouts.read_upload(session, file.name, file.read_bytes(), options)
                inputs = reading.inputs
                for line in layouts.describe(reading):
                    typer.echo(line)
                if not inputs:
                    fail_key("no_figures", name=file.name)
            result = ingest(
                session,
                account,
                inputs,
                path=WritePath.CLI,
                now=now(),
                dry_run=dry_run,
                all_or_nothing=not partial,
                filename=file.name,
                confirm_hint=CONFIRM_IN_FILE,
            )
            if reading is not None and result.applied and options.mapping:
                layouts.remember(session, reading, options, account.id, now())
    except DomainError as exc:
        fail((exc.zh, exc.en))
    finally:
        engine.dispose()
    for row in result.rows:
        if dry_run and reading is not None and row.outcome in ("added", "revised"):
            change = f"{row.previous_value} -> {row.value}" if row.outcome == "revised" else f"{row.value}"
            outcome = text("outcome_" + row.outcome)
            typer.echo(f"{_place(row.place())}: {outcome} {row.indicator} {row.region} {row.period} {change}")
        for p in row.problems:
            typer.echo(f"{_place(row.place(p))}: {p.column}: {text('problem', zh=p.zh, en=p.en)}", err=True)
    counts = text("list_sep").join(f"{text('outcome_' + k)} {v}" for k, v in result.counts.items())
    verdict = text("dry_run") if dry_run else text("stored") if result.applied else text("refused")
    say("import_result", name=file.name, counts=counts, verdict=verdict)
    if result.review is not None and result.applied:
        r = result.review
        revisions = text("revision_requests", n=r["revision_requests"]) if r["revision_requests"] else ""
        say(
            "import_review",
            batch=result.batch_id,
            n=r["figures"],
            state=text("review_" + r["state"]),
            revisions=revisions,
        )
    if not result.applied and not dry_run:
        raise typer.Exit(1)


def _place(place: str) -> str:
    """A row's place ("row 14" or a cell) in the run's language."""
    return text("row_n", n=place[4:]) if place.startswith("row ") else place


def _parse_as_of(given: str | None) -> dt.datetime:
    if given is None:
        return now()
    try:
        value = dt.datetime.fromisoformat(given)
    except ValueError:
        fail_key("bad_as_of", given=repr(given))
    if value.tzinfo is None:
        # a bare date means the end of that day (everything reported that day counts)
        value = value.replace(tzinfo=dt.UTC) + (
            dt.timedelta(days=1, microseconds=-1) if len(given) <= 10 else dt.timedelta()
        )
    return value


@report_app.command("run")
def report_run(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="vintage date: the figures published by then (default now)")
    ] = None,
    recorded_until: Annotated[
        str | None,
        typer.Option("--recorded-until", help="recording cut-off (default now; a past run's repeats it)"),
    ] = None,
    profile: Annotated[str, typer.Option(help="threshold profile: eurostat or unsd")] = "eurostat",
    provisional: Annotated[
        bool,
        typer.Option("--provisional", help="where figures are reviewed: also count those under review"),
    ] = False,
) -> None:
    """Assess every target on the figures published by --as-of (and recorded by --recorded-until) and
    store the run. Where figures are reviewed, only approved ones count unless --provisional."""
    from service.domain.vintage import PROVISIONAL
    from service.reports.engine import run_report, run_report_now

    when = _parse_as_of(as_of) if as_of else None
    cutoff = _parse_as_of(recorded_until) if recorded_until else None
    if cutoff is not None and cutoff > now():
        fail_key("recorded_until_future")
    settings = load_settings()
    engine = open_database(settings)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            queued = 0
            if when is None and cutoff is None and not provisional:
                # as of now: it covers the changes waiting for a run
                from service.notify.digest import queue_after_run_digests

                run = run_report_now(session, trigger="cli", profile=profile)
                # the digests a scheduled run would queue (sent by `yrdmon email send` or the scheduler)
                queued = queue_after_run_digests(
                    session, run, settings, now=run.finished_at or run.started_at
                )
            else:  # a past date or cut-off, or (provisional) a look at figures under review: no digests
                moment = now()
                view = PROVISIONAL if provisional else None  # a provisional run is never the live view
                run = run_report(
                    session,
                    as_of=when or moment,
                    now=moment,
                    trigger="cli",
                    profile=profile,
                    recorded_until=cutoff,
                    view=view,
                )
            when = run.as_of
            summary = run.summary or {}
    except ValueError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    counts = text("list_sep").join(f"{_status(k)} {v}" for k, v in sorted(summary.get("counts", {}).items()))
    recorded = (run.recorded_until or run.started_at).isoformat()
    say(
        "run_done",
        id=run.id,
        as_of=when.isoformat(),
        recorded=recorded,
        targets=summary.get("targets", 0),
        counts=counts,
    )
    if run.review_view is not None:
        say("run_view_" + ("official" if run.review_view == "official" else "provisional"))
    if queued:
        say("digests_queued", n=queued)


def _status(code: str) -> str:
    """A status code's words under zh (the code itself under en, as machine-readable as before)."""
    from service.cli import lang
    from service.domain import texts

    key = "status_" + code
    return code if lang() == "en" or key not in texts.TEXTS else texts.t(key, "zh")


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"


@report_app.command("show")
def report_show(
    run: Annotated[int | None, typer.Option("--run", help="run id (default: the latest)")] = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.json,
    plan: Annotated[str | None, typer.Option(help="only this plan")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write to a file (needed for xlsx)")
    ] = None,
) -> None:
    """Print or save a run's assessments as JSON, CSV, XLSX or HTML."""
    from service.reports.queries import get_run
    from service.reports.render import export_run

    settings = load_settings()
    engine = open_database(settings)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            body = export_run(session, get_run(session, run), format.value, plan)
    except DomainError as exc:
        fail((exc.zh, exc.en))
    finally:
        engine.dispose()
    if output is not None:
        output.write_bytes(body)
        say("wrote", path=output, n=len(body))
    elif format is ReportFormat.xlsx:
        fail_key("xlsx_needs_output")
    else:
        sys.stdout.write(body.decode("utf-8-sig"))


class EvaluationFormat(StrEnum):
    json = "json"
    docx = "docx"
    xlsx = "xlsx"
    html = "html"


class EvaluationKind(StrEnum):
    term = "term"  # end-of-term and mid-term (末期 / 中期)
    annual = "annual"  # one year (年度评估)


@report_app.command("evaluate")
def report_evaluate(
    plan: Annotated[str, typer.Option(help="plan code")],
    run: Annotated[int | None, typer.Option("--run", help="run id (default: the latest)")] = None,
    format: Annotated[EvaluationFormat, typer.Option("--format", "-f")] = EvaluationFormat.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
    lang: Annotated[Language, typer.Option("--lang", help="language of the document")] = Language.zh,
    kind: Annotated[
        EvaluationKind, typer.Option("--kind", help="term: end-of-term and mid-term; annual: one year")
    ] = EvaluationKind.term,
    year: Annotated[int | None, typer.Option("--year", help="--kind annual: the year evaluated")] = None,
    organisation: Annotated[
        str | None, typer.Option(help="--kind annual: only what this organisation leads or supports")
    ] = None,
) -> None:
    """End-of-term (末期) and mid-term (中期) evaluation of a plan, or with --kind annual --year Y the
    annual evaluation (年度评估: the year's targets, the schedule, the warning list): JSON, or a Word,
    Excel or HTML report.

    Without --output, JSON and HTML go to standard output; a .docx or .xlsx is written to the current
    directory under the report's file name."""
    from service.reports.evaluation_files import STREAMED, document, write_document
    from service.reports.queries import get_run

    if kind is EvaluationKind.annual and year is None:
        fail_key("annual_needs_year")
    settings = load_settings()
    engine = open_database(settings)
    # a Word or Excel file is written as the records are read, into a temporary file first
    streamed = format.value in STREAMED and kind is not EvaluationKind.annual
    with tempfile.TemporaryFile() as spool:
        try:
            with transaction(make_sessionmaker(engine)) as session:
                the_run = get_run(session, run)
                ev = None
                if kind is EvaluationKind.annual:
                    from service.reports.annual import annual_evaluation

                    assert year is not None
                    ev = annual_evaluation(session, the_run, plan, year, organisation)
                if streamed:
                    filename, _ = write_document(session, the_run, plan, format.value, spool, lang.value)
                else:
                    made = document(session, the_run, plan, format.value, lang.value, ev=ev)
                    filename = made.filename
        except DomainError as exc:
            fail((exc.zh, exc.en))
        finally:
            engine.dispose()
        if not streamed and output is None and format in (EvaluationFormat.json, EvaluationFormat.html):
            sys.stdout.write(made.body.decode("utf-8"))
            return
        target = output if output is not None else Path(filename)
        try:
            if streamed:
                size = spool.tell()
                spool.seek(0)
                with target.open("wb") as fh:
                    shutil.copyfileobj(spool, fh)
            else:
                size = target.write_bytes(made.body)
        except OSError as exc:
            fail(f"--output {target}: {exc.strerror or exc}")
    say("wrote", path=target, n=size)


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


def _unknown_codes(session: Any, *, plan: str | None, region: str | None, indicator: str | None) -> str:
    """A message naming the filter codes that match nothing in the catalog (empty if all are known)."""
    from sqlalchemy import or_, select

    from service.db.models import Indicator, Plan, Region

    problems = []
    if plan and session.scalar(select(Plan.id).where(Plan.code == plan)) is None:
        problems.append(f"--plan {plan}")
    if (
        region
        and session.scalar(
            select(Region.id).where(
                or_(Region.code == region, Region.name_zh == region, Region.name_en == region)
            )
        )
        is None
    ):
        problems.append(f"--region {region}")
    if indicator and session.scalar(select(Indicator.id).where(Indicator.code == indicator)) is None:
        problems.append(f"--indicator {indicator}")
    return ", ".join(problems)


@targets_app.command("export")
def targets_export(
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.json,
    plan: Annotated[str | None, typer.Option(help="plan code")] = None,
    region: Annotated[str | None, typer.Option(help="region code or name")] = None,
    indicator: Annotated[str | None, typer.Option(help="indicator code")] = None,
    year: Annotated[int | None, typer.Option(help="target year")] = None,
    organisation: Annotated[
        str | None, typer.Option(help="organisation code or name: what it leads or supports")
    ] = None,
) -> None:
    """Print every current target as JSON or CSV."""
    from service.domain.tabular import write_csv
    from service.domain.targets import CATALOG_EXPORT_FIELDS, TargetFilter, target_records

    settings = load_settings()
    engine = open_database(settings)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            unknown = _unknown_codes(session, plan=plan, region=region, indicator=indicator)
            if organisation and not unknown:
                from service.domain.assignments import find_organisation

                try:
                    find_organisation(session, organisation)
                except DomainError:
                    unknown = f"--organisation {organisation}"
            records = (
                []
                if unknown
                else target_records(session, TargetFilter(plan, region, indicator, year, organisation))[0]
            )
    finally:
        engine.dispose()
    if unknown:
        fail_key("unknown_codes", codes=unknown)
    if format is ExportFormat.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        write_csv(sys.stdout, CATALOG_EXPORT_FIELDS, records)


@report_app.command("warn")
def report_warn(
    plan: Annotated[str, typer.Option(help="plan code")],
    to: Annotated[
        list[str] | None, typer.Option("--to", help="the plan office's address (repeatable)")
    ] = None,
    run: Annotated[int | None, typer.Option("--run", help="run id (default: the latest)")] = None,
    lang: Annotated[Language, typer.Option("--lang")] = Language.zh,
) -> None:
    """Queue the early warning (预警) of binding targets at risk: the whole list to the plan office
    (--to), and to the users of each lead department the targets it leads. Once per run and address."""
    from service.notify.warnings import queue_warnings
    from service.reports.annual import warnings
    from service.reports.queries import get_run

    settings = load_settings()
    engine = open_database(settings)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            the_run = get_run(session, run)
            items = warnings(session, the_run, plan)
            queued = queue_warnings(
                session, settings, the_run, plan, plan_office=list(to or []), now=now(), lang=lang.value
            )
    except DomainError as exc:
        fail((exc.zh, exc.en))
    finally:
        engine.dispose()
    for r in items:
        why = text("semicolon").join(text("problem", zh=x["zh"], en=x["en"]) for x in r["risks"])
        typer.echo(f"{r['id']}: {why}")
    say("warnings_queued", n=len(items), queued=len(queued))


@targets_app.command("check-splits")
def targets_check_splits(plan: Annotated[str | None, typer.Option(help="plan code")] = None) -> None:
    """Check that split targets' sub-targets hold together (quotas add up; each meets the rate).

    Prints one line per split target; exits 1 when any does not hold."""
    from service.domain.assignments import split_checks

    settings = load_settings()
    engine = open_database(settings)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            checks = split_checks(session, plan)
    finally:
        engine.dispose()
    for c in checks:
        total = text("split_total", total=f"{c['total']:g}", unit=c["unit"]) if c["total"] is not None else ""
        problems = text("semicolon").join(text("problem", zh=p["zh"], en=p["en"]) for p in c["problems"])
        state = text("split_ok") if c["ok"] else text("split_problem", problems=problems)
        say(
            "split_line",
            target=c["target"],
            split=c["split"],
            n=len(c["sub_targets"]),
            total=total,
            state=state,
        )
    if not checks:
        say("no_splits")
    if any(not c["ok"] for c in checks):
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
