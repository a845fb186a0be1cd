"""CSV downloads for Excel (UTF-8 with BOM, CRLF, Japanese headers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.routers.auth import AnalystDep, PrincipalDep
from app.routers.progress import DEFINITIONS, FiscalYearQuery
from app.routers.referrals import ReferralFilters
from app.services import exports as service
from app.services import progress as progress_service
from app.services.referrals import referral_conditions

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

router = APIRouter(prefix="/v1/exports", tags=[Tag.EXPORTS])


def _csv_response(export: service.CsvExport) -> StreamingResponse:
    return StreamingResponse(
        service.encode_csv(export.header, export.rows),
        media_type=CSV_MEDIA_TYPE,
        headers={
            "Content-Disposition": service.content_disposition(
                export.ascii_name, export.japanese_name
            )
        },
    )


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def _doc(example: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "CSV（UTF-8 BOM 付き、改行 CRLF）",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": example}},
        }
    }


@router.get(
    "/agencies.csv",
    response_class=StreamingResponse,
    summary="支援機関の CSV",
    description=(
        "支援機関の一覧を Excel でそのまま開ける CSV で返します（UTF-8 BOM 付き、CRLF）。"
        "支援の種類の列は役割表の○（○ または空欄）です。"
        "= + - @ で始まるセルは先頭に ' を付けて数式として実行されないようにしています。"
    ),
    responses=_doc(
        "機関ID,機関名,略称,…,創業支援,成長支援,…\r\nyipf,公益財団法人やまぐち産業振興財団,…,○,○,…\r\n"
    ),
)
def export_agencies_csv(session: SessionDep) -> StreamingResponse:
    return _csv_response(service.agencies_export(_engine(session)))


@router.get(
    "/programmes.csv",
    response_class=StreamingResponse,
    summary="制度の CSV",
    description=(
        "制度の一覧（運営機関、アクション、取組方針、支援の種類、出典）を CSV で返します。"
        "複数の値は「、」で区切ります。"
    ),
    responses=_doc(
        "制度ID,制度名,別名,種類,…\r\nbusiness-succession-desk,事業引継ぎ相談窓口,…\r\n"
    ),
)
def export_programmes_csv(session: SessionDep) -> StreamingResponse:
    return _csv_response(service.programmes_export(_engine(session)))


@router.get(
    "/contact-points.csv",
    response_class=StreamingResponse,
    summary="窓口（連絡先）の CSV",
    description=(
        "窓口の連絡先を出典・時点・確認状況とともに CSV で返します。不明な項目は空欄です。"
        "電話が複数ある窓口は「用途: 番号」を / で区切ります。"
    ),
    responses=_doc(
        "窓口ID,窓口名,機関ID,機関名,…\r\nchamber-federation,山口県商工会議所連合会,…\r\n"
    ),
)
def export_contact_points_csv(session: SessionDep) -> StreamingResponse:
    return _csv_response(service.contact_points_export(_engine(session)))


@router.get(
    "/referrals.csv",
    response_class=StreamingResponse,
    summary="紹介の CSV",
    description=(
        "見られる紹介（front_desk は自分が作成した紹介、agency_editor は自機関あて、admin はすべて）を"
        "古い順に CSV で返します。API キーが必要です。絞り込みは GET /v1/referrals と同じです。"
        "日時は日本時間です。事業者名・連絡先は同意があり、まだ削除されていない紹介だけに入ります。"
    ),
    responses={
        **_doc(
            "紹介ID,状態,作成日時（日本時間）,…\r\n"
            "12,送付済み（sent）,2026-11-28 10:15,…,山口県産業技術センター,…\r\n"
        ),
        **problem_responses(401, 422, 429),
    },
)
def export_referrals_csv(
    session: SessionDep, principal: PrincipalDep, filters: ReferralFilters
) -> StreamingResponse:
    conditions = referral_conditions(principal, **filters)
    return _csv_response(service.referrals_export(_engine(session), conditions))


@router.get(
    "/progress.csv",
    response_class=StreamingResponse,
    summary="進行管理の CSV",
    description=(
        "GET /v1/progress と同じ数字を1つの表にした CSV です（UTF-8 BOM 付き、CRLF、日本語の見出し）。"
        "紹介の件数の行（合計・ニーズ不明・アクション・支援の種類・市町）のあとに、数値目標の行"
        "（現状値・目標値・その年度の実績・目標と比べる値・達成率・本サービス経由の件数（参考）・出典）が続きます。"
        + DEFINITIONS
        + "admin または analyst の API キーが必要です。"
    ),
    responses={
        **_doc(
            "区分,キー,名称,年度,送付済み,受付,辞退,完了,受付までの日数（中央値）,…\r\n"
            "合計,,すべての紹介,2026年度（令和8年度）,12,9,1,4,2.5,…\r\n"
        ),
        **problem_responses(401, 403, 422, 429),
    },
)
def progress_csv(
    session: SessionDep, _: AnalystDep, fiscal_year: FiscalYearQuery
) -> StreamingResponse:
    return _csv_response(service.progress_export(progress_service.progress(session, fiscal_year)))
