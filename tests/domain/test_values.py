"""Numbers at the edge of what Decimal can hold are refused with a message, never an exception that
would reach a user as a 500 (found by the upload fuzz test: a dry run with 1E+999999999)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from service.db.models import Role, User, WritePath
from service.domain.observations import ObservationInput, ingest
from service.domain.values import ValueProblem, parse_value

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
EXTREMES = ["1E+999999999", "-1E+999999999", "9.9E+999999", "1E-999999999", "-1e-1000000", "1E+19", "1e18"]


@pytest.mark.parametrize("text", ["1E+999999999", "-1E+999999999", "9.9E+999999", "1E+19"])
def test_a_figure_beyond_any_scale_is_out_of_range(text: str) -> None:
    with pytest.raises(ValueProblem) as refused:
        parse_value(text)
    assert "out of range" in refused.value.en and "超出范围" in refused.value.zh


def test_every_extreme_figure_gets_a_row_problem_or_is_stored_exactly(session: Session) -> None:
    user = User(username="edge", role=Role.ADMIN, created_at=NOW)
    session.add(user)
    session.flush()
    rows = [
        ObservationInput(row=n, indicator="gdp", region="310000", period=1960 + n, value=text, unit=unit)
        for n, (text, unit) in enumerate(((t, u) for t in EXTREMES for u in ("亿元", "万元", "元")), start=2)
    ]
    result = ingest(session, user, rows, path=WritePath.API, now=NOW, dry_run=True, all_or_nothing=False)
    by_row = {r.row: r for r in result.rows}
    assert set(by_row) == {r.row for r in rows}
    for item in rows:
        got = by_row[item.row]
        if got.outcome == "rejected":
            assert got.problems and all(p.zh and p.en for p in got.problems), (item.value, item.unit)
        else:  # only figures within range stand, as written
            assert abs(float(parse_value(item.value).value)) <= 1e18, (item.value, got.outcome)
