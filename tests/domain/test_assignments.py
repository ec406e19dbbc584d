"""Issue 21: targets assigned (牵头/配合单位) and broken down into district quotas, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Organisation, Plan, Target, TargetAssignment
from service.domain.assignments import split_checks
from service.domain.catalog import CatalogError, apply_catalog, read_catalog
from service.domain.targets import TargetFilter, target_records
from tests.support.factories import NOW, copy_catalog, create_user, edit_yaml, project_catalog

NJ = "nanjing-15th-outline"
GRAIN = "grain-capacity-2030"  # 粮食综合生产能力 ≥ 100 万吨, binding (约束性)
NOTICE = "南京市“十五五”规划纲要主要目标任务分解落实方案"

# quotas of the five districts that farm most; 100 万吨 in all
QUOTAS = {"320115": 30, "320116": 28, "320111": 12, "320117": 16, "320118": 14}


def _split_grain(quotas: dict[str, int], *, lead: str = "nj-nyncj") -> Callable[[dict[str, Any]], None]:
    def edit(data: dict) -> None:
        data["plan"]["assignment_document"] = NOTICE
        children = []
        for t in data["targets"]:
            if t["key"] == GRAIN:
                t["split"] = "sum"
                t["lead"] = lead
                t["support"] = ["nj-fgw", "nj-tjj"]
                for code, value in quotas.items():
                    children.append(
                        {
                            "key": f"{GRAIN}.{code}",
                            "indicator": t["indicator"],
                            "region": code,
                            "unit": "万吨",
                            "comparator": ">=",
                            "value": value,
                            "target_year": 2030,
                            "declared_form": "level",
                            "attribute": "binding",
                            "parent": GRAIN,
                            "quote": f"粮食综合生产能力不低于{value}万吨",
                        }
                    )
        data["targets"].extend(children)

    return edit


def test_the_catalog_lists_organisations_and_nanjing_districts(session: Session) -> None:
    orgs = {o.code: o for o in session.scalars(select(Organisation))}
    assert orgs["nj-fgw"].name_zh == "南京市发展和改革委员会" and orgs["nj-fgw"].kind == "department"
    assert orgs["nj-jiangning-gov"].kind == "government"
    assert sum(1 for o in orgs.values() if o.kind == "government") == 11


def test_a_catalog_file_assigns_and_splits_a_binding_target_into_district_quotas(
    session: Session, tmp_path: Path
) -> None:
    catalog = copy_catalog(tmp_path)
    edit_yaml(catalog / "plans" / f"{NJ}.yaml", _split_grain(QUOTAS))
    later = NOW + dt.timedelta(days=1)
    report = apply_catalog(session, read_catalog(catalog), now=later)
    assert report.created.get("targets") == 5 and report.updated.get("assignments") == 1
    plan = session.scalar(select(Plan).where(Plan.code == NJ))
    assert plan is not None
    rows = session.scalars(
        select(TargetAssignment).where(
            TargetAssignment.plan_id == plan.id, TargetAssignment.valid_to.is_(None)
        )
    ).all()
    roles = {(session.get(Organisation, a.organisation_id).code, a.role) for a in rows}  # type: ignore[union-attr]
    assert roles == {("nj-nyncj", "lead"), ("nj-fgw", "support"), ("nj-tjj", "support")}
    assert {a.source for a in rows} == {NOTICE}
    # what the agriculture bureau is accountable for
    mine, total = target_records(session, TargetFilter(plan=NJ, organisation="南京市农业农村局"))
    assert total == 1 and mine[0]["id"] == f"{NJ}/{GRAIN}" and mine[0]["lead"] == "nj-nyncj"
    assert mine[0]["support"] == "nj-fgw;nj-tjj"
    checks = split_checks(session, NJ)
    assert [(c["target"], c["split"], c["total"], c["ok"]) for c in checks] == [
        (f"{NJ}/{GRAIN}", "sum", 100.0, True)
    ]

    # a new lead department: a new assignment, the old one closed, the target not versioned again
    edit_yaml(
        catalog / "plans" / f"{NJ}.yaml",
        lambda d: [t.update(lead="nj-fgw", support=["nj-tjj"]) for t in d["targets"] if t["key"] == GRAIN],
    )
    again = NOW + dt.timedelta(days=2)
    report = apply_catalog(session, read_catalog(catalog), now=again)
    assert report.updated == {"assignments": 1} and "targets" not in report.created
    closed = session.scalars(select(TargetAssignment).where(TargetAssignment.valid_to == again)).all()
    assert len(closed) == 3
    versions = session.scalars(
        select(Target.version).where(Target.plan_id == plan.id, Target.key == GRAIN)
    ).all()
    assert sorted(versions) == [1, 2]  # 2: the split; the change of lead made none


def test_quotas_that_do_not_add_up_are_refused_with_the_sum(tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path)
    edit_yaml(catalog / "plans" / f"{NJ}.yaml", _split_grain({**QUOTAS, "320118": 4}))
    with pytest.raises(CatalogError) as exc:
        read_catalog(catalog)
    [issue] = exc.value.issues
    assert issue.file == f"{NJ}.yaml" and GRAIN in issue.entry
    assert "add up to 90 万吨" in issue.reason and "at least the parent's 100 万吨" in issue.reason


def test_unknown_organisations_and_parents_are_named(tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path)

    def edit(data: dict) -> None:
        _split_grain(QUOTAS, lead="nj-nobody")(data)
        data["targets"][-1]["parent"] = "no-such-target"

    edit_yaml(catalog / "plans" / f"{NJ}.yaml", edit)
    with pytest.raises(CatalogError) as exc:
        read_catalog(catalog)
    reasons = " | ".join(i.reason for i in exc.value.issues)
    assert (
        "unknown organisation 'nj-nobody'" in reasons and "unknown parent target 'no-such-target'" in reasons
    )


def test_the_plan_office_assigns_and_splits_through_the_api(client: TestClient, session: Session) -> None:
    _, admin = create_user(session, username="plan-office", role="admin", regions=())
    _, editor = create_user(session, username="jiangning", role="editor", regions=("320100",))
    url = f"/api/v1/plans/{NJ}/targets/{GRAIN}"
    body = {"lead": "nj-nyncj", "support": ["南京市发展和改革委员会"], "source": NOTICE}
    refused = client.put(f"{url}/assignment", json=body, headers=editor)
    assert refused.status_code == 403 and "管理员" in refused.json()["detail_zh"]
    done = client.put(f"{url}/assignment", json=body, headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["lead"]["code"] == "nj-nyncj" and [o["code"] for o in done.json()["support"]] == [
        "nj-fgw"
    ]
    assert client.put(f"{url}/assignment", json=body, headers=admin).json()["changed"] is False
    bad = client.put(f"{url}/assignment", json={"lead": "nj-nobody"}, headers=admin)
    assert bad.status_code == 404 and "nj-nobody" in bad.json()["detail_en"]

    first = {
        "region": "江宁区",
        "value": 30,
        "split": "sum",
        "document": NOTICE,
        "quote": "江宁区粮食综合生产能力不低于30万吨",
    }
    made = client.post(f"{url}/subtargets", json=first, headers=admin)
    assert made.status_code == 201, made.text
    check = made.json()["check"]
    assert check["total"] == 30 and not check["ok"] and "add up to 30 10k t" in check["problems"][0]["en"]
    no_split = client.post(
        f"{url}/subtargets", json={**first, "split": "each", "region": "六合区"}, headers=admin
    )
    assert no_split.status_code == 422 and "sum" in no_split.json()["detail_en"]
    for code, value in list(QUOTAS.items())[1:]:
        r = client.post(
            f"{url}/subtargets",
            json={"region": code, "value": value, "document": NOTICE, "quote": f"不低于{value}万吨"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
    assert r.json()["check"]["ok"] and r.json()["check"]["total"] == 100
    assert client.get("/api/v1/splits", params={"plan": NJ}).json()[0]["ok"] is True
    twice = client.post(f"{url}/subtargets", json={**first, "split": None}, headers=admin)
    assert twice.status_code == 422 and "already has" in twice.json()["detail_en"]
    listed = client.get("/api/v1/targets", params={"plan": NJ, "region": "320115"}).json()["items"]
    assert [(i["parent"], i["value"], i["source_document"]) for i in listed] == [(GRAIN, 30, NOTICE)]
    mine = client.get("/api/v1/targets", params={"organisation": "nj-fgw"}).json()
    assert [i["id"] for i in mine["items"]] == [f"{NJ}/{GRAIN}"]
    unknown = client.get("/api/v1/targets", params={"organisation": "nj-nobody"})
    assert unknown.status_code == 404


def test_sub_targets_from_the_api_survive_loading_the_catalog_again(
    client: TestClient, session: Session
) -> None:
    _, admin = create_user(session, username="plan-office", role="admin", regions=())
    url = f"/api/v1/plans/{NJ}/targets/{GRAIN}/subtargets"
    r = client.post(
        url,
        json={"region": "320115", "value": 30, "split": "sum", "document": NOTICE, "quote": "不低于30万吨"},
        headers=admin,
    )
    assert r.status_code == 201
    report = apply_catalog(session, project_catalog(), now=NOW + dt.timedelta(days=3))
    assert not report.retired
    kept = session.scalar(select(Target).where(Target.key == f"{GRAIN}.320115", Target.valid_to.is_(None)))
    assert kept is not None and kept.parent_key == GRAIN and kept.split == "sum"


def test_each_sub_target_meets_the_parents_rate(client: TestClient, session: Session) -> None:
    """Under 'each' a district may not ask less than the city (稳定在100% is the floor everywhere)."""
    _, admin = create_user(session, username="plan-office", role="admin", regions=())
    url = f"/api/v1/plans/{NJ}/targets/metro-area-1h-access-2030/subtargets"
    weak = client.post(
        url,
        json={"region": "320115", "value": 90, "split": "each", "document": NOTICE, "quote": "达到90%"},
        headers=admin,
    )
    assert weak.status_code == 422 and "less than the parent's 100" in weak.json()["detail_en"]
    ok = client.post(
        url,
        json={"region": "320115", "value": 100, "split": "each", "document": NOTICE, "quote": "达到100%"},
        headers=admin,
    )
    assert ok.status_code == 201 and ok.json()["check"]["ok"]


def test_the_assign_form_needs_an_administrator_and_its_csrf_token(
    client: TestClient, session: Session
) -> None:
    import re

    from service.db.models import Role
    from service.domain import users

    def login(username: str, role: Role) -> str:
        users.create_user(
            session, username=username, role=role, region_codes=[], password="pw-123456", now=NOW
        )
        session.commit()
        r = client.post(
            "/login",
            data={"username": username, "password": "pw-123456", "next": "/organisations"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = client.get("/organisations?lang=zh")
        if role is not Role.ADMIN:
            assert 'id="assign-form"' not in page.text  # the form is the plan office's
            return "not-shown"
        return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]

    form = {"plan": NJ, "key": GRAIN, "lead": "nj-nyncj", "support": "nj-fgw，南京市统计局", "source": NOTICE}
    viewer_csrf = login("viewer1", Role.VIEWER)
    refused = client.post("/organisations/assign", data={**form, "csrf": viewer_csrf})
    assert refused.status_code == 403 and "只有管理员" in refused.text
    client.post("/logout")
    csrf = login("office1", Role.ADMIN)
    assert client.post("/organisations/assign", data={**form, "csrf": "forged"}).status_code == 403
    bad = client.post("/organisations/assign", data={**form, "lead": "<b>nobody</b>", "csrf": csrf})
    assert bad.status_code == 404 and "&lt;b&gt;nobody&lt;/b&gt;" in bad.text and "<b>nobody" not in bad.text
    assert session.scalar(select(TargetAssignment).where(TargetAssignment.target_key == GRAIN)) is None
    done = client.post("/organisations/assign", data={**form, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/targets/{NJ}/{GRAIN}/breakdown")
    page = client.get(done.headers["location"])
    assert (
        "南京市农业农村局" in page.text
        and "南京市发展和改革委员会" in page.text
        and "南京市统计局" in page.text
    )


def test_a_district_quota_lies_within_the_parents_region(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    _, admin = create_user(session, username="plan-office", role="admin", regions=())
    url = f"/api/v1/plans/{NJ}/targets/{GRAIN}/subtargets"
    elsewhere = client.post(
        url,
        json={"region": "310118", "value": 30, "split": "sum", "document": NOTICE, "quote": "不低于30万吨"},
        headers=admin,
    )
    assert elsewhere.status_code == 422 and "Qingpu" in elsewhere.json()["detail_en"]
    catalog = copy_catalog(tmp_path)
    edit_yaml(catalog / "plans" / f"{NJ}.yaml", _split_grain({**QUOTAS, "310118": 0}))
    with pytest.raises(CatalogError) as exc:
        read_catalog(catalog)
    assert any("310118" in i.entry and "below or a member of 320100" in i.reason for i in exc.value.issues)
