"""The audit log API: administrators see who changed what, when, through which path, before and after."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.factories import create_user


def gdp(value: object, **extra: object) -> dict:
    return {"indicator": "gdp", "region": "嘉善县", "period": 2024, "value": value, "unit": "亿元", **extra}


def submit_then_revise(client: TestClient, headers: dict[str, str]) -> None:
    first = client.post("/api/v1/observations", json=gdp(880, status="preliminary"), headers=headers)
    assert first.status_code == 201, first.text
    revised = client.post(
        "/api/v1/observations", json=gdp(884, status="final", revision_reason="年报数据"), headers=headers
    )
    assert revised.status_code == 200 and revised.json()["counts"]["revised"] == 1, revised.text


def test_an_admin_sees_who_changed_what_when_and_how(client: TestClient, session: Session) -> None:
    _, editor = create_user(session)
    _, admin = create_user(session, username="admin", role="admin", regions=())
    started = dt.datetime.now(dt.UTC)
    submit_then_revise(client, editor)
    response = client.get("/api/v1/audit", params={"user": "editor", "path": "api"}, headers=admin)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 3 and page["limit"] == 100 and page["offset"] == 0
    first_import = page["items"][-1]  # newest first
    (revise,) = [e for e in page["items"] if e["action"] == "revise"]
    (second_import,) = [e for e in page["items"][:2] if e["action"] == "import"]
    assert first_import["action"] == "import" and revise["at"] == second_import["at"]
    assert {e["user"] for e in page["items"]} == {"editor"} and {e["path"] for e in page["items"]} == {"api"}
    assert revise["entity_type"] == "observation" and revise["entity_id"] == "gdp/330421/2024"
    assert float(revise["before"]["value"]) == 880 and revise["before"]["status"] == "preliminary"
    assert float(revise["after"]["value"]) == 884 and revise["after"]["status"] == "final"
    assert revise["after"]["reason"] == "年报数据"
    assert first_import["entity_type"] == "import_batch" and first_import["before"] is None
    assert first_import["after"]["counts"]["added"] == 1 and second_import["after"]["counts"]["revised"] == 1
    assert int(second_import["entity_id"]) > int(first_import["entity_id"])
    for entry in page["items"]:
        at = dt.datetime.fromisoformat(entry["at"])
        assert started - dt.timedelta(seconds=5) <= at <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
        assert set(entry) == {
            "id", "at", "user", "path", "action", "entity_type", "entity_id", "before", "after",
        }  # fmt: skip


def test_only_administrators_may_read_the_audit_log(client: TestClient, session: Session) -> None:
    _, editor = create_user(session)
    _, viewer = create_user(session, username="viewer", role="viewer", regions=())
    for headers in (editor, viewer):
        response = client.get("/api/v1/audit", headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "管理员" in response.json()["detail_zh"] and "administrators" in response.json()["detail_en"]
    anonymous = client.get("/api/v1/audit")
    assert anonymous.status_code == 401 and "Bearer" in anonymous.json()["detail_en"]


def test_filters_and_pagination(client: TestClient, session: Session) -> None:
    _, editor = create_user(session)
    _, admin = create_user(session, username="admin", role="admin", regions=())
    submit_then_revise(client, editor)

    def get(**params: object) -> dict:
        response = client.get("/api/v1/audit", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return response.json()

    assert [e["action"] for e in get(user="editor", action="revise")["items"]] == ["revise"]
    assert get(entity_type="observation", entity_id="gdp/330421/2024")["total"] == 1
    assert get(entity_type="import_batch", user="editor")["total"] == 2
    assert get(user="nobody")["total"] == 0
    # the factory created both users through the CLI path, stamped with its fixed clock
    created = get(action="create", entity_type="user", path="cli")
    assert {e["after"]["username"] for e in created["items"]} >= {"editor", "admin"}
    now = dt.datetime.now(dt.UTC)
    assert get(user="editor", since=(now - dt.timedelta(minutes=5)).isoformat())["total"] == 3
    assert get(user="editor", until=(now - dt.timedelta(minutes=5)).isoformat())["total"] == 0
    assert get(user="editor", since="2000-01-01T00:00:00", until="2000-01-02T00:00:00")["total"] == 0
    page = get(user="editor", limit=1, offset=2)
    assert page["total"] == 3 and len(page["items"]) == 1 and page["items"][0]["action"] == "import"
    assert page["items"][0]["after"]["counts"]["added"] == 1 and page["limit"] == 1 and page["offset"] == 2
    for bad in ({"limit": 100_000}, {"path": "telepathy"}, {"since": "yesterday"}, {"offset": -1}):
        response = client.get("/api/v1/audit", params=bad, headers=admin)
        assert response.status_code == 422, bad
        assert response.json()["detail_zh"] and response.json()["detail_en"]
