"""Issue 21, point 2: the plan office's forms on a target's breakdown page — assign the lead and supporting
organisations, add district quotas and see the add-up check, enter a year's target — by name, with CSRF,
in zh and en; refused input comes back with a message and what was typed. On both databases."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Plan, Role, Target, TargetAssignment
from service.domain import users
from tests.support.factories import NOW

NJ = "nanjing-15th-outline"
GRAIN = "grain-capacity-2030"
GDP = "gdp-avg-growth-2030"
PAGE = f"/targets/{NJ}/{GRAIN}/breakdown"


def login(client: TestClient, session: Session, username: str, role: Role) -> str:
    users.create_user(session, username=username, role=role, region_codes=[], password="pw-123456", now=NOW)
    session.commit()
    r = client.post(
        "/login", data={"username": username, "password": "pw-123456", "next": "/"}, follow_redirects=False
    )
    assert r.status_code == 303
    page = client.get(PAGE + "?lang=zh").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    return found.group(1) if found else ""


def test_the_forms_are_the_plan_offices(client: TestClient, session: Session) -> None:
    csrf = login(client, session, "reader", Role.VIEWER)
    page = client.get(PAGE + "?lang=zh").text
    assert (
        'id="assign-target-form"' not in page
        and 'id="subtarget-form"' not in page
        and 'id="milestone-form"' not in page
    )
    refused = client.post(
        f"/targets/{NJ}/{GRAIN}/subtargets",
        data={"csrf": csrf, "region": "320115", "value": "30", "split": "sum", "document": "分解方案"},
    )
    assert refused.status_code == 403 and "只有管理员" in refused.text
    assert client.post(f"/targets/{NJ}/{GDP}/milestones", data={"csrf": csrf}).status_code == 403
    client.post("/logout")
    anonymous = client.post(f"/targets/{NJ}/{GRAIN}/subtargets", data={}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    # back to the breakdown page after signing in (the form's own address takes only a POST)
    assert quote(f"/targets/{NJ}/{GRAIN}/breakdown", safe="") in anonymous.headers["location"].replace(
        "/", "%2F"
    )


def test_the_plan_office_assigns_splits_and_sets_the_years_target_by_name(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, session, "office", Role.ADMIN)
    page = client.get(PAGE + "?lang=zh").text
    # pickers by name: the lead and supporting lists show the bureaux' names, the district list the districts'
    assert '<option value="nj-nyncj">南京市农业农村局</option>' in page
    assert re.search(r'<select name="region" id="pick-district"><option value="320102">玄武区</option>', page)
    assert 'id="pick-support" multiple' in page
    english = client.get(PAGE + "?lang=en").text
    assert (
        "Nanjing Municipal Bureau of Agriculture and Rural Affairs" in english
        and "Add a district quota" in english
    )
    # assign: one lead, two supporting (several picked)
    form = {
        "csrf": csrf,
        "plan": NJ,
        "key": GRAIN,
        "back": "breakdown",
        "lead": "nj-nyncj",
        "support": ["nj-ghzyj", "nj-slj"],
        "source": "分解落实方案",
    }
    assert client.post("/organisations/assign", data={**form, "csrf": "forged"}).status_code == 403
    both = client.post("/organisations/assign?lang=en", data={**form, "support": ["nj-nyncj"]})
    assert (
        both.status_code == 422
        and "cannot both lead and support" in both.text
        and 'id="assign-error"' in both.text
    )
    done = client.post("/organisations/assign?lang=zh", data=form, follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "南京市规划和自然资源局" in shown and "南京市水务局" in shown
    assert re.search(r'<option value="nj-slj" selected>南京市水务局</option>', shown)
    current = session.scalars(
        select(TargetAssignment.role).where(
            TargetAssignment.target_key == GRAIN, TargetAssignment.valid_to.is_(None)
        )
    ).all()
    assert sorted(current) == ["lead", "support", "support"]
    # district quotas: a wrong number comes back with what was typed; two quotas that do not add up are shown
    url = f"/targets/{NJ}/{GRAIN}/subtargets"
    quota = {
        "csrf": csrf,
        "region": "320115",
        "value": "三十",
        "split": "sum",
        "document": "粮食产能分解方案",
        "quote": "江宁区不低于30万吨",
    }
    bad = client.post(url + "?lang=zh", data=quota)
    assert bad.status_code == 422 and "“三十”不是数字" in bad.text and 'value="粮食产能分解方案"' in bad.text
    assert (
        client.post(url + "?lang=zh", data={**quota, "value": "30"}, follow_redirects=False).status_code
        == 303
    )
    after = client.get(PAGE + "?lang=zh").text
    assert "各子目标配额合计 30 万吨，应不少于上级目标 100 万吨" in after
    assert '<option value="320115">' not in after  # Jiangning has its quota: no longer offered
    assert 'name="split"' not in after  # the rule is set by the first quota
    again = client.post(url + "?lang=en", data={**quota, "region": "320115", "value": "30"})
    assert again.status_code == 422 and "already has a target" in again.text  # one quota per district
    assert (
        client.post(
            url, data={**quota, "region": "320117", "value": "70"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert "配额核对无误" in client.get(PAGE + "?lang=zh").text
    kids = session.scalars(
        select(Target.key).where(Target.parent_key == GRAIN, Target.valid_to.is_(None))
    ).all()
    assert sorted(kids) == [f"{GRAIN}.320115", f"{GRAIN}.320117"]
    # the year's target: 2026年 GDP 增长5%左右, from the yearly plan
    murl = f"/targets/{NJ}/{GDP}/milestones"
    gdp_page = client.get(f"/targets/{NJ}/{GDP}/breakdown?lang=zh").text
    assert re.search(r'<option value="annual_growth" selected>当年增速（%）</option>', gdp_page)
    milestone = {
        "csrf": csrf,
        "year": "2026",
        "source_kind": "yearly_plan",
        "document": "南京市2026年国民经济和社会发展计划",
        "declared_form": "annual_growth",
        "comparator": "~",
        "value": "5",
        "quote": "地区生产总值增长5%左右",
    }
    late = client.post(murl + "?lang=en", data={**milestone, "year": "2031"})
    assert late is not None and late.status_code == 422
    made = client.post(murl, data=milestone, follow_redirects=False)
    assert made.status_code == 303, made.text
    target = session.scalar(select(Target).where(Target.serves == f"{NJ}/{GDP}", Target.valid_to.is_(None)))
    assert target is not None and target.target_year == 2026 and float(target.value or 0) == 5.0
    assert (
        target.declared_form.value == "annual_growth"
        and target.source_document == "南京市2026年国民经济和社会发展计划"
    )
    plan = session.get(Plan, target.plan_id)
    assert (
        plan is not None
        and plan.code == "nanjing-2026-yearly-plan"
        and plan.title_en == "Nanjing 2026 economic and social development plan"
    )
    # the organisations page picks the target by its name too
    orgs = client.get("/organisations?lang=zh").text
    assert f'<option value="{NJ}/{GDP}">地区生产总值增速（南京市）2030年</option>' in orgs
    by_pick = client.post(
        "/organisations/assign?lang=zh",
        data={"csrf": csrf, "target": f"{NJ}/{GDP}", "lead": "nj-fgw", "support": ["nj-tjj"]},
        follow_redirects=False,
    )
    assert by_pick.status_code == 303 and by_pick.headers["location"].startswith(
        f"/targets/{NJ}/{GDP}/breakdown"
    )
    twice = client.post(murl + "?lang=en", data=milestone)
    assert twice.status_code == 422 and "already has" in twice.text and 'id="milestone-error"' in twice.text
