"""Named programmes: subsidies, loans, guarantees, windows, councils ..."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.core.caching import NOT_MODIFIED, conditional
from app.core.concurrency import etag
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.core.pagination import Page, PageDep
from app.routers.deps import DirectoryDep, from_memory
from app.schemas import examples
from app.schemas.examples import example_response
from app.schemas.programmes import ProgrammeDetail, ProgrammeOut
from app.seeding.schema import ProgrammeKind
from app.services.listings import ProgrammeFilter

router = APIRouter(prefix="/v1", tags=[Tag.PROGRAMMES])


@router.get(
    "/programmes",
    response_model=Page[ProgrammeOut],
    summary="制度の一覧と検索",
    description=(
        "計画に名前のある補助金・融資・保証・ファンド・窓口・協議会などの制度です。"
        "`support_type`・`action`・`kind`・`agency`（運営機関）で絞り込み、`q` で名称・説明を部分一致検索します。"
    ),
    responses={
        **example_response(examples.PROGRAMMES),
        **problem_responses(422),
        **NOT_MODIFIED,
    },
)
async def list_programmes(
    request: Request,
    directory: DirectoryDep,
    page: PageDep,
    support_type: Annotated[str | None, Query(max_length=40, examples=["finance"])] = None,
    action: Annotated[int | None, Query(ge=1, le=12, examples=[12])] = None,
    kind: Annotated[ProgrammeKind | None, Query(examples=["loan"])] = None,
    agency: Annotated[str | None, Query(max_length=80, examples=["yipf"])] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, examples=["資金"])] = None,
) -> Response:
    found = ProgrammeFilter(support_type, action, kind.value if kind else None, agency, q)
    listed = await from_memory(
        lambda cached: directory.listings.programmes(
            page.limit, page.offset, found, cached_only=cached
        )
    )
    return conditional(request, listed)


@router.get(
    "/programmes/{programme_id}",
    response_model=ProgrammeDetail,
    summary="制度の詳細",
    description=(
        "制度の説明、運営機関、関連アクション・取組方針、支援の種類、問い合わせ窓口を返します。"
        "`ETag` ヘッダーは制度の版で、編集時の `If-Match` に使えます"
        "（メモリ上のディレクトリから応答します。ほかのサーバープロセスでの編集は1秒以内に反映されます）。"
    ),
    responses={**example_response(examples.PROGRAMME), **problem_responses(404, 422)},
)
async def get_programme(
    directory: DirectoryDep,
    programme_id: Annotated[str, Path(max_length=80, examples=["capex-expansion-loan"])],
) -> Response:
    listings = directory.listings
    revision = listings.programme_revision(programme_id)
    # rendered off the event loop the first time (an operator may have thousands of windows)
    detail = await from_memory(
        lambda cached: listings.programme_detail(programme_id, cached_only=cached)
    )
    return Response(detail.body, media_type="application/json", headers={"ETag": etag(revision)})
