"""The review API (数据审核) on both databases: the switch, the queue, approve / return / resubmit by id
or by import batch, revision requests, and the editor's e-mail when a figure is returned."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import OutboxMessage
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


def test_review_off_by_default_steps_are_refused_with_a_reason(client: TestClient, session: Session) -> None:
    _, editor = create_user(session, username="js-editor", regions=("330421",))
    _, reviewer = create_user(session, username="jx-reviewer", role="reviewer", regions=("330400",))
    assert client.get("/api/v1/reviews/policy", headers=editor).json()["enabled"] is False
    stored = client.post("/api/v1/observations", json=gdp(), headers=editor)
    assert stored.status_code == 201 and "review" not in stored.json()
    refused = client.post(
        "/api/v1/reviews/approve", json={"batch_id": stored.json()["batch_id"]}, headers=reviewer
    )
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["detail_zh"] and body["detail_en"]
    # only an administrator switches review on
    forbidden = client.put("/api/v1/reviews/policy", json={"enabled": True}, headers=editor)
    assert forbidden.status_code == 403 and "administrator" in forbidden.json()["detail_en"]


def test_from_entry_to_approval_by_batch(client: TestClient, session: Session) -> None:
    h = setup_office(client, session)
    sent = client.post("/api/v1/observations", json={"observations": [gdp(year=2023, value=851), gdp()]},
                       headers=h["editor"])  # fmt: skip
    assert sent.status_code == 201
    assert sent.json()["review"] == {"state": "submitted", "figures": 2, "revision_requests": 0}
    queue = client.get("/api/v1/reviews/queue", headers=h["reviewer"]).json()["items"]
    assert [(i["period"], i["value"]) for i in queue] == [(2023, "851"), (2024, "880.5")]
    assert queue[1]["neighbours"] == {"2023": "851"} and queue[0]["entered_by"] == "js-editor"
    # the editor sees nothing to review; the reviewer approves the whole batch at once
    assert client.get("/api/v1/reviews/queue", headers=h["editor"]).json()["items"] == []
    done = client.post(
        "/api/v1/reviews/approve", json={"batch_id": sent.json()["batch_id"]}, headers=h["reviewer"]
    )
    assert done.status_code == 200 and done.json()["count"] == 2
    assert client.get("/api/v1/reviews/queue", headers=h["reviewer"]).json()["items"] == []
    history = client.get(f"/api/v1/reviews/history/{queue[1]['observation_id']}", headers=h["editor"]).json()
    assert [s["state"] for s in history["versions"][-1]["review"]] == ["submitted", "approved"]
    assert history["versions"][-1]["review"][1]["by"] == "jx-reviewer"


def test_scope_and_bad_requests_get_4xx_in_both_languages(client: TestClient, session: Session) -> None:
    h = setup_office(client, session)
    qp = client.post("/api/v1/observations", json=gdp(region="青浦区"), headers=h["qp"]).json()
    ids = [
        i["observation_id"] for i in client.get("/api/v1/reviews/queue", headers=h["admin"]).json()["items"]
    ]
    refused = client.post("/api/v1/reviews/approve", json={"observation_ids": ids}, headers=h["reviewer"])
    assert refused.status_code == 403
    assert "青浦区" in refused.json()["errors"][0]["detail_zh"]
    assert client.post("/api/v1/reviews/approve", json={"batch_id": qp["batch_id"]},
                       headers=h["editor"]).status_code == 403  # fmt: skip
    both = client.post(
        "/api/v1/reviews/approve", json={"observation_ids": ids, "batch_id": 1}, headers=h["admin"]
    )
    assert both.status_code == 422 and "batch_id" in both.json()["detail_en"]
    missing = client.post("/api/v1/reviews/approve", json={"observation_ids": [2**40]}, headers=h["admin"])
    assert missing.status_code == 404 and missing.json()["detail_zh"]
    no_reason = client.post("/api/v1/reviews/return", json={"observation_ids": ids}, headers=h["admin"])
    assert no_reason.status_code == 422 and "comment" in no_reason.json()["detail_en"]
    assert client.get("/api/v1/reviews/history/999999999", headers=h["admin"]).status_code == 404


def test_a_returned_figure_tells_its_editor_exactly_once(client: TestClient, session: Session) -> None:
    h = setup_office(client, session)
    client.post("/api/v1/observations", json=gdp(value="88.05"), headers=h["editor"])
    oid = client.get("/api/v1/reviews/queue", headers=h["reviewer"]).json()["items"][0]["observation_id"]
    back = client.post("/api/v1/reviews/return", json={"observation_ids": [oid], "comment": "单位疑误 <b>x</b>"},
                       headers=h["reviewer"])  # fmt: skip
    assert back.status_code == 200
    again = client.post("/api/v1/reviews/return", json={"observation_ids": [oid], "comment": "再次"},
                        headers=h["reviewer"])  # fmt: skip
    assert again.status_code == 409 and "returned" in again.json()["errors"][0]["detail_en"]
    mails = session.scalars(
        select(OutboxMessage).where(OutboxMessage.message_key.like("review-returned:%"))
    ).all()
    assert len(mails) == 1 and mails[0].to_addr == "js-editor@example.gov.cn"
    assert "单位疑误" in mails[0].body_text and "&lt;b&gt;" in (mails[0].body_html or "")
    assert "<b>x</b>" not in (mails[0].body_html or "")
    (mine,) = client.get("/api/v1/reviews/returned", headers=h["editor"]).json()["items"]
    assert mine["observation_id"] == oid and mine["comment"] == "单位疑误 <b>x</b>"
    assert client.get("/api/v1/reviews/returned", headers=h["qp"]).json()["items"] == []
    # the editor resubmits it with an explanation; it is back in the queue
    resub = client.post("/api/v1/reviews/resubmit", json={"observation_ids": [oid], "comment": "已核对年鉴"},
                        headers=h["editor"])  # fmt: skip
    assert resub.status_code == 200
    assert [i["observation_id"] for i in client.get("/api/v1/reviews/queue", headers=h["reviewer"]).json()["items"]] \
        == [oid]  # fmt: skip


def test_a_revision_request_leaves_the_approved_value_in_force(client: TestClient, session: Session) -> None:
    h = setup_office(client, session)
    sent = client.post("/api/v1/observations", json=gdp(), headers=h["editor"]).json()
    client.post("/api/v1/reviews/approve", json={"batch_id": sent["batch_id"]}, headers=h["reviewer"])
    no_reason = client.post("/api/v1/reviews/revisions", json={"observations": [gdp(value="901")]},
                            headers=h["editor"])  # fmt: skip
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail_en"]
    asked = client.post(
        "/api/v1/reviews/revisions",
        json={"observations": [gdp(value="901", revision_reason="年报核实")]},
        headers=h["editor"],
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["review"]["revision_requests"] == 1
    item = client.get("/api/v1/reviews/queue", headers=h["reviewer"]).json()["items"][0]
    assert item["revision_request"] is True and item["value_in_force"] == "880.5" and item["value"] == "901"


def test_a_locked_figure_is_not_changed_by_an_editors_write_on_any_path(
    client: TestClient, session: Session
) -> None:
    import re

    from service.db.models import Role
    from service.domain import users
    from tests.support.factories import NOW

    h = setup_office(client, session)
    users.create_user(session, username="js-web", role=Role.EDITOR, region_codes=["330421"],
                               password="pw-123456", now=NOW)  # fmt: skip
    session.commit()
    sent = client.post("/api/v1/observations", json=gdp(), headers=h["editor"]).json()
    assert client.post("/api/v1/reviews/approve", json={"batch_id": sent["batch_id"]},
                       headers=h["reviewer"]).status_code == 200  # fmt: skip

    def official() -> list[str]:
        items = client.get("/api/v1/observations", params={"indicator": "gdp", "region": "330421", "period": 2024,
                                                           "view": "official"}, headers=h["admin"]).json()["items"]  # fmt: skip
        return [i["value"] for i in items if i["status"] != "plan_baseline"]

    before = official()
    assert len(before) == 1 and float(before[0]) == 880.5
    # the API
    api = client.post(
        "/api/v1/observations", json=gdp(value="901", revision_reason="年报核实"), headers=h["editor"]
    )
    assert api.status_code == 200 and api.json()["review"]["revision_requests"] == 1
    assert official() == before
    # the web form and a file upload, as another editor of 嘉善县
    login = client.post("/login", data={"username": "js-web", "password": "pw-123456", "next": "/entry"},
                        follow_redirects=False)  # fmt: skip
    assert login.status_code == 303
    page = client.get("/entry?region=330421&year=2024")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = client.post("/entry", data={"csrf": csrf, "region": "330421", "year": "2024", "value_gdp": "902",
                                       "reason_gdp": "再核实", "status": "final"})  # fmt: skip
    assert form.status_code == 200, form.text
    assert official() == before
    csv_bytes = (
        "indicator,region,year,value,unit,revision_reason\ngdp,嘉善县,2024,903,亿元,按年鉴更正\n".encode()
    )
    upload = client.post("/upload", data={"csrf": csrf}, files={"file": ("js.csv", csv_bytes, "text/csv")})
    assert upload.status_code == 200, upload.text
    assert official() == before
    # the latest correction waits in the queue as a revision request of the value in force
    (item,) = client.get("/api/v1/reviews/queue", headers=h["reviewer"]).json()["items"]
    assert item["value"] == "903" and item["revision_request"] is True and item["value_in_force"] == "880.5"


def test_hostile_review_requests_never_get_a_5xx(client: TestClient, session: Session) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    h = setup_office(client, session)
    sent = client.post("/api/v1/observations", json=gdp(), headers=h["editor"]).json()
    leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30), st.just("\x00"), st.just(sent["batch_id"]))  # fmt: skip
    junk = st.recursive(leaf, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                        max_leaves=8)  # fmt: skip
    body = (
        st.fixed_dictionaries({}, optional={"observation_ids": junk, "batch_id": junk, "comment": junk})
        | junk
    )
    paths = st.sampled_from(["approve", "return", "resubmit", "revisions"])
    who = st.sampled_from(["reviewer", "editor", "admin", "qp"])

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
    @given(path=paths, payload=body, user=who)
    def check(path: str, payload: object, user: str) -> None:
        response = client.post(f"/api/v1/reviews/{path}", json=payload, headers=h[user])
        assert response.status_code < 500, (path, payload, response.text)
        if response.status_code >= 400:
            problem = response.json()
            assert problem["detail_zh"] and problem["detail_en"], problem

    check()
    for bad in ("0", "-1", "abc", str(2**70)):
        assert client.get(f"/api/v1/reviews/history/{bad}", headers=h["admin"]).status_code == 422
