"""Chat channels beside e-mail: 企业微信 and 钉钉 group robots, and an office's own signed webhook.

A chat channel is a URL with a key in it (企业微信 ``key``, 钉钉 ``access_token``) and, for 钉钉 加签 and
the webhook, a signing secret. Whoever has them can post into the group, so they are secrets: checked
once when entered, stored encrypted (Fernet, with the key from ``YRDMON_CHANNEL_KEY`` or one generated
into the instance's var/ directory with mode 0600), and from then on shown only as a label (the host and
the last four characters of the key). Nothing here logs them, and no error message repeats them.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from cryptography.fernet import Fernet, InvalidToken

from service.config import Settings, generated_key
from service.domain.errors import Invalid

EMAIL, WECOM, DINGTALK, WEBHOOK = "email", "wecom", "dingtalk", "webhook"
CHANNELS = (EMAIL, WECOM, DINGTALK, WEBHOOK)
CHAT_CHANNELS = (WECOM, DINGTALK, WEBHOOK)
# the platforms' own robot hosts (政务微信 and intranet deployments go through a relay host: a setting)
PLATFORM_HOSTS = {WECOM: "qyapi.weixin.qq.com", DINGTALK: "oapi.dingtalk.com"}
# the query parameter that holds the robot's key
KEY_PARAMS = {WECOM: "key", DINGTALK: "access_token"}
NAMES = {
    EMAIL: ("电子邮件", "e-mail"),
    WECOM: ("企业微信群机器人", "WeCom group robot"),
    DINGTALK: ("钉钉群机器人", "DingTalk group robot"),
    WEBHOOK: ("本单位系统（签名推送）", "webhook (your own system)"),
}
MIN_WEBHOOK_SECRET = 16


@dataclass(frozen=True)
class Destination:
    """Where a chat message goes: the full URL (with its key) and the signing secret, if any."""

    channel: str
    url: str
    secret: str | None = None


def _invalid(zh: str, en: str, field: str = "url") -> Invalid:
    return Invalid(zh, en, details=[{"field": field, "zh": zh, "en": en}])


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def relay_hosts(settings: Settings) -> set[str]:
    return {h.strip().lower() for h in settings.chat_relay_hosts.split(",") if h.strip()}


def validate(channel: str, url: str | None, secret: str | None, settings: Settings) -> Destination:
    """Check a chat channel as entered; the errors name what is wrong, never the URL or secret itself."""
    name_zh, name_en = NAMES.get(channel, (channel, channel))
    if channel not in CHAT_CHANNELS:
        raise _invalid(
            "渠道应为 email、wecom、dingtalk 或 webhook",
            "channel must be email, wecom, dingtalk or webhook",
            "channel",
        )
    url = (url or "").strip()
    secret = (secret or "").strip() or None
    if not url:
        raise _invalid(f"请填写{name_zh}的地址", f"the {name_en}'s URL is required")
    if len(url) > 2000 or any(c.isspace() for c in url):
        raise _invalid(
            f"{name_zh}的地址格式不对（不能有空格，最长 2000 个字符）",
            f"the {name_en}'s URL is malformed (no spaces, at most 2000 characters)",
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _invalid(f"{name_zh}的地址格式不对", f"the {name_en}'s URL is malformed") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise _invalid(f"{name_zh}的地址应以 https:// 开头", f"the {name_en}'s URL must start with https://")
    if parts.scheme == "http" and not _is_loopback(host):
        raise _invalid(
            f"{name_zh}的地址必须使用 https（http 仅限本机测试）",
            f"the {name_en}'s URL must use https (http only to this machine, for tests)",
        )
    if parts.username or parts.password:
        raise _invalid(
            f"{name_zh}的地址中不能含用户名或密码", f"the {name_en}'s URL must not contain a login"
        )
    if channel in PLATFORM_HOSTS:
        allowed = relay_hosts(settings)
        hostport = f"{host}:{port}" if port else host
        if host != PLATFORM_HOSTS[channel] and host not in allowed and hostport not in allowed:
            raise _invalid(
                f"{name_zh}的地址应在 {PLATFORM_HOSTS[channel]}（内网中转地址须由管理员在设置 "
                "YRDMON_CHAT_RELAY_HOSTS 中允许）",
                f"the {name_en}'s URL must be on {PLATFORM_HOSTS[channel]} (an intranet relay host must be "
                "allowed by an administrator in YRDMON_CHAT_RELAY_HOSTS)",
            )
        values = parse_qs(parts.query).get(KEY_PARAMS[channel], [])
        if len(values) != 1 or not values[0].strip():
            param = KEY_PARAMS[channel]
            raise _invalid(
                f"{name_zh}的地址缺少 {param} 参数：请从群机器人设置中复制完整的 Webhook 地址",
                f"the {name_en}'s URL has no {param} parameter: copy the whole webhook URL "
                "from the robot's settings",
            )
    if channel == WECOM and secret:
        raise _invalid(
            "企业微信群机器人没有签名密钥，请留空",
            "a WeCom robot has no signing secret; leave it empty",
            "secret",
        )
    if secret is not None and (len(secret) > 200 or any(c.isspace() for c in secret)):
        raise _invalid(
            "签名密钥格式不对（不能有空格，最长 200 个字符）",
            "the signing secret is malformed (no spaces, at most 200 characters)",
            "secret",
        )
    if channel == WEBHOOK and (secret is None or len(secret) < MIN_WEBHOOK_SECRET):
        raise _invalid(
            f"本单位系统推送需要至少 {MIN_WEBHOOK_SECRET} 个字符的签名密钥（接收方用它验证消息来自本系统）",
            f"a webhook needs a signing secret of at least {MIN_WEBHOOK_SECRET} characters (the "
            "receiver checks with it that messages come from this service)",
            "secret",
        )
    return Destination(channel, url, secret)


def label(dest: Destination) -> str:
    """What people see of a channel: the host and the last four characters of its key (or the URL's)."""
    parts = urlsplit(dest.url)
    host = parts.netloc.rpartition("@")[2]
    key = ""
    if dest.channel in KEY_PARAMS:
        key = (parse_qs(parts.query).get(KEY_PARAMS[dest.channel]) or [""])[0]
    tail = (key or dest.url)[-4:]
    return f"{host} …{tail}"


# --- encryption at rest --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _fernet(key: bytes) -> Fernet:
    return Fernet(key)


def fernet(settings: Settings) -> Fernet:
    configured = settings.channel_key.get_secret_value().strip()
    if configured:
        key = configured.encode()
    else:
        key = generated_key(settings, "channel.key", lambda: Fernet.generate_key().decode())
    try:
        return _fernet(key)
    except ValueError:
        raise RuntimeError(
            "YRDMON_CHANNEL_KEY is not a Fernet key (32 url-safe base64-encoded bytes); "
            'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        ) from None


def seal(dest: Destination, settings: Settings) -> str:
    plain = json.dumps({"channel": dest.channel, "url": dest.url, "secret": dest.secret}, ensure_ascii=False)
    return fernet(settings).encrypt(plain.encode()).decode()


class SealBroken(Exception):
    """A stored destination cannot be decrypted (the channel key changed or was lost)."""


def unseal(token: str, settings: Settings) -> Destination:
    try:
        data = json.loads(fernet(settings).decrypt(token.encode()))
    except InvalidToken:
        raise SealBroken(
            "the chat channel's stored URL cannot be decrypted: the channel key (YRDMON_CHANNEL_KEY or "
            "var/channel.key) is not the one it was stored with; enter the channel again"
        ) from None
    return Destination(str(data["channel"]), str(data["url"]), data.get("secret"))
