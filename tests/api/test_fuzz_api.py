"""Hostile input never gets a 5xx: every refusal is a problem+json with a Chinese and an English message.

Hypothesis starts from a valid request and breaks a few parts of it (wrong types, nulls, nested
junk, huge or NUL-bearing strings, numbers past any column, impossible dates), so most examples travel
deep into validation and storage instead of stopping at the first schema check; fully random JSON,
bytes, CSV text and damaged workbooks are mixed in. It runs on SQLite and on PostgreSQL, the stricter
of the two (NUL characters, VARCHAR lengths, numeric precision). Examples are bounded so the whole
file stays well under a minute for both databases.
"""

from __future__ import annotations

import csv
import io
import json
import string
import zipfile
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.support.factories import create_user

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no example database in the working tree; failures print a reproducible example
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
PROBLEM = "application/problem+json"


def assert_handled(response: Any) -> None:
    """No 5xx; any 4xx is a problem+json a person can act on, in both languages."""
    assert response.status_code < 500, (response.status_code, response.text[:600])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
        body = response.json()
        assert body["detail_zh"] and body["detail_en"], body


# --- hostile values ----------------------------------------------------------------------------------


def repeated(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=low, max_value=high).flatmap(
        lambda n: st.sampled_from(["长", "a", "\x00", "👍", "\u202e", " "]).map(lambda c: c * n)
    )


short_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(["", " ", "\x00", "a\x00b", "gdp\x00", "null", "NaN", "Infinity", "-0", "'; drop table x;--",
                     "<script>", "%s%n", "\\", "\r\n", "\ufeff", "🇨🇳", "𠀀", "\u202e嘉善县", "ＧＤＰ"]),
)  # fmt: skip
# lengths straddling the columns: unit 40, source 400, filename 300, source_url 1000, note 2000
long_text = st.one_of(
    repeated(30, 6000),
    st.sampled_from([41, 201, 301, 401, 1001, 2001]).flatmap(
        lambda n: st.sampled_from(["长", "x"]).map(lambda c: c * n)
    ),
)
with_nul = short_text.map(lambda s: s[:3] + "\x00" + s[3:])
hostile_text = st.one_of(short_text, with_nul, long_text)
big_numbers = st.sampled_from(
    [1e18, 1e19, 1e20, 1e300, -1e300, 5e-324, 10**18, 10**19, 10**20, 10**30, -(10**25), 10**400, 0, -0.0]
)
numbers = st.one_of(
    st.integers(), st.floats(), big_numbers, big_numbers
)  # NaN and ±Infinity are sent as NaN / Infinity
number_text = st.one_of(
    st.sampled_from(["880.5", "3.7%", "82,553亿元", "８,８０５", "约880", "超过2600家", "3.7左右", "=A1*2", "1e18",
                     "1e19", "9" * 19, "9" * 20, "9" * 40, "-1e30", "1e-30", "0.000000001", "1E+999999999",
                     "1e-999999999", "0x10", "1_000", "١٢٣", "³", "--1", "1.2.3", "1e18万亿元", "1e18元",
                     "99999999999999999999.999999999", "1e18万人", "880\x00", "NaN", "-inf"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
)  # fmt: skip
years = st.one_of(
    st.integers(),
    st.floats(),
    st.sampled_from(
        ["2024", "２０２４", "2024年", "2024.0", "24", "二〇二四", "", "2024-01-01", "٢٠٢٤", "1e3"]
    ),
)
junk = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, short_text),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)

# --- observations: valid first, then broken in up to two places -------------------------------------

# indicator (code or name) -> units it can be written in
INDICATORS = {
    "gdp": ["亿元", "万元", "万亿元"], "地区生产总值": ["亿元"], "GDP": ["亿元"], "rd_intensity": ["%", "％"],
    "研究与试验发展经费投入强度": ["%"], "rd_expenditure": ["亿元", "万元"], "gdp_per_capita": ["元", "万元"],
    "resident_population": ["万人", "人"], "high_tech_enterprises": ["家", "万家", "个"], "network_5g_coverage": ["%"],
}  # fmt: skip
# all of them written by an editor of the demonstration zone (Z-DEMO)
REGIONS = ["330421", "嘉善县", "嘉善", "Z-DEMO", "青浦区", "310118", "吴江区"]
UNITS = sorted({u for units in INDICATORS.values() for u in units} | {"‰", "倍", "吨标准煤/万元", "公里"})


@st.composite
def valid_observation(draw: st.DrawFn) -> dict[str, Any]:
    indicator = draw(st.sampled_from(sorted(INDICATORS)))
    obs: dict[str, Any] = {
        "indicator": indicator,
        "region": draw(st.sampled_from(REGIONS)),
        "period": draw(st.integers(min_value=2015, max_value=2026)),
        "value": draw(
            st.one_of(st.integers(1, 10**5), st.floats(0.01, 1e5), st.sampled_from(["880.5", "约12"]))
        ),
    }
    optional = {
        "unit": st.sampled_from(INDICATORS[indicator]),
        "status": st.sampled_from(["final", "preliminary", "初步", "最终"]),
        "source": st.text(max_size=20),
        "source_url": st.just("https://tjj.example.gov.cn/2024.html"),
        "note": st.text(max_size=20),
        "revision_reason": st.just("核实"),
        "confirm": st.booleans(),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        obs[name] = draw(optional[name])
    return obs


def hostile(typed: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right type with a hostile value, sometimes the wrong type altogether."""
    return st.one_of(typed, typed, typed, junk)


HOSTILE = {
    "indicator": hostile(hostile_text),
    "region": hostile(hostile_text),
    "period": hostile(years),
    "value": hostile(st.one_of(number_text, numbers, big_numbers)),
    "unit": hostile(hostile_text | st.sampled_from(UNITS)),
    "status": hostile(hostile_text),
    "source": hostile(hostile_text),
    "source_url": hostile(hostile_text),
    "note": hostile(hostile_text),
    "revision_reason": hostile(hostile_text),
    "confirm": junk,
}


# the value is where the arithmetic is, so it is broken most often
MUTATED = ["value", "value", "value", *sorted(HOSTILE)]


@st.composite
def observations(draw: st.DrawFn) -> dict[str, Any]:
    obs = draw(valid_observation())
    for name in draw(st.lists(st.sampled_from(MUTATED), max_size=2, unique=True)):
        obs[name] = draw(HOSTILE[name])
    roll = draw(st.integers(0, 19))  # (hypothesis favours small numbers: 0 is the common case)
    if roll == 19:
        obs[draw(st.text(max_size=10))] = draw(junk)  # an unknown field
    elif roll == 18:
        obs.pop(draw(st.sampled_from(["indicator", "region", "period", "value"])))
    return obs


batches = st.fixed_dictionaries(
    # one schema-breaking item refuses the whole batch, so most items are broken only for the domain
    {"observations": st.lists(valid_observation() | observations(), min_size=1, max_size=5)},
    optional={"dry_run": st.booleans(), "all_or_nothing": st.booleans()},
)
bodies = st.one_of(
    observations(),
    observations(),
    observations(),
    batches,
    batches,
    st.fixed_dictionaries({"observations": junk}, optional={"dry_run": junk, "all_or_nothing": junk}),
    junk,
)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"{", b"[]", b"null", b'{"a":1}{', b"\xff\xfe{}", b'{"indicator": "\\ud800"}',
                     b'{"value": 1e999999}', b"[" * 5000, b'{"observations": [' + b"{}," * 2000 + b"{}]}"]),
)  # fmt: skip

# --- files: the same broken rows as CSV or XLSX, random text and bytes, damaged workbooks ------------

COLUMNS = {"indicator": "指标", "region": "地区", "period": "年份", "value": "数值", "unit": "单位", "status": "状态",
           "source": "来源", "source_url": "来源链接", "note": "备注", "revision_reason": "修订原因", "confirm": "确认"}  # fmt: skip


def cell_text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, allow_nan=True)


@st.composite
def tables(draw: st.DrawFn) -> list[list[Any]]:
    """A header and rows: usually the accepted columns with broken rows, sometimes a broken header."""
    header: list[Any] = list(COLUMNS.values())
    if draw(st.integers(0, 4)) == 0:
        header = draw(
            st.lists(st.sampled_from([*header, "indicator", "year", "多余", ""]) | short_text, max_size=12)
        )
    rows = [
        [cell_text(obs.get(key)) for key in COLUMNS] for obs in draw(st.lists(observations(), max_size=5))
    ]
    rows += draw(st.lists(st.lists(hostile_text, max_size=len(COLUMNS) + 2), max_size=2))  # ragged rows
    return [header, *rows]


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bytes]:
    out = io.StringIO()
    csv.writer(out).writerows(draw(tables()))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]))
    name = draw(st.sampled_from(["t.csv", "t.CSV", "t.txt", "模板.csv", "t.xlsx", "t", "a" * 400 + ".csv"]))
    return name, out.getvalue().encode(encoding, errors="replace")


def _printable(value: Any) -> Any:
    # openpyxl refuses control characters in cells; the rest of the hostility stays
    return "".join(c for c in value if c >= " " or c in "\t\n\r") if isinstance(value, str) else value


@st.composite
def xlsx_files(draw: st.DrawFn) -> tuple[str, bytes]:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in draw(tables()):
        ws.append([_printable(c) for c in row])
    for _ in range(draw(st.integers(0, 3))):  # cells of other types: numbers, dates, booleans
        value = draw(
            st.one_of(st.integers(), st.floats(allow_nan=False), st.datetimes(), st.dates(), st.booleans())
        )
        ws.cell(row=draw(st.integers(1, 4)), column=draw(st.integers(1, 12)), value=value)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if draw(st.integers(0, 2)) == 0:
        # damage the sheet XML inside a valid archive, so it only shows while the rows are read
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                content = src.read(info)
                if info.filename.startswith("xl/worksheets/"):
                    cut = draw(st.integers(min_value=0, max_value=len(content)))
                    content = (
                        content[:cut]
                        + draw(st.binary(max_size=20))
                        + content[cut + draw(st.integers(0, 50)) :]
                    )
                dst.writestr(info, content)
        data = out.getvalue()
    return draw(st.sampled_from(["t.xlsx", "t.XLSX", "t.csv", "t.zip"])), data


random_files = st.tuples(
    st.sampled_from(["r.csv", "r.xlsx", "r.txt", "r.pdf", "", ".csv", "名\x00字.csv"]),
    st.one_of(st.binary(max_size=400), st.binary(max_size=20).map(lambda b: b"PK\x03\x04" + b)),
)
files = st.one_of(csv_files(), xlsx_files(), random_files)

# --- query parameters: a valid query with one to three parameters replaced ---------------------------

hostile_params = st.one_of(
    short_text,
    short_text.map(lambda s: s[:3] + "\x00" + s[3:]),
    repeated(100, 1500),  # httpx itself refuses URLs over 64 KiB
    st.integers().map(str),
    st.sampled_from(["0", "-1", "1001", "99999999999999999999999", "1e3", "2024-02-30", "0001-01-01T00:00:00+14:00",
                     "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59.999999", "0001-01-01", "now", "\x00"]),
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()),
)  # fmt: skip
READS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "/api/v1/observations": {
        "indicator": st.sampled_from(["gdp", "rd_intensity"]), "region": st.sampled_from(REGIONS),
        "period": st.just("2024"), "as_of": st.just("2026-01-01T00:00:00+08:00"),
        "include_baselines": st.sampled_from(["true", "false"]), "limit": st.just("10"), "offset": st.just("0"),
    },
    "/api/v1/observations/history": {
        "indicator": st.just("gdp"), "region": st.sampled_from(REGIONS), "period": st.just("2024"),
    },
    "/api/v1/audit": {
        "user": st.just("editor"), "entity_type": st.just("observation"), "entity_id": st.just("gdp/330421/2024"),
        "action": st.just("revise"), "path": st.just("api"), "since": st.just("2020-01-01T00:00:00Z"),
        "until": st.just("2100-01-01"), "limit": st.just("5"), "offset": st.just("0"),
    },
    "/api/v1/templates": {
        "region": st.sampled_from(REGIONS), "plan": st.just("demo-zone-industry-2023"), "year": st.just("2024"),
        "format": st.sampled_from(["xlsx", "csv"]),
    },
    "/api/v1/targets": {
        "plan": st.just("yrd-outline-2019"), "region": st.sampled_from(REGIONS), "indicator": st.just("gdp"),
        "year": st.just("2025"), "limit": st.just("5"), "offset": st.just("0"),
    },
}  # fmt: skip


@st.composite
def queries(draw: st.DrawFn, path: str) -> dict[str, str]:
    valid = READS[path]
    params = {name: draw(valid[name]) for name in draw(st.lists(st.sampled_from(sorted(valid)), unique=True))}
    for name in draw(st.lists(st.sampled_from(sorted(valid)), min_size=1, max_size=3, unique=True)):
        params[name] = draw(hostile_params)
    if draw(st.integers(0, 9)) == 0:
        params[draw(st.text(alphabet=string.ascii_letters, min_size=1, max_size=8))] = draw(hostile_params)
    return params


# --- the tests ---------------------------------------------------------------------------------------


def gdp(**extra: Any) -> dict[str, Any]:
    return {"indicator": "gdp", "region": "330421", "period": 2024, "value": 880, "unit": "亿元", **extra}


def test_posting_observations_never_fails_with_5xx(client: TestClient, session: Session) -> None:
    _, headers = create_user(session, regions=("Z-DEMO",))
    json_headers = {**headers, "content-type": "application/json"}

    @FUZZ
    @given(body=bodies, key=st.none() | st.text(alphabet=string.printable.strip(), max_size=250))
    def post(body: Any, key: str | None) -> None:
        extra = {"Idempotency-Key": key} if key else {}
        # our own encoder: httpx refuses NaN/Infinity, which a hostile client may well send
        content = json.dumps(body, allow_nan=True).encode()
        assert_handled(
            client.post("/api/v1/observations", content=content, headers={**json_headers, **extra})
        )

    post()


def test_posting_raw_bytes_never_fails_with_5xx(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)

    @settings(FUZZ, max_examples=60)
    @given(
        content=raw_bodies, media=st.sampled_from(["application/json", "text/plain", "application/xml", ""])
    )
    def post(content: bytes, media: str) -> None:
        response = client.post(
            "/api/v1/observations", content=content, headers={**headers, "content-type": media}
        )
        assert_handled(response)

    post()


def test_uploading_files_never_fails_with_5xx(client: TestClient, session: Session) -> None:
    _, headers = create_user(session, regions=("Z-DEMO",))

    @FUZZ
    @given(file=files, dry_run=st.sampled_from(["true", "false", "1", "maybe", ""]), whole=st.booleans())
    def upload(file: tuple[str, bytes], dry_run: str, whole: bool) -> None:
        data = {"dry_run": dry_run, "all_or_nothing": str(whole).lower()}
        assert_handled(client.post("/api/v1/imports", files={"file": file}, data=data, headers=headers))

    upload()


@pytest.mark.parametrize("path", sorted(READS))
def test_reading_with_random_query_parameters_never_fails_with_5xx(
    client: TestClient, session: Session, path: str
) -> None:
    _, editor = create_user(session)
    _, admin = create_user(session, username="admin", role="admin", regions=())
    client.post("/api/v1/observations", json=gdp(), headers=editor)  # something to find

    @FUZZ
    @given(params=queries(path), as_admin=st.booleans())
    def get(params: dict[str, str], as_admin: bool) -> None:
        assert_handled(client.get(path, params=params, headers=admin if as_admin else editor))

    get()


# --- what the fuzzer found, kept as plain regression cases ------------------------------------------


def _damaged_sheet() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(COLUMNS.values()))
    ws.append(["gdp", "330421", 2024, 880])
    buf = io.BytesIO()
    wb.save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            dst.writestr(
                info, content[:200] + b"\xff<" if info.filename.startswith("xl/worksheets/") else content
            )
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "column", "words"),
    [
        (gdp(value=1e300), "value", "out of range"),
        (gdp(value=10**30), "value", "out of range"),
        (gdp(value="1e18万亿元", unit=None), "value", "converted"),
        (gdp(source="a\x00b"), "source", "NUL"),
        (gdp(note="\x00"), "note", "NUL"),
        (gdp(revision_reason="x\x00"), "revision_reason", "NUL"),
    ],
)
def test_found_by_the_fuzzer_rows(
    client: TestClient, session: Session, body: dict, column: str, words: str
) -> None:
    _, headers = create_user(session)
    response = client.post("/api/v1/observations", json=body, headers=headers)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["rows"][0]["problems"]
    assert problem["column"] == column and words in problem["en"] and problem["zh"]


def test_found_by_the_fuzzer_requests(client: TestClient, session: Session) -> None:
    _, headers = create_user(session)
    long_url = "指标,地区,年份,数值,来源链接\ngdp,330421,2024,880," + "u" * 1001 + "\n"
    refused = [
        client.post("/api/v1/imports", files={"file": ("t.xlsx", _damaged_sheet())}, headers=headers),
        client.post("/api/v1/imports", files={"file": ("t.csv", long_url.encode())}, headers=headers),
        client.post("/api/v1/observations", json=gdp(source="长" * 401), headers=headers),
        client.get("/api/v1/observations", params={"region": "a\x00"}),
        client.get(
            "/api/v1/observations/history", params={"indicator": "\x00", "region": "x", "period": 2024}
        ),
        client.get("/api/v1/observations", params={"offset": 10**30}),
        client.get("/api/v1/observations", params={"as_of": "0001-01-01T00:00:00+14:00"}),
        client.get("/api/v1/observations", params={"as_of": "9999-12-31T23:59:59-14:00"}),
    ]
    for response in refused:
        assert response.status_code == 422, response.text
        assert_handled(response)
    long_name = client.post(
        "/api/v1/imports", files={"file": ("长" * 400 + ".csv", "指标,地区,年份,数值\ngdp,330421,2023,870\n".encode())},
        headers=headers,
    )  # fmt: skip
    assert long_name.status_code == 201, long_name.text


def test_targets_refuses_a_nul_cleanly(client: TestClient, db_kind: str) -> None:
    response = client.get("/api/v1/targets", params={"region": "\x00"})
    assert response.status_code == 422
    assert_handled(response)
