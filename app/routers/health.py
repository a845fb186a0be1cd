"""Liveness and readiness."""

from __future__ import annotations

import os
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.caching import CACHEABLE
from app.core.db import SessionDep
from app.core.errors import DATABASE_RETRY_AFTER_SECONDS, problem_response, problem_responses
from app.core.openapi import Tag

router = APIRouter(tags=[Tag.OPERATIONS])

_instance: tuple[int, str] | None = None
HEALTHY = b'{"status":"ok"}'


def instance_id() -> str:
    """A random id of this server process (one per worker), drawn on first use in the process.

    Sent as `X-Instance-ID` by /healthz so an operator (or a test) can tell which worker answered
    on a given connection. It is random, so it reveals no pid or host detail.
    """
    global _instance
    pid = os.getpid()
    if _instance is None or _instance[0] != pid:
        _instance = (pid, secrets.token_hex(6))
    return _instance[1]


@router.get(
    "/healthz",
    summary="プロセスの稼働確認",
    description=(
        "プロセスが応答していれば 200 を返します。`X-Instance-ID` ヘッダーは応答したプロセス"
        "（ワーカー）ごとのランダムな識別子です。"
    ),
    responses={
        200: {
            "description": "稼働中",
            "content": {"application/json": {"example": {"status": "ok"}}},
            "headers": {
                "X-Instance-ID": {
                    "description": "応答したプロセスのランダムな識別子",
                    "schema": {"type": "string"},
                }
            },
        }
    },
)
async def healthz(request: Request) -> Response:
    # A finished body: nothing to validate or serialize on the most frequent request; and the
    # same answer while this worker lives, so the read cache (app/core/caching.py) answers the
    # next /healthz in front of routing, after every middleware (request id, log, metrics).
    request.scope[CACHEABLE] = True
    return Response(
        HEALTHY, media_type="application/json", headers={"X-Instance-ID": instance_id()}
    )


@router.get(
    "/readyz",
    summary="データベースの疎通確認",
    description="データベースに問い合わせができれば 200、できなければ 503 を返します。",
    responses={
        200: {"content": {"application/json": {"example": {"status": "ready"}}}},
        **problem_responses(503),
    },
)
def readyz(session: SessionDep) -> JSONResponse:
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError:
        return problem_response(
            503,
            "データベースに接続できません。",
            en="The database cannot be reached.",
            instance="/readyz",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return JSONResponse({"status": "ready"})
