"""The review pages (数据审核) through the real app on both databases: a district editor's figures go to
a city reviewer's queue with their flags and neighbouring years, are returned (CSRF, scopes, reasons),
corrected and approved as a batch; the history page shows every step, escaped."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Observation, Role
from service.domain import review, users
from tests.support.factories import NOW

PASSWORD = "pw-123456"


def as_user(client: TestClient, username: str) -> str:
    """Log in (ending any earlier login) and return the session's CSRF token (from the subscriptions page,
    which every logged-in user has)."""
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/review"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    assert client.get("/review").status_code == 200
    page = client.get("/subscriptions")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def ids_on(page: str, table: str) -> list[int]:
    if f'id="{table}"' not in page:
        return []
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [int(x) for x in re.findall(r'data-id="(\d+)"', body)]


def test_entry_to_approval_through_the_pages(client: TestClient, session: Session) -> None:
    for name, role, regions in (("js", Role.EDITOR, ["330421"]), ("jx", Role.REVIEWER, ["330400"]),
                                ("shr", Role.REVIEWER, ["310000"]), ("office", Role.ADMIN, [])):  # fmt: skip
        users.create_user(session, username=name, role=role, region_codes=regions, password=PASSWORD, now=NOW)
    review.set_policy(session, enabled=True, actor=None, now=NOW)
    session.commit()

    csrf = as_user(client, "js")
    page = client.get("/review")
    assert "退回给我的数据" in page.text and "review-queue" not in page.text
    entry = client.get("/entry?region=330421&year=2024")
    csrf = re.search(r'name="csrf" value="([^"]+)"', entry.text).group(1)  # type: ignore[union-attr]
    for year, value in (("2023", "851"), ("2024", "85.05")):
        sent = client.post("/entry", data={"csrf": csrf, "region": "330421", "year": year, "value_gdp": value,
                                           "confirm_gdp": "1", "status": "final"})  # fmt: skip
        assert sent.status_code == 200, sent.text

    csrf = as_user(client, "jx")
    page = client.get("/review").text
    queued = ids_on(page, "review-queue")
    assert len(queued) == 2
    assert "相差 10 倍以上" in page  # 85.05 against 2023's 851: a unit slip flagged for the reviewer
    first, second = queued  # 2023, 2024 (ordered by year)
    forged = client.post(
        "/review", data={"csrf": "forged", "action": "return", "id": [second], "comment": "x"}
    )
    assert forged.status_code == 403
    no_reason = client.post("/review", data={"csrf": csrf, "action": "return", "id": [second], "comment": ""})
    assert no_reason.status_code == 422 and "须填写意见" in no_reason.text
    returned = client.post("/review", data={"csrf": csrf, "action": "return", "id": [second],
                                            "comment": "单位疑误 <script>alert(1)</script>"},
                           follow_redirects=False)  # fmt: skip
    assert returned.status_code == 303 and "done=1" in returned.headers["location"]

    csrf = as_user(client, "shr")  # a Shanghai reviewer sees nothing of 嘉善县 and cannot approve it
    assert "queue-empty" in client.get("/review").text
    refused = client.post("/review", data={"csrf": csrf, "action": "approve", "id": [first]})
    assert refused.status_code == 403 and "嘉善县" in refused.text

    csrf = as_user(client, "js")
    page = client.get("/review").text
    assert ids_on(page, "returned") == [second]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    entry = client.get("/entry?region=330421&year=2024")
    csrf = re.search(r'name="csrf" value="([^"]+)"', entry.text).group(1)  # type: ignore[union-attr]
    fixed = client.post("/entry", data={"csrf": csrf, "region": "330421", "year": "2024", "value_gdp": "850.5",
                                        "reason_gdp": "单位更正", "status": "final"})  # fmt: skip
    assert fixed.status_code == 200, fixed.text

    csrf = as_user(client, "jx")
    page = client.get("/review").text
    corrected = [i for i in ids_on(page, "review-queue") if i != first]
    assert len(corrected) == 1
    batch_id = session.scalar(select(Observation.batch_id).where(Observation.id == corrected[0]))
    assert f'id="batch-{batch_id}"' in page
    whole = client.post("/review", data={"csrf": csrf, "action": "approve", "batch": str(batch_id)},
                        follow_redirects=False)  # fmt: skip
    assert whole.status_code == 303
    done = client.post(
        "/review", data={"csrf": csrf, "action": "approve", "id": [first]}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "queue-empty" in client.get("/review").text

    history = client.get(f"/review/history/{corrected[0]}")
    assert history.status_code == 200
    text = history.text
    assert (
        text.count('class="step"') == 4
    )  # returned version: submitted, returned; correction: submitted, approved
    assert "退回" in text and "已审核" in text and "&lt;script&gt;" in text
    assert " UTC" not in text and re.search(
        r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", text
    )  # Beijing time, in words
    english = client.get(f"/review/history/{corrected[0]}?lang=en").text
    assert "approved" in english and "returned" in english


def test_viewers_and_anonymous_visitors_are_kept_out(client: TestClient, session: Session) -> None:
    assert client.get("/review", follow_redirects=False).status_code == 303
    users.create_user(session, username="v", role=Role.VIEWER, password=PASSWORD, now=NOW)
    session.commit()
    client.post("/login", data={"username": "v", "password": PASSWORD, "next": "/"})
    refused = client.get("/review")
    assert refused.status_code == 403 and "审核员" in refused.text
