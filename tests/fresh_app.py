"""An app on a database of its own: a fresh SQLite file, migrated and seeded.

For tests that must not share the session database: fuzzing (its writes would disturb other
tests) and comparisons with the pristine seed (other tests edit the session database).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import alembic_config, reset_database
from fastapi import FastAPI
from sqlmodel import Session

from alembic import command
from app.core.config import Settings
from app.core.db import get_session, make_engine
from app.main import create_app
from app.seeding.database import load_seed_into_database
from app.seeding.loader import SeedBundle


@contextmanager
def seeded_app(directory: Path, seed_bundle: SeedBundle, **settings: Any) -> Iterator[FastAPI]:
    """Always SQLite, even when TEST_DATABASE_URL points the suite at a shared PostgreSQL."""
    url = f"sqlite:///{directory / 'madoguchi.db'}"
    reset_database(url)
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed_into_database(session, seed_bundle)
        session.commit()
    app = create_app(
        Settings(
            DATABASE_URL=url,
            **{"SNAPSHOT_CHECK_SECONDS": 0.0, "RATE_LIMIT_PER_MINUTE": 0, **settings},
        ),
        session_factory=lambda: Session(engine),
    )

    def override_session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = override_session
    try:
        yield app
    finally:
        engine.dispose()
