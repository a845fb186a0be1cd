"""Authentication dependencies: `Authorization: Bearer <secret>` → a Principal, or 401/403."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.core.db import SessionDep
from app.core.errors import ApiError
from app.services.access import (
    Principal,
    PrincipalCache,
    Scope,
    authenticate,
    cached_principal,
)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="管理者から発行された API キーを `Authorization: Bearer <secret>` で送ります。",
)

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def principal_cache(app: FastAPI) -> PrincipalCache:
    """This worker's cache of API keys (created with the app's first authenticated request)."""
    cache: PrincipalCache | None = getattr(app.state, "principal_cache", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(app.state, "principal_cache", None)
            if cache is None:
                cache = PrincipalCache(app.state.settings.API_KEY_CACHE_SECONDS)
                app.state.principal_cache = cache
    return cache


_cache_lock = threading.Lock()


async def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """On the event loop when the key is the bootstrap key or one this worker read recently
    (a hash and a dict lookup: no query and no thread hop); otherwise in the threadpool, one
    query (app.services.access.PrincipalCache)."""
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401,
            "API キーが必要です。Authorization: Bearer <キー> を送ってください。",
            headers=UNAUTHORIZED_HEADERS,
            en="An API key is required: send Authorization: Bearer <key>.",
        )
    secret = credentials.credentials
    bootstrap = request.app.state.settings.BOOTSTRAP_ADMIN_KEY
    cache = principal_cache(request.app)
    principal = cached_principal(cache, secret, bootstrap)
    if principal is None:
        principal = await run_in_threadpool(authenticate, session, secret, bootstrap, cache)
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
