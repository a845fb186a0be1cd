"""The plan's structure: pillars, actions, measures, initiatives, schedule entries and KPIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from app.models.common import json_field, timestamp_field
from app.models.types import (
    FIRST_FISCAL_YEAR,
    KpiAccumulation,
    KpiValueKind,
    LongText,
    ShortText,
)


class Pillar(SQLModel, table=True):
    __tablename__ = "pillar"

    number: int = Field(primary_key=True)
    title: str = Field(max_length=300)
    slogan: str = Field(max_length=300)
    goal: str = Field(max_length=4000)


class Action(SQLModel, table=True):
    __tablename__ = "action"

    number: int = Field(primary_key=True)
    title: str = Field(max_length=300)
    pillar_number: int = Field(foreign_key="pillar.number", index=True)
    strategic: bool = False
    focus: str | None = Field(default=None, max_length=300)
    challenges: list[dict[str, Any]] = json_field()
    past_initiatives: list[str] = json_field()
    # Conflicts within the plan that the data settles (第1章 lists four measures, 第3章 five).
    notes: list[str] = json_field()
    source_section: str = Field(max_length=300)
    source_page: int | None = None


class Measure(SQLModel, table=True):
    """A numbered item of 今後の取組方針."""

    __tablename__ = "measure"
    __table_args__ = (UniqueConstraint("action_number", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    action_number: int = Field(foreign_key="action.number", index=True)
    number: int
    title: str = Field(max_length=300)
    text: str = Field(max_length=4000)
    strategic: bool = False


class Initiative(SQLModel, table=True):
    """A ◇ item of 【主な取組】 under a measure."""

    __tablename__ = "initiative"

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    position: int
    title: str = Field(max_length=300)
    points: list[str] = json_field()


class InitiativeBody(SQLModel, table=True):
    """A responsible body of an initiative as the plan writes it (【県・財団】), resolved if known."""

    __tablename__ = "initiative_body"

    initiative_id: int = Field(foreign_key="initiative.id", primary_key=True)
    position: int = Field(primary_key=True)
    label: str = Field(max_length=100)
    agency_id: str | None = Field(default=None, foreign_key="agency.id", index=True, max_length=80)


class ScheduleEntry(SQLModel, table=True):
    """A cell or span of a 工程表 row, in fiscal years (H25 = FY2013)."""

    __tablename__ = "schedule_entry"

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    start_fiscal_year: int
    end_fiscal_year: int
    text: str = Field(max_length=300)
    # reconstructed from the plan's flattened 工程表, not read from a table cell
    inferred: bool = True
    note: str | None = Field(default=None, max_length=4000)


class KpiProgressFields(SQLModel):
    """How a KPI's actuals are read against its target, one definition for the table (Kpi), the
    seed (KpiSeed) and the API's answer (KpiOut). Said per KPI in seed/kpis.yaml."""

    # stored as text (not a database enum): a new kind needs no migration
    accumulation: KpiAccumulation = Field(
        default=KpiAccumulation.annual,
        sa_type=AutoString(length=20),
        description="annual（単年度の値）/ period_total（計画期間の累計）/ running_total（累計値）",
    )
    value_kind: KpiValueKind = Field(
        default=KpiValueKind.integer,
        sa_type=AutoString(length=20),
        description="integer（件数: 0以上の整数）/ percent（0〜100）/ amount（0以上の数）",
    )
    period_start_fiscal_year: int | None = Field(
        default=None,
        ge=FIRST_FISCAL_YEAR,
        le=2100,
        description="period_total の計画期間の初年度（H25 = 2013）",
    )
    period_end_fiscal_year: int | None = Field(
        default=None,
        ge=FIRST_FISCAL_YEAR,
        le=2100,
        description="period_total の計画期間の最終年度（H28 = 2016）",
    )


class Kpi(KpiProgressFields, table=True):
    __tablename__ = "kpi"

    id: str = Field(primary_key=True, max_length=80)
    category: str = Field(max_length=40)
    name: str = Field(max_length=300)
    baseline_value: float | None = None
    baseline_unit: str | None = Field(default=None, max_length=40)
    baseline_year: str | None = Field(default=None, max_length=40)
    baseline_text: str | None = Field(default=None, max_length=300)
    target_value: float | None = None
    target_unit: str | None = Field(default=None, max_length=40)
    target_text: str = Field(max_length=300)
    period: str | None = Field(default=None, max_length=300)
    industrial_strategy_target: bool = False
    note: str | None = Field(default=None, max_length=4000)
    source_section: str = Field(max_length=300)
    sort_order: int = 0
    # The needs whose referrals, completed in a fiscal year, the service counts beside this
    # KPI's actual (GET /v1/progress); None for a KPI the service cannot observe.
    observed_need_ids: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class KpiAction(SQLModel, table=True):
    __tablename__ = "kpi_action"

    kpi_id: str = Field(foreign_key="kpi.id", primary_key=True, max_length=80)
    action_number: int = Field(foreign_key="action.number", primary_key=True)


class KpiActualFields(SQLModel):
    """A KPI's recorded value for one fiscal year, one definition for the table (KpiActual), the
    admin's request (KpiActualPut), the answers (KpiActualOut) and the CSV (headers: the
    `title`s). Whether `value` makes sense for the KPI (a whole count, a share up to 100) is
    checked against the KPI when it is written (app/services/kpi_actuals.py)."""

    value: float = Field(
        ge=0,
        le=1e15,
        title="実績値",
        description="その年度の値（期間累計の指標でも、その年度の分だけ）",
        schema_extra={"allow_inf_nan": False, "examples": [158]},
    )
    text: ShortText | None = Field(
        default=None,
        max_length=300,
        title="実績（表記）",
        description="計画や資料での書き方（例: 158社）",
    )
    source: ShortText = Field(
        max_length=300, title="出典", description="実績の出典（調査名・資料名など）"
    )
    note: LongText | None = Field(default=None, max_length=4000, title="備考")


class KpiActual(KpiActualFields, table=True):
    """The actual of a KPI in a fiscal year (April to March), recorded by an admin."""

    __tablename__ = "kpi_actual"

    kpi_id: str = Field(foreign_key="kpi.id", primary_key=True, max_length=80, ondelete="CASCADE")
    fiscal_year: int = Field(primary_key=True)
    revision: int = 1
    updated_at: datetime = timestamp_field()
