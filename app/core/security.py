"""HTTP hardening as plain ASGI middleware: security headers, a body size limit, rate limits.

- Answers that may hold personal data or a secret carry `Cache-Control: no-store`.
- Every response carries nosniff, DENY framing, no referrer and a Content-Security-Policy. The
  API answers JSON, so its policy allows nothing but same-origin scripts, styles, images and
  fetches (enough for a console page served from this origin later); the interactive docs get a
  policy that also allows the CDN and the inline bootstrap script of Swagger UI / ReDoc.
- A body larger than MAX_BODY_BYTES is refused with 413, whether it announces its size in
  Content-Length or streams it (the received bytes are counted).
- RATE_LIMIT_PER_MINUTE requests per sliding minute per client IP and per presented bearer token,
  counted in memory in each worker process (so with N workers the effective limit is up to N
  times higher). 0 turns the limit off. Health checks are not counted.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import DEFAULT_DETAILS, problem_response

API_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
# Answers that may hold personal data (referrals, their CSV, conversations, LINE turns) or a
# secret (a new API key) and the admin answers: no cache, proxy or browser may keep them.
NO_STORE_PATHS = (
    "/v1/referrals",
    "/v1/exports/referrals",
    "/v1/admin",
    "/v1/conversations",
    "/v1/integrations",
    "/v1/match/stats",
)
UNLIMITED_PATHS = ("/healthz", "/readyz")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = API_CSP
        path = str(scope.get("path", ""))
        if path.startswith(DOCS_PATHS):
            csp = DOCS_CSP
        extra = ((b"cache-control", b"no-store"),) if path.startswith(NO_STORE_PATHS) else ()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in (
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", csp.encode()),
                    *extra,
                ):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, DEFAULT_DETAILS[413])


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        detail = f"リクエスト本文が大きすぎます（上限 {self.max_bytes} バイト）。"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.max_bytes
                except ValueError:
                    too_large = False
                if too_large:
                    await problem_response(413, detail, instance=scope.get("path"))(
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
            await problem_response(413, detail, instance=scope.get("path"))(scope, receive, send)


class SlidingWindow:
    """At most `limit` events per `window` seconds per key, counted in memory."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float | None = None) -> float:
        """Record one event; returns 0 if allowed, else the seconds until one is allowed."""
        now = time.monotonic() if now is None else now
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._evict(now)
            events = self._events[key] = deque()
        cutoff = now - self.window
        while events and events[0] <= cutoff:
            events.popleft()
        if len(events) >= self.limit:
            return max(events[0] + self.window - now, 0.001)
        events.append(now)
        return 0.0

    def _evict(self, now: float) -> None:
        cutoff = now - self.window
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= cutoff]:
            del self._events[key]
        if len(self._events) >= self.max_keys:
            self._events.clear()


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.windows = SlidingWindow(per_minute) if per_minute > 0 else None

    @staticmethod
    def _token(scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                raw = value.decode("latin-1")
                if raw[:7].lower() == "bearer " and raw[7:].strip():
                    return hashlib.sha256(raw[7:].strip().encode()).hexdigest()[:32]
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.windows is None or scope["type"] != "http" or scope.get("path") in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        client: Any = scope.get("client")
        keys = [f"ip:{client[0] if client else 'unknown'}"]
        token = self._token(scope)
        if token is not None:
            keys.append(f"key:{token}")
        wait = 0.0
        for key in keys:
            wait = max(wait, self.windows.hit(key))
        if wait > 0:
            response = problem_response(
                429,
                "リクエストが多すぎます。しばらく待ってから再度お試しください。",
                instance=scope.get("path"),
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_security(app: Any, settings: Any) -> None:
    """Add the middleware in order: headers outermost, then rate limits, then the body limit."""
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.MAX_BODY_BYTES)
    app.add_middleware(RateLimitMiddleware, per_minute=settings.RATE_LIMIT_PER_MINUTE)
    app.add_middleware(SecurityHeadersMiddleware)
