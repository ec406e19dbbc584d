"""Writes against real ``yrdmon serve`` processes: what a 2xx acknowledges survives kill -9 right after
it, several clients on two processes get no 5xx and lose nothing, and concurrent writers of one figure
leave one line of history (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from service.db.models import Indicator, Observation, Region
from service.db.session import make_engine, make_sessionmaker
from tests.support.cli import YRDMON, run
from tests.support.databases import PreparedDatabases
from tests.support.pgcluster import free_port

LEVEL_INDICATORS = ("gdp", "resident_population", "industrial_output")


class Server:
    """One ``yrdmon serve --no-scheduler`` child process on a free loopback port."""

    def __init__(self, url: str, cwd: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"serve-{self.port}.log"  # read it when a test fails
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*YRDMON, "serve", "--no-scheduler", "--port", str(self.port)],
                env={**os.environ, "YRDMON_DATABASE_URL": url, "YRDMON_VAR_DIR": str(cwd / "var")},
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base + "/healthz", timeout=2)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the service did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def run_threads(target: Any, n: int) -> None:
    """``target(i)`` for i in 0..n-1, each in its own thread; returns when all have finished."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def admin_token(url: str, cwd: Path, name: str = "admin") -> str:
    out = run(["users", "add", name, "--role", "admin"], {"YRDMON_DATABASE_URL": url}, cwd).stdout
    found = re.search(r"yrd_[A-Za-z0-9_\-]+", out)
    assert found, out
    return found.group(0)


@pytest.fixture(scope="module")
def live(
    prepared: PreparedDatabases, db_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """An initialised database, an administrator's token and a regions list, shared by this module."""
    cwd = tmp_path_factory.mktemp("live")
    url = prepared.initialised(db_kind)  # a copy of what `yrdmon init` leaves
    token = admin_token(url, cwd)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        regions = list(s.scalars(select(Region.code).where(Region.level != "zone").order_by(Region.code)))
    engine.dispose()
    yield {"url": url, "cwd": cwd, "headers": {"Authorization": f"Bearer {token}"}, "regions": regions}


def count_batch(url: str, batch_id: int) -> int:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        n = s.scalar(select(func.count()).select_from(Observation).where(Observation.batch_id == batch_id))
    engine.dispose()
    return int(n or 0)


def test_a_write_acknowledged_survives_kill_9_right_after_the_response(live: dict[str, Any]) -> None:
    url, cwd, headers = live["url"], live["cwd"], live["headers"]
    # a large upload: the longer the commit, the wider the window a late commit would leave open
    lines = ["indicator,region,period,value"]
    for code in LEVEL_INDICATORS:
        for region in live["regions"]:
            for year in range(1990, 2010):
                lines.append(f"{code},{region},{year},{1000 + year % 7}")
    body = "\n".join(lines).encode()
    rows = len(lines) - 1
    server = Server(url, cwd)
    try:
        with httpx.Client(timeout=300) as client:
            response = client.post(
                server.base + "/api/v1/imports",
                headers=headers,
                files={"file": ("big.csv", body, "text/csv")},
            )
            server.kill()  # at once: no time for anything after the response
    finally:
        server.stop()
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["added"] == rows
    assert count_batch(url, response.json()["batch_id"]) == rows

    # a single figure through the JSON API, and through the web form after a login
    server = Server(url, cwd)
    try:
        with httpx.Client(timeout=60) as client:
            one = client.post(
                server.base + "/api/v1/observations",
                headers=headers,
                json={"indicator": "gdp", "region": live["regions"][0], "period": 1989, "value": 999},
            )
            server.kill()
    finally:
        server.stop()
    assert one.status_code == 201, one.text
    assert count_batch(url, one.json()["batch_id"]) == 1


def _client_work(
    base: str, headers: dict[str, str], me: int, region: str, shared: str, seconds: float, log: dict[str, Any]
) -> None:
    """One official's client: new figures of its own, revisions of one shared figure, and reads."""
    deadline = time.monotonic() + seconds
    n = 0
    with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
        while time.monotonic() < deadline:
            n += 1
            try:
                if n % 3 == 0:
                    r = client.get("/api/v1/observations", params={"indicator": "gdp", "region": region})
                elif n % 3 == 1:
                    year = 1949 + n // 3  # a figure only this client writes (its own region, a past year)
                    r = client.post(
                        "/api/v1/observations",
                        json={
                            "indicator": "resident_population",
                            "region": region,
                            "period": year,
                            "value": 500 + n % 5,
                            "confirm": True,
                        },
                    )
                    if r.status_code == 201:
                        log["own"].append((region, year, r.json()["batch_id"]))
                else:
                    r = client.post(
                        "/api/v1/observations",
                        json={
                            "indicator": "industrial_output",
                            "region": shared,
                            "period": 1950,
                            "value": 1000 + me * 1000 + n,
                            "revision_reason": f"client {me} correction {n}",
                            "confirm": True,
                        },
                    )
                    if r.status_code in (200, 201):
                        log["shared_versions"] += r.json()["counts"]["added"] + r.json()["counts"]["revised"]
                log["codes"][r.status_code] += 1
            except httpx.TransportError as exc:  # a dropped connection is a failure too
                log["codes"][f"transport {type(exc).__name__}"] += 1


def test_several_clients_on_two_processes_get_no_5xx_and_lose_nothing(live: dict[str, Any]) -> None:
    url, cwd, headers = live["url"], live["cwd"], live["headers"]
    servers = [Server(url, cwd), Server(url, cwd)]
    shared = live["regions"][1]
    log: dict[str, Any] = {"codes": Counter(), "own": [], "shared_versions": 0}
    lock = threading.Lock()

    def work(i: int) -> None:
        local: dict[str, Any] = {"codes": Counter(), "own": [], "shared_versions": 0}
        _client_work(servers[i % 2].base, headers, i, live["regions"][2 + i], shared, 12.0, local)
        with lock:
            log["codes"].update(local["codes"])
            log["own"].extend(local["own"])
            log["shared_versions"] += local["shared_versions"]

    try:
        run_threads(work, 8)
    finally:
        for server in servers:
            server.stop()
    codes = log["codes"]
    print(f"\n{sum(codes.values())} requests from 8 clients on 2 processes: {dict(codes)}")  # for the record
    bad = {c: n for c, n in codes.items() if not isinstance(c, int) or c >= 500}
    assert not bad, f"server errors or dropped connections: {bad} of {sum(codes.values())} requests"
    assert codes[201] > 50, codes
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        ind = {i.code: i.id for i in s.scalars(select(Indicator))}
        reg = {r.code: r.id for r in s.scalars(select(Region))}
        for region, year, batch_id in log["own"]:  # every acknowledged figure is there
            stored = s.scalar(
                select(func.count())
                .select_from(Observation)
                .where(
                    Observation.indicator_id == ind["resident_population"],
                    Observation.region_id == reg[region],
                    Observation.period == year,
                    Observation.batch_id == batch_id,
                )
            )
            assert stored == 1, (region, year)
        history = list(
            s.execute(
                select(Observation.id, Observation.supersedes_id).where(
                    Observation.indicator_id == ind["industrial_output"],
                    Observation.region_id == reg[shared],
                    Observation.period == 1950,
                )
            )
        )
    engine.dispose()
    # one line: a single original, each later version superseding the one before, one per acknowledgement
    assert len(history) == log["shared_versions"]
    assert sum(1 for h in history if h.supersedes_id is None) == 1
    successors = Counter(h.supersedes_id for h in history if h.supersedes_id is not None)
    assert all(n == 1 for n in successors.values())


def test_simultaneous_first_submissions_of_one_figure_leave_one_original(live: dict[str, Any]) -> None:
    url, cwd, headers = live["url"], live["cwd"], live["headers"]
    servers = [Server(url, cwd), Server(url, cwd)]
    region = live["regions"][-1]
    results: list[httpx.Response] = []
    lock = threading.Lock()
    try:
        for year, with_reason in ((1960, False), (1961, True)):
            gate = threading.Barrier(8)

            def submit(
                i: int, year: int = year, with_reason: bool = with_reason, gate: threading.Barrier = gate
            ) -> None:
                body: dict[str, Any] = {
                    "indicator": "gdp",
                    "region": region,
                    "period": year,
                    "value": 2000 + (i if with_reason else 0),
                    "confirm": True,
                }
                if with_reason:
                    body["revision_reason"] = f"office {i}"
                with httpx.Client(timeout=120, headers=headers) as client:
                    gate.wait()
                    r = client.post(servers[i % 2].base + "/api/v1/observations", json=body)
                with lock:
                    results.append(r)

            run_threads(submit, 8)
    finally:
        for server in servers:
            server.stop()
    assert all(r.status_code in (200, 201) for r in results), [
        r.text for r in results if r.status_code >= 300
    ]
    outcomes: Counter[str] = Counter()
    for r in results:
        outcomes.update({k: v for k, v in r.json()["counts"].items() if v})
    # the same value eight times: one original, seven "unchanged"; eight values with reasons: one
    # original and seven revisions, each superseding the one before
    assert outcomes["added"] == 2
    assert outcomes["unchanged"] == 7
    assert outcomes["revised"] == 7
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        gdp = s.scalar(select(Indicator.id).where(Indicator.code == "gdp"))
        reg_id = s.scalar(select(Region.id).where(Region.code == region))
        for year, versions in ((1960, 1), (1961, 8)):
            rows = list(
                s.execute(
                    select(Observation.id, Observation.supersedes_id, Observation.reported_at)
                    .where(
                        Observation.indicator_id == gdp,
                        Observation.region_id == reg_id,
                        Observation.period == year,
                    )
                    .order_by(Observation.reported_at, Observation.id)
                )
            )
            assert len(rows) == versions
            assert rows[0].supersedes_id is None
            for earlier, later in itertools.pairwise(rows):
                assert later.supersedes_id == earlier.id  # linear, and in the order of recording
    engine.dispose()
