"""Matcher rules and lexicon entries as editable rows (seeded from ``seed/rules`` and
``seed/lexicon.yaml``); the matcher compiles them whenever the directory version moves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models.common import json_field, timestamp_field


class MatcherRule(SQLModel, table=True):
    """One rule; ``body`` is the rule exactly as in the YAML files (validated by ``Rule``)."""

    __tablename__ = "matcher_rule"

    id: str = Field(primary_key=True, max_length=80)
    theme: str = Field(max_length=40, index=True)  # the seed file stem, e.g. "finance"
    position: int = 0  # order within the theme, so that exports round-trip to the files
    body: dict[str, Any] = json_field(dict)
    revision: int = 1
    updated_at: datetime = timestamp_field()


class LexiconEntry(SQLModel, table=True):
    """One lexicon entry: a synonym class, a negation cue set, a vague term or a clarifying
    question. ``kind`` is the lexicon section; ``body`` is the entry as in ``lexicon.yaml``
    (for vague terms ``{"term": ...}``)."""

    __tablename__ = "lexicon_entry"

    kind: str = Field(primary_key=True, max_length=30)
    id: str = Field(primary_key=True, max_length=80)
    position: int = 0
    body: dict[str, Any] = json_field(dict)
    revision: int = 1
    updated_at: datetime = timestamp_field()
