"""Ingestion through the API: scopes, revisions with history, dry runs, all-or-nothing, files, idempotency."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import AuditEntry, Observation, ObservationStatus
from tests.support.factories import create_user


def stored(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Observation).where(Observation.status != ObservationStatus.PLAN_BASELINE)
    ) or 0  # fmt: skip


def gdp(region: str = "嘉善县", year: int | str = 2024, value: object = "880.5", **extra: object) -> dict:
    return {"indicator": "gdp", "region": region, "period": year, "value": value, "unit": "亿元", **extra}


def test_writes_need_a_token(client: TestClient) -> None:
    response = client.post("/api/v1/observations", json=gdp())
    assert response.status_code == 401 and "Bearer" in response.json()["detail_en"]


def test_an_editor_cannot_write_another_region_through_any_path(client: TestClient, session: Session) -> None:
    _, headers = create_user(session, regions=("330421",))
    ok = client.post("/api/v1/observations", json=gdp(), headers=headers)
    assert ok.status_code == 201, ok.text
    refused = client.post("/api/v1/observations", json=gdp(region="青浦区"), headers=headers)
    assert refused.status_code == 422
    assert "may not write data for Qingpu" in refused.json()["rows"][0]["problems"][0]["en"]
    csv_bytes = "指标,地区,年份,数值,单位\ngdp,青浦区,2024,1400,亿元\n".encode()
    upload = client.post("/api/v1/imports", files={"file": ("q.csv", csv_bytes, "text/csv")}, headers=headers)
    assert upload.status_code == 422 and upload.json()["counts"]["rejected"] == 1
    assert stored(session) == 1


def test_a_revision_needs_a_reason_and_keeps_the_old_value(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    client.post("/api/v1/observations", json=gdp(value=880, status="preliminary"), headers=headers)
    no_reason = client.post("/api/v1/observations", json=gdp(value=884, status="final"), headers=headers)
    assert (
        no_reason.status_code == 422
        and no_reason.json()["rows"][0]["problems"][0]["column"] == "revision_reason"
    )
    revised = client.post(
        "/api/v1/observations",
        json=gdp(value=884, status="final", revision_reason="年报数据"),
        headers=headers,
    )
    assert revised.status_code == 200 and revised.json()["counts"]["revised"] == 1
    history = client.get(
        "/api/v1/observations/history", params={"indicator": "gdp", "region": "330421", "period": 2024}
    )
    versions = history.json()["items"]
    assert [v["value"] for v in versions] == [880, 884]
    assert versions[1]["supersedes"] == versions[0]["id"] and versions[1]["revision_reason"] == "年报数据"
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "revise")) is not None
    first_seen = versions[0]["reported_at"]
    as_of = client.get(
        "/api/v1/observations", params={"indicator": "gdp", "region": "330421", "as_of": first_seen}
    )
    assert [i["value"] for i in as_of.json()["items"]] == [880]


def test_dry_run_reports_exactly_and_writes_nothing(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    client.post("/api/v1/observations", json=gdp(year=2023, value=850), headers=headers)
    before = stored(session)
    batch = {"dry_run": True, "observations": [
        gdp(year=2024), gdp(year=2023, value=851, revision_reason="核实"), gdp(year=2023, region="上海")]}  # fmt: skip
    body = client.post("/api/v1/observations", json=batch, headers=headers).json()
    assert body["dry_run"] and not body["applied"]
    assert body["counts"] == {
        "added": 1,
        "revised": 1,
        "unchanged": 0,
        "rejected": 1,
        "needs_confirmation": 0,
    }
    assert stored(session) == before


def test_one_bad_row_refuses_the_whole_batch_with_row_column_and_reason(
    client: TestClient, session: Session
) -> None:
    _, headers = create_user(session)
    batch = {"observations": [gdp(year=2021), gdp(year="20x2"), gdp(year=2022, value="abc"), gdp(year=2023)]}
    response = client.post("/api/v1/observations", json=batch, headers=headers)
    assert response.status_code == 422
    problems = {(r["row"], p["column"]) for r in response.json()["rows"] for p in r["problems"]}
    assert problems == {(2, "period"), (3, "value")}
    assert "nothing from this batch was stored" in response.json()["detail_en"]
    assert stored(session) == 0


def test_gb18030_csv_with_chinese_headers_and_unit_conversion(client: TestClient, session: Session) -> None:
    _, headers = create_user(session, regions=("Z-DEMO",))
    text = '指标,地区,年份,数值,单位,状态,来源\n地区生产总值,嘉善县,2022,"８,805,000",万元,初步,统计公报\n'
    response = client.post(
        "/api/v1/imports", files={"file": ("嘉善.csv", text.encode("gb18030"), "text/csv")}, headers=headers
    )
    assert response.status_code == 201, response.text
    item = client.get(
        "/api/v1/observations", params={"indicator": "gdp", "region": "嘉善县", "period": 2022}
    ).json()
    obs = next(i for i in item["items"] if i["status"] == "preliminary")
    assert obs["value"] == 880.5 and obs["unit"] == "亿元" and obs["value_as_entered"] == "８,805,000"


def test_xlsx_upload_and_formula_cells_are_refused(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["indicator", "region", "year", "value", "unit"])
    ws.append(["rd_intensity", "330421", 2023, "3.1%", None])
    ws.append(["gdp", "330421", 2023, "=B2*2", "亿元"])
    buf = io.BytesIO()
    wb.save(buf)
    response = client.post("/api/v1/imports", files={"file": ("t.xlsx", buf.getvalue())}, headers=headers)
    assert response.status_code == 422
    rows = {r["row"]: r for r in response.json()["rows"]}
    assert rows[2]["outcome"] == "added" and "formulas" in rows[3]["problems"][0]["en"]


def test_files_that_are_not_what_they_say_get_a_clear_4xx(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    cases = [("a.xlsx", b"not a zip at all"), ("a.csv", b"PK\x03\x04binary"), ("a.csv", b""),
             ("a.pdf", b"%PDF-1.4"), ("a.csv", "地区,值\n嘉善,1\n".encode())]  # fmt: skip
    for name, data in cases:
        response = client.post("/api/v1/imports", files={"file": (name, data)}, headers=headers)
        assert response.status_code in (400, 422), (name, response.status_code, response.text)
        assert response.json()["detail_zh"] and response.json()["detail_en"]


def test_a_hundredfold_jump_needs_confirmation(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    client.post("/api/v1/observations", json=gdp(year=2022, value=850), headers=headers)
    slip = client.post("/api/v1/observations", json=gdp(year=2023, value=85000), headers=headers)
    assert slip.status_code == 422 and slip.json()["rows"][0]["outcome"] == "needs_confirmation"
    confirmed = client.post(
        "/api/v1/observations", json=gdp(year=2023, value=85000, confirm=True), headers=headers
    )
    assert confirmed.status_code == 201


def test_unknown_indicator_gets_a_suggestion(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    response = client.post("/api/v1/observations", json=gdp(indicator="研发投入强", value=3), headers=headers)
    assert "did you mean rd_intensity" in response.json()["rows"][0]["problems"][0]["en"]


def test_a_retried_request_with_the_same_idempotency_key_is_harmless(
    client: TestClient, session: Session
) -> None:
    _, headers = create_user(session)
    keyed = {**headers, "Idempotency-Key": "upload-42"}
    first = client.post("/api/v1/observations", json=gdp(), headers=keyed)
    second = client.post("/api/v1/observations", json=gdp(), headers=keyed)
    assert first.status_code == 201 and second.status_code in (200, 201)
    assert second.json()["batch_id"] == first.json()["batch_id"] and stored(session) == 1
    other = client.post("/api/v1/observations", json=gdp(value=1), headers=keyed)
    assert other.status_code == 409


def test_malformed_json_is_a_4xx_problem(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    response = client.post(
        "/api/v1/observations", content=b"{not json", headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 422 and response.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_a_later_row_with_a_reason_revises_an_earlier_row_of_the_same_batch(
    client: TestClient, session: Session
) -> None:
    _, headers = create_user(session)
    batch = {"observations": [gdp(value=880, status="preliminary"),
                              gdp(value=884, status="final", revision_reason="年报"), gdp(year=2023, value=850)]}  # fmt: skip
    response = client.post("/api/v1/observations", json=batch, headers=headers)
    assert response.status_code == 201 and response.json()["counts"]["revised"] == 1
    versions = client.get("/api/v1/observations/history",
                          params={"indicator": "gdp", "region": "330421", "period": 2024}).json()["items"]  # fmt: skip
    assert [v["value"] for v in versions] == [880, 884] and versions[1]["supersedes"] == versions[0]["id"]
    latest = client.get(
        "/api/v1/observations", params={"indicator": "gdp", "region": "330421", "period": 2024}
    )
    assert [i["value"] for i in latest.json()["items"]] == [884]


def test_an_editor_limited_to_indicators_cannot_write_others(client: TestClient, session: Session) -> None:
    from service.db.models import Role
    from service.domain import users
    from tests.support.factories import NOW

    user = users.create_user(session, username="gdp-only", role=Role.EDITOR, region_codes=["330421"],
                             indicator_codes=["gdp"], now=NOW)  # fmt: skip
    headers = {"Authorization": f"Bearer {users.issue_token(session, user, now=NOW)}"}
    session.commit()
    assert client.post("/api/v1/observations", json=gdp(), headers=headers).status_code == 201
    other = client.post("/api/v1/observations", json=gdp(indicator="rd_intensity", value=3.1, unit="%"),
                        headers=headers)  # fmt: skip
    assert other.status_code == 422 and "may not write the indicator rd_intensity" in other.text


def test_a_retraction_is_a_new_version_without_a_value(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    client.post("/api/v1/observations", json=gdp(value=880), headers=headers)
    no_reason = client.post(
        "/api/v1/observations", json={**gdp(value=None), "status": "retracted"}, headers=headers
    )
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.text
    retracted = client.post("/api/v1/observations",
                            json={**gdp(value=None), "status": "retracted", "revision_reason": "口径错误"},
                            headers=headers)  # fmt: skip
    assert retracted.status_code == 200 and retracted.json()["counts"]["revised"] == 1
    versions = client.get("/api/v1/observations/history",
                          params={"indicator": "gdp", "region": "330421", "period": 2024}).json()["items"]  # fmt: skip
    assert [(v["value"], v["status"]) for v in versions] == [(880, "final"), (None, "retracted")]
    nothing = client.post("/api/v1/observations", json={**gdp(year=2001, value=None), "status": "retracted",
                                                        "revision_reason": "x"}, headers=headers)  # fmt: skip
    assert nothing.status_code == 422 and "no stored value" in nothing.text
