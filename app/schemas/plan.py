"""Response models for pillars, actions, measures, initiatives, schedules and KPIs."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.schemas.directory import SourceOut


class PillarOut(BaseModel):
    number: int
    title: str = Field(examples=["産業を支える中小企業力の向上"])
    slogan: str
    goal: str
    actions: list[int]


class PillarRef(BaseModel):
    number: int
    title: str


class ActionSummary(BaseModel):
    number: int = Field(examples=[8])
    title: str = Field(examples=["ものづくり力の高度化・ブランド化の推進"])
    pillar: PillarRef
    strategic: bool = Field(description="やまぐち産業戦略推進計画に掲げられた項目（＊）")
    focus: str | None = None


class ChallengeOut(BaseModel):
    heading: str
    points: list[str]


class ResponsibleBodyOut(BaseModel):
    label: str = Field(description="計画の表記（例: 財団）", examples=["財団"])
    agency_id: str | None = Field(default=None, description="機関として解決できた場合の id")
    agency_name: str | None = None


class ScheduleOut(BaseModel):
    start_fiscal_year: int = Field(examples=[2013])
    end_fiscal_year: int = Field(examples=[2016])
    start_label: str = Field(examples=["H25"])
    end_label: str = Field(examples=["H28"])
    text: str
    inferred: bool = Field(
        description=(
            "true: 計画の工程表（PDF から平文化された表）から年度の範囲を推定したもので、"
            "表のセルをそのまま読んだものではありません"
        )
    )
    note: str | None = Field(default=None, description="計画本文との食い違いなど、この項目の注記")


class InitiativeOut(BaseModel):
    title: str
    responsible: list[ResponsibleBodyOut]
    points: list[str]
    schedule: list[ScheduleOut]


class MeasureOut(BaseModel):
    number: int
    title: str
    text: str
    strategic: bool
    initiatives: list[InitiativeOut]


class ValueOut(BaseModel):
    value: float | None = None
    unit: str | None = None
    year: str | None = None
    text: str | None = None


class KpiOut(BaseModel):
    id: str
    category: str = Field(
        description="strategic_indicator（産業戦略指標）/ numeric_target（数値目標）"
    )
    name: str
    baseline: ValueOut | None
    target: ValueOut
    period: str | None = None
    actions: list[int]
    industrial_strategy_target: bool = Field(description="やまぐち産業戦略推進計画の数値目標（※）")
    note: str | None = None
    source: SourceOut


class ProgrammeBrief(BaseModel):
    id: str
    name: str
    kind: str


class ActionDetail(ActionSummary):
    challenges: list[ChallengeOut]
    measures: list[MeasureOut]
    past_initiatives: list[str]
    notes: list[str] = Field(
        default=[],
        description="計画の中の食い違い（章によって項目数が違うなど）と、このデータの扱い",
    )
    kpis: list[KpiOut]
    programmes: list[ProgrammeBrief]
    source: SourceOut
