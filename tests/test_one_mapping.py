"""One mapping per entity (issue: whom to call): a contact point's fields are declared once, in
ContactPointFields, and every shape of a contact point carries them, so that a new field is one
edit plus a migration. (Adding one was tried: see the closing note of 2026-12-01.)"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from app.models import ContactPoint
from app.models.directory import ContactPointFields
from app.schemas.admin import ContactPointCreate, ContactPointEditOut, ContactPointPatch
from app.schemas.directory import ContactPointOut, MatchedContactPoint
from app.seeding.schema import ContactPointSeed
from app.services.exports import CONTACT_POINT_COLUMNS

SHARED = set(ContactPointFields.model_fields)


def test_every_shape_of_a_contact_point_has_the_shared_fields(engine: Engine) -> None:
    for shape in (
        ContactPointOut,
        ContactPointEditOut,
        MatchedContactPoint,
        ContactPointCreate,
        ContactPointSeed,
    ):
        assert set(shape.model_fields) >= SHARED, shape.__name__
    assert SHARED - {"id"} <= set(ContactPointPatch.model_fields)
    columns = {c["name"] for c in inspect(engine).get_columns(ContactPoint.__tablename__)}
    assert columns >= SHARED
    assert set(CONTACT_POINT_COLUMNS) >= SHARED
    assert len(set(CONTACT_POINT_COLUMNS.values())) == len(CONTACT_POINT_COLUMNS)  # headers unique


def test_the_answers_carry_every_shared_field(client: TestClient) -> None:
    listed = client.get("/v1/contact-points", params={"municipality": "萩市"}).json()["items"]
    assert listed and all(set(item) >= SHARED for item in listed)
    matched = client.post("/v1/match", json={"text": "パン屋を開業したい", "municipality": "萩市"})
    answer = matched.json()
    windows = answer["contact_points"] + [
        cp for a in answer["agencies"] for o in a["local_offices"] for cp in o["contact_points"]
    ]
    assert windows and all(set(cp) >= SHARED for cp in windows)
    header = (
        client.get("/v1/exports/contact-points.csv").content.decode("utf-8-sig").splitlines()[0]
    )
    assert all(title in header for title in CONTACT_POINT_COLUMNS.values())


def test_every_shape_of_an_agency_has_the_shared_fields(engine: Engine, client: TestClient) -> None:
    from app.models import Agency
    from app.models.directory import AgencyFields
    from app.schemas.admin import AgencyCreate, AgencyEditOut, AgencyPatch
    from app.schemas.directory import AgencyDetail, AgencySummary
    from app.seeding.schema import AgencySeed
    from app.services.exports import AGENCY_COLUMNS

    shared = set(AgencyFields.model_fields)
    for shape in (AgencySummary, AgencyDetail, AgencyEditOut, AgencyCreate, AgencySeed):
        assert shared <= set(shape.model_fields), shape.__name__
    # an agency's kind and place in the tree are fixed once created; the rest may be patched
    assert shared - {"id", "category", "parent_id"} <= set(AgencyPatch.model_fields)
    assert shared <= {c["name"] for c in inspect(engine).get_columns(Agency.__tablename__)}
    assert shared <= set(AGENCY_COLUMNS)
    listed = client.get("/v1/agencies", params={"limit": 100}).json()["items"]
    assert listed and all(shared <= set(item) for item in listed)
    header = client.get("/v1/exports/agencies.csv").content.decode("utf-8-sig").splitlines()[0]
    assert all(title in header for title in AGENCY_COLUMNS.values())


def test_every_shape_of_a_programme_has_the_shared_fields(
    engine: Engine, client: TestClient
) -> None:
    from app.models import Programme
    from app.models.programmes import ProgrammeFields
    from app.schemas.admin import ProgrammeCreate, ProgrammeEditOut, ProgrammePatch
    from app.schemas.programmes import ProgrammeDetail, ProgrammeOut
    from app.seeding.schema import ProgrammeSeed
    from app.services.exports import PROGRAMME_COLUMNS

    shared = set(ProgrammeFields.model_fields)
    for shape in (ProgrammeOut, ProgrammeDetail, ProgrammeEditOut, ProgrammeCreate, ProgrammeSeed):
        assert shared <= set(shape.model_fields), shape.__name__
    assert shared - {"id"} <= set(ProgrammePatch.model_fields)
    assert shared <= {c["name"] for c in inspect(engine).get_columns(Programme.__tablename__)}
    assert shared <= set(PROGRAMME_COLUMNS)
    listed = client.get("/v1/programmes", params={"limit": 50}).json()["items"]
    assert listed and all(shared <= set(item) for item in listed)
    header = client.get("/v1/exports/programmes.csv").content.decode("utf-8-sig").splitlines()[0]
    assert all(title in header for title in PROGRAMME_COLUMNS.values())


def test_every_shape_of_a_kpi_actual_has_the_shared_fields(engine: Engine) -> None:
    from app.models import KpiActual
    from app.models.plan import KpiActualFields
    from app.schemas.plan import KpiActualOut, KpiActualPut
    from app.services.exports import KPI_ACTUAL_COLUMNS

    shared = set(KpiActualFields.model_fields)
    assert shared == {"value", "text", "source", "note"}
    for shape in (KpiActualPut, KpiActualOut):
        assert shared <= set(shape.model_fields), shape.__name__
    assert shared <= {c["name"] for c in inspect(engine).get_columns(KpiActual.__tablename__)}
    assert set(KPI_ACTUAL_COLUMNS) == shared
    assert len(set(KPI_ACTUAL_COLUMNS.values())) == len(KPI_ACTUAL_COLUMNS)  # headers unique
