"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.core.errors import ApiError, problem_responses
from app.core.observability import SNAPSHOT_VERSION
from app.core.openapi import Tag
from app.core.security import client_allowed

router = APIRouter(tags=[Tag.OPERATIONS])


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
    settings = request.app.state.settings
    # Behind a proxy that is not configured (FORWARDED_ALLOW_IPS), the peer is the proxy and
    # says nothing of the client: a forwarded request is refused rather than taken for local.
    proxied = "x-forwarded-for" in request.headers and not settings.forwarded_allow_ips
    host = request.client.host if request.client else None
    if proxied or not client_allowed(host, settings.METRICS_ALLOW_IPS):
        raise ApiError(
            403,
            "このアドレスからはメトリクスを読めません（METRICS_ALLOW_IPS で許可してください）。",
            en="Metrics cannot be read from this address (allow it in METRICS_ALLOW_IPS).",
        )
    cache = request.app.state.directory_cache
    if cache.loaded:
        SNAPSHOT_VERSION.set(cache.get().snapshot.version)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
