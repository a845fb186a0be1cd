"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.core.observability import SNAPSHOT_VERSION

router = APIRouter(tags=["運用 (operations)"])


@router.get(
    "/metrics",
    summary="Prometheus メトリクス",
    description="ルート別のリクエスト数と応答時間、照合の時間と結果の内訳、スナップショットのバージョンを返します。",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}
    },
)
def metrics(request: Request) -> Response:
    cache = request.app.state.directory_cache
    if cache.loaded:
        SNAPSHOT_VERSION.set(cache.get().snapshot.version)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
