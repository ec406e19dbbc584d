"""Who is accountable for a target (牵头/配合单位), its sub-targets (分解) and yearly milestones.

Assignments are kept per (plan, target key) apart from the target's versions; sub-targets are targets of
the same plan that name their parent (``parent_key``), with the split rule (``sum`` quotas or ``each``
meets the rate) on the parent or, when the parent comes from a catalog file that does not split it, on
its sub-targets. Writes here are for administrators (the plan office).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.db.models import (
    Comparator,
    Indicator,
    Organisation,
    Plan,
    Region,
    Role,
    Target,
    TargetAssignment,
    User,
    WritePath,
)
from service.domain import audit, changes, decomposition, texts, units
from service.domain import catalog as catalog_mod
from service.domain.catalog_schema import TargetEntry
from service.domain.errors import Forbidden, Invalid, NotFound


def _admin(user: User) -> None:
    if user.role is not Role.ADMIN:
        raise Forbidden(
            "只有管理员（规划办）可以分配目标责任和分解目标",
            "only administrators (the plan office) may assign targets and split them",
        )


def organisation_records(session: Session) -> list[dict[str, Any]]:
    regions = {r.id: r for r in session.scalars(select(Region))}
    out = []
    for o in session.scalars(select(Organisation).order_by(Organisation.code)):
        reg = regions.get(o.region_id) if o.region_id else None
        out.append(
            {
                "code": o.code,
                "name_zh": o.name_zh,
                "name_en": o.name_en,
                "kind": o.kind,
                "region_code": reg.code if reg else None,
                "region": reg.name_zh if reg else None,
                "aliases": list(o.aliases or []),
            }
        )
    return out


def find_organisation(session: Session, code_or_name: str) -> Organisation:
    org = session.scalar(
        select(Organisation).where(
            or_(Organisation.code == code_or_name, Organisation.name_zh == code_or_name)
        )
    )
    if org is None:
        raise NotFound(
            f"单位 {code_or_name} 不存在（见 /api/v1/organisations）",
            f"organisation {code_or_name!r} does not exist (see /api/v1/organisations)",
        )
    return org


def current_target(session: Session, plan_code: str, key: str) -> tuple[Plan, Target]:
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise NotFound(f"规划 {plan_code} 不存在", f"plan {plan_code!r} does not exist")
    target = session.scalar(
        select(Target).where(Target.plan_id == plan.id, Target.key == key, Target.valid_to.is_(None))
    )
    if target is None:
        raise NotFound(f"规划 {plan_code} 中没有目标 {key}", f"plan {plan_code!r} has no target {key!r}")
    return plan, target


def assignments_by_key(
    session: Session, plan_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], dict[str, Any]]:
    """{(plan_id, key): {"lead": {code, name_zh, name_en} | None, "support": [...]}} of current assignments."""
    stmt = (
        select(TargetAssignment, Organisation)
        .join(Organisation, TargetAssignment.organisation_id == Organisation.id)
        .where(TargetAssignment.valid_to.is_(None))
        .order_by(TargetAssignment.id)
    )
    if plan_ids is not None:
        stmt = stmt.where(TargetAssignment.plan_id.in_(list(plan_ids)))
    out: dict[tuple[int, str], dict[str, Any]] = defaultdict(lambda: {"lead": None, "support": []})
    for a, o in session.execute(stmt):
        org = {"code": o.code, "name_zh": o.name_zh, "name_en": o.name_en}
        entry = out[(a.plan_id, a.target_key)]
        if a.role == "lead":
            entry["lead"] = org
        else:
            entry["support"].append(org)
        entry["source"] = a.source
    return dict(out)


def keys_of_organisation(session: Session, org: Organisation) -> set[tuple[int, str]]:
    """(plan_id, key) of the targets an organisation leads, supports, or holds a sub-target of."""
    keys = {
        (p, k)
        for p, k in session.execute(
            select(TargetAssignment.plan_id, TargetAssignment.target_key).where(
                TargetAssignment.organisation_id == org.id, TargetAssignment.valid_to.is_(None)
            )
        )
    }
    keys |= {
        (p, k)
        for p, k in session.execute(
            select(Target.plan_id, Target.key).where(
                Target.organisation_id == org.id, Target.valid_to.is_(None)
            )
        )
    }
    return keys


def set_assignment(
    session: Session,
    user: User,
    plan_code: str,
    key: str,
    *,
    lead: str | None,
    support: list[str],
    source: str | None,
    now: dt.datetime,
    path: WritePath,
) -> dict[str, Any]:
    _admin(user)
    plan, _target = current_target(session, plan_code, key)
    if lead is None and not support:
        raise Invalid("请至少指定牵头单位或配合单位", "name a lead or at least one supporting organisation")
    if lead is not None and lead in support:
        raise Invalid(f"{lead} 不能既是牵头单位又是配合单位", f"{lead} cannot both lead and support")
    if len(set(support)) != len(support):
        raise Invalid("配合单位有重复", "a supporting organisation is listed twice")
    lead_org = find_organisation(session, lead) if lead else None
    support_orgs = [find_organisation(session, c) for c in support]
    changed = catalog_mod.assign(
        session, plan, key, lead_org, support_orgs, source=source, now=now, user_id=user.id, path=path
    )
    current = assignments_by_key(session, [plan.id]).get((plan.id, key), {"lead": None, "support": []})
    return {"target": f"{plan_code}/{key}", "changed": changed, **current}


# --- sub-targets ---------------------------------------------------------------------------------


def split_of(parent: Target, children: list[Target]) -> str | None:
    return parent.split or next((c.split for c in children if c.split), None)


def children_of(session: Session, parent: Target) -> list[Target]:
    return list(
        session.scalars(
            select(Target)
            .where(
                Target.plan_id == parent.plan_id, Target.parent_key == parent.key, Target.valid_to.is_(None)
            )
            .order_by(Target.key)
        )
    )


def _quota(t: Target, indicator: Indicator) -> decomposition.Quota:
    value: Decimal | None = t.value
    if value is not None and t.declared_form in catalog_mod.CONVERTED_FORMS:
        try:
            value = units.convert(Decimal(value), t.unit, indicator.unit)
        except ValueError:
            value = None
    return decomposition.Quota(t.key, t.comparator, t.declared_form, value, t.tolerance)


def split_check(
    session: Session, parent: Target, children: list[Target] | None = None
) -> dict[str, Any] | None:
    """The parent's split rule and what is wrong with its sub-targets (None: it is not split)."""
    kids = children_of(session, parent) if children is None else children
    split = split_of(parent, kids)
    if split is None:
        return None
    indicator = session.get(Indicator, parent.indicator_id)
    assert indicator is not None
    problems = decomposition.split_problems(
        _quota(parent, indicator),
        split,
        [_quota(c, indicator) for c in kids],
        indicator.unit,
        summable_indicator=indicator.aggregation.value == "sum",
        unit_en=texts.unit_name(indicator.unit, "en"),
    )
    total = None
    if split == "sum":
        quotas = [_quota(c, indicator).value for c in kids]
        if quotas and all(q is not None for q in quotas):
            total = float(sum((q for q in quotas if q is not None), Decimal(0)))
    return {
        "split": split,
        "unit": indicator.unit,
        "sub_targets": [c.key for c in kids],
        "total": total,
        "ok": not problems,
        "problems": [{"zh": p.zh, "en": p.en} for p in problems],
    }


def add_subtarget(
    session: Session,
    user: User,
    plan_code: str,
    parent_key: str,
    data: dict[str, Any],
    *,
    now: dt.datetime,
    path: WritePath,
) -> dict[str, Any]:
    """A sub-target of a current target: a district's quota (region) or an organisation's share.

    The sub-target has its parent's indicator, year, form and period; it names the document that splits
    the target (分解方案) and its sentence. Under ``each`` a sub-target less demanding than its parent is
    refused; under ``sum`` the quotas are checked together (split_check) as they are entered one by one."""
    _admin(user)
    plan, parent = current_target(session, plan_code, parent_key)
    if parent.parent_key is not None:
        raise Invalid("子目标不能再分解", "a sub-target is not split again")
    kids = children_of(session, parent)
    split = split_of(parent, kids)
    asked = data.get("split")
    if split is None and asked is None:
        raise Invalid(
            "请说明分解方式：sum（配额合计）或 each（各自达到）",
            "say how the target is split: sum (quotas add up) or each (each meets it)",
        )
    if split is not None and asked is not None and asked != split:
        raise Invalid(
            f"该目标已按 {split} 分解，不能改为 {asked}", f"the target is split by {split}, not {asked}"
        )
    split = split or asked
    indicator = session.get(Indicator, parent.indicator_id)
    assert indicator is not None
    region_code = data.get("region")
    org = find_organisation(session, data["organisation"]) if data.get("organisation") else None
    if region_code is None and org is not None and org.region_id is not None:
        reg = session.get(Region, org.region_id)
    elif region_code is not None:
        reg = session.scalar(
            select(Region).where(or_(Region.code == region_code, Region.name_zh == region_code))
        )
        if reg is None:
            raise NotFound(f"地区 {region_code} 不存在", f"region {region_code!r} does not exist")
    else:
        raise Invalid(
            "子目标需要地区（区县配额）或单位",
            "a sub-target needs a region (a district quota) or an organisation",
        )
    assert reg is not None
    if org is None and not _below(session, reg, parent.region_id):
        raise Invalid(
            f"{reg.name_zh} 不在上级目标的地区之内", f"{reg.name_en} is not within the parent target's region"
        )
    key = data.get("key") or f"{parent.key}.{(org.code if org else reg.code)}"
    if session.scalar(
        select(Target.id).where(Target.plan_id == plan.id, Target.key == key, Target.valid_to.is_(None))
    ):
        raise Invalid(f"规划 {plan_code} 已有目标 {key}", f"plan {plan_code!r} already has a target {key!r}")
    entry_data: dict[str, Any] = {
        "key": key,
        "indicator": indicator.code,
        "region": reg.code,
        "unit": data.get("unit") or parent.unit,
        "comparator": data.get("comparator") or parent.comparator.value,
        "value": data.get("value"),
        "target_year": parent.target_year,
        "reference_year": parent.reference_year,
        "period_start": parent.period_start,
        "declared_form": parent.declared_form.value,
        "attribute": parent.attribute.value if parent.attribute else None,
        "quote": data.get("quote"),
        "chapter": data.get("document"),
        "note": data.get("note"),
        "parent": parent.key,
        "organisation": org.code if org else None,
    }
    try:
        entry = TargetEntry.model_validate(entry_data)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}" for e in exc.errors())
        raise Invalid(
            f"子目标不完整或不一致：{where}", f"the sub-target is incomplete or inconsistent: {where}"
        ) from None
    if entry.comparator is Comparator.QUALITATIVE or entry.value is None:
        raise Invalid("子目标需要一个数值（配额或比率）", "a sub-target needs a number (its quota or rate)")
    if (
        entry.declared_form in catalog_mod.CONVERTED_FORMS
        and units.conversion_factor(entry.unit, indicator.unit) is None
    ):
        raise Invalid(
            f"单位 {entry.unit} 无法换算为指标单位 {indicator.unit}",
            f"unit {entry.unit!r} cannot be converted to the indicator's {indicator.unit!r}",
        )
    document = (data.get("document") or "").strip()
    if not document:
        raise Invalid(
            "请给出分解文件（如《…主要目标分解落实方案》）", "name the document that splits the target"
        )
    h = catalog_mod.content_hash({"entry": catalog_mod.hashed_dump(entry), "document": document})
    fields = catalog_mod._target_fields(
        entry, plan, {indicator.code: indicator}, {reg.code: reg}, {org.code: org} if org else None
    )
    fields.update(source_document=document[:200], split=split, chapter=None)
    row = Target(
        plan_id=plan.id,
        key=key,
        version=1,
        valid_from=now,
        content_hash=h,
        accepted_by_id=user.id,
        accepted_at=now,
        **fields,
    )
    if split == "each":
        problems = decomposition.split_problems(
            _quota(parent, indicator),
            "each",
            [_quota(row, indicator)],
            indicator.unit,
            unit_en=texts.unit_name(indicator.unit, "en"),
        )
        if problems:
            raise Invalid(problems[0].zh, problems[0].en)
    session.add(row)
    _record_created(
        session,
        user,
        path,
        now,
        f"{plan_code}/{key}",
        {"version": 1, "document": document, **entry.model_dump(mode="json")},
        indicator.id,
    )
    check = split_check(session, parent)
    return {
        "target": f"{plan_code}/{key}",
        "parent": f"{plan_code}/{parent.key}",
        "split": split,
        "check": check,
    }


def _below(session: Session, region: Region, above_id: int) -> bool:
    """The region is below ``above_id`` in the hierarchy, or a member of that zone."""
    from service.db.models import region_members

    if session.scalar(
        select(region_members.c.member_id).where(
            region_members.c.zone_id == above_id, region_members.c.member_id == region.id
        )
    ):
        return True
    seen: set[int] = set()
    current: Region | None = region
    while current is not None and current.parent_id is not None and current.parent_id not in seen:
        if current.parent_id == above_id:
            return True
        seen.add(current.parent_id)
        current = session.get(Region, current.parent_id)
    return False


def split_checks(session: Session, plan_code: str | None = None) -> list[dict[str, Any]]:
    """Every split target's check (for `yrdmon targets check-splits` and the API)."""
    stmt = select(Target, Plan).join(Plan, Target.plan_id == Plan.id).where(Target.valid_to.is_(None))
    if plan_code:
        stmt = stmt.where(Plan.code == plan_code)
    rows = list(session.execute(stmt))
    by_parent: dict[tuple[int, str], list[Target]] = defaultdict(list)
    for t, _p in rows:
        if t.parent_key:
            by_parent[(t.plan_id, t.parent_key)].append(t)
    out = []
    for t, p in rows:
        if t.parent_key is None and (t.split or (t.plan_id, t.key) in by_parent):
            check = split_check(
                session, t, sorted(by_parent.get((t.plan_id, t.key), []), key=lambda c: c.key)
            )
            if check is not None:
                out.append({"target": f"{p.code}/{t.key}", **check})
    return sorted(out, key=lambda c: c["target"])


# --- yearly milestones -----------------------------------------------------------------------------


def add_milestone(
    session: Session,
    user: User,
    plan_code: str,
    key: str,
    data: dict[str, Any],
    *,
    now: dt.datetime,
    path: WritePath,
) -> dict[str, Any]:
    """A year's target (年度目标) from a yearly plan or a government work report, serving a plan target.

    It is a target of the yearly document's own plan (``data['plan']``, made on first use with the
    document as its source), so that the outline's end-of-term evaluation does not count it; its
    indicator and region are those of the target it serves."""
    _admin(user)
    _served_plan, served = current_target(session, plan_code, key)
    year = int(data["year"])
    if year > served.target_year:
        raise Invalid(
            f"年度目标的年份不能晚于 {served.target_year}",
            f"a milestone's year is not after {served.target_year}",
        )
    document = (data.get("document") or "").strip()
    if len(document) < 2:
        raise Invalid(
            "请给出年度目标的出处（年度计划或政府工作报告）",
            "name the document the year's target comes from (the yearly plan or the work report)",
        )
    code = data["plan"]
    plan = session.scalar(select(Plan).where(Plan.code == code))
    if plan is None:
        plan = Plan(
            code=code,
            title_zh=document[:300],
            title_en=(data.get("plan_title_en") or code)[:300],
            issuer=data.get("issuer"),
            issued=data.get("issued"),
            horizon_years=[year],
            period_start=year,
            period_end=year,
            source_document=document[:200],
            document_title=document[:300],
            content_hash="api",
            created_at=now,
            updated_at=now,
        )
        session.add(plan)
        session.flush()
        audit.record(
            session,
            user=user,
            path=path,
            action="create",
            entity_type="plan",
            entity_id=code,
            after={"title_zh": plan.title_zh, "year": year},
            at=now,
        )
    indicator = session.get(Indicator, served.indicator_id)
    region = session.get(Region, served.region_id)
    assert indicator is not None and region is not None
    mkey = data.get("key") or f"{served.key}.{year}"
    if session.scalar(
        select(Target.id).where(Target.plan_id == plan.id, Target.key == mkey, Target.valid_to.is_(None))
    ):
        raise Invalid(f"规划 {code} 已有目标 {mkey}", f"plan {code!r} already has a target {mkey!r}")
    form = data.get("declared_form") or "level"
    entry_data: dict[str, Any] = {
        "key": mkey,
        "indicator": indicator.code,
        "region": region.code,
        "unit": data.get("unit") or served.unit,
        "comparator": data.get("comparator") or ">=",
        "value": data.get("value"),
        "target_year": year,
        "period_start": year if form == "annual_growth" else None,
        "declared_form": form,
        "attribute": served.attribute.value if served.attribute else None,
        "quote": data.get("quote"),
        "note": data.get("note"),
        "serves": f"{plan_code}/{key}",
    }
    try:
        entry = TargetEntry.model_validate(entry_data)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}" for e in exc.errors())
        raise Invalid(
            f"年度目标不完整或不一致：{where}", f"the milestone is incomplete or inconsistent: {where}"
        ) from None
    if (
        entry.declared_form in catalog_mod.CONVERTED_FORMS
        and units.conversion_factor(entry.unit, indicator.unit) is None
    ):
        raise Invalid(
            f"单位 {entry.unit} 无法换算为指标单位 {indicator.unit}",
            f"unit {entry.unit!r} cannot be converted to the indicator's {indicator.unit!r}",
        )
    h = catalog_mod.content_hash({"entry": catalog_mod.hashed_dump(entry), "document": document})
    fields = catalog_mod._target_fields(entry, plan, {indicator.code: indicator}, {region.code: region})
    fields.update(source_document=document[:200])
    session.add(
        Target(
            plan_id=plan.id,
            key=mkey,
            version=1,
            valid_from=now,
            content_hash=h,
            accepted_by_id=user.id,
            accepted_at=now,
            **fields,
        )
    )
    _record_created(
        session,
        user,
        path,
        now,
        f"{code}/{mkey}",
        {"version": 1, "document": document, **entry.model_dump(mode="json")},
        indicator.id,
    )
    return {"target": f"{code}/{mkey}", "serves": f"{plan_code}/{key}", "year": year}


def _record_created(
    session: Session,
    user: User,
    path: WritePath,
    now: dt.datetime,
    entity_id: str,
    after: dict[str, Any],
    indicator_id: int,
) -> None:
    """A new target (a sub-target or a milestone) audited, and report runs told the catalog changed."""
    audit.record(
        session,
        user=user,
        path=path,
        action="create",
        entity_type="target",
        entity_id=entity_id,
        after=after,
        at=now,
    )
    session.flush()
    changes.record(session, "catalog", now=now, indicator_ids=[indicator_id])
