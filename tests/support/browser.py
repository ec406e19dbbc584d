"""Debian's Chromium driven by Playwright (never a downloaded browser), and what the page tests share.

The ``browser`` fixture (one Chromium per test module) is declared in tests/conftest.py from ``chromium``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.config import PROJECT_ROOT
from tests.support import IN_CI

CHROMIUM = os.environ.get("YRDMON_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SHOTS = PROJECT_ROOT / "test-artifacts" / "screens"


def chromium() -> Iterator[Any]:
    """A headless Chromium for as long as the generator runs (skipped where none is installed, except in
    CI, which installs Debian's ``chromium``)."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI installs Debian's chromium", pytrace=False)
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser: Any, url: str, width: int = 1280) -> tuple[Any, list[str]]:
    """A new page at ``url`` and the list its console errors and uncaught exceptions are collected in."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page, errors


def rendered_traces(page: Any, chart_id: str) -> int:
    """Waits until the chart says Plotly drew it; its number of traces."""
    page.wait_for_selector(f"#{chart_id}[data-rendered=true]", timeout=20_000)
    return int(page.evaluate(f"document.getElementById('{chart_id}').data.length"))
