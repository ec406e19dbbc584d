"""The service as its users run it: ``yrdmon serve`` in a child process on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.cli import YRDMON
from tests.support.pgcluster import free_port


def serve(env: dict[str, str], cwd: Path, *, scheduler: bool = False) -> Iterator[str]:
    """``yrdmon serve`` (no scheduler unless ``scheduler``: then its embedded scheduler runs the jobs) with
    ``env`` added to the environment; yields its base URL once ``/healthz`` answers, and stops the process
    afterwards. Use with ``yield from`` in a fixture or wrap in ``contextlib.contextmanager``."""
    port = free_port()
    flag = "--scheduler" if scheduler else "--no-scheduler"
    proc = subprocess.Popen(
        [*YRDMON, "serve", flag, "--port", str(port)],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the service did not start") from None
                time.sleep(0.05)  # a refused connection costs nothing: ask often, answer as soon as it is up
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
