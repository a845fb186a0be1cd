"""The plan's structure: pillars, actions, measures, initiatives, schedule entries and KPIs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.common import json_field


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


class Kpi(SQLModel, table=True):
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


class KpiAction(SQLModel, table=True):
    __tablename__ = "kpi_action"

    kpi_id: str = Field(foreign_key="kpi.id", primary_key=True, max_length=80)
    action_number: int = Field(foreign_key="action.number", primary_key=True)
