"""HTTP hardening as plain ASGI middleware: the client address, a body size limit, rate limits
(the security headers of app/core/headers.py are added by the edge, app/core/edge.py).

- The client address comes from `X-Forwarded-For` only when the connection comes from a proxy
  listed in FORWARDED_ALLOW_IPS (none by default); the server itself is started without proxy
  handling (`uvicorn --no-proxy-headers`), so an invented address cannot dodge a limit.
- A body larger than MAX_BODY_BYTES is refused with 413, whether it announces its size in
  Content-Length or streams it (the received bytes are counted).
- RATE_LIMIT_PER_MINUTE requests per moving minute per client IP and per presented bearer token,
  and CONVERSATIONS_PER_MINUTE new chatbot conversations per client IP, counted by the `limits`
  package: in Redis when REDIS_URL is set (one budget shared by every worker and machine), else
  in each worker's memory. 0 turns a limit off. Health checks are not counted. When Redis does
  not answer, requests are let through (and the outage logged): a limit is not worth an outage.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.core.errors import DEFAULT_DETAILS, problem_response

UNLIMITED_PATHS = ("/healthz", "/readyz")
CONVERSATION_START = ("POST", "/v1/conversations")
log = logging.getLogger("madoguchi.security")


# Methods whose requests normally carry no body: counted only when they announce one.
BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


def _may_have_body(scope: Scope) -> bool:
    return any(
        name in (b"content-length", b"transfer-encoding") for name, _ in scope.get("headers", [])
    )


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, DEFAULT_DETAILS[413])


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.max_bytes <= 0
            or (scope["method"] in BODILESS and not _may_have_body(scope))
        ):
            await self.app(scope, receive, send)
            return
        detail = f"リクエスト本文が大きすぎます（上限 {self.max_bytes} バイト）。"
        en = f"The request body is too large (at most {self.max_bytes} bytes)."
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.max_bytes
                except ValueError:
                    too_large = False
                if too_large:
                    await problem_response(413, detail, en=en, instance=scope.get("path"))(
                        scope, receive, send
                    )
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Raised outside a route's error handling (the route normally turns it into 413).
            if started:
                raise
            await problem_response(413, detail, en=en, instance=scope.get("path"))(
                scope, receive, send
            )


class RateLimitMiddleware:
    """Moving one-minute windows (the `limits` package), in Redis or in memory."""

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        conversations_per_minute: int = 0,
        storage_uri: str = "memory://",
        key_prefix: str = "madoguchi",
    ) -> None:
        self.app = app
        self.requests = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.conversations = (
            RateLimitItemPerMinute(conversations_per_minute, namespace="conversation")
            if conversations_per_minute > 0
            else None
        )
        options: dict[str, Any] = {}
        if storage_uri.startswith(("redis://", "rediss://")):
            # redis-py's asyncio client; a Redis that does not answer costs at most 0.25 s.
            options = {
                "implementation": "redispy",
                "key_prefix": key_prefix,
                "socket_timeout": 0.25,
                "socket_connect_timeout": 0.25,
            }
        self.limiter = MovingWindowRateLimiter(
            storage_from_string(f"async+{storage_uri}", **options)
        )
        self._outage_logged_at = -math.inf

    @staticmethod
    def _token(scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                raw = value.decode("latin-1")
                if raw[:7].lower() == "bearer " and raw[7:].strip():
                    return hashlib.sha256(raw[7:].strip().encode()).hexdigest()[:32]
        return None

    def _checks(self, scope: Scope) -> list[tuple[RateLimitItem, str, str]]:
        client: Any = scope.get("client")
        ip = client[0] if client else "unknown"
        checks: list[tuple[RateLimitItem, str, str]] = []
        if self.requests is not None:
            checks.append((self.requests, "ip", ip))
            token = self._token(scope)
            if token is not None:
                checks.append((self.requests, "key", token))
        if (
            self.conversations is not None
            and (scope["method"], scope["path"]) == CONVERSATION_START
        ):
            checks.append((self.conversations, "ip", ip))
        return checks

    async def _wait(self, checks: list[tuple[RateLimitItem, str, str]]) -> float:
        """0 when every check allows the request, else the seconds until all would."""
        wait = 0.0
        try:
            for item, kind, who in checks:
                if not await self.limiter.hit(item, kind, who):
                    stats = await self.limiter.get_window_stats(item, kind, who)
                    wait = max(wait, stats.reset_time - time.time(), 1.0)
        except Exception as exc:
            now = time.monotonic()
            if now - self._outage_logged_at > 30:
                self._outage_logged_at = now
                log.warning("rate limit storage unavailable, not limiting: %s", type(exc).__name__)
            return 0.0
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        checks = self._checks(scope)
        wait = await self._wait(checks) if checks else 0.0
        if wait > 0:
            response = problem_response(
                429,
                "リクエストが多すぎます。しばらく待ってから再度お試しください。",
                en="Too many requests. Please wait a moment and try again.",
                instance=scope.get("path"),
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def client_allowed(host: str | None, allowed: str) -> bool:
    """Whether `host` is in the comma-separated addresses or networks of `allowed` (* = all)."""
    entries = [entry.strip() for entry in allowed.split(",") if entry.strip()]
    if "*" in entries:
        return True
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    for entry in entries:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def install_security(app: Any, settings: Any) -> None:
    """Add the middleware in order: the client address outermost, then rate limits (only when
    a limit is on), the body limit."""
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.MAX_BODY_BYTES)
    if settings.RATE_LIMIT_PER_MINUTE > 0 or settings.CONVERSATIONS_PER_MINUTE > 0:
        app.add_middleware(
            RateLimitMiddleware,
            per_minute=settings.RATE_LIMIT_PER_MINUTE,
            conversations_per_minute=settings.CONVERSATIONS_PER_MINUTE,
            storage_uri=settings.REDIS_URL or "memory://",
            key_prefix=settings.REDIS_KEY_PREFIX,
        )
    trusted = settings.forwarded_allow_ips
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
