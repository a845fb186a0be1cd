"""Migrations produce the models' schema; the seed loads idempotently and fails clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

import app.models as m
from app.seeding.database import load_seed_into_database
from app.seeding.loader import DEFAULT_SEED_DIR, SeedBundle, SeedError, read_seed


def test_migrations_give_exactly_the_models_schema(engine: Engine) -> None:
    # `engine` was created from an empty database by `alembic upgrade head` (conftest).
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []


def _counts(session: Session) -> dict[str, int]:
    tables = [
        m.Agency,
        m.AgencyRole,
        m.Action,
        m.Measure,
        m.Initiative,
        m.InitiativeBody,
        m.ScheduleEntry,
        m.Kpi,
        m.Programme,
        m.ProgrammeOperator,
        m.Need,
        m.ContactPoint,
        m.ContactPointMunicipality,
        m.Municipality,
    ]
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in tables}


def test_seed_is_idempotent(engine: Engine, seed_bundle: SeedBundle) -> None:
    with Session(engine) as session:
        before = _counts(session)
        load_seed_into_database(session, seed_bundle)
        session.commit()
        after = _counts(session)
    assert before == after
    assert after["Measure"] == 45 and after["Municipality"] == 19


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seed"
    shutil.copytree(DEFAULT_SEED_DIR, target)
    return target


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_seed_error_names_file_entry_and_field(seed_copy: Path) -> None:
    _edit(seed_copy / "programmes.yaml", lambda d: d["programmes"][3].update(kind="gift"))
    with pytest.raises(SeedError) as err:
        read_seed(seed_copy)
    message = str(err.value)
    assert "programmes.yaml" in message and "entry 3" in message and "field kind" in message


def test_seed_rejects_unknown_reference(seed_copy: Path) -> None:
    _edit(seed_copy / "needs.yaml", lambda d: d["needs"][0]["agencies"].append("ghost-agency"))
    with pytest.raises(
        SeedError, match=r"needs\.yaml: entry 0 \(id=start-business\): field agencies"
    ):
        read_seed(seed_copy)


def test_seed_rejects_duplicate_ids(seed_copy: Path) -> None:
    _edit(seed_copy / "agencies.yaml", lambda d: d["agencies"].append(dict(d["agencies"][0])))
    with pytest.raises(SeedError, match="duplicate id 'yipf'"):
        read_seed(seed_copy)


def test_responsible_bodies_resolve_through_aliases(seed_bundle: SeedBundle) -> None:
    aliases = {al for a in seed_bundle.agencies for al in [a.short_name, *a.aliases]}
    labels = {
        label
        for act in seed_bundle.actions
        for ms in act.measures
        for ini in ms.initiatives
        for label in ini.responsible
    }
    # The plan's generic phrases are not single bodies; everything else must resolve.
    assert labels - aliases <= {"支援機関", "産学公"}
