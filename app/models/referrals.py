"""Closed-loop referrals from a municipal front desk to an agency, with their status history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.common import json_field, timestamp_field


class Referral(SQLModel, table=True):
    __tablename__ = "referral"
    # A client's retry with the same Idempotency-Key finds the referral its first try created.
    __table_args__ = (
        UniqueConstraint(
            "created_by_key_id", "idempotency_key", name="uq_referral_creator_idempotency_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=20, index=True)
    text: str = Field(max_length=1000)
    agency_id: str = Field(foreign_key="agency.id", max_length=80, index=True)
    programme_ids: list[str] = json_field()
    need_ids: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    municipality_code: str = Field(foreign_key="municipality.code", max_length=5, index=True)
    consent: bool = False
    enterprise_name: str | None = Field(default=None, max_length=200)
    enterprise_contact: str | None = Field(default=None, max_length=200)
    created_by_key_id: int | None = Field(default=None, index=True)
    created_by_scope: str = Field(max_length=20)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    personal_data_erased_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # Bumped on every change; the ETag of a referral, and the guard of concurrent updates.
    revision: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    idempotency_key: str | None = Field(default=None, max_length=100)
    request_fingerprint: str | None = Field(default=None, max_length=64)


class ReferralEvent(SQLModel, table=True):
    """One step of a referral's history: created, a status change, or personal data erased."""

    __tablename__ = "referral_event"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    kind: str = Field(max_length=30)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    note: str | None = Field(default=None, max_length=1000)
    key_id: int | None = None
    key_prefix: str = Field(max_length=12)
    key_scope: str = Field(max_length=20)
    at: datetime = timestamp_field()
