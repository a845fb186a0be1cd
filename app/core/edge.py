"""The edge: what every request and every answer goes through, as one pure-ASGI layer.

One layer rather than four, because each layer of ASGI middleware costs a coroutine and a
wrapper of `send` per message on every request, and four of them cost more than a /healthz's
own work (measured with `make bench`: the overhead of madoguchi's /healthz against the smallest
FastAPI app). The concerns stay where they are described and tested; this module only applies
them, in this order:

1. **Request id** (app/core/observability.py): the request's `X-Request-ID` when it is a sane
   token, else a new one; echoed back; kept in a context variable and in the ASGI scope.
2. **Language** (app/core/i18n.py): `Accept-Language` negotiated once; every answer says
   `Content-Language` (`ja` unless the handler said otherwise) and `Vary: Accept-Language`.
3. **Security headers** (app/core/headers.py): added where the handler did not set them; a
   `Location` never echoes the request's `Host`.
4. **Read your writes**: before a successful admin write's answer starts, this worker rebuilds
   its directory if the write moved the version, so that the editor's next request, whichever it
   is, sees the edit.
5. **Access log and metrics**: one JSON line and two metric samples per request, with the route
   template (or `unmatched`) and the status.
"""

from __future__ import annotations

import logging
import time

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.headers import security_headers
from app.core.i18n import DEFAULT, LANGUAGE, SCOPE_KEY, negotiate
from app.core.observability import (
    ACCESS_LOG,
    REQUEST_ID,
    REQUEST_ID_SCOPE_KEY,
    REQUEST_METRICS,
    access_log,
    new_request_id,
    valid_request_id,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ADMIN_PREFIX = "/v1/admin/"
VARY = (b"vary", b"Accept-Language")
JAPANESE = (b"content-language", DEFAULT.encode())


def relative_location(value: bytes, host: bytes | None) -> bytes:
    """A redirect to this server names only the path: the `Host` a client sent is not echoed
    back (a cache or a link checker could otherwise be sent anywhere)."""
    for scheme in (b"http://", b"https://"):
        if value.startswith(scheme):
            rest = value[len(scheme) :]
            if host is not None and rest.startswith(host):
                path = rest[len(host) :]
                if path[:1] in (b"", b"/", b"?"):
                    return path if path.startswith(b"/") else b"/" + path
    return value


def finished_headers(
    headers: list[tuple[bytes, bytes]],
    request_id: bytes,
    path: str,
    host: bytes | None,
) -> list[tuple[bytes, bytes]]:
    """The handler's headers with what the edge adds (see the module's list)."""
    present = {name.lower() for name, _ in headers}
    if b"location" in present:
        headers = [
            (name, relative_location(value, host) if name.lower() == b"location" else value)
            for name, value in headers
        ]
    if b"vary" in present:
        headers = [
            (name, value + b", Accept-Language" if name.lower() == b"vary" else value)
            for name, value in headers
        ]
    else:
        headers.append(VARY)
    if b"content-language" not in present:  # whatever was asked: a handler that translated says so
        headers.append(JAPANESE)
    headers += [(name, value) for name, value in security_headers(path) if name not in present]
    headers.append((b"x-request-id", request_id))
    return headers


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        accept_language: str | None = None
        host: bytes | None = None
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"accept-language":
                accept_language = value.decode("latin-1")
            elif name == b"host":
                host = value
        request_id = incoming if valid_request_id(incoming) else new_request_id()
        language = negotiate(accept_language) if accept_language else DEFAULT
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        scope[SCOPE_KEY] = language
        id_token = REQUEST_ID.set(request_id)
        language_token = LANGUAGE.set(language)
        method = scope["method"]
        path = scope["path"]
        refresh = method in WRITE_METHODS and path.startswith(ADMIN_PREFIX)
        status = 500
        started = time.perf_counter()

        async def send_at_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if refresh and 200 <= status < 300:
                    cache = scope["app"].state.directory_cache
                    await to_thread.run_sync(cache.refresh_now)
                headers = finished_headers(
                    list(message.get("headers", [])),
                    request_id.encode("latin-1"),
                    path,
                    host,
                )
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_at_edge)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUEST_METRICS.observe(method, route, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                ACCESS_LOG.record(request_id, method, route, status, elapsed * 1000)
            LANGUAGE.reset(language_token)
            REQUEST_ID.reset(id_token)
