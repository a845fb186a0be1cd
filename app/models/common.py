"""Column helpers shared by the table models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_field(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


def timestamp_field() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def shared_values(row: Any, fields: Any) -> dict[str, Any]:
    """The values of a table row for the fields of its shared fields class (ContactPointFields
    ...), to build the API's shapes from without naming each field."""
    return {name: getattr(row, name) for name in fields.model_fields}
