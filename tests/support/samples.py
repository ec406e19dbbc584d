"""Texts and figures that several test modules use: a plan's text for the plan reader, provinces'
populations for zone aggregation, and entering figures the way the API does."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from service.db.models import ReportRun, User, WritePath
from service.domain.observations import ObservationInput, ingest
from service.domain.plan_reader import Vocabulary
from service.reports.queries import AssessmentFilter, assessment_records

PLAN = """某市国民经济和社会发展第十五个五年规划纲要
2026年1月

一、发展基础
“十四五”时期，全市地区生产总值年均增长6.5%。2025年，全市常住人口城镇化率为72.3%，高新技术企业达到８５０家。

二、发展目标
到2030年，全市地区生产总值突破２００００亿元，研发投入强度达到百分之三点五，高新技术企业数量不低于1,200家，常住人口城镇化率75%左右。
单位地区生产总值能耗较2025年下降13.5%，细颗粒物平均浓度控制在30微克/立方米以内。
居民人均可支配收入年均增长5.5%左右，人均地区生产总值约18万元。
新建5G基站2—3万个，规上工业增加值翻一番，农村生活污水治理实现全覆盖。
其中，青浦新城、嘉定新城工业总产值分别达到1500亿元和2000亿元。
力争新增国家实验室两个以上。

三、2035年远景目标
到2035年，人均预期寿命达到82岁，每万人口高价值发明专利拥有量超过二十件。
"""


# The test plan's 农村生活污水治理 stands for a concept the catalog lacks (a new-indicator proposal); the
# 十五五 plans brought it into the catalog (rural_sewage_treatment_coverage), so these tests leave it out.
ABSENT = "rural_sewage_treatment_coverage"


def without_absent(vocabulary: Vocabulary) -> Vocabulary:
    kept = [i for i in vocabulary.indicators.values() if i.code != ABSENT]
    return Vocabulary(kept, vocabulary.regions.values())


PROVINCES = ["310000", "320000", "330000", "340000"]


# urban and resident population (万人) per province, 2018..2023; invented but plausible
URBAN = {
    "310000": [2136, 2144, 2220, 2220, 2220, 2225],
    "320000": [5604, 5698, 6227, 6289, 6338, 6394],
    "330000": [3953, 4095, 4660, 4708, 4751, 4808],
    "340000": [3459, 3553, 3559, 3631, 3680, 3741],
}


RESIDENT = {
    "310000": [2424, 2428, 2488, 2489, 2475, 2487],
    "320000": [8051, 8070, 8477, 8505, 8515, 8526],
    "330000": [5737, 5850, 6468, 6540, 6577, 6627],
    "340000": [6324, 6366, 6105, 6113, 6127, 6121],
}


def enter(session: Session, user: User, rows: list[tuple], when: dt.datetime) -> None:
    inputs = [
        ObservationInput(
            row=n, indicator=i, region=r, period=y, value=v, unit=u, revision_reason=reason, confirm=True
        )
        for n, (i, r, y, v, u, reason) in enumerate(rows, 1)
    ]
    result = ingest(session, user, inputs, path=WritePath.API, now=when)
    assert result.applied, result.as_dict(all_rows=False)


def record(session: Session, run: ReportRun, key: str) -> dict:
    plan, _, _target = key.partition("/")
    return next(r for r in assessment_records(session, run, AssessmentFilter(plan=plan)) if r["id"] == key)


POPULATIONS_AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def populations(session: Session, user: User) -> None:
    """Urban and resident population of the four provinces, 2018–2023 (a ratio built from components)."""
    rows = []
    for p in PROVINCES:
        for k, year in enumerate(range(2018, 2024)):
            rows.append(("urban_population", p, year, URBAN[p][k], "万人", None))
            rows.append(("resident_population", p, year, RESIDENT[p][k], "万人", None))
    enter(session, user, rows, POPULATIONS_AT)
