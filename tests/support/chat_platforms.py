"""A real HTTP server on loopback that plays 企业微信 and 钉钉 group robots and an office's webhook.

It checks what each platform checks, as the platforms document it:

- 企业微信 ``POST /cgi-bin/webhook/send?key=KEY``: a JSON body ``{"msgtype": "markdown", "markdown":
  {"content": ...}}`` whose content is at most 4096 bytes of UTF-8; an unknown key is errcode 93000.
- 钉钉 ``POST /robot/send?access_token=TOKEN[&timestamp=MS&sign=SIGN]``: ``{"msgtype": "markdown",
  "markdown": {"title": ..., "text": ...}}``; with 加签, ``sign`` must be the URL-encoded
  base64(HMAC-SHA256(secret, timestamp + "\\n" + secret)) and the timestamp within an hour, else 310000;
  an unknown token is 300001.
- Webhook ``POST /hooks/NAME``: ``X-Yrdmon-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`` and a
  recent ``X-Yrdmon-Timestamp``, else 401.

Answers can be scripted per robot (errcodes, HTTP statuses), the server can be slow to answer (the
message is the platform's before the answer: a sender killed then has delivered it), and it can be
down (stopped, or never started on the port).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.pgcluster import free_port


@dataclass
class Received:
    platform: str  # wecom, dingtalk, webhook
    robot: str  # key, access token or hook name
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    raw: bytes
    body: Any
    answer: tuple[int, Any]


@dataclass
class Platform:
    wecom_keys: set[str] = field(default_factory=set)
    dingtalk: dict[str, str | None] = field(default_factory=dict)  # token -> 加签 secret (None: no 加签)
    hooks: dict[str, str] = field(default_factory=dict)  # name -> signing secret
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    scripted: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)  # robot -> answers to give
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what arrived ---------------------------------------------------------------------------

    def delivered(self, platform: str | None = None) -> list[Received]:
        """Requests the platform accepted (errcode 0 / HTTP 2xx)."""
        with self.lock:
            return [
                r for r in self.requests if (platform is None or r.platform == platform) and _ok(r.answer)
            ]

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.delivered()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.delivered())} of {count} messages arrived")
            time.sleep(0.02)

    def script(self, robot: str, *answers: tuple[int, Any]) -> None:
        with self.lock:
            self.scripted.setdefault(robot, []).extend(answers)

    # --- addresses ------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wecom_url(self, key: str) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def dingtalk_url(self, token: str) -> str:
        return f"{self.base}/robot/send?access_token={token}"

    def hook_url(self, name: str) -> str:
        return f"{self.base}/hooks/{name}"

    # --- running --------------------------------------------------------------------------------

    def start(self, port: int | None = None) -> Platform:
        self.port = port or self.port or free_port()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer, _ = platform.handle(self.path, dict(self.headers.items()), raw)
                if platform.delay:  # the message is the platform's now; the answer comes later
                    time.sleep(platform.delay)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the sender is gone

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the platforms' rules -------------------------------------------------------------------

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any, Received]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if parts.path == "/cgi-bin/webhook/send":
            kind, robot = "wecom", (query.get("key") or [""])[0]
            status, answer = 200, self._wecom(robot, body)
        elif parts.path == "/robot/send":
            kind, robot = "dingtalk", (query.get("access_token") or [""])[0]
            status, answer = 200, self._dingtalk(robot, query, body)
        elif parts.path.startswith("/hooks/"):
            kind, robot = "webhook", parts.path.removeprefix("/hooks/")
            status, answer = self._webhook(robot, headers, raw, body)
        else:
            kind, robot, status, answer = "?", "", 404, {"error": "not found"}
        with self.lock:
            queue = self.scripted.get(robot)
            if _ok((status, answer)) and queue:  # a scripted answer replaces success, never a refusal
                status, answer = queue.pop(0)
            record = Received(kind, robot, query, parts.query, headers, raw, body, (status, answer))
            self.requests.append(record)
        return status, answer, record

    def _wecom(self, key: str, body: Any) -> dict[str, Any]:
        if key not in self.wecom_keys:
            return {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1733] from ip: 127.0.0.1"}
        if not isinstance(body, dict) or body.get("msgtype") != "markdown":
            return {"errcode": 40008, "errmsg": "invalid message type"}
        content = (body.get("markdown") or {}).get("content")
        if not isinstance(content, str) or not content:
            return {"errcode": 44004, "errmsg": "empty content"}
        if len(content.encode()) > 4096:
            return {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        return {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(self, token: str, query: dict[str, list[str]], body: Any) -> dict[str, Any]:
        if token not in self.dingtalk:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        secret = self.dingtalk[token]
        if secret is not None:
            stamp, sign = (query.get("timestamp") or [""])[0], (query.get("sign") or [""])[0]
            if not stamp.isdigit() or abs(int(stamp) - time.time() * 1000) > 3600_000:
                return {"errcode": 310000, "errmsg": "sign not match, more: timestamp"}
            expected = base64.b64encode(
                hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
            ).decode()
            if not hmac.compare_digest(sign, expected):
                return {"errcode": 310000, "errmsg": "sign not match"}
        markdown = body.get("markdown") if isinstance(body, dict) else None
        if not isinstance(body, dict) or body.get("msgtype") != "markdown" or not isinstance(markdown, dict):
            return {"errcode": 40035, "errmsg": "缺少参数 json"}
        if not markdown.get("title") or not markdown.get("text"):
            return {"errcode": 40035, "errmsg": "缺少参数 title/text"}
        return {"errcode": 0, "errmsg": "ok"}

    def _webhook(self, name: str, headers: dict[str, str], raw: bytes, body: Any) -> tuple[int, Any]:
        secret = self.hooks.get(name)
        if secret is None:
            return 404, {"error": "no such hook"}
        given = headers.get("X-Yrdmon-Signature", "")
        expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        stamp = headers.get("X-Yrdmon-Timestamp", "")
        if (
            not hmac.compare_digest(given, expected)
            or not stamp.isdigit()
            or abs(int(stamp) - time.time()) > 300
        ):
            return 401, {"error": "bad signature"}
        if (
            not isinstance(body, dict)
            or not body.get("markdown")
            or body.get("key") != headers.get("X-Yrdmon-Key")
        ):
            return 400, {"error": "bad body"}
        return 200, {"ok": True}


def _ok(answer: tuple[int, Any]) -> bool:
    status, body = answer
    if not 200 <= status < 300:
        return False
    return not (isinstance(body, dict) and body.get("errcode", 0) != 0)
