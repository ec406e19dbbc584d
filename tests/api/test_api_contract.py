"""The API's typed edges: every route documents what it answers, and a page of a long list is counted
and cut by the database, not by loading the whole list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from service.reports.engine import run_report
from tests.support.factories import create_user

FILES = {
    "text/csv; charset=utf-8",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/pdf",
    "image/png",
    "image/jpeg",
}


def _declared(response: dict[str, Any]) -> bool:
    """A success response names its body: a schema of its own (a model, or a list of models), a file
    type, or an HTML page."""
    content = response.get("content", {})
    if not content:
        return False
    for media, body in content.items():
        schema = body.get("schema", {})
        if media in FILES or media.startswith("text/html"):
            continue
        if "$ref" in schema or "$ref" in schema.get("items", {}):
            continue
        return False
    return True


def test_every_api_route_declares_its_response(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    undeclared = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            ok = next((op["responses"][c] for c in ("200", "201") if c in op["responses"]), None)
            if ok is None:
                assert "204" in op["responses"], f"{method} {path} has no success response"
                continue
            if not _declared(ok):
                undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []
    page = spec["components"]["schemas"]["AssessmentPage"]
    assert {"items", "total", "limit", "offset", "run_id"} <= set(page["properties"])


def test_assessments_are_paged_by_the_database(client: TestClient, session: Session) -> None:
    create_user(session, username="admin", role="admin", regions=())
    when = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    run = run_report(session, as_of=when, now=when)
    session.commit()
    whole = client.get("/api/v1/assessments", params={"run": run.id, "limit": 1000}).json()
    assert whole["total"] == len(whole["items"]) > 20
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        pages = [
            client.get("/api/v1/assessments", params={"run": run.id, "limit": 7, "offset": offset}).json()
            for offset in range(0, whole["total"], 7)
        ]
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert all(p["total"] == whole["total"] and p["run_id"] == run.id for p in pages)
    assert [i["id"] for p in pages for i in p["items"]] == [i["id"] for i in whole["items"]]
    assert pages[0]["items"][0] == whole["items"][0]  # every field of the record, as the whole list has it
    # each page reads its 7 records with LIMIT/OFFSET and counts the rest with COUNT: never the whole run
    reads = [s for s in statements if "FROM assessments" in s and "count(" not in s.lower()]
    assert reads and all("LIMIT" in s.upper() for s in reads)
    beyond = client.get("/api/v1/assessments", params={"run": run.id, "offset": whole["total"]}).json()
    assert beyond["items"] == [] and beyond["total"] == whole["total"]
