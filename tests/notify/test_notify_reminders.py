"""The reporting calendar: due dates and their overrides (pure), and the reminders, overdue notices and
completeness summaries it queues on given days (both databases; the days are passed in, never read)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Indicator, ReportingDeadline, WritePath
from service.domain.observations import ObservationInput, ingest
from service.notify.reminders import (
    DEFAULT_RULE,
    Ask,
    DueRule,
    ReportingCalendar,
    current_ask,
    due_date,
    queue_reminders,
)
from tests.support.factories import create_user
from tests.support.notify import at_nine, deliver, outbox, parts, person, settings_for
from tests.support.smtp import Inbox, smtp_server

D = dt.date


def test_a_years_figure_is_due_on_its_day_of_a_later_year() -> None:
    assert due_date(DEFAULT_RULE, 2025) == D(2026, 3, 31)
    assert due_date(DueRule(6, 30, 2, 7), 2025) == D(2027, 6, 30)
    leap = DueRule(2, 29, 1, 10)
    assert due_date(leap, 2026) == D(2027, 2, 28) and due_date(leap, 2027) == D(2028, 2, 29)


def test_the_calendar_asks_for_the_latest_year_whose_reminder_window_has_opened() -> None:
    rule = DEFAULT_RULE  # 31 March of the next year, reminders from 14 days before
    assert current_ask(rule, D(2026, 3, 16)) == Ask(2024, D(2025, 3, 31), "overdue")
    assert current_ask(rule, D(2026, 3, 17)) == Ask(2025, D(2026, 3, 31), "due")
    assert current_ask(rule, D(2026, 3, 31)) == Ask(2025, D(2026, 3, 31), "due")  # the due day itself
    assert current_ask(rule, D(2026, 4, 1)) == Ask(2025, D(2026, 3, 31), "overdue")
    assert current_ask(rule, D(2026, 12, 31)) == Ask(2025, D(2026, 3, 31), "overdue")
    # a window that opens in the year before the due date, and a figure due in its own year
    assert current_ask(DueRule(1, 10, 1, 20), D(2025, 12, 25)) == Ask(2025, D(2026, 1, 10), "due")
    assert current_ask(DueRule(12, 31, 0, 30), D(2026, 12, 15)) == Ask(2026, D(2026, 12, 31), "due")


def test_the_most_specific_deadline_wins() -> None:
    def row(indicator: int | None, region: int | None, month: int) -> ReportingDeadline:
        return ReportingDeadline(indicator_id=indicator, region_id=region, due_month=month, due_day=1,
                                 lag_years=1, remind_days_before=14)  # fmt: skip

    assert ReportingCalendar().rule(1, 7) == DEFAULT_RULE
    cal = ReportingCalendar([row(None, None, 4), row(1, None, 5), row(None, 7, 6), row(1, 7, 8)])
    assert cal.rule(1, 7).due_month == 8  # indicator and region
    assert cal.rule(1, 8).due_month == 5  # indicator, any region
    assert cal.rule(2, 7).due_month == 6  # region, any indicator
    assert cal.rule(2, 8).due_month == 4  # the deployment's default row
    assert ReportingCalendar([row(1, None, 5)]).rule(2, 8) == DEFAULT_RULE


def test_reminders_before_the_due_date_overdue_notices_after_it_and_a_summary_for_administrators(
    session: Session, db_url: str
) -> None:
    jiashan, _ = person(session, "jiashan", "editor", "jiashan@example.org", ("330421",))  # 嘉善县
    zone, _ = person(session, "demo", "editor", "demo@example.org", ("Z-DEMO",))  # 青浦 + 吴江 + 嘉善
    admin, _ = person(session, "admin", "admin", "admin@example.org")
    person(session, "viewer", "viewer", "viewer@example.org")  # readers are never asked for data
    create_user(session, username="noaddress", role="editor", regions=("330421",))  # nowhere to send to
    names = {i.code: i.name_zh for i in session.scalars(select(Indicator))}
    high_tech = session.scalar(select(Indicator.id).where(Indicator.code == "high_tech_enterprises"))
    # high-tech enterprise counts are due earlier everywhere: 20 March (an indicator-wide override)
    session.add(ReportingDeadline(indicator_id=high_tech, region_id=None, due_month=3, due_day=20, lag_years=1,
                                  remind_days_before=30))  # fmt: skip
    inputs = [ObservationInput(row=n, indicator=i, region="330421", period=2025, value=v, unit=u)
              for n, (i, v, u) in enumerate((("rd_intensity", 3.6, "%"), ("network_5g_coverage", 100, "%")), 1)]  # fmt: skip
    assert ingest(session, jiashan, inputs, path=WritePath.API, now=at_nine(D(2026, 3, 1))).applied
    settings = settings_for(db_url)

    march18 = queue_reminders(session, settings, now=at_nine(D(2026, 3, 18)))
    assert (march18.reminders, march18.overdue, march18.summaries) == (8, 0, 0)
    queued = outbox(session)
    assert sorted(k for k in queued if k.endswith(f":{jiashan.id}")) == [
        f"reminder:due:330421:2025:2026-03-20:{jiashan.id}",
        f"reminder:due:330421:2025:2026-03-31:{jiashan.id}",
    ]
    zone_regions = {k.split(":")[2] for k in queued if k.endswith(f":{zone.id}")}
    assert zone_regions == {"310118", "320509", "330421"}  # the editor of a zone reports for its members
    assert {m.to_addr for m in queued.values()} == {"jiashan@example.org", "demo@example.org"}
    reminder = queued[f"reminder:due:330421:2025:2026-03-31:{jiashan.id}"]
    assert (
        reminder.subject == "【规划目标监测】数据报送提醒：嘉善县 2025年数据请于2026-03-31前报送（尚缺3项）"
    )
    for code in (
        "specialized_sme_count",
        "smart_sensing_industry_output",
        "park_circular_transformation_coverage",
    ):
        assert f"{names[code]} ({code}," in reminder.body_text
    for code in ("rd_intensity", "network_5g_coverage", "high_tech_enterprises"):  # received / due separately
        assert f"({code}," not in reminder.body_text
    assert "还有 13 天" in reminder.body_text
    # once: the same day again and the days after add nothing until a phase changes
    assert queue_reminders(session, settings, now=at_nine(D(2026, 3, 18))).keys == []
    assert queue_reminders(session, settings, now=at_nine(D(2026, 3, 19))).keys == []

    march21 = queue_reminders(session, settings, now=at_nine(D(2026, 3, 21)))
    assert (march21.reminders, march21.overdue, march21.summaries) == (0, 4, 1)
    assert f"reminder:overdue:330421:2025:2026-03-20:{jiashan.id}" in march21.keys
    summary = outbox(session)[f"completeness:2025:2026-03-20:{admin.id}"]
    assert summary.to_addr == "admin@example.org"
    assert re.search(r"嘉善县 \(330421\)：0/1 \(0%\)", summary.body_text)
    assert "杭州市 (330100)：0/1" in summary.body_text  # a region with its own high-tech target

    april2 = queue_reminders(session, settings, now=at_nine(D(2026, 4, 2)))
    assert april2.summaries == 1 and f"reminder:overdue:330421:2025:2026-03-31:{jiashan.id}" in april2.keys
    queued = outbox(session)
    overdue = queued[f"reminder:overdue:330421:2025:2026-03-31:{jiashan.id}"]
    assert overdue.subject == "【规划目标监测】数据逾期：嘉善县 2025年数据已过报送期限2026-03-31（尚缺3项）"
    assert "已逾期 2 天" in overdue.body_text
    complete = queued[f"completeness:2025:2026-03-31:{admin.id}"]
    assert "嘉善县 (330421)：2/5 (40%)" in complete.body_text
    # lowest completeness first
    assert complete.body_text.index("青浦区") < complete.body_text.index("嘉善县")
    assert queue_reminders(session, settings, now=at_nine(D(2026, 4, 3))).keys == []

    inbox = Inbox()
    with smtp_server(inbox) as port:
        deliver(session, settings_for(db_url, port))
    got = {str(m["Subject"]): m for m in inbox.messages}
    assert len(inbox.messages) == len(queued)
    text, html = parts(got[overdue.subject])
    assert names["specialized_sme_count"] in text and names["specialized_sme_count"] in html
    assert "<td" in html and "<script" not in html and "2026-03-31" in html
    text, html = parts(got[complete.subject])
    assert "嘉善县" in html and "40%" in html and "bgcolor=" in html  # the completeness bars
