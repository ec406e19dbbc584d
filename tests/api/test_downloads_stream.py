"""Issue 18: the overview and evaluation CSVs are written as they are read, chunk by chunk, and say
exactly what the whole-list versions say."""

from __future__ import annotations

import csv
import datetime as dt
import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.db.models import WritePath
from service.domain.observations import ObservationInput, ingest
from service.reports.engine import run_report
from service.reports.queries import assessment_records, evaluation, evaluation_chunks, record_chunks
from tests.support.factories import create_user

PLAN = "yrd-outline-2019"


def rows_of(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_streamed_downloads_equal_the_whole_lists(client: TestClient, session: Session) -> None:
    admin, _ = create_user(session, username="admin", role="admin", regions=())
    when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    figures: list[tuple[str, str, int, float]] = [
        ("gdp", "310000", 2019 + k, 38000 + 1500 * k) for k in range(5)
    ]
    figures += [("rd_intensity", "320000", 2019 + k, round(2.7 + 0.05 * k, 2)) for k in range(5)]
    result = ingest(session, admin, [ObservationInput(row=n, indicator=i, region=r, period=y, value=v, confirm=True)
                                     for n, (i, r, y, v) in enumerate(figures, 1)], path=WritePath.API, now=when)  # fmt: skip
    assert result.applied
    moment = dt.datetime.now(dt.UTC)
    run = run_report(session, as_of=moment, now=moment)
    session.commit()

    # chunk boundaries change nothing: chunks of 3 give the whole lists, in order
    whole = assessment_records(session, run)
    assert len(whole) > 10 and [r for part in record_chunks(session, run, chunk=3) for r in part] == whole
    ev = evaluation(session, run, PLAN)
    assert [r for part in evaluation_chunks(session, run, PLAN, chunk=3) for r in part] == (
        ev["end_of_term"] + ev["mid_term"]
    )

    overview = client.get("/overview.csv")
    assert overview.status_code == 200 and "content-length" not in overview.headers  # streamed
    got = rows_of(overview.text)
    assert [r["id"] for r in got] == [r["id"] for r in whole]
    assert [r["status"] for r in got] == [r["status"] for r in whole]

    # the evaluation in the reader's language (headers and verdicts in words), streamed in run order
    from service.web.i18n import t

    download = client.get(f"/plans/{PLAN}/evaluation.csv", params={"lang": "en"})
    assert download.status_code == 200 and "content-length" not in download.headers
    assert "attachment" in download.headers["content-disposition"]
    got = rows_of(download.text)
    expected = ev["end_of_term"] + ev["mid_term"]
    assert [(r["Target id"], r["Verdict"]) for r in got] == [
        (r["id"], t("status_" + r["verdict"], "en") if r.get("verdict") else "") for r in expected
    ]
    assert any(r["Verdict"] for r in got)

    missing = client.get("/plans/no-such-plan/evaluation.csv")
    assert missing.status_code == 404 and "no-such-plan" in missing.text  # refused before anything is sent
