"""Matcher rules and lexicon entries, stored as validated documents so partners can edit them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models.common import json_field, timestamp_field


class MatchRule(SQLModel, table=True):
    __tablename__ = "match_rule"

    id: str = Field(primary_key=True, max_length=120)
    theme: str = Field(max_length=80, index=True)
    position: int = 0
    body: dict[str, Any] = json_field(dict)
    revision: int = 1
    updated_at: datetime = timestamp_field()


class LexiconEntry(SQLModel, table=True):
    __tablename__ = "lexicon_entry"

    id: str = Field(primary_key=True, max_length=120)
    position: int = 0
    body: dict[str, Any] = json_field(dict)
    revision: int = 1
    updated_at: datetime = timestamp_field()
