"""The matcher snapshot of the seed files, for evaluation, benchmarks and unit tests.

There is one mapping from stored records to the snapshot: ``app.services.snapshot.build_snapshot``,
which reads the database. The seed is loaded into a private in-memory SQLite database (tables
from the models, as migrated) and that builder reads it, so the seed snapshot is by construction
the one the service serves after `make seed`, and a new field is mapped in one place.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

import app.models  # noqa: F401  (registers every table)
from app.matching.snapshot import DirectorySnapshot
from app.seeding.loader import DEFAULT_SEED_DIR, SeedBundle, read_seed


def snapshot_from_bundle(bundle: SeedBundle) -> DirectorySnapshot:
    from app.seeding.database import load_seed_into_database
    from app.services.snapshot import build_snapshot

    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        SQLModel.metadata.create_all(engine)
        with Session(engine) as session:
            load_seed_into_database(session, bundle)
            return build_snapshot(session)
    finally:
        engine.dispose()


def snapshot_from_seed(seed_dir: Path = DEFAULT_SEED_DIR) -> DirectorySnapshot:
    return snapshot_from_bundle(read_seed(seed_dir))
