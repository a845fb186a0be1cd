"""Read your writes: an admin edit is acknowledged only once this worker serves it."""

from __future__ import annotations

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ADMIN_PREFIX = "/v1/admin/"


class RefreshAfterAdminWrite:
    """Before a successful admin write's response starts, rebuild this worker's directory if the
    write moved the version. Without it the editor's next request could reach the same worker
    before its background check and see the old rules (pure ASGI: match requests pay nothing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or not scope["path"].startswith(ADMIN_PREFIX)
        ):
            await self.app(scope, receive, send)
            return

        async def send_after_refresh(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                cache = scope["app"].state.directory_cache
                await to_thread.run_sync(cache.refresh_now)
            await send(message)

        await self.app(scope, receive, send_after_refresh)
