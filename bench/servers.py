"""Real server processes: the one helper of `make bench`, the soak script and the fault tests.

`prepare_database(url)` migrates and seeds a database; `start_server(url, ...)` runs
`uvicorn app.main:app` (or another app, such as the benchmark's baseline) in a subprocess on a
free port and waits until every worker has started and /readyz answers 200;
`ServerProcess.kill()` is a SIGKILL, `stop()` a graceful SIGTERM. Not imported by the app.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from alembic.config import Config
from sqlmodel import Session

from alembic import command
from app.core.config import PROJECT_ROOT
from app.core.db import make_engine
from app.seeding.database import load_seed_into_database
from app.seeding.loader import read_seed

WORKER_HEALTHCHECK_SECONDS = 30  # uvicorn's default is 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(url: str) -> None:
    """Migrate an empty database to head and load the seed (in this process)."""
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logging"] = False
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            load_seed_into_database(session, read_seed())
            session.commit()
    finally:
        engine.dispose()


def child_pids(parent: int) -> list[int]:
    """The spawned worker processes of a uvicorn (multiprocessing) parent."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmdline:
            out.append(int(entry.name))
    return sorted(out)


@dataclass
class ServerProcess:
    base_url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] = field(repr=False)
    workers: int = 1
    started_s: float = 0.0  # from launch until ready

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        return self.base_url

    @property
    def pid(self) -> int:
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        """The worker processes (the process itself with one worker)."""
        return [self.pid] if self.workers == 1 else child_pids(self.pid)

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 90.0) -> None:
        began = time.monotonic()
        deadline = began + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}"
                )
            started = self.workers == 1 or (
                self.log_text().count("Application startup complete.") >= self.workers
            )
            try:
                if started and httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    self.started_s = time.monotonic() - began
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout} s:\n{self.log_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, in-flight requests are cut."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._log.close()


def start_server(
    database_url: str,
    *,
    log_path: Path,
    workers: int = 1,
    env: dict[str, str] | None = None,
    port: int | None = None,
    access_log: bool = False,
    wait: bool = True,
    target: str = "app.main:app",
    ready_timeout: float = 90.0,
) -> ServerProcess:
    """`uvicorn app.main:app` (or `target`) on 127.0.0.1 with rate limiting off; stdout+stderr
    to log_path (uvicorn's own lines at info, so that every worker's start can be seen)."""
    port = port or free_port()
    full_env = dict(os.environ)
    full_env.pop("TEST_DATABASE_URL", None)
    full_env.update(
        {
            "DATABASE_URL": database_url,
            "RATE_LIMIT_PER_MINUTE": "0",
            "CONVERSATIONS_PER_MINUTE": "0",
            "LOG_LEVEL": "info",
            "PYTHONUNBUFFERED": "1",
        }
    )
    full_env.update(env or {})
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        # a worker busy building its snapshot on a loaded machine must not be taken for hung
        "--timeout-worker-healthcheck",
        str(WORKER_HEALTHCHECK_SECONDS),
        "--log-level",
        "info",
        # the client address is the app's business (FORWARDED_ALLOW_IPS), not uvicorn's
        "--no-proxy-headers",
    ]
    if not access_log:
        cmd.append("--no-access-log")
    log = log_path.open("ab")
    proc = subprocess.Popen(
        cmd, cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
    )
    server = ServerProcess(f"http://127.0.0.1:{port}", proc, log_path, log, workers)
    if wait:
        server.wait_ready(ready_timeout)
    return server


def issue_front_desk_key(base_url: str, admin_key: str, label: str) -> str:
    """A front_desk key for 萩市, issued over HTTP with an admin key (benchmark and soak)."""
    resp = httpx.post(
        f"{base_url}/v1/admin/api-keys",
        json={"scope": "front_desk", "municipality": "萩市", "label": label},
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=30,
    )
    resp.raise_for_status()
    secret: str = resp.json()["secret"]
    return secret
