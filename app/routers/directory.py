"""Support types, agencies, the role matrix, municipalities and contact points."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.core.caching import NOT_MODIFIED, conditional
from app.core.concurrency import etag
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.i18n import current_language, language_of
from app.core.openapi import Tag
from app.core.pagination import Page, PageDep
from app.routers.deps import DirectoryDep, from_memory
from app.schemas import examples
from app.schemas.directory import (
    AgencyDetail,
    AgencySummary,
    ContactPointOut,
    LocalOfficeOut,
    MunicipalityOut,
    RoleMatrixOut,
    SupportTypeOut,
)
from app.schemas.examples import example_response
from app.services import directory as service
from app.services import english
from app.services.matching import local_offices_of

router = APIRouter(prefix="/v1")

ENGLISH_NAMES = (
    "`Accept-Language: en` では、英語名のある支援の種類・機関の `name` を英語で返します"
    "（`Content-Language: en`）。With `Accept-Language: en`, names are in English where known."
)

SupportTypeQ = Annotated[
    str | None,
    Query(max_length=40, description="支援の種類コード（例: technology）", examples=["technology"]),
]
SearchQ = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="名称・説明の部分一致検索（日本語可）",
        examples=["技術"],
    ),
]


@router.get(
    "/support-types",
    response_model=list[SupportTypeOut],
    tags=[Tag.SUPPORT_TYPES],
    summary="支援の種類（役割表の6列）",
    description="計画の役割表の6つの支援の種類を、計画の順に返します。" + ENGLISH_NAMES,
    responses={**example_response(examples.SUPPORT_TYPES), **NOT_MODIFIED},
)
async def list_support_types(request: Request, directory: DirectoryDep) -> Response:
    listings = directory.listings
    if current_language() == "en":
        return conditional(request, listings.support_types_en, language="en")
    return conditional(request, listings.support_types)


@router.get(
    "/agencies",
    response_model=Page[AgencySummary],
    tags=[Tag.AGENCIES],
    summary="支援機関の一覧",
    description=(
        "計画が支援者として挙げる機関の一覧です。役割表の機関が計画の順に先頭に並びます。"
        "`support_type` でその役割（○）を持つ機関に、`q` で名称・説明の部分一致に絞り込めます。"
        + ENGLISH_NAMES
    ),
    responses={
        **example_response(examples.AGENCIES),
        **problem_responses(422),
        **NOT_MODIFIED,
    },
)
async def list_agencies(
    request: Request,
    directory: DirectoryDep,
    page: PageDep,
    support_type: SupportTypeQ = None,
    q: SearchQ = None,
) -> Response:
    language = current_language()
    listed = await from_memory(
        lambda cached: directory.listings.agencies(
            page.limit, page.offset, support_type, q, cached_only=cached, language=language
        )
    )
    return conditional(request, listed, language=language)


@router.get(
    "/agencies/{agency_id}",
    response_model=AgencyDetail,
    tags=[Tag.AGENCIES],
    summary="支援機関の詳細",
    description=(
        "機関の役割、説明、親子関係、運営する制度、窓口（連絡先と出典）を返します。"
        "`municipality`（市町名または JIS コード）を付けると、その市町を担当する具体的な事務所"
        "（`local_offices`、近い順）も返します（/v1/match と同じ解決）。"
        "`ETag` ヘッダーは機関の版で、編集時の `If-Match` に使えます"
        "（メモリ上のディレクトリから応答します。ほかのサーバープロセスでの編集は1秒以内に反映されます）。"
        + ENGLISH_NAMES
    ),
    responses={**example_response(examples.AGENCY), **problem_responses(404, 422)},
)
async def get_agency(
    request: Request,
    directory: DirectoryDep,
    agency_id: Annotated[str, Path(max_length=80, examples=["yamaguchi-itc"])],
    municipality: Annotated[
        str | None,
        Query(max_length=40, description="市町名または JIS コード", examples=["萩市"]),
    ] = None,
) -> Response:
    # From the in-memory directory: rendered once per generation as it is asked most (no 市町,
    # in Japanese); otherwise built from the same memory off the event loop (an agency may have
    # thousands of windows).
    listings = directory.listings
    headers = {"ETag": etag(listings.agency_revision(agency_id))}
    english_asked = language_of(request.scope) == "en"
    if municipality is None and not english_asked:
        detail = await from_memory(
            lambda cached: listings.agency_detail(agency_id, cached_only=cached)
        )
        return Response(detail.body, media_type="application/json", headers=headers)

    def build() -> bytes:
        out = listings.agency_detail_out(agency_id)
        if municipality is not None:
            out.local_offices = [
                LocalOfficeOut.model_validate(office)
                for office in local_offices_of(directory, agency_id, municipality)
            ]
        if not english_asked:
            return out.model_dump_json().encode()
        translated = english.agency(out.model_dump(mode="json"), directory.snapshot)
        return AgencyDetail.model_validate(translated).model_dump_json().encode()

    if english_asked:
        headers["Content-Language"] = "en"
    body = await run_in_threadpool(build)
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/role-matrix",
    response_model=RoleMatrixOut,
    tags=[Tag.AGENCIES],
    summary="支援機関等の役割表",
    description="第2章「支援機関等の役割」の○の表です（商工会議所と商工会は別の行）。"
    + ENGLISH_NAMES,
    responses={**example_response(examples.ROLE_MATRIX), **NOT_MODIFIED},
)
async def get_role_matrix(request: Request, directory: DirectoryDep) -> Response:
    if current_language() == "en":
        return conditional(request, directory.listings.role_matrix_en, language="en")
    return conditional(request, directory.listings.role_matrix)


@router.get(
    "/municipalities",
    response_model=Page[MunicipalityOut],
    tags=[Tag.CONTACTS],
    summary="山口県の19市町",
    description=(
        "山口県の19市町（13市・6町）を JIS 市町村コードの順に返します。"
        "`municipality` を受け取る API には、市町名（例: 萩市）とコード（例: 35204）のどちらも使えます。"
    ),
    responses={**example_response(examples.MUNICIPALITIES), **problem_responses(422)},
)
def list_municipalities(session: SessionDep, page: PageDep) -> Page[MunicipalityOut]:
    return service.list_municipalities(session, page)


@router.get(
    "/contact-points",
    response_model=Page[ContactPointOut],
    tags=[Tag.CONTACTS],
    summary="窓口（連絡先）の一覧",
    description=(
        "窓口の連絡先を出典・時点・確認状況とともに返します。不明な項目は null です。"
        "`municipality`（市町名または JIS コード）を指定すると、その市町を担当する窓口と県全域の窓口を返します。"
    ),
    responses={
        **example_response(examples.CONTACT_POINTS),
        **problem_responses(422),
        **NOT_MODIFIED,
    },
)
async def list_contact_points(
    request: Request,
    directory: DirectoryDep,
    page: PageDep,
    agency: Annotated[str | None, Query(max_length=80, examples=["yipf"])] = None,
    municipality: Annotated[
        str | None, Query(min_length=1, max_length=40, examples=["萩市"])
    ] = None,
) -> Response:
    listed = await from_memory(
        lambda cached: directory.listings.contact_points(
            page.limit, page.offset, agency, municipality, cached_only=cached
        )
    )
    return conditional(request, listed)
