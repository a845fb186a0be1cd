"""kill -9 of the server in the middle of a burst of writes loses no acknowledged write and
leaves no half-written record, on SQLite and on PostgreSQL.

A real uvicorn process serves a fresh database. Threads create referrals (front_desk key) and
edit programmes and a contact point (admin, If-Match chained from each answer) as fast as they
can; once enough writes were acknowledged the process gets SIGKILL while requests are in flight.
Then, straight from the database: every acknowledged referral is there with its "created" event
and every acknowledged edit is there with its audit entry; no referral lacks its event, every
revision of an edited record has exactly one audit entry and the directory version moved once per
edit. Finally the server starts again on the same database and serves.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.core.db import make_engine
from faults.servers import (
    bearer,
    create_key,
    new_admin_secret,
    postgres_database,
    prepare_database,
    render,
    start_server,
)

PROGRAMMES = ["yamaguchi-sme-development-grant", "technology-innovation-grant"]
CONTACT_POINT = "yamaguchi-itc"
REFERRAL_THREADS = 6
# Kill once this many writes of each kind were acknowledged (a fraction of a second of load).
KILL_AFTER_REFERRALS = 40
KILL_AFTER_EDITS = 12


@dataclass
class Ledger:
    """What the server acknowledged (2xx), and what was cut off by the kill."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    referrals: dict[int, str] = field(default_factory=dict)  # id -> text
    edits: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)  # revision -> value
    cut_off: int = 0
    unexpected: list[str] = field(default_factory=list)

    def edit_count(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.edits.values())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kill9.db'}"
        return
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    with postgres_database("madoguchi_faults_kill9") as url:
        yield render(url)


def _referral_worker(base: str, secret: str, n: int, ledger: Ledger, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, headers=bearer(secret), timeout=30) as client:
        i = 0
        while not stop.is_set():
            body_text = f"障害試験 worker{n} 件{i}: 共同研究の相談"
            i += 1
            try:
                resp = client.post(
                    "/v1/referrals",
                    json={
                        "text": body_text,
                        "agency_id": "yamaguchi-itc",
                        "municipality": "萩市",
                        "consent": False,
                    },
                )
            except httpx.TransportError:
                with ledger.lock:
                    ledger.cut_off += 1
                return
            if resp.status_code == 201:
                with ledger.lock:
                    ledger.referrals[resp.json()["id"]] = body_text
            else:
                with ledger.lock:
                    ledger.unexpected.append(f"referral {resp.status_code} {resp.text[:200]}")


def _edit_worker(
    base: str, secret: str, kind: str, entity_id: str, ledger: Ledger, stop: threading.Event
) -> None:
    path = {"programme": "/v1/admin/programmes/", "contact_point": "/v1/admin/contact-points/"}
    field_name = "status_note" if kind == "programme" else "hours"
    key = (kind, entity_id)
    with httpx.Client(base_url=base, headers=bearer(secret), timeout=30) as client:
        current = client.get(path[kind] + entity_id)
        assert current.status_code == 200, current.text
        tag = current.headers["ETag"]
        i = 0
        while not stop.is_set():
            value = f"障害試験 {kind} 版{i}"
            i += 1
            try:
                resp = client.patch(
                    path[kind] + entity_id, json={field_name: value}, headers={"If-Match": tag}
                )
            except httpx.TransportError:
                with ledger.lock:
                    ledger.cut_off += 1
                return
            if resp.status_code == 200:
                tag = resp.headers["ETag"]
                with ledger.lock:
                    ledger.edits.setdefault(key, {})[resp.json()["revision"]] = value
            else:
                with ledger.lock:
                    ledger.unexpected.append(f"{kind} {resp.status_code} {resp.text[:200]}")
                return


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    return _rows(engine, sql, **params)[0][0]


def _json(value: Any) -> dict[str, Any]:
    """A JSON column as read by a plain SQL query (text on SQLite, already decoded on PG)."""
    return dict(json.loads(value) if isinstance(value, str) else value)


def test_kill9_during_writes_loses_no_acknowledged_write(database_url: str, tmp_path: Path) -> None:
    prepare_database(database_url)
    engine = make_engine(database_url)
    admin = new_admin_secret()
    env = {"BOOTSTRAP_ADMIN_KEY": admin}
    server = start_server(database_url, log_path=tmp_path / "server.log", env=env)
    try:
        desk = create_key(server.base_url, admin, scope="front_desk", municipality="萩市")
        initial_revisions = {
            ("programme", pid): _scalar(engine, "SELECT revision FROM programme WHERE id=:i", i=pid)
            for pid in PROGRAMMES
        }
        initial_revisions[("contact_point", CONTACT_POINT)] = _scalar(
            engine, "SELECT revision FROM contact_point WHERE id=:i", i=CONTACT_POINT
        )
        initial_version = _scalar(engine, "SELECT version FROM directory_state WHERE id=1")

        ledger = Ledger()
        stop = threading.Event()
        threads = [
            threading.Thread(target=_referral_worker, args=(server.base_url, desk, n, ledger, stop))
            for n in range(REFERRAL_THREADS)
        ]
        threads += [
            threading.Thread(
                target=_edit_worker, args=(server.base_url, admin, kind, eid, ledger, stop)
            )
            for (kind, eid) in initial_revisions
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with ledger.lock:
                enough = (
                    len(ledger.referrals) >= KILL_AFTER_REFERRALS
                    and sum(len(v) for v in ledger.edits.values()) >= KILL_AFTER_EDITS
                )
            if enough or ledger.unexpected:
                break
            time.sleep(0.005)
        server.kill()  # SIGKILL while the workers keep sending
        stop.set()
        for t in threads:
            t.join(timeout=60)
    finally:
        server.kill()

    print(
        f"kill -9 after {len(ledger.referrals)} referrals and {ledger.edit_count()} edits "
        f"acknowledged, {ledger.cut_off} requests cut off"
    )
    assert not ledger.unexpected, ledger.unexpected[:5]
    assert len(ledger.referrals) >= KILL_AFTER_REFERRALS
    assert ledger.edit_count() >= KILL_AFTER_EDITS
    assert ledger.cut_off >= 1, "the workers were still sending when the server was killed"

    # Every acknowledged referral is there, with its text and its "created" event.
    acked = ledger.referrals
    stored = {
        row.id: row.text
        for row in _rows(engine, "SELECT id, text FROM referral")  # small table
    }
    missing = sorted(set(acked) - set(stored))
    assert not missing, f"acknowledged referrals lost: {missing[:10]}"
    assert all(stored[i] == acked[i] for i in acked)
    created_events = {
        row.referral_id: row.n
        for row in _rows(
            engine,
            "SELECT referral_id, COUNT(*) AS n FROM referral_event "
            "WHERE kind='created' GROUP BY referral_id",
        )
    }
    # No referral without its history, none with two "created" events, no orphan event.
    assert {i: created_events.get(i, 0) for i in stored} == dict.fromkeys(stored, 1)
    orphans = _rows(
        engine,
        "SELECT e.id FROM referral_event e LEFT JOIN referral r ON r.id = e.referral_id "
        "WHERE r.id IS NULL",
    )
    assert orphans == []
    # At most one unacknowledged referral per thread can have been committed before the kill.
    assert len(stored) - len(acked) <= REFERRAL_THREADS

    # Every acknowledged edit is there with its audit entry; no audit entry without its edit.
    total_edits = 0
    for (kind, entity_id), initial in initial_revisions.items():
        table, column = (
            ("programme", "status_note") if kind == "programme" else ("contact_point", "hours")
        )
        (revision, value) = _rows(
            engine, f"SELECT revision, {column} FROM {table} WHERE id=:i", i=entity_id
        )[0]
        acked_edits = ledger.edits.get((kind, entity_id), {})
        audits = [
            _json(row.after)
            for row in _rows(
                engine,
                "SELECT after FROM audit_entry WHERE entity_type=:t AND entity_id=:i "
                "AND action='update' ORDER BY id",
                t=kind,
                i=entity_id,
            )
        ]
        # One audit entry per revision, in order, and the last one is what the row holds.
        assert [a["revision"] for a in audits] == list(range(initial + 1, revision + 1))
        if audits:
            assert audits[-1][column] == value
        for acked_revision, acked_value in acked_edits.items():
            assert revision >= acked_revision, f"{kind} {entity_id}: acknowledged edit lost"
            assert audits[acked_revision - initial - 1][column] == acked_value
        # At most the one request in flight was committed without an acknowledgement.
        assert revision - max(acked_edits, default=initial) <= 1
        total_edits += revision - initial
    version = _scalar(engine, "SELECT version FROM directory_state WHERE id=1")
    assert version == initial_version + total_edits, "every edit moves the directory version"

    # The server starts again on the same database and serves reads and writes.
    server = start_server(database_url, log_path=tmp_path / "server-restart.log", env=env)
    try:
        any_id = next(iter(acked))
        got = httpx.get(f"{server.base_url}/v1/referrals/{any_id}", headers=bearer(admin))
        assert got.status_code == 200
        assert [e["kind"] for e in got.json()["history"]] == ["created"]
        again = httpx.post(
            f"{server.base_url}/v1/referrals",
            json={
                "text": "再起動後の紹介",
                "agency_id": "yamaguchi-itc",
                "municipality": "萩市",
                "consent": False,
            },
            headers=bearer(desk),
        )
        assert again.status_code == 201, again.text
    finally:
        server.stop()
        engine.dispose()
