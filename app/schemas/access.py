"""Request and response models for API keys and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.services.access import Scope


def as_utc(value: datetime | None) -> datetime | None:
    """In UTC. A timestamp without a zone is taken as UTC (SQLite hands them back that way)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UtcModel(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: Any) -> Any:
        return as_utc(value) if isinstance(value, datetime) else value


Label = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"scope": "agency_editor", "agency_id": "yipf", "label": "財団 総務課"},
                {"scope": "front_desk", "municipality": "萩市", "label": "萩市 商工振興課"},
                {"scope": "analyst", "label": "商工政策課 進行管理"},
            ]
        },
    )

    scope: Scope = Field(
        description=(
            "admin（すべて）/ agency_editor（自機関の編集と紹介の受付）/ "
            "front_desk（市町の窓口: 紹介の送付）/ analyst（進行管理の集計の閲覧だけ）"
        )
    )
    agency_id: Annotated[str, StringConstraints(max_length=80)] | None = Field(
        default=None, description="agency_editor の場合に必須: 編集できる機関の id"
    )
    municipality: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        default=None, description="front_desk の場合に必須: 市町名または JIS コード"
    )
    label: Label | None = Field(default=None, description="誰の鍵かのメモ")


class ApiKeyOut(UtcModel):
    id: int
    prefix: str = Field(description="キーの先頭8文字（識別用）", examples=["Xk3v9QaB"])
    scope: Scope
    agency_id: str | None = None
    municipality_code: str | None = None
    label: str | None = None
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="キー本体。この応答でだけ表示され、保存されません。")


class AuditEntryOut(UtcModel):
    id: int
    at: datetime
    key_id: int | None = Field(description="操作した API キーの id（起動用管理キーは null）")
    key_prefix: str
    key_scope: str
    action: str = Field(examples=["update"])
    entity_type: str = Field(examples=["agency"])
    entity_id: str = Field(examples=["yipf"])
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
