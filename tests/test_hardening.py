"""Hardening from the outside review (issue: security review): the client address, shared rate
limits, the cap on new conversations and their scheduled purge, /metrics, redirects."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from partners import assert_problem
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import get_session
from app.main import create_app
from app.models.common import utcnow
from app.models.conversations import Conversation

REDIS_URL = "redis://127.0.0.1:6379/0"


def make_client(
    engine: Engine,
    database_url: str,
    client: tuple[str, int] = ("testclient", 50000),
    matcher: bool = False,
    **settings: Any,
) -> TestClient:
    app = create_app(
        Settings(
            DATABASE_URL=database_url,
            SNAPSHOT_CHECK_SECONDS=0.0,
            **{"RATE_LIMIT_PER_MINUTE": 0, "CONVERSATIONS_PER_MINUTE": 0, **settings},
        ),
        session_factory=lambda: Session(engine),
        extra_builders=None if matcher else [],
    )

    def override() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = override
    return TestClient(app, client=client)


def statuses(c: TestClient, n: int, **kwargs: Any) -> list[int]:
    return [c.get("/v1/support-types", **kwargs).status_code for _ in range(n)]


def test_an_invented_forwarded_address_does_not_dodge_the_limit(
    engine: Engine, database_url: str
) -> None:
    with make_client(engine, database_url, ("127.0.0.1", 4000), RATE_LIMIT_PER_MINUTE=3) as c:
        answers = [
            c.get("/v1/support-types", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(5)
        ]
    assert answers == [200, 200, 200, 429, 429]


def test_a_configured_proxy_is_trusted_for_the_client_address(
    engine: Engine, database_url: str
) -> None:
    with make_client(
        engine,
        database_url,
        ("10.0.0.5", 4000),
        RATE_LIMIT_PER_MINUTE=2,
        FORWARDED_ALLOW_IPS="10.0.0.0/24",
    ) as c:
        first = statuses(c, 3, headers={"X-Forwarded-For": "198.51.100.1"})
        other = statuses(c, 2, headers={"X-Forwarded-For": "198.51.100.2"})
    assert first == [200, 200, 429]  # one client behind the proxy has its own budget
    assert other == [200, 200]  # and another client behind the same proxy has its own


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"madoguchi-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_with_redis_every_worker_shares_one_budget(
    engine: Engine, database_url: str, redis_prefix: str
) -> None:
    settings = {
        "RATE_LIMIT_PER_MINUTE": 4,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": redis_prefix,
    }
    # two app instances stand for two worker processes: each would allow 4 on its own
    with (
        make_client(engine, database_url, ("192.0.2.7", 1), **settings) as one,
        make_client(engine, database_url, ("192.0.2.7", 2), **settings) as two,
    ):
        answers = statuses(one, 2) + statuses(two, 2) + statuses(one, 1) + statuses(two, 1)
    assert answers == [200, 200, 200, 200, 429, 429]


def test_a_silent_redis_lets_requests_through(engine: Engine, database_url: str) -> None:
    settings = {"RATE_LIMIT_PER_MINUTE": 1, "REDIS_URL": "redis://127.0.0.1:1/0"}
    with make_client(engine, database_url, **settings) as c:
        started = time.monotonic()
        assert statuses(c, 3) == [200, 200, 200]
        assert time.monotonic() - started < 5


def test_new_conversations_are_capped_per_address(engine: Engine, database_url: str) -> None:
    limit = {"CONVERSATIONS_PER_MINUTE": 2}
    with make_client(engine, database_url, ("192.0.2.9", 1), matcher=True, **limit) as c:
        started = [c.post("/v1/conversations", json={}) for _ in range(3)]
        assert [r.status_code for r in started] == [201, 201, 429]
        assert_problem(started[2], 429)
        assert 1 <= int(started[2].headers["retry-after"]) <= 60
        # talking in a conversation already started is not capped by it
        cid = started[0].json()["id"]
        for _ in range(3):
            resp = c.post(f"/v1/conversations/{cid}/messages", json={"text": "相談したい"})
            assert resp.status_code == 200


def test_expired_conversations_are_purged_on_a_schedule(engine: Engine, database_url: str) -> None:
    cid = f"expired-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session:
        past = utcnow() - timedelta(hours=2)
        session.add(
            Conversation(id=cid, created_at=past, updated_at=past, expires_at=past, state={})
        )
        session.commit()
    with make_client(engine, database_url, CONVERSATION_PURGE_SECONDS=0.1):
        deadline = time.monotonic() + 10
        while True:
            with Session(engine) as session:
                if session.get(Conversation, cid) is None:
                    break
            assert time.monotonic() < deadline, "the expired conversation was never purged"
            time.sleep(0.1)


def test_metrics_are_for_the_allowed_addresses_only(engine: Engine, database_url: str) -> None:
    with make_client(engine, database_url, ("198.51.100.4", 1)) as outside:
        assert_problem(outside.get("/metrics"), 403)
    with make_client(engine, database_url, ("127.0.0.1", 1)) as local:
        assert local.get("/metrics").status_code == 200
    # a local reverse proxy that is not configured: the client is unknown, not local
    with make_client(engine, database_url, ("127.0.0.1", 1)) as proxied:
        assert_problem(proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}), 403)
    allowed = {"METRICS_ALLOW_IPS": "10.0.0.0/8"}
    with make_client(engine, database_url, ("10.1.2.3", 1), **allowed) as scraper:
        assert scraper.get("/metrics").status_code == 200


def test_a_redirect_does_not_echo_the_host(client: TestClient) -> None:
    resp = client.get(
        "/v1/support-types/", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert resp.status_code in (307, 308)
    assert "evil.example" not in resp.headers["location"]
    assert resp.headers["location"] == "/v1/support-types"
