"""Request and response models for closed-loop referrals."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.schemas.access import UtcModel
from app.seeding.schema import Slug


class ReferralStatus(StrEnum):
    sent = "sent"
    accepted = "accepted"
    declined = "declined"
    in_progress = "in_progress"
    completed = "completed"
    unreachable = "unreachable"
    withdrawn = "withdrawn"


STATUS_LABELS = {
    ReferralStatus.sent: "送付済み",
    ReferralStatus.accepted: "受付",
    ReferralStatus.declined: "辞退",
    ReferralStatus.in_progress: "対応中",
    ReferralStatus.completed: "完了",
    ReferralStatus.unreachable: "連絡不能",
    ReferralStatus.withdrawn: "取り下げ",
}

TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.sent: frozenset({ReferralStatus.accepted, ReferralStatus.declined}),
    ReferralStatus.accepted: frozenset({ReferralStatus.in_progress}),
    ReferralStatus.in_progress: frozenset(
        {ReferralStatus.completed, ReferralStatus.unreachable, ReferralStatus.withdrawn}
    ),
}

Text1000 = Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)]
Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class ReferralCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "大学と共同研究して新製品を開発したい",
                    "agency_id": "yamaguchi-itc",
                    "programme_ids": [],
                    "municipality": "萩市",
                    "consent": True,
                    "enterprise_name": "株式会社萩テック",
                    "enterprise_contact": "0838-00-0000（担当: 山口）",
                }
            ]
        },
    )

    text: Text1000 = Field(description="相談内容（1〜1000文字）")
    agency_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    programme_ids: Annotated[list[Slug], Field(max_length=20)] = []
    municipality: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="紹介元の市町（市町名または JIS コード）"
    )
    consent: bool = Field(description="事業者が紹介先への情報提供に同意したか")
    enterprise_name: Text200 | None = Field(default=None, description="事業者名（同意時のみ）")
    enterprise_contact: Text200 | None = Field(default=None, description="連絡先（同意時のみ）")

    @model_validator(mode="after")
    def _consent_rule(self) -> ReferralCreate:
        if not self.consent and (self.enterprise_name or self.enterprise_contact):
            raise ValueError(
                "事業者名・連絡先は、事業者の同意（consent: true）がある場合にだけ送れます。"
            )
        return self


class ReferralStatusPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "accepted", "note": "担当者から連絡します"}]},
    )

    status: ReferralStatus
    note: Text1000 | None = None


class ReferralEventOut(UtcModel):
    kind: str = Field(examples=["status_changed"])
    from_status: str | None = None
    to_status: str
    note: str | None = None
    key_id: int | None = None
    key_prefix: str
    key_scope: str
    at: datetime


class ReferralOut(UtcModel):
    id: int
    status: ReferralStatus
    status_label: str = Field(examples=["送付済み"])
    text: str
    agency_id: str
    agency_name: str
    programme_ids: list[str]
    need_ids: list[str] | None = None
    municipality_code: str
    municipality_name: str
    consent: bool
    enterprise_name: str | None = None
    enterprise_contact: str | None = None
    created_by_key_id: int | None = None
    created_by_scope: str
    created_at: datetime
    updated_at: datetime
    personal_data_erased_at: datetime | None = None
    allowed_transitions: list[ReferralStatus] = Field(description="次に移れる状態")
    revision: int = Field(description="版（変更のたびに 1 増える。ETag と同じ値）", examples=[1])


class ReferralDetail(ReferralOut):
    history: list[ReferralEventOut]


class CountOut(BaseModel):
    key: str
    label: str | None = None
    count: int


class ReferralStats(BaseModel):
    total: int
    by_status: list[CountOut]
    by_agency: list[CountOut]
    by_municipality: list[CountOut]
    by_need: list[CountOut] = Field(description="need_ids が記録された紹介だけを数えます")
