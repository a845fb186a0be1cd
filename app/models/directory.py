"""Support types, agencies and their roles (the role matrix), municipalities, contact points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models.common import json_field, timestamp_field
from app.models.types import Email, LongText, PhoneNumber, PostalCode, ShortText, Slug, Url


class SupportType(SQLModel, table=True):
    __tablename__ = "support_type"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    description: str = Field(max_length=4000)
    sort_order: int


class AgencyFields(SQLModel):
    """An agency's own fields, one definition for every shape it takes: the table (Agency), the
    seed (AgencySeed), the API's answers (AgencySummary, AgencyDetail, AgencyEditOut) and
    requests (AgencyCreate, the generated AgencyPatch) and the CSV export and import (headers:
    the `title`s). A new field is added here and in a migration.

    Not here: aliases (JSON), roles (the role matrix), the 市町 a local office serves (a link
    table), the plan's matrix position and source: each shape adds them in its own form."""

    id: Slug = Field(primary_key=True, max_length=80, title="機関ID")
    name: ShortText = Field(max_length=300, index=True, title="機関名")
    short_name: ShortText = Field(max_length=300, title="略称")
    name_en: ShortText | None = Field(default=None, max_length=300, title="英語名")
    category: ShortText = Field(max_length=80, title="区分")
    role_label: ShortText | None = Field(default=None, max_length=300, title="役割")
    parent_id: Slug | None = Field(
        default=None, foreign_key="agency.id", max_length=80, title="親機関ID"
    )
    description: LongText | None = Field(default=None, max_length=4000, title="説明")


class Agency(AgencyFields, table=True):
    __tablename__ = "agency"

    aliases: list[str] = json_field()
    matrix_order: int | None = None
    matrix_row_label: str | None = Field(default=None, max_length=300)
    source_section: str = Field(max_length=300)
    source_page: int | None = None
    revision: int = 1
    updated_at: datetime = timestamp_field()


class AgencyRole(SQLModel, table=True):
    """One ○ of the role matrix: this agency holds this support type."""

    __tablename__ = "agency_role"

    agency_id: str = Field(foreign_key="agency.id", primary_key=True, max_length=80)
    support_type_code: str = Field(foreign_key="support_type.code", primary_key=True, max_length=40)


class AgencyMunicipality(SQLModel, table=True):
    """A 市町 a local office serves (萩商工会議所 serves 萩市)."""

    __tablename__ = "agency_municipality"

    agency_id: str = Field(
        foreign_key="agency.id", primary_key=True, max_length=80, ondelete="CASCADE"
    )
    municipality_code: str = Field(
        foreign_key="municipality.code", primary_key=True, max_length=5, index=True
    )


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"

    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=40, unique=True)
    kind: str = Field(max_length=10)
    source: str = Field(max_length=1000)


class ContactPointFields(SQLModel):
    """A contact point's own fields, one definition for every shape it takes: the table
    (ContactPoint), the seed (ContactPointSeed), the API's answers (ContactPointOut, ...EditOut)
    and requests (ContactPointCreate, the generated ContactPointPatch), the matcher's view and the
    CSV export and import (whose column headers are the `title`s). A new field is added here and
    in a migration, and nowhere else.

    Not here: the phones (a JSON list in the table, objects in the API) and the 市町 served (a link
    table): each shape adds them in its own form."""

    id: Slug = Field(primary_key=True, max_length=80, title="窓口ID")
    name: ShortText = Field(max_length=300, title="窓口名")
    agency_id: Slug = Field(foreign_key="agency.id", index=True, max_length=80, title="機関ID")
    role: ShortText | None = Field(default=None, max_length=300, title="担当")
    postal_code: PostalCode | None = Field(default=None, max_length=8, title="郵便番号")
    address: ShortText | None = Field(default=None, max_length=300, title="住所")
    fax: PhoneNumber | None = Field(default=None, max_length=20, title="FAX")
    email: Email | None = Field(default=None, max_length=254, title="メール")
    url: Url | None = Field(default=None, max_length=500, title="URL")
    hours: ShortText | None = Field(default=None, max_length=300, title="受付時間")
    prefecture_wide: bool = Field(default=False, title="県全域")
    general_fallback: bool = Field(default=False, title="総合窓口")
    programme_id: Slug | None = Field(
        default=None, foreign_key="programme.id", max_length=80, title="制度ID"
    )
    source: ShortText = Field(max_length=500, title="出典", description="この情報の出典")
    as_of: ShortText | None = Field(
        default=None, max_length=40, title="時点", description="出典の時点"
    )
    verified: bool = Field(default=False, title="確認済み", description="機関本人による確認済みか")


class ContactPoint(ContactPointFields, table=True):
    __tablename__ = "contact_point"

    phones: list[dict[str, Any]] = json_field()
    revision: int = 1
    updated_at: datetime = timestamp_field()


class ContactPointMunicipality(SQLModel, table=True):
    __tablename__ = "contact_point_municipality"

    contact_point_id: str = Field(
        foreign_key="contact_point.id", primary_key=True, max_length=80, ondelete="CASCADE"
    )
    municipality_code: str = Field(
        foreign_key="municipality.code", primary_key=True, max_length=5, index=True
    )
