"""Pydantic models of the seed YAML files in ``seed/``.

The seed is the plan transcribed as reviewed data. These models are the contract for its
authors: every file is validated against them before anything is written to the database, and a
validation error names the file, the entry and the field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.matching.status import PLAN_YEAR
from app.models.directory import AgencyFields, ContactPointFields
from app.models.plan import KpiProgressFields
from app.models.programmes import ProgrammeFields
from app.models.types import (
    Email,
    KpiAccumulation,
    KpiValueKind,
    LongText,
    MunicipalityCode,
    PhoneNumber,
    PostalCode,
    ProgrammeKind,
    ShortText,
    Slug,
    Url,
)

__all__ = [
    "Email",
    "LongText",
    "MunicipalityCode",
    "PhoneNumber",
    "PostalCode",
    "ProgrammeKind",
    "ShortText",
    "Slug",
    "Url",
]

FiscalYear = Annotated[str, StringConstraints(pattern=r"^H(2[5-9]|3[0-1])$")]
MeasureRef = Annotated[str, StringConstraints(pattern=r"^(1[0-2]|[1-9])\.[1-9]$")]

SUPPORT_TYPE_CODES = (
    "startup",
    "growth",
    "technology",
    "business_activity",
    "management_stability",
    "finance",
)


class SupportTypeCode(StrEnum):
    startup = "startup"
    growth = "growth"
    technology = "technology"
    business_activity = "business_activity"
    management_stability = "management_stability"
    finance = "finance"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SourceRef(Strict):
    """Where in the plan (or in contact-facts.yaml) an entry comes from."""

    section: ShortText
    page: int | None = None


class SupportTypeSeed(Strict):
    code: SupportTypeCode
    name: ShortText
    name_en: ShortText
    description: LongText
    order: int = Field(ge=1, le=6)


class AgencySeed(AgencyFields, Strict):  # type: ignore[misc]  # both configs merge
    """An agency of seed/agencies.yaml: the shared fields (AgencyFields) plus what the seed says
    of it in its own form."""

    aliases: list[ShortText] = []
    # The 市町 a local office serves (JIS codes); [] for a prefecture-wide body.
    municipalities: list[MunicipalityCode] = []
    matrix_order: int | None = Field(default=None, ge=1)
    matrix_row_label: ShortText | None = None
    roles: list[SupportTypeCode] = []
    source: SourceRef


class PillarSeed(Strict):
    number: int = Field(ge=1, le=3)
    title: ShortText
    slogan: ShortText
    goal: LongText


class ChallengeSeed(Strict):
    """One ◇ heading of 現状と課題 with its ・ points."""

    heading: ShortText
    points: list[LongText] = []


class ScheduleSeed(Strict):
    """One cell or span of a 工程表 row: what happens from `start` to `end` (fiscal years)."""

    start: FiscalYear
    end: FiscalYear
    text: ShortText
    # Where the span contradicts the plan's prose, what the prose says (shown with the entry).
    note: LongText | None = None


class InitiativeSeed(Strict):
    """One ◇ item of 【主な取組】 with its 【responsible bodies】, points and 工程表 row."""

    title: ShortText
    responsible: list[ShortText] = []
    points: list[LongText] = []
    schedule: list[ScheduleSeed] = []


class MeasureSeed(Strict):
    """One numbered item of 今後の取組方針 (and the matching 推進計画 section)."""

    number: int = Field(ge=1, le=9)
    title: ShortText
    text: LongText
    strategic: bool = False
    initiatives: list[InitiativeSeed] = []


class ActionSeed(Strict):
    number: int = Field(ge=1, le=12)
    title: ShortText
    pillar: int = Field(ge=1, le=3)
    strategic: bool = False
    focus: ShortText | None = None
    challenges: list[ChallengeSeed] = []
    measures: list[MeasureSeed]
    past_initiatives: list[LongText] = []
    # The 工程表 spans were reconstructed from the plan's flattened tables: true for every action
    # so far (each file says so), and served with every schedule entry as `inferred`.
    schedule_inferred: bool
    # Conflicts between parts of the plan that the data had to settle, said where readers see them.
    notes: list[LongText] = []
    source: SourceRef


class ValueSeed(Strict):
    value: float | None = None
    unit: ShortText | None = None
    year: ShortText | None = None
    text: ShortText


class KpiSeed(KpiProgressFields, Strict):  # type: ignore[misc]  # both configs merge
    """A KPI of seed/kpis.yaml. How its actuals meet its target (KpiProgressFields) is said for
    every KPI: no default stands in for a reading of the plan."""

    id: Slug
    category: Annotated[str, StringConstraints(pattern=r"^(strategic_indicator|numeric_target)$")]
    name: ShortText
    baseline: ValueSeed | None = None
    target: ValueSeed
    period: ShortText | None = None
    accumulation: KpiAccumulation
    value_kind: KpiValueKind
    actions: list[int] = []
    industrial_strategy_target: bool = False
    note: LongText | None = None
    observed_needs: list[Slug] = []
    source: SourceRef

    @model_validator(mode="after")
    def _period_of_a_period_total(self) -> KpiSeed:
        start, end = self.period_start_fiscal_year, self.period_end_fiscal_year
        if self.accumulation is KpiAccumulation.period_total:
            if start is None or end is None or start > end:
                raise ValueError(
                    "period_total needs period_start_fiscal_year <= period_end_fiscal_year"
                )
        elif start is not None or end is not None:
            raise ValueError("only a period_total KPI has a period_start/end_fiscal_year")
        return self


class ProgrammeSeed(ProgrammeFields, Strict):  # type: ignore[misc]  # both configs merge
    """A programme of seed/programmes.yaml: the shared fields (ProgrammeFields) plus its links
    to the plan and its operators."""

    aliases: list[ShortText] = []
    operators: list[Slug] = []
    actions: list[int] = []
    measures: list[MeasureRef] = []
    support_types: list[SupportTypeCode] = []
    source: SourceRef
    # every programme of the file is named in the plan, so its source year is the plan's
    as_of: int | None = PLAN_YEAR


class NeedSeed(Strict):
    id: Slug
    label: ShortText
    topic: ShortText  # the need as a noun phrase: 資金の融資 (label: 資金の融資を受けたい)
    label_en: ShortText | None = None
    category: ShortText
    support_type: SupportTypeCode
    actions: list[int] = []
    agencies: list[Slug] = []
    in_figure: bool = False
    general: bool = False
    figure_order: int | None = None
    source: SourceRef


class MunicipalitySeed(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^35\d{3}$")]
    name: ShortText
    kind: Annotated[str, StringConstraints(pattern=r"^(city|town)$")]


class PhoneSeed(Strict):
    label: ShortText | None = None
    number: PhoneNumber


class ContactPointSeed(ContactPointFields, Strict):  # type: ignore[misc]  # both configs merge
    """A contact point of seed/contact-points.yaml: the shared fields (ContactPointFields) plus
    its phones and the 市町 it serves. (Strict's configuration applies: no unknown field.)"""

    phones: list[PhoneSeed] = []
    municipalities: list[MunicipalityCode] = []
