"""Progress digests end to end on both databases: subscribe through the API, enter data, run reports, queue
in the after-run hook, deliver to a real SMTP server, read the MIME, and unsubscribe by the link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import DeliveryLog, OutboxMessage, ReportRun, Subscription, User, WritePath
from service.domain.observations import ObservationInput, ingest
from service.notify.digest import queue_after_run_digests, queue_periodic_digests
from service.reports.engine import run_report
from tests.support.databases import PreparedDatabases
from tests.support.notify import BASE, client_for, deliver, parts, person, settings_for
from tests.support.smtp import Inbox, smtp_server
from tools.digest_example import build_example

T1 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
T3 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)

RD = "yrd-outline-2019/rd-intensity-2025"


@pytest.fixture
def app_client(session: Session, db_url: str) -> Iterator[TestClient]:
    with client_for(session, db_url) as c:
        yield c


def enter(session: Session, user: User, rows: list[tuple], when: dt.datetime) -> None:
    inputs = [
        ObservationInput(row=n, indicator=i, region=r, period=y, value=v, unit=u, confirm=True)
        for n, (i, r, y, v, u) in enumerate(rows, 1)
    ]
    assert ingest(session, user, inputs, path=WritePath.API, now=when).applied


def test_a_digest_after_a_run_reaches_the_subscriber_and_unsubscribing_stops_them(
    session: Session, app_client: TestClient, db_url: str
) -> None:
    admin, _ = person(session, "admin", "admin", "admin@example.org")
    _, headers = person(session, "leader", "viewer", "leader@example.org")
    created = app_client.post(
        "/api/v1/subscriptions",
        headers=headers,
        json={"plan_codes": ["yrd-outline-2019"], "region_codes": ["长三角"]},
    )
    assert created.status_code == 201, created.text
    sub_id = created.json()["id"]
    assert created.json()["region_codes"] == ["Z-YRD"] and created.json()["language"] == "zh"
    enter(
        session,
        admin,
        [("rd_intensity", "Z-YRD", y, v, "%") for y, v in ((2018, 2.75), (2020, 2.88), (2022, 2.97))]
        + [("rd_intensity", "Z-DEMO", 2023, 3.52, "%")],
        T1,
    )
    first = run_report(session, as_of=T1, now=T1, trigger="nightly")
    # the first run ever: nothing to compare with, so nothing changed
    assert queue_after_run_digests(session, first, settings_for(db_url), now=T1) == 0
    enter(
        session,
        admin,
        [("rd_intensity", "Z-YRD", 2024, 3.08, "%"), ("rd_intensity", "Z-DEMO", 2024, 3.55, "%")],
        T2,
    )
    second = run_report(session, as_of=T2, now=T2, trigger="nightly")
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = settings_for(db_url, port)
        assert queue_after_run_digests(session, second, settings, now=T2) == 1
        assert queue_after_run_digests(session, second, settings, now=T2) == 0  # once per run
        queued = session.scalars(select(OutboxMessage).where(OutboxMessage.subscription_id == sub_id)).one()
        assert queued.message_key == f"digest:{sub_id}:run:{second.id}" and queued.status == "queued"
        deliver(session, settings)
    (message,) = inbox.messages
    assert message["To"] == "leader@example.org" and str(message["From"]).endswith("<yrdmon@yrdmon.test>")
    assert message["Subject"] == "【规划目标监测】1项目标有变化 · 截至2026-06-01"
    assert message["Message-ID"] == queued.headers["Message-ID"]
    link = re.fullmatch(r"<(\S+)>", str(message["List-Unsubscribe"]).strip())
    assert link is not None and link.group(1).startswith(f"{BASE}/api/v1/unsubscribe/{sub_id}.")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    # what changed first, with the reason in words, then the summary, then every target in scope
    assert text.index("自上次摘要以来的变化") < text.index("按状态汇总") < text.index("各项目标")
    # (as of 2026 the 2025 target had no value for 2025 or later in the first run: no verdict, 数据不足)
    assert "新实现的目标（1）" in text and "数据不足 → ★ 提前实现；原因：新数据" in text
    assert "2022年 2.97% → 2024年 3.08%" in text and f"{BASE}/targets/{RD}" in text
    assert "最新值：2024年 3.08%；目标：≥3%（2025年）" in text and "所需增速：已实现，无需追赶" in text
    assert "demo-zone" not in text and "长三角中心区" not in text  # out of scope: other plan, other region
    assert link.group(1) in text and link.group(1) in html
    # the HTML part: colour and word together, progress bars as inline-styled tables, nothing external
    assert "background:#009E73" in html and "★ 提前实现" in html and "序时进度" in html
    assert re.search(r'<td width="\d+" height="10" bgcolor="#009E73"', html)  # a progress bar
    assert f'href="{BASE}/targets/{RD}"' in html
    for banned in ("<script", "<img", "<style", "<link", "src=", "url("):
        assert banned not in html
    session.expire_all()
    sent = session.get(OutboxMessage, queued.id)
    assert sent is not None and sent.status == "sent"
    assert [
        e.outcome for e in session.scalars(select(DeliveryLog).where(DeliveryLog.message_id == queued.id))
    ] == ["sent"]
    # the link from the e-mail, without logging in: a confirmation page, then the unsubscribe itself
    path = urlparse(link.group(1)).path
    page = app_client.get(path)
    assert page.status_code == 200 and "确认停止向" in page.text and 'method="post"' in page.text
    assert session.get(Subscription, sub_id).active  # type: ignore[union-attr]  # a GET changes nothing
    done = app_client.post(path)
    assert done.status_code == 200 and "已退订" in done.text
    session.expire_all()
    assert not session.get(Subscription, sub_id).active  # type: ignore[union-attr]
    assert "已经退订" in app_client.get(path).text
    enter(session, admin, [("rd_intensity", "Z-YRD", 2025, 3.12, "%")], T3)
    third = run_report(session, as_of=T3, now=T3, trigger="nightly")
    assert queue_after_run_digests(session, third, settings_for(db_url), now=T3) == 0
    assert session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_addr == "leader@example.org")
    ).all() == [sent]


def test_one_click_unsubscribe_and_forged_links(session: Session, app_client: TestClient) -> None:
    _, headers = person(session, "reader", "viewer", "reader@example.org")
    url = app_client.post("/api/v1/subscriptions", headers=headers, json={"cadence": "weekly"}).json()[
        "unsubscribe_url"
    ]
    path = urlparse(url).path
    sub_id = int(path.rsplit("/", 1)[1].split(".")[0])
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for bad in (forged, "/api/v1/unsubscribe/999999.abc", "/api/v1/unsubscribe/nonsense"):
        assert app_client.post(bad).status_code == 404
    assert session.get(Subscription, sub_id).active  # type: ignore[union-attr]
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, with no cookie and no login
    response = app_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    session.expire_all()
    assert not session.get(Subscription, sub_id).active  # type: ignore[union-attr]


def test_no_email_when_nothing_changed_but_weekly_digests_still_go(session: Session, db_url: str) -> None:
    admin, _ = person(session, "admin", "admin", "admin@example.org")
    from service.notify.subscriptions import SubscriptionRequest, create_subscription

    def subscribe(address: str, **kw: object) -> Subscription:
        return create_subscription(session, None, SubscriptionRequest(email=address, **kw), now=T1)  # type: ignore[arg-type]

    everything = subscribe("all@example.org")
    demo = subscribe("demo@example.org", plan_codes=["demo-zone-industry-2023"])
    # (scoped to a plan in force all along: the 十五五 plans issued between T1 and T2 come into force in between)
    weekly = subscribe("weekly@example.org", cadence="weekly", language="en", plan_codes=["yrd-outline-2019"])
    enter(
        session,
        admin,
        [("rd_intensity", "Z-YRD", y, v, "%") for y, v in ((2018, 2.75), (2020, 2.88), (2022, 2.97))],
        T1,
    )
    settings = settings_for(db_url)
    first = run_report(session, as_of=T1, now=T1, trigger="nightly")
    again = run_report(session, as_of=T1, now=T2, trigger="nightly")  # same data: nothing changed
    assert queue_after_run_digests(session, again, settings, now=T2) == 0
    enter(session, admin, [("rd_intensity", "Z-YRD", 2024, 3.08, "%")], T2)
    changed = run_report(session, as_of=T2, now=T2, trigger="nightly")
    # only the subscriber whose scope changed
    assert queue_after_run_digests(session, changed, settings, now=T2) == 1
    to = {m.to_addr for m in session.scalars(select(OutboxMessage))}
    assert to == {"all@example.org"} and everything.last_run_id == changed.id
    assert demo.last_run_id == first.id  # its next digest will report everything since then
    # weekly: once per week, changes or not; the first compares with the run before
    monday = dt.datetime(2026, 6, 8, 1, tzinfo=dt.UTC)
    assert queue_periodic_digests(session, settings, now=monday) == 1
    assert queue_periodic_digests(session, settings, now=monday + dt.timedelta(days=3)) == 0
    assert queue_periodic_digests(session, settings, now=monday + dt.timedelta(days=7)) == 1
    keys = sorted(
        m.message_key
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.subscription_id == weekly.id))
    )
    assert keys == [f"digest:{weekly.id}:weekly:2026-W24", f"digest:{weekly.id}:weekly:2026-W25"]
    first_mail, second_mail = sorted(
        session.scalars(select(OutboxMessage).where(OutboxMessage.subscription_id == weekly.id)),
        key=lambda m: m.message_key,
    )
    assert (
        first_mail.subject.startswith("[YRD plan monitoring] 1 targets changed")
        and "Newly achieved" in first_mail.body_text
    )
    assert "Nothing in your scope has changed since your last digest." in second_mail.body_text
    assert second_mail.subject == "[YRD plan monitoring] Progress digest · as of 2026-06-01"
    assert "Achieved early" in second_mail.body_text and "List-Unsubscribe" in second_mail.headers


def test_preview_renders_without_sending(session: Session, app_client: TestClient) -> None:
    admin, admin_headers = person(session, "admin", "admin", "admin@example.org")
    _, headers = person(session, "leader", "viewer", "leader@example.org")
    _, other = person(session, "other", "viewer", "other@example.org")
    sub_id = app_client.post("/api/v1/subscriptions", headers=headers, json={"language": "en"}).json()["id"]
    preview = f"/api/v1/subscriptions/{sub_id}/preview"
    assert app_client.get(preview, headers=headers).status_code == 404  # no run yet
    enter(session, admin, [("rd_intensity", "Z-YRD", y, v, "%") for y, v in ((2018, 2.75), (2022, 2.97))], T1)
    run_report(session, as_of=T1, now=T1)
    session.commit()
    page = app_client.get(preview, headers=headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Plan-target monitoring · progress digest" in page.text and "Insufficient data" in page.text
    text = app_client.get(preview, params={"format": "text"}, headers=headers)
    assert text.headers["content-type"].startswith("text/plain") and "Summary by status" in text.text
    assert app_client.get(preview, headers=other).status_code == 403
    assert app_client.get(preview, headers=admin_headers).status_code == 200
    assert session.scalars(select(OutboxMessage)).all() == []
    assert session.get(Subscription, sub_id).last_run_id is None  # type: ignore[union-attr]


def test_the_example_digest_shows_every_kind_of_change(prepared: PreparedDatabases, db_kind: str) -> None:
    # a database of its own whose catalog was recorded before the example's runs (early 2025), as
    # `python -m tools.digest_example` builds it: a run's recording cut-off excludes what came later
    from service.db.session import make_engine, make_sessionmaker
    from tools.digest_example import FIRST

    url = prepared.catalogued(db_kind, now=FIRST - dt.timedelta(days=60))
    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    try:
        digest = build_example(session, settings_for(url))
    finally:
        session.rollback()
        session.close()
        engine.dispose()
    text, html = digest.text, digest.html
    assert digest.subject == "【规划目标监测】6项目标有变化 · 截至2025-06-01" and digest.targets == 21
    for words in (
        "新实现的目标（2）",
        "新落后于序时进度的目标（2）",
        "其他状态变化（1）",
        "其他更新（状态未变）（1）",
        "原因：新数据",
        "原因：目标调整、数据修订",
        "时间进度 67%，完成进度 50%（慢于序时进度 17 个百分点）",
        "今后每年需增长 4.2%（此前实际年均 2.2%）",
    ):
        assert words in text, words
    assert "◆ 略滞后" in html and "background:#F0E442" in html and "<script" not in html


def test_a_snapshot_of_a_past_date_sends_no_digest(session: Session, db_url: str) -> None:
    from service.notify.subscriptions import SubscriptionRequest, create_subscription

    admin, _ = person(session, "admin", "admin", "admin@example.org")
    create_subscription(session, None, SubscriptionRequest(email="all@example.org"), now=T1)
    enter(session, admin, [("rd_intensity", "Z-YRD", y, v, "%") for y, v in ((2018, 2.75), (2022, 2.97))], T1)
    settings = settings_for(db_url)
    run_report(session, as_of=T1, now=T1, trigger="nightly")
    enter(session, admin, [("rd_intensity", "Z-YRD", 2024, 3.08, "%")], T2)
    snapshot = run_report(session, as_of=T1 + dt.timedelta(days=30), now=T2, trigger="api")
    assert queue_after_run_digests(session, snapshot, settings, now=T2) == 0
    current = run_report(session, as_of=T2, now=T2, trigger="nightly")
    assert queue_after_run_digests(session, current, settings, now=T2) == 1


def test_incremental_runs_do_not_send_a_digest_per_figure_and_lose_no_change(
    session: Session, app_client: TestClient, db_url: str
) -> None:
    """Each figure entered starts an incremental run within a second or two: a subscriber who had a
    digest within ``digest_quiet_minutes`` is not sent another one per figure; the next digest after
    the quiet time reports every change since the last one."""
    from service.reports.engine import run_report_now

    admin, _ = person(session, "admin", "admin", "admin@example.org")
    _, headers = person(session, "leader", "viewer", "leader@example.org")
    sub = app_client.post("/api/v1/subscriptions", headers=headers, json={"region_codes": ["Z-YRD"]}).json()[
        "id"
    ]
    settings = settings_for(db_url)

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def figure(year: int, value: float) -> None:
        enter(session, admin, [("rd_intensity", "Z-YRD", year, value, "%")], now())

    enter(
        session, admin, [("rd_intensity", "Z-YRD", y, v, "%") for y, v in ((2018, 2.75), (2020, 2.88))], now()
    )
    base = run_report_now(session, trigger="data")  # a full run covers everything so far
    queue_after_run_digests(session, base, settings, now=now())
    figure(2022, 2.97)
    second = run_report_now(session, trigger="data")
    assert queue_after_run_digests(session, second, settings, now=now()) == 1
    assert session.get(Subscription, sub).last_run_id == second.id  # type: ignore[union-attr]

    def incremental() -> ReportRun:
        run = run_report_now(session, trigger="data", incremental=True)
        assert (run.summary or {}).get("scope", {}).get("kind") == "incremental"
        return run

    # one more figure: its incremental run queues nothing (a digest went out just now)
    figure(2023, 3.02)
    assert queue_after_run_digests(session, incremental(), settings, now=now()) == 0
    assert session.get(Subscription, sub).last_run_id == second.id  # type: ignore[union-attr]
    # after the quiet time the next run's digest reports both (compared with the last digest's run)
    figure(2024, 3.08)
    later = incremental()
    after_quiet = now() + dt.timedelta(minutes=settings.digest_quiet_minutes + 1)
    assert queue_after_run_digests(session, later, settings, now=after_quiet) == 1
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.message_key == f"digest:{sub}:run:{later.id}")
    ).one()
    assert "2024" in message.body_text
