"""Response models for pillars, actions, measures, initiatives, schedules and KPIs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel._compat import SQLModelConfig

from app.models.plan import KpiActualFields, KpiProgressFields
from app.schemas.access import UtcModel
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


class KpiActualPut(KpiActualFields):
    """An actual as the admin records it: the shared fields (KpiActualFields)."""

    model_config = SQLModelConfig(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "value": 158,
                    "text": "158社",
                    "source": "記入例（実際の値ではありません）",
                    "note": "API の使い方を示すための架空の値です。",
                }
            ]
        },
    )


class KpiActualOut(KpiActualFields, UtcModel):
    """A recorded actual, with what it counts for against the target."""

    kpi_id: str = Field(examples=["startups-supported"])
    fiscal_year: int = Field(description="年度（4月〜翌年3月）", examples=[2026])
    fiscal_year_label: str = Field(examples=["2026年度（令和8年度）"])
    compared_value: float = Field(
        description=(
            "目標と比べる値: 計画期間の累計の指標は期間の初年度からこの年度までの実績の合計、"
            "それ以外はこの年度の値"
        )
    )
    rate: float | None = Field(
        description="この年度までの進み具合: 現状値から目標値までの道のりのうち進んだ割合（1 = 目標達成）"
    )
    revision: int = Field(description="版番号。ETag ヘッダーと同じ値です。")
    updated_at: datetime


class KpiProgressOut(BaseModel):
    """How far a KPI has come by the latest fiscal year with an actual."""

    fiscal_year: int = Field(examples=[2026])
    fiscal_year_label: str = Field(examples=["2026年度（令和8年度）"])
    value: float = Field(description="目標と比べる値（累計の指標は累計）", examples=[158])
    baseline: float = Field(
        description="道のりの起点: 現状値（計画期間の累計の指標は 0、現状値がなければ 0）",
        examples=[146],
    )
    target: float | None = Field(examples=[180])
    rate: float | None = Field(
        description=(
            "(value - baseline) / (target - baseline)。1 で目標達成、1 を超えれば上回り、"
            "負なら現状値を下回っています。目標値がなければ null"
        ),
        examples=[0.3529],
    )


class KpiHead(BaseModel):
    id: str
    category: str = Field(
        description="strategic_indicator（産業戦略指標）/ numeric_target（数値目標）"
    )
    name: str
    baseline: ValueOut | None
    target: ValueOut
    period: str | None = None


class KpiOut(KpiProgressFields, KpiHead):
    """A KPI: what the plan says (KpiHead), how its actuals meet the target (KpiProgressFields),
    and the actuals recorded so far with the progress they make."""

    accumulation_label: str = Field(examples=["単年度の値"])
    actions: list[int]
    industrial_strategy_target: bool = Field(description="やまぐち産業戦略推進計画の数値目標（※）")
    note: str | None = None
    source: SourceOut
    actuals: list[KpiActualOut] = Field(description="記録された年度ごとの実績（年度順）")
    progress: KpiProgressOut | None = Field(
        description="実績のある最新の年度での進み具合（実績がなければ null）"
    )


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
