"""Chatbot conversations: the clarification state kept between turns, with an expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from app.models.common import json_field, timestamp_field


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"

    id: str = Field(primary_key=True, max_length=36)
    municipality_code: str | None = Field(default=None, max_length=5)
    state: dict[str, Any] = json_field(dict)  # the dialogue state machine's data
    transcript: list[dict[str, Any]] = json_field(list)  # last turns, bounded
    turns: int = 0
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    expires_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class LineEventSeen(SQLModel, table=True):
    """A LINE webhook event already answered (its `webhookEventId`): a replayed body is
    ignored. Rows older than LINE_EVENT_MEMORY_HOURS are deleted as new events arrive."""

    __tablename__ = "line_event"

    event_id: str = Field(primary_key=True, max_length=100)
    seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
