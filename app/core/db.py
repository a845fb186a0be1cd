"""Engine and session. One engine per process; SQLite gets foreign keys and a busy timeout."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from app.core.config import get_settings

log = logging.getLogger("madoguchi.db")


def make_engine(
    url: str, *, connect_timeout: int | None = None, busy_timeout: float | None = None
) -> Engine:
    """An engine whose failures are bounded: a dead PostgreSQL fails a connect within
    `connect_timeout` seconds (DB_CONNECT_TIMEOUT_SECONDS), a locked SQLite file within
    `busy_timeout` seconds (SQLITE_BUSY_TIMEOUT_SECONDS); pooled PostgreSQL connections are
    pinged before use, so a database restart costs no request."""
    settings = get_settings()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        timeout = busy_timeout if busy_timeout is not None else settings.SQLITE_BUSY_TIMEOUT_SECONDS
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})

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
    seconds = (
        connect_timeout if connect_timeout is not None else settings.DB_CONNECT_TIMEOUT_SECONDS
    )
    connect_args: dict[str, Any] = {}
    if url.startswith(("postgresql", "postgres")):
        connect_args["connect_timeout"] = seconds
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=10,
        connect_args=connect_args,
    )


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().DATABASE_URL)


def get_session() -> Iterator[Session]:
    session = Session(get_engine())
    try:
        yield session
    finally:
        try:
            session.close()
        except SQLAlchemyError as exc:
            # The connection died after the endpoint finished (the database went away while the
            # response was being sent): the pool drops the connection; the request's outcome
            # stands, and raising here would only break the client's keep-alive connection.
            log.warning("closing a database session failed: %s", type(exc).__name__)


SessionDep = Annotated[Session, Depends(get_session)]
