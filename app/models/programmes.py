"""Named programmes (subsidies, loans, windows ...) and what they link to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import AutoString, Field, SQLModel

from app.models.common import json_field, timestamp_field
from app.models.types import LongText, ProgrammeKind, ShortText, Slug


class ProgrammeFields(SQLModel):
    """A programme's own fields, one definition for every shape it takes: the table (Programme),
    the seed (ProgrammeSeed), the API's answers (ProgrammeOut, ProgrammeEditOut) and requests
    (ProgrammeCreate, the generated ProgrammePatch) and the CSV export (headers: the `title`s).
    A new field is added here and in a migration.

    Not here: aliases (JSON), operators, actions, measures and support types (link tables) and
    the source: each shape adds them in its own form."""

    id: Slug = Field(primary_key=True, max_length=80, title="制度ID")
    name: ShortText = Field(max_length=300, index=True, title="制度名")
    # stored as text (not a database enum): a new kind needs no migration
    kind: ProgrammeKind = Field(sa_type=AutoString(length=40), index=True, title="種類")
    description: LongText = Field(max_length=4000, title="説明")
    status_note: ShortText | None = Field(default=None, max_length=300, title="経緯・状況")
    as_of: int | None = Field(
        default=None,
        ge=1990,
        le=2100,
        title="出典の年",
        description="この制度が記載された出典の年（計画から登録した制度は2013）",
    )


class Programme(ProgrammeFields, table=True):
    __tablename__ = "programme"

    aliases: list[str] = json_field()
    source_section: str = Field(max_length=300)
    source_page: int | None = None
    # When an editor last confirmed the programme (an admin POST or PATCH, a CSV import); None
    # until then: its entry is only what its source (the 2013 plan) says. Set by the server,
    # never by a request body (app.matching.status derives the status from it).
    status_confirmed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revision: int = 1
    updated_at: datetime = timestamp_field()


class ProgrammeOperator(SQLModel, table=True):
    __tablename__ = "programme_operator"

    programme_id: str = Field(
        foreign_key="programme.id", primary_key=True, max_length=80, ondelete="CASCADE"
    )
    agency_id: str = Field(foreign_key="agency.id", primary_key=True, max_length=80, index=True)


class ProgrammeAction(SQLModel, table=True):
    __tablename__ = "programme_action"

    programme_id: str = Field(
        foreign_key="programme.id", primary_key=True, max_length=80, ondelete="CASCADE"
    )
    action_number: int = Field(foreign_key="action.number", primary_key=True, index=True)


class ProgrammeMeasure(SQLModel, table=True):
    __tablename__ = "programme_measure"

    programme_id: str = Field(
        foreign_key="programme.id", primary_key=True, max_length=80, ondelete="CASCADE"
    )
    measure_id: int = Field(foreign_key="measure.id", primary_key=True)


class ProgrammeSupportType(SQLModel, table=True):
    __tablename__ = "programme_support_type"

    programme_id: str = Field(
        foreign_key="programme.id", primary_key=True, max_length=80, ondelete="CASCADE"
    )
    support_type_code: str = Field(
        foreign_key="support_type.code", primary_key=True, max_length=40, index=True
    )
