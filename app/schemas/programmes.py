"""Response models for programmes."""

from __future__ import annotations

from pydantic import Field

from app.models.programmes import ProgrammeFields
from app.schemas.directory import AgencyRef, ContactPointOut, SourceOut


class ProgrammeOut(ProgrammeFields):
    """A programme as the API gives it: its fields, aliases, operators and links to the plan."""

    aliases: list[str]
    operators: list[AgencyRef]
    actions: list[int]
    measures: list[str] = Field(description="アクション番号.取組方針番号", examples=[["6.2"]])
    support_types: list[str]
    source: SourceOut


class ProgrammeDetail(ProgrammeOut):
    contact_points: list[ContactPointOut]
