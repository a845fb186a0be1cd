"""Test fixtures: a migrated, seeded database (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set) and an app whose session dependency points at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.devtools.fresh import alembic_config, app_on, migrated_and_seeded, reset_database
from app.seeding.loader import SeedBundle, read_seed

__all__ = ["alembic_config", "reset_database"]


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
    engine = migrated_and_seeded(database_url, seed_bundle)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    with TestClient(app_on(engine, database_url)) as client:
        yield client


@pytest.fixture
def client(app_client: TestClient) -> TestClient:
    return app_client


# Tiers: `make test` runs everything; `make test-fast` leaves out the slow tiers below.
# A test's tier follows from where it lives, so a new fault or fuzz test needs no marker.
TIERS = {
    "faults": ("tests/faults/",),
    "e2e": ("tests/e2e/",),
    "fuzz": (
        "tests/test_fuzz_rules.py",
        "tests/test_schemathesis.py",
        "tests/matching/test_properties.py",
    ),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        where = Path(str(item.path)).relative_to(root).as_posix()
        for tier, prefixes in TIERS.items():
            if where.startswith(prefixes):
                item.add_marker(getattr(pytest.mark, tier))
