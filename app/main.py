"""The FastAPI application: routers, error handling, the in-memory directory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.caching import ReadCache, ReadCacheMiddleware
from app.core.config import Settings, get_settings
from app.core.db import get_engine
from app.core.edge import EdgeMiddleware
from app.core.errors import Problem, install_error_handlers
from app.core.observability import configure_logging, flush_logs
from app.core.openapi import SERVERS, TAG_METADATA, complete_openapi, operation_id
from app.core.security import install_security
from app.matching import MissCounter
from app.matching.pii import mask_personal_data
from app.models.common import utcnow
from app.routers import (
    admin_directory,
    admin_keys,
    admin_kpis,
    admin_rules,
    console,
    conversations,
    directory,
    docs,
    exports,
    health,
    hsds,
    line,
    match,
    metrics,
    plan,
    programmes,
    progress,
    referrals,
)
from app.schemas.hsds import hsds_components
from app.services import conversations as conversations_service
from app.services.matching import MatchAnswers, matcher_builder
from app.services.national import NationalSyncScheduler
from app.services.snapshot import DirectoryCache, ExtraBuilder

log = logging.getLogger("madoguchi.app")

DESCRIPTION = """
**madoguchi（まどぐち）** は、山口県の商工業支援機関のためのワンストップ紹介 API です。

事業者の「共同研究したい」「融資の保証を受けたい」といった相談内容から、支援の種類、相談先の機関、
使える制度、窓口を理由付きで返します。データの出典は「やまぐち商工業推進計画」（山口県、2013年）です。

- 一覧は `{"items": [...], "total": N, "limit": L, "offset": O}` の形で返します（`limit` は最大200）。
- エラーは `application/problem+json` で、`detail` に日本語の説明が入ります。
"""


def create_app(
    settings: Settings | None = None,
    session_factory: Callable[[], Session] | None = None,
    extra_builders: list[ExtraBuilder] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """`clock`: what time it is for the answers that depend on it (which national subsidies
    accept applications now); tests give a fixed one (also settable as app.state.clock)."""
    settings = settings or get_settings()
    factory = session_factory or (lambda: Session(get_engine()))

    async def purge_conversations(every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                removed = await run_in_threadpool(conversations_service.purge_expired_now, factory)
            except Exception as exc:
                log.warning("purging expired conversations failed: %s", type(exc).__name__)
            else:
                if removed:
                    log.info("purged expired conversations", extra={"fields": {"n": removed}})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cache = app.state.directory_cache
        cache.load()
        # The masker's dictionary is loaded now, not on the first miss of a request.
        await run_in_threadpool(mask_personal_data, "準備")
        cache.start()  # background version checks: requests never wait on the database
        every = settings.CONVERSATION_PURGE_SECONDS
        purger = asyncio.create_task(purge_conversations(every)) if every > 0 else None
        national = NationalSyncScheduler(
            factory,
            settings,
            lambda: app.state.clock(),
            # tests put an httpx transport (the fake jGrants) here; otherwise the network
            lambda: getattr(app.state, "jgrants_transport", None),
        )
        national.start()  # NATIONAL_SYNC_HOURS > 0: a background thread, off the request path
        try:
            yield
        finally:
            national.stop()
            if purger is not None:
                purger.cancel()
            cache.stop()
            flush_logs()  # a worker process may end without running atexit

    app = FastAPI(
        title="madoguchi — やまぐち商工業 支援機関ワンストップ紹介 API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAG_METADATA,
        servers=SERVERS,
        generate_unique_id_function=operation_id,
        docs_url=None,  # served with no network by app/routers/docs.py
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    builders = (
        extra_builders
        if extra_builders is not None
        else [matcher_builder(settings.SEED_DIR, classifier=settings.NEED_CLASSIFIER)]
    )
    app.state.directory_cache = DirectoryCache(factory, settings.SNAPSHOT_CHECK_SECONDS, builders)
    app.state.match_misses = MissCounter()
    app.state.match_answers = MatchAnswers(settings.MATCH_CACHE_BYTES)
    install_error_handlers(app)
    # Innermost: a public list asked again is answered here, past every other middleware.
    app.state.read_cache = ReadCache(
        lambda: app.state.directory_cache.current_if_fresh(), settings.READ_CACHE_BYTES
    )
    app.add_middleware(ReadCacheMiddleware, cache=app.state.read_cache)
    match.keep_repeated_answers(app)
    install_security(app, settings)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
            expose_headers=["ETag", "Retry-After"],
        )
    # Routes are matched in this order, router by router (FastAPI tries every route of every
    # router before the one that answers: tens of microseconds for the last): first what is
    # asked most and reaches routing, i.e. is not answered by the read cache (a new text to
    # match, a referral, a chatbot's turn), then the public reads (routed once per generation
    # and query, then answered from the cache), then the rest.
    for router in (
        health.router,
        match.router,
        referrals.router,
        conversations.router,
        line.router,
        directory.router,
        programmes.router,
        hsds.router,
        metrics.router,
        plan.router,
        progress.router,
        exports.router,
        admin_keys.router,
        admin_directory.router,
        admin_kpis.router,
        admin_rules.router,
        console.router,
        docs.router,
    ):
        app.include_router(router)
    # Outermost: every answer, errors and rejections included, carries the request id, the
    # language and security headers, and is logged and counted.
    app.add_middleware(EdgeMiddleware)
    configure_logging(settings.LOG_LEVEL)

    original_openapi = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", Problem.model_json_schema())
        for name, hsds_schema in hsds_components().items():
            components.setdefault(name, hsds_schema)
        complete_openapi(app, schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


app = create_app()
