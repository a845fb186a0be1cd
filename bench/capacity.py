"""Capacity measurement behind `make bench`: prints the report and writes docs/BENCHMARKS.md.

    python -m bench.capacity --databases sqlite,postgresql --out docs/BENCHMARKS.md

For each database (SQLite: a temporary file; PostgreSQL: its own database from
BENCH_POSTGRES_URL, dropped and recreated, skipped with a line in the report when the server
does not answer) it migrates and seeds a fresh database, starts `uvicorn app.main:app`
(bench.servers) with rate limits off and a random bootstrap admin key, and drives it with wrk
(bench.wrk: closed loop). Next to it runs the baseline, the smallest FastAPI app under the same
uvicorn flags (bench.baseline), so that every figure is a ratio measured in the same run:

- madoguchi's GET /healthz ÷ the baseline's GET, and POST /v1/match ÷ the baseline's POST;
- every public read endpoint ÷ madoguchi's own /healthz (seed directory);
- POST /v1/match, GET /v1/programmes?q=… and POST /v1/referrals at 1, 8 and 32 connections;
- the same endpoints with a synthetic directory of 10k programmes and 100k contact points
  (bench.synthetic) ÷ the seed directory, their p99, the snapshot's memory, and how long an edit
  takes to be answered by every worker;
- resident memory of every worker of `uvicorn --workers 2`;
- the matcher's in-process latency as the rule count grows (app.matching.bench).

The report (bench.report) opens with the goals of issue 15 and whether this run met them. A
benchmark, not a test: figures depend on the machine, which the report describes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.report import (
    DEFAULT_PG_URL,
    DIRECTORY_KEYS,
    MEMORY_LOAD_KEYS,
    MEMORY_WARM_KEYS,
    RATIO_KEYS,
    Database,
    DbResult,
    MemoryRow,
    Options,
    Rebuild,
    machine_lines,
    report,
)
from bench.servers import ServerProcess, issue_front_desk_key, prepare_database, start_server
from bench.wrk import UNIQUE_MARK, Endpoint, Req, Run, Wrk, log

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

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


def vm_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def bench_env(database_url: str, admin_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=database_url, BOOTSTRAP_ADMIN_KEY=admin_key)
    return env


def server(db_url: str, admin_key: str, workers: int, tmp: Path) -> ServerProcess:
    name = f"server-{time.monotonic_ns()}.log"
    return start_server(
        db_url,
        log_path=tmp / name,
        workers=workers,
        env={"BOOTSTRAP_ADMIN_KEY": admin_key},
        ready_timeout=300,
    )


def baseline(tmp: Path) -> ServerProcess:
    return start_server("", log_path=tmp / "baseline.log", target="bench.baseline:app")


def run_checked(cmd: Sequence[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


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


def read_version(url: str) -> int:
    from sqlalchemy import text

    from app.core.db import make_engine

    engine = make_engine(url, serving=False)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT version FROM directory_state")).scalar_one())
    finally:
        engine.dispose()


def edit_programme(base: str, url: str, admin_key: str) -> int:
    """An editor's change to one programme of the synthetic directory, through the API (what
    a worker applies row by row); returns the directory version it made."""
    resp = httpx.patch(
        f"{base}/v1/admin/programmes/synthetic-programme-000001",
        json={"status_note": f"ベンチマークの編集 {time.time():.3f}"},
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=60,
    )
    resp.raise_for_status()
    return read_version(url)


def measure_rebuild(
    base: str, url: str, workers: int, admin_key: str, kind: str, settle: int = 20
) -> Rebuild:
    """Make a change (`edit`: a programme edited through the API; `bump`: the version moved
    with no audit entry, as seeding or a bulk load do, which rebuilds everything) and ask
    /v1/match, each time on a new connection so that every worker is asked, until `settle`
    answers per worker in a row show the new snapshot version; the first of those is when the
    change was visible."""
    body = {"text": MATCH_TEXTS[0][0]}
    latencies: list[float] = []
    began = time.perf_counter()
    version = edit_programme(base, url, admin_key) if kind == "edit" else bump_version(url)
    first_new: float | None = None
    streak = 0
    while time.perf_counter() - began < 300:
        t0 = time.perf_counter()
        with httpx.Client(base_url=base, timeout=300) as client:
            resp = client.post("/v1/match", json=body)
        latencies.append(time.perf_counter() - t0)
        resp.raise_for_status()
        if resp.json().get("snapshot_version") >= version:
            first_new = first_new if streak else t0 - began
            streak += 1
            if streak >= settle * workers:
                assert first_new is not None
                return Rebuild(workers, first_new, len(latencies), max(latencies) * 1000, kind)
        else:
            streak = 0
        time.sleep(0.005)
    raise RuntimeError(f"snapshot version {version} not served after 300 s")


# --- the snapshot probe (run in a fresh process) ----------------------------------------------


def probe_snapshot(database_url: str) -> dict[str, Any]:
    """Build the in-memory Directory once in a fresh process: its time, and the RSS it adds
    to a process that has already loaded what every worker loads whatever the directory's size
    (the tokenizer's dictionary, the resources compiling the rules loads once, and the need
    classifier with scikit-learn: measured as `fixed_mib`), so that the difference is the
    directory's own cost."""
    from sqlmodel import Session

    from app.core.config import Settings
    from app.core.db import make_engine
    from app.matching import compile_rules, load_rules
    from app.matching.classifier import load_classifier
    from app.matching.pii import mask_personal_data
    from app.services.matching import matcher_builder, shared_normalizer
    from app.services.snapshot import build_directory

    engine = make_engine(database_url, serving=False)
    seed = Settings().SEED_DIR
    builders = [matcher_builder(seed)]
    start = vm_rss_mib(os.getpid()) or 0.0
    shared_normalizer().normalize("準備")
    mask_personal_data("準備")
    compile_rules(load_rules(seed / "rules", seed / "lexicon.yaml"), shared_normalizer())
    # the need classifier is a fixed cost of the process, like the dictionary: not the directory's
    load_classifier(seed / "eval")
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
        "fixed_mib": before - start,
    }


def run_probe(database_url: str) -> dict[str, Any]:
    out = run_checked(
        [PY, "-m", "bench.capacity", "--probe-snapshot", database_url], dict(os.environ)
    )
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# --- endpoints --------------------------------------------------------------------------------

JSON_HEADERS = (("Content-Type", "application/json"),)


def _get(paths: list[str]) -> tuple[Req, ...]:
    return tuple(Req("GET", p) for p in paths)


def _q(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _match_bodies(path: str, suffix: str = "") -> tuple[Req, ...]:
    return tuple(
        Req(
            "POST",
            path,
            json.dumps(
                {"text": t + suffix, **({"municipality": m} if m else {})}, ensure_ascii=False
            ),
            JSON_HEADERS,
        )
        for t, m in MATCH_TEXTS
    )


def endpoints(front_desk_secret: str) -> dict[str, Endpoint]:
    auth = (*JSON_HEADERS, ("Authorization", f"Bearer {front_desk_secret}"))
    referral_reqs = tuple(
        Req(
            "POST",
            "/v1/referrals",
            json.dumps(
                {"text": text, "agency_id": agency, "municipality": "萩市", "consent": False},
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
        Endpoint("baseline_healthz", "baseline GET /healthz", _get(["/healthz"])),
        Endpoint("baseline_post", "baseline POST (pydantic body)", _match_bodies("/match")),
        Endpoint("healthz", "GET /healthz", _get(["/healthz"])),
        Endpoint("match", "POST /v1/match", _match_bodies("/v1/match")),
        # the same texts, each request numbered (（相談 1）, （相談 2） ...): never a kept answer
        Endpoint(
            "match_new",
            "POST /v1/match, every text new",
            _match_bodies("/v1/match", f"（相談 {UNIQUE_MARK}）"),
            unique=True,
        ),
        Endpoint("referrals", "POST /v1/referrals", referral_reqs),
        Endpoint("support_types", "GET /v1/support-types", _get(["/v1/support-types"])),
        Endpoint("role_matrix", "GET /v1/role-matrix", _get(["/v1/role-matrix"])),
        Endpoint(
            "agencies",
            "GET /v1/agencies",
            _get(["/v1/agencies", *(_q("/v1/agencies", {"q": q}) for q in ("商工", "技術"))]),
        ),
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
            "programmes_q",
            "GET /v1/programmes?q=…",
            _get([_q("/v1/programmes", {"q": q}) for q in SEARCH_QUERIES]),
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
            _get(
                [
                    _q("/v1/hsds/services", p)
                    for p in ({}, {"page": 2}, {"search": "資金"}, {"taxonomy_term_id": "finance"})
                ]
            ),
        ),
    ]
    return {e.key: e for e in eps}


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


# --- one database -----------------------------------------------------------------------------


def memory_phase(
    srv: ServerProcess, eps: dict[str, Endpoint], wrk: Wrk, opts: Options, directory: str, ctx: str
) -> tuple[list[MemoryRow], dict[str, Run]]:
    for key in MEMORY_WARM_KEYS:
        wrk.run(srv.base, eps[key], 8, 1, f"{ctx} warm-up")
    pids = srv.worker_pids()
    warm = {pid: vm_rss_mib(pid) for pid in pids}
    master_warm = vm_rss_mib(srv.pid)
    runs = {
        key: wrk.run(srv.base, eps[key], 32, opts.load_seconds, ctx) for key in MEMORY_LOAD_KEYS
    }
    rows = [
        MemoryRow(directory, f"worker {n}", warm[pid], vm_rss_mib(pid))
        for n, pid in enumerate(pids, start=1)
    ]
    rows.append(MemoryRow(directory, "supervisor", master_warm, vm_rss_mib(srv.pid)))
    return rows, runs


def overhead_phase(
    app: ServerProcess, base: ServerProcess, eps: dict[str, Endpoint], wrk: Wrk, opts: Options
) -> dict[str, Run]:
    """The baseline and madoguchi side by side, alternating (the idle one costs nothing)."""
    c, s = opts.directory_connections, opts.seconds
    for srv, key in ((base, "baseline_healthz"), (base, "baseline_post"), (app, "healthz")):
        wrk.run(srv.base, eps[key], c, 1, "overhead warm-up")
    return {
        "baseline_healthz": wrk.run(base.base, eps["baseline_healthz"], c, s, "overhead"),
        "healthz": wrk.run(app.base, eps["healthz"], c, s, "overhead"),
        "baseline_post": wrk.run(base.base, eps["baseline_post"], c, s, "overhead"),
        "match": wrk.run(app.base, eps["match"], c, s, "overhead"),
        "match_new": wrk.run(app.base, eps["match_new"], c, s, "overhead"),
    }


def directory_phase(
    srv: ServerProcess, eps: dict[str, Endpoint], wrk: Wrk, opts: Options, ctx: str
) -> dict[str, Run]:
    runs = {
        key: wrk.run(srv.base, eps[key], opts.directory_connections, opts.directory_seconds, ctx)
        for key in DIRECTORY_KEYS
    }
    # /healthz again at the end: the reads are compared with the mean of the two
    runs["healthz_end"] = wrk.run(
        srv.base, eps["healthz"], opts.directory_connections, opts.directory_seconds, ctx
    )
    return runs


def bench_database(db: Database, opts: Options, wrk: Wrk, tmp: Path) -> DbResult:
    result = DbResult(db)
    began = time.perf_counter()
    admin_key = secrets.token_urlsafe(32)
    log(f"{db.title}: migrate and seed a fresh database")
    prepare_database(db.url)
    result.probes["seed"] = run_probe(db.url)

    with server(db.url, admin_key, 1, tmp) as srv, baseline(tmp) as base:
        result.startup_s["seed"] = srv.started_s
        desk = issue_front_desk_key(srv.base, admin_key, "benchmark")
        eps = endpoints(desk)
        preflight(srv.base, [e for k, e in eps.items() if not k.startswith("baseline")])
        preflight(base.base, [eps["baseline_healthz"], eps["baseline_post"]])
        for key in ("healthz", *RATIO_KEYS):
            wrk.run(srv.base, eps[key], 8, 1, f"{db.title} warm-up")
        result.overhead = overhead_phase(srv, base, eps, wrk, opts)
        for c in opts.connections:
            result.ratio[c] = {
                key: wrk.run(srv.base, eps[key], c, opts.seconds, f"{db.title} ratio")
                for key in ("healthz", *RATIO_KEYS)
            }
        result.directory_runs["seed"] = directory_phase(
            srv, eps, wrk, opts, f"{db.title} seed directory"
        )
        result.single_rss_mib["seed"] = vm_rss_mib(srv.pid)

    with server(db.url, admin_key, 2, tmp) as srv:
        rows, runs = memory_phase(srv, eps, wrk, opts, "seed", f"{db.title} 2 workers")
        result.memory += rows
        result.two_worker_runs["seed"] = runs
        # the deployment's shape on this machine: as many workers as cores
        result.referrals_two_workers = wrk.run(
            srv.base, eps["referrals"], 8, opts.seconds, f"{db.title} 2 workers"
        )

    log(f"{db.title}: load the synthetic directory")
    result.synthetic_line = run_checked(
        [
            PY,
            "-m",
            "bench.synthetic",
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
    result.probes["synthetic"] = run_probe(db.url)

    with server(db.url, admin_key, 1, tmp) as srv:
        result.startup_s["synthetic"] = srv.started_s
        preflight(srv.base, [eps[k] for k in DIRECTORY_KEYS])
        for key in DIRECTORY_KEYS:
            wrk.run(srv.base, eps[key], 8, 1, f"{db.title} warm-up (synthetic)")
        result.directory_runs["synthetic"] = directory_phase(
            srv, eps, wrk, opts, f"{db.title} synthetic directory"
        )
        result.single_rss_mib["synthetic"] = vm_rss_mib(srv.pid)
        result.rebuilds.append(measure_rebuild(srv.base, db.url, 1, admin_key, "bump"))
        result.rebuilds.append(measure_rebuild(srv.base, db.url, 1, admin_key, "edit"))

    with server(db.url, admin_key, 2, tmp) as srv:
        rows, runs = memory_phase(srv, eps, wrk, opts, "synthetic", f"{db.title} 2 workers")
        result.memory += rows
        result.two_worker_runs["synthetic"] = runs
        result.rebuilds.append(measure_rebuild(srv.base, db.url, 2, admin_key, "edit"))

    result.seconds = time.perf_counter() - began
    return result


# --- main -------------------------------------------------------------------------------------


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.capacity")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path, default=None, help="write the report here too")
    parser.add_argument("--seconds", type=float, default=5, help="per run, ratio tables")
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
    command = shlex.join(["python", "-m", "bench.capacity", *argv])
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
        labels = {key: ep.label for key, ep in endpoints("").items()}
        text, status = report(
            results, opts, command, machine, matcher, wrk, time.perf_counter() - began, labels
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
