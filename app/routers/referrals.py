"""Closed-loop referrals: created by a front desk, moved along by the receiving agency."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.concurrency import IfMatch, set_etag
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.core.pagination import Page, PageDep
from app.routers.auth import PrincipalDep
from app.routers.deps import DirectoryDep
from app.schemas import examples
from app.schemas.access import as_utc
from app.schemas.examples import example_response
from app.schemas.referrals import (
    ReferralCreate,
    ReferralDetail,
    ReferralOut,
    ReferralStats,
    ReferralStatus,
    ReferralStatusPatch,
)
from app.services import referrals as service
from app.services.access import Principal
from app.services.lookups import resolve_municipality
from app.services.matching import need_ids_of
from app.services.snapshot import Directory

router = APIRouter(prefix="/v1/referrals", tags=[Tag.REFERRALS])

ReferralId = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[1])]
ETAG_NOTE = (
    "応答の `ETag` ヘッダー（= `revision`）を次の更新の `If-Match` に付けると、"
    "他の更新との衝突を検出できます（412）。"
)
VISIBILITY = (
    "front_desk のキーは自分が作成した紹介、agency_editor のキーは自機関あての紹介、"
    "admin はすべてを見られます。見られない紹介は 404 です。"
)


def referral_filters(
    session: SessionDep,
    status: Annotated[ReferralStatus | None, Query()] = None,
    agency_id: Annotated[str | None, Query(max_length=80, examples=["yipf"])] = None,
    municipality: Annotated[
        str | None, Query(min_length=1, max_length=40, description="市町名または JIS コード")
    ] = None,
    created_from: Annotated[
        datetime | None,
        Query(description="作成日時の下限（ISO 8601、含む。タイムゾーンなしは UTC）"),
    ] = None,
    created_to: Annotated[
        datetime | None, Query(description="作成日時の上限（ISO 8601、含まない）")
    ] = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "agency_id": agency_id,
        "municipality_code": resolve_municipality(session, municipality).code
        if municipality
        else None,
        "created_from": as_utc(created_from),
        "created_to": as_utc(created_to),
    }


ReferralFilters = Annotated[dict[str, Any], Depends(referral_filters)]


@router.post(
    "",
    status_code=201,
    response_model=ReferralDetail,
    summary="紹介の送付",
    description=(
        "市町の窓口（front_desk のキー、または admin）が事業者を機関に紹介します。"
        "front_desk のキーは自分の市町からの紹介だけを作れます。"
        "事業者名・連絡先は `consent: true`（事業者の同意あり）のときだけ送れます。"
        "相談内容は紹介照合（POST /v1/match と同じ）にかけ、該当したニーズを `need_ids` に記録します"
        "（集計 GET /v1/referrals/stats の by_need に使います）。"
        "通信が切れたときに安全に再送できるよう、`Idempotency-Key` ヘッダーを付けてください。"
    ),
    responses={
        **example_response(examples.REFERRAL_CREATED, 201),
        200: {
            "model": ReferralDetail,
            "description": "同じ Idempotency-Key・同じ内容の再送: 最初に作成した紹介（作成し直しません）",
            "headers": {
                "Idempotent-Replayed": {
                    "description": "再送への応答であること",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
            "content": {"application/json": {"example": examples.REFERRAL_CREATED}},
        },
        **problem_responses(401, 403, 409, 413, 422, 429),
    },
)
async def create_referral(
    body: ReferralCreate,
    session: SessionDep,
    principal: PrincipalDep,
    directory: DirectoryDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=r"^[!-~]{1,100}$",  # visible ASCII, no spaces: a UUID fits
            max_length=100,
            description=(
                "再送しても二重に作成しないためのキー（例: UUID。空白を含まない ASCII で100文字まで）。同じキーで同じ内容を再送すると、"
                "最初に作成した紹介を 200 で返します（`Idempotent-Replayed: true`）。"
                "同じキーで別の内容を送ると 409 です。"
            ),
            examples=["4f7c2a4e-6f0b-4d3e-9a53-2d1c0b7e9f10"],
        ),
    ] = None,
) -> ReferralDetail:
    # One hop to the threadpool for the whole of the work (the need matching, the masking and
    # the database); the answer is validated and rendered on the event loop.
    out, replayed = await run_in_threadpool(
        _create, session, principal, body, directory, idempotency_key
    )
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    set_etag(response, out.revision)
    return out


def _create(
    session: Session,
    principal: Principal,
    body: ReferralCreate,
    directory: Directory,
    idempotency_key: str | None,
) -> tuple[ReferralDetail, bool]:
    return service.create_referral(
        session,
        principal,
        body,
        need_ids_of(directory, body.text),
        idempotency_key,
        snapshot=directory.snapshot,
    )


@router.get(
    "",
    response_model=Page[ReferralOut],
    summary="紹介の一覧",
    description="新しい順に返します。" + VISIBILITY,
    responses={**example_response(examples.REFERRALS), **problem_responses(401, 422, 429)},
)
def list_referrals(
    session: SessionDep, principal: PrincipalDep, page: PageDep, filters: ReferralFilters
) -> Page[ReferralOut]:
    return service.list_referrals(session, principal, page, **filters)


@router.get(
    "/stats",
    response_model=ReferralStats,
    summary="紹介の集計",
    description=(
        "見られる紹介を、状態・紹介先機関・市町・ニーズごとに数えます。相談内容や個人情報は含みません。"
        + VISIBILITY
    ),
    responses={**example_response(examples.REFERRAL_STATS), **problem_responses(401, 422, 429)},
)
def get_referral_stats(
    session: SessionDep, principal: PrincipalDep, filters: ReferralFilters
) -> ReferralStats:
    return service.stats(session, principal, **filters)


@router.get(
    "/{referral_id}",
    response_model=ReferralDetail,
    summary="紹介の詳細と経過",
    description="紹介の内容と、状態の変更履歴（誰が・いつ）を返します。" + VISIBILITY + ETAG_NOTE,
    responses={**example_response(examples.REFERRAL), **problem_responses(401, 404, 422, 429)},
)
def get_referral(
    referral_id: ReferralId, session: SessionDep, principal: PrincipalDep, response: Response
) -> ReferralDetail:
    out = service.get_referral(session, principal, referral_id)
    set_etag(response, out.revision)
    return out


@router.patch(
    "/{referral_id}",
    response_model=ReferralDetail,
    summary="紹介の状態の更新",
    description=(
        "紹介先の機関（agency_editor）または admin が状態を進めます。"
        "sent → accepted | declined、accepted → in_progress、"
        "in_progress → completed | unreachable | withdrawn。それ以外は 409 です。" + ETAG_NOTE
    ),
    responses={
        **example_response(examples.REFERRAL_ACCEPTED),
        **problem_responses(401, 403, 404, 409, 412, 413, 422, 429),
    },
)
def patch_referral(
    referral_id: ReferralId,
    body: ReferralStatusPatch,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReferralDetail:
    out = service.change_status(session, principal, referral_id, body.status, body.note, if_match)
    set_etag(response, out.revision)
    return out


@router.delete(
    "/{referral_id}/personal-data",
    response_model=ReferralDetail,
    summary="事業者の個人情報の削除",
    description=(
        "事業者名と連絡先を消去し、消去日時を記録します。紹介そのものは匿名の統計として残ります。"
        "作成した窓口、紹介先の機関、admin が実行できます。"
    ),
    responses={
        **example_response(examples.REFERRAL_ERASED),
        **problem_responses(401, 404, 412, 422, 429),
    },
)
def erase_personal_data(
    referral_id: ReferralId, session: SessionDep, principal: PrincipalDep, response: Response
) -> ReferralDetail:
    out = service.erase_personal_data(session, principal, referral_id)
    set_etag(response, out.revision)
    return out
