"""Issue 21 as the plan office does it, in a real Chromium, through pages only: assign the Nanjing outline's
targets to departments, split the binding grain target into district quotas, enter the 2026 GDP milestone,
record a progress statement with a PDF, and open the 2026 annual evaluation with its warning list.

Runs on SQLite (the server as `make run` leaves it); the same writes are covered on PostgreSQL by
tests/web/test_assign_pages.py, tests/domain/test_evidence.py and tests/notify/test_warn_after_runs.py. Screenshots go to
test-artifacts/screens/assign-*.png for the closing note.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.config import PROJECT_ROOT
from tests.support.cli import run
from tests.support.servers import serve

SHOTS = PROJECT_ROOT / "test-artifacts" / "screens"
NJ = "nanjing-15th-outline"
PASSWORD = "plan-office-2026"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The service after `init` and a run, with the statistics bureau's figures for Nanjing (grain capacity
    100 万吨 in 2025 and 96 in 2026; GDP growth 5.0 % in 2026: test figures) and the plan office's login."""
    from service.db.models import Role, WritePath
    from service.db.session import make_engine, make_sessionmaker, transaction
    from service.domain import users
    from service.domain.observations import ObservationInput, ingest

    tmp = tmp_path_factory.mktemp("assign")
    env = {"YRDMON_DATABASE_URL": f"sqlite:///{tmp / 'assign.sqlite3'}"}
    run(["init"], env, tmp)
    engine = make_engine(env["YRDMON_DATABASE_URL"])
    now = dt.datetime.now(dt.UTC)
    with transaction(make_sessionmaker(engine)) as session:
        office = users.create_user(session, username="ghb", role=Role.ADMIN, password=PASSWORD, now=now)
        session.flush()
        figures = [
            ("grain_production_capacity", 2025, 100, "万吨"),
            ("grain_production_capacity", 2026, 96, "万吨"),
            ("gdp_growth", 2026, 5.0, "%"),
        ]
        inputs = [
            ObservationInput(
                row=n,
                indicator=i,
                region="320100",
                period=y,
                value=v,
                unit=u,
                status="final",
                confirm=True,
                source="南京市国民经济和社会发展统计公报（测试数据）",
            )
            for n, (i, y, v, u) in enumerate(figures, 1)
        ]
        assert ingest(session, office, inputs, path=WritePath.API, now=now).applied
    engine.dispose()
    run(["report", "run"], env, tmp)
    for base in serve(env, tmp):
        yield base, env, tmp


def test_the_plan_office_walks_through_issue_21(browser, site) -> None:  # type: ignore[no-untyped-def]
    base, env, tmp = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def shot(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"assign-{name}.png"), full_page=True)

    page.goto(base + "/login?lang=zh")
    page.fill("input[name=username]", "ghb")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.card button[type=submit]")

    # 1. the plan's grain target → its breakdown page → lead and supporting departments, picked by name
    page.goto(base + f"/plans/{NJ}?lang=zh")
    page.click(f"a[href^='/targets/{NJ}/grain-capacity-2030']")
    page.click("#breakdown-link")
    page.select_option("#pick-lead", label="南京市农业农村局")
    page.select_option("#pick-support", label=["南京市规划和自然资源局", "南京市水务局"])
    page.fill("#assign-target-form input[name=source]", "南京市“十五五”规划纲要主要目标任务分解落实方案")
    with page.expect_navigation():
        page.click("#assign-target-form button[type=submit]")
    assert page.inner_text("#lead") == "南京市农业农村局"
    assert page.locator("#admin-saved").inner_text() == "已保存"
    assert "南京市规划和自然资源局" in page.inner_text("#support") and "南京市水务局" in page.inner_text(
        "#support"
    )
    shot("1-lead")

    # 2. the GDP target assigned from the organisations page, the target picked by its name
    page.goto(base + "/organisations?lang=zh")
    page.select_option("#pick-target", label="地区生产总值增速（南京市）2030年")
    page.select_option("#assign-form select[name=lead]", label="南京市发展和改革委员会")
    page.select_option("#assign-form select[name=support]", label="南京市统计局")
    with page.expect_navigation():
        page.click("#assign-form button[type=submit]")
    assert page.inner_text("#lead") == "南京市发展和改革委员会" and "南京市统计局" in page.inner_text(
        "#support"
    )
    page.goto(base + "/organisations?lang=zh")
    shot("2-organisations")

    # 3. the binding grain target split into district quotas: the check says what is missing, then holds
    page.goto(base + f"/targets/{NJ}/grain-capacity-2030/breakdown?lang=zh")
    for district, quota in (("江宁区", "30"), ("浦口区", "45")):
        page.select_option("#pick-district", label=district)
        page.fill("#subtarget-form input[name=value]", quota)
        page.fill("#subtarget-form input[name=document]", "南京市粮食生产能力目标分解方案")
        page.fill("#subtarget-form input[name=quote]", f"{district}粮食综合生产能力不低于{quota}万吨")
        with page.expect_navigation():
            page.click("#subtarget-form button[type=submit]")
    assert "各子目标配额合计 75 万吨，应不少于上级目标 100 万吨" in page.inner_text("#split-check")
    shot("3-quotas-short")
    page.select_option("#pick-district", label="六合区")
    page.fill("#subtarget-form input[name=value]", "25")
    page.fill("#subtarget-form input[name=document]", "南京市粮食生产能力目标分解方案")
    with page.expect_navigation():
        page.click("#subtarget-form button[type=submit]")
    assert page.inner_text("#split-check").startswith("配额核对无误")
    assert page.locator("#sub-targets tbody tr").count() == 3
    shot("3-quotas")

    # 4. the 2026 milestone of the GDP target: 增长5%左右, from the 2026 yearly plan
    page.goto(base + f"/targets/{NJ}/gdp-avg-growth-2030/breakdown?lang=zh")
    page.select_option("#milestone-form select[name=year]", "2026")
    page.fill("#milestone-form input[name=document]", "南京市2026年国民经济和社会发展计划")
    page.select_option("#milestone-form select[name=declared_form]", "annual_growth")
    page.select_option("#milestone-form select[name=comparator]", "~")
    page.fill("#milestone-form input[name=value]", "5")
    page.fill("#milestone-form input[name=quote]", "地区生产总值增长5%左右")
    with page.expect_navigation():
        page.click("#milestone-form button[type=submit]")
    assert page.locator("#admin-saved").inner_text() == "年度目标已录入"
    row = page.locator("#milestones tbody tr").first
    assert (
        "2026" in row.inner_text()
        and "5%左右" in row.inner_text()
        and "南京市2026年国民经济和社会发展计划" in row.inner_text()
    )
    shot("4-milestone")

    # 5. a progress statement for 2026 with a PDF on the grain target's page; the file downloads intact
    pdf = tmp / "南京市2026年粮食生产情况.pdf"
    pdf.write_bytes(PDF)
    page.goto(base + f"/targets/{NJ}/grain-capacity-2030?lang=zh")
    page.select_option("#statement-form select[name=year]", "2026")
    page.fill(
        "#statement-text",
        "2026年受夏季持续降雨影响，粮食综合生产能力降至96万吨；已新建高标准农田3万亩，预计2027年恢复。",
    )
    page.set_input_files("#statement-form input[type=file]", str(pdf))
    with page.expect_navigation():
        page.click("#statement-form button[type=submit]")
    assert page.locator("#statement-saved").count() == 1
    link = page.locator(".statement-files a").first
    assert link.inner_text() == "南京市2026年粮食生产情况.pdf"
    with page.expect_download() as got:
        link.click()
    download = got.value
    assert download.suggested_filename == "南京市2026年粮食生产情况.pdf"
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == hashlib.sha256(PDF).hexdigest()
    page.locator("#statements").scroll_into_view_if_needed()
    shot("5-statement")

    # the scheduler's run (here by hand: the test server runs no scheduler) assesses quotas and milestone
    run(["report", "run"], env, tmp)

    # 6. the 2026 annual evaluation, from the plan's page: the warning list names the grain target and its lead
    page.goto(base + f"/plans/{NJ}?lang=zh")
    with page.expect_navigation():
        page.click("#annual-link")
    assert "2026年年度评估" in page.inner_text("h1")
    warning = page.locator("#warnings tbody tr", has_text="粮食综合生产能力")
    assert warning.count() == 1 and "南京市农业农村局" in warning.inner_text()
    assert "达不到目标100" in warning.inner_text()
    # the year's targets (2026 not yet over: with the plan's later targets) hold the GDP milestone
    assert page.locator("#later-targets tbody tr", has_text="(2026)").count() == 1
    shot("6-annual")
    # its report file (HTML; the Word and Excel files say the same) lists the statement among the 支撑材料
    with page.expect_download() as doc:
        page.click("#downloads a[href*='.html']")
    html = Path(doc.value.path()).read_text(encoding="utf-8")
    assert "支撑材料" in html and "降至96万吨" in html and hashlib.sha256(PDF).hexdigest() in html

    # 7. the breakdown page with its forms at phone width
    phone = context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(base + f"/targets/{NJ}/grain-capacity-2030/breakdown?lang=zh")
    assert int(phone.evaluate("document.documentElement.scrollWidth")) <= 390
    phone.screenshot(path=str(SHOTS / "assign-7-phone.png"), full_page=True)
    phone.close()
    context.close()
    assert errors == []
