"""Server-rendered pages through the real app: content, language, login, CSRF, scopes, escaping."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.db.models import Role
from service.domain import users
from service.reports.engine import run_report
from tests.factories import NOW


def with_run(session: Session) -> None:
    run_report(session, as_of=dt.datetime.now(dt.UTC), now=dt.datetime.now(dt.UTC))
    session.commit()


def login(client: TestClient, session: Session, username: str, role: Role, regions: list[str]) -> str:
    users.create_user(
        session, username=username, role=role, region_codes=regions, password="pw-123456", now=NOW
    )
    session.commit()
    response = client.post("/login", data={"username": username, "password": "pw-123456", "next": "/entry"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/entry"
    page = client.get("/entry?region=330421&year=2024")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_pages_render_in_chinese_and_english(client: TestClient, session: Session) -> None:
    with_run(session)
    zh = client.get("/")
    assert zh.status_code == 200 and "目标达成矩阵" in zh.text and 'lang="zh-CN"' in zh.text
    en = client.get("/?lang=en")
    assert "Attainment grid" in en.text and en.cookies.get("yrdmon_lang") == "en"
    target = client.get("/targets/yrd-outline-2019/rd-intensity-2025")
    assert (
        target.status_code == 200
        and "研发投入强度达到3%以上" in target.text
        and "/static/plotly.min.js" in target.text
    )
    assert client.get("/targets/yrd-outline-2019/rd-intensity-2025/data.csv").text.startswith(
        "\ufeffseries,year,value"
    )
    assert client.get("/indicators/rd_intensity").status_code == 200
    assert "末期评估" in client.get("/plans/yrd-outline-2019/evaluation?lang=zh").text  # the cookie said en
    missing = client.get("/targets/no/such")
    assert missing.status_code == 404
    js = client.get("/static/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert js.status_code == 200 and "immutable" in js.headers["cache-control"]
    assert js.headers.get("content-encoding") == "gzip"


def test_overview_filters_narrow_the_grid(client: TestClient, session: Session) -> None:
    with_run(session)
    everything = client.get("/").text
    hangzhou = client.get("/", params={"plan": "hangzhou-yrd-action-2019"}).text
    assert everything.count('class="cell"') > hangzhou.count('class="cell"') > 0
    assert "南汇新城" in everything and "南汇新城" not in hangzhou.split('id="grid"')[1]


def test_entry_needs_login_and_csrf_and_respects_regions(client: TestClient, session: Session) -> None:
    assert client.get("/entry", follow_redirects=False).status_code == 303
    csrf = login(client, session, "js", Role.EDITOR, ["330421"])
    form = {"csrf": csrf, "region": "330421", "year": "2024", "value_gdp": "880.5", "status": "final"}
    no_token = client.post("/entry", data={**form, "csrf": "forged"})
    assert no_token.status_code == 403
    ok = client.post("/entry", data=form)
    assert ok.status_code == 200 and "added 1" in ok.text
    other = client.post("/entry", data={**form, "region": "310118"})
    assert other.status_code == 422 and "无权填报" in other.text
    revised = client.post("/entry", data={**form, "value_gdp": "884", "reason_gdp": "年报数据"})
    assert revised.status_code == 200 and "revised 1" in revised.text
    assert "/entry/history?indicator=gdp&region=330421&year=2024" in revised.text
    history = client.get("/entry/history", params={"indicator": "gdp", "region": "330421", "year": 2024})
    rows = history.text.split('id="history"')[1]
    assert rows.index("880.5") < rows.index("884") and "年报数据" in rows and rows.count(">js<") == 2


def test_what_users_typed_is_escaped(client: TestClient, session: Session) -> None:
    csrf = login(client, session, "js2", Role.EDITOR, ["330421"])
    evil = "<script>alert(1)</script>"
    csv_bytes = f"指标,地区,年份,数值\n{evil},嘉善县,2024,1\n".encode()
    response = client.post("/upload", data={"csrf": csrf}, files={"file": ("x.csv", csv_bytes, "text/csv")})
    assert response.status_code == 422
    assert evil not in response.text and "&lt;script&gt;" in response.text


def test_viewers_cannot_open_the_entry_form(client: TestClient, session: Session) -> None:
    users.create_user(session, username="v", role=Role.VIEWER, password="pw-123456", now=NOW)
    session.commit()
    client.post("/login", data={"username": "v", "password": "pw-123456"})
    assert client.get("/entry").status_code == 403
    bad = client.post("/login", data={"username": "v", "password": "wrong"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text


def test_subscriptions_page_subscribes_and_unsubscribes(client: TestClient, session: Session) -> None:
    users.create_user(session, username="lead", role=Role.VIEWER, email="lead@example.gov.cn", password="pw-123456",
                      now=NOW)  # fmt: skip
    session.commit()
    client.post("/login", data={"username": "lead", "password": "pw-123456"})
    page = client.get("/subscriptions?lang=zh")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    created = client.post("/subscriptions", data={"csrf": csrf, "plan": "yrd-outline-2019", "regions": "Z-YRD",
                                                  "cadence": "weekly", "language": "zh"})  # fmt: skip
    assert created.status_code == 200 and "lead@example.gov.cn" in created.text and "每周" in created.text
    bad = client.post("/subscriptions", data={"csrf": csrf, "regions": "NOWHERE"})
    assert bad.status_code == 422 and 'id="subscription-error"' in bad.text
    sub_id = re.search(r'name="delete" value="(\d+)"', created.text).group(1)  # type: ignore[union-attr]
    gone = client.post("/subscriptions", data={"csrf": csrf, "delete": sub_id})
    assert gone.status_code == 200 and "lead@example.gov.cn</td>" not in gone.text
    assert client.post("/subscriptions", data={"csrf": "forged", "regions": "Z-YRD"}).status_code == 403
