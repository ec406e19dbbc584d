"""Loading the catalog: idempotent, all-or-nothing, versioned, baselines as observations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import PROJECT_ROOT
from service.db.models import (
    AuditEntry,
    Indicator,
    Observation,
    ObservationStatus,
    Plan,
    Region,
    Target,
    region_members,
)
from service.domain.catalog import CatalogError, apply_catalog, read_catalog
from tests.support.factories import NOW, copy_catalog, edit_yaml, num


def counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Plan, Region, Indicator, Target, Observation, AuditEntry)
    }


def test_loading_the_same_catalog_again_changes_nothing(session: Session) -> None:
    before = counts(session)
    report = apply_catalog(session, read_catalog(PROJECT_ROOT / "indicators"), now=NOW)
    assert not report.changed
    assert counts(session) == before


def test_the_catalog_holds_every_plan_with_targets_and_baselines(session: Session) -> None:
    plans = set(session.scalars(select(Plan.code)))
    assert {"yrd-outline-2019", "demo-zone-industry-2023", "sh-new-cities-industry-2021",
            "hangzhou-yrd-action-2019"} <= plans  # fmt: skip
    rd = session.scalar(
        select(Target)
        .join(Plan)
        .join(Region, Target.region_id == Region.id)
        .where(Plan.code == "demo-zone-industry-2023", Target.key == "rd-intensity-2025")
    )
    assert rd is not None and num(rd.value) == 3.7 and rd.comparator.value == "~" and rd.target_year == 2025
    baselines = session.scalar(
        select(func.count())
        .select_from(Observation)
        .where(Observation.status == ObservationStatus.PLAN_BASELINE)
    )
    assert baselines and baselines >= 10


def test_composite_zones_have_their_members(session: Session) -> None:
    def members(code: str) -> set[str]:
        zone = session.scalar(select(Region).where(Region.code == code))
        assert zone is not None
        rows = session.scalars(
            select(Region.name_zh).join(region_members, region_members.c.member_id == Region.id)
            .where(region_members.c.zone_id == zone.id)
        )  # fmt: skip
        return set(rows)

    assert members("Z-DEMO") == {"青浦区", "吴江区", "嘉善县"}
    assert members("Z-YRD") == {"上海市", "江苏省", "浙江省", "安徽省"}
    assert len(members("Z-YRD-CENTRAL")) == 27
    assert len(members("Z-SH-NEWCITIES")) == 5


def test_a_changed_target_becomes_a_new_version(session: Session, tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path)

    def raise_target(data: dict) -> None:
        for t in data["targets"]:
            if t["key"] == "rd-intensity-2025":
                t["note"] = "reviewed again"

    edit_yaml(catalog / "plans" / "demo-zone-industry-2023.yaml", raise_target)
    later = NOW + dt.timedelta(days=1)
    report = apply_catalog(session, read_catalog(catalog), now=later)
    assert report.updated == {"targets": 1}
    versions = session.scalars(
        select(Target).join(Plan).where(Plan.code == "demo-zone-industry-2023", Target.key == "rd-intensity-2025")
        .order_by(Target.version)
    ).all()  # fmt: skip
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].valid_to == later and versions[1].valid_to is None
    assert versions[1].note == "reviewed again" and versions[0].note != "reviewed again"
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "new_version"))
    assert audit is not None and audit.entity_id == "demo-zone-industry-2023/rd-intensity-2025"


def test_a_bad_file_is_refused_whole_with_file_entry_and_reason(session: Session, tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path)

    def break_two(data: dict) -> None:
        data["targets"][0]["comparator"] = "about"
        data["targets"][1]["indicator"] = "no_such_indicator"
        data["targets"].append(
            {"key": "new-and-valid", **{k: v for k, v in data["targets"][2].items() if k != "key"}}
        )

    edit_yaml(catalog / "plans" / "yrd-outline-2019.yaml", break_two)
    before = counts(session)
    with pytest.raises(CatalogError) as exc:
        read_catalog(catalog)
    issues = exc.value.issues
    assert {i.file for i in issues} == {"yrd-outline-2019.yaml"}
    assert any("comparator" in i.reason and i.entry.startswith("targets#1 ") for i in issues)
    assert any("no_such_indicator" in i.reason and i.entry.startswith("targets#2 ") for i in issues)
    assert "nothing was loaded" in exc.value.en and "未加载" in exc.value.zh
    assert counts(session) == before


def test_unreadable_yaml_is_reported(tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path)
    (catalog / "plans" / "broken.yaml").write_text("plan: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError) as exc:
        read_catalog(catalog)
    assert exc.value.issues[0].file == "broken.yaml" and "YAML" in exc.value.issues[0].reason


def test_a_changed_baseline_is_a_new_observation_not_an_overwrite(session: Session, tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path)

    def change(data: dict) -> None:
        for t in data["targets"]:
            if t["key"] == "rd-intensity-2025":
                t["baseline"]["value"] = 3.41

    edit_yaml(catalog / "plans" / "demo-zone-industry-2023.yaml", change)
    apply_catalog(session, read_catalog(catalog), now=NOW + dt.timedelta(days=2))
    rows = session.scalars(
        select(Observation).join(Indicator).join(Region, Observation.region_id == Region.id)
        .where(Indicator.code == "rd_intensity", Region.code == "Z-DEMO",
               Observation.status == ObservationStatus.PLAN_BASELINE)
        .order_by(Observation.reported_at)
    ).all()  # fmt: skip
    assert [num(r.value) for r in rows] == [3.4, 3.41]
    assert rows[1].supersedes_id == rows[0].id


def test_published_statistics_load_through_the_import_path_once(session: Session) -> None:
    from service.db.models import Qualifier
    from service.domain.catalog import load_observation_files

    counts = load_observation_files(session, PROJECT_ROOT / "indicators", now=NOW)
    loaded = counts["published_stats.csv"]
    assert loaded["added"] > 200 and loaded["rejected"] == 0
    again = load_observation_files(session, PROJECT_ROOT / "indicators", now=NOW + dt.timedelta(days=1))
    assert again["published_stats.csv"] == loaded  # the same file is not applied twice
    zj = session.scalars(
        select(Observation).join(Indicator).join(Region, Observation.region_id == Region.id)
        .where(Indicator.code == "gdp", Region.code == "330000", Observation.period == 2023)
        .order_by(Observation.id)
    ).all()  # fmt: skip
    assert [num(o.value) for o in zj] == [82553, 85620] and zj[1].supersedes_id == zj[0].id
    assert zj[0].status is ObservationStatus.PRELIMINARY
    qualifiers = {q for (q,) in session.execute(select(Observation.qualifier))}
    assert {Qualifier.LOWER_BOUND, Qualifier.APPROXIMATE} <= qualifiers
    # two offices' figures for the YRD's 2023 R&D intensity both stay visible
    rd = session.scalars(
        select(Observation.value).join(Indicator).join(Region, Observation.region_id == Region.id)
        .where(Indicator.code == "rd_intensity", Region.code == "Z-YRD", Observation.period == 2023,
               Observation.status != ObservationStatus.PLAN_BASELINE)
    ).all()  # fmt: skip
    assert sorted(num(v) for v in rd) == [3.33, 3.34]
