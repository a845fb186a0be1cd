"""Authentication dependencies: `Authorization: Bearer <secret>` → a Principal, or 401/403."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.db import SessionDep
from app.core.errors import ApiError
from app.services.access import Principal, Scope, authenticate

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="管理者から発行された API キーを `Authorization: Bearer <secret>` で送ります。",
)

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401,
            "API キーが必要です。Authorization: Bearer <キー> を送ってください。",
            headers=UNAUTHORIZED_HEADERS,
            en="An API key is required: send Authorization: Bearer <key>.",
        )
    settings = request.app.state.settings
    principal = authenticate(session, credentials.credentials, settings.BOOTSTRAP_ADMIN_KEY)
    if principal is None:
        raise ApiError(
            401,
            "API キーが無効です（存在しないか、失効しています）。",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            en="The API key is not valid (unknown or revoked).",
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: PrincipalDep) -> Principal:
    if principal.scope is not Scope.admin:
        raise ApiError(
            403,
            "この操作には admin の API キーが必要です。",
            en="This operation needs an admin API key.",
        )
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def require_editor(principal: PrincipalDep) -> Principal:
    """admin or agency_editor; whether the editor may touch a given record is checked later."""
    if principal.scope not in (Scope.admin, Scope.agency_editor):
        raise ApiError(
            403,
            "この操作には admin または agency_editor の API キーが必要です。",
            en="This operation needs an admin or agency_editor API key.",
        )
    return principal


EditorDep = Annotated[Principal, Depends(require_editor)]


def require_analyst(principal: PrincipalDep) -> Principal:
    """admin or analyst: the yearly review (counts only, no referral and no personal data)."""
    if principal.scope not in (Scope.admin, Scope.analyst):
        raise ApiError(
            403,
            "この操作には admin または analyst の API キーが必要です。",
            en="This operation needs an admin or analyst API key.",
        )
    return principal


AnalystDep = Annotated[Principal, Depends(require_analyst)]
