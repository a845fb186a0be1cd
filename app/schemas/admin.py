"""Request and response models for editing the directory (agencies, contact points, programmes).

Every request model forbids unknown fields and bounds every text, so a mistake is a clear 422.
Fields left out of a PATCH are not changed; `null` clears a nullable field.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from sqlmodel._compat import SQLModelConfig

from app.models.directory import AgencyFields, ContactPointFields
from app.models.programmes import ProgrammeFields
from app.schemas.access import UtcModel
from app.schemas.directory import ContactPointOut
from app.schemas.programmes import ProgrammeStatusOut
from app.seeding.schema import (
    MunicipalityCode,
    PhoneSeed,
    ShortText,
    Slug,
    SupportTypeCode,
)

Aliases = Annotated[list[ShortText], Field(max_length=30)]
ActionNumber = Annotated[int, Field(ge=1, le=12)]


class EditModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    #: fields that may be left out of a PATCH but may not be set to null
    _required: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> EditModel:
        for name in self._required:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} に null は指定できません。")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


def partial_model(
    name: str,
    fields_of: type[BaseModel],
    *,
    examples: list[dict[str, Any]],
    exclude: tuple[str, ...] = (),
    **extra: Any,
) -> type[EditModel]:
    """The PATCH model of an entity, generated from its shared fields (and `extra`, the fields
    each shape adds in its own form): every field optional and validated as on create; a field
    that cannot be null on create cannot be set to null either."""
    fields: dict[str, Any] = {}
    required: list[str] = []
    for field_name, info in fields_of.model_fields.items():
        if field_name == "id" or field_name in exclude:
            continue  # the id is in the path
        optional = copy.copy(info)
        optional.default = None
        annotation: Any = info.annotation
        fields[field_name] = (annotation | None, optional)
        if not _admits_none(info.annotation):
            required.append(field_name)
    for field_name, annotation in extra.items():
        fields[field_name] = (annotation | None, None)
        if not _admits_none(annotation):
            required.append(field_name)
    model = create_model(name, __base__=EditModel, **fields)
    model._required = tuple(required)
    model.model_config["json_schema_extra"] = cast(Any, {"examples": examples})
    model.model_rebuild(force=True)
    return cast(type[EditModel], model)


def _admits_none(annotation: Any) -> bool:
    return annotation is None or type(None) in get_args(annotation)


# ---------------------------------------------------------------- agencies


AgencyMunicipalities = Annotated[list[MunicipalityCode], Field(max_length=19)]


class AgencyCreate(AgencyFields, EditModel):
    """A new agency or local office: the shared fields (AgencyFields), its aliases, roles and
    the 市町 it serves."""

    model_config = SQLModelConfig(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    # From the plan (action 6.3): the university's research organisation,
                    # registered as a child of yamaguchi-university.
                    "id": "yamaguchi-university-research-promotion",
                    "name": "山口大学大学研究推進機構",
                    "short_name": "研究推進機構",
                    "category": "academic",
                    "parent_id": "yamaguchi-university",
                    "roles": ["startup"],
                    "source_section": "第3章 アクション6 ３ ベンチャー企業への創業支援",
                }
            ]
        },
    )

    aliases: Aliases = []
    roles: Annotated[list[SupportTypeCode], Field(max_length=6)] = []
    municipalities: AgencyMunicipalities = Field(
        default=[], description="地域の事務所が担当する市町の JIS コード（[] は県全域）"
    )
    source_section: ShortText = "管理者による登録"


if TYPE_CHECKING:

    class AgencyPatch(EditModel):
        """The fields of AgencyCreate but its kind and parent, each optional (generated below)."""

else:
    # An agency's kind and its place in the tree are fixed once created (roles: PUT .../roles).
    AgencyPatch = partial_model(
        "AgencyPatch",
        AgencyFields,
        exclude=("category", "parent_id"),
        aliases=Aliases,
        municipalities=AgencyMunicipalities,
        examples=[{"role_label": "中小企業に対する中核的支援機関", "aliases": ["財団"]}],
    )


class AgencyRolesPut(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"roles": ["growth", "finance"]}]}
    )

    roles: Annotated[list[SupportTypeCode], Field(max_length=6)]


class AgencyEditOut(AgencyFields, UtcModel):
    """An agency as its editor sees it: with its revision (the ETag) and last change."""

    aliases: list[str]
    roles: list[str]
    municipalities: list[str]
    source_section: str
    revision: int = Field(description="版番号。ETag ヘッダーと同じ値です。")
    updated_at: datetime


# ---------------------------------------------------------------- contact points

Phones = Annotated[list[PhoneSeed], Field(max_length=10)]
Municipalities = Annotated[list[MunicipalityCode], Field(max_length=19)]


class ContactPointCreate(ContactPointFields, EditModel):
    """A new contact point: the shared fields (ContactPointFields), its phones and 市町."""

    model_config = SQLModelConfig(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    # Only published facts (seed/contact_points.yaml, ミラサポplus record 1212):
                    # the prefectural loan line of the management and finance division.
                    "id": "pref-system-finance-desk",
                    "name": "山口県 商工労働部 経営金融課（県制度融資）",
                    "agency_id": "pref-management-finance-division",
                    "phones": [{"label": "県制度融資", "number": "083-933-3188"}],
                    "prefecture_wide": True,
                    "source": "ミラサポplus 支援制度データ (record 1212)",
                    "as_of": "2021-2023",
                    "verified": False,
                }
            ]
        },
    )

    phones: Phones = []
    municipalities: Municipalities = []
    source: ShortText = Field(default="機関による登録", max_length=500, title="出典")


if TYPE_CHECKING:

    class ContactPointPatch(EditModel):
        """The fields of ContactPointCreate, each optional (generated below)."""

else:
    ContactPointPatch = partial_model(
        "ContactPointPatch",
        ContactPointFields,
        phones=Phones,
        municipalities=Municipalities,
        examples=[{"hours": "平日9時〜17時"}],
    )


class ContactPointEditOut(ContactPointOut, UtcModel):
    """A contact point as its editor sees it: with its revision (the ETag) and last change."""

    revision: int
    updated_at: datetime


# ---------------------------------------------------------------- programmes

Operators = Annotated[list[Slug], Field(max_length=20)]
ActionNumbers = Annotated[list[ActionNumber], Field(max_length=12)]
SupportTypes = Annotated[list[SupportTypeCode], Field(max_length=6)]


SourcePage = Annotated[int, Field(ge=1, le=10_000)]


class ProgrammeCreate(ProgrammeFields, EditModel):
    """A new programme: the shared fields (ProgrammeFields), its aliases, source, operators and
    links to the plan."""

    model_config = SQLModelConfig(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    # From the plan (action 8.2): the technology centre's technology strategy.
                    "id": "itc-technology-strategy",
                    "name": "技術戦略（産業技術センター）",
                    "kind": "other",
                    "description": (
                        "産業技術センターにおいて、県内ものづくり企業の成長に向けた戦略の方向性を"
                        "示す「技術戦略」を見直し、県内ものづくり企業の技術革新を推進する。"
                    ),
                    "source_section": "第3章 アクション8 ２ 技術のブランド化による付加価値の高いものづくりの促進",
                    "operators": ["yamaguchi-itc"],
                    "actions": [8],
                    "support_types": ["technology"],
                }
            ]
        },
    )

    aliases: Aliases = []
    source_section: ShortText = "機関による登録"
    source_page: SourcePage | None = None
    operators: Operators = []
    actions: ActionNumbers = []
    support_types: SupportTypes = []


if TYPE_CHECKING:

    class ProgrammePatch(EditModel):
        """The fields of ProgrammeCreate, each optional (generated below)."""

else:
    ProgrammePatch = partial_model(
        "ProgrammePatch",
        ProgrammeFields,
        aliases=Aliases,
        source_section=ShortText,
        source_page=SourcePage | None,
        operators=Operators,
        actions=ActionNumbers,
        support_types=SupportTypes,
        examples=[{"aliases": ["中小企業制度融資(設備投資拡大支援資金等)"]}],
    )


class ProgrammeEditOut(ProgrammeStatusOut, ProgrammeFields, UtcModel):
    """A programme as its editor sees it: with its revision (the ETag), last change and when it
    was last confirmed (every write through this API confirms it)."""

    aliases: list[str]
    source_section: str
    source_page: int | None = None
    operators: list[str]
    actions: list[int]
    support_types: list[str]
    measures: list[str] = Field(description="計画の取組方針（編集対象外）")
    revision: int
    updated_at: datetime


# ---------------------------------------------------------------- bulk import


class ImportRowError(BaseModel):
    row: int = Field(description="ファイルの行番号（見出しが1行目）", examples=[3])
    column: str = Field(description="列の見出し", examples=["担当市町"])
    detail: str = Field(examples=["「萩」は山口県の市町ではありません（市町名か JIS コード）"])


class ImportReport(BaseModel):
    dry_run: bool
    created: int = Field(description="新規登録（する）行の数")
    updated: int = Field(description="更新（する）行の数")
    unchanged: int = Field(description="変更のない行の数")
    errors: list[ImportRowError] = Field(description="誤りのある行（あれば何も書き込まれない）")
