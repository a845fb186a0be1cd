"""API keys (stored as hashes) and the audit log of every write to the directory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from app.models.common import timestamp_field


class ApiKey(SQLModel, table=True):
    """A partner's key. The secret itself is never stored, only its SHA-256 and a short prefix."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=12, index=True)
    secret_hash: str = Field(max_length=64, unique=True)
    scope: str = Field(max_length=20)
    agency_id: str | None = Field(default=None, foreign_key="agency.id", max_length=80)
    municipality_code: str | None = Field(
        default=None, foreign_key="municipality.code", max_length=5
    )
    label: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp_field()
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class AuditEntry(SQLModel, table=True):
    """One write to the directory: who, when, what, and the record before and after."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field()
    key_id: int | None = Field(default=None, index=True)
    key_prefix: str = Field(max_length=12)
    key_scope: str = Field(max_length=20)
    action: str = Field(max_length=20)
    entity_type: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=80, index=True)
    # The directory version this edit produced (None for writes that do not change it)
    directory_version: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
