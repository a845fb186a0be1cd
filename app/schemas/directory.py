"""Response models for support types, agencies, the role matrix, municipalities and contacts."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.models.directory import AgencyFields, ContactPointFields


class SupportTypeOut(BaseModel):
    code: str = Field(examples=["technology"])
    name: str = Field(examples=["技術支援"])
    name_en: str = Field(examples=["Technology support"])
    description: str
    order: int


class SourceOut(BaseModel):
    section: str
    page: int | None = None


class AgencyRef(BaseModel):
    id: str = Field(examples=["yamaguchi-itc"])
    name: str = Field(examples=["地方独立行政法人山口県産業技術センター"])


class AgencySummary(AgencyFields):
    """An agency in a list: its fields, its roles and the 市町 it serves."""

    roles: list[str] = Field(
        description="役割表で○のある支援の種類コード", examples=[["startup", "technology"]]
    )
    in_role_matrix: bool
    municipalities: list[str] = Field(
        default=[],
        description="担当する市町の JIS コード（地域の事務所）。空なら県全域の機関",
        examples=[["35204"]],
    )


class PhoneOut(BaseModel):
    label: str | None = None
    number: str = Field(examples=["083-933-3185"])


class ContactPointOut(ContactPointFields):
    """A contact point as the API gives it: its fields, its phones, the 市町 it serves."""

    phones: list[PhoneOut] = Field(default=[])
    municipalities: list[str] = Field(default=[], description="担当する市町の JIS コード")


class ProgrammeRef(BaseModel):
    id: str
    name: str
    kind: str


class MatchedContactPoint(ContactPointOut):
    agency_name: str
    reason: str


class LocalOfficeOut(BaseModel):
    id: str = Field(description="事務所（機関）の id", examples=["hagi-cci"])
    name: str = Field(examples=["萩商工会議所"])
    contact_points: list[MatchedContactPoint] = Field(
        description="その事務所の窓口（未登録なら空）"
    )


class AgencyDetail(AgencySummary):
    aliases: list[str]
    matrix_row_label: str | None = None
    source: SourceOut
    parent: AgencyRef | None = None
    children: list[AgencyRef]
    programmes: list[ProgrammeRef]
    contact_points: list[ContactPointOut]
    local_offices: list[LocalOfficeOut] = Field(
        default=[],
        description=(
            "`municipality` を指定したとき、この機関のうちその市町を担当する事務所（近い順）。"
            "各要素は /v1/match の `agencies[].local_offices` と同じ形 {id, name, contact_points}。"
        ),
    )


class RoleMatrixSupportType(BaseModel):
    code: str
    name: str


class RoleMatrixRow(BaseModel):
    agency: AgencyRef
    roles: dict[str, bool]


class RoleMatrixOut(BaseModel):
    support_types: list[RoleMatrixSupportType]
    rows: list[RoleMatrixRow]


class MunicipalityOut(BaseModel):
    code: str = Field(examples=["35204"])
    name: str = Field(examples=["萩市"])
    kind: str = Field(examples=["city"])
