"""Reading, validating and loading the catalog in ``indicators/``.

``read_catalog`` parses and cross-checks every file and reports *all* problems at once (file, entry,
reason); ``apply_catalog`` writes a validated catalog idempotently in the caller's transaction: an
unchanged file changes nothing, a changed target becomes a new version, a plan baseline becomes an
observation with status ``plan_baseline``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import (
    DeclaredForm,
    ImportBatch,
    Indicator,
    Observation,
    ObservationStatus,
    Organisation,
    Plan,
    Region,
    Target,
    TargetAssignment,
    WritePath,
    region_members,
)
from service.domain import audit, changes, decomposition, units
from service.domain.catalog_schema import (
    IndicatorEntry,
    OrganisationEntry,
    PlanFile,
    PlanMeta,
    RegionEntry,
    StandaloneBaseline,
    TargetEntry,
)
from service.domain.errors import Invalid
from service.domain.progress import LEVEL_FORMS
from service.domain.vintage import period_end

# Forms whose figures the report run converts to the indicator's unit: a cumulative target adds to
# (or sums) the indicator's own figures.
CONVERTED_FORMS = frozenset({*LEVEL_FORMS, DeclaredForm.CUMULATIVE})


@dataclass(frozen=True)
class CatalogIssue:
    file: str
    entry: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.reason}"


class CatalogError(Invalid):
    def __init__(self, issues: list[CatalogIssue]) -> None:
        self.issues = issues
        listing = "; ".join(str(i) for i in issues[:20])
        more = f" (+{len(issues) - 20} more)" if len(issues) > 20 else ""
        super().__init__(
            f"目录文件有 {len(issues)} 处错误，未加载任何内容：{listing}{more}",
            f"The catalog has {len(issues)} error(s); nothing was loaded: {listing}{more}",
            details=[i.__dict__ for i in issues],
        )


@dataclass
class Catalog:
    regions: list[RegionEntry]
    indicators: list[IndicatorEntry]
    plans: list[tuple[str, PlanFile]]  # (file name, content)
    organisations: list[OrganisationEntry] = field(default_factory=list)


@dataclass
class ApplyReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)

    def bump(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)


# Fields the schema gained after catalogs were first loaded (the 十五五 round): left out of a hash while
# unset, so that the schema's extension does not make every stored plan and target a new version.
_LATER_FIELDS = frozenset(
    {
        "period",
        "period_start",
        "attribute",
        "parent",
        "split",
        "organisation",
        "serves",
        "assignment_document",
    }
)
# A target's assignment to organisations is kept apart from its versions (target_assignments): a new
# lead department is not a new target.
_NOT_HASHED = frozenset({"lead", "support"})


def hashed_dump(model: BaseModel) -> dict[str, Any]:
    """A plan's or target's fields as they enter its content hash."""
    return {
        k: v
        for k, v in model.model_dump(mode="json").items()
        if k not in _NOT_HASHED and not (k in _LATER_FIELDS and v is None)
    }


def content_hash(model: BaseModel | dict[str, Any]) -> str:
    data = hashed_dump(model) if isinstance(model, BaseModel) else model
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# --- reading -----------------------------------------------------------------------------------


# libyaml's parser where PyYAML has it (the same safe constructors, the same result): the catalog's
# files parse ~5x faster, which every `yrdmon init` and start-up pays
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """A catalog file's data (safe YAML: plain data only)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)


def _load_yaml(path: Path, issues: list[CatalogIssue]) -> Any:
    try:
        return read_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        issues.append(CatalogIssue(path.name, "-", f"not readable YAML: {exc}".replace("\n", " ")))
        return None


def _validation_reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return "; ".join(parts)


def _parse_list(path: Path, model: type[BaseModel], issues: list[CatalogIssue]) -> list[Any]:
    if not path.exists():
        issues.append(CatalogIssue(path.name, "-", "file is missing"))
        return []
    data = _load_yaml(path, issues)
    if data is None:
        return []
    if not isinstance(data, list):
        issues.append(CatalogIssue(path.name, "-", "expected a YAML list of entries"))
        return []
    out = []
    for i, raw in enumerate(data):
        label = f"#{i + 1}" + (f" ({raw.get('code')})" if isinstance(raw, dict) and raw.get("code") else "")
        try:
            out.append(model.model_validate(raw))
        except ValidationError as exc:
            issues.append(CatalogIssue(path.name, label, _validation_reason(exc)))
    return out


def read_catalog(directory: Path) -> Catalog:
    """Parse and cross-check the catalog; raise CatalogError listing every problem found."""
    issues: list[CatalogIssue] = []
    if not directory.is_dir():
        raise CatalogError([CatalogIssue(str(directory), "-", "catalog directory not found")])
    regions: list[RegionEntry] = _parse_list(directory / "regions.yaml", RegionEntry, issues)
    indicators: list[IndicatorEntry] = _parse_list(directory / "indicators.yaml", IndicatorEntry, issues)
    organisations: list[OrganisationEntry] = (
        _parse_list(directory / "organisations.yaml", OrganisationEntry, issues)
        if (directory / "organisations.yaml").exists()
        else []
    )
    plans: list[tuple[str, PlanFile]] = []
    for path in sorted((directory / "plans").glob("*.yaml")):
        parsed = _parse_plan_file(path, issues)
        if parsed is not None:
            plans.append((path.name, parsed))
    catalog = Catalog(regions, indicators, plans, organisations)
    issues.extend(cross_check(catalog))
    if issues:
        raise CatalogError(issues)
    return catalog


def _parse_plan_file(path: Path, issues: list[CatalogIssue]) -> PlanFile | None:
    """Validate a plan file entry by entry, so that one bad entry does not hide the others."""
    data = _load_yaml(path, issues)
    if data is None:
        return None
    if not isinstance(data, dict) or "plan" not in data:
        issues.append(
            CatalogIssue(path.name, "-", "expected a mapping with 'plan', 'targets' and 'baselines'")
        )
        return None
    unknown = set(data) - {"plan", "targets", "baselines"}
    if unknown:
        issues.append(CatalogIssue(path.name, "-", f"unknown section(s): {', '.join(sorted(unknown))}"))
    try:
        meta = PlanMeta.model_validate(data["plan"])
    except ValidationError as exc:
        issues.append(CatalogIssue(path.name, "plan", _validation_reason(exc)))
        return None
    sections: dict[str, list[Any]] = {"targets": [], "baselines": []}
    models: dict[str, type[TargetEntry] | type[StandaloneBaseline]] = {
        "targets": TargetEntry,
        "baselines": StandaloneBaseline,
    }
    for section, model in models.items():
        raw_items = data.get(section) or []
        if not isinstance(raw_items, list):
            issues.append(CatalogIssue(path.name, section, "expected a list"))
            continue
        for n, raw in enumerate(raw_items, 1):
            key = raw.get("key") if isinstance(raw, dict) else None
            label = f"{section}#{n}" + (f" ({key})" if key else "")
            try:
                entry = model.model_validate(raw)
                entry._pos = n
                sections[section].append(entry)
            except ValidationError as exc:
                issues.append(CatalogIssue(path.name, label, _validation_reason(exc)))
    return PlanFile(plan=meta, targets=sections["targets"], baselines=sections["baselines"])


def _duplicates(codes: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    dup: set[str] = set()
    for c in codes:
        (dup if c in seen else seen).add(c)
    return dup


def cross_check(catalog: Catalog) -> list[CatalogIssue]:
    issues: list[CatalogIssue] = []
    region_codes = {r.code for r in catalog.regions}
    for code in _duplicates(r.code for r in catalog.regions):
        issues.append(CatalogIssue("regions.yaml", code, "duplicate region code"))
    for code in _duplicates(r.admin_code for r in catalog.regions if r.admin_code):
        issues.append(CatalogIssue("regions.yaml", code, "duplicate administrative code"))
    for r in catalog.regions:
        if r.parent and r.parent not in region_codes:
            issues.append(CatalogIssue("regions.yaml", r.code, f"unknown parent region {r.parent!r}"))
        for m in r.members:
            if m not in region_codes:
                issues.append(CatalogIssue("regions.yaml", r.code, f"unknown member region {m!r}"))
    ind = {i.code: i for i in catalog.indicators}
    for code in _duplicates(i.code for i in catalog.indicators):
        issues.append(CatalogIssue("indicators.yaml", code, "duplicate indicator code"))
    for i in catalog.indicators:
        for part in (i.numerator, i.denominator):
            if part and part not in ind:
                issues.append(
                    CatalogIssue("indicators.yaml", i.code, f"unknown component indicator {part!r}")
                )
    for code in _duplicates(p.plan.code for _, p in catalog.plans):
        issues.append(CatalogIssue("plans/", code, "plan code used by more than one file"))
    orgs = {o.code: o for o in catalog.organisations}
    for code in _duplicates(o.code for o in catalog.organisations):
        issues.append(CatalogIssue("organisations.yaml", code, "duplicate organisation code"))
    for o in catalog.organisations:
        if o.region and o.region not in region_codes:
            issues.append(CatalogIssue("organisations.yaml", o.code, f"unknown region {o.region!r}"))
    issues.extend(_check_assignments_and_splits(catalog, orgs, ind))
    for fname, pf in catalog.plans:
        for key in _duplicates(t.key for t in pf.targets):
            issues.append(CatalogIssue(fname, key, "duplicate target key"))
        for t in pf.targets:
            label = f"targets#{t._pos} ({t.key})"
            issues.extend(_check_refs(fname, label, t.indicator, t.region, ind, region_codes))
            indicator = ind.get(t.indicator)
            if (
                indicator
                and t.declared_form in CONVERTED_FORMS
                and not t.is_qualitative  # no number to convert
                and units.conversion_factor(t.unit, indicator.unit) is None
            ):
                issues.append(
                    CatalogIssue(
                        fname,
                        label,
                        f"unit {t.unit!r} cannot be converted to the indicator's {indicator.unit!r}",
                    )
                )
            if t.declared_form is DeclaredForm.RELATIVE_CHANGE and units.normalise_unit(t.unit) != "%":
                issues.append(
                    CatalogIssue(
                        fname,
                        label,
                        f"a relative change is in %, not {t.unit!r}; a change in 百分点 is declared_form cumulative",
                    )
                )
            if (
                indicator
                and t.baseline
                and units.conversion_factor(_baseline_unit(t), indicator.unit) is None
            ):
                issues.append(
                    CatalogIssue(
                        fname,
                        label,
                        f"baseline unit {_baseline_unit(t)!r} cannot be converted to {indicator.unit!r}; give baseline.unit",
                    )
                )
        for b in pf.baselines:
            label = f"baselines#{b._pos} ({b.indicator}/{b.region})"
            issues.extend(_check_refs(fname, label, b.indicator, b.region, ind, region_codes))
            indicator = ind.get(b.indicator)
            if indicator and units.conversion_factor(b.unit, indicator.unit) is None:
                issues.append(
                    CatalogIssue(
                        fname,
                        label,
                        f"unit {b.unit!r} cannot be converted to the indicator's {indicator.unit!r}",
                    )
                )
    return issues


def _check_assignments_and_splits(
    catalog: Catalog, orgs: dict[str, OrganisationEntry], ind: dict[str, IndicatorEntry]
) -> list[CatalogIssue]:
    """Organisations named by targets exist; sub-targets name a parent of their plan with a split rule
    and the same indicator and year; quotas add up where they must; a milestone serves a known target
    of the same indicator and region, within its period."""
    issues: list[CatalogIssue] = []
    by_ref = {f"{pf.plan.code}/{t.key}": t for _, pf in catalog.plans for t in pf.targets}
    regions = {r.code: r for r in catalog.regions}
    for fname, pf in catalog.plans:
        keyed = {t.key: t for t in pf.targets}
        for t in pf.targets:
            label = f"targets#{t._pos} ({t.key})"
            for code in [t.lead, *(t.support or []), t.organisation]:
                if code is not None and code not in orgs:
                    issues.append(CatalogIssue(fname, label, f"unknown organisation {code!r}"))
            if (t.lead or t.support) and not orgs:
                issues.append(
                    CatalogIssue(fname, label, "lead/support name organisations; add organisations.yaml")
                )
            if t.parent is not None:
                parent = keyed.get(t.parent)
                if parent is None:
                    issues.append(
                        CatalogIssue(fname, label, f"unknown parent target {t.parent!r} (same plan)")
                    )
                elif parent.split is None:
                    issues.append(
                        CatalogIssue(fname, label, f"parent {t.parent!r} has no split (sum or each)")
                    )
                elif parent.indicator != t.indicator or parent.target_year != t.target_year:
                    issues.append(
                        CatalogIssue(fname, label, "a sub-target has its parent's indicator and target year")
                    )
                elif parent.parent is not None:
                    issues.append(
                        CatalogIssue(fname, label, "a sub-target's parent is not itself a sub-target")
                    )
                elif t.organisation is None and not _within(regions.get(t.region), parent.region, regions):
                    issues.append(
                        CatalogIssue(
                            fname, label, f"a district quota's region is below or a member of {parent.region}"
                        )
                    )
            if t.serves is not None:
                served = by_ref.get(t.serves)
                if served is None:
                    issues.append(CatalogIssue(fname, label, f"serves an unknown target {t.serves!r}"))
                elif served.indicator != t.indicator or served.region != t.region:
                    issues.append(
                        CatalogIssue(fname, label, f"a milestone has the indicator and region of {t.serves}")
                    )
                elif t.target_year > served.target_year:
                    issues.append(
                        CatalogIssue(
                            fname, label, f"a milestone's year is not after {t.serves}'s {served.target_year}"
                        )
                    )
        for t in pf.targets:
            if t.split is None:
                continue
            label = f"targets#{t._pos} ({t.key})"
            children = [c for c in pf.targets if c.parent == t.key]
            indicator = ind.get(t.indicator)
            if indicator is None:
                continue
            for p in decomposition.split_problems(
                _quota(t, indicator),
                t.split,
                [_quota(c, indicator) for c in children],
                indicator.unit,
                summable_indicator=indicator.aggregation.value == "sum",
            ):
                issues.append(CatalogIssue(fname, label, p.en))
    return issues


def _within(region: RegionEntry | None, above: str, regions: dict[str, RegionEntry]) -> bool:
    """The region is below ``above`` in the hierarchy, or a member of the zone ``above``."""
    if region is None:
        return False
    zone = regions.get(above)
    if zone is not None and region.code in zone.members:
        return True
    seen: set[str] = set()
    current: RegionEntry | None = region
    while current is not None and current.parent and current.parent not in seen:
        if current.parent == above:
            return True
        seen.add(current.parent)
        current = regions.get(current.parent)
    return False


def _quota(t: TargetEntry, indicator: IndicatorEntry) -> decomposition.Quota:
    value = t.value
    if value is not None and t.declared_form in CONVERTED_FORMS:
        try:
            value = units.convert(value, t.unit, indicator.unit)
        except ValueError:  # reported by cross_check
            value = None
    return decomposition.Quota(t.key, t.comparator, t.declared_form, value, t.tolerance)


def _check_refs(
    fname: str, label: str, indicator: str, region: str, ind: dict[str, IndicatorEntry], regions: set[str]
) -> list[CatalogIssue]:
    out = []
    if indicator not in ind:
        out.append(CatalogIssue(fname, label, f"unknown indicator {indicator!r}"))
    if region not in regions:
        out.append(CatalogIssue(fname, label, f"unknown region {region!r}"))
    return out


def _baseline_unit(t: TargetEntry) -> str:
    assert t.baseline is not None
    return t.baseline.unit or t.unit


# --- applying ----------------------------------------------------------------------------------


def _dec(v: Decimal | None) -> Decimal | None:
    return None if v is None else Decimal(v)


def apply_catalog(session: Session, catalog: Catalog, *, now: dt.datetime) -> ApplyReport:
    """Write the catalog; only what differs from the stored catalog is written."""
    report = ApplyReport()
    regions = _apply_regions(session, catalog.regions, report, now)
    indicators = _apply_indicators(session, catalog.indicators, report, now)
    organisations = _apply_organisations(session, catalog.organisations, regions, report, now)
    batch: ImportBatch | None = None
    for _fname, pf in catalog.plans:
        plan = _apply_plan(session, pf, report, now)
        _apply_targets(session, plan, pf.targets, indicators, regions, report, now, organisations)
        _apply_assignments(session, plan, pf, organisations, report, now)
        baselines = list(_baselines_of(pf))
        if baselines:
            if batch is None:
                batch = ImportBatch(path=WritePath.CATALOG, filename="indicators/", created_at=now)
                session.add(batch)
                session.flush()
            _apply_baselines(session, plan, pf, baselines, indicators, regions, batch, report, now)
    if batch is not None and batch.added == 0 and batch.revised == 0:
        session.delete(batch)
    session.flush()
    if report.changed:
        changes.record(session, "catalog", now=now)
    return report


def _upsert_by_code(
    session: Session,
    model: Any,
    existing: dict[str, Any],
    entries: Sequence[Any],
    kind: str,
    audited: tuple[str, ...],
    report: ApplyReport,
    now: dt.datetime,
    fields_of: Callable[[Any], dict[str, Any]],
) -> None:
    """Create the rows of catalog entries keyed by code, or update those whose content changed (by the
    entry's content hash), each with its audit entry; ``existing`` gains the new rows. Flushes."""
    for e in entries:
        h = content_hash(e)
        row = existing.get(e.code)
        fields = {**fields_of(e), "aliases": list(e.aliases), "content_hash": h}
        if row is None:
            row = model(code=e.code, **fields)
            session.add(row)
            existing[e.code] = row
            report.bump(report.created, kind + "s")
            audit.record(
                session,
                user=None,
                path=WritePath.CATALOG,
                action="create",
                entity_type=kind,
                entity_id=e.code,
                before=None,
                after=e.model_dump(mode="json"),
                at=now,
            )
        elif row.content_hash != h:
            before = {k: getattr(row, k) for k in audited}
            for k, v in fields.items():
                setattr(row, k, v)
            report.bump(report.updated, kind + "s")
            audit.record(
                session,
                user=None,
                path=WritePath.CATALOG,
                action="update",
                entity_type=kind,
                entity_id=e.code,
                before=before,
                after=e.model_dump(mode="json"),
                at=now,
            )
    session.flush()


def _apply_regions(
    session: Session, entries: list[RegionEntry], report: ApplyReport, now: dt.datetime
) -> dict[str, Region]:
    existing = {r.code: r for r in session.scalars(select(Region))}
    _upsert_by_code(
        session,
        Region,
        existing,
        entries,
        "region",
        ("name_zh", "name_en", "level", "admin_code"),
        report,
        now,
        lambda e: {"name_zh": e.name_zh, "name_en": e.name_en, "level": e.level, "admin_code": e.admin_code},
    )
    members_now = {
        (z, m) for z, m in session.execute(select(region_members.c.zone_id, region_members.c.member_id))
    }
    for e in entries:
        row = existing[e.code]
        parent_id = existing[e.parent].id if e.parent else None
        if row.parent_id != parent_id:
            row.parent_id = parent_id
        wanted = {(row.id, existing[m].id) for m in e.members}
        have = {p for p in members_now if p[0] == row.id}
        for z, m in wanted - have:
            session.execute(region_members.insert().values(zone_id=z, member_id=m))
        for z, m in have - wanted:
            session.execute(
                region_members.delete().where(
                    (region_members.c.zone_id == z) & (region_members.c.member_id == m)
                )
            )
    session.flush()
    return existing


def _apply_indicators(
    session: Session, entries: list[IndicatorEntry], report: ApplyReport, now: dt.datetime
) -> dict[str, Indicator]:
    existing = {i.code: i for i in session.scalars(select(Indicator))}
    for e in entries:
        h = content_hash(e)
        row = existing.get(e.code)
        fields = dict(
            name_zh=e.name_zh,
            name_en=e.name_en,
            unit=e.unit,
            direction=e.direction,
            kind=e.kind,
            aggregation=e.aggregation,
            scale=e.scale,
            category=e.category,
            synonyms=list(e.synonyms),
            content_hash=h,
        )
        if row is None:
            row = Indicator(code=e.code, **fields)
            session.add(row)
            existing[e.code] = row
            report.bump(report.created, "indicators")
            audit.record(
                session,
                user=None,
                path=WritePath.CATALOG,
                action="create",
                entity_type="indicator",
                entity_id=e.code,
                before=None,
                after=e.model_dump(mode="json"),
                at=now,
            )
        elif row.content_hash != h:
            if row.unit != e.unit:
                # Stored observations are in the old canonical unit; changing it would silently rescale them.
                raise CatalogError(
                    [
                        CatalogIssue(
                            "indicators.yaml",
                            e.code,
                            f"canonical unit changed from {row.unit!r} to {e.unit!r}; add a new indicator instead",
                        )
                    ]
                )
            before = {"name_zh": row.name_zh, "name_en": row.name_en, "kind": str(row.kind)}
            for k, v in fields.items():
                setattr(row, k, v)
            report.bump(report.updated, "indicators")
            audit.record(
                session,
                user=None,
                path=WritePath.CATALOG,
                action="update",
                entity_type="indicator",
                entity_id=e.code,
                before=before,
                after=e.model_dump(mode="json"),
                at=now,
            )
    session.flush()
    for e in entries:
        row = existing[e.code]
        row.numerator_id = existing[e.numerator].id if e.numerator else None
        row.denominator_id = existing[e.denominator].id if e.denominator else None
    session.flush()
    return existing


def _apply_organisations(
    session: Session,
    entries: list[OrganisationEntry],
    regions: dict[str, Region],
    report: ApplyReport,
    now: dt.datetime,
) -> dict[str, Organisation]:
    existing = {o.code: o for o in session.scalars(select(Organisation))}
    _upsert_by_code(
        session,
        Organisation,
        existing,
        entries,
        "organisation",
        ("name_zh", "name_en", "kind"),
        report,
        now,
        lambda e: {
            "name_zh": e.name_zh,
            "name_en": e.name_en,
            "kind": e.kind,
            "region_id": regions[e.region].id if e.region else None,
        },
    )
    return existing


def current_assignments(session: Session, plan_id: int, key: str | None = None) -> list[TargetAssignment]:
    stmt = select(TargetAssignment).where(
        TargetAssignment.plan_id == plan_id, TargetAssignment.valid_to.is_(None)
    )
    if key is not None:
        stmt = stmt.where(TargetAssignment.target_key == key)
    return list(session.scalars(stmt.order_by(TargetAssignment.id)))


def assign(
    session: Session,
    plan: Plan,
    key: str,
    lead: Organisation | None,
    support: list[Organisation],
    *,
    source: str | None,
    now: dt.datetime,
    user_id: int | None = None,
    path: WritePath = WritePath.CATALOG,
) -> bool:
    """Make (lead, support) the target's current assignment; False when it already is. The rows it
    replaces are closed (valid_to), never rewritten."""
    have = current_assignments(session, plan.id, key)
    wanted = {(o.id, "lead") for o in ([lead] if lead else [])} | {(o.id, "support") for o in support}
    if {(a.organisation_id, a.role) for a in have} == wanted and all(a.source == source for a in have):
        return False
    for a in have:
        a.valid_to = now
    for org_id, role in sorted(wanted, key=lambda w: (w[1] != "lead", w[0])):
        session.add(
            TargetAssignment(
                plan_id=plan.id,
                target_key=key,
                organisation_id=org_id,
                role=role,
                source=source,
                valid_from=now,
                assigned_by_id=user_id,
            )
        )
    codes = {o.id: o.code for o in ([lead] if lead else []) + support}
    audit.record(
        session,
        user=user_id,
        path=path,
        action="assign",
        entity_type="target",
        entity_id=f"{plan.code}/{key}",
        before={"assignments": [[a.organisation_id, a.role] for a in have]} if have else None,
        after={
            "lead": lead.code if lead else None,
            "support": [codes[o.id] for o in support],
            "source": source,
        },
        at=now,
    )
    session.flush()
    return True


def _apply_assignments(
    session: Session,
    plan: Plan,
    pf: PlanFile,
    organisations: dict[str, Organisation],
    report: ApplyReport,
    now: dt.datetime,
) -> None:
    """The file's lead/support of each target; a target whose entry names neither keeps what the API
    assigned (the file does not speak for it)."""
    for t in pf.targets:
        if t.lead is None and not t.support:
            continue
        lead = organisations[t.lead] if t.lead else None
        support = [organisations[c] for c in (t.support or [])]
        source = pf.plan.assignment_document
        if assign(session, plan, t.key, lead, support, source=source, now=now):
            report.bump(report.updated, "assignments")


def _apply_plan(session: Session, pf: PlanFile, report: ApplyReport, now: dt.datetime) -> Plan:
    meta = pf.plan
    h = content_hash(meta)
    row = session.scalar(select(Plan).where(Plan.code == meta.code))
    fields = dict(
        title_zh=meta.title_zh,
        title_en=meta.title_en,
        issuer=meta.issuer,
        issued=meta.issued,
        base_year=meta.base_year,
        horizon_years=list(meta.horizon_years),
        period_start=meta.period[0] if meta.period else None,
        period_end=meta.period[1] if meta.period else None,
        source_document=meta.source_document,
        document_title=meta.document_title,
        note=meta.note,
        content_hash=h,
    )
    if row is None:
        row = Plan(code=meta.code, created_at=now, updated_at=now, **fields)
        session.add(row)
        session.flush()
        report.bump(report.created, "plans")
        audit.record(
            session,
            user=None,
            path=WritePath.CATALOG,
            action="create",
            entity_type="plan",
            entity_id=meta.code,
            before=None,
            after=meta.model_dump(mode="json"),
            at=now,
        )
    elif row.content_hash != h:
        before = {"title_zh": row.title_zh, "issued": row.issued, "base_year": row.base_year}
        for k, v in fields.items():
            setattr(row, k, v)
        row.updated_at = now
        report.bump(report.updated, "plans")
        audit.record(
            session,
            user=None,
            path=WritePath.CATALOG,
            action="update",
            entity_type="plan",
            entity_id=meta.code,
            before=before,
            after=meta.model_dump(mode="json"),
            at=now,
        )
    return row


def _target_fields(
    t: TargetEntry,
    plan: Plan,
    indicators: dict[str, Indicator],
    regions: dict[str, Region],
    organisations: dict[str, Organisation] | None = None,
) -> dict[str, Any]:
    return dict(
        parent_key=t.parent,
        split=t.split,
        organisation_id=(organisations or {})[t.organisation].id if t.organisation else None,
        serves=t.serves,
        indicator_id=indicators[t.indicator].id,
        region_id=regions[t.region].id,
        chapter=t.chapter,
        unit=t.unit,
        comparator=t.comparator,
        value=_dec(t.value),
        low=_dec(t.low),
        high=_dec(t.high),
        stretch_value=_dec(t.stretch_value),
        tolerance=_dec(t.tolerance),
        target_year=t.target_year,
        reference_year=t.reference_year,
        period_start=t.period_start,
        declared_form=t.declared_form,
        attribute=t.attribute,
        baseline_value=t.baseline.value if t.baseline else None,
        baseline_year=(t.baseline.year or (t.baseline.period[1] if t.baseline.period else None))
        if t.baseline
        else None,
        source_document=plan.source_document,
        source_quote=t.quote,
        confidence=t.confidence,
        note=t.note,
    )


def _apply_targets(
    session: Session,
    plan: Plan,
    entries: list[TargetEntry],
    indicators: dict[str, Indicator],
    regions: dict[str, Region],
    report: ApplyReport,
    now: dt.datetime,
    organisations: dict[str, Organisation] | None = None,
) -> None:
    current = {
        t.key: t
        for t in session.scalars(select(Target).where(Target.plan_id == plan.id, Target.valid_to.is_(None)))
    }
    seen = set()
    for e in entries:
        seen.add(e.key)
        h = content_hash({"entry": hashed_dump(e), "document": plan.source_document})
        row = current.get(e.key)
        if row is not None and row.content_hash == h:
            continue
        version = 1
        if row is not None:
            row.valid_to = now
            version = row.version + 1
            session.flush()
        session.add(
            Target(
                plan_id=plan.id,
                key=e.key,
                version=version,
                valid_from=now,
                content_hash=h,
                **_target_fields(e, plan, indicators, regions, organisations),
            )
        )
        report.bump(report.created if row is None else report.updated, "targets")
        audit.record(
            session,
            user=None,
            path=WritePath.CATALOG,
            action="create" if row is None else "new_version",
            entity_type="target",
            entity_id=f"{plan.code}/{e.key}",
            before=None if row is None else {"version": row.version, "hash": row.content_hash},
            after={"version": version, **e.model_dump(mode="json")},
            at=now,
        )
    for key, row in current.items():
        # a target accepted or entered through the service (a plan-reader proposal, a sub-target from
        # the API) is not the file's to retire
        if key not in seen and row.accepted_by_id is None:
            row.valid_to = now
            report.bump(report.retired, "targets")
            audit.record(
                session,
                user=None,
                path=WritePath.CATALOG,
                action="retire",
                entity_type="target",
                entity_id=f"{plan.code}/{key}",
                before={"version": row.version},
                after=None,
                at=now,
            )


def _baselines_of(pf: PlanFile) -> Iterable[StandaloneBaseline]:
    for t in pf.targets:
        if t.baseline is not None:
            yield StandaloneBaseline(
                indicator=t.indicator,
                region=t.region,
                unit=_baseline_unit(t),
                value=t.baseline.value,
                year=t.baseline.year,
                period=t.baseline.period,
                quote=t.baseline.quote or t.quote,
                confidence=t.confidence,
            )
    yield from pf.baselines


def _apply_baselines(
    session: Session,
    plan: Plan,
    pf: PlanFile,
    baselines: list[StandaloneBaseline],
    indicators: dict[str, Indicator],
    regions: dict[str, Region],
    batch: ImportBatch,
    report: ApplyReport,
    now: dt.datetime,
) -> None:
    source = f"{plan.title_zh}（{plan.source_document}）"
    done: set[tuple[int, int, int]] = set()
    for b in baselines:
        ind, reg = indicators[b.indicator], regions[b.region]
        year = b.year if b.year is not None else b.period[1]  # type: ignore[index]
        key = (ind.id, reg.id, year)
        if key in done:  # the same baseline stated twice in one plan: keep the first
            continue
        done.add(key)
        value = units.convert(b.value, b.unit, ind.unit)
        previous = session.scalar(
            select(Observation)
            .where(
                Observation.indicator_id == ind.id,
                Observation.region_id == reg.id,
                Observation.period == year,
                Observation.status == ObservationStatus.PLAN_BASELINE,
                Observation.source == source,
            )
            .order_by(Observation.reported_at.desc(), Observation.id.desc())
            .limit(1)
        )
        if previous is not None and previous.value is not None and Decimal(previous.value) == value:
            continue
        session.add(
            Observation(
                indicator_id=ind.id,
                region_id=reg.id,
                period=year,
                value=value,
                value_as_entered=str(b.value),
                unit_as_entered=b.unit,
                status=ObservationStatus.PLAN_BASELINE,
                source=source,
                note=b.quote,
                published_on=period_end(plan.issued),  # a baseline is public from its plan's issue
                reported_at=now,
                batch_id=batch.id,
                supersedes_id=previous.id if previous is not None else None,
                revision_reason="catalog baseline changed" if previous is not None else None,
            )
        )
        if previous is None:
            batch.added += 1
            report.bump(report.created, "baseline_observations")
        else:
            batch.revised += 1
            report.bump(report.updated, "baseline_observations")


# --- published statistics shipped with the catalog ------------------------------------------------

SYSTEM_USER = "catalog"
FILE_UPDATED = "目录数据文件更新 / the catalog's data file was updated"


def system_user(session: Session, now: dt.datetime) -> Any:
    """The account that loads the catalog's data files (administrator scope, can never log in)."""
    from service.db.models import Role, User

    user = session.scalar(select(User).where(User.username == SYSTEM_USER))
    if user is None:
        user = User(
            username=SYSTEM_USER,
            display_name="目录数据文件 / catalog data files",
            role=Role.ADMIN,
            password_hash=None,
            is_active=False,
            created_at=now,
        )
        session.add(user)
        session.flush()
    return user


def load_observation_files(
    session: Session, directory: Path, *, now: dt.datetime
) -> dict[str, dict[str, int]]:
    """Load ``observations/*.csv|xlsx`` through the same import path as uploads, each file once.

    A file is identified by its content: loading it again is a no-op (idempotency key), a changed file is
    a new batch whose changed figures are revisions. A file with a rejected row is refused whole.
    """
    from service.domain.observations import ingest
    from service.domain.tabular import read_table

    folder = directory / "observations"
    if not folder.is_dir():
        return {}
    user = system_user(session, now)
    out: dict[str, dict[str, int]] = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".xlsx")):
        content = path.read_bytes()
        key = "catalog-file:" + hashlib.sha256(content).hexdigest()
        name = f"indicators/observations/{path.name}"
        done = session.scalar(
            select(ImportBatch).where(ImportBatch.user_id == user.id, ImportBatch.idempotency_key == key)
        )
        if done is not None:  # this very file is loaded already
            out[path.name] = dict((done.response or {}).get("counts", {}))
            continue
        inputs = read_table(path.name, content)
        earlier = session.scalar(
            select(ImportBatch.id)
            .where(ImportBatch.user_id == user.id, ImportBatch.filename == name)
            .limit(1)
        )
        if earlier is not None:
            # a new version of a file loaded before: its rows restate the history it made, now perhaps
            # with publication dates; each differing row becomes a new version, the file's change its reason
            for item in inputs:
                if not (item.revision_reason or "").strip():
                    item.revision_reason = FILE_UPDATED
        result = ingest(
            session, user, inputs, path=WritePath.CATALOG, now=now, idempotency_key=key, filename=name
        )
        if not result.applied:
            issues = [
                CatalogIssue(f"observations/{path.name}", f"row {r.row}", f"{p.column}: {p.en}")
                for r in result.rows
                for p in r.problems
            ]
            raise CatalogError(issues or [CatalogIssue(path.name, "-", "refused")])
        out[path.name] = result.counts
    return out
