"""National subsidies synced from jGrants, and the record of each sync.

`national_programme` holds the subsidies open to 山口県 or the whole country as of the last good
sync: a sync replaces all rows in one transaction, or leaves them as they were
(app/services/national.py). `national_sync_run` records every attempt, failed ones included.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel

from app.models.common import json_field, timestamp_field


class NationalProgramme(SQLModel, table=True):
    __tablename__ = "national_programme"

    id: str = Field(primary_key=True, max_length=40)  # jGrants subsidy id (18 characters)
    number: str | None = Field(default=None, max_length=40)  # jGrants `name` (S-00001234)
    title: str = Field(max_length=500)
    source_url: str = Field(max_length=500)
    use_purposes: list[str] = json_field()
    target_areas: list[str] = json_field()
    target_employees: str | None = Field(default=None, max_length=100)
    # yen; jGrants' subsidy_max_limit can pass 2^31
    max_amount: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    acceptance_start: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    acceptance_end: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    fetched_at: datetime = timestamp_field()


class NationalSyncRun(SQLModel, table=True):
    """One attempt to sync the national subsidies: its outcome and, when it failed, why."""

    __tablename__ = "national_sync_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = timestamp_field()
    finished_at: datetime = timestamp_field()
    ok: bool
    source: str = Field(max_length=500)  # the jGrants base URL asked
    requests: int = 0  # list requests made
    kept: int = 0  # subsidies stored (0 when it failed: the previous ones stay)
    skipped: int = 0  # list items dropped: another area, or not readable
    error: str | None = Field(default=None, max_length=1000)
