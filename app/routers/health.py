"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import SessionDep
from app.core.errors import problem_response, problem_responses

router = APIRouter(tags=["運用 (operations)"])


@router.get(
    "/healthz",
    summary="プロセスの稼働確認",
    description="プロセスが応答していれば 200 を返します。",
)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="データベースの疎通確認",
    description="データベースに問い合わせができれば 200、できなければ 503 を返します。",
    responses=problem_responses(503),
)
def readyz(session: SessionDep) -> JSONResponse:
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError:
        return problem_response(503, "データベースに接続できません。", instance="/readyz")
    return JSONResponse({"status": "ready"})
