"""Soak test: a mixed load at a fixed rate for minutes, reporting every error.

`python -m bench.soak --duration 180 --rate 300` starts the app with uvicorn on a
fresh seeded SQLite file (or `--database-url`, migrated and seeded first) and sends, open loop at
`--rate` requests per second, a mix of POST /v1/match (70 %), GET /v1/programmes?q= (20 %) and
POST /v1/referrals with a front-desk key (10 %). `--url` targets a running server instead (with
`--admin-key`, used once to issue the front-desk key). Every 30 s it prints a progress line; at
the end requests, errors (non-2xx and exceptions), p50/p99/max per kind, how far the generator
fell behind its schedule and the server's resident memory at start and end. Exit status 1 when
any request failed or the generator could not keep the rate.

A load test, not a pytest test (`make soak`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import ServerProcess, issue_front_desk_key, prepare_database, start_server

MATCH_TEXTS = [
    "共同研究したい",
    "創業したいので融資も受けたい",
    "運転資金が足りなくて困っている",
    "跡継ぎがいないので事業承継の相談をしたい",
    "工場を新しく建てたいので補助金を知りたい",
    "融資は必要ないが技術の相談をしたい",
    "商店街の空き店舗で店を開きたい",
    "ＢＣＰを作りたい",
    "海外に販路を広げたい",
    "相談したい",
]
QUERIES = ["補助金", "融資", "創業", "研究開発", "ものづくり", "商店街", "事業承継", "観光", "保証"]
# 10 slots: 7 match, 2 search, 1 referral.
MIX = [
    "match",
    "search",
    "match",
    "match",
    "referral",
    "match",
    "search",
    "match",
    "match",
    "match",
]
PROGRESS_SECONDS = 30.0
# The generator may lag its schedule this much before the run counts as failed.
MAX_LAG_SECONDS = 1.0
REQUEST_TIMEOUT = 30.0


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    max_lag: float = 0.0
    wall: float = 0.0
    measure_from: float = 0.0
    warmup: int = 0

    def failed(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{kind}: {what}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn workers), in KiB."""
    total = 0
    pending = [pid]
    while pending:
        p = pending.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(c) for c in children)
        except (OSError, StopIteration, ValueError):
            continue
    return total


class HttpConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    A lean client on purpose: a general-purpose async client costs more CPU per request than
    the server's match does, and on a shared 2-core machine the load generator would measure
    itself. Reconnects after an error or a `Connection: close`."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if body:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        try:
            self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionError("the server closed the connection")
            status = int(status_line.split()[1])
            length, chunked, close = 0, False, False
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif name == b"connection":
                    close = value.strip().lower() == b"close"
            if chunked:
                parts = []
                while size := int((await self.reader.readline()).split(b";")[0], 16):
                    parts.append(await self.reader.readexactly(size))
                    await self.reader.readline()
                await self.reader.readline()
                payload = b"".join(parts)
            else:
                payload = await self.reader.readexactly(length)
        except BaseException:
            await self.close()
            raise
        if close:
            await self.close()
        return status, payload


def build_request(kind: str, n: int, desk_key: str) -> tuple[str, str, bytes, dict[str, str]]:
    if kind == "match":
        text = {"text": MATCH_TEXTS[n % len(MATCH_TEXTS)]}
        return "POST", "/v1/match", json.dumps(text).encode(), {}
    if kind == "search":
        query = urllib.parse.quote(QUERIES[n % len(QUERIES)])
        return "GET", f"/v1/programmes?q={query}&limit=20", b"", {}
    body: dict[str, object] = {
        "text": f"耐久試験の紹介 {n}: 共同研究の相談",
        "agency_id": "yamaguchi-itc",
        "municipality": "萩市",
        "consent": False,
    }
    return (
        "POST",
        "/v1/referrals",
        json.dumps(body).encode(),
        {"Authorization": f"Bearer {desk_key}"},
    )


Job = tuple[float, str, int]


async def connection_worker(
    conn: HttpConnection, queue: asyncio.Queue[Job | None], desk_key: str, stats: Stats
) -> None:
    while (job := await queue.get()) is not None:
        due, kind, n = job
        method, target, body, headers = build_request(kind, n, desk_key)
        try:
            status, payload = await asyncio.wait_for(
                conn.request(method, target, body, headers), REQUEST_TIMEOUT
            )
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError) as exc:
            stats.failed(kind, f"{type(exc).__name__}: {exc}")
            continue
        # From the scheduled send time: waiting for a free connection counts (open loop).
        if due >= stats.measure_from:
            stats.latencies[kind].append(time.perf_counter() - due)
        else:
            stats.warmup += 1
        if not 200 <= status < 300:
            stats.failed(kind, f"{status} {payload[:200].decode('utf-8', 'replace')}")
    await conn.close()


async def drive(
    base_url: str,
    desk_key: str,
    duration: float,
    rate: float,
    connections: int,
    warmup: float,
    server_pid: int | None = None,
) -> Stats:
    """Send for warmup + duration seconds; latencies count from the end of the warm-up, errors
    from the start."""
    stats = Stats()
    parts = urllib.parse.urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue: asyncio.Queue[Job | None] = asyncio.Queue()
    workers = [
        asyncio.create_task(connection_worker(HttpConnection(host, port), queue, desk_key, stats))
        for _ in range(connections)
    ]
    began = time.perf_counter()
    stats.measure_from = began + warmup
    duration += warmup
    next_progress = began + PROGRESS_SECONDS
    reported = 0
    for n in itertools.count():
        due = began + n / rate
        if due - began >= duration:
            break
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        else:
            stats.max_lag = max(stats.max_lag, now - due)
        queue.put_nowait((due, MIX[n % len(MIX)], n))
        if time.perf_counter() >= next_progress:
            done = sum(len(v) for v in stats.latencies.values()) + sum(stats.errors.values())
            recent = [x for v in stats.latencies.values() for x in v[-int(rate * 5) :]]
            print(
                f"  {time.perf_counter() - began:6.0f} s  {done - reported:6d} answered in the "
                f"last {PROGRESS_SECONDS:.0f} s, {queue.qsize()} waiting, errors so far "
                f"{sum(stats.errors.values())}, recent p99 {percentile(recent, 0.99) * 1000:.1f} ms"
                + (f", server RSS {rss_kib(server_pid) // 1024} MiB" if server_pid else ""),
                flush=True,
            )
            reported = done
            next_progress += PROGRESS_SECONDS
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    stats.wall = time.perf_counter() - stats.measure_from
    return stats


def report(stats: Stats, duration: float, rate: float) -> bool:
    total = sum(len(v) for v in stats.latencies.values()) + sum(stats.errors.values())
    errors = sum(stats.errors.values())
    print(
        f"\nsoak: {duration:.0f} s at {rate:.0f} req/s offered (open loop), after "
        f"{stats.warmup} warm-up requests (errors counted there too)"
    )
    print(f"{'kind':<10} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [*stats.latencies.keys(), *[k for k in stats.errors if k not in stats.latencies]]
    every: list[float] = []
    for kind in sorted(set(rows)):
        lat = stats.latencies.get(kind, [])
        every.extend(lat)
        print(
            f"{kind:<10} {len(lat) + stats.errors[kind]:>9} {stats.errors[kind]:>7} "
            f"{(statistics.median(lat) if lat else 0) * 1000:>8.2f} "
            f"{percentile(lat, 0.99) * 1000:>8.2f} {(max(lat) if lat else 0) * 1000:>8.2f}"
        )
    print(
        f"{'all':<10} {total:>9} {errors:>7} "
        f"{(statistics.median(every) if every else 0) * 1000:>8.2f} "
        f"{percentile(every, 0.99) * 1000:>8.2f} {(max(every) if every else 0) * 1000:>8.2f}"
    )
    print(
        f"all answered after {stats.wall:.1f} s: {total / max(stats.wall, 1e-9):.1f} req/s "
        f"completed; generator behind schedule by at most "
        f"{stats.max_lag * 1000:.0f} ms"
    )
    for sample in stats.samples:
        print(f"  error: {sample}")
    ok = errors == 0 and stats.max_lag <= MAX_LAG_SECONDS
    print("result: " + ("PASS (zero errors)" if ok else "FAIL"))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--duration", type=float, default=180.0, help="seconds (default 180)")
    parser.add_argument("--rate", type=float, default=300.0, help="requests per second")
    parser.add_argument("--connections", type=int, default=32, help="client connections")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of load before measuring latency"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (own server)")
    parser.add_argument("--database-url", help="database for the own server (default: temp SQLite)")
    parser.add_argument("--url", help="soak a running server instead of starting one")
    parser.add_argument("--admin-key", help="admin key of the running server (with --url)")
    args = parser.parse_args(argv)
    if args.url and not args.admin_key:
        parser.error("--url needs --admin-key (to issue a front-desk key)")

    # SIGTERM ends the run like Ctrl-C: the finally blocks stop the server we started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server: ServerProcess | None = None
    errors_logged: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            base_url, admin_key = args.url.rstrip("/"), args.admin_key
        else:
            database_url = args.database_url or f"sqlite:///{tmp}/soak.db"
            prepare_database(database_url)
            admin_key = "soak-admin-" + secrets.token_hex(16)
            server = start_server(
                database_url,
                log_path=Path(tmp) / "server.log",
                workers=args.workers,
                env={"BOOTSTRAP_ADMIN_KEY": admin_key, "LOG_LEVEL": "warning"},
            )
            base_url = server.base_url
            db = "SQLite (temporary file)" if not args.database_url else "the given database"
            print(f"server: uvicorn app.main:app, {args.workers} worker(s), {db}, pid {server.pid}")
        rss_before = rss_kib(server.pid) if server else 0
        try:
            desk_key = issue_front_desk_key(base_url, admin_key, "soak test")
            stats = asyncio.run(
                drive(
                    base_url,
                    desk_key,
                    args.duration,
                    args.rate,
                    args.connections,
                    args.warmup,
                    server.pid if server else None,
                )
            )
        finally:
            rss_after = rss_kib(server.pid) if server else 0
            if server is not None:
                server.stop()
        if server is not None:
            print(
                f"server resident memory: {rss_before // 1024} MiB at start, "
                f"{rss_after // 1024} MiB at the end"
            )
            errors_logged = [
                line for line in server.log_text().splitlines() if '"level": "error"' in line
            ]
            if errors_logged:
                print(
                    f"server logged {len(errors_logged)} error line(s), first: {errors_logged[0][:300]}"
                )
        ok = report(stats, args.duration, args.rate)
        if errors_logged:
            ok = False
    print(f"command: python -m bench.soak {' '.join(argv or sys.argv[1:])}")
    print(
        f"machine: {os.uname().sysname} {os.uname().release} {os.uname().machine}, "
        f"{os.cpu_count()} cores"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
