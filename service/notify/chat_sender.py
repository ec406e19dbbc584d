"""Sending chat messages: one HTTP POST per attempt, and each platform's answer understood.

- 企业微信 group robot: POST the JSON body to the robot URL; the answer is ``{"errcode": 0, "errmsg": "ok"}``.
  45009 (API frequency limit: a robot takes 20 messages a minute) and 45033 (too many concurrent calls)
  and -1 (system busy) are retried later; 93000 (invalid webhook url: a wrong or removed robot's key),
  40001 / 40014 (invalid credential / access token), 93004 (the robot is disabled) and the errors about
  the message itself (40008 message type, 40058 parameter, 44004 empty content, 45002 content too long)
  stop: sending again cannot help, the message fails and the subscription shows why.
- 钉钉 custom robot: POST to the robot URL; with 加签 the URL also carries ``timestamp`` (milliseconds)
  and ``sign`` = URL-encoded base64(HMAC-SHA256(secret, timestamp + "\\n" + secret)), computed at each
  attempt (钉钉 accepts a timestamp within an hour). The answer is ``{"errcode": 0, "errmsg": "ok"}``.
  130101 (sending too fast: 20 messages a minute) and -1 are retried later; 310000 (keyword, signature or
  IP address not accepted), 300001 / 300005 (token does not exist) and 400101 / 400102 (robot
  disabled) stop.
- Webhook: POST the JSON body with ``X-Yrdmon-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``,
  ``X-Yrdmon-Timestamp`` (Unix seconds of this attempt) and ``X-Yrdmon-Key`` (the message's stable key,
  so the receiver can drop a copy sent again after a crash). 2xx is delivered; 429, 5xx, a timeout or
  no connection are retried; any other answer (4xx, a redirect) stops.

An unknown errcode is retried (with back-off, until the attempts run out). Error texts keep the code and
the platform's message, never the URL or the secret (they are blanked out of anything kept or logged).
HTTP goes through the standard library (no client library logs the URL with its key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from service.config import Settings
from service.notify.channels import DINGTALK, NAMES, WEBHOOK, WECOM, Destination, SealBroken, unseal

RETRY, STOP = "retry", "stop"
# errcode -> (what to do, zh, en): the words people read when a test message or a delivery fails
WECOM_CODES: dict[int, tuple[str, str, str]] = {
    0: ("ok", "企业微信已接收", "accepted by WeCom"),
    -1: (RETRY, "企业微信系统繁忙，稍后重试", "WeCom is busy; will try again later"),
    45009: (
        RETRY,
        "发送过于频繁（每个机器人每分钟最多 20 条），稍后重试",
        "sending too fast (20 messages a minute per robot); will try again later",
    ),
    45033: (RETRY, "并发调用过多，稍后重试", "too many concurrent calls; will try again later"),
    93000: (
        STOP,
        "机器人地址无效：机器人可能已被移出群聊或地址复制不完整，请重新添加机器人地址",
        "invalid webhook URL: the robot may have been removed from the group, or the URL was copied "
        "incompletely; enter the robot's URL again",
    ),
    93004: (
        STOP,
        "机器人已被停用，请在群设置中启用或重新添加",
        "the robot is disabled; enable or add it again in the group",
    ),
    40001: (STOP, "凭证无效，请重新添加机器人地址", "invalid credential; enter the robot's URL again"),
    40014: (STOP, "凭证无效，请重新添加机器人地址", "invalid access token; enter the robot's URL again"),
    40008: (STOP, "消息类型不被接受", "the message type is not accepted"),
    40058: (STOP, "消息参数有误", "a message parameter is invalid"),
    44004: (STOP, "消息内容为空", "the message is empty"),
    45002: (STOP, "消息内容过长", "the message is too long"),
}
DINGTALK_CODES: dict[int, tuple[str, str, str]] = {
    0: ("ok", "钉钉已接收", "accepted by DingTalk"),
    -1: (RETRY, "钉钉系统繁忙，稍后重试", "DingTalk is busy; will try again later"),
    130101: (
        RETRY,
        "发送过于频繁（每个机器人每分钟最多 20 条），稍后重试",
        "sending too fast (20 messages a minute per robot); will try again later",
    ),
    310000: (
        STOP,
        "安全设置不通过：关键词、加签密钥或 IP 地址不符。若设置了自定义关键词，请加入“规划目标监测”；"
        "若启用了加签，请核对密钥",
        "the robot's security settings refused it: keyword, signature or IP address; with a custom "
        "keyword, add 规划目标监测 (it is in every message); with signing on, check the secret",
    ),
    300001: (
        STOP,
        "机器人令牌不存在，请重新添加机器人地址",
        "the robot's token does not exist; enter its URL again",
    ),
    300005: (
        STOP,
        "机器人令牌不存在，请重新添加机器人地址",
        "the robot's token does not exist; enter its URL again",
    ),
    400101: (STOP, "机器人已被停用", "the robot is disabled"),
    400102: (STOP, "机器人已被停用", "the robot is disabled"),
}


class ChatError(Exception):
    """A delivery that did not succeed: ``permanent`` ones are not retried; ``code`` is the platform's."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str | None = None,
        zh: str | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.zh = zh or message
        self.unreachable = unreachable


@dataclass(frozen=True)
class ChatResult:
    code: str
    detail: str  # English, for the delivery log
    zh: str
    en: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer (it stops), not a place to send the body


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")), as the robot documentation gives it."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def webhook_signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class ChatTransport:
    """Sends claimed chat messages (the destination decrypted only here, for the one request)."""

    def __init__(self, settings: Settings, *, timeout: float | None = None) -> None:
        self.settings = settings
        self.timeout = timeout if timeout is not None else settings.chat_timeout_seconds
        self._opener = urllib.request.build_opener(_NoRedirect())

    def close(self) -> None:
        pass

    def send(self, channel: str, sealed: str | None, body: str, key: str) -> ChatResult:
        if not sealed:
            raise ChatError("the message has no destination", permanent=True, zh="消息没有收件渠道")
        try:
            dest = unseal(sealed, self.settings)
        except SealBroken as exc:
            raise ChatError(
                str(exc), permanent=True, zh="无法解密渠道地址：渠道密钥已更换，请重新填写渠道"
            ) from None
        raw = body.encode()
        url = dest.url
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "yrdmon"}
        if channel == DINGTALK and dest.secret:
            stamp = int(time.time() * 1000)
            sign = quote(dingtalk_sign(dest.secret, stamp), safe="")
            url += ("&" if urlsplit(url).query else "?") + f"timestamp={stamp}&sign={sign}"
        if channel == WEBHOOK:
            headers["X-Yrdmon-Signature"] = webhook_signature(dest.secret or "", raw)
            headers["X-Yrdmon-Timestamp"] = str(int(time.time()))
            headers["X-Yrdmon-Key"] = key
        request = urllib.request.Request(url, data=raw, headers=headers, method="POST")
        name_zh, name_en = NAMES.get(channel, (channel, channel))
        where = urlsplit(dest.url).netloc.rpartition("@")[2]
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                status, text = answer.status, answer.read(4096).decode(errors="replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read(2048).decode(errors="replace") if exc.fp else ""
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            what = _scrub(f"{type(reason).__name__}: {reason}", dest)
            raise ChatError(
                f"{name_en} at {where} unreachable: {what}",
                permanent=False,
                zh=f"{name_zh}（{where}）无法连接：{what}；稍后重试",
                unreachable=True,
            ) from None
        except Exception as exc:  # anything else (a malformed stored URL): its text may hold the URL
            what = _scrub(f"{type(exc).__name__}: {exc}", dest)
            raise ChatError(
                f"{name_en} at {where}: {what}", permanent=False, zh=f"{name_zh}（{where}）发送出错：{what}"
            ) from None
        return self._judge(channel, dest, status, text, where)

    def _judge(self, channel: str, dest: Destination, status: int, text: str, where: str) -> ChatResult:
        name_zh, name_en = NAMES.get(channel, (channel, channel))
        text = _scrub(text, dest)
        if channel == WEBHOOK or not 200 <= status < 300:
            if 200 <= status < 300:
                return ChatResult(
                    str(status),
                    f"HTTP {status} from {where}",
                    f"对方系统已接收（HTTP {status}）",
                    f"accepted by the receiving system (HTTP {status})",
                )
            retry = status == 429 or status >= 500
            short = " ".join(text.split())[:200]
            en = f"HTTP {status} from {name_en} at {where}" + (f": {short}" if short else "")
            zh = f"{name_zh}（{where}）返回 HTTP {status}" + (
                "，稍后重试" if retry else "：地址或设置有误，请检查后重新填写"
            )
            raise ChatError(en, permanent=not retry, code=str(status), zh=zh)
        try:
            answer = json.loads(text)
            errcode = int(answer["errcode"])
            errmsg = " ".join(str(answer.get("errmsg", "")).split())[:200]
        except (ValueError, KeyError, TypeError):
            short = " ".join(text.split())[:120]
            raise ChatError(
                f"{name_en} at {where} answered HTTP {status} without an errcode: {short}",
                permanent=False,
                code=str(status),
                zh=f"{name_zh}（{where}）的回答无法识别（可能是中转服务器的问题），稍后重试",
            ) from None
        table = WECOM_CODES if channel == WECOM else DINGTALK_CODES
        action, zh, en = table.get(
            errcode,
            (RETRY, f"未知错误码 {errcode}，稍后重试", f"unknown errcode {errcode}; will try again later"),
        )
        if errcode == 0:
            return ChatResult("0", f"errcode 0 {errmsg or 'ok'} from {where}", zh, en)
        raise ChatError(
            f"errcode {errcode} {errmsg}: {en}",
            permanent=action == STOP,
            code=str(errcode),
            zh=f"错误码 {errcode}（{errmsg}）：{zh}",
        )


def _scrub(text: str, dest: Destination) -> str:
    """Blank out the robot's key and the secret wherever a server repeated them."""
    parts = urlsplit(dest.url)
    for value in (dest.url, parts.query, dest.secret, *(p.partition("=")[2] for p in parts.query.split("&"))):
        if value and len(value) >= 4:
            text = text.replace(value, "****")
    return text


def explain(channel: str, code: str | None, error: str | None, delivered: bool) -> tuple[str, str]:
    """A delivery's outcome in words (zh, en), from the platform's code as logged."""
    name_zh, name_en = NAMES.get(channel, (channel, channel))
    if channel in (WECOM, DINGTALK) and code is not None and code.lstrip("-").isdigit():
        table = WECOM_CODES if channel == WECOM else DINGTALK_CODES
        if int(code) in table:
            _, zh, en = table[int(code)]
            return (f"{zh}（错误码 {code}）", f"{en} (errcode {code})") if code != "0" else (zh, en)
    if delivered:
        if channel == WEBHOOK:
            return f"对方系统已接收（HTTP {code}）", f"accepted by the receiving system (HTTP {code})"
        if channel == "email":
            return "邮件服务器已接收", "accepted by the mail server"
        return f"{name_zh}已接收", f"accepted by the {name_en}"
    if code is not None and code.isdigit() and len(code) == 3:
        return (
            f"{name_zh}返回 HTTP {code}：{error or ''}",
            f"the {name_en} answered HTTP {code}: {error or ''}",
        )
    return f"未送达（{name_zh}）：{error or ''}", f"not delivered ({name_en}): {error or ''}"
