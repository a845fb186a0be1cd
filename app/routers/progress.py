"""The yearly review (進行管理): a fiscal year's referral outcomes beside the KPIs' actuals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.models.types import FIRST_FISCAL_YEAR
from app.routers.auth import AnalystDep
from app.schemas import examples
from app.schemas.examples import example_response
from app.schemas.progress import ProgressOut
from app.services import progress as service

router = APIRouter(prefix="/v1", tags=[Tag.PLAN])

DEFINITIONS = (
    "送付済み（sent）はその年度に作成された紹介、受付・辞退・完了はその年度にその状態に変わった紹介の件数です"
    "（3月に送付され4月に受付になった紹介は、送付は前年度、受付は新年度に数えます）。"
    "受付までの日数は、その年度に受付になった紹介の送付から受付までの日数の中央値です。"
    "アクション・支援の種類は紹介の相談内容から読み取ったニーズによります"
    "（1件が複数に数えられることがあり、ニーズを読み取れなかった紹介は `unclassified` に数えます）。"
    "すべて紹介と状態の履歴から集計し、相談内容や事業者の情報は含みません。"
)


def fiscal_year_query(
    fiscal_year: Annotated[
        int | None,
        Query(
            ge=FIRST_FISCAL_YEAR,
            le=2100,
            description=(
                "年度（4月〜翌年3月、日本時間。2026 は 2026年4月1日〜2027年3月31日）。"
                "省略すると今年度。2013 年度から来年度まで"
            ),
            examples=[2026],
        ),
    ] = None,
) -> int:
    return service.check_fiscal_year(fiscal_year)


FiscalYearQuery = Annotated[int, Depends(fiscal_year_query)]


@router.get(
    "/progress",
    response_model=ProgressOut,
    summary="進行管理: 年度の紹介の状況と数値目標の実績",
    description=(
        "計画の進行管理のために、1年度（4月〜翌年3月、日本時間）の紹介の状況を、計画のアクション・"
        "支援の種類・市町ごとに返し、数値目標ごとにその年度の実績と進み具合を並べます。"
        "本サービスが自分で数えられる指標（例: 関係支援機関の支援による創業数）には、"
        "この年度に完了した対応するニーズの紹介の件数を `observed` として参考に添えます"
        "（記録された実績とは別の、本サービス経由の件数です）。"
        + DEFINITIONS
        + "admin または analyst の API キーが必要です。"
    ),
    responses={**example_response(examples.PROGRESS), **problem_responses(401, 403, 422, 429)},
)
def get_progress(session: SessionDep, _: AnalystDep, fiscal_year: FiscalYearQuery) -> ProgressOut:
    return service.progress(session, fiscal_year)
