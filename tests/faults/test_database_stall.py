"""PostgreSQL stops answering without closing its connections: no request hangs.

Found by an outside fault test: the proxy in front of the database was stopped with SIGSTOP, so
every pooled connection stayed open and silent (the kernel keeps acknowledging, keepalives see
nothing wrong), and requests that reused one waited as long as the freeze lasted. Here the same:
a forwarder process between the server and PostgreSQL (tests/faults/forwarder.py) is frozen while
writes, searches and /readyz are in flight and new ones keep arriving, then thawed.

Asserted, with the default DB_* settings (docs/operations.md):
- every answer arrives within BOUND seconds (in flight: DB_RESPONSE_TIMEOUT_SECONDS; new:
  DB_POOL_TIMEOUT_SECONDS + DB_PING_TIMEOUT_SECONDS + DB_CONNECT_TIMEOUT_SECONDS), as 503 with
  Retry-After or as a success, never a 500;
- /readyz says 503 during the freeze, /v1/match keeps answering from memory;
- after the thaw the service recovers without a restart, and no connection that died in the
  freeze is handed out again (a run of requests all succeed);
- a write whose outcome was unknown (503) retried with its Idempotency-Key yields exactly one
  referral, and every acknowledged (201) referral is in the database.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.core.config import Settings
from faults.servers import (
    ForwarderProcess,
    bearer,
    create_key,
    new_admin_secret,
    postgres_database,
    postgres_target,
    prepare_database,
    render,
    start_server,
)

DEFAULTS = Settings()
# The longest a request may take while the database is silent: a new request may wait for a free
# pooled connection, ping a silent one and open a new one that is never answered. Plus a margin
# for a shared, noisy machine (a bound, not a measurement).
BOUND = (
    max(
        DEFAULTS.DB_RESPONSE_TIMEOUT_SECONDS,
        DEFAULTS.DB_POOL_TIMEOUT_SECONDS
        + DEFAULTS.DB_PING_TIMEOUT_SECONDS
        + DEFAULTS.DB_CONNECT_TIMEOUT_SECONDS,
    )
    + 1.5
)
FREEZE_SECONDS = 12.0
MATCH = {"text": "共同研究したいし運転資金の融資も受けたい", "municipality": "萩市"}


@dataclass
class Answer:
    kind: str
    key: str | None
    status: int
    started: float
    finished: float
    retry_after: str | None


def referral_body(key: str) -> dict[str, object]:
    return {
        "text": f"停止試験 {key}: 共同研究の相談",
        "agency_id": "yamaguchi-itc",
        "municipality": "萩市",
        "consent": False,
    }


def test_a_frozen_database_costs_each_request_a_bounded_503_and_loses_nothing(
    tmp_path: Path,
) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    admin = new_admin_secret()
    with postgres_database("madoguchi_faults_stall") as url:
        prepare_database(render(url))
        forwarder = ForwarderProcess(*postgres_target(url))
        server = start_server(
            render(forwarder.url_for(url)),
            log_path=tmp_path / "server.log",
            env={"BOOTSTRAP_ADMIN_KEY": admin, "SNAPSHOT_CHECK_SECONDS": "0.5"},
        )
        answers: list[Answer] = []
        lock = threading.Lock()
        stop = threading.Event()

        def traffic(kind: str, desk: str) -> None:
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                while not stop.is_set():
                    key = None
                    started = time.monotonic()
                    if kind == "write":
                        key = f"stall-{uuid.uuid4().hex}"
                        resp = client.post(
                            "/v1/referrals",
                            json=referral_body(key),
                            headers={**bearer(desk), "Idempotency-Key": key},
                        )
                    elif kind == "search":
                        resp = client.get("/v1/referrals", headers=bearer(desk))
                    else:
                        resp = client.get("/readyz")
                    with lock:
                        answers.append(
                            Answer(
                                kind,
                                key,
                                resp.status_code,
                                started,
                                time.monotonic(),
                                resp.headers.get("Retry-After"),
                            )
                        )
                    # a short pause only: requests must be in flight when the database freezes,
                    # and a referral takes a few milliseconds now
                    time.sleep(0.005)

        try:
            desk = create_key(server.base_url, admin, scope="front_desk", municipality="萩市")
            kinds = ["write"] * 4 + ["search"] * 2 + ["ready"]
            threads = [threading.Thread(target=traffic, args=(k, desk)) for k in kinds]
            for thread in threads:
                thread.start()
            time.sleep(2.0)  # traffic flows through the forwarder, the pool is warm
            frozen_at = time.monotonic()
            forwarder.freeze()
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                time.sleep(BOUND)
                # Matching does not touch the database: it answers at once meanwhile.
                started = time.monotonic()
                matched = client.post("/v1/match", json=MATCH)
                assert matched.status_code == 200 and matched.json()["matched"]
                assert time.monotonic() - started < 1.0
                # The load balancer sees the worker as not ready within the bound, and a new
                # write gets its 503 within it too.
                started = time.monotonic()
                assert client.get("/readyz").status_code == 503
                assert time.monotonic() - started < BOUND
                key = f"stall-{uuid.uuid4().hex}"
                started = time.monotonic()
                refused = client.post(
                    "/v1/referrals",
                    json=referral_body(key),
                    headers={**bearer(desk), "Idempotency-Key": key},
                )
                assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
                assert time.monotonic() - started < BOUND
                with lock:
                    answers.append(Answer("write", key, 503, started, time.monotonic(), "5"))
                time.sleep(max(0.0, frozen_at + FREEZE_SECONDS - time.monotonic()))
                thawed_at = time.monotonic()
                forwarder.thaw()
                # Recovery without a restart.
                deadline = thawed_at + 30
                while client.get("/readyz").status_code != 200:
                    assert time.monotonic() < deadline, "not ready 30 s after the thaw"
                    time.sleep(0.2)
            time.sleep(2.0)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
                assert not thread.is_alive(), "a request never came back"

            # Every answer within the bound, and only successes or 503 with Retry-After.
            slow = [a for a in answers if a.finished - a.started > BOUND]
            assert not slow, f"answers slower than {BOUND} s: {slow[:5]}"
            expected_ok = {"write": 201, "search": 200, "ready": 200}
            for a in answers:
                assert a.status in (expected_ok[a.kind], 503), a
                if a.status == 503:
                    assert a.retry_after is not None and int(a.retry_after) > 0
            # The freeze was felt: requests in flight at its start, 503s during it, and
            # successes before and after it.
            in_flight = [a for a in answers if a.started < frozen_at < a.finished]
            assert in_flight, "no request was in flight when the database froze"
            during = [a for a in answers if frozen_at < a.started and a.finished < thawed_at]
            assert during and all(a.status == 503 for a in during)
            assert any(a.status == 201 and a.finished < frozen_at for a in answers)
            after = [a for a in answers if a.started > thawed_at + 1.0]
            assert after and all(a.status == expected_ok[a.kind] for a in after), after

            # No dead pooled connection is handed out after the thaw.
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                for _ in range(30):
                    assert client.get("/v1/referrals", headers=bearer(desk)).status_code == 200

                # Writes whose outcome was unknown: a retry with the same key settles each.
                unknown = [a.key for a in answers if a.kind == "write" and a.status == 503]
                assert unknown
                for key in unknown:
                    assert key is not None
                    resp = client.post(
                        "/v1/referrals",
                        json=referral_body(key),
                        headers={**bearer(desk), "Idempotency-Key": key},
                    )
                    assert resp.status_code in (200, 201), resp.text
        finally:
            stop.set()
            server.stop()
            forwarder.close()

        refused = [a for a in answers if a.status == 503]
        print(
            f"stall: {len(answers)} answers, {len(refused)} x 503, slowest "
            f"{max(a.finished - a.started for a in answers):.2f} s (bound {BOUND} s), "
            f"slowest 503 {max(a.finished - a.started for a in refused):.2f} s"
        )
        acknowledged = {a.key for a in answers if a.kind == "write" and a.status == 201}
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT idempotency_key, count(*) FROM referral "
                        "WHERE idempotency_key LIKE 'stall-%' GROUP BY idempotency_key"
                    )
                ).all()
        finally:
            engine.dispose()
        counts = {key: n for key, n in rows}
        assert all(n == 1 for n in counts.values()), "a retried write created a duplicate"
        assert acknowledged <= counts.keys(), "an acknowledged referral is missing"
        assert set(unknown) <= counts.keys(), "a retried write is missing"
        log = server.log_text()
        assert "unhandled error" not in log
