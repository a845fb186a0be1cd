"""The database goes away under a running server: matching goes on, writes say 503, and the
service recovers by itself when the database returns.

PostgreSQL: the server reaches PostgreSQL through a TCP proxy started by the test; "the database
stops" is the proxy closing every connection and refusing new ones (the real PostgreSQL, shared
with others, is never touched), then accepting connections without ever answering (a host that
does not respond: only the connect timeout ends the wait).

SQLite: an embedded file cannot "go down" while the server holds it open (a moved, deleted or
chmod-ed file keeps serving through the open descriptors; the tests run as root besides), so the
SQLite fault is the one that happens in practice: another process holds the write lock (a backup,
a long migration). Reads and matching go on; writes wait SQLITE_BUSY_TIMEOUT_SECONDS, then 503.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from faults.servers import (
    ServerProcess,
    TcpProxy,
    bearer,
    create_key,
    new_admin_secret,
    postgres_database,
    postgres_target,
    prepare_database,
    render,
    start_server,
)

MATCH_TEXT = {"text": "共同研究したいし運転資金の融資も受けたい", "municipality": "萩市"}
REFERRAL = {
    "text": "障害試験: 共同研究の相談",
    "agency_id": "yamaguchi-itc",
    "municipality": "萩市",
    "consent": False,
}
PROGRAMME = "/v1/admin/programmes/technology-innovation-grant"
# Generous client timeout: a request that has not answered by then is a hang.
CLIENT_TIMEOUT = 30.0
# How long the test waits for recovery to be observed (a deadline, not a measured bound).
RECOVERY_DEADLINE = 30.0


def assert_unavailable(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    assert any(ord(ch) > 0x3000 for ch in body["detail"]), "detail must be Japanese"
    assert int(resp.headers["Retry-After"]) > 0


def access_statuses(server: ServerProcess) -> list[int]:
    statuses = []
    for line in server.log_text().splitlines():
        if line.startswith("{") and '"madoguchi.access"' in line:
            statuses.append(json.loads(line)["status"])
    return statuses


def wait_until(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + RECOVERY_DEADLINE
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not observed within {RECOVERY_DEADLINE} s: {what}")


def match(client: httpx.Client) -> dict[str, Any]:
    resp = client.post("/v1/match", json=MATCH_TEXT)
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def test_postgres_outage_keeps_matching_and_refuses_writes_with_503(tmp_path: Path) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    admin = new_admin_secret()
    with postgres_database("madoguchi_faults_down") as url:
        prepare_database(render(url))
        proxy = TcpProxy(*postgres_target(url)).start()
        server = start_server(
            render(proxy.url_for(url)),
            log_path=tmp_path / "server.log",
            env={
                "BOOTSTRAP_ADMIN_KEY": admin,
                "DB_CONNECT_TIMEOUT_SECONDS": "2",
                "SNAPSHOT_CHECK_SECONDS": "0.2",
            },
        )
        try:
            desk = create_key(server.base_url, admin, scope="front_desk", municipality="萩市")
            with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT) as client:
                before = match(client)
                assert before["matched"]
                assert (
                    client.post("/v1/referrals", json=REFERRAL, headers=bearer(desk)).status_code
                    == 201
                )
                programme = client.get(PROGRAMME, headers=bearer(admin))
                assert programme.status_code == 200
                tag = programme.headers["ETag"]

                # The database stops: connections closed, new ones refused.
                proxy.stop()
                # The worker's background version check notices, and keeps the snapshot.
                wait_until(
                    lambda: "database unavailable (" in server.log_text(),
                    "the snapshot check reporting the outage",
                )
                for _ in range(5):
                    assert match(client) == before  # answered from the in-memory snapshot
                ready = client.get("/readyz")
                assert_unavailable(ready)
                assert_unavailable(
                    client.post("/v1/referrals", json=REFERRAL, headers=bearer(desk))
                )
                assert_unavailable(client.get("/v1/referrals", headers=bearer(desk)))
                assert_unavailable(
                    client.patch(
                        PROGRAMME,
                        json={"status_note": "停止中の編集"},
                        headers={**bearer(admin), "If-Match": tag},
                    )
                )

                # The database host accepts connections and never answers: the connect timeout
                # (2 s here) turns that into a 503 instead of a hang; matching does not wait.
                proxy.blackhole()
                assert_unavailable(
                    client.post("/v1/referrals", json=REFERRAL, headers=bearer(desk))
                )
                assert_unavailable(client.get("/readyz"))
                assert match(client) == before

                # The database returns: ready again, writes go through, the snapshot follows edits.
                proxy.start()
                wait_until(lambda: client.get("/readyz").status_code == 200, "readyz 200")
                created = client.post("/v1/referrals", json=REFERRAL, headers=bearer(desk))
                assert created.status_code == 201, created.text
                edited = client.patch(
                    PROGRAMME,
                    json={"status_note": "復旧後の編集"},
                    headers={**bearer(admin), "If-Match": tag},
                )
                assert edited.status_code == 200, edited.text  # the refused edit changed nothing
                wait_until(
                    lambda: match(client)["snapshot_version"] > before["snapshot_version"],
                    "the snapshot rebuilt after the edit",
                )
                listed = client.get("/v1/referrals", headers=bearer(desk)).json()
                assert listed["total"] == 2  # the refused referrals were not half-written
        finally:
            server.stop()
            proxy.close()
    statuses = access_statuses(server)
    assert 503 in statuses and 500 not in statuses
    log = server.log_text()
    assert "database unavailable" in log and "unhandled error" not in log
    assert "database reachable again" in log


def test_sqlite_write_lock_held_elsewhere_gives_503_and_matching_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}"
    prepare_database(url)
    admin = new_admin_secret()
    server = start_server(
        url,
        log_path=tmp_path / "server.log",
        env={"BOOTSTRAP_ADMIN_KEY": admin, "SQLITE_BUSY_TIMEOUT_SECONDS": "1"},
    )
    try:
        desk = create_key(server.base_url, admin, scope="front_desk", municipality="萩市")
        with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT) as client:
            before = match(client)
            tag = client.get(PROGRAMME, headers=bearer(admin)).headers["ETag"]

            locker = sqlite3.connect(path, isolation_level=None, timeout=10)
            try:
                locker.execute("BEGIN IMMEDIATE")  # another process's write transaction
                assert match(client) == before
                # Reads go on (WAL): the database is there, so the server stays ready.
                assert client.get("/readyz").status_code == 200
                assert client.get("/v1/referrals", headers=bearer(desk)).status_code == 200
                assert_unavailable(
                    client.post("/v1/referrals", json=REFERRAL, headers=bearer(desk))
                )
                assert_unavailable(
                    client.patch(
                        PROGRAMME,
                        json={"status_note": "ロック中の編集"},
                        headers={**bearer(admin), "If-Match": tag},
                    )
                )
            finally:
                locker.execute("ROLLBACK")
                locker.close()

            created = client.post("/v1/referrals", json=REFERRAL, headers=bearer(desk))
            assert created.status_code == 201, created.text
            edited = client.patch(
                PROGRAMME,
                json={"status_note": "ロック解除後の編集"},
                headers={**bearer(admin), "If-Match": tag},
            )
            assert edited.status_code == 200, edited.text
            assert client.get("/v1/referrals", headers=bearer(desk)).json()["total"] == 1
    finally:
        server.stop()
    statuses = access_statuses(server)
    assert 503 in statuses and 500 not in statuses
    assert "database is locked" in server.log_text()
