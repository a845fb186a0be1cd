"""Pillars, actions and KPIs of the plan."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.core.pagination import Page, PageDep
from app.schemas import examples
from app.schemas.examples import example_response
from app.schemas.plan import ActionDetail, ActionSummary, KpiOut, PillarOut
from app.services import plan as service

router = APIRouter(prefix="/v1", tags=[Tag.PLAN])


@router.get(
    "/pillars",
    response_model=list[PillarOut],
    summary="3つの柱",
    description="計画の3つの「柱」と目標、各柱のアクション番号を返します。",
    responses=example_response(examples.PILLARS),
)
def list_pillars(session: SessionDep) -> list[PillarOut]:
    return service.list_pillars(session)


@router.get(
    "/actions",
    response_model=list[ActionSummary],
    summary="12のアクション",
    description="12のアクション（番号・名称・柱）を返します。`pillar` で柱を絞り込めます。",
    responses={**example_response(examples.ACTIONS), **problem_responses(422)},
)
def list_actions(
    session: SessionDep, pillar: Annotated[int | None, Query(ge=1, le=3)] = None
) -> list[ActionSummary]:
    return service.list_actions(session, pillar=pillar)


@router.get(
    "/actions/{number}",
    response_model=ActionDetail,
    summary="アクションの詳細",
    description=(
        "現状と課題、今後の取組方針（measures）、主な取組（実施主体と工程表）、数値目標、関連する制度を返します。"
    ),
    responses={**example_response(examples.ACTION), **problem_responses(404, 422)},
)
def get_action(
    session: SessionDep, number: Annotated[int, Path(ge=1, le=1000, examples=[8])]
) -> ActionDetail:
    return service.get_action(session, number)


@router.get(
    "/kpis",
    response_model=Page[KpiOut],
    summary="産業戦略指標と数値目標",
    description=(
        "3つの産業戦略指標と10の数値目標（現状値・目標値・単位・期間・関連アクション・※印）を返します。"
        "各指標には、管理者が記録した年度ごとの実績（`actuals`、出典・表記・備考つき）と、"
        "実績のある最新の年度での進み具合（`progress`: 現状値から目標値までの道のりのうち進んだ割合 `rate`）が入ります。"
        "計画期間の累計の指標（`accumulation: period_total`）は期間の各年度の実績の合計を、"
        "累計値の指標（`running_total`）は記録された累計値を、単年度の指標（`annual`）はその年度の値を目標と比べます。"
    ),
    responses={**example_response(examples.KPIS), **problem_responses(422)},
)
def list_kpis(
    session: SessionDep,
    page: PageDep,
    category: Annotated[Literal["strategic_indicator", "numeric_target"] | None, Query()] = None,
    action: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> Page[KpiOut]:
    return service.list_kpis(session, page, category=category, action=action)


KpiId = Annotated[str, Path(max_length=80, examples=["startups-supported"])]


@router.get(
    "/kpis/{kpi_id}",
    response_model=KpiOut,
    summary="数値目標の詳細と進み具合",
    description=(
        "1つの指標の現状値・目標値と、年度ごとの実績（`actuals`）、実績のある最新の年度での進み具合"
        "（`progress`）を返します。実績は管理者が PUT /v1/admin/kpis/{kpi_id}/actuals/{fiscal_year} で記録します。"
    ),
    responses={**example_response(examples.KPI), **problem_responses(404, 422)},
)
def get_kpi(kpi_id: KpiId, session: SessionDep) -> KpiOut:
    return service.get_kpi(session, kpi_id)
