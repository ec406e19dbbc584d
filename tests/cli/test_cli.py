"""The `yrdmon` console script, run as a user runs it (a subprocess with YRDMON_* settings)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData, select

from service.config import PROJECT_ROOT
from service.db.session import make_engine
from tests.support.cli import YRDMON, run
from tests.support.databases import PreparedDatabases
from tests.support.pgcluster import free_port


def snapshot(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        data = {
            name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
            for name, table in meta.tables.items()
        }
    engine.dispose()
    return data


@pytest.fixture
def cli_db(fresh_db_url: Callable[[], str], tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An empty database, for the tests of ``init`` itself."""
    return {"YRDMON_DATABASE_URL": fresh_db_url()}, tmp_path


@pytest.fixture
def initialised(prepared: PreparedDatabases, db_kind: str, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A copy of a database as ``yrdmon init`` left it (run once per kind), for the commands that follow."""
    return {"YRDMON_DATABASE_URL": prepared.initialised(db_kind)}, tmp_path


def test_init_twice_leaves_the_database_unchanged(
    initialised: tuple[dict[str, str], Path], prepared: PreparedDatabases, db_kind: str
) -> None:
    env, cwd = initialised
    assert "catalog loaded" in prepared.init_output[db_kind]  # the first init, which made the copied database
    before = snapshot(env["YRDMON_DATABASE_URL"])
    second = run(["init"], env, cwd)
    assert "catalog unchanged" in second.stdout
    assert snapshot(env["YRDMON_DATABASE_URL"]) == before


def test_export_json_and_csv_match_the_api(initialised: tuple[dict[str, str], Path]) -> None:
    env, cwd = initialised
    records = json.loads(run(["targets", "export", "--format", "json"], env, cwd).stdout)
    assert len(records) >= 50
    required = {
        "id",
        "plan",
        "region",
        "region_code",
        "indicator_code",
        "indicator",
        "unit",
        "comparator",
        "value",
        "low",
        "high",
        "stretch_value",
        "target_year",
        "reference_year",
        "declared_form",
        "baseline_value",
        "baseline_year",
        "source_document",
        "source_quote",
    }
    assert required <= set(records[0])
    csv_text = run(["targets", "export", "--format", "csv"], env, cwd).stdout
    assert csv_text.splitlines()[0].startswith("id,plan,plan_code,region,region_code")
    assert len(csv_text.strip().splitlines()) == len(records) + 1 or csv_text.count("\n") > len(records)

    from fastapi.testclient import TestClient

    from service.config import Settings
    from service.main import create_app

    with TestClient(
        create_app(Settings(database_url=env["YRDMON_DATABASE_URL"]), start_scheduler=False)
    ) as c:
        api: list[dict] = []
        while len(api) < len(records):  # the catalog has more targets than one page holds
            page = c.get("/api/v1/targets", params={"limit": 500, "offset": len(api)}).json()
            assert page["total"] == len(records) and page["items"]
            api += page["items"]
    assert api == records


NEW_ROUND = {  # plan code: (period, at least this many targets, of which qualitative at least)
    "shanghai-15th-outline": ((2026, 2030), 60, 4),
    "hangzhou-15th-outline": ((2026, 2030), 150, 5),
    "suzhou-15th-outline": ((2026, 2030), 100, 5),
    "nanjing-15th-outline": ((2026, 2030), 70, 5),
    "hefei-15th-suggestion": ((2026, 2030), 10, 0),
    "nanjing-14th-outline": ((2021, 2025), 25, 2),
}


def test_init_loads_the_new_round_of_plans(
    initialised: tuple[dict[str, str], Path], prepared: PreparedDatabases, db_kind: str
) -> None:
    """The 十五五 plans and Nanjing's restated 十四五 plan load on a fresh database, with their 2025
    results (专栏1) as observations whose source is the outline, through the import path."""
    from fastapi.testclient import TestClient
    from sqlalchemy import func
    from sqlalchemy.orm import Session

    from service.config import Settings
    from service.db.models import Comparator, Observation, Plan, Region, Target
    from service.main import create_app

    env, _ = initialised
    out = prepared.init_output[db_kind]  # what `init` printed on the fresh database copied here
    results = PROJECT_ROOT / "indicators" / "observations" / "nanjing-15th-outline-2025.csv"
    rows = len(results.read_text(encoding="utf-8").strip().splitlines()) - 1  # every row, none refused
    assert f"nanjing-15th-outline-2025.csv: added {rows}, revised 0" in out
    engine = make_engine(env["YRDMON_DATABASE_URL"])
    with Session(engine) as session:
        for code, (period, at_least, qualitative) in NEW_ROUND.items():
            plan = session.scalar(select(Plan).where(Plan.code == code))
            assert plan is not None and (plan.period_start, plan.period_end) == period, code
            current = (Target.plan_id == plan.id, Target.valid_to.is_(None))
            assert (session.scalar(select(func.count()).where(*current)) or 0) >= at_least, code
            n_qualitative = session.scalar(
                select(func.count()).where(*current, Target.comparator == Comparator.QUALITATIVE)
            )
            assert (n_qualitative or 0) >= qualitative, code
            with_attribute = session.scalar(
                select(func.count()).where(*current, Target.attribute.is_not(None))
            )
            assert bool(with_attribute) == (code != "hefei-15th-suggestion"), code
        nanjing = session.scalar(select(Region.id).where(Region.code == "320100"))
        stored = session.scalars(
            select(Observation).where(
                Observation.region_id == nanjing,
                Observation.period == 2025,
                Observation.source == "南京市国民经济和社会发展第十五个五年规划纲要",
            )
        ).all()
        assert len(stored) == rows and all(o.batch_id is not None for o in stored)
    engine.dispose()
    with TestClient(
        create_app(Settings(database_url=env["YRDMON_DATABASE_URL"]), start_scheduler=False)
    ) as c:
        page = c.get("/plans?lang=zh").text
        for code in NEW_ROUND:
            row = page.split(f'href="/plans/{code}?lang=zh"')[1].split("</tr>")[0]
            year = 2025 if code == "nanjing-14th-outline" else 2030
            assert f"{year}: " in row, code
            assert ("约束性" in row) == (code != "hefei-15th-suggestion"), code  # a proposal has no 属性
        english = c.get("/plans/nanjing-15th-outline?lang=en").text
        assert "Binding" in english and "Qualitative target" in english


def test_users_add_prints_a_token_once_and_stores_only_its_hash(
    initialised: tuple[dict[str, str], Path],
) -> None:
    env, cwd = initialised
    out = run(["users", "add", "jiashan", "--role", "editor", "--region", "330421"], env, cwd).stdout
    token = out.strip().split()[-1]
    assert token.startswith("yrd_") and len(token) > 30
    dump = json.dumps(snapshot(env["YRDMON_DATABASE_URL"]), default=str)
    assert token not in dump
    again = run(["users", "add", "jiashan", "--role", "viewer"], env, cwd, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr
    no_region = run(["users", "add", "someone", "--role", "editor"], env, cwd, check=False)
    assert no_region.returncode == 2 and "region" in no_region.stderr


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"YRDMON_DATABASE_URL": "not a url at all"}, "YRDMON_DATABASE_URL"),
        ({"YRDMON_DATABASE_URL": "mysql://x@localhost/db"}, "YRDMON_DATABASE_URL"),
        ({"YRDMON_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}, "YRDMON_DATABASE_URL"),
        ({"YRDMON_PORT": "eighty"}, "YRDMON_PORT"),
    ],
)
def test_bad_settings_stop_with_one_line_naming_the_setting(
    env: dict[str, str], setting: str, tmp_path: Path
) -> None:
    result = run(["init"], env, tmp_path, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0] and "Traceback" not in result.stderr


def test_a_var_dir_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run(["init"], {"YRDMON_VAR_DIR": str(blocker / "var")}, tmp_path, check=False)
    assert result.returncode == 2
    assert "YRDMON_VAR_DIR" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_serve_answers_healthz_and_docs_with_the_scheduler_running(
    initialised: tuple[dict[str, str], Path],
) -> None:
    env, cwd = initialised
    port = free_port()
    log = cwd / "serve.log"  # what the service prints, read while it runs
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*YRDMON, "serve", "--port", str(port)],
            env={**os.environ, **env},
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("service did not start") from None
                time.sleep(0.05)
        assert health.status_code == 200 and health.json()["targets"] >= 50
        assert "/api/v1/targets" in httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=30).text
        # the embedded scheduler says when it holds the lease (shortly after start): wait for it, no longer
        deadline = time.monotonic() + 30
        while "scheduler lease taken" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "scheduler lease taken" in log.read_text()


def test_import_command_uses_the_same_checks(initialised: tuple[dict[str, str], Path]) -> None:
    env, cwd = initialised
    run(["users", "add", "js", "--role", "editor", "--region", "330421"], env, cwd)
    good = cwd / "good.csv"
    good.write_text("indicator,region,year,value,unit\ngdp,嘉善县,2024,880.5,亿元\n", encoding="utf-8-sig")
    dry = run(["import", str(good), "--user", "js", "--dry-run"], env, cwd)
    assert "added 1" in dry.stdout and "dry run" in dry.stdout
    assert "added 1" in run(["import", str(good), "--user", "js"], env, cwd).stdout
    assert "unchanged 1" in run(["import", str(good), "--user", "js"], env, cwd).stdout
    bad = cwd / "bad.csv"
    bad.write_text("indicator,region,year,value\ngdp,青浦区,2024,1400\n", encoding="utf-8")
    refused = run(["import", str(bad), "--user", "js"], env, cwd, check=False)
    assert refused.returncode == 1 and "row 2: region" in refused.stderr and "REFUSED" in refused.stdout


def test_an_export_filtered_by_an_unknown_code_exits_non_zero_and_says_which(
    initialised: tuple[dict[str, str], Path],
) -> None:
    env, cwd = initialised
    bad = run(["targets", "export", "--plan", "nope", "--indicator", "gdp"], env, cwd, check=False)
    assert bad.returncode != 0 and "--plan nope" in bad.stderr and "--indicator" not in bad.stderr
    good = run(["targets", "export", "--plan", "yrd-outline-2019"], env, cwd)
    assert json.loads(good.stdout)


def test_a_report_run_from_the_command_line_does_the_digest_work_a_scheduled_run_would(
    initialised: tuple[dict[str, str], Path],
) -> None:
    from sqlalchemy import select

    from service.db.models import Subscription
    from service.db.session import make_engine, make_sessionmaker

    env, cwd = initialised
    run(["subscriptions", "add", "office@example.gov.cn"], env, cwd)
    engine = make_engine(env["YRDMON_DATABASE_URL"])

    def baseline() -> int | None:
        with make_sessionmaker(engine)() as s:
            return s.scalar(select(Subscription.last_run_id))

    # init computed the first run: a new subscriber starts from it; digests report what changes from it
    first = baseline()
    assert first is not None
    run(["report", "run", "--as-of", "2019-12-31"], env, cwd)  # a snapshot of a past date is no news
    assert baseline() == first
    out = run(["report", "run"], env, cwd).stdout
    assert out.startswith("run ") and (baseline() or 0) >= first
    engine.dispose()


def test_messages_speak_the_chosen_language_and_machine_output_does_not_change(
    cli_db: tuple[dict[str, str], Path],
) -> None:
    """Messages come from texts.CLI_TEXTS in the language of --lang or YRDMON_LANG, Chinese by default (the
    users read Chinese first); unknown codes exit non-zero saying so in that language; JSON stays JSON."""
    import re

    env, cwd = cli_db
    zh_env, en_env = {**env, "YRDMON_LANG": ""}, {**env, "YRDMON_LANG": "en"}  # "": not set, the default
    first = run(["init"], zh_env, cwd)
    assert "目录已载入" in first.stdout and "首次报告运行" in first.stdout and "catalog" not in first.stdout
    assert "目录无变化" in run(["init"], zh_env, cwd).stdout
    assert (
        "catalog unchanged" in run(["--lang", "en", "init"], zh_env, cwd).stdout
    )  # --lang beats the default
    assert "目录无变化" in run(["--lang", "zh", "init"], en_env, cwd).stdout  # and YRDMON_LANG
    for lang_env, said, other in (
        (zh_env, "错误：--plan nope：未知代码", "unknown"),
        (en_env, "error: --plan nope: unknown code", "未知"),
    ):
        bad = run(["targets", "export", "--plan", "nope"], lang_env, cwd, check=False)
        assert bad.returncode == 2 and said in bad.stderr and other not in bad.stderr, bad.stderr
        bad_date = run(["report", "run", "--as-of", "last week"], lang_env, cwd, check=False)
        assert bad_date.returncode == 2 and "2026-10-31" in bad_date.stderr
        assert (
            not re.search(r"[A-Za-z]{4,}", re.sub(r"--as-of|'last week'", "", bad_date.stderr))
            or other == "未知"
        )
    ran = run(["report", "run"], zh_env, cwd).stdout
    assert ran.startswith("报告运行 ") and "个目标" in ran
    assert run(["report", "run"], en_env, cwd).stdout.startswith("run ")
    exports = [
        run(["targets", "export", "--plan", "yrd-outline-2019"], e, cwd).stdout for e in (zh_env, en_env)
    ]
    assert exports[0] == exports[1] and json.loads(exports[0])
    wrong = run(["init"], {**env, "YRDMON_LANG": "fr"}, cwd, check=False)
    assert wrong.returncode == 2 and "YRDMON_LANG" in wrong.stderr and "zh" in wrong.stderr
