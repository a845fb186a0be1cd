"""Shared by the fault tests: databases of their own, a real server, a TCP proxy to PostgreSQL.

The server processes themselves come from bench.servers (also used by the soak
script). PostgreSQL databases are created per test next to TEST_DATABASE_URL's database (never
that database itself: the main suite owns it) and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from bench.servers import ServerProcess, free_port, prepare_database, start_server

FORWARDER = Path(__file__).with_name("forwarder.py")

__all__ = [
    "ForwarderProcess",
    "ServerProcess",
    "TcpProxy",
    "admin_headers",
    "bearer",
    "create_key",
    "free_port",
    "new_admin_secret",
    "postgres_database",
    "prepare_database",
    "start_server",
]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def new_admin_secret() -> str:
    return "faults-admin-" + secrets.token_hex(16)


def admin_headers(secret: str) -> dict[str, str]:
    return bearer(secret)


def create_key(base_url: str, admin_secret: str, **body: Any) -> str:
    """Issue an API key through the API (POST /v1/admin/api-keys); returns its secret."""
    resp = httpx.post(
        f"{base_url}/v1/admin/api-keys", json=body, headers=bearer(admin_secret), timeout=30
    )
    assert resp.status_code == 201, resp.text
    secret: str = resp.json()["secret"]
    return secret


# ---------------------------------------------------------------- PostgreSQL


def _maintenance_url(url: URL) -> URL:
    return url.set(database="postgres")


@contextlib.contextmanager
def postgres_database(prefix: str = "madoguchi_faults") -> Iterator[URL]:
    """A new empty database on TEST_DATABASE_URL's server, dropped on exit.

    The caller must skip when TEST_DATABASE_URL is not set."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_maintenance_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---------------------------------------------------------------- TCP proxy


class TcpProxy:
    """A TCP forwarder on 127.0.0.1:<port> to a target (PostgreSQL), run in its own thread.

    `stop()` is "the database went away": the listening socket and every forwarded connection
    are closed, new connections are refused. `blackhole()` accepts connections and never
    answers (a database host that does not respond: the client's connect timeout must end it).
    `start()` serves again on the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    async def _forward(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        self._writers.add(client_w)
        try:
            upstream_r, upstream_w = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            client_w.close()
            self._writers.discard(client_w)
            return
        self._writers.add(upstream_w)

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                writer.close()
                self._writers.discard(writer)

        await asyncio.gather(pipe(client_r, upstream_w), pipe(upstream_r, client_w))

    async def _silent(self, _r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._writers.add(client_w)  # held open, never answered, closed by stop()

    async def _listen(self, handler: Any) -> None:
        await self._close_all()
        self._server = await asyncio.start_server(
            handler, "127.0.0.1", self.port, reuse_address=True
        )

    async def _close_all(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    def start(self) -> TcpProxy:
        self._call(self._listen(self._forward))
        return self

    def blackhole(self) -> None:
        self._call(self._listen(self._silent))

    def stop(self) -> None:
        self._call(self._close_all())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def url_for(self, url: URL) -> URL:
        return url.set(host="127.0.0.1", port=self.port)


class ForwarderProcess:
    """`forwarder.py` in a process of its own: `freeze()` stops it (SIGSTOP) with every
    connection open, `thaw()` continues it (SIGCONT)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = free_port()
        self._proc = subprocess.Popen(
            [sys.executable, str(FORWARDER), str(self.port), target_host, str(target_port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        assert self._proc.stdout.readline().strip() == "listening"

    def freeze(self) -> None:
        os.kill(self._proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self._proc.pid, signal.SIGCONT)

    def close(self) -> None:
        self.thaw()
        self._proc.terminate()
        self._proc.wait(timeout=10)

    def url_for(self, url: URL) -> URL:
        return url.set(host="127.0.0.1", port=self.port)


def postgres_target(url: URL) -> tuple[str, int]:
    return url.host or "127.0.0.1", url.port or 5432


def render(url: URL) -> str:
    return url.render_as_string(hide_password=False)
