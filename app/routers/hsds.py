"""Open Referral HSDS 3.0 API: the directory as organizations, services and taxonomies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.core.caching import NOT_MODIFIED, conditional
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.routers.deps import DirectoryDep, from_memory
from app.schemas import examples
from app.schemas.examples import example_response
from app.schemas.hsds import HsdsApiInfo, HsdsPage, hsds_schema_ref
from app.services import hsds as service

CACHE_CONTROL = "public, max-age=60"


def _content(schema_path: str, example: Any) -> dict[str, Any]:
    """The official HSDS schema of a 200 response, with a real example."""
    content = hsds_schema_ref(schema_path)
    content["application/json"]["example"] = example
    return content


def _cacheable(response: Response) -> None:
    response.headers["Cache-Control"] = CACHE_CONTROL


router = APIRouter(prefix="/v1/hsds", tags=[Tag.HSDS], dependencies=[Depends(_cacheable)])

PageQ = Annotated[int, Query(ge=1, le=1_000_000, description="ページ番号（1始まり）", examples=[1])]
PerPageQ = Annotated[
    int, Query(ge=1, le=200, description="1ページの件数（最大200）", examples=[50])
]
SearchQ = Annotated[
    str | None,
    Query(min_length=1, max_length=100, description="名称・説明の部分一致検索（日本語可）"),
]
ID_DESCRIPTION = "HSDS の id（UUID）。madoguchi の id（例: yipf）も使えます。"
ServiceId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=80,
        description=ID_DESCRIPTION,
        examples=["capex-expansion-loan", "ca1c0431-6571-584d-ace1-fc504b9f558b"],
    ),
]
OrganizationId = Annotated[
    str, Path(min_length=1, max_length=80, description=ID_DESCRIPTION, examples=["yamaguchi-itc"])
]
TaxonomyId = Annotated[
    str, Path(min_length=1, max_length=80, description=ID_DESCRIPTION, examples=["support-types"])
]
TermId = Annotated[
    str, Path(min_length=1, max_length=80, description=ID_DESCRIPTION, examples=["startup"])
]
FilterId = Annotated[str | None, Query(min_length=1, max_length=80)]


@router.get(
    "/",
    response_model=HsdsApiInfo,
    summary="HSDS API の情報",
    description=(
        "この API が準拠する HSDS のバージョン（3.0）、プロファイル、OpenAPI 定義の URL を返します。"
        "HSDS の各オブジェクトの id は madoguchi の id から導いた固定の UUID（uuid5）です。"
    ),
    responses=example_response(examples.HSDS_INFO),
)
def get_hsds_info(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return service.api_info(base + (request.app.openapi_url or "/openapi.json"))


@router.get(
    "/services",
    response_model=HsdsPage,
    summary="サービス（制度）の一覧（HSDS）",
    description=(
        "制度を HSDS の service として返します（`contents` の各要素は HSDS の "
        "compiled/service_list.json に従います）。`taxonomy_term_id`（支援の種類・柱・アクションの"
        "用語）、`taxonomy_id`、`organization_id`（運営機関のいずれか）、`modified_after`、"
        "`search` で絞り込めます。id には UUID と madoguchi の id（コード）のどちらも使えます。"
    ),
    responses={
        **example_response(examples.HSDS_SERVICES),
        **problem_responses(422),
        **NOT_MODIFIED,
    },
)
async def list_hsds_services(
    request: Request,
    directory: DirectoryDep,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
    search: SearchQ = None,
    taxonomy_term_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=80,
            description="分類の用語の id またはコード（例: startup, action-6, pillar-3）",
            examples=["startup"],
        ),
    ] = None,
    taxonomy_id: FilterId = None,
    organization_id: Annotated[
        str | None,
        Query(min_length=1, max_length=80, description="組織の id（UUID または madoguchi の id）"),
    ] = None,
    modified_after: Annotated[
        datetime | None, Query(description="この日時以降に更新された制度のみ（ISO 8601）")
    ] = None,
) -> Response:
    listings = directory.listings
    found = listings.service_filter(
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        organization_id=organization_id,
        modified_after=modified_after,
        q=search,
    )
    listed = await from_memory(
        lambda cached: listings.services(page, per_page, found, cached_only=cached)
    )
    return conditional(request, listed, CACHE_CONTROL)


@router.get(
    "/services/{id}",
    response_model=None,
    summary="サービス（制度）の詳細（HSDS）",
    description=(
        "制度を入れ子の HSDS service（compiled/service.json）として返します: 運営機関（organization）"
        "とその窓口、制度専用の窓口（contacts）、支援の種類とアクションへの attributes、出典の metadata。"
    ),
    responses={
        200: {
            "description": "HSDS service",
            "content": _content("service.json", examples.HSDS_SERVICE),
        },
        **problem_responses(404, 422),
    },
)
def get_hsds_service(session: SessionDep, id: ServiceId) -> dict[str, Any]:
    return service.get_service(session, id)


@router.get(
    "/organizations",
    response_model=HsdsPage,
    summary="組織（支援機関）の一覧（HSDS）",
    description=(
        "支援機関を HSDS の organization（compiled/organization_list.json）として、役割表の順に"
        "返します。`search` で名称・説明の部分一致に絞り込めます。"
    ),
    responses={**example_response(examples.HSDS_ORGANIZATIONS), **problem_responses(422)},
)
def list_hsds_organizations(
    session: SessionDep,
    directory: DirectoryDep,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
    search: SearchQ = None,
) -> dict[str, Any]:
    return service.list_organizations(
        session, page, per_page, q=search, index=directory.agency_index
    )


@router.get(
    "/organizations/{id}",
    response_model=None,
    summary="組織（支援機関）の詳細（HSDS）",
    description=(
        "支援機関を入れ子の HSDS organization（compiled/organization.json）として返します: 窓口"
        "（contacts と phones）、役割表の○（attributes）、madoguchi の id（organization_identifiers）、"
        "運営する制度（services）、出典（metadata）。"
    ),
    responses={
        200: {
            "description": "HSDS organization",
            "content": _content("organization.json", examples.HSDS_ORGANIZATION),
        },
        **problem_responses(404, 422),
    },
)
def get_hsds_organization(session: SessionDep, id: OrganizationId) -> dict[str, Any]:
    return service.get_organization(session, id)


@router.get(
    "/taxonomies",
    response_model=HsdsPage,
    summary="分類の一覧（HSDS）",
    description="2つの分類（支援の種類、やまぐち商工業推進計画の柱とアクション）を返します。",
    responses={**example_response(examples.HSDS_TAXONOMIES), **problem_responses(422)},
)
def list_hsds_taxonomies(
    session: SessionDep, page: PageQ = 1, per_page: PerPageQ = 50, search: SearchQ = None
) -> dict[str, Any]:
    return service.list_taxonomies(session, page, per_page, search)


@router.get(
    "/taxonomies/{id}",
    response_model=None,
    summary="分類の詳細（HSDS）",
    description="分類を HSDS の taxonomy として返します。id は UUID か support-types / plan-actions。",
    responses={
        200: {
            "description": "HSDS taxonomy",
            "content": _content("taxonomy.json", examples.HSDS_TAXONOMY),
        },
        **problem_responses(404, 422),
    },
)
def get_hsds_taxonomy(session: SessionDep, id: TaxonomyId) -> dict[str, Any]:
    return service.get_taxonomy(session, id)


@router.get(
    "/taxonomy_terms",
    response_model=HsdsPage,
    summary="分類の用語の一覧（HSDS）",
    description=(
        "6つの支援の種類、3つの柱、12のアクションを HSDS の taxonomy_term として返します"
        "（アクションの parent_id は柱）。`taxonomy_id`、`parent_id`、`top_only`（親のない用語のみ）、"
        "`search` で絞り込めます。"
    ),
    responses={**example_response(examples.HSDS_TAXONOMY_TERMS), **problem_responses(422)},
)
def list_hsds_taxonomy_terms(
    session: SessionDep,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
    search: SearchQ = None,
    taxonomy_id: FilterId = None,
    parent_id: FilterId = None,
    top_only: Annotated[bool, Query(description="親のない（最上位の）用語のみ")] = False,
) -> dict[str, Any]:
    return service.list_taxonomy_terms(
        session,
        page,
        per_page,
        q=search,
        taxonomy_id=taxonomy_id,
        parent_id=parent_id,
        top_only=top_only,
    )


@router.get(
    "/taxonomy_terms/{id}",
    response_model=None,
    summary="分類の用語の詳細（HSDS）",
    description="用語を HSDS の taxonomy_term として返します。id は UUID かコード（例: startup, action-6）。",
    responses={
        200: {
            "description": "HSDS taxonomy term",
            "content": _content("taxonomy_term.json", examples.HSDS_TAXONOMY_TERM),
        },
        **problem_responses(404, 422),
    },
)
def get_hsds_taxonomy_term(session: SessionDep, id: TermId) -> dict[str, Any]:
    return service.get_taxonomy_term(session, id)
