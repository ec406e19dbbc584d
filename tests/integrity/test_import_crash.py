"""A process killed in the middle of a bulk import leaves none of the batch behind (both databases)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import func, select

from service.db.models import Observation, ObservationStatus
from service.db.session import make_engine
from tests.support.cli import run
from tests.support.databases import PreparedDatabases

SCRIPT = textwrap.dedent(
    """
    import datetime as dt, os, signal, sys
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload
    from service.db.models import User, WritePath
    from service.db.session import make_engine, make_sessionmaker
    from service.domain.observations import ObservationInput, ingest

    engine = make_engine(sys.argv[1])
    session = make_sessionmaker(engine)()
    user = session.scalar(select(User).where(User.username == "admin").options(selectinload(User.regions)))
    rows = [ObservationInput(row=n, indicator="gdp", region=("330421", "310000")[n // 70], period=1949 + n % 70,
                             value=n + 1, unit="亿元", confirm=True) for n in range(140)]  # past years only
    result = ingest(session, user, rows, path=WritePath.CLI, now=dt.datetime.now(dt.UTC))
    session.flush()
    print("inserted", result.counts["added"], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # die after the rows are written but before the commit
    """
)


def test_killed_import_leaves_nothing(prepared: PreparedDatabases, db_kind: str, tmp_path: Path) -> None:
    url = prepared.initialised(db_kind)  # as `yrdmon init` leaves it
    env = {"YRDMON_DATABASE_URL": url}
    run(["users", "add", "admin", "--role", "admin"], env, tmp_path)

    def stored() -> int:
        engine = make_engine(url)
        with engine.connect() as conn:
            n = conn.scalar(
                select(func.count())
                .select_from(Observation)
                .where(Observation.status != ObservationStatus.PLAN_BASELINE)
            )
        engine.dispose()
        return int(n or 0)

    before = stored()  # init loads the published statistics
    proc = subprocess.run([sys.executable, "-c", SCRIPT, url], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "inserted 140" in proc.stdout
    assert stored() == before
