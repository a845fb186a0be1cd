"""Engine and session. One engine per process; SQLite gets foreign keys and a busy timeout,
PostgreSQL a deadline on everything that waits for the database (`DatabaseLimits`)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

import psycopg
from fastapi import Depends
from psycopg.abc import PQGen
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlmodel import Session, create_engine
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings, get_settings

log = logging.getLogger("madoguchi.db")
RV = TypeVar("RV")
# How often psycopg's wait loop wakes to check for signals (its own default).
WAIT_INTERVAL = 0.1


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits at most `response_timeout` seconds for any answer.

    libpq has no deadline on an open connection: when the database, a proxy or the network
    freezes without closing the socket (the kernel at the other end still acknowledges, so
    keepalives and TCP_USER_TIMEOUT see nothing wrong), a query waits forever. Every wait of a
    psycopg connection goes through `wait()`, so the deadline is set there; on expiry the
    connection is closed (its outcome is unknown: never reuse it) and OperationalError raised,
    which the pool treats as a disconnect and the API answers with 503."""

    response_timeout: float | None = None

    def wait(
        self, gen: PQGen[RV], interval: float = WAIT_INTERVAL, timeout: float | None = None
    ) -> RV:
        limit = timeout if timeout is not None else self.response_timeout
        try:
            return super().wait(gen, interval=interval, timeout=limit)
        except psycopg.OperationalError as exc:
            if limit is None or not self._timed_out(exc):
                raise
            self.close()
            raise psycopg.OperationalError(
                f"PostgreSQL did not answer within {limit:g} s; the connection was closed"
            ) from exc

    @staticmethod
    def _timed_out(exc: BaseException) -> bool:
        # psycopg's wait functions raise an internal subclass of OperationalError on timeout.
        return type(exc).__name__ == "_WaitTimeout"


@dataclass(frozen=True)
class DatabaseLimits:
    """How long anything may wait on PostgreSQL (the DB_* settings, docs/operations.md)."""

    connect: int
    response: float | None
    statement: float
    lock: float
    pool: float
    ping: float
    ping_idle: float
    keepalives_idle: int
    keepalives_interval: int
    keepalives_count: int
    tcp_user_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings, *, serving: bool) -> DatabaseLimits:
        """`serving`: the limits of the engine that answers requests. Tools (migrations,
        seeding, benchmark data) keep the connect timeout and keepalives but no statement,
        lock or response deadline: a migration of a large table may rightly take minutes."""
        return cls(
            connect=settings.DB_CONNECT_TIMEOUT_SECONDS,
            response=settings.DB_RESPONSE_TIMEOUT_SECONDS if serving else None,
            statement=settings.DB_STATEMENT_TIMEOUT_SECONDS if serving else 0,
            lock=settings.DB_LOCK_TIMEOUT_SECONDS if serving else 0,
            pool=settings.DB_POOL_TIMEOUT_SECONDS,
            ping=settings.DB_PING_TIMEOUT_SECONDS,
            ping_idle=settings.DB_PING_IDLE_SECONDS,
            keepalives_idle=settings.DB_KEEPALIVES_IDLE_SECONDS,
            keepalives_interval=settings.DB_KEEPALIVES_INTERVAL_SECONDS,
            keepalives_count=settings.DB_KEEPALIVES_COUNT,
            tcp_user_timeout=settings.DB_TCP_USER_TIMEOUT_SECONDS,
        )

    def connect_args(self) -> dict[str, Any]:
        """libpq parameters: connect timeout, keepalives, and the server-side timeouts."""
        options = [
            f"-c statement_timeout={round(self.statement * 1000)}",
            f"-c lock_timeout={round(self.lock * 1000)}",
        ]
        return {
            "connect_timeout": self.connect,
            "keepalives": 1,
            "keepalives_idle": self.keepalives_idle,
            "keepalives_interval": self.keepalives_interval,
            "keepalives_count": self.keepalives_count,
            "tcp_user_timeout": round(self.tcp_user_timeout * 1000),
            "options": " ".join(options),
        }


def _sqlite_engine(url: str, busy_timeout: float) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout},
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives a crash of the process
        # (kill -9), not necessarily a power loss of the machine.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _postgres_engine(url: str, limits: DatabaseLimits) -> Engine:
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_timeout=limits.pool,
        connect_args=limits.connect_args(),
        hide_parameters=True,
    )

    @event.listens_for(engine, "do_connect")
    def _bounded_connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        conn = BoundedConnection.connect(*cargs, **cparams)
        conn.response_timeout = limits.response
        return conn

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["fresh"] = True

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # Pessimistic disconnect handling with a short deadline of its own (SQLAlchemy's
        # pool_pre_ping would wait the full response timeout): a pooled connection that does
        # not answer within DB_PING_TIMEOUT_SECONDS is dropped and the pool opens a new one
        # (bounded by the connect timeout). Only after DB_PING_IDLE_SECONDS in the pool: under
        # load a connection comes back within milliseconds, and a ping would double the round
        # trips of a one-statement write; one that died since fails its statement, which
        # SQLAlchemy takes for a disconnect (503, and the pool is renewed).
        if record.info.pop("fresh", False):
            return
        idle = time.monotonic() - record.info.get("checked_in", 0.0)
        if idle < limits.ping_idle:
            return
        # In autocommit, so that the ping opens no transaction (the connection is handed over
        # idle, as SQLAlchemy's own pre-ping leaves it).
        dbapi_connection.response_timeout = limits.ping
        try:
            dbapi_connection.autocommit = True
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.autocommit = False
        except psycopg.Error as exc:
            # This connection is dropped and a new one opened; the rest of the pool stays (a
            # slow ping under load must not make every connection reconnect at once).
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc
        finally:
            dbapi_connection.response_timeout = limits.response

    return engine


# Every engine hides statement parameters from its error messages (hide_parameters): they hold
# what people typed (names, contacts), and error messages end up in logs.


def make_engine(
    url: str,
    *,
    connect_timeout: int | None = None,
    busy_timeout: float | None = None,
    serving: bool = False,
) -> Engine:
    """An engine whose failures are bounded: a dead PostgreSQL fails a connect within
    `connect_timeout` seconds (DB_CONNECT_TIMEOUT_SECONDS), a locked SQLite file within
    `busy_timeout` seconds (SQLITE_BUSY_TIMEOUT_SECONDS). With `serving` (the engine that
    answers requests), PostgreSQL also gets statement and lock timeouts and a deadline on every
    answer (`DatabaseLimits`), so a silent database costs a request its 503, not a hang."""
    settings = get_settings()
    if url.startswith("sqlite"):
        timeout = busy_timeout if busy_timeout is not None else settings.SQLITE_BUSY_TIMEOUT_SECONDS
        return _sqlite_engine(url, timeout)
    limits = DatabaseLimits.from_settings(settings, serving=serving)
    if connect_timeout is not None:
        limits = replace(limits, connect=connect_timeout)
    return _postgres_engine(url, limits)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().DATABASE_URL, serving=True)


async def get_session() -> AsyncIterator[Session]:
    """The request's session. Made and, when it holds no connection any more (an endpoint that
    committed, or never asked the database), closed on the event loop: neither touches the
    database, and a thread hop on each side would cost more than the work. A session still in a
    transaction is closed in the threadpool (its rollback is a round trip)."""
    session = Session(get_engine())
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(_close, session)
        else:
            _close(session)


def _close(session: Session) -> None:
    try:
        session.close()
    except SQLAlchemyError as exc:
        # The connection died after the endpoint finished (the database went away while the
        # response was being sent): the pool drops the connection; the request's outcome
        # stands, and raising here would only break the client's keep-alive connection.
        log.warning("closing a database session failed: %s", type(exc).__name__)


SessionDep = Annotated[Session, Depends(get_session)]
