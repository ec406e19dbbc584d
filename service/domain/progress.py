"""Progress and gap of a plan target (METHODOLOGY.md), as pure functions: no database, no clock.

The caller passes the target (``TargetSpec``, values already in the indicator's canonical unit), one
vintage of the series (``Point`` per year) and the "as of" year; ``assess`` returns every metric of
METHODOLOGY §2 (absent metrics are ``None``, never invented) and the status of §3. Rates (CAGR,
``r_remain``, the strict rate test) are fractions: ``0.0145`` is 1.45 %/yr.

Decisions where METHODOLOGY leaves room (``METHOD_VERSION`` changes when any of them does):

- Window. ``t`` is the latest year with a value in ``[b, min(as_of, T)]``: values after the target
  year never count towards it (a 2020 target is judged on 2020, not on 2023), and the note says so.
  After the term (``as_of > T``) only end-of-term verdicts are given (§3): when ``T`` has no value the
  first later one (up to ``as_of``) ends the window and the verdict rests on it (``verdict_year``);
  with no value for ``T`` or later the status is INSUFFICIENT_DATA with the projection to ``T`` as an
  expectation (预计), never a pace status, unless the target was already met before ``T``
  (ACHIEVED_EARLY, resting on that year). ``as_of`` None: no end of term is assumed.
- Preliminary. A status resting on a preliminary figure (``Point.preliminary`` of the window's last
  point) is marked (``latest_preliminary``; ``status_label`` gives 已实现（初步数据）).
- Base <= 0. Rates, multiples and logarithms of values <= 0 are absent; the status then comes from the
  linear schedule ratio ``P/τ``. A ``relative_change`` from a base below 0 moves by ``|x_b|·v/100``
  (the sign of v says which way: 下降 lowers a deficit of −100 to −110); from a base of 0 it has no
  level.
- Base. ``b`` is the target's reference year, else the plan's base year. If ``b`` has no value the
  nearest later year is used and recorded, except for ``relative_change``, ``multiple`` and
  ``cumulative`` (stock), whose target level is defined by the reference value itself: a later
  value would move the target, so they are INSUFFICIENT_DATA instead. A level target with neither
  year uses the earliest observation (recorded); a growth target without one has no period and is
  INSUFFICIENT_DATA.
- Completion share. Geometric for ``avg_annual_growth``, ``annual_growth``, ``multiple`` and for
  growth-rate indicators; linear for the rest. ``relative_change`` is linear: with ``b`` the
  reference year, ``P`` is then exactly the change achieved over the change promised. The straight
  reference path (``ref_value``) and the least-squares trend use the same geometry (the trend is
  log-linear for geometric targets).
- ``~`` and ``=`` (``=`` is ``~`` with no tolerance): the band is the declared value ±tolerance
  (relative, default 0.02) mapped to levels by the form (for a growth target the band is on the
  rate). Inside the band is achieved; beyond the band on the indicator's better side (``direction``)
  is also achieved and noted, because 左右 qualifies a figure to reach ("达到3000家左右") and 3100
  firms is not a failure. The binding edge is therefore the band's edge on the worse side.
- ``range``: for a higher-is-better indicator achieved at ``>= low`` with ``high`` as the stretch
  line (SCHEMA.md); for a lower-is-better one mirrored (``<= high``, stretch ``low``).
- Growth-rate indicators (``indicator_kind`` growth_rate) are never fed to a CAGR: the annual rates
  of ``b+1..t`` are chained into an index (``b`` = 100, consecutive years only) and the target rate
  becomes ``100(1+g)^(T-b)``; the index's CAGR is the geometric mean of the rates, which is what is
  compared with ``g``. ``level``/``share`` targets on such an indicator ("增速6%左右") are read as the
  period's mean rate; other forms are not defined for rates.
- ``annual_growth`` ("每年增长g"): status on the compounded level like an average rate, but it
  cannot be achieved early (every year counts); ``strict_pass`` is "every year's growth meets g".
  ``strict_pass`` for ``avg_annual_growth`` (and rate-indicator targets) is ``CAGR_a`` against ``g``;
  only for ``>=``/``<=``/``range`` targets.
- ``cumulative``: the series is a stock and ``x_T = x_b + value``, unless ``series_is_flow`` says
  it holds yearly additions, which are summed from ``b+1`` (``x_b`` = 0).
- Period. A target stated per year or over the plan period carries ``period_start`` (2026 of
  2026–2030; ``target_year`` is the last year). Where it has no reference year its base is the year
  before the period (``period_start - 1``): ``avg_annual_growth`` over 2026–2030 compounds from 2025,
  a ``relative_change`` (〔20〕 = −20 % over 2026–2030) is against 2025, and a ``cumulative`` flow
  (累计新增, 〔150〕万人) sums the yearly additions of 2026..T.
- ``each_year`` ("每年新增城镇就业30万人", "十五五"时期每年…): the value is a level every year of
  ``period_start..T`` must meet; the years are judged one by one, never chained or averaged. Before
  the end: the latest year with data decides (met: ON_TRACK, since a yearly target cannot be achieved
  early; short: NEEDS_ACCELERATION / OFF_TRACK / REGRESSING on ``R = x_t / x_T``, mirrored for
  lower-is-better, one year short never counts as on track; met in the year before the period and
  short now: REGRESSING); ``strict_pass`` says whether every year so far met it, and a year that fell
  short is noted (the final verdict can no longer be ACHIEVED). End of term (``t >= T`` or as_of after
  ``T``): ACHIEVED only when every year of the period has a value that meets it; MISSED as soon as
  one year fell short (the shortfall is the worst year's); otherwise INSUFFICIENT_DATA, naming the
  years without data. ``completion`` is the share of the period's years met so far, ``tau`` the
  share of its years with data.
- End of term with only the target year's value. A ``level``/``share``/``ratio``/``full_coverage``
  target whose window holds nothing but ``T`` (no value for its base year or any year before ``T``),
  judged after ``T``, gets its verdict on ``x_T`` alone (METHODOLOGY §3: the verdict rests on the value
  for ``T``): ACHIEVED or MISSED, without pace metrics. Before the end of the term, or for a target
  whose level depends on its base, one point remains INSUFFICIENT_DATA (rule 1).
- Qualitative targets (comparator ``qualitative``: 完成省定目标, 基本稳定, 与经济增长同步) have no
  number: they are never assessed here (``normalise`` refuses them); the report run lists them with
  a status of their own (``statuses.QUALITATIVE``).
- Status order: 1 data, 2 achieved, 3 missed, then "met at the base but not now" is REGRESSING
  (before the pace rules, whose ratio is meaningless once the base was already past the target),
  then 4–7 on the pace ratio ``R``. Where ``R`` needs a logarithm of a value <= 0 it is absent and
  the status uses the linear schedule ratio ``P/τ`` instead (``status_basis`` says which).
- ``projection`` and ``r_remain`` are absent once ``t >= T`` (nothing left to project).
- ``p_meet``: random walk with drift in logs on the ``>= 5`` points of ``[b, t]``: drift = total log
  change / years, σ = residual standard deviation of the yearly log changes, floored at
  ``SIGMA_FLOOR`` (1 %/yr) so a short smooth series cannot claim certainty. The predictive variance
  at ``T`` adds the drift's own uncertainty. ``p_meet_interval`` is the range of the probability
  when the drift is moved ±1.645 standard errors (a 90 % interval).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypeVar

from service.db.models import Aggregation, Comparator, DeclaredForm, Direction, IndicatorKind
from service.domain.statuses import Status, worst
from service.domain.texts import TEXTS

METHOD_VERSION = "1.2"  # 1.1: period_start, each_year, qualitative targets; 1.2: issue 15 edges
DEFAULT_TOLERANCE = 0.02
SIGMA_FLOOR = 0.01
TREND_MIN_POINTS = 3
P_MEET_MIN_POINTS = 5
P_MEET_INTERVAL_Z = 1.6448536269514722  # two-sided 90 %
SCORE_MIN_ASSESSABLE_SHARE = 0.6
_REL_EPS = 1e-9  # float noise allowed when comparing with a target (3.4 * 1.1 ...)


class Thresholds(NamedTuple):
    """Cuts on the pace ratio R (§3 rules 4–7)."""

    on_track: float  # R >= on_track: ON_TRACK
    needs_acceleration: float  # R >= this: NEEDS_ACCELERATION
    regressing_below: float  # R >= this: OFF_TRACK; below: REGRESSING


PROFILES: dict[str, Thresholds] = {
    "eurostat": Thresholds(0.95, 0.60, 0.0),
    # UNSD progress-chart cuts 0.95 / 0.5 / 0.1 / -0.1 on four statuses: substantial progress
    # (>= 0.95) ON_TRACK; fair progress (0.5 to 0.95) NEEDS_ACCELERATION; limited progress (0.1 to
    # 0.5) and stagnation (-0.1 to 0.1) both OFF_TRACK; deterioration (< -0.1) REGRESSING.
    "unsd": Thresholds(0.95, 0.50, -0.10),
}

Mode = Literal["level", "rate_index", "flow_sum", "each_year"]
StatusBasis = Literal["pace_ratio", "schedule_ratio"]

# Target forms whose value is a level in the indicator's own unit (the others are rates, multiples or
# counts of change, normalised below). ``each_year`` is a level each year must reach; its targets are
# normalised on their own path (``_normalise_each_year``) and never reach the level arithmetic.
LEVEL_FORMS = frozenset(
    {
        DeclaredForm.LEVEL,
        DeclaredForm.SHARE,
        DeclaredForm.RATIO,
        DeclaredForm.FULL_COVERAGE,
        DeclaredForm.EACH_YEAR,
    }
)
_GROWTH_FORMS = {DeclaredForm.AVG_ANNUAL_GROWTH, DeclaredForm.ANNUAL_GROWTH}
# Forms whose target level is defined by the reference value itself (no later-year substitute).
_FIXED_BASE_FORMS = {DeclaredForm.RELATIVE_CHANGE, DeclaredForm.MULTIPLE, DeclaredForm.CUMULATIVE}
_RATE_INDICATOR_FORMS = {
    DeclaredForm.LEVEL,
    DeclaredForm.SHARE,
    DeclaredForm.AVG_ANNUAL_GROWTH,
    DeclaredForm.ANNUAL_GROWTH,
}


@dataclass(slots=True)  # (not frozen: a frozen init costs 6x; nothing mutates these)
class TargetSpec:
    """A target as declared, with its figures in the indicator's canonical unit.

    ``value``/``low``/``high``/``stretch_value`` mean what ``declared_form`` says (indicators/SCHEMA.md):
    a level, a rate in % (25 for 25 %/yr), a signed % change (-10 for 下降10%), a multiple (2 for
    翻一番) or a count of additions. ``tolerance`` is relative (0.02 = ±2 %), for ``~`` only.
    """

    comparator: Comparator
    value: float | None
    target_year: int
    declared_form: DeclaredForm
    direction: Direction = Direction.UP
    indicator_kind: IndicatorKind = IndicatorKind.LEVEL
    low: float | None = None
    high: float | None = None
    stretch_value: float | None = None
    tolerance: float | None = None
    reference_year: int | None = None
    plan_base_year: int | None = None
    series_is_flow: bool = False  # cumulative targets: the series holds yearly additions
    period_start: int | None = None  # first year of a yearly / cumulative target's period

    @property
    def base_year(self) -> int | None:
        """``b`` before data: the reference year, else the year before the period, else the plan's."""
        if self.reference_year is not None:
            return self.reference_year
        if self.period_start is not None:
            return self.period_start - 1
        return self.plan_base_year


class Point(NamedTuple):
    """One year of one vintage. ``value`` None = retracted; ``series_break`` = not comparable with
    the years before it; ``preliminary`` = a preliminary figure (初步). (A named tuple: a report run
    makes millions of them.)"""

    year: int
    value: float | None
    series_break: bool = False
    observation_id: int | None = None
    preliminary: bool = False
    span: int = 1  # years the value stands for: > 1 for a growth rate's average over a run of years (年均)
    # a year with its own figure may also end a published average over several years: (span, value,
    # observation id, preliminary), used where the chain of annual rates cannot reach the year
    mean: tuple[int, float, int | None, bool] | None = None


@dataclass(slots=True)
class Normalised:
    """A target reduced to a level on the scale of ``window`` (METHODOLOGY §1).

    ``comparator`` is the binding one (``range`` resolved to ``>=``/``<=``); ``sense`` is +1 when
    higher is better for this target; ``edge`` is the level ``x_t`` must reach (``>=``) or stay
    within (``<=``), for ``~``/``=`` the band's edge on the worse side. ``window`` holds the points of
    ``[b, t]`` (for growth-rate indicators the chained index, for flows their running sum).
    ``problem`` says why the target cannot be assessed, if it cannot.
    """

    mode: Mode
    comparator: Comparator | None = None
    sense: int = 1
    target_level: float | None = None
    edge: float | None = None
    band: tuple[float, float] | None = None
    stretch_level: float | None = None
    base_year: int | None = None
    base_value: float | None = None
    compounding: bool = False
    early_achievement: bool = True
    rate: float | None = None
    window: tuple[Point, ...] = ()
    notes: tuple[str, ...] = ()
    problem: str | None = None
    verdict_only: bool = False  # after the target year with only its value: ACHIEVED or MISSED on it

    def satisfied_by(self, x: float) -> bool:
        if self.edge is None:
            return False
        return self.sense * (x - self.edge) >= -_REL_EPS * max(1.0, abs(self.edge))


@dataclass(slots=True)
class TargetResult:
    """The result for one target (METHODOLOGY §2–3). Rates are fractions; levels in the window's unit."""

    status: Status
    profile: str
    target_year: int
    method_version: str = METHOD_VERSION
    comparator: Comparator | None = None
    target_level: float | None = None
    band: tuple[float, float] | None = None
    stretch_level: float | None = None
    stretch_met: bool | None = None
    base_year: int | None = None
    base_value: float | None = None
    latest_year: int | None = None
    latest_value: float | None = None
    tau: float | None = None
    completion: float | None = None
    schedule_ratio: float | None = None
    schedule_gap: float | None = None
    ref_value: float | None = None
    cagr_actual: float | None = None
    cagr_required: float | None = None
    pace_ratio: float | None = None
    r_remain: float | None = None
    gap: float | None = None
    gap_share: float | None = None
    shortfall: float | None = None
    projection: float | None = None
    projection_trend: float | None = None
    p_meet: float | None = None
    p_meet_interval: tuple[float, float] | None = None
    strict_pass: bool | None = None
    status_basis: StatusBasis | None = None
    latest_preliminary: bool = False  # the latest value (and so the status) rests on a preliminary figure
    verdict_year: int | None = None  # end-of-term verdicts: the year the verdict rests on
    # the base value already met the target: completion and the base-to-target path mean nothing then
    base_met: bool | None = None
    notes: tuple[str, ...] = ()
    observation_ids: tuple[int, ...] = ()

    @property
    def score(self) -> int | None:
        return self.status.score

    @property
    def label_zh(self) -> str:
        return status_label(self.status, self.latest_preliminary, "zh")

    @property
    def label_en(self) -> str:
        return status_label(self.status, self.latest_preliminary, "en")


PRELIMINARY_SUFFIX = dict(zip(("zh", "en"), TEXTS["preliminary_mark"], strict=True))


def status_label(status: Status | str, preliminary: bool | None, lang: str = "zh") -> str:
    """The status's words, marked when it rests on a preliminary figure (METHODOLOGY §3:
    已实现（初步数据）). Every surface (page, e-mail, XLSX, documents) names a status with this."""
    s = Status(status)
    label = s.label_zh if lang == "zh" else s.label_en
    if preliminary and s is not Status.INSUFFICIENT_DATA:
        label += PRELIMINARY_SUFFIX["zh" if lang == "zh" else "en"]
    return label


# --- normalisation (§1) ------------------------------------------------------------------------


def _clean(series: Iterable[Point]) -> list[Point]:
    points = list(series)
    years = [p.year for p in points]
    if years == sorted(set(years)):  # the usual case: one value per year, in order
        return [p for p in points if p.value is not None]
    seen: set[int] = set()
    out = []
    for p in points:
        if p.year in seen:
            raise ValueError(f"two values for {p.year}: pass one vintage, one value per year")
        seen.add(p.year)
        if p.value is not None:
            out.append(p)
    return sorted(out, key=lambda p: p.year)


def _binding(spec: TargetSpec) -> tuple[Comparator, float | None, float | None, int]:
    """(binding comparator, binding declared value, stretch declared value, sense)."""
    if spec.declared_form is DeclaredForm.FULL_COVERAGE:
        return Comparator.GE, 100.0, None, 1
    d = 1 if spec.direction is Direction.UP else -1
    match spec.comparator:
        case Comparator.RANGE:
            if d == 1:
                return Comparator.GE, spec.low, spec.high, 1
            return Comparator.LE, spec.high, spec.low, -1
        case Comparator.GE:
            return Comparator.GE, spec.value, spec.stretch_value, 1
        case Comparator.LE:
            return Comparator.LE, spec.value, spec.stretch_value, -1
        case _:
            return spec.comparator, spec.value, spec.stretch_value, d


def _compound(x: float, g: float, years: int) -> float | None:
    return x * (1 + g) ** years if 1 + g > 0 else None


def _level(spec: TargetSpec, mode: Mode, v: float, b: int, xb: float) -> float | None:
    """The level a declared figure ``v`` means, given the base (b, x_b)."""
    n = spec.target_year - b
    if mode == "rate_index":
        return _compound(100.0, v / 100, n)
    if mode == "flow_sum":
        return v
    form = spec.declared_form
    if form is DeclaredForm.FULL_COVERAGE:
        return 100.0
    if form in LEVEL_FORMS:
        return v
    if form is DeclaredForm.CUMULATIVE:
        return xb + v
    if form is DeclaredForm.RELATIVE_CHANGE and xb != 0:
        # the sign of v says which way the value moves (下降 = lower), also from a base below 0
        return xb * (1 + v / 100) if xb > 0 else xb + abs(xb) * v / 100
    if xb <= 0:  # a multiple or growth of a value <= 0 has no meaning
        return None
    if form is DeclaredForm.MULTIPLE:
        return xb * v
    return _compound(xb, v / 100, n)


def _chain(mode: Mode, b: int, usable: list[Point], notes: list[str]) -> tuple[Point, ...]:
    """Annual rates chained into an index (b = 100), or yearly additions summed (b = 0)."""
    level = 100.0 if mode == "rate_index" else 0.0
    out = [Point(b, level)]
    year = b
    for p in usable:
        if p.year <= b:
            continue
        assert p.value is not None
        mean = (p.span, p.value, p.observation_id, p.preliminary) if p.span > 1 else p.mean
        if mode == "rate_index" and mean is not None and (p.span > 1 or p.year != year + 1):
            # an average rate over a run of years (年均增速) where the annual rates do not reach p.year
            span, rate, oid, prelim = mean
            start = p.year - span + 1
            if rate <= -100 or start not in (b + 1, year + 1):
                notes.append(
                    f"the average rate of {start}–{p.year} does not join the chain at {year}; "
                    f"the chain stops at {year}"
                )
                break
            # from the base it gives the index outright; from the chain's end it extends it
            level = (100.0 if start == b + 1 else level) * (1 + rate / 100) ** span
            notes.append(f"the average annual rate of {start}–{p.year} ({rate:g} %) stands for those years")
            out.append(Point(p.year, level, p.series_break, oid, prelim))
            year = p.year
            continue
        if p.year != year + 1 or p.span > 1:
            notes.append(f"no value for {year + 1}; the chain stops at {year}")
            break
        if mode == "rate_index":
            if p.value <= -100:
                notes.append(f"rate {p.value} % in {p.year} cannot be chained; the chain stops at {year}")
                break
            level *= 1 + p.value / 100
        else:
            level += p.value
        out.append(Point(p.year, level, p.series_break, p.observation_id, p.preliminary))
        year = p.year
    return tuple(out)


def _usable_points(
    points: list[Point], years: list[int], T: int, as_of_year: int | None, notes: list[str]
) -> tuple[list[Point], bool]:
    """The points a target is judged on (up to ``min(as_of_year, T)``; after the term, T's value or
    the first later one) and whether the term is over; ``notes`` say what was left out."""
    horizon = T if as_of_year is None else min(T, as_of_year)
    cut = bisect.bisect_right(years, T)
    usable = points[: bisect.bisect_right(years, horizon)]
    ended = as_of_year is not None and as_of_year > T
    if (
        as_of_year is not None
        and ended
        and cut < len(points)
        and years[cut] <= as_of_year
        and (not usable or usable[-1].year != T)
    ):
        # METHODOLOGY §3: after the target year a verdict rests on T's value, or, when T has none, on
        # the first later one (which the window then ends with)
        usable = points[: cut + 1]
        notes.append(f"no value for the target year {T}: the verdict rests on {years[cut]}")
    elif cut < len(points) and (as_of_year is None or years[cut] <= as_of_year):
        notes.append(f"values after the target year {T} are not used")
    return usable, ended


def _level_base(
    form: DeclaredForm,
    b0: int | None,
    T: int,
    usable: list[Point],
    years: list[int],
    ended: bool,
    notes: list[str],
) -> tuple[int, tuple[Point, ...], bool] | str:
    """For a level target: the base year, the window from it, and whether only a verdict can be given
    (the term is over and only T's or a later value is known); or why there is no base (a reason)."""
    if b0 is None:
        if form in _FIXED_BASE_FORMS or form in _GROWTH_FORMS:
            return "no reference year or plan base year: the target level is undefined"
        if not usable:
            return "no data"
        b = usable[0].year
        notes.append(f"no base year; the earliest observation ({b}) is used as the base")
    else:
        start = bisect.bisect_left(years, b0, hi=len(usable))
        if start == len(usable):
            return f"no value in or after the base year {b0}"
        b = usable[start].year
        if b != b0:
            if form in _FIXED_BASE_FORMS:
                return f"no value for the reference year {b0}; the target level cannot be derived"
            notes.append(f"base year {b0} has no value; the nearest later year {b} is used")
    if b >= T and not (form in LEVEL_FORMS and ended):
        return f"no value before the target year {T}"
    window = tuple(usable[bisect.bisect_left(years, b, hi=len(usable)) :])
    verdict_only = False
    if b >= T:  # the term is over and only T's (or a later) value is known: a level needs no base
        verdict_only = True
        notes.append(
            f"end-of-term verdict on the {b} value alone: no value for {b0 or 'a base year'} or later before {T}"
        )
    return b, window, verdict_only


def _band(
    spec: TargetSpec, mode: Mode, comparator: Comparator, v: float, b: int, xb: float, x_T: float, sense: int
) -> tuple[tuple[float, float] | None, float] | None:
    """The tolerance band of a 左右 / = target and the edge the target is met at (the band's near side;
    the level itself for the other comparators); None when the band has no level."""
    if comparator not in (Comparator.ABOUT, Comparator.EQ):
        return None, x_T
    tol = 0.0 if comparator is Comparator.EQ else spec.tolerance or DEFAULT_TOLERANCE
    lo, hi = _level(spec, mode, v - tol * abs(v), b, xb), _level(spec, mode, v + tol * abs(v), b, xb)
    if lo is None or hi is None:
        return None
    band = (min(lo, hi), max(lo, hi))
    return band, band[0] if sense > 0 else band[1]


def normalise(spec: TargetSpec, series: Iterable[Point], as_of_year: int | None = None) -> Normalised:
    """Reduce a target to a level ``x_T`` with its binding comparator and base ``(b, x_b)``.

    Only points up to ``min(as_of_year, target_year)`` are used. Raises ValueError when the series
    has two values for one year.
    """
    points = _clean(series)
    T = spec.target_year
    notes: list[str] = []
    years = [p.year for p in points]  # ascending (``_clean`` sorts)
    usable, ended = _usable_points(points, years, T, as_of_year, notes)
    comparator, v, stretch_v, sense = _binding(spec)
    form = spec.declared_form

    if spec.comparator is Comparator.QUALITATIVE:
        raise ValueError("a qualitative target has no number and is not assessed numerically")
    if form is DeclaredForm.EACH_YEAR:
        yearly = [p for p in points if p.span == 1]  # a several-year average is no year's value
        return _normalise_each_year(
            spec, yearly, [p for p in usable if p.span == 1], comparator, v, stretch_v, sense, notes
        )

    mode = _mode(spec)

    def unassessable(reason: str, b: int | None = None, xb: float | None = None) -> Normalised:
        return Normalised(
            mode=mode,
            comparator=comparator,
            sense=sense,
            base_year=b,
            base_value=xb,
            notes=(*notes, reason),
            problem=reason,
        )

    problem = _spec_problem(spec, mode, v)
    if problem is not None:
        return unassessable(problem)
    assert v is not None
    based = _base_and_window(spec, mode, usable, years, ended, notes)
    if isinstance(based, str):
        return unassessable(based)
    return _levelled(spec, mode, comparator, v, stretch_v, sense, based, notes, unassessable)


def _mode(spec: TargetSpec) -> Mode:
    """How the series is read: as levels, as annual growth rates chained into an index, or as yearly
    additions summed (a cumulative target over a flow)."""
    if spec.indicator_kind is IndicatorKind.GROWTH_RATE:
        return "rate_index"
    if spec.declared_form is DeclaredForm.CUMULATIVE and spec.series_is_flow:
        return "flow_sum"
    return "level"


def _spec_problem(spec: TargetSpec, mode: Mode, v: float | None) -> str | None:
    """Why the target cannot be assessed whatever the data (no binding value, a form a growth-rate
    indicator does not have, a base year not before the target year); None when it can."""
    form = spec.declared_form
    if v is None:
        return "the target has no binding value"
    if mode == "rate_index" and form not in _RATE_INDICATOR_FORMS:
        return f"declared form {form.value!r} is not defined for a growth-rate indicator"
    b0 = spec.base_year
    if b0 is not None and b0 >= spec.target_year:
        return f"base year {b0} is not before the target year {spec.target_year}"
    return None


def _base_and_window(
    spec: TargetSpec, mode: Mode, usable: list[Point], years: list[int], ended: bool, notes: list[str]
) -> tuple[int, tuple[Point, ...], bool] | str:
    """The base year b, the window from it (rates chained, additions summed, levels as they are) and
    whether only a verdict on the target year's value can be given; or why there is no base."""
    b0 = spec.base_year
    if mode == "level":
        return _level_base(spec.declared_form, b0, spec.target_year, usable, years, ended, notes)
    if b0 is None:
        return "no reference year or plan base year: the period is unknown"
    window = _chain(mode, b0, usable, notes)
    if mode == "rate_index":
        notes.append(f"annual rates chained into an index ({b0} = 100); rates are never fed to a CAGR")
    else:
        notes.append(f"yearly additions summed from {b0 + 1} ({b0} = 0)")
    return b0, window, False


def _levelled(
    spec: TargetSpec,
    mode: Mode,
    comparator: Comparator,
    v: float,
    stretch_v: float | None,
    sense: int,
    based: tuple[int, tuple[Point, ...], bool],
    notes: list[str],
    unassessable: Callable[[str, int, float], Normalised],
) -> Normalised:
    """The target on the window's scale: its level x_T from the base value, the band and edge it is met
    at, the stretch level, and whether progress compounds; unassessable when a level cannot be had."""
    form = spec.declared_form
    b, window, verdict_only = based
    xb = window[0].value
    assert xb is not None
    x_T = _level(spec, mode, v, b, xb)
    if x_T is None:
        return unassessable(f"the target level needs a positive base value (x_{b} = {xb})", b, xb)

    banded = _band(spec, mode, comparator, v, b, xb, x_T, sense)
    if banded is None:
        return unassessable("the tolerance band has no level", b, xb)
    band, edge = banded
    stretch = _level(spec, mode, stretch_v, b, xb) if stretch_v is not None else None

    is_growth = form in _GROWTH_FORMS or mode == "rate_index"
    return Normalised(
        mode=mode,
        comparator=comparator,
        sense=sense,
        target_level=x_T,
        edge=edge,
        band=band,
        stretch_level=stretch,
        base_year=b,
        base_value=xb,
        compounding=is_growth or form is DeclaredForm.MULTIPLE,
        early_achievement=not (
            form is DeclaredForm.ANNUAL_GROWTH or (mode == "rate_index" and form not in _GROWTH_FORMS)
        ),
        rate=v / 100 if is_growth else None,
        window=window,
        notes=tuple(notes),
        verdict_only=verdict_only,
    )


def _normalise_each_year(
    spec: TargetSpec,
    points: list[Point],
    usable: list[Point],
    comparator: Comparator,
    v: float | None,
    stretch_v: float | None,
    sense: int,
    notes: list[str],
) -> Normalised:
    """An ``each_year`` target: the window holds the values of ``period_start..min(as_of, T)``, each
    judged on its own against the level ``v`` (in the indicator's unit, a rate for a rate indicator)."""
    T = spec.target_year
    first = spec.period_start
    if first is None and spec.base_year is not None:
        first = spec.base_year + 1
    if v is None:
        reason = "the target has no binding value"
    elif first is None:
        reason = "a yearly target needs period_start (the first year it must hold)"
    elif first > T:
        reason = f"period_start {first} is after the target year {T}"
    else:
        reason = ""
    if reason or v is None or first is None:
        return Normalised(
            mode="each_year",
            comparator=comparator,
            sense=sense,
            notes=(*notes, reason),
            problem=reason,
            early_achievement=False,
        )
    base = next((p for p in points if p.year == first - 1), None)
    band: tuple[float, float] | None = None
    edge = v
    if comparator in (Comparator.ABOUT, Comparator.EQ):
        tol = 0.0 if comparator is Comparator.EQ else spec.tolerance or DEFAULT_TOLERANCE
        band = (v - tol * abs(v), v + tol * abs(v))
        edge = band[0] if sense > 0 else band[1]
    return Normalised(
        mode="each_year",
        comparator=comparator,
        sense=sense,
        target_level=v,
        edge=edge,
        band=band,
        stretch_level=stretch_v,
        base_year=first - 1,
        base_value=base.value if base is not None else None,
        early_achievement=False,
        window=tuple(p for p in usable if p.year >= first),
        notes=(*notes, f"each year of {first}–{T} must meet the value on its own"),
    )


# --- metrics (§2) ------------------------------------------------------------------------------


def _pos(*xs: float) -> bool:
    return min(xs) > 0  # (min, not all(...): called ~10 times per target)


def _trend(window: Sequence[Point], year: int, logs: bool) -> float | None:
    """Least-squares line through the window (in logs for geometric targets), evaluated at ``year``."""
    xs = [float(p.year) for p in window]
    ys = [p.value for p in window if p.value is not None]
    if logs:
        if not _pos(*ys):
            return None
        ys = [math.log(y) for y in ys]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sxx = 0.0  # (one loop, same order of additions as two sums)
    for x, y in zip(xs, ys, strict=True):
        dx = x - mx
        sxy += dx * (y - my)
        sxx += dx**2
    slope = sxy / sxx
    fit = my + slope * (year - mx)
    return math.exp(fit) if logs else fit


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _p_meet(
    window: Sequence[Point], target_year: int, edge: float, sense: int
) -> tuple[float, tuple[float, float]] | None:
    """P(x_T on the right side of ``edge``) under a random walk with drift in logs (see module doc)."""
    values = [p.value for p in window if p.value is not None]
    if len(values) < P_MEET_MIN_POINTS or not _pos(edge, *values):
        return None
    years = [p.year for p in window]
    logs = list(map(math.log, values))
    span = years[-1] - years[0]
    drift = (logs[-1] - logs[0]) / span
    var = 0.0  # squared deviations of the yearly log changes from the drift, per year of each step
    for i in range(1, len(years)):
        dy = years[i] - years[i - 1]
        var += ((logs[i] - logs[i - 1]) - drift * dy) ** 2 / dy
    sigma = max(math.sqrt(var / (len(years) - 2)), SIGMA_FLOOR)
    h = target_year - years[-1]
    threshold = math.log(edge)

    def prob(mu: float, variance: float) -> float:
        z = (threshold - (logs[-1] + mu * h)) / math.sqrt(variance)
        return 1 - _phi(z) if sense > 0 else _phi(z)

    p = prob(drift, sigma**2 * h + sigma**2 * h**2 / span)
    se = sigma / math.sqrt(span)
    ends = [prob(drift + k * P_MEET_INTERVAL_Z * se, sigma**2 * h) for k in (-1, 1)]
    return p, (min(ends), max(ends))


def _annual_rates(window: Sequence[Point]) -> list[float] | None:
    rates = []
    for p0, p1 in itertools.pairwise(window):
        assert p0.value is not None and p1.value is not None
        if not _pos(p0.value, p1.value):
            return None
        rates.append((p1.value / p0.value) ** (1 / (p1.year - p0.year)) - 1)
    return rates


def classify(ratio: float, thresholds: Thresholds) -> Status:
    """§3 rules 4–7: the status for a pace ratio."""
    if ratio >= thresholds.on_track:
        return Status.ON_TRACK
    if ratio >= thresholds.needs_acceleration:
        return Status.NEEDS_ACCELERATION
    if ratio >= thresholds.regressing_below:
        return Status.OFF_TRACK
    return Status.REGRESSING


def assess(
    spec: TargetSpec, series: Iterable[Point], as_of_year: int | None = None, profile: str = "eurostat"
) -> TargetResult:
    """Metrics (§2) and status (§3) of one target on one vintage of its series, as of a year.

    Raises ValueError for an unknown profile or a series with two values for one year.
    """
    return evaluate(spec, series, as_of_year, profile)[0]


def first_met_year(norm: Normalised) -> int | None:
    """The first year of the window in which the target was met (level targets only)."""
    if norm.problem is not None or norm.mode != "level":
        return None
    for p in norm.window:
        if p.value is not None and norm.satisfied_by(p.value):
            return p.year
    return None


def evaluate(
    spec: TargetSpec, series: Iterable[Point], as_of_year: int | None = None, profile: str = "eurostat"
) -> tuple[TargetResult, Normalised]:
    """``assess``, also returning the normalised target it was judged against."""
    if profile not in PROFILES:
        raise ValueError(f"unknown threshold profile {profile!r}; known: {', '.join(PROFILES)}")
    norm = normalise(spec, series, as_of_year)
    return _assess(spec, norm, as_of_year, profile), norm


def _strict_pass(
    spec: TargetSpec, norm: Normalised, window: tuple[Point, ...], cagr_a: float | None
) -> bool | None:
    """A growth target of 不低于 / 不高于 a rate: met by every year's rate (an annual-growth target) or by
    the average rate so far; None where it does not apply or cannot be told."""
    if norm.rate is None or norm.comparator not in (Comparator.GE, Comparator.LE):
        return None
    g = norm.rate
    if spec.declared_form is DeclaredForm.ANNUAL_GROWTH:
        rates = _annual_rates(window)
        return None if rates is None else all(norm.sense * (r - g) >= -_REL_EPS for r in rates)
    return None if cagr_a is None else norm.sense * (cagr_a - g) >= -_REL_EPS


def _status(
    norm: Normalised,
    T: int,
    b: int,
    t: int,
    xb: float,
    *,
    met_now: bool,
    ended: bool,
    projection: float | None,
    pace: float | None,
    p_lin: float | None,
    tau: float,
    profile: str,
    notes: list[str],
) -> tuple[Status, StatusBasis | None] | str:
    """The status (METHODOLOGY §3) and the ratio it was classified on, or why there is no pace measure;
    ``notes`` say how the verdict was reached where it is not plain."""
    if met_now and (t >= T or norm.early_achievement):
        if ended and t < T:
            notes.append(
                f"no value for {T} or later: the verdict rests on {t}, when the target was met early"
            )
        return (Status.ACHIEVED if t >= T else Status.ACHIEVED_EARLY), None
    if t >= T:
        return Status.MISSED, None
    if ended:
        # METHODOLOGY §3: after the target year only an end-of-term verdict, never a pace status;
        # with no value for T or later there is none, and the projection is an expectation (预计)
        notes.append(
            f"the target year {T} has passed with no value for {T} or later: no end-of-term verdict"
            + (f"; expected (预计) at {T}: {projection:g}" if projection is not None else "")
        )
        return Status.INSUFFICIENT_DATA, None
    if not met_now and norm.satisfied_by(xb):
        notes.append(f"met at the base year {b} but not at {t}")
        return Status.REGRESSING, None
    ratio: float | None = pace
    basis: StatusBasis = "pace_ratio"
    if ratio is None and p_lin is not None:
        ratio, basis = p_lin / tau, "schedule_ratio"
        notes.append("pace ratio needs values > 0; status from the linear schedule ratio P/τ")
    if ratio is None:
        return "no pace measure: the target level equals the base value"
    return classify(ratio, PROFILES[profile]), basis


def _assess(spec: TargetSpec, norm: Normalised, as_of_year: int | None, profile: str) -> TargetResult:
    """§2–3 for one normalised target, in stages: can its window be judged (``_window_problem``), its
    measures (``_measure``), its status (``_status``) and the result (``_assessed``)."""
    T = spec.target_year
    notes = list(norm.notes)
    window = norm.window
    ids = tuple(p.observation_id for p in window if p.observation_id is not None)

    def insufficient(reason: str | None = None) -> TargetResult:
        last = window[-1] if window else None
        return TargetResult(
            status=Status.INSUFFICIENT_DATA,
            profile=profile,
            target_year=T,
            comparator=norm.comparator,
            target_level=norm.target_level,
            band=norm.band,
            stretch_level=norm.stretch_level,
            base_year=norm.base_year,
            base_value=norm.base_value,
            latest_year=last.year if last else None,
            latest_value=last.value if last else None,
            latest_preliminary=bool(last and last.preliminary),
            notes=(*notes, reason) if reason else tuple(notes),
            observation_ids=ids,
        )

    if norm.problem is not None:
        return insufficient()
    if norm.mode == "each_year":
        return _assess_each_year(spec, norm, as_of_year, profile, insufficient)
    if norm.verdict_only:
        return _verdict_on_the_target_year(spec, norm, profile)
    thin = _window_problem(norm, as_of_year, T)
    if thin is not None:
        return insufficient(thin)

    m = _measure(norm, T)
    met_now = norm.satisfied_by(m.xt)
    if met_now and norm.band is not None and not norm.band[0] <= m.xt <= norm.band[1]:
        notes.append(f"x_t = {m.xt:g} is beyond the band on the better side: counted as achieved")
    strict = _strict_pass(spec, norm, window, m.cagr_actual)
    ended = as_of_year is not None and as_of_year > T
    decided = _status(
        norm,
        T,
        m.b,
        m.t,
        m.xb,
        met_now=met_now,
        ended=ended,
        projection=m.projection,
        pace=m.pace,
        p_lin=m.p_lin,
        tau=m.tau,
        profile=profile,
        notes=notes,
    )
    if isinstance(decided, str):
        return insufficient(decided)
    status, basis = decided
    return _assessed(norm, T, m, status, basis, met_now, strict, ended, profile, tuple(notes), ids)


def _window_problem(norm: Normalised, as_of_year: int | None, T: int) -> str | None:
    """Why the window cannot carry a pace assessment (fewer than two points, a series break inside it);
    None when it can."""
    window = norm.window
    if len(window) < 2:
        return f"fewer than 2 points in [{norm.base_year}, {min(as_of_year or T, T)}]"
    breaks = [p.year for p in window[1:] if p.series_break]
    if breaks:
        return f"series break in {', '.join(map(str, breaks))} inside the window"
    return None


@dataclass(slots=True)  # (not frozen: a frozen init is slow, and a report run makes one per target)
class _Measures:
    """§2's measures of a window (base b, latest t) against its target level x_T in year T."""

    b: int
    xb: float
    t: int
    xt: float
    x_T: float
    tau: float
    p_lin: float | None
    completion: float | None
    ref_value: float | None
    cagr_actual: float | None
    cagr_required: float | None
    pace: float | None
    r_remain: float | None
    projection: float | None
    trend: float | None
    meet: tuple[float, tuple[float, float]] | None


def _measure(norm: Normalised, T: int) -> _Measures:
    """The window's measures against the target: time elapsed, completion (linear or compounding), the
    reference path, actual and required growth and their pace ratio, and, before the target year, what
    remains, the projections and P(meet)."""
    window = norm.window
    assert norm.target_level is not None and norm.edge is not None
    b, xb = window[0].year, window[0].value
    t, xt = window[-1].year, window[-1].value
    assert xb is not None and xt is not None
    x_T = norm.target_level

    tau = (t - b) / (T - b)
    p_lin = (xt - xb) / (x_T - xb) if x_T != xb else None
    p_geo = math.log(xt / xb) / math.log(x_T / xb) if _pos(xb, xt, x_T) and x_T != xb else None
    completion = p_geo if norm.compounding else p_lin
    if norm.compounding:
        ref_value = xb * (x_T / xb) ** tau if _pos(xb, x_T) else None
    else:
        ref_value = xb + tau * (x_T - xb)
    cagr_a = (xt / xb) ** (1 / (t - b)) - 1 if _pos(xb, xt) else None
    cagr_r = (x_T / xb) ** (1 / (T - b)) - 1 if _pos(xb, x_T) else None
    pace = cagr_a / cagr_r if cagr_a is not None and cagr_r else None
    ahead = t < T
    return _Measures(
        b=b,
        xb=xb,
        t=t,
        xt=xt,
        x_T=x_T,
        tau=tau,
        p_lin=p_lin,
        completion=completion,
        ref_value=ref_value,
        cagr_actual=cagr_a,
        cagr_required=cagr_r,
        pace=pace,
        r_remain=(x_T / xt) ** (1 / (T - t)) - 1 if ahead and _pos(xt, x_T) else None,
        projection=xt * (1 + cagr_a) ** (T - t) if ahead and cagr_a is not None else None,
        trend=_trend(window, T, logs=norm.compounding) if ahead and len(window) >= TREND_MIN_POINTS else None,
        meet=_p_meet(window, T, norm.edge, norm.sense) if ahead else None,
    )


def _assessed(
    norm: Normalised,
    T: int,
    m: _Measures,
    status: Status,
    basis: StatusBasis | None,
    met_now: bool,
    strict: bool | None,
    ended: bool,
    profile: str,
    notes: tuple[str, ...],
    ids: tuple[int, ...],
) -> TargetResult:
    """The result of an assessed target: its status and how it was reached, with every measure the pages,
    reports and evaluations show; the year a verdict rests on (achieved or missed, or achieved early once
    the term has ended)."""
    assert norm.edge is not None
    x_T, xb, xt, t = m.x_T, m.xb, m.xt, m.t
    completion = m.completion
    return TargetResult(
        status=status,
        profile=profile,
        target_year=T,
        comparator=norm.comparator,
        target_level=x_T,
        band=norm.band,
        stretch_level=norm.stretch_level,
        stretch_met=(
            norm.sense * (xt - norm.stretch_level) >= -_REL_EPS * max(1.0, abs(norm.stretch_level))
            if norm.stretch_level is not None
            else None
        ),
        base_year=m.b,
        base_value=xb,
        latest_year=t,
        latest_value=xt,
        tau=m.tau,
        completion=completion,
        schedule_ratio=completion / m.tau if completion is not None else None,
        schedule_gap=completion - m.tau if completion is not None else None,
        ref_value=m.ref_value,
        cagr_actual=m.cagr_actual,
        cagr_required=m.cagr_required,
        pace_ratio=m.pace,
        r_remain=m.r_remain,
        gap=x_T - xt,
        gap_share=(x_T - xt) / (x_T - xb) if x_T != xb else None,
        shortfall=None if met_now else abs(norm.edge - xt),
        projection=m.projection,
        projection_trend=m.trend,
        p_meet=m.meet[0] if m.meet else None,
        p_meet_interval=m.meet[1] if m.meet else None,
        strict_pass=strict,
        status_basis=basis,
        latest_preliminary=norm.window[-1].preliminary,
        verdict_year=t if status in _VERDICTS or (ended and status is Status.ACHIEVED_EARLY) else None,
        base_met=norm.satisfied_by(xb),
        notes=notes,
        observation_ids=ids,
    )


_VERDICTS = (Status.ACHIEVED, Status.MISSED)


def _verdict_on_the_target_year(spec: TargetSpec, norm: Normalised, profile: str) -> TargetResult:
    """§3 after the target year for a level, share, ratio or coverage target whose only value in its
    window is the target year's: the verdict rests on it (no base, so no pace metrics)."""
    assert norm.target_level is not None and norm.edge is not None
    point = norm.window[-1]
    assert point.value is not None
    xt, met = point.value, norm.satisfied_by(point.value)
    return TargetResult(
        status=Status.ACHIEVED if met else Status.MISSED,
        profile=profile,
        target_year=spec.target_year,
        comparator=norm.comparator,
        target_level=norm.target_level,
        band=norm.band,
        stretch_level=norm.stretch_level,
        stretch_met=(
            norm.sense * (xt - norm.stretch_level) >= -_REL_EPS * max(1.0, abs(norm.stretch_level))
            if norm.stretch_level is not None
            else None
        ),
        latest_year=point.year,
        latest_value=xt,
        gap=norm.target_level - xt,
        shortfall=None if met else abs(norm.edge - xt),
        latest_preliminary=point.preliminary,
        verdict_year=point.year,
        notes=norm.notes,
        observation_ids=(point.observation_id,) if point.observation_id is not None else (),
    )


def _assess_each_year(
    spec: TargetSpec,
    norm: Normalised,
    as_of_year: int | None,
    profile: str,
    insufficient: Callable[[str | None], TargetResult],
) -> TargetResult:
    """§3 for a target every year of its period must meet (see the module doc)."""
    T = spec.target_year
    assert norm.edge is not None and norm.target_level is not None and norm.base_year is not None
    first = norm.base_year + 1
    window = norm.window
    if not window:
        return insufficient(f"no value yet for any year of {first}–{T}")
    notes = list(norm.notes)
    ids = tuple(p.observation_id for p in window if p.observation_id is not None)
    edge, sense = norm.edge, norm.sense
    t, xt = window[-1].year, window[-1].value
    assert xt is not None
    short = [p for p in window if p.value is not None and not norm.satisfied_by(p.value)]
    met_years = len(window) - len(short)
    period_years = T - first + 1
    for p in short:
        notes.append(f"{p.year}: {p.value:g} does not meet {edge:g}")
    ended = t >= T or (as_of_year is not None and as_of_year > T)
    met_now = norm.satisfied_by(xt)
    ratio: float | None = None
    if sense > 0 and edge > 0:
        ratio = xt / edge
    elif sense < 0 and _pos(edge, xt):
        ratio = edge / xt
    basis: StatusBasis | None = None
    worst_point = min(short, key=lambda p: sense * ((p.value or 0.0) - edge)) if short else None
    if ended:
        missing = [y for y in range(first, T + 1) if y not in {p.year for p in window}]
        if short:
            status = Status.MISSED
        elif missing:
            return insufficient(
                f"no value for {', '.join(map(str, missing))}: every year of {first}–{T} counts"
            )
        else:
            status = Status.ACHIEVED
    elif met_now:
        status = Status.ON_TRACK  # a yearly target cannot be achieved before its last year
        if short:
            notes.append("a year of the period fell short: the end-of-term verdict can no longer be achieved")
    elif norm.base_value is not None and norm.satisfied_by(norm.base_value):
        status = Status.REGRESSING
        notes.append(f"met in {norm.base_year} but not in {t}")
    elif ratio is None:
        status = Status.OFF_TRACK
        notes.append("no ratio to the required level (values <= 0); the year is short of it")
    else:
        basis = "pace_ratio"
        cuts = PROFILES[profile]
        status = (
            Status.NEEDS_ACCELERATION
            if ratio >= cuts.needs_acceleration
            else Status.OFF_TRACK
            if ratio >= cuts.regressing_below
            else Status.REGRESSING
        )
    shortfall_point = worst_point if ended and worst_point is not None else window[-1]
    assert shortfall_point.value is not None
    return TargetResult(
        status=status,
        profile=profile,
        target_year=T,
        comparator=norm.comparator,
        target_level=norm.target_level,
        band=norm.band,
        stretch_level=norm.stretch_level,
        stretch_met=(
            sense * (xt - norm.stretch_level) >= -_REL_EPS * max(1.0, abs(norm.stretch_level))
            if norm.stretch_level is not None
            else None
        ),
        base_year=norm.base_year,
        base_value=norm.base_value,
        latest_year=t,
        latest_value=xt,
        tau=len(window) / period_years,
        completion=met_years / period_years,
        schedule_ratio=met_years / len(window),
        schedule_gap=(met_years - len(window)) / period_years,
        pace_ratio=ratio,
        gap=norm.target_level - xt,
        shortfall=(
            abs(edge - shortfall_point.value) if not norm.satisfied_by(shortfall_point.value) else None
        ),
        strict_pass=not short,
        status_basis=basis,
        latest_preliminary=window[-1].preliminary,
        verdict_year=t if status in (Status.ACHIEVED, Status.MISSED) else None,
        notes=tuple(notes),
        observation_ids=ids,
    )


# --- across targets (§5) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Counts per status and the mean score of a set of targets (a plan, a chapter, a region).

    ``total`` counts summary units: targets sharing a key (one indicator in one region) are one unit
    with their worst status. ``mean_score`` is None unless ``>= 60 %`` of the units are assessable.
    """

    counts: Mapping[Status, int]
    total: int
    assessable: int
    targets: int
    mean_score: float | None

    @property
    def assessable_share(self) -> float | None:
        return self.assessable / self.total if self.total else None


_ALL_STATUSES = tuple(Status)  # (iterating an Enum class is slow; summaries run per region)
_SCORES = {s: s.score for s in Status}


def summarise(items: Iterable[tuple[Hashable, TargetResult]]) -> Summary:
    """Summarise ``(key, assessment)`` pairs; the key identifies the indicator (and region) a target
    measures, so that where one indicator carries several targets the worst status wins.

    Pass ``enumerate(assessments)`` to count every target on its own.
    """
    groups: dict[Hashable, list[Status]] = {}
    targets = 0
    for key, a in items:
        groups.setdefault(key, []).append(a.status)
        targets += 1
    statuses = [worst(s) for s in groups.values()]
    counts = dict.fromkeys(_ALL_STATUSES, 0)
    for s in statuses:
        counts[s] += 1
    scores = [score for s in statuses if (score := _SCORES[s]) is not None]
    total = len(statuses)
    mean = sum(scores) / len(scores) if total and len(scores) / total >= SCORE_MIN_ASSESSABLE_SHARE else None
    return Summary(counts=counts, total=total, assessable=len(scores), targets=targets, mean_score=mean)


# --- across regions (§5) -----------------------------------------------------------------------
# ``aggregate_zone_year`` is the one aggregation: the report engine forms a zone's series with it
# (``SeriesBuilder``), year by year, for the years its own figures (a plan baseline, a published zone
# figure) do not cover.

K = TypeVar("K", bound=Hashable)


def _complete(values: Mapping[K, float | None], members: Iterable[K] | None) -> list[float] | None:
    keys = list(values) if members is None else list(members)
    if not keys:
        return None
    out = []
    for k in keys:
        x = values.get(k)
        if x is None:
            return None
        out.append(x)
    return out


def aggregate_sum(
    member_values: Mapping[K, float | None], members: Iterable[K] | None = None
) -> float | None:
    """Sum of a count or amount over a composite region; None unless every member has a value.

    ``members`` lists the zone's members (a member absent from ``member_values`` is missing);
    without it the keys of ``member_values`` are the members.
    """
    values = _complete(member_values, members)
    return sum(values) if values is not None else None


def aggregate_ratio(
    numerators: Mapping[K, float | None],
    denominators: Mapping[K, float | None],
    scale: float = 1.0,
    members: Iterable[K] | None = None,
) -> float | None:
    """A ratio recomputed from summed components (Σ numerator / Σ denominator × scale), never an
    average of the members' ratios; None unless every member has both, or when Σ denominator is 0."""
    keys = list(members) if members is not None else list(dict.fromkeys([*numerators, *denominators]))
    num = _complete(numerators, keys)
    den = _complete(denominators, keys)
    if num is None or den is None or sum(den) == 0:
        return None
    return scale * sum(num) / sum(den)


def aggregate(
    rule: Aggregation,
    member_values: Mapping[K, float | None] | None = None,
    *,
    numerators: Mapping[K, float | None] | None = None,
    denominators: Mapping[K, float | None] | None = None,
    scale: float | None = None,
    members: Iterable[K] | None = None,
) -> float | None:
    """A composite region's value by the indicator's aggregation rule. Rules ``none`` (rates and
    indices without components) give None: they are shown per member instead."""
    if rule is Aggregation.SUM:
        return aggregate_sum(member_values or {}, members)
    if rule is Aggregation.RATIO:
        return aggregate_ratio(numerators or {}, denominators or {}, 1.0 if scale is None else scale, members)
    return None


def derive_numerators(
    numerators: Mapping[K, float | None],
    rates: Mapping[K, float | None],
    denominators: Mapping[K, float | None],
    scale: float = 1.0,
) -> tuple[dict[K, float | None], list[K]]:
    """Each member's numerator: the published one, else derived from its rate and denominator
    (rate × denominator ÷ scale: urban population = urbanisation rate × resident population ÷ 100).

    Returns the numerators and the members whose numerator was derived (METHODOLOGY §5: "a rate
    whose denominator is known gives its numerator", the derivation recorded).
    """
    out: dict[K, float | None] = {}
    derived: list[K] = []
    for k in dict.fromkeys([*numerators, *rates, *denominators]):
        n = numerators.get(k)
        if n is None:
            r, d = rates.get(k), denominators.get(k)
            if r is not None and d is not None and scale:
                n = r * d / scale
                derived.append(k)
        out[k] = n
    return out, derived


class ZoneYear(NamedTuple):
    """A composite zone's value for one year and how it was formed."""

    value: float
    derived: tuple[Any, ...]  # members whose numerator was derived from rate × denominator


def aggregate_zone_year(
    rule: Aggregation,
    members: Sequence[K],
    values: Mapping[K, float | None],
    *,
    numerators: Mapping[K, float | None] | None = None,
    denominators: Mapping[K, float | None] | None = None,
    scale: float = 1.0,
) -> ZoneYear | None:
    """A zone's value for one year from its members (§5), or None unless every member has what the
    rule needs. ``values`` are the members' own figures of the indicator (for a ratio: their rates,
    used to derive a missing numerator); ``scale`` turns Σ numerator / Σ denominator into the rate."""
    if rule is Aggregation.RATIO:
        nums, derived = derive_numerators(numerators or {}, values, denominators or {}, scale)
        value = aggregate(rule, numerators=nums, denominators=denominators, scale=scale, members=members)
        used = tuple(k for k in derived if k in set(members))
        return ZoneYear(value, used) if value is not None else None
    value = aggregate(rule, values, members=members)
    return ZoneYear(value, ()) if value is not None else None
