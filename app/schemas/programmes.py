"""Response models for programmes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.matching.status import ProgrammeStatus, as_utc, programme_status, status_label
from app.models.programmes import ProgrammeFields
from app.schemas.directory import AgencyRef, ContactPointOut, SourceOut


class ProgrammeStatusOut(BaseModel):
    """Whether the programme's entry has been confirmed since its source (the 2013 plan)."""

    status_confirmed_at: datetime | None = Field(
        default=None,
        description="編集者（管理 API の登録・更新、CSV 取り込み）が最後に内容を確認した日時。"
        "null は未確認（出典の記載のまま）",
    )
    status: ProgrammeStatus = Field(
        default=ProgrammeStatus.unconfirmed,
        description="unconfirmed（出典の記載のまま、現状は要確認）/ confirmed（編集者が確認済み）",
    )
    status_label: str = Field(
        default="",
        description="状態の日本語表示",
        examples=["2013年の計画に記載（現状は要確認）", "2026年12月1日に確認済み"],
    )


def status_values(as_of: int | None, confirmed_at: datetime | None) -> dict[str, Any]:
    """The status fields of a programme (ProgrammeStatusOut) from its source year and the time
    an editor last confirmed it."""
    return {
        "status_confirmed_at": as_utc(confirmed_at) if confirmed_at is not None else None,
        "status": programme_status(confirmed_at),
        "status_label": status_label(as_of, confirmed_at),
    }


class ProgrammeOut(ProgrammeStatusOut, ProgrammeFields):
    """A programme as the API gives it: its fields, aliases, operators, links to the plan and
    whether its entry has been confirmed."""

    aliases: list[str]
    operators: list[AgencyRef]
    actions: list[int]
    measures: list[str] = Field(description="アクション番号.取組方針番号", examples=[["6.2"]])
    support_types: list[str]
    source: SourceOut


class ProgrammeDetail(ProgrammeOut):
    contact_points: list[ContactPointOut]
