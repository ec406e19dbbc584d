"""`yrdmon review ...` run as a user runs it, on both databases: the switch, a reviewer's list, a file
import returned whole, resubmitted and approved, and refusals that exit non-zero and say why."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run
from tests.support.databases import PreparedDatabases


def test_a_file_import_carried_from_entry_to_approval_on_the_command_line(
    prepared: PreparedDatabases, db_kind: str, tmp_path: Path
) -> None:
    env, cwd = {"YRDMON_DATABASE_URL": prepared.initialised(db_kind)}, tmp_path  # as `yrdmon init` leaves it
    run(["users", "add", "js", "--role", "editor", "--region", "330421"], env, cwd)
    run(["users", "add", "jx", "--role", "reviewer", "--region", "330400"], env, cwd)
    run(["users", "add", "sh", "--role", "reviewer", "--region", "310000"], env, cwd)
    assert "review: on" in run(["review", "policy", "--on"], env, cwd).stdout
    data = cwd / "jiashan.csv"
    data.write_text("indicator,region,year,value,unit\ngdp,嘉善县,2023,851,亿元\ngdp,嘉善县,2024,880.5,亿元\n",
                    encoding="utf-8-sig")  # fmt: skip
    imported = run(["import", str(data), "--user", "js"], env, cwd).stdout
    assert "2 figure(s) submitted" in imported
    batch = imported.split("batch ")[1].split(":")[0]
    listed = [
        json.loads(line)
        for line in run(["review", "list", "--user", "jx", "--json"], env, cwd).stdout.splitlines()
    ]
    assert [(r["year"], r["value"], r["by"]) for r in listed] == [(2023, "851", "js"), (2024, "880.5", "js")]
    # a Shanghai reviewer cannot approve Jiashan's figures: refused, nothing done, each reason shown
    refused = run(["review", "approve", "--user", "sh", "--batch", batch], env, cwd, check=False)
    assert refused.returncode == 2 and "Jiashan" in refused.stderr and "嘉善县" in refused.stderr
    assert "2 figure(s) returned" in run(["review", "return", "--user", "jx", "--batch", batch, "-m", "请附来源"],
                                         env, cwd).stdout  # fmt: skip
    again = run(["review", "approve", "--user", "jx", str(listed[0]["id"])], env, cwd, check=False)
    assert again.returncode == 2 and "returned" in again.stderr
    run(["review", "resubmit", "--user", "js", "--batch", batch, "-m", "来源：嘉善县统计公报"], env, cwd)
    assert (
        "2 figure(s) approved"
        in run(["review", "approve", "--user", "jx", "--batch", batch], env, cwd).stdout
    )
    history = json.loads(run(["review", "history", str(listed[1]["id"])], env, cwd).stdout)
    assert [s["state"] for s in history[-1]["review"]] == ["submitted", "returned", "submitted", "approved"]
    assert [s["by"] for s in history[-1]["review"]] == ["js", "jx", "js", "jx"]
