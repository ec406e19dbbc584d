"""The API over the catalog: health, OpenAPI, targets with filters and pagination, errors."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_reports_the_loaded_catalog(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["plans"] >= 5 and body["targets"] >= 50


def test_openapi_lists_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/targets" in spec["paths"] and "/healthz" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_targets_filter_by_plan_region_indicator_and_year(client: TestClient) -> None:
    page = client.get(
        "/api/v1/targets", params={"plan": "demo-zone-industry-2023", "indicator": "rd_intensity"}
    ).json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["value"] == 3.7 and item["comparator"] == "~" and item["region_code"] == "Z-DEMO"
    assert "3.7" in item["source_quote"] and item["source_document"].startswith("000_")
    by_name = client.get("/api/v1/targets", params={"region": "杭州市", "year": 2025}).json()
    assert by_name["total"] > 0 and all(i["region_code"] == "330100" for i in by_name["items"])
    assert all(i["target_year"] == 2025 for i in by_name["items"])


def test_targets_paginate(client: TestClient) -> None:
    first = client.get("/api/v1/targets", params={"limit": 10}).json()
    second = client.get("/api/v1/targets", params={"limit": 10, "offset": 10}).json()
    assert first["total"] == second["total"] > 20
    assert len(first["items"]) == 10 and {i["id"] for i in first["items"]}.isdisjoint(
        i["id"] for i in second["items"]
    )


def test_bad_parameters_get_a_bilingual_problem_not_a_500(client: TestClient) -> None:
    response = client.get("/api/v1/targets", params={"limit": 100000, "year": "abc"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "请求" in body["detail_zh"] and "invalid" in body["detail_en"]
    assert {tuple(e["loc"]) for e in body["errors"]} >= {("query", "limit"), ("query", "year")}
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["detail_zh"]
