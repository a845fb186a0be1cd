"""Test fixtures: a migrated, seeded database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set) and an app whose session dependency points at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from alembic import command
from app.core.config import PROJECT_ROOT, Settings
from app.core.db import get_session, make_engine
from app.main import create_app
from app.seeding.database import load_seed_into_database
from app.seeding.loader import SeedBundle, read_seed


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


def fresh_database_url(tmp_dir: Path, name: str) -> str:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        return external
    return f"sqlite:///{tmp_dir / name}"


@pytest.fixture(scope="session")
def seed_bundle() -> SeedBundle:
    return read_seed()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return fresh_database_url(tmp_path_factory.mktemp("db"), "madoguchi-test.db")


@pytest.fixture(scope="session")
def engine(database_url: str, seed_bundle: SeedBundle) -> Iterator[Engine]:
    reset_database(database_url)
    command.upgrade(alembic_config(database_url), "head")
    engine = make_engine(database_url)
    with Session(engine) as session:
        load_seed_into_database(session, seed_bundle)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        DATABASE_URL=database_url, SNAPSHOT_CHECK_SECONDS=0.0, RATE_LIMIT_PER_MINUTE=0
    )
    app = create_app(settings, session_factory=lambda: Session(engine))

    def override_session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = override_session
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(app_client: TestClient) -> TestClient:
    return app_client
