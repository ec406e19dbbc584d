"""The schema of the catalog files in ``indicators/`` (see indicators/SCHEMA.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from service.db.models import (
    Aggregation,
    Attribute,
    Comparator,
    Confidence,
    DeclaredForm,
    Direction,
    IndicatorKind,
)

Code = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)
    # 1-based position in its file, for error messages
    _pos: int = PrivateAttr(default=0)


class RegionEntry(_Strict):
    code: Code = Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$")
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=200)
    level: Literal["country", "province", "city", "district", "county", "zone", "area"]
    admin_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    parent: Code | None = None
    members: list[Code] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _zone_members(self) -> RegionEntry:
        if self.level == "zone" and len(self.members) < 2:
            raise ValueError("a zone needs at least two members")
        if self.level != "zone" and self.members:
            raise ValueError("only a zone may have members")
        return self


class OrganisationEntry(_Strict):
    """A department or district government targets are assigned to (indicators/organisations.yaml)."""

    code: Code = Field(min_length=1, max_length=60, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=300)
    # department 部门 | government 区县人民政府 (a district or county government) | other
    kind: Literal["department", "government", "other"] = "department"
    region: Code | None = None  # the region it serves (a department: its city; a government: its district)
    aliases: list[str] = Field(default_factory=list)


class IndicatorEntry(_Strict):
    code: Code = Field(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=300)
    unit: str = Field(min_length=1, max_length=40)
    direction: Direction
    kind: IndicatorKind
    aggregation: Aggregation
    numerator: Code | None = None
    denominator: Code | None = None
    scale: Decimal | None = None
    category: Literal[
        "economy",
        "innovation",
        "industry",
        "infrastructure",
        "environment",
        "public_service",
        "people",
        "openness",
        "other",
    ] = "other"
    synonyms: list[str] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _ratio_components(self) -> IndicatorEntry:
        if self.aggregation is Aggregation.RATIO and not (self.numerator and self.denominator):
            raise ValueError("aggregation 'ratio' needs a numerator and a denominator indicator")
        if self.aggregation is not Aggregation.RATIO and (self.numerator or self.denominator):
            raise ValueError("numerator/denominator are only for aggregation 'ratio'")
        return self


class BaselineRef(_Strict):
    value: Decimal
    year: int | None = Field(default=None, ge=1949, le=2100)
    period: tuple[int, int] | None = None
    unit: str | None = None
    quote: str | None = Field(default=None, max_length=400)

    @model_validator(mode="after")
    def _when(self) -> BaselineRef:
        if self.year is None and self.period is None:
            raise ValueError("a baseline needs a year or a period")
        return self


class TargetEntry(_Strict):
    key: str = Field(min_length=1, max_length=120, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$")
    chapter: str | None = None
    indicator: Code
    region: Code
    unit: str = Field(min_length=1, max_length=40)
    comparator: Comparator
    value: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    stretch_value: Decimal | None = None
    tolerance: Decimal | None = Field(default=None, gt=0, lt=1)
    target_year: int = Field(ge=2000, le=2100)
    reference_year: int | None = Field(default=None, ge=1949, le=2100)
    # first year of the period a yearly or cumulative target covers (每年…, 年均…, 累计…, 〔〕); the
    # period ends with target_year
    period_start: int | None = Field(default=None, ge=1949, le=2100)
    declared_form: DeclaredForm
    attribute: Attribute | None = None  # binding 约束性 / anticipatory 预期性
    baseline: BaselineRef | None = None
    quote: str = Field(min_length=2, max_length=400)
    confidence: Confidence = Confidence.HIGH
    note: str | None = None
    # responsibility (分解落实): the lead (牵头单位) and supporting (配合单位) organisations' codes
    lead: Code | None = None
    support: list[Code] | None = None
    # decomposition: a sub-target names its parent's key (same plan); the parent says how it is split:
    # sum = the sub-targets' quotas add up to it, each = every sub-target must meet the parent's rate
    parent: str | None = Field(default=None, max_length=120)
    split: Literal["sum", "each"] | None = None
    organisation: Code | None = None  # a sub-target for an organisation rather than a region
    # a yearly milestone (年度目标): "plan-code/key" of the (five-year) target it serves
    serves: str | None = Field(
        default=None, max_length=200, pattern=r"^[a-z0-9][a-z0-9\-]*/[0-9A-Za-z][0-9A-Za-z_.\-]*$"
    )

    @model_validator(mode="before")
    @classmethod
    def _qualitative_form(cls, data: Any) -> Any:
        # a qualitative target has no number to normalise: its form defaults to a plain level
        if (
            isinstance(data, dict)
            and data.get("comparator") == "qualitative"
            and not data.get("declared_form")
        ):
            return {**data, "declared_form": "level"}
        return data

    @property
    def is_qualitative(self) -> bool:
        return self.comparator is Comparator.QUALITATIVE

    @property
    def base_year(self) -> int | None:
        """The year the target is measured from: its reference year, else the year before its period."""
        if self.reference_year is not None:
            return self.reference_year
        return self.period_start - 1 if self.period_start is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> TargetEntry:
        if self.comparator is Comparator.QUALITATIVE:
            given = [
                f
                for f in ("value", "low", "high", "stretch_value", "tolerance")
                if getattr(self, f) is not None
            ]
            if given:
                raise ValueError(f"a qualitative target has no number; remove {', '.join(given)}")
        elif self.comparator is Comparator.RANGE:
            if self.low is None or self.high is None:
                raise ValueError("comparator 'range' needs low and high")
            if self.low > self.high:
                raise ValueError("low is above high")
        elif self.value is None:
            raise ValueError(f"comparator {self.comparator.value!r} needs a value")
        if self.tolerance is not None and self.comparator is not Comparator.ABOUT:
            raise ValueError("tolerance is only for comparator '~'")
        if (
            self.declared_form in (DeclaredForm.RELATIVE_CHANGE, DeclaredForm.MULTIPLE)
            and self.base_year is None
            and not self.is_qualitative
        ):
            raise ValueError(
                f"declared_form {self.declared_form.value!r} needs a reference_year or period_start"
            )
        if self.declared_form is DeclaredForm.EACH_YEAR and self.period_start is None:
            raise ValueError("declared_form 'each_year' needs period_start (the first year it must hold)")
        if self.lead is not None and self.support and self.lead in self.support:
            raise ValueError("the lead organisation is not also a supporting one")
        if self.parent is not None and self.parent == self.key:
            raise ValueError("a target is not its own parent")
        if self.reference_year is not None and self.reference_year >= self.target_year:
            raise ValueError("reference_year must be before target_year")
        if self.period_start is not None:
            if self.period_start > self.target_year:
                raise ValueError("period_start must not be after target_year")
            if self.reference_year is not None and self.reference_year != self.period_start - 1:
                raise ValueError(
                    f"reference_year {self.reference_year} and period_start {self.period_start} disagree: "
                    "a period starts the year after its reference year"
                )
        return self


class StandaloneBaseline(_Strict):
    indicator: Code
    region: Code
    unit: str = Field(min_length=1, max_length=40)
    value: Decimal
    year: int | None = Field(default=None, ge=1949, le=2100)
    period: tuple[int, int] | None = None
    quote: str = Field(min_length=2, max_length=400)
    confidence: Confidence = Confidence.HIGH
    note: str | None = None

    @model_validator(mode="after")
    def _when(self) -> StandaloneBaseline:
        if self.year is None and self.period is None:
            raise ValueError("a baseline needs a year or a period")
        return self


class PlanMeta(_Strict):
    code: Code = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    title_zh: str = Field(min_length=1, max_length=300)
    title_en: str = Field(min_length=1, max_length=300)
    issuer: str | None = None
    issued: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    base_year: int | None = Field(default=None, ge=1949, le=2100)
    horizon_years: list[int] = Field(default_factory=list)
    period: tuple[int, int] | None = None  # the plan period, e.g. [2026, 2030]
    source_document: str = Field(min_length=1, max_length=200)  # a file in shared/seeds or shared/plans
    document_title: str | None = None
    note: str | None = None
    # the notice that assigns the targets to organisations (分解落实方案), when the file gives lead/support
    assignment_document: str | None = Field(default=None, max_length=400)

    @model_validator(mode="after")
    def _period(self) -> PlanMeta:
        if self.period is not None:
            start, end = self.period
            if not 1949 <= start <= end <= 2100:
                raise ValueError("period is [first year, last year], e.g. [2026, 2030]")
        return self


class PlanFile(_Strict):
    plan: PlanMeta
    targets: list[TargetEntry] = Field(default_factory=list)
    baselines: list[StandaloneBaseline] = Field(default_factory=list)
