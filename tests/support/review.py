"""Review-workflow helpers shared by the API and notification tests: a figure's body, and an office with an
editor, a second editor elsewhere, a reviewer and an administrator, review switched on."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.factories import create_user


def gdp(region: str = "嘉善县", year: int = 2024, value: object = "880.5", **extra: object) -> dict:
    return {"indicator": "gdp", "region": region, "period": year, "value": value, "unit": "亿元", **extra}


def setup_office(client: TestClient, session: Session) -> dict[str, dict[str, str]]:
    editor, editor_h = create_user(session, username="js-editor", regions=("330421",))
    editor.email = "js-editor@example.gov.cn"
    _, qp_h = create_user(session, username="qp-editor", regions=("310118",))
    _, reviewer_h = create_user(session, username="jx-reviewer", role="reviewer", regions=("330400",))
    _, admin_h = create_user(session, username="plan-office", role="admin", regions=())
    session.commit()
    on = client.put("/api/v1/reviews/policy", json={"enabled": True}, headers=admin_h)
    assert on.status_code == 200 and on.json()["enabled"] is True
    return {"editor": editor_h, "qp": qp_h, "reviewer": reviewer_h, "admin": admin_h}
