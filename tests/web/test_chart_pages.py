"""Target pages through the real app (SQLite and PostgreSQL): a verdict never sits beside a progress
figure that contradicts it, and the chart draws no schedule path running the wrong way."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.db.models import Role, WritePath
from service.domain import users
from service.domain.observations import ObservationInput, ingest
from service.reports.engine import run_report

ENTERED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
PAGE = "/targets/yrd-outline-2019/railway-density-2025"  # ≥507 公里/万平方公里 by 2025, plan base 2018


def figure_of(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="target-chart-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(html.unescape(m.group(1)))


def test_met_at_the_base_then_missed_shows_no_completion_share(client: TestClient, session: Session) -> None:
    """520 at the base (already ≥507), 500 in 2025: 未实现, and not "完成进度 154 %" beside it (the share
    (500−520)/(507−520) means nothing once the base met the target), nor a path sloping down to 507."""
    admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
    inputs = [
        ObservationInput(row=n, indicator="railway_network_density", region="Z-YRD", period=y, value=v,
                         unit="公里/万平方公里", status="final", confirm=True, source=f"统计公报{y}")
        for n, (y, v) in enumerate(((2018, 520.0), (2022, 512.0), (2025, 500.0)), 1)
    ]  # fmt: skip
    assert ingest(session, admin, inputs, path=WritePath.API, now=ENTERED).applied
    run_report(session, as_of=END, now=END)
    session.commit()
    zh = client.get(PAGE + "?lang=zh").text
    assert "✖ 未实现" in zh
    completion = re.search(r'id="completion">(.*?)</dd>', zh, re.S)
    assert (
        completion is not None and "%" not in completion.group(1) and "基期已达到目标" in completion.group(1)
    )
    fig = figure_of(zh)
    names = [t["name"] for t in fig["data"]]
    assert "序时进度参考路径" not in names and {"观测值", "目标值", "基期值"} <= set(names)
    target = next(t for t in fig["data"] if t["name"] == "目标值")
    assert target["y"] == [507] and target["customdata"] == ["507公里/万平方公里"]
    en = client.get(PAGE + "?lang=en").text
    completion = re.search(r'id="completion">(.*?)</dd>', en, re.S)
    assert completion is not None and "met at the base year" in completion.group(1)
    assert "Reference path (schedule)" not in [t["name"] for t in figure_of(en)["data"]]


def test_a_doubling_target_reads_as_doubling_with_its_level(client: TestClient, session: Session) -> None:
    """杭州 倍增: 较2018年翻一番, never "≥2亿元"; without the 2018 value no level is drawn, the chart
    says the target in words."""
    run_report(session, as_of=END, now=END)
    session.commit()
    page = client.get("/targets/hangzhou-yrd-action-2019/industrial-investment-doubling?lang=zh").text
    assert "较2018年翻一番" in page and "≥2亿元" not in page
    fig = figure_of(page)
    assert fig["data"] == [] and any("较2018年翻一番" in a["text"] for a in fig["layout"]["annotations"])
    plan = client.get("/plans/hangzhou-yrd-action-2019?lang=zh").text
    assert "较2018年翻一番" in plan and "≥2家" not in plan and "≥2亿元" not in plan


def test_a_doubling_target_with_its_base_shows_the_level_it_means(
    client: TestClient, session: Session
) -> None:
    """With 杭州's 2018 工业投资 known (1000亿元), 翻一番 means ≥ 2000亿元: said beside the words and drawn
    as the target on the 亿元 axis."""
    admin = users.create_user(session, username="admin", role=Role.ADMIN, region_codes=[], now=ENTERED)
    inputs = [
        ObservationInput(row=n, indicator="industrial_investment", region="330100", period=y, value=v, unit="亿元",
                         status="final", confirm=True, source=f"杭州统计公报{y}")
        for n, (y, v) in enumerate(((2018, 1000.0), (2021, 1400.0)), 1)
    ]  # fmt: skip
    assert ingest(session, admin, inputs, path=WritePath.API, now=ENTERED).applied
    run_report(session, as_of=ENTERED, now=ENTERED)
    session.commit()
    page = client.get("/targets/hangzhou-yrd-action-2019/industrial-investment-doubling?lang=zh").text
    assert "较2018年翻一番（≥ 2000亿元）" in page
    target = next(t for t in figure_of(page)["data"] if t["name"] == "目标值")
    assert target["x"] == [2025] and target["y"] == [2000]
    en = client.get("/targets/hangzhou-yrd-action-2019/industrial-investment-doubling?lang=en").text
    assert "double the 2018 level (i.e. ≥ 2000 100m yuan)" in en
