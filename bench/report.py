"""The report of `make bench` (docs/BENCHMARKS.md): what a run measured, as Markdown.

It opens with the goals of issue 15, each with the figure of this run and whether it was met,
then one section per database. Every goal is a ratio measured in the same run, or a bound on
a latency, a memory size or a delay, never a figure from another day.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.wrk import WRK_TIMEOUT_S, Run, Wrk

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/madoguchi_bench"

RATIO_KEYS = ["match", "programmes_q", "referrals"]
# The public reads of the goal, each measured against the same server's /healthz.
READ_KEYS = [
    "support_types",
    "agencies",
    "role_matrix",
    "programmes",
    "programmes_filtered",
    "programmes_q",
    "contact_points",
    "contact_points_muni",
    "hsds_services",
]
# Lists and searches whose p99 with the large directory has a bound: those that grow with it.
LARGE_LIST_KEYS = [k for k in READ_KEYS if k.startswith(("programmes", "contact_points", "hsds"))]
DIRECTORY_KEYS = ["healthz", *READ_KEYS, "match", "match_new"]
MEMORY_LOAD_KEYS = ["match", "programmes_q", "hsds_services", "referrals"]
MEMORY_WARM_KEYS = ["healthz", *MEMORY_LOAD_KEYS, "contact_points_muni"]

# The goals (issue 15).
MATCH_VS_BASELINE = 0.8
HEALTHZ_VS_BASELINE = 0.85  # middleware, JSON logs and metrics cost at most 15 %
READ_VS_HEALTHZ = 0.7
LARGE_MATCH_VS_SEED = 0.8
LARGE_LIST_P99_MS = 20.0
SNAPSHOT_MIB = 150.0
EDIT_VISIBLE_S = 1.0
REFERRALS_RPS = 500.0
REFERRALS_P99_MS = 100.0


@dataclass
class Options:
    seconds: float
    directory_seconds: float
    load_seconds: float
    connections: list[int]
    directory_connections: int
    programmes: int
    contact_points: int


@dataclass
class Database:
    kind: str  # sqlite | postgresql
    title: str
    url: str = ""
    version: str = ""
    skipped: str | None = None


@dataclass
class Rebuild:
    workers: int
    visible_s: float  # from the version bump until every answer comes from the new snapshot
    requests: int  # POST /v1/match answered meanwhile (one client, back to back)
    max_ms: float  # the slowest of them
    kind: str = "edit"  # edit: a programme edited through the API; bump: a full rebuild


@dataclass
class MemoryRow:
    directory: str
    process: str
    warm_mib: float | None
    load_mib: float | None


@dataclass
class DbResult:
    db: Database
    overhead: dict[str, Run] = field(default_factory=dict)
    ratio: dict[int, dict[str, Run]] = field(default_factory=dict)
    directory_runs: dict[str, dict[str, Run]] = field(default_factory=dict)
    startup_s: dict[str, float] = field(default_factory=dict)
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    rebuilds: list[Rebuild] = field(default_factory=list)
    single_rss_mib: dict[str, float | None] = field(default_factory=dict)
    memory: list[MemoryRow] = field(default_factory=list)
    two_worker_runs: dict[str, dict[str, Run]] = field(default_factory=dict)
    # POST /v1/referrals at 8 connections on `uvicorn --workers 2` (one worker per core)
    referrals_two_workers: Run | None = None
    synthetic_line: str = ""
    seconds: float = 0.0


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


@dataclass
class Goal:
    what: str
    measured: str
    target: str
    met: bool | None  # None: reported, not a goal here


def _rps_ratio(a: Run | None, b: Run | None) -> float | None:
    return a.rps / b.rps if a and b and b.rps else None


def _at_least(what: str, ratio: float | None, target: float | None) -> list[Goal]:
    """A ratio goal (`target` None: reported only), or nothing when a run is missing."""
    if ratio is None:
        return []
    if target is None:
        return [Goal(what, f2(ratio), "", None)]
    return [Goal(what, f2(ratio), f"≥ {target}", ratio >= target)]


def goals(res: DbResult) -> list[Goal]:
    o = res.overhead
    seed = res.directory_runs.get("seed", {})
    large = res.directory_runs.get("synthetic", {})
    out = [
        *_at_least(
            "GET /healthz ÷ baseline GET",
            _rps_ratio(o.get("healthz"), o.get("baseline_healthz")),
            HEALTHZ_VS_BASELINE,
        ),
        *_at_least(
            "POST /v1/match ÷ baseline POST",
            _rps_ratio(o.get("match"), o.get("baseline_post")),
            MATCH_VS_BASELINE,
        ),
        *_at_least(
            "POST /v1/match, every text new ÷ baseline POST",
            _rps_ratio(o.get("match_new"), o.get("baseline_post")),
            None,
        ),
    ]
    health = [r.rps for k, r in seed.items() if k in ("healthz", "healthz_end")]
    mean = sum(health) / len(health) if health else 0.0
    for key in READ_KEYS:
        r = seed.get(key)
        if r is not None and mean:
            out += _at_least(f"{r.endpoint.label} ÷ /healthz (seed)", r.rps / mean, READ_VS_HEALTHZ)
    out += _at_least(
        "POST /v1/match, large ÷ seed directory",
        _rps_ratio(large.get("match"), seed.get("match")),
        LARGE_MATCH_VS_SEED,
    )
    out += _at_least(
        "POST /v1/match, every text new, large ÷ seed directory",
        _rps_ratio(large.get("match_new"), seed.get("match_new")),
        LARGE_MATCH_VS_SEED,
    )
    for key in LARGE_LIST_KEYS:
        r = large.get(key)
        if r is not None:
            out.append(
                Goal(
                    f"{r.endpoint.label} p99, large directory",
                    f"{f1(r.p99_ms)} ms",
                    f"< {LARGE_LIST_P99_MS:.0f} ms",
                    r.p99_ms < LARGE_LIST_P99_MS,
                )
            )
    probe = res.probes.get("synthetic")
    if probe:
        size = probe["rss_after_mib"] - probe["rss_before_mib"]
        out.append(
            Goal(
                "snapshot per worker, large directory",
                f"{size:.0f} MiB",
                f"≤ {SNAPSHOT_MIB:.0f} MiB",
                size <= SNAPSHOT_MIB,
            )
        )
    for rb in res.rebuilds:
        if rb.kind != "edit":
            continue
        out.append(
            Goal(
                f"an edit answered by every worker ({rb.workers} worker{'s' if rb.workers > 1 else ''}), large directory",
                f"{rb.visible_s:.1f} s",
                f"≤ {EDIT_VISIBLE_S:.0f} s",
                rb.visible_s <= EDIT_VISIBLE_S,
            )
        )
    is_pg = res.db.kind == "postgresql"
    for ref, workers in (
        (res.ratio.get(8, {}).get("referrals"), "1 worker"),
        (res.referrals_two_workers, "2 workers, one per core"),
    ):
        if ref is None:
            continue
        out.append(
            Goal(
                f"POST /v1/referrals at 8 connections ({workers})",
                f"{f0(ref.rps)} req/s, p99 {f1(ref.p99_ms)} ms",
                f"≥ {REFERRALS_RPS:.0f} req/s, p99 < {REFERRALS_P99_MS:.0f} ms"
                + ("" if is_pg else " (PostgreSQL)"),
                (ref.rps >= REFERRALS_RPS and ref.p99_ms < REFERRALS_P99_MS) if is_pg else None,
            )
        )
    return out


def goals_table(res: DbResult) -> list[str]:
    mark = {True: "met", False: "**not met**", None: "reported"}
    return table(
        ["goal", "this run", "target", ""],
        [[g.what, g.measured, g.target, mark[g.met]] for g in goals(res)],
        "lrrl",
    )


def db_section(res: DbResult, opts: Options, labels: dict[str, str]) -> list[str]:
    db = res.db
    out = [f"## {db.title}", ""]
    if db.skipped:
        return [*out, f"**{db.skipped}**", ""]
    out += [
        f"{db.version}, on the same machine. Fresh database, migrated and seeded; "
        f"this section took {res.seconds:.0f} s.",
        "",
        "### Goals",
        "",
        *goals_table(res),
        "",
        f"### Against the baseline ({opts.directory_connections} connections, 1 worker each)",
        "",
        "The baseline is the smallest FastAPI app that answers a GET and parses a JSON body "
        "(`bench/baseline.py`), under the same uvicorn flags; it and madoguchi run side by side "
        f"and are measured alternately, {opts.seconds:.0f} s per run.",
        "",
    ]
    o = res.overhead
    rows = []
    for key, against in (
        ("baseline_healthz", None),
        ("healthz", "baseline_healthz"),
        ("baseline_post", None),
        ("match", "baseline_post"),
        ("match_new", "baseline_post"),
    ):
        r = o.get(key)
        if r is None:
            continue
        ratio = _rps_ratio(r, o.get(against)) if against else None
        rows.append(
            [
                r.endpoint.label,
                f0(r.rps),
                f1(r.p50_ms),
                f1(r.p99_ms),
                errors_cell(r),
                "1" if ratio is None else f2(ratio),
            ]
        )
    out += table(["endpoint", "req/s", "p50 ms", "p99 ms", "errors", "req/s ÷ baseline"], rows)
    out += [
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
        f"`python -m bench.synthetic --programmes {opts.programmes} --contact-points "
        f"{opts.contact_points}` = {ps.get('programmes', '?')} programmes, "
        f"{ps.get('contact_points', '?')} contact points ({res.synthetic_line}). "
        f"{opts.directory_seconds:.0f} s per run, /healthz first and last; "
        "ratios are synthetic ÷ seed.",
        "",
    ]
    rows = []
    for key in [*DIRECTORY_KEYS, "healthz_end"]:
        a, b = seed.get(key), large.get(key)
        if a is None or b is None:
            continue
        rows.append(
            [
                a.endpoint.label + (" (again)" if key == "healthz_end" else ""),
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
        "Build: `build_directory` (snapshot, search indexes, list renderer, compiled matcher) "
        "timed in a fresh process that has already loaded what every worker loads whatever "
        "the directory (the SudachiPy dictionary and the resources the rule compiler loads "
        "once: `fixed MiB`), with the RSS of that process before and after: the difference "
        "is what one directory costs a worker. Server start: from launching `uvicorn` "
        "(1 worker) to `/readyz` answering.",
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
                mib(p.get("fixed_mib")),
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
            "fixed MiB",
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
            f"{'A programme edited through the API' if rb.kind == 'edit' else 'A version bump with no audit entry (a full rebuild, as after seeding or a bulk load)'}"
            f" with the synthetic directory, {rb.workers} worker(s): POST /v1/match answered "
            f"from the new snapshot on every new connection after {rb.visible_s:.2f} s (including up to "
            "0.25 s until the next version check). Meanwhile one client asking back to back "
            f"got {rb.requests} answers, the slowest in {rb.max_ms:,.0f} ms.",
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
    labels: dict[str, str],
) -> tuple[str, int]:
    bad = [(ctx, r) for ctx, r in wrk.runs if r.errors]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench`, i.e. `{command}` (whole run: {total_s / 60:.1f} min).",
        "A measurement on one machine, not a guarantee: rerun it where you deploy. Each "
        "database section opens with the goals and whether this run met them.",
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
        "snapshot check every 0.25 s (the default). The baseline app runs under the same flags. "
        "POST /v1/referrals uses a front_desk key issued through the bootstrap admin key; "
        "every request creates a referral.",
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
        lines += db_section(res, opts, labels)
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
