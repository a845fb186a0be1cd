"""Support types, agencies and their roles (the role matrix), municipalities, contact points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models.common import json_field, timestamp_field


class SupportType(SQLModel, table=True):
    __tablename__ = "support_type"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    description: str = Field(max_length=4000)
    sort_order: int


class Agency(SQLModel, table=True):
    __tablename__ = "agency"

    id: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=300, index=True)
    short_name: str = Field(max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    aliases: list[str] = json_field()
    category: str = Field(max_length=80)
    role_label: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=4000)
    parent_id: str | None = Field(default=None, foreign_key="agency.id", max_length=80)
    matrix_order: int | None = None
    matrix_row_label: str | None = Field(default=None, max_length=300)
    source_section: str = Field(max_length=300)
    source_page: int | None = None
    revision: int = 1
    updated_at: datetime = timestamp_field()


class AgencyRole(SQLModel, table=True):
    """One ○ of the role matrix: this agency holds this support type."""

    __tablename__ = "agency_role"

    agency_id: str = Field(foreign_key="agency.id", primary_key=True, max_length=80)
    support_type_code: str = Field(foreign_key="support_type.code", primary_key=True, max_length=40)


class AgencyMunicipality(SQLModel, table=True):
    """A 市町 a local office serves (萩商工会議所 serves 萩市)."""

    __tablename__ = "agency_municipality"

    agency_id: str = Field(
        foreign_key="agency.id", primary_key=True, max_length=80, ondelete="CASCADE"
    )
    municipality_code: str = Field(
        foreign_key="municipality.code", primary_key=True, max_length=5, index=True
    )


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"

    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=40, unique=True)
    kind: str = Field(max_length=10)
    source: str = Field(max_length=1000)


class ContactPoint(SQLModel, table=True):
    __tablename__ = "contact_point"

    id: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=300)
    agency_id: str = Field(foreign_key="agency.id", index=True, max_length=80)
    role: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=8)
    address: str | None = Field(default=None, max_length=300)
    phones: list[dict[str, Any]] = json_field()
    fax: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    url: str | None = Field(default=None, max_length=500)
    hours: str | None = Field(default=None, max_length=300)
    prefecture_wide: bool = False
    general_fallback: bool = False
    programme_id: str | None = Field(default=None, foreign_key="programme.id", max_length=80)
    source: str = Field(max_length=500)
    as_of: str | None = Field(default=None, max_length=40)
    verified: bool = False
    revision: int = 1
    updated_at: datetime = timestamp_field()


class ContactPointMunicipality(SQLModel, table=True):
    __tablename__ = "contact_point_municipality"

    contact_point_id: str = Field(
        foreign_key="contact_point.id", primary_key=True, max_length=80, ondelete="CASCADE"
    )
    municipality_code: str = Field(
        foreign_key="municipality.code", primary_key=True, max_length=5, index=True
    )
