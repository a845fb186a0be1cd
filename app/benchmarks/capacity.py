"""Capacity measurement behind `make bench`; writes docs/BENCHMARKS.md and prints it.

    python -m app.benchmarks.capacity --databases sqlite,postgresql --out docs/BENCHMARKS.md

For each database (SQLite: a temporary file; PostgreSQL: its own database from
BENCH_POSTGRES_URL, dropped and recreated, skipped with a line in the report when the server
does not answer) it migrates and seeds a fresh database, starts `uvicorn app.main:app` as a
subprocess on a free port with rate limits off and a random bootstrap admin key, and drives it
with wrk (closed loop: every connection sends its next request when the previous answer came
back). wrk's Lua `done` hook prints requests, percentiles, socket errors and the number of
non-2xx answers, which this module parses; any non-2xx or socket error fails the run.

Measured:
- POST /v1/match, GET /v1/programmes?q=… and POST /v1/referrals (front_desk key) at 1, 8 and 32
  connections, each next to GET /healthz of the same server in the same session, as ratios;
- list and search endpoints with the seed directory and with a synthetic directory of 10k
  programmes and 100k contact points (app.benchmarks.synthetic), as ratios;
- the snapshot build time and memory with both directories, and the first request after a
  directory version bump (the rebuild happens inline);
- resident memory (VmRSS) of every worker of `uvicorn --workers 2`, after warm-up and after load;
- the matcher's in-process latency as the rule count grows (app.matching.bench).
A benchmark, not a test: figures depend on the machine, which the report describes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/madoguchi_bench"
WRK_TIMEOUT_S = 10

MATCH_TEXTS = [
    ("共同研究したい", None),
    ("創業したいので融資も受けたい", "萩市"),
    ("運転資金が足りなくて困っている", None),
    ("跡継ぎがいないので事業承継の相談をしたい", "宇部市"),
    ("工場を新しく建てたいので補助金を知りたい", None),
    ("融資は必要ないが技術の相談をしたい", "下関市"),
    ("商店街の空き店舗で店を開きたい", None),
    ("地震に備えてＢＣＰを作りたい。組合でも取り組みたい。", "山口市"),
]
SEARCH_QUERIES = ["資金", "創業", "技術", "販路", "事業承継", "補助", "融資", "観光"]
PROGRAMME_FILTERS: list[dict[str, Any]] = [
    {"support_type": "finance", "kind": "loan"},
    {"action": 6},
    {"agency": "yipf", "kind": "subsidy"},
    {"support_type": "technology", "action": 8},
]
MUNICIPALITIES = ["萩市", "下関市", "宇部市", "35201", "周南市"]
REFERRAL_TEXTS = [
    "大学と共同研究して新製品を開発したい",
    "創業したいので融資の相談をしたい",
    "後継者がいないので事業承継について相談したい",
    "販路を広げるために展示会に出たい",
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    requests: tuple[Req, ...]


@dataclass
class Run:
    endpoint: Endpoint
    connections: int
    seconds: float
    requests: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    sample: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Non-2xx answers and socket errors; a run in which nothing completed counts as one."""
        return self.non2xx + self.socket_errors + (1 if self.requests == 0 else 0)


def lua_str(text: str) -> str:
    """A Lua string literal for any text (bytes outside printable ASCII as decimal escapes)."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if 32 <= byte < 127 and ch not in '"\\':
            out.append(ch)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


LUA_COMMON = r"""
bad = 0
sample = ""
local threads = {}
local reqs = {}
local i = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for _, r in ipairs(REQUESTS) do
    local headers = {}
    for k, v in pairs(r[3]) do headers[k] = v end
    table.insert(reqs, wrk.format(r[1], r[2], headers, r[4]))
  end
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if sample == "" then
      sample = tostring(status) .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local nbad = 0
  local first = ""
  for _, t in ipairs(threads) do
    nbad = nbad + t:get("bad")
    local s = t:get("sample")
    if first == "" and s then first = s end
  end
  local e = summary.errors
  io.write(string.format(
    "WRK-RESULT requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d " ..
    "non2xx=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, nbad,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write("WRK-SAMPLE " .. string.gsub(first, "[\r\n]", " ") .. "\n")
end
"""


def lua_script(endpoint: Endpoint) -> str:
    rows = []
    for r in endpoint.requests:
        headers = ", ".join(f"[{lua_str(k)}] = {lua_str(v)}" for k, v in r.headers)
        body = lua_str(r.body) if r.body is not None else "nil"
        rows.append(f"  {{{lua_str(r.method)}, {lua_str(r.path)}, {{{headers}}}, {body}}},")
    return "REQUESTS = {\n" + "\n".join(rows) + "\n}\n" + LUA_COMMON


_RESULT = re.compile(r"^WRK-RESULT (.*)$", re.M)
_SAMPLE = re.compile(r"^WRK-SAMPLE ?(.*)$", re.M)


def parse_wrk(output: str, endpoint: Endpoint, connections: int) -> Run:
    found = _RESULT.search(output)
    if not found:
        raise RuntimeError(f"no result from wrk for {endpoint.label}:\n{output[-2000:]}")
    values = {k: float(v) for k, v in (item.split("=") for item in found.group(1).split())}
    sample = _SAMPLE.search(output)
    return Run(
        endpoint=endpoint,
        connections=connections,
        seconds=values["duration_us"] / 1e6,
        requests=int(values["requests"]),
        p50_ms=values["p50_us"] / 1000,
        p90_ms=values["p90_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        non2xx=int(values["non2xx"]),
        socket_errors=int(values["connect"] + values["read"] + values["write"] + values["timeout"]),
        sample=sample.group(1).strip() if sample else "",
    )


class Wrk:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.runs: list[tuple[str, Run]] = []

    def run(
        self, base: str, endpoint: Endpoint, connections: int, seconds: float, context: str
    ) -> Run:
        script = self.workdir / f"{endpoint.key}.lua"
        script.write_text(lua_script(endpoint), encoding="utf-8")
        cmd = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={WRK_TIMEOUT_S}s",
            "-s",
            str(script),
            base,
        ]
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
        run = parse_wrk(done.stdout + done.stderr, endpoint, connections)
        self.runs.append((context, run))
        flag = "" if run.errors == 0 else f"  ERRORS {run.errors}: {run.sample[:120]!r}"
        log(
            f"{context}: {endpoint.label} c={connections}: {run.rps:.0f} req/s, "
            f"p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms{flag}"
        )
        return run


# --- servers and databases --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vm_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def child_pids(parent: int) -> list[int]:
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


def bench_env(database_url: str, admin_key: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        RATE_LIMIT_PER_MINUTE="0",
        CONVERSATIONS_PER_MINUTE="0",
        BOOTSTRAP_ADMIN_KEY=admin_key,
        LOG_LEVEL="info",
        PYTHONUNBUFFERED="1",
    )
    return env


class Server:
    """`uvicorn app.main:app` on a free port; its JSON logs go to a file."""

    def __init__(self, database_url: str, admin_key: str, workers: int, logdir: Path) -> None:
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = logdir / f"server-{self.port}.log"
        self.env = bench_env(database_url, admin_key)
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    def __enter__(self) -> Server:
        cmd = [
            PY,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--timeout-worker-healthcheck",
            "30",
            "--log-level",
            "info",
            "--no-access-log",
        ]
        began = time.perf_counter()
        with self.log_path.open("wb") as logfile:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=logfile, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_tail()}")
            started = self.log_path.read_text(errors="replace").count(
                "Application startup complete."
            )
            if started >= self.workers and self._ready():
                self.startup_s = time.perf_counter() - began
                return self
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after 300 s:\n{self.log_tail()}")

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        return [self.pid] if self.workers == 1 else child_pids(self.pid)


def run_checked(cmd: Sequence[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Database:
    kind: str  # sqlite | postgresql
    title: str
    url: str = ""
    version: str = ""
    skipped: str | None = None


def prepare_sqlite(tmp: Path) -> Database:
    path = tmp / "bench-sqlite.db"
    return Database(
        "sqlite", "SQLite", url=f"sqlite:///{path}", version=f"SQLite {sqlite3.sqlite_version}"
    )


def _pg_admin_engine(url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    return create_engine(
        make_url(url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )


def prepare_postgresql(url: str) -> Database:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    db = Database("postgresql", "PostgreSQL", url=url)
    name = make_url(url).database or ""
    if "bench" not in name or not re.fullmatch(r"[a-z0-9_]+", name):
        db.skipped = (
            f"PostgreSQL skipped: the benchmark drops and recreates its database, so its name "
            f"must contain 'bench' (got {name!r} from BENCH_POSTGRES_URL)."
        )
        return db
    engine = _pg_admin_engine(url)
    try:
        with engine.connect() as conn:
            db.version = str(conn.execute(text("SHOW server_version")).scalar())
            db.version = f"PostgreSQL {db.version}"
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0][:200]
        db.skipped = (
            f"PostgreSQL skipped: no server answered at {make_url(url).render_as_string()} "
            f"({reason}). Set BENCH_POSTGRES_URL to measure it."
        )
    finally:
        engine.dispose()
    return db


def drop_postgresql(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    engine = _pg_admin_engine(url)
    name = make_url(url).database
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def bump_version(url: str) -> int:
    """Move the directory version, as every admin edit does; returns the new version."""
    from sqlalchemy import text

    from app.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE directory_state SET version = version + 1 WHERE id = 1"))
            return int(conn.execute(text("SELECT version FROM directory_state")).scalar_one())
    finally:
        engine.dispose()


@dataclass
class Rebuild:
    visible_s: float  # from the version bump to the first answer built on the new snapshot
    requests: int  # POST /v1/match answered meanwhile (one client, back to back)
    max_ms: float  # the slowest of them


def measure_rebuild(base: str, url: str) -> Rebuild:
    """Bump the version and ask /v1/match until its snapshot_version shows the new one."""
    body = {"text": MATCH_TEXTS[0][0]}
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=300) as client:
        version = bump_version(url)
        began = time.perf_counter()
        while time.perf_counter() - began < 300:
            t0 = time.perf_counter()
            resp = client.post("/v1/match", json=body)
            latencies.append(time.perf_counter() - t0)
            resp.raise_for_status()
            if resp.json().get("snapshot_version") == version:
                return Rebuild(time.perf_counter() - began, len(latencies), max(latencies) * 1000)
            time.sleep(0.01)
    raise RuntimeError(f"snapshot version {version} not served after 300 s")


# --- the snapshot probe (run in a fresh process) ----------------------------------------------


def probe_snapshot(database_url: str) -> dict[str, Any]:
    """Build the in-memory Directory once in this process; time and RSS before/after."""
    from sqlmodel import Session

    from app.core.config import Settings
    from app.core.db import make_engine
    from app.services.matching import matcher_builder
    from app.services.snapshot import build_directory

    engine = make_engine(database_url)
    builders = [matcher_builder(Settings().SEED_DIR)]
    with Session(engine) as session:  # connect once, so the pool is not counted
        session.connection()
    before = vm_rss_mib(os.getpid()) or 0.0
    t0 = time.perf_counter()
    with Session(engine) as session:
        directory = build_directory(session, builders)
    build_s = time.perf_counter() - t0
    after = vm_rss_mib(os.getpid()) or 0.0
    return {
        "programmes": len(directory.snapshot.programmes),
        "contact_points": len(directory.snapshot.contact_points),
        "build_s": build_s,
        "rss_before_mib": before,
        "rss_after_mib": after,
    }


def run_probe(database_url: str) -> dict[str, Any]:
    out = run_checked(
        [PY, "-m", "app.benchmarks.capacity", "--probe-snapshot", database_url], dict(os.environ)
    )
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# --- endpoints --------------------------------------------------------------------------------

JSON_HEADERS = (("Content-Type", "application/json"),)


def _get(paths: list[str]) -> tuple[Req, ...]:
    return tuple(Req("GET", p) for p in paths)


def _q(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def endpoints(front_desk_secret: str) -> dict[str, Endpoint]:
    match_reqs = tuple(
        Req(
            "POST",
            "/v1/match",
            json.dumps({"text": t, **({"municipality": m} if m else {})}, ensure_ascii=False),
            JSON_HEADERS,
        )
        for t, m in MATCH_TEXTS
    )
    auth = (*JSON_HEADERS, ("Authorization", f"Bearer {front_desk_secret}"))
    referral_reqs = tuple(
        Req(
            "POST",
            "/v1/referrals",
            json.dumps(
                {
                    "text": text,
                    "agency_id": agency,
                    "municipality": "萩市",
                    "consent": False,
                },
                ensure_ascii=False,
            ),
            auth,
        )
        for text, agency in zip(
            REFERRAL_TEXTS,
            ["yamaguchi-itc", "credit-guarantee-corporation", "yipf", "chambers-of-commerce"],
            strict=True,
        )
    )
    eps = [
        Endpoint("healthz", "GET /healthz", _get(["/healthz"])),
        Endpoint("match", "POST /v1/match", match_reqs),
        Endpoint(
            "programmes_q",
            "GET /v1/programmes?q=…",
            _get([_q("/v1/programmes", {"q": q}) for q in SEARCH_QUERIES]),
        ),
        Endpoint("referrals", "POST /v1/referrals", referral_reqs),
        Endpoint(
            "programmes",
            "GET /v1/programmes",
            _get([_q("/v1/programmes", {"offset": o} if o else {}) for o in (0, 50, 100)]),
        ),
        Endpoint(
            "programmes_filtered",
            "GET /v1/programmes?support_type=…&kind=…",
            _get([_q("/v1/programmes", f) for f in PROGRAMME_FILTERS]),
        ),
        Endpoint(
            "contact_points",
            "GET /v1/contact-points",
            _get([_q("/v1/contact-points", {"offset": o} if o else {}) for o in (0, 50)]),
        ),
        Endpoint(
            "contact_points_muni",
            "GET /v1/contact-points?municipality=…",
            _get([_q("/v1/contact-points", {"municipality": m}) for m in MUNICIPALITIES]),
        ),
        Endpoint(
            "hsds_services",
            "GET /v1/hsds/services",
            _get([_q("/v1/hsds/services", {"page": p} if p > 1 else {}) for p in (1, 2)]),
        ),
    ]
    return {e.key: e for e in eps}


RATIO_KEYS = ["match", "programmes_q", "referrals"]
DIRECTORY_KEYS = [
    "healthz",
    "programmes",
    "programmes_filtered",
    "programmes_q",
    "contact_points",
    "contact_points_muni",
    "hsds_services",
    "match",
]
MEMORY_LOAD_KEYS = ["match", "programmes_q", "hsds_services", "referrals"]
MEMORY_WARM_KEYS = ["healthz", *MEMORY_LOAD_KEYS, "contact_points_muni"]


def preflight(base: str, eps: list[Endpoint]) -> None:
    """Send every distinct request once: a bad payload fails here, with its answer."""
    with httpx.Client(base_url=base, timeout=120) as client:
        for ep in eps:
            for r in ep.requests:
                resp = client.request(
                    r.method,
                    r.path,
                    content=r.body.encode() if r.body is not None else None,
                    headers=dict(r.headers),
                )
                if not 200 <= resp.status_code < 300:
                    raise RuntimeError(
                        f"{r.method} {r.path} answered {resp.status_code}: {resp.text[:300]}"
                    )


def create_front_desk_key(base: str, admin_key: str) -> str:
    resp = httpx.post(
        f"{base}/v1/admin/api-keys",
        json={"scope": "front_desk", "municipality": "萩市", "label": "benchmark"},
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=30,
    )
    resp.raise_for_status()
    return str(resp.json()["secret"])


# --- one database -----------------------------------------------------------------------------


@dataclass
class MemoryRow:
    directory: str
    process: str
    warm_mib: float | None
    load_mib: float | None


@dataclass
class DbResult:
    db: Database
    ratio: dict[int, dict[str, Run]] = field(default_factory=dict)
    directory_runs: dict[str, dict[str, Run]] = field(default_factory=dict)
    startup_s: dict[str, float] = field(default_factory=dict)
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    rebuilds: list[Rebuild] = field(default_factory=list)
    single_rss_mib: dict[str, float | None] = field(default_factory=dict)
    memory: list[MemoryRow] = field(default_factory=list)
    two_worker_runs: dict[str, dict[str, Run]] = field(default_factory=dict)
    synthetic_line: str = ""
    seconds: float = 0.0


@dataclass
class Options:
    seconds: float
    directory_seconds: float
    load_seconds: float
    connections: list[int]
    directory_connections: int
    programmes: int
    contact_points: int


def memory_phase(
    server: Server, eps: dict[str, Endpoint], wrk: Wrk, opts: Options, directory: str, ctx: str
) -> tuple[list[MemoryRow], dict[str, Run]]:
    for key in MEMORY_WARM_KEYS:
        wrk.run(server.base, eps[key], 8, 1, f"{ctx} warm-up")
    pids = server.worker_pids()
    warm = {pid: vm_rss_mib(pid) for pid in pids}
    master_warm = vm_rss_mib(server.pid)
    runs = {
        key: wrk.run(server.base, eps[key], 32, opts.load_seconds, ctx) for key in MEMORY_LOAD_KEYS
    }
    rows = [
        MemoryRow(directory, f"worker {n}", warm[pid], vm_rss_mib(pid))
        for n, pid in enumerate(pids, start=1)
    ]
    rows.append(MemoryRow(directory, "supervisor", master_warm, vm_rss_mib(server.pid)))
    return rows, runs


def bench_database(db: Database, opts: Options, wrk: Wrk, tmp: Path) -> DbResult:
    result = DbResult(db)
    began = time.perf_counter()
    admin_key = secrets.token_urlsafe(32)
    env = bench_env(db.url, admin_key)
    log(f"{db.title}: migrate and seed a fresh database")
    run_checked([PY, "-m", "alembic", "upgrade", "head"], env)
    run_checked([PY, "-m", "app.seeding"], env)
    result.probes["seed"] = run_probe(db.url)
    seed_label = "seed"

    with Server(db.url, admin_key, 1, tmp) as server:
        result.startup_s[seed_label] = server.startup_s
        desk = create_front_desk_key(server.base, admin_key)
        eps = endpoints(desk)
        preflight(server.base, list(eps.values()))
        for key in ("healthz", *RATIO_KEYS):
            wrk.run(server.base, eps[key], 8, 1, f"{db.title} warm-up")
        for c in opts.connections:
            result.ratio[c] = {
                key: wrk.run(server.base, eps[key], c, opts.seconds, f"{db.title} ratio")
                for key in ("healthz", *RATIO_KEYS)
            }
        result.directory_runs[seed_label] = {
            key: wrk.run(
                server.base,
                eps[key],
                opts.directory_connections,
                opts.directory_seconds,
                f"{db.title} seed directory",
            )
            for key in DIRECTORY_KEYS
        }
        result.single_rss_mib[seed_label] = vm_rss_mib(server.pid)

    with Server(db.url, admin_key, 2, tmp) as server:
        rows, runs = memory_phase(server, eps, wrk, opts, seed_label, f"{db.title} 2 workers")
        result.memory += rows
        result.two_worker_runs[seed_label] = runs

    log(f"{db.title}: load the synthetic directory")
    result.synthetic_line = run_checked(
        [
            PY,
            "-m",
            "app.benchmarks.synthetic",
            "--programmes",
            str(opts.programmes),
            "--contact-points",
            str(opts.contact_points),
            "--database-url",
            db.url,
        ],
        {k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    ).strip()
    log(result.synthetic_line)
    large = "synthetic"
    result.probes[large] = run_probe(db.url)

    with Server(db.url, admin_key, 1, tmp) as server:
        result.startup_s[large] = server.startup_s
        preflight(server.base, [eps[k] for k in DIRECTORY_KEYS])
        for key in DIRECTORY_KEYS:
            wrk.run(server.base, eps[key], 8, 1, f"{db.title} warm-up (synthetic)")
        result.directory_runs[large] = {
            key: wrk.run(
                server.base,
                eps[key],
                opts.directory_connections,
                opts.directory_seconds,
                f"{db.title} synthetic directory",
            )
            for key in DIRECTORY_KEYS
        }
        result.single_rss_mib[large] = vm_rss_mib(server.pid)
        result.rebuilds.append(measure_rebuild(server.base, db.url))

    with Server(db.url, admin_key, 2, tmp) as server:
        rows, runs = memory_phase(server, eps, wrk, opts, large, f"{db.title} 2 workers")
        result.memory += rows
        result.two_worker_runs[large] = runs

    result.seconds = time.perf_counter() - began
    return result


# --- the report -------------------------------------------------------------------------------


def _sh(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip() if done.returncode == 0 else ""


def machine_lines() -> list[str]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    u = platform.uname()
    commit = _sh(["git", "rev-parse", "HEAD"]) or "unknown (not a git checkout)"
    if commit != "unknown (not a git checkout)" and _sh(["git", "status", "--porcelain"]):
        commit += " (with uncommitted changes)"
    wrk_help = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"^wrk \S+", wrk_help.stdout + wrk_help.stderr, re.M)
    wrk_version = found.group(0) if found else "wrk"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Git commit: {commit}",
        f"- Kernel: {u.system} {u.release} {u.machine} (`uname -srm`)",
        f"- CPU: {cpu or 'unknown'}; {os.cpu_count()} logical cores (`nproc`: {_sh(['nproc'])})",
        f"- Memory: {mem or 'unknown'}",
        f"- Python {platform.python_version()}; {wrk_version}; load average at start: {load}",
    ]


def f0(x: float) -> str:
    return f"{x:,.0f}"


def f1(x: float) -> str:
    return f"{x:.1f}" if x < 100 else f"{x:,.0f}"


def f2(x: float) -> str:
    return f"{x:.2f}"


def mib(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f}"


def table(head: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(head) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    return [
        "| " + " | ".join(head) + " |",
        "| " + " | ".join(sep) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def errors_cell(run: Run) -> str:
    if run.requests == 0:
        return "**no request completed**"
    return "0" if run.errors == 0 else f"**{run.non2xx} non-2xx, {run.socket_errors} socket**"


def db_section(res: DbResult, opts: Options) -> list[str]:
    db = res.db
    labels = {key: ep.label for key, ep in endpoints("").items()}
    out = [f"## {db.title}", ""]
    if db.skipped:
        return [*out, f"**{db.skipped}**", ""]
    out += [
        f"{db.version}, on the same machine. Fresh database, migrated and seeded; "
        f"this section took {res.seconds:.0f} s.",
        "",
        "### Endpoints next to GET /healthz (seed directory, 1 worker)",
        "",
        "Each endpoint is measured right after GET /healthz at the same connection count "
        f"({opts.seconds:.0f} s per run). Ratios: throughput as endpoint ÷ healthz, "
        "p50 latency as endpoint ÷ healthz.",
        "",
    ]
    rows = []
    for c, runs in res.ratio.items():
        h = runs["healthz"]
        for key in ("healthz", *RATIO_KEYS):
            r = runs[key]
            rows.append(
                [
                    str(c),
                    r.endpoint.label,
                    f0(r.rps),
                    f1(r.p50_ms),
                    f1(r.p99_ms),
                    errors_cell(r),
                    "1" if key == "healthz" else f2(r.rps / h.rps),
                    "1" if key == "healthz" else f2(r.p50_ms / h.p50_ms),
                ]
            )
    out += table(
        [
            "conns",
            "endpoint",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "req/s ÷ healthz",
            "p50 ÷ healthz",
        ],
        rows,
        "rlrrrrrr",
    )
    seed, large = res.directory_runs.get("seed", {}), res.directory_runs.get("synthetic", {})
    ps = res.probes.get("synthetic", {})
    out += [
        "",
        f"### Seed directory vs synthetic directory ({opts.directory_connections} connections, "
        "1 worker)",
        "",
        f"Seed: {res.probes['seed']['programmes']} programmes, "
        f"{res.probes['seed']['contact_points']} contact points. Synthetic: the seed plus "
        f"`python -m app.benchmarks.synthetic --programmes {opts.programmes} --contact-points "
        f"{opts.contact_points}` = {ps.get('programmes', '?')} programmes, "
        f"{ps.get('contact_points', '?')} contact points ({res.synthetic_line}). "
        f"{opts.directory_seconds:.0f} s per run; ratios are synthetic ÷ seed.",
        "",
    ]
    rows = []
    for key in DIRECTORY_KEYS:
        a, b = seed.get(key), large.get(key)
        if a is None or b is None:
            continue
        rows.append(
            [
                a.endpoint.label,
                f0(a.rps),
                f1(a.p50_ms),
                f1(a.p99_ms),
                f0(b.rps),
                f1(b.p50_ms),
                f1(b.p99_ms),
                f2(b.rps / a.rps) if a.rps else "–",
                f2(b.p50_ms / a.p50_ms) if a.p50_ms else "–",
                "0" if a.errors + b.errors == 0 else f"**{a.errors} / {b.errors}**",
            ]
        )
    out += table(
        [
            "endpoint",
            "seed req/s",
            "p50 ms",
            "p99 ms",
            "synthetic req/s",
            "p50 ms",
            "p99 ms",
            "req/s ratio",
            "p50 ratio",
            "errors",
        ],
        rows,
    )
    out += [
        "",
        "### Snapshot (the in-memory directory every worker holds)",
        "",
        "Build: `build_directory` (snapshot, search indexes, compiled matcher with the SudachiPy "
        "dictionary) timed in a fresh process, with the RSS of that process before and after "
        "(the difference is what one directory costs a worker). Server start: from launching "
        "`uvicorn` (1 worker) to `/readyz` answering.",
        "",
    ]
    rows = []
    for label in ("seed", "synthetic"):
        p = res.probes.get(label)
        if not p:
            continue
        rows.append(
            [
                label,
                f0(p["programmes"]),
                f0(p["contact_points"]),
                f2(p["build_s"]),
                mib(p["rss_before_mib"]),
                mib(p["rss_after_mib"]),
                mib(p["rss_after_mib"] - p["rss_before_mib"]),
                f1(res.startup_s.get(label, 0.0)),
                mib(res.single_rss_mib.get(label)),
            ]
        )
    out += table(
        [
            "directory",
            "programmes",
            "contact points",
            "build s",
            "RSS before MiB",
            "RSS after MiB",
            "snapshot MiB",
            "server start s",
            "1-worker RSS after runs MiB",
        ],
        rows,
    )
    for rb in res.rebuilds:
        out += [
            "",
            "Rebuild with the synthetic directory: after a directory version bump (what every "
            "admin edit does), POST /v1/match answered from the new snapshot after "
            f"{rb.visible_s:.1f} s (including up to 0.5 s until the next version check). "
            f"Meanwhile one client asking back to back got {rb.requests} answers, the slowest "
            f"in {rb.max_ms:,.0f} ms.",
        ]
    out += [
        "",
        "### Resident memory per worker (`uvicorn --workers 2`)",
        "",
        "VmRSS from /proc/<pid>/status. Warm-up: "
        + ", ".join(labels[k] for k in MEMORY_WARM_KEYS)
        + " at 8 connections for 1 s each; load: "
        + ", ".join(labels[k] for k in MEMORY_LOAD_KEYS)
        + f" at 32 connections for {opts.load_seconds:.0f} s each.",
        "",
    ]
    out += table(
        ["directory", "process", "after warm-up MiB", "after load MiB"],
        [[m.directory, m.process, mib(m.warm_mib), mib(m.load_mib)] for m in res.memory],
        "llrr",
    )
    out += ["", "Throughput of that load with 2 workers (32 connections):", ""]
    rows = []
    for label, runs in res.two_worker_runs.items():
        for r in runs.values():
            rows.append(
                [label, r.endpoint.label, f0(r.rps), f1(r.p50_ms), f1(r.p99_ms), errors_cell(r)]
            )
    out += table(["directory", "endpoint", "req/s", "p50 ms", "p99 ms", "errors"], rows, "llrrrr")
    return [*out, ""]


def report(
    results: list[DbResult],
    opts: Options,
    command: str,
    machine: list[str],
    matcher: str,
    wrk: Wrk,
    total_s: float,
) -> tuple[str, int]:
    bad = [(ctx, r) for ctx, r in wrk.runs if r.errors]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench`, i.e. `{command}` (whole run: {total_s / 60:.1f} min).",
        "A measurement on one machine, not a guarantee: rerun it where you deploy.",
        "",
        "## Machine",
        "",
        *machine,
        "",
        "## Method",
        "",
        "- Load generator: [wrk](https://github.com/wg/wrk) (Debian package), closed loop "
        "(each connection sends its next request when the answer arrives), 1 wrk thread, "
        f"timeout {WRK_TIMEOUT_S} s. A Lua script rotates a few realistic requests per endpoint "
        "(8 consultation texts for /v1/match, 8 search words for q=, 4 referrals) and its "
        "`done` hook reports requests, p50/p90/p99 latency, socket errors and non-2xx answers. "
        "Every run must have zero non-2xx answers and zero socket errors.",
        "- **wrk runs on the same machine and shares its cores with the server (and, for "
        "PostgreSQL, with the database server)**, so these figures are a lower bound for "
        "a dedicated API host.",
        "- Server: `uvicorn app.main:app --workers 1` for the ratio and directory tables "
        "(one worker, so a ratio compares endpoints on the same single process), "
        "`--workers 2` for the memory table; rate limits off (`RATE_LIMIT_PER_MINUTE=0`), "
        "application JSON logs on (`LOG_LEVEL=info`, to a file), uvicorn access log off, "
        "snapshot check every 0.5 s (the default). POST /v1/referrals uses a front_desk key "
        "issued through the bootstrap admin key; every request creates a referral.",
        "- Databases: a fresh temporary SQLite file; a PostgreSQL database created for the run "
        "(BENCH_POSTGRES_URL, default `" + DEFAULT_PG_URL + "`) and dropped afterwards.",
        "",
        "## Matcher in-process latency vs rule count",
        "",
        "`python -m app.matching.bench`: `match_need` per call (normalizer cache off, so every "
        "call tokenizes), seed rules and synthetic rule sets of 1k and 10k rules.",
        "",
        "```",
        matcher.rstrip(),
        "```",
        "",
    ]
    for res in results:
        lines += db_section(res, opts)
    if bad:
        lines += ["## Errors", ""]
        for ctx, r in bad:
            lines.append(
                f"- {ctx}: {r.endpoint.label} at {r.connections} connections: {r.requests} "
                f"requests, {r.non2xx} non-2xx, {r.socket_errors} socket errors; "
                f"first: `{r.sample[:200]}`"
            )
        lines.append("")
    else:
        lines += [f"All {len(wrk.runs)} wrk runs: zero non-2xx answers, zero socket errors.", ""]
    return "\n".join(lines), (1 if bad else 0)


# --- main -------------------------------------------------------------------------------------


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m app.benchmarks.capacity")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path, default=None, help="write the report here too")
    parser.add_argument("--seconds", type=float, default=5, help="per run, ratio table")
    parser.add_argument("--directory-seconds", type=float, default=3)
    parser.add_argument("--load-seconds", type=float, default=3)
    parser.add_argument("--connections", type=_ints, default=[1, 8, 32])
    parser.add_argument("--directory-connections", type=int, default=8)
    parser.add_argument("--programmes", type=int, default=10000)
    parser.add_argument("--contact-points", type=int, default=100000)
    parser.add_argument("--matcher-rounds", type=int, default=200)
    parser.add_argument("--probe-snapshot", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.probe_snapshot:
        print(json.dumps(probe_snapshot(args.probe_snapshot)))
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    unknown = set(kinds) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    opts = Options(
        seconds=args.seconds,
        directory_seconds=args.directory_seconds,
        load_seconds=args.load_seconds,
        connections=args.connections,
        directory_connections=args.directory_connections,
        programmes=args.programmes,
        contact_points=args.contact_points,
    )
    command = shlex.join(["python", "-m", "app.benchmarks.capacity", *argv])
    began = time.perf_counter()
    machine = machine_lines()
    log("matcher latency vs rule count")
    matcher = run_checked(
        [PY, "-m", "app.matching.bench", "--rounds", str(args.matcher_rounds)], dict(os.environ)
    )
    results: list[DbResult] = []
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as tmpname:
        tmp = Path(tmpname)
        wrk = Wrk(tmp)
        for kind in kinds:
            if kind == "sqlite":
                db = prepare_sqlite(tmp)
            else:
                db = prepare_postgresql(os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_PG_URL)
            if db.skipped:
                log(db.skipped)
                results.append(DbResult(db))
                continue
            try:
                results.append(bench_database(db, opts, wrk, tmp))
            finally:
                if kind == "postgresql":
                    drop_postgresql(db.url)
        text, status = report(
            results, opts, command, machine, matcher, wrk, time.perf_counter() - began
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    if status:
        log("some runs had errors: see the Errors section")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
