"""Authentication dependencies: `Authorization: Bearer <secret>` → a Principal, or 401/403."""

from __future__ import annotations

from collections.abc import Callable
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


def require_scope(*allowed: Scope) -> Callable[[Principal], Principal]:
    """A dependency admitting a key of one of the `allowed` scopes (403 for any other)."""
    names = " または ".join(scope.value for scope in allowed)
    names_en = " or ".join(scope.value for scope in allowed)

    def guard(principal: PrincipalDep) -> Principal:
        if principal.scope not in allowed:
            raise ApiError(
                403,
                f"この操作には {names} の API キーが必要です。",
                en=f"This operation needs an {names_en} API key.",
            )
        return principal

    return guard


require_admin = require_scope(Scope.admin)
AdminDep = Annotated[Principal, Depends(require_admin)]
# admin or agency_editor; whether the editor may touch a given record is checked later
require_editor = require_scope(Scope.admin, Scope.agency_editor)
EditorDep = Annotated[Principal, Depends(require_editor)]
# admin or analyst: the yearly review (counts only, no referral and no personal data)
require_analyst = require_scope(Scope.admin, Scope.analyst)
AnalystDep = Annotated[Principal, Depends(require_analyst)]
