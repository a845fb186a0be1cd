"""The deadlines on PostgreSQL (docs/operations.md): server-side statement and lock timeouts on
the serving engine only, and a client-side deadline on every answer that closes a silent
connection instead of waiting for it. The stall itself is tested end to end in
tests/faults/test_database_stall.py."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from app.core.config import Settings
from app.core.db import DatabaseLimits, _postgres_engine, make_engine

POSTGRES = os.environ.get("TEST_DATABASE_URL", "")
needs_postgres = pytest.mark.skipif(
    not POSTGRES.startswith("postgresql"), reason="TEST_DATABASE_URL is not PostgreSQL"
)


def test_the_response_deadline_must_outlast_the_statement_timeout() -> None:
    with pytest.raises(ValidationError, match="DB_RESPONSE_TIMEOUT_SECONDS"):
        Settings(DB_STATEMENT_TIMEOUT_SECONDS=5, DB_RESPONSE_TIMEOUT_SECONDS=4)
    # no server-side limit: any client deadline is allowed
    assert Settings(DB_STATEMENT_TIMEOUT_SECONDS=0, DB_RESPONSE_TIMEOUT_SECONDS=1)


def test_tools_get_no_statement_or_response_deadline() -> None:
    settings = Settings()
    tools = DatabaseLimits.from_settings(settings, serving=False)
    serving = DatabaseLimits.from_settings(settings, serving=True)
    assert tools.response is None and serving.response == settings.DB_RESPONSE_TIMEOUT_SECONDS
    assert "statement_timeout=0" in tools.connect_args()["options"]
    assert serving.connect_args()["keepalives"] == 1


@needs_postgres
def test_the_serving_engine_sets_the_server_side_timeouts() -> None:
    settings = Settings()
    serving = make_engine(POSTGRES, serving=True)
    tool = make_engine(POSTGRES)
    try:
        with serving.connect() as conn:
            statement = conn.execute(text("SHOW statement_timeout")).scalar_one()
            lock = conn.execute(text("SHOW lock_timeout")).scalar_one()
            started = time.monotonic()
            with pytest.raises(OperationalError, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(30)"))
            assert time.monotonic() - started < settings.DB_RESPONSE_TIMEOUT_SECONDS
        assert statement == f"{settings.DB_STATEMENT_TIMEOUT_SECONDS:g}s"
        assert lock == f"{settings.DB_LOCK_TIMEOUT_SECONDS:g}s"
        with tool.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    finally:
        serving.dispose()
        tool.dispose()


@needs_postgres
def test_a_silent_answer_closes_the_connection_and_the_pool_opens_a_new_one() -> None:
    # No server-side limit here, so the only thing that ends the wait is the client deadline.
    limits = DatabaseLimits.from_settings(
        Settings(DB_STATEMENT_TIMEOUT_SECONDS=0, DB_RESPONSE_TIMEOUT_SECONDS=0.5), serving=True
    )
    engine = _postgres_engine(POSTGRES, limits)
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            started = time.monotonic()
            with pytest.raises(OperationalError, match=r"did not answer within 0\.5 s") as caught:
                conn.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 3
            assert caught.value.connection_invalidated
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first_pid
    finally:
        engine.dispose()


def test_error_messages_never_carry_the_statement_parameters(tmp_path: Path) -> None:
    engine = make_engine(POSTGRES or f"sqlite:///{tmp_path / 'params.db'}")
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
            conn.execute(text("SELECT * FROM no_such_table WHERE x = :who"), {"who": "山田太郎"})
        assert "山田太郎" not in str(caught.value)
    finally:
        engine.dispose()


@needs_postgres
def test_a_pooled_connection_is_handed_over_idle_after_its_ping() -> None:
    from psycopg.pq import TransactionStatus

    engine = make_engine(POSTGRES, serving=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with engine.connect() as conn:  # the same connection, pinged at checkout
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            assert dbapi.info.transaction_status == TransactionStatus.IDLE
    finally:
        engine.dispose()


def _terminate(backend_pid: int) -> None:
    """End a backend from another connection (as a restart or a proxy dropping it would)."""
    killer = make_engine(POSTGRES)
    try:
        with killer.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
    finally:
        killer.dispose()


def _backend_pid(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@needs_postgres
def test_a_connection_idle_in_the_pool_is_pinged_and_replaced_if_dead() -> None:
    limits = replace(DatabaseLimits.from_settings(Settings(), serving=True), ping_idle=0.0)
    engine = _postgres_engine(POSTGRES, limits)
    try:
        first = _backend_pid(engine)
        _terminate(first)
        # the ping at checkout finds it dead: a new connection answers, the request never fails
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()


@needs_postgres
def test_a_connection_back_from_use_a_moment_ago_is_not_pinged() -> None:
    """Under load a connection is back in the pool for milliseconds: no ping (it would double
    the round trips of a short write). If it died meanwhile, its statement fails as a
    disconnect (503 in the API) and the pool hands out a new connection next."""
    limits = replace(DatabaseLimits.from_settings(Settings(), serving=True), ping_idle=3600.0)
    engine = _postgres_engine(POSTGRES, limits)
    try:
        first = _backend_pid(engine)
        _terminate(first)
        with pytest.raises(OperationalError) as caught:
            _backend_pid(engine)
        assert caught.value.connection_invalidated
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
