"""Response models of the yearly review (進行管理): referral outcomes of a fiscal year and the
KPIs' actuals beside them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.models.types import OBSERVED_LABEL, KpiAccumulation
from app.schemas.plan import KpiActualOut, KpiProgressOut, ValueOut


class OutcomeCounts(BaseModel):
    """What happened to referrals in the fiscal year, from their status history."""

    sent: int = Field(description="この年度に送付された紹介の件数", examples=[12])
    accepted: int = Field(description="この年度に受付（accepted）になった件数", examples=[9])
    declined: int = Field(description="この年度に辞退（declined）になった件数", examples=[1])
    completed: int = Field(description="この年度に完了（completed）になった件数", examples=[4])
    median_days_to_accept: float | None = Field(
        description=(
            "この年度に受付になった紹介の、送付から受付までの日数の中央値（小数1桁）。"
            "受付がなければ null"
        ),
        examples=[2.5],
    )


class GroupName(BaseModel):
    key: str = Field(description="アクション番号・支援の種類コード・市町コード", examples=["6"])
    label: str = Field(examples=["創業支援の強化"])


class OutcomeGroup(OutcomeCounts, GroupName):
    """The counts of one action, support type or 市町 (its name first)."""


class OutcomeColumn(BaseModel):
    key: str = Field(examples=["sent"])
    label: str = Field(examples=["送付済み"])


class PeriodOut(BaseModel):
    first_day: date = Field(examples=["2026-04-01"])
    last_day: date = Field(examples=["2027-03-31"])
    time_zone: str = Field(examples=["Asia/Tokyo"])


class ObservedOut(BaseModel):
    """The service's own count beside a KPI's actual: for reference, not the official figure."""

    value: int = Field(examples=[3])
    label: str = Field(default=OBSERVED_LABEL, examples=[OBSERVED_LABEL])
    need_ids: list[str] = Field(
        description="数えた紹介のニーズ（このいずれかを含む紹介）", examples=[["start-business"]]
    )
    status: str = Field(description="数えた状態", examples=["completed"])


class ProgressKpiOut(BaseModel):
    id: str = Field(examples=["startups-supported"])
    name: str = Field(examples=["関係支援機関の支援による創業数"])
    category: str
    actions: list[int]
    baseline: ValueOut | None
    target: ValueOut
    accumulation: KpiAccumulation
    accumulation_label: str
    actual: KpiActualOut | None = Field(description="この年度に記録された実績（なければ null）")
    progress: KpiProgressOut | None = Field(
        description="この年度までの実績による進み具合（実績がなければ null）"
    )
    observed: ObservedOut | None = Field(
        description=(
            "本サービスが自分で数えられる指標だけ: この年度に完了した、対応するニーズの紹介の件数（参考）"
        )
    )


class ProgressOut(BaseModel):
    fiscal_year: int = Field(examples=[2026])
    fiscal_year_label: str = Field(examples=["2026年度（令和8年度）"])
    period: PeriodOut
    columns: list[OutcomeColumn] = Field(description="件数の列と、その日本語の見出し")
    totals: OutcomeCounts = Field(description="すべての紹介")
    unclassified: OutcomeCounts = Field(
        description="ニーズを読み取れなかった紹介（アクション・支援の種類の集計に入りません）"
    )
    by_action: list[OutcomeGroup] = Field(
        description="計画のアクションごと（紹介のニーズが属するアクション。1件が複数のアクションに数えられることがあります）"
    )
    by_support_type: list[OutcomeGroup] = Field(
        description="支援の種類ごと（紹介のニーズの支援の種類。1件が複数に数えられることがあります）"
    )
    by_municipality: list[OutcomeGroup] = Field(description="紹介元の市町ごと")
    kpis: list[ProgressKpiOut] = Field(description="数値目標ごとの、この年度の実績と進み具合")
