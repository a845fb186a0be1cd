"""Recording the yearly actuals of the plan's KPIs (admin): the figures of 進行管理."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.core.concurrency import IfMatch, set_etag
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.models.types import FIRST_FISCAL_YEAR
from app.routers.auth import AdminDep
from app.routers.plan import KpiId
from app.schemas import examples
from app.schemas.examples import example_response
from app.schemas.plan import KpiActualOut, KpiActualPut
from app.services import kpi_actuals as service

router = APIRouter(prefix="/v1/admin", tags=[Tag.ADMIN])

FiscalYear = Annotated[
    int,
    Path(
        ge=FIRST_FISCAL_YEAR,
        le=2100,
        description="年度（4月〜翌年3月。2026 は 2026年4月1日〜2027年3月31日、日本時間）",
        examples=[2026],
    ),
]
ETAG_NOTE = "応答の `ETag` ヘッダーを次の更新の `If-Match` に付けると、他の更新との衝突を検出できます（412）。"
VALUE_RULES = (
    "年度は 2013 年度（計画の初年度）から今年度まで、計画期間の累計の指標は計画期間（2013〜2016 年度）の中だけです。"
    "値は指標の種類（`value_kind`）に合うものだけを受け付けます: 件数（integer）は0以上の整数、"
    "割合（percent）は 0〜100、金額など（amount）は0以上の数。合わない値は項目名つきの 422 です。"
)


@router.get(
    "/kpis/{kpi_id}/actuals/{fiscal_year}",
    response_model=KpiActualOut,
    summary="数値目標の実績（編集用）の取得（admin）",
    description="記録された1年度分の実績と版番号を返します。" + ETAG_NOTE,
    responses={
        **example_response(examples.KPI_ACTUAL),
        **problem_responses(401, 403, 404, 422, 429),
    },
)
def get_kpi_actual(
    kpi_id: KpiId,
    fiscal_year: FiscalYear,
    session: SessionDep,
    _: AdminDep,
    response: Response,
) -> KpiActualOut:
    out = service.get_actual(session, kpi_id, fiscal_year)
    set_etag(response, out.revision)
    return out


@router.put(
    "/kpis/{kpi_id}/actuals/{fiscal_year}",
    status_code=201,
    response_model=KpiActualOut,
    summary="数値目標の実績の記録（admin）",
    description=(
        "指標のある年度の実績（値・表記・出典・備考）を記録します。まだなければ新しく記録して 201、"
        "すでにあれば置き換えて 200 を返します。記録は監査ログに残り、次の GET /v1/kpis から反映されます。"
        "計画期間の累計の指標でも、その年度の分だけの値を記録してください（累計は API が計算します）。"
        + VALUE_RULES
        + ETAG_NOTE
        + "まだ記録のない年度に If-Match を付けると 412 です。"
    ),
    responses={
        **example_response(examples.KPI_ACTUAL_CREATED, 201, "新しく記録しました"),
        200: {
            "model": KpiActualOut,
            "description": "記録済みの実績を置き換えました",
            "content": {"application/json": {"example": examples.KPI_ACTUAL_REPLACED}},
        },
        **problem_responses(401, 403, 404, 412, 413, 422, 429),
    },
)
def put_kpi_actual(
    kpi_id: KpiId,
    fiscal_year: FiscalYear,
    body: KpiActualPut,
    session: SessionDep,
    principal: AdminDep,
    response: Response,
    if_match: IfMatch = None,
) -> KpiActualOut:
    out, created = service.put_actual(session, principal, kpi_id, fiscal_year, body, if_match)
    response.status_code = 201 if created else 200
    set_etag(response, out.revision)
    return out


@router.delete(
    "/kpis/{kpi_id}/actuals/{fiscal_year}",
    status_code=204,
    summary="数値目標の実績の削除（admin）",
    description="記録された1年度分の実績を削除します（監査ログに残ります）。記録がなければ 404 です。"
    + ETAG_NOTE,
    responses=problem_responses(401, 403, 404, 412, 422, 429),
)
def delete_kpi_actual(
    kpi_id: KpiId,
    fiscal_year: FiscalYear,
    session: SessionDep,
    principal: AdminDep,
    if_match: IfMatch = None,
) -> Response:
    service.delete_actual(session, principal, kpi_id, fiscal_year, if_match)
    return Response(status_code=204)
