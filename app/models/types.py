"""Value types with their validation, shared by the entity base classes (app/models), the seed
(app/seeding/schema.py) and the API's request models: a value is checked the same way whichever
door it comes in by."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^[0-9][0-9-]{8,14}$")]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{3}-\d{4}$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Url = Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://\S+$")]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^35\d{3}$")]


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


# --- KPIs and their yearly actuals (進行管理) ----------------------------------------------------

# The plan's first fiscal year (H25): no KPI actual, no progress report before it.
FIRST_FISCAL_YEAR = 2013


class KpiAccumulation(StrEnum):
    """How a KPI's recorded actuals are compared with its target: said per KPI in
    seed/kpis.yaml, from how the plan writes the target."""

    # 146社/年 → 180社/年, 33％ → 50％: each year's value stands on its own.
    annual = "annual"
    # 4年間(H25～28)で200社以上, （H25～28累計）10件: the yearly values of the plan period add up.
    period_total = "period_total"
    # （累計） 170社 → 230社: the recorded value is itself the running total, like the baseline.
    running_total = "running_total"


ACCUMULATION_LABELS = {
    KpiAccumulation.annual: "単年度の値",
    KpiAccumulation.period_total: "計画期間の累計（各年度の実績の合計）",
    KpiAccumulation.running_total: "累計値（実績そのものが累計）",
}


class KpiValueKind(StrEnum):
    """What a KPI's value is, which says which values make sense."""

    integer = "integer"  # 件, 社, 人: a count, a whole number never negative
    percent = "percent"  # ％: from 0 to 100
    amount = "amount"  # 兆円: a non-negative amount


VALUE_KIND_LABELS = {
    KpiValueKind.integer: "件数（0以上の整数）",
    KpiValueKind.percent: "割合（0〜100の％）",
    KpiValueKind.amount: "金額など（0以上の数）",
}

# What the service counts itself beside a recorded actual (GET /v1/progress, the page, the CSV).
OBSERVED_LABEL = "本サービス経由の紹介で完了した件数（参考）"
