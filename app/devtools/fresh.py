"""A migrated, seeded database and an app on it, from nothing.

Used by the test suite (the shared session database, and private pristine ones) and by
`make examples`, so that both see the service exactly as a fresh `make run` serves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from alembic import command
from app.core.config import PROJECT_ROOT, Settings
from app.core.db import get_session, make_engine
from app.main import create_app
from app.seeding.database import load_seed_into_database
from app.seeding.loader import SeedBundle


def alembic_config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logging"] = False
    return cfg


def reset_database(url: str) -> None:
    """Empty the target database so that migrations start from nothing."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def migrated_and_seeded(url: str, bundle: SeedBundle) -> Engine:
    """Reset the database at `url`, migrate it to head and load the seed; returns its engine."""
    reset_database(url)
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed_into_database(session, bundle)
        session.commit()
    return engine


def app_on(engine: Engine, url: str, **settings: Any) -> FastAPI:
    """The app on `engine`, with no snapshot polling delay, no rate limits and /metrics open
    unless given."""
    app = create_app(
        Settings(
            DATABASE_URL=url,
            **{
                "SNAPSHOT_CHECK_SECONDS": 0.0,
                "RATE_LIMIT_PER_MINUTE": 0,
                "CONVERSATIONS_PER_MINUTE": 0,
                # TestClient's client is "testclient", not an address
                "METRICS_ALLOW_IPS": "*",
                **settings,
            },
        ),
        session_factory=lambda: Session(engine),
    )

    def override_session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = override_session
    return app


@contextmanager
def seeded_app(directory: Path, bundle: SeedBundle, **settings: Any) -> Iterator[FastAPI]:
    """An app on a fresh SQLite file of its own in `directory`, migrated and seeded."""
    url = f"sqlite:///{directory / 'madoguchi.db'}"
    engine = migrated_and_seeded(url, bundle)
    try:
        yield app_on(engine, url, **settings)
    finally:
        engine.dispose()
