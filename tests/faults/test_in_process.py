"""In-process parts of the fault handling (no server process, run on every database):
the directory cache across a database outage, and the request id on the log line of a 500."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core.config import Settings
from app.core.observability import JsonFormatter
from app.main import create_app
from app.services.snapshot import DirectoryCache


@contextmanager
def captured(logger_name: str) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def wait_for(predicate: Callable[[], bool], deadline: float = 20.0) -> None:
    """Poll until predicate() holds; a deadline to fail instead of hanging, not a bound."""
    end = time.monotonic() + deadline
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


class SwitchableDatabase:
    """A session factory whose database can be switched off (connections refused)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.down = False
        self.calls: list[str] = []

    def __call__(self) -> Session:
        self.calls.append(threading.current_thread().name)
        if self.down:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
        return Session(self.engine)


def test_directory_cache_serves_its_snapshot_through_an_outage_on_the_request_path(
    engine: Engine,
) -> None:
    db = SwitchableDatabase(engine)
    cache = DirectoryCache(db, check_seconds=0.0)
    loaded = cache.load()
    db.down = True
    with captured("madoguchi.snapshot") as log:
        for _ in range(20):
            assert cache.get() is loaded  # no exception, the last snapshot
        assert cache.database_unreachable
        # One warning for the outage, and no retry on every request meanwhile.
        warnings = [e for e in json_lines(log) if "database unavailable" in str(e["message"])]
        assert len(warnings) == 1
        assert len(db.calls) < 20
        db.down = False
        cache.invalidate()
        assert cache.get() is loaded  # reachable again, version unchanged: same snapshot
        assert not cache.database_unreachable
        assert any("reachable again" in str(e["message"]) for e in json_lines(log))


def test_started_directory_cache_never_touches_the_database_on_the_request_path(
    engine: Engine,
) -> None:
    db = SwitchableDatabase(engine)
    cache = DirectoryCache(db, check_seconds=0.05)
    loaded = cache.load()
    cache.start()
    try:
        db.down = True
        requests = db.calls.count(threading.current_thread().name)
        wait_for(lambda: cache.get() is loaded and cache.database_unreachable)
        for _ in range(50):
            assert cache.get() is loaded
        # The background thread did the checking; the caller's thread never opened a session.
        assert db.calls.count(threading.current_thread().name) == requests
        assert "directory-refresher" in db.calls
        db.down = False
        wait_for(lambda: not cache.database_unreachable)
    finally:
        cache.stop()


def test_unhandled_error_log_line_and_response_carry_the_request_id(
    engine: Engine, database_url: str
) -> None:
    settings = Settings(
        DATABASE_URL=database_url, SNAPSHOT_CHECK_SECONDS=0.0, RATE_LIMIT_PER_MINUTE=0
    )
    app = create_app(settings, session_factory=lambda: Session(engine))

    @app.get("/test-only/boom")
    def boom() -> None:
        raise RuntimeError("a bug, for the test")

    with captured("madoguchi.errors") as log, TestClient(app, raise_server_exceptions=False) as c:
        resp = c.get("/test-only/boom", headers={"X-Request-ID": "trace-500.a"})
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.headers["x-request-id"] == "trace-500.a"
    entries = [e for e in json_lines(log) if str(e["message"]).startswith("unhandled error")]
    assert len(entries) == 1
    assert entries[0]["request_id"] == "trace-500.a"
    assert entries[0]["level"] == "error"
    assert "RuntimeError: a bug, for the test" in str(entries[0]["exception"])
