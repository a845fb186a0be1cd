"""Request and response models of POST /v1/match: the contract partners code against."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.matching.status import ProgrammeStatus
from app.schemas.directory import LocalOfficeOut, MatchedContactPoint

MATCH_EXAMPLE_REQUEST: dict[str, Any] = {
    "text": "パン屋を開業したい",
    "municipality": "萩市",
    "limit": 5,
}


class MatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [dict(MATCH_EXAMPLE_REQUEST)]}
    )

    text: Annotated[str, StringConstraints(max_length=4000)] = Field(
        description="事業者の言葉そのまま（前後の空白を除いて1〜1000文字）",
        examples=["共同研究したい"],
    )
    municipality: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="19市町のいずれか（市町名または JIS コード）", examples=["萩市"]
    )
    limit: int = Field(default=5, ge=1, le=20, description="機関・制度・アクションの最大件数")

    @field_validator("text")
    @classmethod
    def _trimmed_length(cls, value: str) -> str:
        trimmed = value.strip()
        if not trimmed:
            raise ValueError("相談内容（text）を入力してください。")
        if len(trimmed) > 1000:
            raise ValueError("相談内容（text）は1000文字以内で入力してください。")
        return trimmed


class EvidenceOut(BaseModel):
    rule_id: str = Field(examples=["technology.joint-research"])
    matched_text: str = Field(examples=["共同研究"])
    normalized: str


class NeedOut(BaseModel):
    id: str = Field(examples=["joint-research"])
    label: str = Field(examples=["共同研究したい"])
    topic: str = Field(
        default="", description="ニーズの名詞句（文中で使う）", examples=["共同研究"]
    )
    support_type: str = Field(examples=["technology"])
    score: float = Field(ge=0, le=1)
    negated: bool = Field(description="「〜は必要ない」など否定された相談（順位付けには使わない）")
    explanation: str = Field(
        default="",
        description="窓口向けの説明（ルール id を含まない平易な日本語）",
        examples=["『共同研究』から、共同研究のご相談と判断しました"],
    )
    inferred: bool = Field(
        default=False,
        description="ルールに一致する語がなく、お話の全体から推定したニーズ（`evidence` は空）。"
        "窓口で内容をご確認ください。Estimated from the whole text: no rule matched.",
    )
    evidence: list[EvidenceOut] = Field(description="根拠：一致したルールと語句")


class SupportTypeScore(BaseModel):
    code: str
    name: str
    score: float = Field(ge=0, le=1)


class RankedAgency(BaseModel):
    id: str
    name: str
    score: float = Field(ge=0, le=1)
    explanation: str = Field(
        default="",
        description="窓口向けの説明（ルール id を含まない平易な日本語）",
        examples=["資金の融資のご相談に対応する機関です（役割表の「金融支援」）"],
    )
    reasons: list[str] = Field(description="一致したルールと語句を示す理由（根拠）")
    local_offices: list[LocalOfficeOut] = Field(
        default=[],
        description=(
            "`municipality` を指定したとき、この機関のうちその市町を担当する具体的な事務所（近い順）。"
            "該当する事務所がなければ空。市町の指定がなければ空（県全域の窓口は `contact_points`）。"
        ),
    )


class RankedProgramme(BaseModel):
    id: str
    name: str
    kind: str
    score: float = Field(ge=0, le=1)
    status: ProgrammeStatus = Field(
        description="unconfirmed（計画の記載のまま、現状は要確認）/ confirmed（編集者が確認済み）"
    )
    status_label: str = Field(
        description="状態の日本語表示", examples=["2013年の計画に記載（現状は要確認）"]
    )
    reasons: list[str]


class NationalProgrammeOut(BaseModel):
    """A national subsidy from jGrants that accepts applications now (at the time of the
    answer) and whose jGrants use purpose meets the owner's needs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "S0J0w00wer0wUgr77E",
                    "name": "事業承継・引継ぎ補助金（例）",
                    "number": "S-00001234",
                    "source_url": "https://www.jgrants-portal.go.jp/subsidy/S0J0w00wer0wUgr77E",
                    "target_areas": ["全国"],
                    "acceptance_start": "2026-11-01T00:00:00Z",
                    "acceptance_end": "2027-01-31T08:00:00Z",
                    "max_amount": 8000000,
                    "target_employees": "従業員数の制約なし",
                    "use_purposes": ["事業を引き継ぎたい"],
                    "fetched_at": "2026-12-01T21:00:00Z",
                    "reason": "ご相談（事業承継）に当たる jGrants の利用目的『事業を引き継ぎたい』の"
                    "補助金で、現在受付中です",
                }
            ]
        }
    )

    id: str = Field(description="jGrants の補助金 ID")
    name: str = Field(description="補助金の名称（jGrants の title）")
    number: str | None = Field(default=None, description="jGrants の補助金番号（name）")
    source_url: str = Field(description="jGrants の補助金ページ")
    target_areas: list[str] = Field(description="対象地域（全国・山口県 など）")
    acceptance_start: datetime = Field(description="受付開始日時")
    acceptance_end: datetime = Field(description="受付終了日時")
    max_amount: int | None = Field(description="補助上限額（円）。jGrants に記載がなければ null")
    target_employees: str | None = Field(default=None, description="対象の従業員数")
    use_purposes: list[str] = Field(description="ご相談と一致した jGrants の利用目的")
    fetched_at: datetime = Field(description="jGrants から取得した日時")
    reason: str = Field(description="この補助金を挙げた理由（利用目的）")


class RankedAction(BaseModel):
    number: int
    title: str
    score: float = Field(ge=0, le=1)


class QuickReply(BaseModel):
    label: str = Field(examples=["資金のこと"])
    text: str = Field(
        description="そのまま /v1/match に送れば解決できる発話", examples=["資金の融資を受けたい"]
    )


class ClarifyingQuestion(BaseModel):
    question: str
    options: list[QuickReply]


class Vocabularies(BaseModel):
    jgrants_use_purpose: list[str] = Field(description="jGrants の利用目的（use_purpose）")
    mirasapo_purpose: list[str] = Field(description="ミラサポplus の目的カテゴリ")


class MatchResponse(BaseModel):
    matched: bool
    out_of_scope: bool = Field(
        default=False,
        description="事業ではなく暮らしの用件（住宅ローン・年金など）だけが書かれている場合 true。"
        "商工業の支援機関ではなく、市町の総合窓口をご案内ください。",
    )
    input_language: Literal["ja", "en"] = Field(
        default="ja",
        description='相談文の言語。英語で書かれた相談は "en"（照合は日本語で行うため、'
        "日本語での入力か近い話題の選択を求める聞き返しを返します）",
    )
    call_first: list[str] = Field(
        default=[],
        description=(
            "`agencies` の id を、電話できる窓口（地域の事務所か機関自身の窓口）がある機関から順に"
            "並べたもの（同じ組の中は順位どおり）。窓口の画面やチャットはこの順に案内します。"
        ),
    )
    needs: list[NeedOut]
    support_types: list[SupportTypeScore]
    agencies: list[RankedAgency]
    programmes: list[RankedProgramme]
    national_programmes: list[NationalProgrammeOut] = Field(
        default=[],
        description=(
            "国の補助金（jGrants）のうち、山口県または全国を対象とし、回答の時点で受付中で、"
            "ご相談のニーズに対応する jGrants の利用目的を持つもの。定期的な同期で取得した"
            "メモリ上のデータから選び、回答のたびに jGrants へ問い合わせることはありません。"
        ),
    )
    actions: list[RankedAction]
    contact_points: list[MatchedContactPoint]
    clarifying_questions: list[ClarifyingQuestion]
    vocabularies: Vocabularies
    snapshot_version: int = Field(description="回答に使ったディレクトリのバージョン")


class MissOut(BaseModel):
    text: str = Field(description="正規化・マスク済み（100文字まで）")
    kind: str = Field(description="unmatched（該当なし）/ clarified（聞き返し）")
    count: int


class MatchStats(BaseModel):
    totals: dict[str, int]
    distinct: int
    capacity: int
    top: list[MissOut]
