"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.core.errors import ApiError, problem_responses
from app.core.observability import SNAPSHOT_VERSION
from app.core.security import client_allowed

router = APIRouter(tags=["運用 (operations)"])


@router.get(
    "/metrics",
    summary="Prometheus メトリクス",
    description=(
        "ルート別のリクエスト数と応答時間、照合の時間と結果の内訳、スナップショットのバージョンを返します。"
        "METRICS_ALLOW_IPS に含まれるアドレスからのみ読めます（既定: このマシン）。"
    ),
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        **problem_responses(403),
    },
)
def metrics(request: Request) -> Response:
    allowed = request.app.state.settings.METRICS_ALLOW_IPS
    if not client_allowed(request.client.host if request.client else None, allowed):
        raise ApiError(
            403,
            "このアドレスからはメトリクスを読めません（METRICS_ALLOW_IPS で許可してください）。",
        )
    cache = request.app.state.directory_cache
    if cache.loaded:
        SNAPSHOT_VERSION.set(cache.get().snapshot.version)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
