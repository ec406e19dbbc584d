"""Reviewing the plan reader's proposals: store a reading, accept / edit / reject each proposal, and write
the plan out as a catalog data file.

An accepted target is written exactly as ``yrdmon init`` writes one from ``indicators/plans/`` (the same
fields, the same content hash, a plan row created if needed), plus its provenance: the quote's position,
who accepted it and when. An accepted baseline becomes a ``plan_baseline`` observation, as a catalog
baseline does. ``export_plan_file`` writes the plan's file with the accepted entries, so that committing it
to ``indicators/plans/`` changes nothing in a database that already holds them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import (
    Aggregation,
    Direction,
    ImportBatch,
    Indicator,
    IndicatorKind,
    Plan,
    PlanProposal,
    PlanReading,
    ProposalStatus,
    Region,
    Target,
    User,
    WritePath,
    region_members,
)
from service.domain import audit, changes
from service.domain import catalog as catalog_mod
from service.domain.catalog import content_hash, read_yaml
from service.domain.catalog_schema import PlanFile, PlanMeta, StandaloneBaseline, TargetEntry
from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.plan_reader import (
    ExistingTarget,
    IndicatorTerm,
    PlanHints,
    RegionTerm,
    Vocabulary,
    figure,
    mark_duplicates,
    read_document,
    read_plan,
    reasons,
)

PLAN_CODE = re.compile(r"^[a-z0-9][a-z0-9\-]{0,79}$")
INDICATOR_CODE = re.compile(r"^[a-z][a-z0-9_]{0,79}$")


def vocabulary(session: Session) -> Vocabulary:
    """The indicators and regions of the stored catalog, for the reader to match against."""
    indicators = list(session.scalars(select(Indicator)))
    codes = {i.id: i.code for i in indicators}
    regions = list(session.scalars(select(Region)))
    region_codes = {r.id: r.code for r in regions}
    members: dict[int, list[str]] = {}
    for zone_id, member_id in session.execute(select(region_members.c.zone_id, region_members.c.member_id)):
        members.setdefault(zone_id, []).append(region_codes[member_id])
    return Vocabulary(
        [
            IndicatorTerm(
                i.code,
                i.name_zh,
                i.unit,
                i.kind.value,
                i.direction.value,
                tuple(i.synonyms or ()),
                codes.get(i.numerator_id or 0),
                codes.get(i.denominator_id or 0),
            )
            for i in indicators
        ],
        [
            RegionTerm(
                r.code,
                r.name_zh,
                r.level,
                tuple(sorted(members.get(r.id, []))),
                tuple(r.aliases or ()),
                region_codes.get(r.parent_id or 0),
            )
            for r in regions
        ],
    )


def existing_targets(session: Session) -> list[ExistingTarget]:
    rows = session.execute(
        select(Target, Plan.code, Indicator.code, Region.code)
        .join(Plan, Target.plan_id == Plan.id)
        .join(Indicator, Target.indicator_id == Indicator.id)
        .join(Region, Target.region_id == Region.id)
        .where(Target.valid_to.is_(None))
    )
    return [
        ExistingTarget(f"{plan}/{t.key}", ind, reg, t.target_year, t.value, t.low, t.high)
        for t, plan, ind, reg in rows
    ]


def _year_of(issued: str | None) -> int | None:
    return int(issued[:4]) if issued and issued[:4].isdigit() else None


def create_reading(
    session: Session,
    user: User | None,
    *,
    filename: str,
    content: bytes,
    plan_code: str,
    plan_title: str,
    issued: str | None = None,
    region_code: str | None = None,
    now: dt.datetime,
) -> PlanReading:
    """Read an uploaded plan and store its proposals for review; the catalog itself is not touched."""
    plan_code, plan_title = plan_code.strip(), plan_title.strip()
    if not PLAN_CODE.match(plan_code):
        raise Invalid(
            "规划代码只能包含小写字母、数字和连字符，如 sh-new-plan-2026",
            "the plan code may hold lower-case letters, digits and hyphens only, e.g. sh-new-plan-2026",
        )
    if not plan_title:
        raise Invalid("请填写规划名称", "the plan's title is required")
    if issued and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", issued):
        raise Invalid("印发时间应写作 2026 或 2026-03", "the issue date should read 2026 or 2026-03")
    vocab = vocabulary(session)
    if region_code and region_code not in vocab.regions:
        raise Invalid(f"未知地区代码 {region_code}", f"unknown region code {region_code!r}")
    text = read_document(filename, content)
    name = Path(filename or "upload.txt").name[:200]
    reading = read_plan(text, vocab, PlanHints(plan_title, _year_of(issued), region_code, name))
    mark_duplicates(reading.proposals, existing_targets(session))
    row = PlanReading(
        filename=name,
        sha256=hashlib.sha256(content).hexdigest(),
        plan_code=plan_code,
        plan_title=plan_title,
        issued=issued or None,
        region_code=region_code or reading.scope_region,
        chars=len(text),
        text=text,
        created_by_id=user.id if user else None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    for n, p in enumerate(reading.proposals, 1):
        # period_start: a target's first year of the period it applies over (每年 / 年均 / 累计), a
        # baseline's first year of the period it describes
        period_start = p.period_start if p.kind == "target" else (p.period[0] if p.period else None)
        extra = [reasons.r("suggested_code", code=p.suggested_code)] if p.suggested_code else []
        session.add(
            PlanProposal(
                reading_id=row.id,
                seq=n,
                kind=p.kind,
                indicator_code=p.indicator_code,
                indicator_name=p.indicator[:200],
                region_code=p.region_code,
                comparator=p.comparator,
                value=p.value,
                low=p.low,
                high=p.high,
                stretch_value=p.stretch_value,
                unit=p.unit,
                target_year=p.target_year,
                period_start=period_start,
                reference_year=p.reference_year,
                declared_form=p.declared_form,
                attribute=p.attribute,
                baseline_value=p.baseline_value,
                baseline_year=p.baseline_year,
                quote=p.quote,
                quote_start=p.start,
                quote_end=p.end,
                line=p.line,
                sentence=p.sentence,
                chapter=(p.chapter or "")[:200] or None,
                confidence=p.confidence,
                reason=reasons.dump([*p.reason, *extra]),
                duplicate_of=p.duplicate_of,
                status=ProposalStatus.PENDING,
            )
        )
    audit.record(
        session,
        user=user,
        path=WritePath.WEB,
        action="read_plan",
        entity_type="plan_reading",
        entity_id=str(row.id),
        after={"filename": name, "plan": plan_code, "proposals": len(reading.proposals)},
        at=now,
    )
    session.flush()
    return row


def get_reading(session: Session, reading_id: int) -> PlanReading:
    row = session.get(PlanReading, reading_id)
    if row is None:
        raise NotFound(f"没有编号为 {reading_id} 的规划读取记录", f"no plan reading {reading_id}")
    return row


def proposals_of(session: Session, reading_id: int) -> list[PlanProposal]:
    return list(
        session.scalars(
            select(PlanProposal).where(PlanProposal.reading_id == reading_id).order_by(PlanProposal.seq)
        )
    )


@dataclass
class Edits:
    """What a reviewer may change before accepting (strings as typed in a form; empty = unchanged)."""

    indicator_code: str | None = None
    new_indicator_name: str | None = None  # with indicator_code: create this indicator
    region_code: str | None = None
    comparator: str | None = None
    value: str | None = None
    low: str | None = None
    high: str | None = None
    stretch_value: str | None = None
    unit: str | None = None
    target_year: str | None = None
    reference_year: str | None = None
    declared_form: str | None = None
    note: str | None = None


def _num(text: str | None, field: str) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise Invalid(f"{field} 应为数字：{text!r}", f"{field} must be a number: {text!r}") from None


def _int(text: str | None, field: str) -> int | None:
    value = _num(text, field)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise Invalid(f"{field} 应为整数", f"{field} must be a whole number")
    return int(value)


def apply_edits(p: PlanProposal, e: Edits) -> None:
    """Write a reviewer's changes into the proposal (fields left empty keep the reader's value)."""
    if e.indicator_code and e.indicator_code.strip():
        p.indicator_code = e.indicator_code.strip()
    if e.new_indicator_name and e.new_indicator_name.strip():
        p.indicator_name = e.new_indicator_name.strip()[:200]
    if e.region_code and e.region_code.strip():
        p.region_code = e.region_code.strip()
    for name in ("comparator", "unit", "declared_form"):
        v = getattr(e, name)
        if v and v.strip():
            setattr(p, name, v.strip())
    for name in ("value", "low", "high", "stretch_value"):
        v = getattr(e, name)
        if v is not None and v.strip() != "":
            setattr(p, name, None if v.strip() == "-" else _num(v, name))
    if e.target_year and e.target_year.strip():
        p.target_year = _int(e.target_year, "target_year")
    if e.reference_year is not None and e.reference_year.strip():
        p.reference_year = (
            None if e.reference_year.strip() == "-" else _int(e.reference_year, "reference_year")
        )
    if e.note and e.note.strip():
        p.note = e.note.strip()


def reject(
    session: Session, user: User, proposal_id: int, *, now: dt.datetime, path: WritePath = WritePath.WEB
) -> PlanProposal:
    p = _pending(session, proposal_id)
    p.status, p.decided_by_id, p.decided_at = ProposalStatus.REJECTED, user.id, now
    audit.record(
        session,
        user=user,
        path=path,
        action="reject",
        entity_type="plan_proposal",
        entity_id=str(p.id),
        after={"status": ProposalStatus.REJECTED},
        at=now,
    )
    session.flush()
    return p


def _pending(session: Session, proposal_id: int) -> PlanProposal:
    p = session.get(PlanProposal, proposal_id)
    if p is None:
        raise NotFound(f"没有编号为 {proposal_id} 的建议", f"no proposal {proposal_id}")
    if p.status != ProposalStatus.PENDING:
        raise Conflict(f"该建议已处理（{p.status}）", f"this proposal has already been {p.status}")
    return p


def accept(
    session: Session,
    user: User,
    proposal_id: int,
    edits: Edits | None = None,
    *,
    now: dt.datetime,
    path: WritePath = WritePath.WEB,
) -> PlanProposal:
    """Accept a proposal (after the reviewer's edits): it becomes a catalog target or baseline."""
    p = _pending(session, proposal_id)
    if edits is not None:
        apply_edits(p, edits)
    reading = session.get(PlanReading, p.reading_id)
    assert reading is not None
    indicators = {i.code: i for i in session.scalars(select(Indicator))}
    regions = {r.code: r for r in session.scalars(select(Region))}
    if not p.indicator_code:
        raise Invalid(
            "这是新指标：请填写指标代码（如 rural_sewage_coverage），或选择已有指标",
            "this is a new indicator: give it a code (e.g. rural_sewage_coverage) or pick an existing one",
        )
    if p.indicator_code not in indicators:
        indicators[p.indicator_code] = _new_indicator(session, p, user, now, path)
    if not p.region_code or p.region_code not in regions:
        raise Invalid(
            f"请选择地区（未知地区 {p.region_code or '空'}）", f"choose a region (unknown: {p.region_code!r})"
        )
    plan = _ensure_plan(session, reading, now)
    if p.kind == "baseline":
        _accept_baseline(session, p, plan, reading, indicators, regions, now)
    else:
        p.target_id = _accept_target(session, p, plan, indicators, regions, user, now, path).id
    p.status, p.decided_by_id, p.decided_at = ProposalStatus.ACCEPTED, user.id, now
    changes.record(session, "catalog", now=now, indicator_ids=[indicators[p.indicator_code].id])
    audit.record(
        session,
        user=user,
        path=path,
        action="accept",
        entity_type="plan_proposal",
        entity_id=str(p.id),
        after={"target_id": p.target_id, "kind": p.kind},
        at=now,
    )
    session.flush()
    return p


def _new_indicator(
    session: Session, p: PlanProposal, user: User, now: dt.datetime, path: WritePath
) -> Indicator:
    code = p.indicator_code or ""
    if not INDICATOR_CODE.match(code):
        raise Invalid(
            "指标代码只能包含小写字母、数字和下划线，且以字母开头",
            "an indicator code holds lower-case letters, digits and underscores, starting with a letter",
        )
    kind = {
        "share": IndicatorKind.SHARE,
        "full_coverage": IndicatorKind.SHARE,
        "ratio": IndicatorKind.RATIO,
    }.get(
        p.declared_form,
        IndicatorKind.COUNT if p.unit in ("家", "个", "项", "件", "所", "座") else IndicatorKind.LEVEL,
    )
    unit = "%" if p.declared_form == "full_coverage" else p.unit
    entry: dict[str, Any] = {
        "code": code,
        "name_zh": p.indicator_name,
        "name_en": p.indicator_name,
        "unit": unit,
        "direction": "up",
        "kind": kind.value,
        "aggregation": "none",
        "category": "other",
        "synonyms": [],
    }
    row = Indicator(
        code=code,
        name_zh=p.indicator_name,
        name_en=p.indicator_name,
        unit=unit,
        direction=Direction.UP,
        kind=kind,
        aggregation=Aggregation.NONE,
        category="other",
        synonyms=[],
        content_hash=content_hash(entry),
    )
    session.add(row)
    audit.record(
        session,
        user=user,
        path=path,
        action="create",
        entity_type="indicator",
        entity_id=code,
        after=entry,
        at=now,
    )
    session.flush()
    return row


def _plan_meta(reading: PlanReading) -> PlanMeta:
    return PlanMeta(
        code=reading.plan_code,
        title_zh=reading.plan_title,
        title_en=reading.plan_title,
        issued=reading.issued,
        source_document=reading.filename,
        document_title=reading.plan_title,
    )


def _ensure_plan(session: Session, reading: PlanReading, now: dt.datetime) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.code == reading.plan_code))
    if plan is not None:
        return plan
    # written as the catalog loader writes a plan file's header
    return catalog_mod._apply_plan(
        session, PlanFile(plan=_plan_meta(reading)), catalog_mod.ApplyReport(), now
    )


def _unique_key(session: Session, plan: Plan, p: PlanProposal) -> str:
    base = (
        re.sub(r"[^0-9A-Za-z_.\-]+", "-", f"{p.indicator_code}-{p.region_code}-{p.target_year}")
        .strip("-")
        .lower()
    )
    taken = set(session.scalars(select(Target.key).where(Target.plan_id == plan.id)))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key[:120]


def target_entry(p: PlanProposal, key: str) -> TargetEntry:
    """The catalog entry an accepted target proposal stands for (validated like a plan file's)."""
    data: dict[str, Any] = {
        "key": key,
        "chapter": p.chapter,
        "indicator": p.indicator_code,
        "region": p.region_code,
        "unit": p.unit,
        "comparator": p.comparator,
        "value": figure(p.value),
        "low": figure(p.low),
        "high": figure(p.high),
        "stretch_value": figure(p.stretch_value),
        "target_year": p.target_year,
        "reference_year": p.reference_year,
        "declared_form": p.declared_form,
        "quote": p.quote[:400],
        "confidence": p.confidence,
        "note": p.note or None,
    }
    if p.attribute:
        data["attribute"] = p.attribute
    if p.period_start is not None:  # a target stated for the plan period (每年…, 累计…, 〔〕)
        data["period_start"] = p.period_start
    if p.baseline_value is not None and p.baseline_year is not None:
        data["baseline"] = {"value": figure(p.baseline_value), "year": p.baseline_year}
    try:
        return TargetEntry.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}" for e in exc.errors())
        raise Invalid(
            f"目标不完整或不一致：{where}", f"the target is incomplete or inconsistent: {where}"
        ) from None


def _accept_target(
    session: Session,
    p: PlanProposal,
    plan: Plan,
    indicators: dict[str, Indicator],
    regions: dict[str, Region],
    user: User,
    now: dt.datetime,
    path: WritePath,
) -> Target:
    key = _unique_key(session, plan, p)
    entry = target_entry(p, key)
    indicator = indicators[entry.indicator]
    if entry.declared_form in catalog_mod.LEVEL_FORMS:
        from service.domain import units

        if units.conversion_factor(entry.unit, indicator.unit) is None:
            raise Invalid(
                f"单位 {entry.unit} 无法换算为指标单位 {indicator.unit}",
                f"unit {entry.unit!r} cannot be converted to the indicator's {indicator.unit!r}",
            )
    h = content_hash({"entry": catalog_mod.hashed_dump(entry), "document": plan.source_document})
    row = Target(
        plan_id=plan.id,
        key=key,
        version=1,
        valid_from=now,
        content_hash=h,
        quote_position=p.quote_start,
        accepted_by_id=user.id,
        accepted_at=now,
        **catalog_mod._target_fields(entry, plan, indicators, regions),
    )
    session.add(row)
    audit.record(
        session,
        user=user,
        path=path,
        action="create",
        entity_type="target",
        entity_id=f"{plan.code}/{key}",
        after={"version": 1, "proposal": p.id, **entry.model_dump(mode="json")},
        at=now,
    )
    session.flush()
    return row


def baseline_entry(p: PlanProposal) -> StandaloneBaseline:
    data: dict[str, Any] = {
        "indicator": p.indicator_code,
        "region": p.region_code,
        "unit": p.unit,
        "value": figure(p.value),
        "quote": p.quote[:400],
        "confidence": p.confidence,
        "note": p.note or None,
    }
    if p.period_start is not None and p.target_year is not None:
        data["period"] = [p.period_start, p.target_year]
    else:
        data["year"] = p.target_year
    try:
        return StandaloneBaseline.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}" for e in exc.errors())
        raise Invalid(f"基期值不完整：{where}", f"the baseline is incomplete: {where}") from None


def _accept_baseline(
    session: Session,
    p: PlanProposal,
    plan: Plan,
    reading: PlanReading,
    indicators: dict[str, Indicator],
    regions: dict[str, Region],
    now: dt.datetime,
) -> None:
    from service.domain import units

    entry = baseline_entry(p)
    if units.conversion_factor(entry.unit, indicators[entry.indicator].unit) is None:
        raise Invalid(
            f"单位 {entry.unit} 无法换算为指标单位 {indicators[entry.indicator].unit}",
            f"unit {entry.unit!r} cannot be converted to the indicator's {indicators[entry.indicator].unit!r}",
        )
    batch = ImportBatch(path=WritePath.CATALOG, filename=f"plan reading {reading.id}", created_at=now)
    session.add(batch)
    session.flush()
    pf = PlanFile(plan=_plan_meta(reading), baselines=[entry])
    catalog_mod._apply_baselines(
        session, plan, pf, [entry], indicators, regions, batch, catalog_mod.ApplyReport(), now
    )


# --- the catalog data file -------------------------------------------------------------------------


def _plan_file_path(catalog_dir: Path, code: str) -> Path | None:
    for path in sorted((catalog_dir / "plans").glob("*.yaml")):
        try:
            data = read_yaml(path)
        except (yaml.YAMLError, OSError):
            continue
        if isinstance(data, dict) and isinstance(data.get("plan"), dict) and data["plan"].get("code") == code:
            return path
    return None


def export_plan_file(session: Session, plan_code: str, catalog_dir: Path) -> tuple[str, str]:
    """(file name, YAML) of the plan's catalog file: the file in ``indicators/plans/`` if there is one,
    with every target and baseline accepted from the plan reader added to it."""
    plan = session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        raise NotFound(
            f"目录中没有规划 {plan_code}（尚未接受任何目标）", f"no plan {plan_code!r} in the catalog yet"
        )
    path = _plan_file_path(catalog_dir, plan_code)
    if path is not None:
        data = read_yaml(path)
        name = path.name
    else:
        meta = PlanMeta(
            code=plan.code,
            title_zh=plan.title_zh,
            title_en=plan.title_en,
            issuer=plan.issuer,
            issued=plan.issued,
            base_year=plan.base_year,
            horizon_years=list(plan.horizon_years or []),
            source_document=plan.source_document,
            document_title=plan.document_title,
            note=plan.note,
        )
        data = {"plan": meta.model_dump(mode="json", exclude_none=True), "targets": [], "baselines": []}
        name = f"{plan.code}.yaml"
    data.setdefault("targets", [])
    data.setdefault("baselines", [])
    data["targets"] = data["targets"] or []
    data["baselines"] = data["baselines"] or []
    keys = {t.get("key") for t in data["targets"]}
    accepted = session.execute(
        select(PlanProposal, Target)
        .join(Target, PlanProposal.target_id == Target.id)
        .where(
            Target.plan_id == plan.id,
            Target.valid_to.is_(None),
            PlanProposal.status == ProposalStatus.ACCEPTED,
        )
        .order_by(PlanProposal.decided_at, PlanProposal.id)
    )
    for p, t in accepted:
        if t.key not in keys:
            data["targets"].append(_plain(target_entry(p, t.key).model_dump(mode="json")))
            keys.add(t.key)
    baselines = session.scalars(
        select(PlanProposal)
        .join(PlanReading, PlanProposal.reading_id == PlanReading.id)
        .where(
            PlanReading.plan_code == plan.code,
            PlanProposal.kind == "baseline",
            PlanProposal.status == ProposalStatus.ACCEPTED,
        )
        .order_by(PlanProposal.decided_at, PlanProposal.id)
    )
    have = {
        (b.get("indicator"), b.get("region"), b.get("year"), str(b.get("value"))) for b in data["baselines"]
    }
    for p in baselines:
        b = _plain(baseline_entry(p).model_dump(mode="json"))
        sig = (b.get("indicator"), b.get("region"), b.get("year"), str(b.get("value")))
        if sig not in have:
            data["baselines"].append(b)
            have.add(sig)
    PlanFile.model_validate(data)  # what is written out loads as it is
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)
    header = f"# Written by the plan reader's review ({plan.code}); check it, then commit it to indicators/plans/.\n"
    new = _new_indicators(
        session,
        catalog_dir,
        {t["indicator"] for t in data["targets"]} | {b["indicator"] for b in data["baselines"]},
    )
    if new:
        listing = yaml.safe_dump(new, allow_unicode=True, sort_keys=False, width=110)
        header += "# New indicators accepted with it; add them to indicators/indicators.yaml first:\n"
        header += "".join(f"#   {line}\n" for line in listing.splitlines())
    return name, header + text


def _new_indicators(session: Session, catalog_dir: Path, codes: set[str]) -> list[dict[str, Any]]:
    """Indicators the entries use that indicators.yaml does not define (created when a reviewer accepted them)."""
    try:
        known = {e.get("code") for e in read_yaml(catalog_dir / "indicators.yaml")}
    except (OSError, yaml.YAMLError, TypeError, AttributeError):
        known = set()
    out = []
    for ind in session.scalars(
        select(Indicator).where(Indicator.code.in_(sorted(codes - known))).order_by(Indicator.code)
    ):
        out.append(
            {
                "code": ind.code,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "direction": ind.direction.value,
                "kind": ind.kind.value,
                "aggregation": ind.aggregation.value,
                "category": ind.category,
                "synonyms": list(ind.synonyms or []),
            }
        )
    return out


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    """A model dump as YAML-friendly values: figures as numbers, empty fields dropped."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if v is None:
            continue
        if isinstance(v, dict):
            v = _plain(v)
        elif k in ("value", "low", "high", "stretch_value", "tolerance") and isinstance(v, str):
            v = figure(Decimal(v))
        out[k] = v
    return out
