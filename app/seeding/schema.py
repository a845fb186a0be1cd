"""Pydantic models of the seed YAML files in ``seed/``.

The seed is the plan transcribed as reviewed data. These models are the contract for its
authors: every file is validated against them before anything is written to the database, and a
validation error names the file, the entry and the field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
FiscalYear = Annotated[str, StringConstraints(pattern=r"^H(2[5-9]|3[0-1])$")]
MeasureRef = Annotated[str, StringConstraints(pattern=r"^(1[0-2]|[1-9])\.[1-9]$")]
# Contact formats, shared with the admin API's request models.
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^[0-9][0-9-]{8,14}$")]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{3}-\d{4}$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Url = Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://\S+$")]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^35\d{3}$")]

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


class ProgrammeKind(StrEnum):
    subsidy = "subsidy"
    loan = "loan"
    guarantee = "guarantee"
    investment = "investment"
    tax_incentive = "tax_incentive"
    consultation = "consultation"
    expert_dispatch = "expert_dispatch"
    seminar_training = "seminar_training"
    certification = "certification"
    matching_event = "matching_event"
    facility = "facility"
    network_council = "network_council"
    other = "other"


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


class AgencySeed(Strict):
    id: Slug
    name: ShortText
    short_name: ShortText
    name_en: ShortText | None = None
    aliases: list[ShortText] = []
    category: ShortText
    role_label: ShortText | None = None
    description: LongText | None = None
    parent_id: Slug | None = None
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


class KpiSeed(Strict):
    id: Slug
    category: Annotated[str, StringConstraints(pattern=r"^(strategic_indicator|numeric_target)$")]
    name: ShortText
    baseline: ValueSeed | None = None
    target: ValueSeed
    period: ShortText | None = None
    actions: list[int] = []
    industrial_strategy_target: bool = False
    note: LongText | None = None
    source: SourceRef


class ProgrammeSeed(Strict):
    id: Slug
    name: ShortText
    aliases: list[ShortText] = []
    kind: ProgrammeKind
    operators: list[Slug] = []
    actions: list[int] = []
    measures: list[MeasureRef] = []
    support_types: list[SupportTypeCode] = []
    description: LongText
    status_note: ShortText | None = None
    source: SourceRef


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


class ContactPointSeed(Strict):
    id: Slug
    name: ShortText
    agency_id: Slug
    role: ShortText | None = None
    postal_code: PostalCode | None = None
    address: ShortText | None = None
    phones: list[PhoneSeed] = []
    fax: PhoneNumber | None = None
    email: Email | None = None
    url: Url | None = None
    hours: ShortText | None = None
    municipalities: list[MunicipalityCode] = []
    prefecture_wide: bool = False
    general_fallback: bool = False
    programme_id: Slug | None = None
    source: ShortText
    as_of: ShortText | None = None
    verified: bool = False
