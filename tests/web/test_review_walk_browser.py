"""Issue 19's walk-through, through the pages alone, in a real headless Chromium against ``yrdmon serve``
whose own scheduler makes the report runs and sends the e-mail (both databases).

A district editor (江宁区), the city's reviewer (南京市, covering its districts) and the plan office carry
2025's figures from entry to an approved end-of-term evaluation of Nanjing's 14th five-year outline,
whose R&D target is broken down to 江宁区 (the catalog fixture adds the district's sub-target): entry;
the reviewer returns one figure with a comment and approves the other; the editor sees it returned (and
is e-mailed once), corrects it; the reviewer approves the correction; a revision request on the locked
figure is refused and the approved value stays; the scheduler's recompute makes an official run; the
plan office reads the evaluation (official, no provisional mark) and downloads it as Word and Excel.
The reviewer's daily digest, when the scheduler's job is due, is sent once through the outbox.
Screenshots: test-artifacts/screens/review-walk-*.png (1280 px; a few at 390 px; zh and one en)."""

from __future__ import annotations

import datetime as dt
import io
import pickle
import time
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from service.db.migrate import upgrade_to_head
from service.db.models import (
    ObservationReview,
    OutboxMessage,
    ReportRun,
    ReviewState,
    Role,
    apscheduler_jobs,
)
from service.db.session import make_engine, make_sessionmaker, transaction
from service.domain import review, users
from service.domain.catalog import apply_catalog, read_catalog
from tests.support.browser import SHOTS, open_page
from tests.support.factories import copy_catalog, edit_yaml
from tests.support.servers import serve
from tests.support.smtp import Inbox, smtp_server

PASSWORD = "pw-123456"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PLAN = "nanjing-14th-outline"
DISTRICT, CITY = "320115", "320100"  # 江宁区 of 南京市
EDITOR, REVIEWER, OFFICE = "jn-editor", "nj-reviewer", "plan-office"
MAIL = {
    EDITOR: "jn-editor@jiangning.gov.cn",
    REVIEWER: "nj-reviewer@nanjing.gov.cn",
    OFFICE: "ghc@nanjing.gov.cn",
}
FAST = {
    "YRDMON_SCHEDULER_LEASE_SECONDS": "3",
    "YRDMON_RECOMPUTE_DEBOUNCE_SECONDS": "1",
    "YRDMON_RECOMPUTE_CHECK_SECONDS": "1",
}


def _district_target(data: dict[str, Any]) -> None:
    """The city's R&D target, broken down: every district is to reach the city's 4% (split: each)."""
    for t in data["targets"]:
        if t["key"] == "rd-intensity-2025":
            t["split"] = "each"
    data["targets"].append(
        {
            "key": f"rd-intensity-2025.{DISTRICT}",
            "indicator": "rd_intensity",
            "region": DISTRICT,
            "unit": "%",
            "comparator": ">=",
            "value": 4,
            "target_year": 2025,
            "declared_form": "share",
            "parent": "rd-intensity-2025",
            "quote": "全社会研发投入占地区生产总值比重达到4%",
        }
    )


@pytest.fixture
def office(fresh_db_url, tmp_path: Path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    url = fresh_db_url()
    engine = make_engine(url)
    upgrade_to_head(engine)
    catalog = copy_catalog(tmp_path)
    edit_yaml(catalog / "plans" / f"{PLAN}.yaml", _district_target)
    with transaction(make_sessionmaker(engine)) as s:
        apply_catalog(s, read_catalog(catalog), now=START)
        for name, role, regions in (
            (EDITOR, Role.EDITOR, [DISTRICT]),
            (REVIEWER, Role.REVIEWER, [CITY]),
            (OFFICE, Role.ADMIN, []),
        ):
            users.create_user(
                s,
                username=name,
                role=role,
                region_codes=regions,
                password=PASSWORD,
                now=START,
                email=MAIL[name],
            )
        review.set_policy(s, enabled=True, actor=None, now=START)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        env = {
            **FAST,
            "YRDMON_DATABASE_URL": url,
            "YRDMON_CATALOG_DIR": str(catalog),
            "YRDMON_SMTP_HOST": "127.0.0.1",
            "YRDMON_SMTP_PORT": str(port),
            "YRDMON_BASE_URL": "https://yrdmon.test",
        }
        for base in serve(env, tmp_path, scheduler=True):
            yield {"base": base, "url": url, "engine": engine, "inbox": inbox}
    engine.dispose()


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout:.0f} s: {what}")
        time.sleep(0.3)
    return found


def due_now(engine: Any, job_id: str) -> None:
    """Make the scheduler's stored job due now, as the clock reaching its hour would (the job store is the
    database; the serving process's scheduler looks at it every second)."""
    now = dt.datetime.now(dt.UTC)
    # a writing unit of work (BEGIN IMMEDIATE on SQLite): it waits for the serving scheduler's write lock
    # instead of failing with "database is locked" when the scheduler wrote since this read began
    with transaction(make_sessionmaker(engine)) as conn:
        row = conn.execute(select(apscheduler_jobs).where(apscheduler_jobs.c.id == job_id)).one()
        state = pickle.loads(row.job_state)
        state["next_run_time"] = now
        conn.execute(
            update(apscheduler_jobs)
            .where(apscheduler_jobs.c.id == job_id)
            .values(job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL), next_run_time=now.timestamp())
        )


def in_force(engine: Any, indicator: str) -> Decimal | None:
    """江宁区's 2025 value of ``indicator`` that counts officially now (the latest approved version)."""
    from service.db.models import Indicator, Observation, Region
    from service.domain.vintage import Vintage

    with make_sessionmaker(engine)() as s:
        return s.scalar(
            select(Observation.value)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .join(Region, Region.id == Observation.region_id)
            .where(
                Indicator.code == indicator,
                Region.code == DISTRICT,
                Observation.period == 2025,
                Vintage.now(dt.datetime.now(dt.UTC), "official").observations(),
            )
            .order_by(Observation.reported_at.desc(), Observation.id.desc())
            .limit(1)
        )


def mails(inbox: Inbox, to: str) -> list[Any]:
    return [m for m in inbox.messages if m["To"] == to]


def outbox_keys(engine: Any, prefix: str) -> list[str]:
    with make_sessionmaker(engine)() as s:
        return list(
            s.scalars(select(OutboxMessage.message_key).where(OutboxMessage.message_key.startswith(prefix)))
        )


def log_in(browser, base: str, username: str, width: int = 1280, lang: str = "zh"):  # type: ignore[no-untyped-def]
    page, errors = open_page(browser, f"{base}/login?lang={lang}", width)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{username} could not log in"
    return page, errors


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"review-walk-{name}.png"), full_page=True)


def row_of(page, text: str):  # type: ignore[no-untyped-def]
    rows = page.locator("#review-queue tbody tr", has_text=text)
    assert rows.count() == 1, page.locator("#review-queue").inner_text()
    return rows


def enter(page, base: str, values: dict[str, tuple[str, str]], source: str) -> None:  # type: ignore[no-untyped-def]
    """The entry form for 江宁区, 2025: indicator code -> (value, revision reason)."""
    page.goto(f"{base}/entry?region={DISTRICT}&year=2025")
    for code, (value, reason) in values.items():
        page.fill(f"input[name=value_{code}]", value)
        if reason:
            page.fill(f"input[name=reason_{code}]", reason)
    page.fill("input[name=source]", source)
    page.click("#entry-form button[type=submit]")
    page.wait_for_load_state()


def test_a_district_a_city_reviewer_and_the_plan_office_through_the_pages(  # type: ignore[no-untyped-def]
    browser, office, db_kind: str
) -> None:
    base, engine, inbox = office["base"], office["engine"], office["inbox"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = f"-{db_kind}"
    # 1. the district's editor enters 2025's R&D intensity (a slip: 2.9 for 3.9) and GDP
    page, errors = log_in(browser, base, EDITOR)
    enter(
        page,
        base,
        {"rd_intensity": ("2.9", ""), "gdp": ("3250.6", "")},
        "江宁区2025年国民经济和社会发展统计公报",
    )
    assert "待审核" in page.locator("#review-state").inner_text()
    shot(page, f"1-entry{suffix}")
    assert errors == []
    page.close()
    # the reviewer's daily digest: due (as at 09:00 Beijing time), run by the serving process's scheduler
    due_now(engine, "review_digests")
    wait_for(lambda: outbox_keys(engine, "review-digest:"), "the reviewer's digest queued")
    due_now(engine, "send_outbox")
    digest = wait_for(lambda: mails(inbox, MAIL[REVIEWER]), "the reviewer's digest delivered")
    assert (
        "2 条数据" in str(digest[0]["Subject"])
        and "江宁区2025年" in digest[0].get_body(("plain",)).get_content()
    )
    # 2. the city's reviewer: returns the slip with a comment, approves GDP
    page, errors = log_in(browser, base, REVIEWER)
    page.goto(f"{base}/review")
    assert page.locator("#review-queue tbody tr").count() == 2
    shot(page, f"2-queue{suffix}")
    row_of(page, "研究与试验发展").locator("input[type=checkbox]").check()
    page.fill("#review-form textarea[name=comment]", "与区统计公报不符（公报为3.9%），请核实")
    page.click("#return-selected")
    page.wait_for_load_state()
    assert page.locator("#review-done").count() == 1
    row_of(page, "地区生产总值").locator("input[type=checkbox]").check()
    page.click("#approve-selected")
    page.wait_for_load_state()
    assert page.locator("#queue-empty").count() == 1
    assert errors == []
    page.close()
    # the editor is told once, by the scheduler's sender
    due_now(engine, "send_outbox")
    back = wait_for(lambda: mails(inbox, MAIL[EDITOR]), "the editor's returned-figure e-mail")
    assert "退回" in str(back[0]["Subject"]) and "公报为3.9%" in back[0].get_body(("plain",)).get_content()
    # 3. the editor sees it returned with the comment, and corrects it
    page, errors = log_in(browser, base, EDITOR)
    page.goto(f"{base}/review")
    returned = page.locator("#returned tbody tr")
    assert returned.count() == 1 and "公报为3.9%" in returned.inner_text()
    shot(page, f"3-returned{suffix}")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"3-returned-390{suffix}")
    page.set_viewport_size({"width": 1280, "height": 900})
    enter(page, base, {"rd_intensity": ("3.9", "按区统计公报更正")}, "江宁区2025年国民经济和社会发展统计公报")
    assert "待审核" in page.locator("#review-state").inner_text()
    shot(page, f"4-corrected{suffix}")
    assert errors == []
    page.close()
    # 4. the reviewer approves the correction
    page, errors = log_in(browser, base, REVIEWER)
    page.goto(f"{base}/review")
    corrected = row_of(page, "研究与试验发展")
    assert "3.9" in corrected.inner_text()
    corrected.locator("input[type=checkbox]").check()
    page.click("#approve-selected")
    page.wait_for_load_state()
    assert page.locator("#queue-empty").count() == 1
    page.close()
    # 5. a revision request on the approved (locked) GDP: filed as such, refused; the approved value stays
    page, errors = log_in(browser, base, EDITOR)
    enter(page, base, {"gdp": ("3301.2", "快报数更新")}, "江宁区2025年统计快报")
    assert "待审核" in page.locator("#review-state").inner_text()
    page.close()
    page, errors = log_in(browser, base, REVIEWER)
    page.goto(f"{base}/review")
    request = row_of(page, "地区生产总值")
    text = request.inner_text()  # a revision request, the value in force beside it
    assert "修订申请" in text and text.index("3,301.2") < text.index("3,250.6")
    assert (
        request.locator(".source").inner_text() == "江宁区2025年统计快报"
    )  # what the reviewer checks it against
    shot(page, f"5-revision-request{suffix}")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"5-revision-request-390{suffix}")
    request.locator("input[type=checkbox]").check()
    page.fill("#review-form textarea[name=comment]", "快报数未经核定，以年报为准")
    page.click("#return-selected")
    page.wait_for_load_state()
    assert page.locator("#queue-empty").count() == 1
    assert errors == []
    page.close()
    assert in_force(engine, "gdp") == Decimal("3250.6")  # refused: the approved value stays
    # ... and asked again with the yearbook's figure, approved: from then on it is the value in force
    page, errors = log_in(browser, base, EDITOR)
    enter(page, base, {"gdp": ("3288.4", "统计年鉴核定数")}, "南京统计年鉴2026")
    page.close()
    page, errors = log_in(browser, base, REVIEWER)
    page.goto(f"{base}/review")
    again = row_of(page, "地区生产总值")
    assert "修订申请" in again.inner_text() and "3,250.6" in again.inner_text()
    again.locator("input[type=checkbox]").check()
    page.click("#approve-selected")
    page.wait_for_load_state()
    assert page.locator("#queue-empty").count() == 1 and errors == []
    page.close()
    assert in_force(engine, "gdp") == Decimal("3288.4")
    refused_at = dt.datetime.now(dt.UTC)
    # 6. the serving process's scheduler makes the official run after the last step
    with make_sessionmaker(engine)() as s:
        last_step = s.scalar(
            select(ObservationReview.at)
            .where(ObservationReview.state == ReviewState.APPROVED)
            .order_by(ObservationReview.at.desc())
            .limit(1)
        )
    assert last_step is not None

    def official_run() -> ReportRun | None:
        with make_sessionmaker(engine)() as s:
            return s.scalar(
                select(ReportRun)
                .where(
                    ReportRun.trigger == "data",
                    ReportRun.started_at >= last_step,
                    ReportRun.finished_at.is_not(None),
                )
                .order_by(ReportRun.id.desc())
                .limit(1)
            )

    run = wait_for(official_run, "a data run after the approval")
    assert run.review_view == "official"
    # 7. the plan office reads the end-of-term evaluation: official, no provisional mark, 江宁区 on 3.9
    page, errors = log_in(browser, base, OFFICE)
    page.goto(f"{base}/plans/{PLAN}/evaluation")
    assert "正式口径" in page.locator("#review-view").inner_text()
    assert "暂定" not in page.content() and "待审核" not in page.locator("main").inner_text()
    district = page.locator("tr", has_text="江宁区")
    assert district.count() >= 1 and "3.9" in district.first.inner_text(), page.locator("main").inner_text()[
        :3000
    ]
    shot(page, f"6-evaluation{suffix}")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, f"6-evaluation-390{suffix}")
    page.set_viewport_size({"width": 1280, "height": 900})
    files = {}
    for fmt in ("docx", "xlsx"):
        with page.expect_download() as info:
            page.click(f"a[href*='evaluation.{fmt}']")
        files[fmt] = Path(info.value.path()).read_bytes()
    word = zipfile.ZipFile(io.BytesIO(files["docx"])).read("word/document.xml").decode()
    assert "正式口径" in word and "暂定" not in word
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    cells = " ".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )
    assert "江宁区" in cells and "正式口径" in cells and "暂定" not in cells, cells[:2000]
    page.goto(f"{base}/plans/{PLAN}/evaluation?lang=en")
    assert "Official: approved figures only" in page.locator("#review-view").inner_text()
    shot(page, f"7-evaluation-en{suffix}")
    assert errors == []
    page.close()
    # the e-mail, exactly once: the digest again due the same day, the sender again: nothing new
    due_now(engine, "review_digests")
    due_now(engine, "send_outbox")
    wait_for(lambda: len(mails(inbox, MAIL[EDITOR])) >= 2, "the refused revision request's e-mail")
    time.sleep(2.5)
    assert len(mails(inbox, MAIL[REVIEWER])) == 1
    editor_mail = mails(inbox, MAIL[EDITOR])
    assert len(editor_mail) == 2 and "修订申请被驳回" in str(editor_mail[1]["Subject"])
    # the plan office (an administrator reviews every region) had its one digest of the same day too
    assert [str(m["Subject"]) for m in mails(inbox, MAIL[OFFICE])] == [str(digest[0]["Subject"])]
    assert refused_at <= dt.datetime.now(dt.UTC)
