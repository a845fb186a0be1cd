"""Needs: the figure of chapter 2 (創業したい, 共同研究したい ...) and the matcher's further needs."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Need(SQLModel, table=True):
    __tablename__ = "need"

    id: str = Field(primary_key=True, max_length=80)
    label: str = Field(max_length=300)
    topic: str = Field(default="", max_length=300)  # as a noun phrase: 資金の融資
    label_en: str | None = Field(default=None, max_length=300)
    category: str = Field(max_length=100)
    support_type_code: str = Field(foreign_key="support_type.code", max_length=40)
    in_figure: bool = False
    # A general need (経営の相談をしたい) gives way to a specific one said in the same text.
    general: bool = False
    figure_order: int | None = None
    source_section: str = Field(max_length=300)


class NeedAction(SQLModel, table=True):
    __tablename__ = "need_action"

    need_id: str = Field(foreign_key="need.id", primary_key=True, max_length=80)
    action_number: int = Field(foreign_key="action.number", primary_key=True)


class NeedAgency(SQLModel, table=True):
    __tablename__ = "need_agency"

    need_id: str = Field(foreign_key="need.id", primary_key=True, max_length=80)
    agency_id: str = Field(foreign_key="agency.id", primary_key=True, max_length=80)
    position: int = 0
