"""Response models for programmes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.schemas.directory import AgencyRef, ContactPointOut, SourceOut


class ProgrammeOut(BaseModel):
    id: str = Field(examples=["yamaguchi-sme-development-grant"])
    name: str = Field(examples=["やまぐち地域中小企業育成事業助成金"])
    aliases: list[str]
    kind: str = Field(examples=["subsidy"])
    description: str
    status_note: str | None = None
    operators: list[AgencyRef]
    actions: list[int]
    measures: list[str] = Field(description="アクション番号.取組方針番号", examples=[["6.2"]])
    support_types: list[str]
    source: SourceOut


class ProgrammeDetail(ProgrammeOut):
    contact_points: list[ContactPointOut]
