"""Issuing, listing and revoking API keys (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.openapi import Tag
from app.models import ApiKey
from app.routers.auth import AdminDep
from app.schemas import examples
from app.schemas.access import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from app.schemas.examples import example_response
from app.services import access as service

router = APIRouter(prefix="/v1/admin", tags=[Tag.ADMIN])


def key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(key, from_attributes=True)


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    summary="API キーの発行",
    description=(
        "API キーを発行します。`secret` はこの応答でだけ表示され、サーバーにはハッシュしか残りません。"
        "`agency_editor` には `agency_id`、`front_desk` には `municipality`（市町名または JIS コード）が必要です。"
        "`analyst` は進行管理の集計（GET /v1/progress とその CSV）を読むだけの鍵で、どちらも指定しません。"
    ),
    responses={
        **example_response(examples.API_KEY_CREATED, 201),
        **problem_responses(401, 403, 413, 422, 429),
    },
)
def create_api_key(body: ApiKeyCreate, session: SessionDep, admin: AdminDep) -> ApiKeyCreated:
    key, secret = service.create_key(
        session,
        scope=body.scope,
        agency_id=body.agency_id,
        municipality=body.municipality,
        label=body.label,
        actor=admin,
    )
    session.commit()
    session.refresh(key)
    return ApiKeyCreated(**key_out(key).model_dump(), secret=secret)


@router.get(
    "/api-keys",
    response_model=list[ApiKeyOut],
    summary="API キーの一覧",
    description="発行済みの API キー（失効済みを含む）を返します。キー本体やハッシュは返しません。",
    responses={**example_response(examples.API_KEYS), **problem_responses(401, 403, 429)},
)
def list_api_keys(session: SessionDep, _: AdminDep) -> list[ApiKeyOut]:
    return [key_out(k) for k in service.list_keys(session)]


@router.delete(
    "/api-keys/{key_id}",
    response_model=ApiKeyOut,
    summary="API キーの失効",
    description="API キーを直ちに失効させます。以後そのキーでの要求は 401 になります。",
    responses={
        **example_response(examples.API_KEY_REVOKED),
        **problem_responses(401, 403, 404, 422, 429),
    },
)
def revoke_api_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1, examples=[2])],
    session: SessionDep,
    admin: AdminDep,
) -> ApiKeyOut:
    key = service.revoke_key(session, key_id, actor=admin)
    session.commit()
    session.refresh(key)
    return key_out(key)
