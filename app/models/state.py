"""A single-row counter that every write bumps, so workers know when to rebuild snapshots."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class DirectoryState(SQLModel, table=True):
    __tablename__ = "directory_state"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
