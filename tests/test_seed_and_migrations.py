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


def test_migration_0010_fits_older_sqlite_values_to_the_shared_field_limits(tmp_path: Path) -> None:
    """SQLite kept an as_of longer than its column; the answers now check the length, so the
    migration cuts it rather than let GET /v1/contact-points fail."""
    from sqlalchemy import create_engine, text

    from alembic import command
    from app.devtools.fresh import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0009")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agency (id, name, short_name, aliases, category, source_section, "
                "revision, updated_at) VALUES ('old-agency', '旧機関', '旧', '[]', :category, "
                "'test', 1, '2026-01-01 00:00:00')"
            ),
            {"category": "区" * 100},
        )
        conn.execute(
            text(
                "INSERT INTO contact_point (id, name, agency_id, phones, prefecture_wide, "
                "general_fallback, source, as_of, verified, revision, updated_at) VALUES "
                "('old-window', '旧窓口', 'old-agency', '[]', 0, 0, 'test', :as_of, 0, 1, "
                "'2026-01-01 00:00:00')"
            ),
            {
                "as_of": "2019年4月1日時点の市の広報誌と窓口の掲示による（担当課に電話で確認済み、翌年度も同じ内容）"
            },
        )
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        as_of = conn.execute(text("SELECT as_of FROM contact_point")).scalar_one()
        category = conn.execute(text("SELECT category FROM agency")).scalar_one()
    engine.dispose()
    assert len(as_of) == 40 and as_of.startswith("2019年4月1日")
    assert len(category) == 80


def test_migration_0012_gives_the_seeded_kpis_their_reading(tmp_path: Path) -> None:
    """A database seeded before 0012 needs no reseeding: the plan's KPIs get how their actuals
    meet the target (as seed/kpis.yaml says), an unknown one the defaults."""
    from sqlalchemy import create_engine, text

    from alembic import command
    from app.devtools.fresh import alembic_config
    from app.seeding.loader import read_seed

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0011")
    engine = create_engine(url)
    insert = text(
        "INSERT INTO kpi (id, category, name, target_text, industrial_strategy_target, "
        "source_section, sort_order) VALUES (:id, 'numeric_target', :id, 'x', 0, 'test', 0)"
    )
    seeded = read_seed().kpis
    with engine.begin() as conn:
        for k in seeded:
            conn.execute(insert, {"id": k.id})
        conn.execute(insert, {"id": "local-kpi"})
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        rows = {
            r.id: r
            for r in conn.execute(
                text(
                    "SELECT id, accumulation, value_kind, period_start_fiscal_year, "
                    "period_end_fiscal_year, observed_need_ids FROM kpi"
                )
            )
        }
    engine.dispose()
    for k in seeded:
        row = rows[k.id]
        assert (row.accumulation, row.value_kind) == (k.accumulation, k.value_kind), k.id
        assert (row.period_start_fiscal_year, row.period_end_fiscal_year) == (
            k.period_start_fiscal_year,
            k.period_end_fiscal_year,
        ), k.id
        # (JSON null or SQL NULL, both None when read)
        observed = yaml.safe_load(row.observed_need_ids) if row.observed_need_ids else None
        assert (observed or []) == k.observed_needs, k.id
    local = rows["local-kpi"]
    assert (local.accumulation, local.value_kind) == ("annual", "integer")
    assert local.period_start_fiscal_year is None and local.observed_need_ids is None


def test_kpi_seed_states_a_period_for_period_totals_only(seed_copy: Path) -> None:
    def drop_period(data: dict) -> None:  # type: ignore[type-arg]
        hydrogen = next(k for k in data["kpis"] if k["id"] == "hydrogen-commercialisation")
        del hydrogen["period_end_fiscal_year"]

    _edit(seed_copy / "kpis.yaml", drop_period)
    with pytest.raises(SeedError, match=r"kpis\.yaml: entry 5 \(id=hydrogen-commercialisation\)"):
        read_seed(seed_copy)


def test_kpi_seed_rejects_an_unknown_observed_need(seed_copy: Path) -> None:
    def ghost(data: dict) -> None:  # type: ignore[type-arg]
        data["kpis"][0]["observed_needs"] = ["ghost-need"]

    _edit(seed_copy / "kpis.yaml", ghost)
    with pytest.raises(SeedError, match=r"field observed_needs: unknown 'ghost-need'"):
        read_seed(seed_copy)
