"""Request and response models for editing the matcher rules and the lexicon.

A rule is written exactly as in ``seed/rules/*.yaml`` (the pydantic ``Rule`` of the matcher);
a lexicon entry exactly as in ``seed/lexicon.yaml`` (a vague term is ``{"term": ...}``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.matching.rules import (
    EntryId,
    LexiconKind,
    Negation,
    Pattern,
    Rule,
    RuleId,
    Slug,
    SupportTypeCode,
    Text,
)
from app.schemas import examples
from app.schemas.admin import EditModel

Theme = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$"),
    Field(
        description="テーマ（ルールファイル名、例: finance は seed/rules/finance.yaml）",
        examples=["technology"],
    ),
]

RULE_EXAMPLE: dict[str, Any] = {
    "id": "technology.joint-research",
    "need": "joint-research",
    "description": "産学公連携・共同研究",
    "patterns": ["共同研究", ["大学", "研究"], ["大学", "連携"]],
    "actions": [8],
    "programmes": ["technology-innovation-plan-approval"],
    "agency_boosts": {"universities": 0.35},
    "weight": 0.85,
}

LEXICON_EXAMPLE: dict[str, Any] = {
    "id": "joint-research",
    "canonical": "共同研究",
    "variants": ["産学連携", "共同開発"],
}


def _match_text(value: str) -> str:
    trimmed = value.strip()
    if not trimmed:
        raise ValueError("相談内容を入力してください。")
    if len(trimmed) > 1000:
        raise ValueError("相談内容は1000文字以内で入力してください。")
    return trimmed


# Same limits as POST /v1/match: 1-1000 characters once trimmed.
MatchText = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_match_text)]


# ---------------------------------------------------------------- evaluation


class BrokenCase(BaseModel):
    id: str = Field(description="評価セットの事例 id", examples=["canon-021"])
    text: str = Field(examples=["大学と共同研究したい"])
    expected: list[str] = Field(examples=[["technology"]])
    got: list[str] = Field(examples=[["growth"]])


class BrokenMetricOut(BaseModel):
    metric: str = Field(examples=["support_type@1"])
    value: float = Field(description="変更後の値", examples=[0.86])
    threshold: float = Field(description="基準値", examples=[0.9])
    current: float = Field(description="現在の値", examples=[1.0])
    cases: list[BrokenCase] = Field(
        description="現在は正解し、変更後は不正解になる事例（最大20件）"
    )
    cases_total: int = Field(description="そのような事例の総数")


class EvaluationOut(BaseModel):
    current: dict[str, float] = Field(
        description="現在のルールでの評価指標", examples=[{"support_type@1": 1.0}]
    )
    candidate: dict[str, float] = Field(
        description="変更後のルールでの評価指標", examples=[{"support_type@1": 0.99}]
    )
    thresholds: dict[str, float] = Field(
        description="公開の基準値（これを下回る変更は 409）", examples=[{"support_type@1": 0.9}]
    )
    broken: list[BrokenMetricOut] = Field(description="基準を下回る指標と、壊れた事例")


class WriteEvaluationOut(EvaluationOut):
    forced: bool = Field(description="force=true で基準未達のまま公開したか")
    elapsed_ms: float = Field(description="変更後のルールの検証・コンパイル・評価にかかった時間")


# ---------------------------------------------------------------- rules


class RuleOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": RULE_EXAMPLE["id"],
                    "theme": "technology",
                    "position": 0,
                    "revision": 1,
                    "rule": RULE_EXAMPLE,
                }
            ]
        }
    )

    id: str
    theme: str
    position: int = Field(description="テーマ内の順序")
    revision: int = Field(description="版番号。ETag ヘッダーと同じ値です。")
    rule: dict[str, Any] = Field(description="ルール（seed/rules/*.yaml と同じ形）")


class RuleWriteOut(RuleOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RULE_WRITTEN]})

    evaluation: WriteEvaluationOut


class RuleCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"theme": "technology", "rule": RULE_EXAMPLE}]},
    )

    theme: Theme
    rule: Rule


class RulePatch(EditModel):
    """Any field of a rule except its id; lists and mappings replace the stored ones."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"patterns": ["共同研究", ["大学", "研究"], "産学共同"]},
                {"weight": 0.7, "theme": "growth"},
            ]
        }
    )
    _required = (
        "theme",
        "need",
        "patterns",
        "support_types",
        "actions",
        "programmes",
        "agency_boosts",
        "weight",
        "negation",
        "wanted_only",
    )

    theme: Theme | None = None
    need: Slug | None = None
    description: Text | None = None
    patterns: Annotated[list[Pattern], Field(min_length=1, max_length=80)] | None = None
    support_types: Annotated[list[SupportTypeCode], Field(max_length=6)] | None = None
    actions: Annotated[list[Annotated[int, Field(ge=1, le=12)]], Field(max_length=12)] | None = None
    programmes: Annotated[list[Slug], Field(max_length=20)] | None = None
    agency_boosts: (
        Annotated[dict[Slug, Annotated[float, Field(gt=0, le=1)]], Field(max_length=20)] | None
    ) = None
    weight: float | None = Field(default=None, gt=0, le=1)
    negation: Negation | None = None
    wanted_only: bool | None = None


# ---------------------------------------------------------------- lexicon


class LexiconOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "synonyms",
                    "id": "joint-research",
                    "position": 5,
                    "revision": 1,
                    "entry": LEXICON_EXAMPLE,
                }
            ]
        }
    )

    kind: str = Field(
        description="synonyms（同義語）/ negation_cues（否定の手がかり）/ "
        "vague_terms（あいまい語）/ private_life_terms（事業外・私生活の語）/ "
        "business_context_terms（事業の文脈を示す語）/ "
        "clarifying_questions（聞き返し）"
    )
    id: str = Field(description="あいまい語・事業外の語の id は語から導出（v- と16進数）")
    position: int
    revision: int = Field(description="版番号。ETag ヘッダーと同じ値です。")
    entry: dict[str, Any] = Field(description="項目（seed/lexicon.yaml と同じ形）")


class LexiconWriteOut(LexiconOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.LEXICON_WRITTEN]})

    evaluation: WriteEvaluationOut


class LexiconCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "synonyms", "entry": LEXICON_EXAMPLE},
                {"kind": "vague_terms", "entry": {"term": "どげんしたら"}},
            ]
        },
    )

    kind: LexiconKind
    entry: dict[str, Any] = Field(
        description='項目（seed/lexicon.yaml と同じ形。あいまい語は {"term": "…"}）'
    )


# ---------------------------------------------------------------- dry run


class RuleUpsertChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["upsert"]
    theme: Theme | None = Field(
        default=None, description="新しいルールでは必須。既存のルールでは省略すると変えません。"
    )
    rule: Rule


class RuleDeleteChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["delete"]
    id: RuleId


class LexiconUpsertChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["upsert_lexicon"]
    kind: LexiconKind
    entry: dict[str, Any]


class LexiconDeleteChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["delete_lexicon"]
    kind: LexiconKind
    id: EntryId


Change = Annotated[
    RuleUpsertChange | RuleDeleteChange | LexiconUpsertChange | LexiconDeleteChange,
    Field(discriminator="op"),
]

DRY_RUN_EXAMPLE: dict[str, Any] = {
    "changes": [
        {
            "op": "upsert",
            "theme": "technology",
            "rule": {**RULE_EXAMPLE, "patterns": [*RULE_EXAMPLE["patterns"], "産学共同"]},
        },
        {"op": "upsert_lexicon", "kind": "vague_terms", "entry": {"term": "どげんしたら"}},
    ],
    "texts": ["産学共同で新素材をつくりたい", "どげんしたらええんか分からん"],
}


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [DRY_RUN_EXAMPLE]})

    changes: Annotated[list[Change], Field(max_length=50)] = Field(
        description="順に適用する変更（最大50件）"
    )
    texts: Annotated[list[MatchText], Field(max_length=50)] = Field(
        default=[], description="現在と変更後で照合する相談内容（最大50件、各1000文字以内）"
    )
    municipality: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="照合に使う市町（省略可）", examples=["萩市"]
    )


class DryRunResult(BaseModel):
    text: str
    current: dict[str, Any] = Field(description="現在のルールでの POST /v1/match の結果")
    candidate: dict[str, Any] = Field(description="変更後のルールでの結果")
    changed: bool


class DryRunOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DRY_RUN_RESULT]})

    results: list[DryRunResult]
    evaluation: EvaluationOut
    publishable: bool = Field(description="この変更をそのまま公開できるか（基準を下回らない）")


class SuggestedMissOut(BaseModel):
    text: str = Field(description="正規化・マスク済みの相談（100文字まで）")
    kind: str = Field(description="unmatched（該当なし）/ clarified（聞き返し）")
    count: int


class RuleSuggestionOut(BaseModel):
    need: str = Field(description="いちばん近いニーズの id")
    label: str = Field(description="ニーズの名前")
    support_type: str
    count: int = Field(description="まとめた相談の件数（延べ）")
    similarity: float = Field(description="まとめた相談とニーズの類似度（最大）")
    texts: list[str] = Field(description="まとめた相談（マスク済み、頻度順、10件まで）")
    terms: list[str] = Field(description="相談に共通し、そのニーズのルールにまだない語句")
    draft: dict[str, Any] = Field(
        description="ルール案（`POST /v1/admin/rules` や dry-run の `changes` にそのまま使える形）"
    )


class RuleSuggestionsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RULE_SUGGESTIONS]})

    items: list[RuleSuggestionOut]
    unassigned: list[SuggestedMissOut] = Field(description="どのニーズにも近くない相談")
