"""Request and response models of the chatbot conversation endpoints (/v1/conversations)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.schemas.match import MatchResponse, QuickReply

MAX_TEXT_CHARS = 1000  # as POST /v1/match

START_EXAMPLE_REQUEST: dict[str, Any] = {"municipality": "萩市"}
MESSAGE_EXAMPLE_REQUEST: dict[str, Any] = {"text": "資金のこと"}

GREETING_EXAMPLE = (
    "こんにちは。山口県の商工業の支援窓口をご案内するチャットです。\n"
    "お困りごとを「融資を受けたい」「共同研究したい」のように短い言葉で入力してください。"
    "相談先の機関・使える制度・窓口の連絡先をご案内します。\n"
    "「最初からやり直す」と入力すると、いつでも最初に戻れます。"
)
STARTER_EXAMPLES = [
    {"label": "創業・開業", "text": "創業したい"},
    {"label": "資金・融資", "text": "融資を受けたい"},
    {"label": "技術・共同研究", "text": "共同研究したい"},
]


class ConversationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [dict(START_EXAMPLE_REQUEST)]}
    )

    municipality: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None,
        description="事業者の市町（19市町の市町名または JIS コード）。窓口の案内でその市町を優先します",
        examples=["萩市"],
    )


class MessageCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [dict(MESSAGE_EXAMPLE_REQUEST)]}
    )

    text: Annotated[str, StringConstraints(max_length=4000)] = Field(
        description=(
            "利用者の発言そのまま、またはクイックリプライの `text`（前後の空白を除いて1〜1000文字）"
        ),
        examples=["資金のこと"],
    )

    @field_validator("text")
    @classmethod
    def _trimmed_length(cls, value: str) -> str:
        trimmed = value.strip()
        if not trimmed:
            raise ValueError("メッセージ（text）を入力してください。")
        if len(trimmed) > MAX_TEXT_CHARS:
            raise ValueError(f"メッセージ（text）は{MAX_TEXT_CHARS}文字以内で入力してください。")
        return trimmed


Phase = Literal["idle", "clarifying", "referred"]
TurnKind = Literal[
    "greeting", "clarify", "referral", "contacts", "out_of_scope", "thanks", "reset", "another"
]


class ConversationState(BaseModel):
    phase: Phase = Field(
        description="idle（待機）/ clarifying（聞き返し中）/ referred（紹介済み）",
        examples=["clarifying"],
    )
    context: list[str] = Field(
        description="聞き返し中に利用者が述べた内容（次の発言と合わせて照合します。最大3件）"
    )
    clarify_count: int = Field(ge=0, description="続けて聞き返した回数")
    last_query: str | None = Field(
        description="直前の紹介で照合した文（「窓口の連絡先」はこの文の窓口を示します）"
    )
    last_needs: list[str] = Field(description="直前の紹介で認識した相談（ニーズ）")
    offered: list[QuickReply] = Field(
        description="直前に示したクイックリプライ（ラベルを入力しても同じ意味になります）"
    )


class ConversationStarted(BaseModel):
    id: str = Field(
        description="会話 ID（UUID）", examples=["3f1c2b9e-7a61-4c1e-9d43-2b8f0c6a1d55"]
    )
    municipality_code: str | None = Field(examples=["35204"])
    expires_at: datetime = Field(description="有効期限（UTC）。メッセージのたびに延長されます")
    reply: str = Field(description="ボットの最初の発言（500文字以内、HTML なし）")
    quick_replies: list[QuickReply]
    state: ConversationState


class MessageReply(BaseModel):
    kind: TurnKind = Field(
        description=(
            "応答の種類: referral（紹介）/ clarify（聞き返し）/ contacts（連絡先）/ "
            "out_of_scope（対象外）/ greeting / thanks / another / reset"
        )
    )
    reply: str = Field(description="ボットの発言（500文字以内、HTML なし、改行を含む）")
    quick_replies: list[QuickReply] = Field(
        description="ボタンとして示す候補。押されたら `text` をそのまま次のメッセージとして送ります（最大13件）"
    )
    query: str | None = Field(
        description="照合に使った文（聞き返しの後は前の発言と合わせた文）。照合しなかった発言では null"
    )
    match: MatchResponse | None = Field(
        description="`query` を POST /v1/match に送った場合と同じ結果。照合しなかった発言（あいさつ・リセットなど）では null"
    )
    state: ConversationState
    turns: int = Field(ge=0, description="この会話で受け取ったメッセージの数")
    expires_at: datetime


class TranscriptEntry(BaseModel):
    role: Literal["user", "bot"]
    text: str
    at: datetime
    kind: TurnKind | None = None


class ConversationDetail(BaseModel):
    id: str
    municipality_code: str | None
    state: ConversationState
    transcript: list[TranscriptEntry] = Field(
        description="直近のやり取り（最大20往復＝40件。古いものから消えます）"
    )
    turns: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


# Examples for the OpenAPI document: real output of the seeded service (lists shortened).
START_EXAMPLE_RESPONSE: dict[str, Any] = {
    "id": "3f1c2b9e-7a61-4c1e-9d43-2b8f0c6a1d55",
    "municipality_code": None,
    "expires_at": "2025-04-01T01:30:00Z",
    "reply": "こんにちは。山口県の商工業の支援窓口をご案内するチャットです。\nお困りごとを「融資を受けたい」「共同研究したい」のように短い言葉で入力してください。相談先の機関・使える制度・窓口の連絡先をご案内します。\n「最初からやり直す」と入力すると、いつでも最初に戻れます。",
    "quick_replies": [
        {"label": "創業・開業", "text": "創業したい"},
        {"label": "資金・融資", "text": "融資を受けたい"},
        {"label": "技術・共同研究", "text": "共同研究したい"},
    ],
    "state": {
        "phase": "idle",
        "context": [],
        "clarify_count": 0,
        "last_query": None,
        "last_needs": [],
        "offered": [
            {"label": "創業・開業", "text": "創業したい"},
            {"label": "資金・融資", "text": "融資を受けたい"},
            {"label": "技術・共同研究", "text": "共同研究したい"},
        ],
    },
}
MESSAGE_EXAMPLE_RESPONSE: dict[str, Any] = {
    "kind": "referral",
    "reply": "「資金の融資を受けたい」というご相談ですね。\n次の機関にご相談いただけます。\n・金融機関：金融支援を担う機関です（「資金」に該当）\n・山口県信用保証協会：金融支援を担う機関です（「資金」に該当）\n・公益財団法人やまぐち産業振興財団：金融支援を担う機関です（「資金」に該当）\n主な制度：中小企業制度融資（融資）、設備投資拡大支援資金（融資）、子育て支援等環境整備資金（融資）\n※上の制度は2013年の計画に記載（現状は要確認）です。\n連絡先：\n・知財総合支援窓口（全国共通ナビダイヤル） 電話 ナビダイヤル 0570-082100\n※金融機関、山口県信用保証協会の連絡先は未登録です。\n詳しい連絡先は「窓口の連絡先」でご案内します。",
    "quick_replies": [
        {"label": "窓口の連絡先", "text": "窓口の連絡先"},
        {"label": "ほかの相談をする", "text": "ほかの相談をする"},
        {"label": "最初からやり直す", "text": "最初からやり直す"},
    ],
    "query": "相談したい。資金のこと",
    "match": {
        "matched": True,
        "needs": [
            {
                "id": "loan",
                "label": "資金の融資を受けたい",
                "support_type": "finance",
                "score": 0.55,
                "negated": False,
                "evidence": [
                    {"rule_id": "finance.money", "matched_text": "資金", "normalized": "資金"}
                ],
            }
        ],
        "support_types": [{"code": "finance", "name": "金融支援", "score": 0.55}],
        "agencies": [
            {
                "id": "financial-institutions",
                "name": "金融機関",
                "score": 0.44,
                "reasons": [
                    "ルール finance.money が『資金』に一致: 金融支援の役割を持つ機関（役割表）、ニーズ「資金の融資を受けたい」の支援機関"
                ],
            },
            {
                "id": "credit-guarantee-corporation",
                "name": "山口県信用保証協会",
                "score": 0.3575,
                "reasons": [
                    "ルール finance.money が『資金』に一致: 金融支援の役割を持つ機関（役割表）、ニーズ「資金の融資を受けたい」の支援機関"
                ],
            },
        ],
        "programmes": [
            {
                "id": "sme-system-loans",
                "name": "中小企業制度融資",
                "kind": "loan",
                "score": 0.658,
                "status": "unconfirmed",
                "status_label": "2013年の計画に記載（現状は要確認）",
                "reasons": ["ルール finance.money が『資金』に一致: ルールが挙げる施策"],
            },
            {
                "id": "capex-expansion-loan",
                "name": "設備投資拡大支援資金",
                "kind": "loan",
                "score": 0.3227,
                "status": "unconfirmed",
                "status_label": "2013年の計画に記載（現状は要確認）",
                "reasons": ["アクション12「金融支援の充実強化」の施策で、一致した支援の種類に該当"],
            },
        ],
        "national_programmes": [],
        "actions": [{"number": 12, "title": "金融支援の充実強化", "score": 0.7172}],
        "contact_points": [
            {
                "id": "ip-support-desk-navi-dial",
                "name": "知財総合支援窓口（全国共通ナビダイヤル）",
                "agency_id": "yipf",
                "role": "最寄りの都道府県窓口につながる。平日9時〜17時",
                "postal_code": None,
                "address": None,
                "phones": [{"label": "ナビダイヤル", "number": "0570-082100"}],
                "fax": None,
                "email": None,
                "url": "https://chizai-portal.inpit.go.jp/",
                "hours": "平日9時〜17時",
                "municipalities": [],
                "prefecture_wide": True,
                "general_fallback": False,
                "programme_id": None,
                "source": "ミラサポplus 支援制度データ (record 2081)",
                "as_of": "2021-2023",
                "verified": False,
                "agency_name": "公益財団法人やまぐち産業振興財団",
                "reason": "公益財団法人やまぐち産業振興財団の県内全域の窓口",
            }
        ],
        "clarifying_questions": [],
        "vocabularies": {
            "jgrants_use_purpose": ["資金繰りを改善したい"],
            "mirasapo_purpose": ["資金繰り"],
        },
        "snapshot_version": 1,
    },
    "state": {
        "phase": "referred",
        "context": [],
        "clarify_count": 0,
        "last_query": "相談したい。資金のこと",
        "last_needs": ["資金の融資を受けたい"],
        "offered": [
            {"label": "窓口の連絡先", "text": "窓口の連絡先"},
            {"label": "ほかの相談をする", "text": "ほかの相談をする"},
            {"label": "最初からやり直す", "text": "最初からやり直す"},
        ],
    },
    "turns": 2,
    "expires_at": "2025-04-01T01:32:10Z",
}
DETAIL_EXAMPLE: dict[str, Any] = {
    "id": "3f1c2b9e-7a61-4c1e-9d43-2b8f0c6a1d55",
    "municipality_code": None,
    "state": {
        "phase": "referred",
        "context": [],
        "clarify_count": 0,
        "last_query": "相談したい。資金のこと",
        "last_needs": ["資金の融資を受けたい"],
        "offered": [
            {"label": "窓口の連絡先", "text": "窓口の連絡先"},
            {"label": "ほかの相談をする", "text": "ほかの相談をする"},
            {"label": "最初からやり直す", "text": "最初からやり直す"},
        ],
    },
    "transcript": [
        {"role": "user", "text": "相談したい", "at": "2025-04-01T01:01:05Z", "kind": None},
        {
            "role": "bot",
            "text": "ご相談ありがとうございます。\nどのようなことでお困りですか？近いものを選んでください。\n下の選択肢から選ぶか、「資金のこと」のように短い言葉で入力してください。",
            "at": "2025-04-01T01:01:05Z",
            "kind": "clarify",
        },
    ],
    "turns": 2,
    "created_at": "2025-04-01T01:00:00Z",
    "updated_at": "2025-04-01T01:02:10Z",
    "expires_at": "2025-04-01T01:32:10Z",
}
