"""The benchmark tooling: the synthetic directory loader, the wrk plumbing, the baseline app and
the goals of the report of `make bench`.

The synthetic rows always go to a database of their own (a temporary SQLite file), never to the
shared test database. No figure is asserted: only that the tools do what they say.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from alembic import command
from app.core.config import PROJECT_ROOT
from app.core.db import make_engine
from app.models import ContactPoint, ContactPointMunicipality, Programme, ProgrammeOperator
from app.seeding.database import load_seed_into_database
from app.seeding.loader import SeedBundle
from app.services.snapshot import build_directory, read_version
from bench import capacity, report, synthetic, wrk
from bench.servers import child_pids
from tests.conftest import alembic_config


@pytest.fixture()
def bench_engine(tmp_path: Path, seed_bundle: SeedBundle) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed_into_database(session, seed_bundle)
        session.commit()
    yield url, engine
    engine.dispose()


def _count(session: Session, model: type, column: object, like: str | None = None) -> int:
    stmt = select(func.count()).select_from(model)
    if like is not None:
        stmt = stmt.where(col(column).like(like))
    return int(session.exec(stmt).one())


def test_synthetic_rows_are_marked_linked_and_replaced_on_rerun(
    bench_engine: tuple[str, Engine],
) -> None:
    _, engine = bench_engine
    with Session(engine) as session:
        seed_programmes = _count(session, Programme, Programme.id)
        seed_contacts = _count(session, ContactPoint, ContactPoint.id)
        version = read_version(session)

    counts = synthetic.load_synthetic(engine, programmes=30, contact_points=200)
    assert counts["programme"] == 30 and counts["contact_point"] == 200
    with Session(engine) as session:
        assert _count(session, Programme, Programme.id) == seed_programmes + 30
        assert _count(session, ContactPoint, ContactPoint.id) == seed_contacts + 200
        rows = session.exec(select(Programme).where(col(Programme.id).like("synthetic-%"))).all()
        assert len(rows) == 30
        assert all(p.name.startswith("【合成】") and "合成データ" in p.source_section for p in rows)
        contacts = session.exec(
            select(ContactPoint).where(col(ContactPoint.id).like("synthetic-%"))
        ).all()
        assert len(contacts) == 200
        assert all("合成データ" in c.source and not c.verified for c in contacts)
        assert not any(c.general_fallback for c in contacts)
        # every synthetic programme has an operator, every local contact point a municipality
        operated = _count(session, ProgrammeOperator, ProgrammeOperator.programme_id, "synthetic-%")
        assert operated >= 30
        assert _count(
            session,
            ContactPointMunicipality,
            ContactPointMunicipality.contact_point_id,
            "synthetic-%",
        ) >= sum(1 for c in contacts if not c.prefecture_wide)
        # the directory version moved, so running servers rebuild their snapshot
        assert read_version(session) == version + 1
        snapshot = build_directory(session, []).snapshot
        assert len(snapshot.programmes) == seed_programmes + 30
        assert len(snapshot.contact_points) == seed_contacts + 200

    # a rerun replaces the synthetic rows instead of adding to them
    synthetic.load_synthetic(engine, programmes=10, contact_points=20)
    with Session(engine) as session:
        assert _count(session, Programme, Programme.id) == seed_programmes + 10
        assert _count(session, ContactPoint, ContactPoint.id) == seed_contacts + 20


def test_synthetic_cli_refuses_the_application_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app_db = f"sqlite:///{PROJECT_ROOT / 'var' / 'madoguchi.db'}"
    assert synthetic.main(["--database-url", app_db, "--programmes", "1"]) == 2
    assert "refusing" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the URL is required
        synthetic.main(["--programmes", "1"])


def test_synthetic_cli_refuses_an_unseeded_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    command.upgrade(alembic_config(url), "head")
    with pytest.raises(SystemExit, match="not seeded"):
        synthetic.main(["--database-url", url, "--programmes", "1", "--contact-points", "1"])


def _lua_unescape(literal: str) -> str:
    assert literal.startswith('"') and literal.endswith('"')
    raw = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1))), literal[1:-1])
    return raw.encode("latin-1").decode("utf-8")


def test_lua_literals_carry_any_text_byte_for_byte() -> None:
    text = '{"text": "創業したい\\n\\"引用\\""}\r\n\tend'
    literal = wrk.lua_str(text)
    assert literal.isascii() and "\n" not in literal
    assert _lua_unescape(literal) == text


def test_wrk_summary_is_parsed_and_failures_count_as_errors() -> None:
    ep = wrk.Endpoint("x", "GET /x", (wrk.Req("GET", "/x"),))
    out = (
        "Running 5s test @ http://127.0.0.1:1\n"
        "WRK-RESULT requests=1000 duration_us=5000000 connect=0 read=1 write=0 timeout=2 "
        "non2xx=3 p50_us=1500 p90_us=2500 p99_us=9000 max_us=12000\n"
        "WRK-SAMPLE 503 problem\n"
    )
    run = wrk.parse_wrk(out, ep, 8)
    assert (run.requests, run.connections, run.rps) == (1000, 8, 200.0)
    assert (run.p50_ms, run.p99_ms, run.max_ms) == (1.5, 9.0, 12.0)
    assert (run.non2xx, run.socket_errors, run.errors) == (3, 3, 6)
    assert run.sample == "503 problem"
    empty = wrk.parse_wrk(out.replace("requests=1000", "requests=0"), ep, 8)
    assert empty.errors == 7  # nothing completed is a failure too
    with pytest.raises(RuntimeError):
        wrk.parse_wrk("wrk: connection refused", ep, 8)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        ok = self.path == "/ok" and body == '{"text":"創業"}'
        payload = b"fine" if ok else b"nope"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_script_rotates_requests_and_counts_non_2xx(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        headers = (("Content-Type", "application/json"),)
        ep = wrk.Endpoint(
            "mixed",
            "POST mixed",
            (
                wrk.Req("POST", "/ok", '{"text":"創業"}', headers),
                wrk.Req("POST", "/missing", '{"text":"創業"}', headers),
            ),
        )
        run = wrk.Wrk(tmp_path).run(
            f"http://127.0.0.1:{server.server_address[1]}", ep, 1, 1, "test"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert run.requests > 0 and run.socket_errors == 0
    # one connection alternates the two requests: half of the answers are 404
    assert abs(run.non2xx - run.requests / 2) <= 1
    assert run.sample.startswith("404 nope")


def test_child_workers_are_found_by_parent_pid() -> None:
    code = "import multiprocessing as m, time; m.set_start_method('spawn'); "
    code += "p = m.Process(target=time.sleep, args=(30,)); p.start(); print(p.pid, flush=True); "
    code += "p.join()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT
    )
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        # the pid is known right after fork; the worker's command line appears once it has
        # exec'd, so wait for it (readiness, not speed: the bound only stops a hang)
        deadline = time.monotonic() + 30
        while not child_pids(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child_pids(proc.pid) == [child]
        rss = capacity.vm_rss_mib(child)
        assert rss is not None and rss > 0
    finally:
        proc.kill()
        proc.wait(timeout=10)
        subprocess.run(["kill", "-9", str(child)], check=False)


def _run(key: str, rps: float, p99_ms: float = 5.0) -> wrk.Run:
    ep = wrk.Endpoint(key, key, (wrk.Req("GET", "/"),))
    return wrk.Run(ep, 8, 1.0, int(rps), 1.0, 2.0, p99_ms, p99_ms, 0, 0, "")


def test_goals_are_ratios_of_the_same_run() -> None:
    res = report.DbResult(report.Database("postgresql", "PostgreSQL"))
    res.overhead = {
        "baseline_healthz": _run("baseline_healthz", 3000),
        "healthz": _run("healthz", 2700),
        "baseline_post": _run("baseline_post", 2500),
        "match": _run("match", 1900),
    }
    seed = {"healthz": _run("healthz", 2000), "healthz_end": _run("healthz", 2400)}
    seed |= {key: _run(key, 1600) for key in report.READ_KEYS}
    seed["agencies"] = _run("agencies", 1400)
    seed["match"] = _run("match", 1000)
    res.directory_runs = {
        "seed": seed,
        "synthetic": {"match": _run("match", 700), "programmes_q": _run("programmes_q", 900, 30)},
    }
    res.probes = {"synthetic": {"rss_before_mib": 200, "rss_after_mib": 330}}
    res.rebuilds = [report.Rebuild(2, 0.8, 10, 5.0)]
    res.ratio = {8: {"referrals": _run("referrals", 450, 40)}}
    res.referrals_two_workers = _run("referrals", 620, 120)
    met = {g.what: g.met for g in report.goals(res)}
    assert met["GET /healthz ÷ baseline GET"] is True  # 0.90
    assert met["POST /v1/match ÷ baseline POST"] is False  # 0.76
    assert met["support_types ÷ /healthz (seed)"] is True  # 1600 / 2200 = 0.73
    assert met["agencies ÷ /healthz (seed)"] is False  # 0.64
    assert met["POST /v1/match, large ÷ seed directory"] is False  # 0.70
    assert met["programmes_q p99, large directory"] is False  # 30 ms
    assert met["snapshot per worker, large directory"] is True  # 130 MiB
    assert met["an edit answered by every worker (2 workers), large directory"] is True
    assert met["POST /v1/referrals at 8 connections (1 worker)"] is False  # 450 req/s
    # fast enough with two workers, but the p99 (120 ms) is over 100 ms
    assert met["POST /v1/referrals at 8 connections (2 workers, one per core)"] is False
    res.db = report.Database("sqlite", "SQLite")
    sqlite = {g.what: g.met for g in report.goals(res)}
    assert sqlite["POST /v1/referrals at 8 connections (1 worker)"] is None  # reported only


def test_baseline_app_parses_its_body() -> None:
    from fastapi.testclient import TestClient

    from bench.baseline import app

    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ok = client.post("/match", json={"text": "創業したい", "municipality": "萩市"})
        assert ok.json() == {"text_length": 5, "municipality": "萩市", "limit": 5}
        assert client.post("/match", json={"text": ""}).status_code == 422
