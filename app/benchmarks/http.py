"""HTTP throughput of POST /v1/match next to a trivial endpoint of the same server.

Starts the app with uvicorn (same settings for both measurements) on a seeded temporary
SQLite database, drives it with a closed-loop load generator (asyncio + httpx, N connections,
fixed duration) and prints requests/s, p50/p99 latency and the ratio match/trivial.
Run: `python -m app.benchmarks.http [--seconds 5] [--connections 8]`. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

MATCH_TEXTS = [
    "共同研究したい",
    "創業したいので融資も受けたい",
    "運転資金が足りなくて困っている",
    "跡継ぎがいないので事業承継の相談をしたい",
    "工場を新しく建てたいので補助金を知りたい",
    "融資は必要ないが技術の相談をしたい",
    "商店街の空き店舗で店を開きたい",
    "ＢＣＰを作りたい",
]


@dataclass
class Figures:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def drive(base: str, name: str, seconds: float, connections: int, method: str) -> Figures:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                if method == "match":
                    resp = await client.post(
                        "/v1/match", json={"text": MATCH_TEXTS[i % len(MATCH_TEXTS)]}
                    )
                else:
                    resp = await client.get("/healthz")
                latencies.append(time.perf_counter() - start)
                if resp.status_code != 200:
                    errors += 1
                i += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return Figures(
        name=name,
        requests=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.benchmarks.http")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            DATABASE_URL=f"sqlite:///{tmp}/bench.db",
            LOG_LEVEL="warning",
            RATE_LIMIT_PER_MINUTE="0",
        )
        py = sys.executable
        subprocess.run(
            [py, "-m", "alembic", "upgrade", "head"],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [py, "-m", "app.seeding"], cwd=root, env=env, check=True, capture_output=True
        )
        port = free_port()
        server = subprocess.Popen(
            [
                py,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=root,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            else:
                print("server did not become ready", file=sys.stderr)
                return 1
            asyncio.run(drive(base, "warm-up", 1.0, args.connections, "match"))
            trivial = asyncio.run(
                drive(base, "GET /healthz", args.seconds, args.connections, "trivial")
            )
            matched = asyncio.run(
                drive(base, "POST /v1/match", args.seconds, args.connections, "match")
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(
        f"HTTP closed loop: {args.connections} connections, {args.seconds:.0f} s each, "
        f"uvicorn workers={args.workers}, client in the same machine"
    )
    print(f"{'endpoint':<16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for f in (trivial, matched):
        print(f"{f.name:<16} {f.rps:>9.0f} {f.p50_ms:>8.2f} {f.p99_ms:>8.2f} {f.errors:>7}")
    print(f"throughput ratio match/trivial: {matched.rps / trivial.rps:.2f} (target >= 0.7)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
