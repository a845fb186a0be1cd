"""Named programmes (subsidies, loans, windows ...) and what they link to."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.common import json_field, timestamp_field


class Programme(SQLModel, table=True):
    __tablename__ = "programme"

    id: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=300, index=True)
    aliases: list[str] = json_field()
    kind: str = Field(max_length=40, index=True)
    description: str = Field(max_length=4000)
    status_note: str | None = Field(default=None, max_length=300)
    source_section: str = Field(max_length=300)
    source_page: int | None = None
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
