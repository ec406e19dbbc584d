"""Chat channels (issue 20): 企业微信 / 钉钉 group robots and signed webhooks, against a real HTTP server on
loopback that plays each platform (tests/chat_platforms.py): the body formats and the 钉钉 signature as the
platforms document them, their success and error codes, an outage, and a sender killed mid-batch; the
channel's URL and secret are never shown again, in no page, API answer or log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import stat
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.config import PROJECT_ROOT, Settings
from service.db.models import AuditEntry, DeliveryLog, OutboxMessage, ReportRun, Subscription
from service.db.session import transaction
from service.domain.errors import Invalid
from service.notify import channels
from service.notify.chat import MAX_BYTES, ChatText, Items, enqueue_chat, fit, md
from service.notify.chat_sender import dingtalk_sign
from service.notify.sender import DeliveryPolicy, SmtpTransport, deliver_due
from service.notify.subscriptions import SubscriptionRequest, create_subscription, subscription_record
from tests.support.chat_platforms import Platform
from tests.support.cli import YRDMON
from tests.support.databases import PreparedDatabases
from tests.support.factories import create_user
from tests.support.pgcluster import free_port
from tests.support.web import client_for

T0 = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
FAST = DeliveryPolicy(
    backoff_base=dt.timedelta(minutes=1), backoff_cap=dt.timedelta(minutes=10), max_attempts=5
)
CHANNEL_KEY = Fernet.generate_key().decode()
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2"
DING_SECRET = "SECf00dfeedfacecafebeef0123456789abcdef0123456789abcdef0123456789"
HOOK_SECRET = "office-system-shared-secret-7Qx9"
SECRETS = (WECOM_KEY, DING_TOKEN, DING_SECRET, HOOK_SECRET)
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def chat_settings(**extra: Any) -> Settings:
    values: dict[str, Any] = {
        "secret_key": "chat-test-key",
        "channel_key": CHANNEL_KEY,
        "chat_relay_hosts": "127.0.0.1",
        "base_url": "https://yrdmon.test",
        "smtp_host": "127.0.0.1",
        "smtp_port": 1,
        "mail_from": "规划目标监测 <yrdmon@yrdmon.test>",
        "chat_timeout_seconds": 5,
    }
    return Settings(**{**values, **extra})


def subscribe(session: Session, channel: str, url: str, secret: str | None = None, **kw: Any) -> Subscription:
    return create_subscription(
        session,
        None,
        SubscriptionRequest(channel=channel, url=url, secret=secret, **kw),
        now=T0,
        settings=chat_settings(),
    )


def message(n: int, lang: str = "zh") -> ChatText:
    title = f"规划目标监测 · 测试 {n}" if lang == "zh" else f"Plan-target monitoring · test {n}"
    return ChatText("digest", title, (f"### {title}", f"第 {n} 条"), "https://yrdmon.test/", lang, {"n": n})


# --- entering a channel --------------------------------------------------------------------------


def test_a_channel_is_checked_when_entered_and_then_shown_only_masked() -> None:
    s = chat_settings(chat_relay_hosts="")
    ok = channels.validate(
        "wecom", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}", None, s
    )
    assert channels.label(ok) == "qyapi.weixin.qq.com …5aaa"
    ding = channels.validate(
        "dingtalk", f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}", DING_SECRET, s
    )
    assert ding.secret == DING_SECRET and channels.label(ding) == "oapi.dingtalk.com …b1c2"
    hook = channels.validate("webhook", "https://oa.example.gov.cn/yrdmon/inbox", HOOK_SECRET, s)
    assert channels.label(hook) == "oa.example.gov.cn …nbox"
    refused = {
        "plain http to another host": ("webhook", "http://oa.example.gov.cn/in", HOOK_SECRET),
        "not the platform's host": (
            "wecom",
            f"https://evil.example.com/cgi-bin/webhook/send?key={WECOM_KEY}",
            None,
        ),
        "no key": ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", None),
        "no token": ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=", None),
        "a login in the URL": ("webhook", f"https://user:{HOOK_SECRET}@oa.example.gov.cn/in", HOOK_SECRET),
        "a short webhook secret": ("webhook", "https://oa.example.gov.cn/in", "short"),
        "no webhook secret": ("webhook", "https://oa.example.gov.cn/in", None),
        "a secret for WeCom": (
            "wecom",
            f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
            "SECx",
        ),
        "spaces": ("webhook", "https://oa.example.gov.cn/in put", HOOK_SECRET),
        "no scheme": ("webhook", "oa.example.gov.cn/in", HOOK_SECRET),
        "another channel": ("sms", "https://oa.example.gov.cn/in", HOOK_SECRET),
    }
    for why, (channel, url, secret) in refused.items():
        with pytest.raises(Invalid) as caught:
            channels.validate(channel, url, secret, s)
        words = caught.value.zh + caught.value.en
        assert caught.value.zh and caught.value.en, why
        for value in SECRETS:  # the error names what is wrong, never repeats the secret
            assert value not in words, why
    # a relay host on the intranet, and plain http only to this machine (tests)
    relay = chat_settings(chat_relay_hosts="robot-relay.gov.internal, 127.0.0.1")
    channels.validate(
        "wecom", f"https://robot-relay.gov.internal/cgi-bin/webhook/send?key={WECOM_KEY}", None, relay
    )
    channels.validate("wecom", f"http://127.0.0.1:9/cgi-bin/webhook/send?key={WECOM_KEY}", None, relay)
    with pytest.raises(Invalid, match="https"):
        channels.validate("wecom", f"http://robot-relay.gov.internal/x?key={WECOM_KEY}", None, relay)


def test_secrets_are_encrypted_with_a_key_generated_0600_outside_the_repository(tmp_path: Path) -> None:
    s = Settings(var_dir=tmp_path / "var")
    dest = channels.Destination(
        "dingtalk", f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}", DING_SECRET
    )
    sealed = channels.seal(dest, s)
    key_file = tmp_path / "var" / "channel.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not any(value in sealed for value in SECRETS)
    assert channels.unseal(sealed, s) == dest  # the same key file next time
    with pytest.raises(channels.SealBroken):  # another instance's key cannot read it
        channels.unseal(sealed, chat_settings())


def test_messages_fit_each_platform_and_document_text_cannot_become_markup() -> None:
    name = '嘉善县 · **加粗** [链接](https://evil.example) <font color="warning">注入</font> `代码`'
    items = [f"{md(name)} 第{i}项：◆ 略滞后（时间进度 67%，完成进度 50%）" for i in range(400)]
    for channel in ("wecom", "dingtalk", "webhook"):
        text = fit(
            [
                "### 规划目标监测 · 进展摘要",
                Items("**落后于序时进度的目标（400 项）**", items, lambda shown, total: f"……等{total}项"),
            ],
            channel,
        )
        assert len(text.encode()) <= MAX_BYTES and len(text) <= 5000
        assert text.endswith("……等400项")
        shown = text.count("第")
        assert 10 < shown < 400
        # one more item would not have fitted: the list is as long as the limit allows
        longer = "\n".join(text.splitlines()[:-1]) + f"\n- {items[shown]}\n……等400项"
        assert len(longer.encode()) > MAX_BYTES
        assert "**加粗**" not in text and "[链接]" not in text and "<font" not in text and "`" not in text
        assert "＊＊加粗＊＊" in text and "［链接］" in text and "＜font" in text


# --- delivery to each platform -------------------------------------------------------------------


@pytest.fixture
def chat_outbox(outbox: tuple[str, Any, sessionmaker[Session]]) -> tuple[str, Any, sessionmaker[Session]]:
    with transaction(outbox[2]) as s:
        s.execute(update(OutboxMessage).values(subscription_id=None))
        s.execute(delete(Subscription))
    return outbox


def deliver(sessions: sessionmaker[Session], at: dt.datetime, policy: DeliveryPolicy = FAST) -> Any:
    settings = chat_settings()
    transport = SmtpTransport(settings, timeout=5)
    try:
        return deliver_due(
            lambda: transaction(sessions), transport, settings, clock=lambda: at, policy=policy
        )
    finally:
        transport.close()


def state(sessions: sessionmaker[Session]) -> dict[str, tuple[str, int, list[tuple[str, str | None]]]]:
    """key -> (status, attempts, [(log outcome, code)])."""
    with sessions() as s:
        out: dict[str, tuple[str, int, list[tuple[str, str | None]]]] = {}
        for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            log = [
                (e.outcome, e.code)
                for e in s.scalars(
                    select(DeliveryLog).where(DeliveryLog.message_id == m.id).order_by(DeliveryLog.id)
                )
            ]
            out[m.message_key] = (m.status, m.attempts, log)
        return out


def test_each_platform_gets_its_own_format_signed_as_documented(chat_outbox) -> None:  # type: ignore[no-untyped-def]
    _, _, sessions = chat_outbox
    with Platform(
        wecom_keys={WECOM_KEY},
        dingtalk={DING_TOKEN: DING_SECRET, "unsigned": None},
        hooks={"oa": HOOK_SECRET},
    ) as platform:
        with transaction(sessions) as s:
            subs = [
                subscribe(s, "wecom", platform.wecom_url(WECOM_KEY)),
                subscribe(s, "dingtalk", platform.dingtalk_url(DING_TOKEN), DING_SECRET),
                subscribe(s, "dingtalk", platform.dingtalk_url("unsigned"), language="en"),
                subscribe(s, "webhook", platform.hook_url("oa"), HOOK_SECRET),
            ]
            for sub in subs:
                assert (
                    enqueue_chat(s, sub, message(sub.id, sub.language), key=f"m:{sub.id}", now=T0) is not None
                )
                assert (
                    enqueue_chat(s, sub, message(sub.id), key=f"m:{sub.id}", now=T0) is None
                )  # once per key
        report = deliver(sessions, T0)
        assert (report.sent, report.deferred, report.failed) == (4, 0, 0)
        (wecom,) = platform.delivered("wecom")
        assert wecom.body == {
            "msgtype": "markdown",
            "markdown": {"content": f"### 规划目标监测 · 测试 {subs[0].id}\n\n第 {subs[0].id} 条"},
        }
        signed, unsigned = sorted(platform.delivered("dingtalk"), key=lambda r: r.robot != DING_TOKEN)
        # 钉钉 加签 as documented: timestamp in ms, sign URL-encoded in the query (checked by the server too)
        stamp = int(signed.query["timestamp"][0])
        assert abs(stamp / 1000 - time.time()) < 60
        assert signed.query["sign"] == [dingtalk_sign(DING_SECRET, stamp)]
        assert (
            "sign=" in signed.raw_query and "%" in signed.raw_query.split("sign=")[1]
        )  # '+', '/', '=' encoded
        assert signed.body["msgtype"] == "markdown" and signed.body["markdown"]["title"].startswith(
            "规划目标监测"
        )
        assert "timestamp" not in unsigned.query and unsigned.body["markdown"]["title"].startswith(
            "Plan-target"
        )
        assert unsigned.body["markdown"]["text"].endswith(
            "\n\n— 规划目标监测"
        )  # the keyword robots are set to
        (hook,) = platform.delivered("webhook")
        assert hook.headers["X-Yrdmon-Key"] == f"m:{subs[3].id}" == hook.body["key"]
        assert hook.headers["X-Yrdmon-Signature"].startswith("sha256=") and hook.body["data"] == {
            "n": subs[3].id
        }
        assert hook.headers["Content-Type"].startswith("application/json")
    done = state(sessions)
    assert {v[0] for v in done.values()} == {"sent"}
    assert done[f"m:{subs[0].id}"][2] == [("sent", "0")] and done[f"m:{subs[3].id}"][2] == [("sent", "200")]


def test_rate_limits_are_retried_later_and_a_removed_robot_stops_and_is_reported(chat_outbox) -> None:  # type: ignore[no-untyped-def]
    _, _, sessions = chat_outbox
    with Platform(
        wecom_keys={"w-rate", "w-gone", "w-off"},
        dingtalk={"d-rate": None, "d-kw": None, "d-off": None},
        hooks={"h-busy": HOOK_SECRET, "h-limit": HOOK_SECRET, "h-bad": HOOK_SECRET},
    ) as platform:
        answers: dict[str, tuple[int, Any]] = {
            "w-rate": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
            "w-gone": (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
            "w-off": (200, {"errcode": 40014, "errmsg": "invalid access_token"}),
            "d-rate": (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
            "d-kw": (200, {"errcode": 310000, "errmsg": "keywords not in content"}),
            "d-off": (200, {"errcode": 400102, "errmsg": "robot is disabled"}),
            "h-busy": (503, {"error": "maintenance"}),
            "h-limit": (429, {"error": "slow down"}),
            "h-bad": (400, {"error": "unknown field"}),
        }
        for robot, answer in answers.items():
            platform.script(robot, answer)
        with transaction(sessions) as s:
            subs = {}
            for robot in answers:
                if robot.startswith("w-"):
                    sub = subscribe(s, "wecom", platform.wecom_url(robot))
                elif robot.startswith("d-"):
                    sub = subscribe(s, "dingtalk", platform.dingtalk_url(robot))
                else:
                    sub = subscribe(s, "webhook", platform.hook_url(robot), HOOK_SECRET)
                subs[robot] = sub.id
                enqueue_chat(s, sub, message(sub.id), key=robot, now=T0)
        first = deliver(sessions, T0)
        assert (first.sent, first.deferred, first.failed) == (0, 4, 5)
        after = state(sessions)
        for robot in ("w-rate", "d-rate", "h-busy", "h-limit"):  # later, with back-off
            assert after[robot][:2] == ("queued", 1) and after[robot][2] == [
                ("deferred", answers[robot][1].get("errcode", answers[robot][0]).__str__())
            ]
        for robot in ("w-gone", "w-off", "d-kw", "d-off", "h-bad"):  # stop: sending again cannot help
            assert after[robot][:2] == ("failed", 1), robot
        assert deliver(sessions, T0 + dt.timedelta(seconds=30)).attempted == 0  # backing off
        second = deliver(sessions, T0 + dt.timedelta(minutes=1))
        assert second.sent == 4
    final = state(sessions)
    for robot in ("w-rate", "d-rate", "h-busy", "h-limit"):
        assert final[robot][0] == "sent" and [o for o, _ in final[robot][2]] == ["deferred", "sent"]
    assert len(platform.delivered()) == 4
    # the stop is reported where people manage the subscription, with the platform's code and words
    with sessions() as s:
        gone = subscription_record(s.get(Subscription, subs["w-gone"]), chat_settings(), s)
        keyword = subscription_record(s.get(Subscription, subs["d-kw"]), chat_settings(), s)
    assert gone["last_delivery"]["status"] == "failed" and gone["last_delivery"]["code"] == "93000"
    assert "invalid webhook URL" in gone["last_delivery"]["error"]
    assert keyword["last_delivery"]["code"] == "310000" and "keyword" in keyword["last_delivery"]["error"]


def test_with_the_platform_down_messages_wait_with_back_off_then_arrive_once(chat_outbox) -> None:  # type: ignore[no-untyped-def]
    _, _, sessions = chat_outbox
    platform = Platform(wecom_keys={WECOM_KEY}, dingtalk={DING_TOKEN: DING_SECRET}, hooks={"oa": HOOK_SECRET})
    platform.port = free_port()  # nothing listens there yet
    with transaction(sessions) as s:
        subs = [
            subscribe(s, "wecom", platform.wecom_url(WECOM_KEY)),
            subscribe(s, "dingtalk", platform.dingtalk_url(DING_TOKEN), DING_SECRET),
            subscribe(s, "webhook", platform.hook_url("oa"), HOOK_SECRET),
        ]
        keys = [f"digest:{sub.id}:{n}" for sub in subs for n in range(3)]
        for sub in subs:
            for n in range(3):
                enqueue_chat(s, sub, message(n), key=f"digest:{sub.id}:{n}", now=T0)
    started = time.monotonic()
    down = deliver(sessions, T0)
    assert (down.sent, down.deferred) == (0, 9)
    assert time.monotonic() - started < 5  # one refused connection per destination, the rest not tried
    after = state(sessions)
    assert all(v[:2] == ("queued", 1) and v[2] == [("deferred", None)] for v in after.values())
    with sessions() as s:
        errors = {m.last_error for m in s.scalars(select(OutboxMessage))}
    assert all("unreachable" in (e or "") and "127.0.0.1" in (e or "") for e in errors)
    assert deliver(sessions, T0 + dt.timedelta(minutes=1)).deferred == 9  # still down
    with platform:
        assert deliver(sessions, T0 + dt.timedelta(minutes=2)).attempted == 0  # backing off: 1 min, then 2
        assert deliver(sessions, T0 + dt.timedelta(minutes=3)).sent == 9
        assert deliver(sessions, T0 + dt.timedelta(hours=1)).attempted == 0
    by_robot = Counter(r.robot for r in platform.delivered())
    assert by_robot == {WECOM_KEY: 3, DING_TOKEN: 3, "oa": 3}
    assert Counter(r.headers["X-Yrdmon-Key"] for r in platform.delivered("webhook")) == Counter(keys[6:])
    assert all([o for o, _ in v[2]] == ["deferred", "deferred", "sent"] for v in state(sessions).values())


def test_a_sender_killed_mid_batch_loses_nothing_and_sends_no_second_message(  # type: ignore[no-untyped-def]
    chat_outbox, tmp_path: Path
) -> None:
    url, engine, sessions = chat_outbox
    with Platform(hooks={"oa": HOOK_SECRET}, delay=0.3) as platform:  # slow to answer: killed while waiting
        with transaction(sessions) as s:
            sub = subscribe(s, "webhook", platform.hook_url("oa"), HOOK_SECRET)
            keys = [f"digest:{sub.id}:run:{n}" for n in range(12)]
            for n, key in enumerate(keys):
                enqueue_chat(s, sub, message(n), key=key, now=T0)
        env = {
            **os.environ,
            "YRDMON_DATABASE_URL": url,
            "YRDMON_CHANNEL_KEY": CHANNEL_KEY,
            "YRDMON_SECRET_KEY": "chat-test-key",
            "YRDMON_VAR_DIR": str(tmp_path),
            "YRDMON_SMTP_PORT": str(free_port()),
        }
        sender = subprocess.Popen(
            [*YRDMON, "email", "send"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            platform.wait_for(4)
            time.sleep(0.1)  # inside the slow answer to the 4th or 5th message
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=10)
        now = state(sessions)
        in_flight = [k for k, v in now.items() if v[0] == "sending"]
        assert len(in_flight) == 1, now
        assert sum(v[0] == "sent" for v in now.values()) >= 3 and any(v[0] == "queued" for v in now.values())
        with engine.begin() as conn:  # the dead sender's claim expires (moved into the past, not waited for)
            conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending")
                .values(next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
            )
        platform.delay = 0
        again = subprocess.run(
            [*YRDMON, "email", "send"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0, again.stderr
    final = state(sessions)
    assert all(v[0] == "sent" for v in final.values()), final
    received = Counter(r.headers["X-Yrdmon-Key"] for r in platform.delivered("webhook"))
    assert set(received) == set(keys)  # every message arrived, and nothing else
    # only the message in flight at the kill may have reached the receiver twice, with the same key and
    # body (the receiver had it when the sender died): a receiver that keeps X-Yrdmon-Key sees it once
    assert {k for k, n in received.items() if n > 1} <= {in_flight[0]} and max(received.values()) <= 2
    copies = {r.raw for r in platform.delivered("webhook") if r.headers["X-Yrdmon-Key"] == in_flight[0]}
    assert len(copies) == 1
    assert all([o for o, _ in v[2]].count("sent") == 1 for v in final.values())
    assert [o for o, _ in final[in_flight[0]][2]] == ["interrupted", "sent"]


# --- a digest end to end; secrets never shown again ---------------------------------------------------


@contextmanager
def unit(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def test_a_digest_reaches_each_kind_of_channel(prepared: PreparedDatabases, db_kind: str) -> None:
    from service.db.session import make_engine, make_sessionmaker
    from service.notify.digest import queue_after_run_digests
    from tools.digest_example import FIRST, SECOND, build_example

    # a database of its own whose catalog was recorded before the example's runs (as in test_notify_digest)
    url = prepared.catalogued(db_kind, now=FIRST - dt.timedelta(days=60))
    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    settings = chat_settings()
    try:
        build_example(session, settings)
        first, second = session.scalars(select(ReportRun).order_by(ReportRun.id)).all()[-2:]
        session.execute(update(Subscription).values(active=False))  # the example's e-mail subscriber
        with Platform(
            wecom_keys={WECOM_KEY}, dingtalk={DING_TOKEN: DING_SECRET}, hooks={"oa": HOOK_SECRET}
        ) as platform:
            plans = ["yrd-outline-2019", "demo-zone-industry-2023"]
            subs = [
                subscribe(session, "wecom", platform.wecom_url(WECOM_KEY), plan_codes=plans),
                subscribe(
                    session, "dingtalk", platform.dingtalk_url(DING_TOKEN), DING_SECRET, plan_codes=plans
                ),
                subscribe(
                    session, "webhook", platform.hook_url("oa"), HOOK_SECRET, plan_codes=plans, language="en"
                ),
            ]
            for sub in subs:
                sub.last_run_id = first.id  # as if the first digest had gone out
            assert queue_after_run_digests(session, second, settings, now=SECOND) == 3
            session.commit()
            transport = SmtpTransport(settings, timeout=5)
            report = deliver_due(lambda: unit(session), transport, settings, clock=lambda: SECOND)
            assert report.sent == 3
        (wecom,) = platform.delivered("wecom")
        (ding,) = platform.delivered("dingtalk")
        (hook,) = platform.delivered("webhook")
    finally:
        session.close()
        engine.dispose()
    content = wecom.body["markdown"]["content"]
    assert len(content.encode()) <= 4096 and wecom.body["msgtype"] == "markdown"
    # what changed, the counts by status, the targets behind schedule, the link, in the subscriber's language
    assert content.startswith("### 规划目标监测 · 进展摘要\n\n截至 2025-06-01")
    assert "**共 6 项目标有变化：新实现 2 项，新落后于序时进度 2 项" in content
    assert "**按状态汇总（共 21 项目标）**" in content and "◆ 略滞后：" in content
    assert re.search(r"\*\*落后于序时进度的目标（\d+ 项）\*\*", content)
    assert "略滞后；时间进度 67%，完成进度 50%（慢于序时进度 17 个百分点）" in content
    assert content.endswith("[在系统中查看](https://yrdmon.test/?lang=zh)")
    assert ding.body["markdown"]["title"] == "【规划目标监测】6项目标有变化 · 截至2025-06-01"
    assert ding.body["markdown"]["text"] == content  # the same text, within both platforms' limits
    assert hook.body["language"] == "en" and "**6 targets changed: 2 newly achieved" in hook.body["markdown"]
    assert hook.body["data"]["changed"] == 6 and hook.body["data"]["targets"] == 21
    assert hook.body["link"] == "https://yrdmon.test/?lang=en"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "chat-digests.json").write_text(
        json.dumps(
            {
                "wecom": wecom.raw.decode(),
                "dingtalk": ding.raw.decode(),
                "dingtalk_query": ding.raw_query.replace(DING_TOKEN, "<token>"),
                "webhook": hook.raw.decode(),
                "webhook_headers": {k: v for k, v in hook.headers.items() if k.startswith("X-Yrdmon")},
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )


@pytest.fixture
def chat_client(session: Session, db_url: str) -> Iterator[TestClient]:
    with client_for(session, chat_settings(database_url=db_url)) as c:
        yield c


def test_channels_through_the_api_and_the_page_never_show_their_secrets_and_can_be_tested(
    session: Session, chat_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    from service.db.models import Role
    from service.domain import users
    from tests.support.factories import NOW

    office = users.create_user(session, username="office", role=Role.ADMIN, password="pw-123456", now=NOW)
    headers = {"Authorization": f"Bearer {users.issue_token(session, office, now=NOW)}"}
    _, other = create_user(session, username="nosy", role="viewer", regions=())
    session.commit()
    answers: list[str] = []
    with Platform(
        wecom_keys={WECOM_KEY}, dingtalk={DING_TOKEN: DING_SECRET}, hooks={"oa": HOOK_SECRET}
    ) as platform:

        def post(**body: Any) -> Any:
            response = chat_client.post("/api/v1/subscriptions", headers=headers, json=body)
            answers.append(response.text)
            return response

        wecom = post(channel="wecom", url=platform.wecom_url(WECOM_KEY), cadence="weekly")
        assert wecom.status_code == 201, wecom.text
        assert wecom.json()["channel"] == "wecom" and wecom.json()["email"] is None
        assert wecom.json()["destination"] == f"127.0.0.1:{platform.port} …{WECOM_KEY[-4:]}"
        ding = post(
            channel="dingtalk", url=platform.dingtalk_url(DING_TOKEN), secret=DING_SECRET, language="en"
        )
        assert ding.status_code == 201, ding.text
        assert (
            post(
                channel="dingtalk", url=platform.dingtalk_url(DING_TOKEN), secret=DING_SECRET, language="en"
            ).status_code
            == 409
        )
        viewer = chat_client.post(
            "/api/v1/subscriptions",
            headers=other,
            json={"channel": "webhook", "url": platform.hook_url("oa"), "secret": HOOK_SECRET},
        )
        assert (
            viewer.status_code == 403 and "administrators" in viewer.json()["detail_en"]
        )  # it may point anywhere
        mine = chat_client.post(
            "/api/v1/subscriptions",
            headers=other,
            json={"channel": "wecom", "url": platform.wecom_url(WECOM_KEY), "language": "en"},
        )
        assert mine.status_code == 201  # a group robot, on the platform's (or an allowed relay) host: anyone
        answers += [viewer.text, mine.text]
        short = post(channel="webhook", url=platform.hook_url("oa"), secret="short")
        assert short.status_code == 422 and "16" in short.json()["detail_zh"]
        elsewhere = post(channel="wecom", url=f"https://robots.example.com/send?key={WECOM_KEY}")
        assert elsewhere.status_code == 422 and "qyapi.weixin.qq.com" in elsewhere.json()["detail_en"]
        # send a test message: the platform's answer in words
        tested = chat_client.post(f"/api/v1/subscriptions/{wecom.json()['id']}/test", headers=headers)
        answers.append(tested.text)
        assert (
            tested.status_code == 200
            and tested.json()["delivered"]
            and tested.json()["zh"] == "企业微信已接收"
        )
        (arrived,) = platform.delivered("wecom")
        assert "这是规划目标监测系统的测试消息" in arrived.body["markdown"]["content"]
        assert (
            chat_client.post(f"/api/v1/subscriptions/{ding.json()['id']}/test", headers=other).status_code
            == 403
        )
        platform.dingtalk[DING_TOKEN] = "SECanother"  # the group changed its 加签 secret: 310000
        refused = chat_client.post(f"/api/v1/subscriptions/{ding.json()['id']}/test", headers=headers)
        answers.append(refused.text)
        assert (
            refused.status_code == 200
            and not refused.json()["delivered"]
            and refused.json()["code"] == "310000"
        )
        assert "security settings" in refused.json()["en"] and "加签" in refused.json()["zh"]
        # the page: the channel by its label, the stopped robot reported, a test button
        chat_client.post("/login", data={"username": "office", "password": "pw-123456"})
        page = chat_client.get("/subscriptions?lang=zh")
        answers.append(page.text)
        assert (
            page.status_code == 200 and "企业微信群机器人" in page.text and f"…{WECOM_KEY[-4:]}" in page.text
        )
        assert "最近一次发送失败，已停止重试" in page.text and "310000" in page.text
        assert page.text.count('type="password"') == 2 and "发送测试消息" in page.text
        # the form: a webhook with its secret; a mistake keeps the choices, never the URL or the secret
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        form = {"csrf": csrf, "channel": "webhook", "url": platform.hook_url("oa"), "cadence": "monthly"}
        bad = chat_client.post("/subscriptions?lang=en", data={**form, "secret": "short"})
        answers.append(bad.text)
        assert bad.status_code == 422 and "at least 16 characters" in bad.text
        assert '<option value="webhook" selected>' in bad.text and platform.hook_url("oa") not in bad.text
        made = chat_client.post("/subscriptions?lang=en", data={**form, "secret": HOOK_SECRET})
        answers.append(made.text)
        assert made.status_code == 200 and "Webhook (your own system)" in made.text
        hook_id = max(s.id for s in session.scalars(select(Subscription)))
        tested_page = chat_client.post("/subscriptions?lang=en", data={"csrf": csrf, "test": str(hook_id)})
        answers.append(tested_page.text)
        assert tested_page.status_code == 200
        assert "Test message delivered: accepted by the receiving system (HTTP 200)" in tested_page.text
        assert len(platform.delivered("webhook")) == 1
        for path in ("/api/v1/subscriptions", f"/api/v1/subscriptions/{ding.json()['id']}"):
            answers.append(chat_client.get(path, headers=headers).text)
    audit = [json.dumps([a.before, a.after], ensure_ascii=False) for a in session.scalars(select(AuditEntry))]
    rows = [
        f"{m.to_addr} {m.headers} {m.body_text} {m.last_error}"
        for m in session.scalars(select(OutboxMessage))
    ]
    logs = [r.getMessage() for r in caplog.records]
    stored = [f"{s.channel_secret} {s.channel_label}" for s in session.scalars(select(Subscription))]
    for value in SECRETS:
        for where, texts in (
            ("API answer or page", answers),
            ("audit", audit),
            ("outbox", rows),
            ("log", logs),
            ("stored", stored),
        ):
            assert not any(value in text for text in texts), (where, value)


# --- reminders and review notices go the same way ------------------------------------------------------


def chat_bodies(session: Session, like: str) -> dict[str, dict[str, Any]]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.message_key.like(like)))
    return {m.message_key: json.loads(m.body_text) for m in rows if m.channel != "email"}


def test_reminders_and_review_notices_reach_their_owners_chat_channels(
    session: Session, client: TestClient
) -> None:
    from service.notify.reminders import queue_reminders
    from tests.support.notify import person
    from tests.support.review import gdp, setup_office

    h = setup_office(client, session)  # review on; js-editor reports for 嘉善县
    wecom = create_subscription(
        session,
        None,
        SubscriptionRequest(
            channel="wecom",
            url=f"http://127.0.0.1:9/cgi-bin/webhook/send?key={WECOM_KEY}",
            username="js-editor",
        ),
        now=T0,
        settings=chat_settings(),
    )
    hook = create_subscription(
        session,
        None,
        SubscriptionRequest(
            channel="webhook",
            url="http://127.0.0.1:9/hooks/oa",
            secret=HOOK_SECRET,
            username="js-editor",
            language="en",
        ),
        now=T0,
        settings=chat_settings(),
    )
    person(session, "someone", "editor", "someone@example.org", ("330421",))  # no chat channel: e-mail only
    session.commit()
    # a figure returned with a comment that tries markup: the editor's channels get it once, escaped
    client.post("/api/v1/observations", json=gdp(value="88.05"), headers=h["editor"])
    oid = client.get("/api/v1/reviews/queue", headers=h["reviewer"]).json()["items"][0]["observation_id"]
    comment = "单位疑误 **亿元还是万元** [详见](https://evil.example) <b>x</b>"
    back = client.post(
        "/api/v1/reviews/return", json={"observation_ids": [oid], "comment": comment}, headers=h["reviewer"]
    )
    assert back.status_code == 200
    returned = chat_bodies(session, "review-returned:%")
    step_key = next(iter(returned)).split("@")[0]
    assert set(returned) == {f"{step_key}@wecom:{wecom.id}", f"{step_key}@webhook:{hook.id}"}
    content = returned[f"{step_key}@wecom:{wecom.id}"]["markdown"]["content"]
    assert content.startswith("### 【数据被退回】嘉善县2024年地区生产总值")
    assert "单位疑误 ＊＊亿元还是万元＊＊ ［详见］(https://evil.example) ＜b＞x＜/b＞" in content
    assert "**亿元" not in content and "[详见]" not in content and "<b>" not in content
    english = returned[f"{step_key}@webhook:{hook.id}"]
    assert (
        english["kind"] == "returned"
        and english["title"] == "Figure returned: Gross regional product, Jiashan County 2024"
    )
    assert "was returned by" in english["markdown"] and english["data"]["observation_id"] == oid
    # the reminder calendar: the editor's reminder goes to their chat channels too, in each one's language
    report = queue_reminders(session, chat_settings(), now=dt.datetime(2026, 3, 18, 1, tzinfo=dt.UTC))
    reminders = chat_bodies(session, "reminder:due:330421:%")
    assert reminders and all(k in report.keys for k in reminders)
    due = next(b for k, b in reminders.items() if k.endswith(f"@wecom:{wecom.id}") and ":2026-03-31:" in k)
    assert due["markdown"]["content"].startswith(
        "### 【规划目标监测】数据报送提醒：嘉善县 2025年数据请于2026-03-31前报送"
    )
    assert "还有 13 天" in due["markdown"]["content"] and len(due["markdown"]["content"].encode()) <= 4096
    assert not any(k.endswith(f":{wecom.id}") and "someone" in k for k in reminders)
    assert (
        queue_reminders(session, chat_settings(), now=dt.datetime(2026, 3, 18, 1, tzinfo=dt.UTC)).keys == []
    )
    # the reviewer's daily digest of what awaits them, to their robot as well as their mailbox
    from service.db.models import User
    from service.notify.review_mail import queue_reviewer_digests

    reviewer = session.scalar(select(User).where(User.username == "jx-reviewer"))
    assert reviewer is not None
    reviewer.email = "jx-reviewer@example.gov.cn"
    ding = create_subscription(
        session,
        None,
        SubscriptionRequest(
            channel="dingtalk",
            url=f"http://127.0.0.1:9/robot/send?access_token={DING_TOKEN}",
            username="jx-reviewer",
        ),
        now=T0,
        settings=chat_settings(),
    )
    session.commit()
    assert client.post(
        "/api/v1/observations", json=gdp(year=2023, value="86.1"), headers=h["editor"]
    ).status_code in (
        200,
        201,
    )
    assert queue_reviewer_digests(session, settings=chat_settings(), now=T0) == 1
    (waiting,) = chat_bodies(session, "review-digest:%").values()
    assert (
        waiting["markdown"]["title"] == "【待审核】1 条数据"
        and "嘉善县2023年地区生产总值" in waiting["markdown"]["text"]
    )
    assert f"@dingtalk:{ding.id}" in next(iter(chat_bodies(session, "review-digest:%")))


def test_the_command_line_adds_tests_and_lists_chat_channels_without_echoing_secrets(
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from typer.testing import CliRunner

    from service.cli.main import app as cli_app

    monkeypatch.setenv("YRDMON_CHANNEL_KEY", CHANNEL_KEY)
    monkeypatch.setenv("YRDMON_CHAT_RELAY_HOSTS", "127.0.0.1")
    runner = CliRunner()
    with Platform(wecom_keys={WECOM_KEY}, dingtalk={DING_TOKEN: DING_SECRET}) as platform:
        # the URL asked for without echo (here: typed on standard input), never an argument
        added = runner.invoke(
            cli_app,
            ["subscriptions", "add", "--channel", "wecom", "--plan", "yrd-outline-2019"],
            input=platform.wecom_url(WECOM_KEY) + "\n",
        )
        assert added.exit_code == 0, added.output
        assert (
            f"subscription 1: wecom 127.0.0.1:{platform.port} …{WECOM_KEY[-4:]}, after_run, zh"
            in added.output
        )
        monkeypatch.setenv("DING_URL", platform.dingtalk_url(DING_TOKEN))
        monkeypatch.setenv("DING_SECRET", DING_SECRET)
        signed = runner.invoke(
            cli_app,
            [
                "subscriptions",
                "add",
                "--channel",
                "dingtalk",
                "--url-env",
                "DING_URL",
                "--secret-env",
                "DING_SECRET",
                "--language",
                "en",
            ],
        )
        assert signed.exit_code == 0, signed.output
        bad = runner.invoke(
            cli_app,
            ["subscriptions", "add", "--channel", "webhook"],
            input="https://oa.example.gov.cn/in\nshort\n",
        )
        assert bad.exit_code == 2 and "at least 16 characters" in bad.output
        listed = runner.invoke(cli_app, ["subscriptions", "list"])
        assert f"1\twecom 127.0.0.1:{platform.port} …{WECOM_KEY[-4:]}\tafter_run\tzh\tactive" in listed.output
        ok = runner.invoke(cli_app, ["subscriptions", "test", "2"])
        assert ok.exit_code == 0, ok.output
        assert "test message to subscription 2 delivered: accepted by DingTalk" in ok.output
        zh = runner.invoke(cli_app, ["--lang", "zh", "subscriptions", "test", "2"])
        assert zh.exit_code == 0 and "测试消息已送达订阅 2：钉钉已接收" in zh.output, zh.output
        arrived = platform.delivered("dingtalk")[0]
        assert arrived.body["markdown"]["title"] == "Plan-target monitoring · test message"
        platform.wecom_keys.clear()  # the robot was removed from the group
        gone = runner.invoke(cli_app, ["subscriptions", "test", "1"])
        assert gone.exit_code == 2 and "errcode 93000" in gone.output, gone.output
        assert runner.invoke(cli_app, ["subscriptions", "test", "99"]).exit_code == 2
    outputs = [added.output, signed.output, bad.output, listed.output, ok.output, gone.output]
    outputs += [r.getMessage() for r in caplog.records]
    for value in SECRETS:
        assert not any(value in text for text in outputs), value


def test_an_error_from_a_malformed_stored_url_keeps_the_key_out_of_the_log() -> None:
    from service.notify.chat_sender import ChatError, ChatTransport

    settings = chat_settings()
    broken = channels.seal(channels.Destination("wecom", f"gopher://robots/x?key={WECOM_KEY}"), settings)
    with pytest.raises(ChatError) as caught:
        ChatTransport(settings).send("wecom", broken, "{}", "k")
    assert (
        not caught.value.permanent and WECOM_KEY not in str(caught.value) and WECOM_KEY not in caught.value.zh
    )
