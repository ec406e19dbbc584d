"""A year's figure carried from entry to an approved end-of-term evaluation through the web pages alone,
in a real headless Chromium against ``yrdmon serve`` (both databases): the demonstration zone's editor
enters it, the zone's reviewer approves it, the plan office reads the official evaluation. Screenshots
go to test-artifacts/screens/review-*.png (the walk-through in docs/review.md shows them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.db.models import Role
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain import review, users
from tests.support.browser import SHOTS, open_page
from tests.support.databases import PreparedDatabases
from tests.support.servers import serve

PASSWORD = "pw-123456"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def office(prepared: PreparedDatabases, db_kind: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = prepared.catalogued(db_kind)  # migrated, catalog as of CATALOGUED (START)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        for name, role, regions in (("shifan-editor", Role.EDITOR, ["Z-DEMO"]),
                                    ("shifan-reviewer", Role.REVIEWER, ["Z-DEMO"]),
                                    ("plan-office", Role.ADMIN, [])):  # fmt: skip
            users.create_user(s, username=name, role=role, region_codes=regions, password=PASSWORD, now=START)
        review.set_policy(s, enabled=True, actor=None, now=START)
    engine.dispose()
    for base in serve({"YRDMON_DATABASE_URL": url}, tmp_path):
        yield base, url


def log_in(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page, errors


def test_from_entry_to_an_approved_evaluation_through_the_pages(browser, office, db_kind: str) -> None:  # type: ignore[no-untyped-def]
    from service.reports.engine import run_report_now

    base, url = office
    SHOTS.mkdir(parents=True, exist_ok=True)
    # 1. the zone's editor enters the 2025 R&D intensity
    page, errors = log_in(browser, base, "shifan-editor")
    page.goto(f"{base}/entry?region=Z-DEMO&year=2025")
    page.fill("input[name=value_rd_intensity]", "3.8")
    page.fill("input[name=source]", "示范区统计公报")
    page.click("#entry-form button[type=submit]")
    page.wait_for_load_state()
    assert "待审核" in page.locator("#review-state").inner_text()
    page.screenshot(path=str(SHOTS / f"review-1-entry-{db_kind}.png"), full_page=True)
    assert errors == []
    page.close()
    # 2. the reviewer finds it in the queue and approves it
    page, errors = log_in(browser, base, "shifan-reviewer")
    page.goto(f"{base}/review")
    row = page.locator("#review-queue tbody tr")
    assert row.count() == 1 and "3.8" in row.inner_text()
    page.screenshot(path=str(SHOTS / f"review-2-queue-{db_kind}.png"), full_page=True)
    row.locator("input[type=checkbox]").check()
    page.click("#approve-selected")
    page.wait_for_load_state()
    assert page.locator("#review-done").count() == 1 and page.locator("#queue-empty").count() == 1
    assert errors == []
    page.close()
    # the scheduler's recompute (the approval recorded a data change), run here in-process
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        run = run_report_now(s, trigger="data")
        assert run.review_view == "official"
    engine.dispose()
    # 3. the plan office reads the evaluation, on approved figures only
    page, errors = log_in(browser, base, "plan-office")
    page.goto(f"{base}/plans/demo-zone-industry-2023/evaluation")
    assert "正式口径" in page.locator("#review-view").inner_text()
    assert "3.8" in page.content()
    page.screenshot(path=str(SHOTS / f"review-3-evaluation-{db_kind}.png"), full_page=True)
    assert errors == []
    page.close()
