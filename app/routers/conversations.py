"""Chatbot conversations: a multi-turn front end to the matcher, with clarification state."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.observability import MATCH_OUTCOMES
from app.core.openapi import Tag
from app.matching import MatchResult
from app.routers.deps import DirectoryDep
from app.schemas.conversations import (
    DETAIL_EXAMPLE,
    MESSAGE_EXAMPLE_REQUEST,
    MESSAGE_EXAMPLE_RESPONSE,
    START_EXAMPLE_REQUEST,
    START_EXAMPLE_RESPONSE,
    ConversationCreate,
    ConversationDetail,
    ConversationStarted,
    MessageCreate,
    MessageReply,
)
from app.services import conversations as service

router = APIRouter(prefix="/v1/conversations", tags=[Tag.CONVERSATIONS])

ConversationId = Annotated[
    str,
    Path(
        max_length=100,
        description="POST /v1/conversations が返した会話 ID",
        examples=["3f1c2b9e-7a61-4c1e-9d43-2b8f0c6a1d55"],
    ),
]

START_EXAMPLES = {
    "plain": {"summary": "市町の指定なし", "value": {}},
    "municipality": {"summary": "市町を指定（窓口の案内で優先）", "value": START_EXAMPLE_REQUEST},
}
MESSAGE_EXAMPLES = {
    "answer": {"summary": "聞き返しへの答え（自由記述）", "value": MESSAGE_EXAMPLE_REQUEST},
    "vague": {"summary": "あいまいな相談（聞き返しになる）", "value": {"text": "相談したい"}},
    "direct": {"summary": "具体的な相談", "value": {"text": "共同研究したい"}},
    "quick_reply": {"summary": "クイックリプライの text", "value": {"text": "窓口の連絡先"}},
    "reset": {"summary": "最初からやり直す", "value": {"text": "最初からやり直す"}},
}


def _ttl(request: Request) -> float:
    return float(request.app.state.settings.CONVERSATION_TTL_MINUTES)


def observer(request: Request) -> service.Observer:
    """Count conversation matches in the same miss list and metrics as POST /v1/match."""
    misses = request.app.state.match_misses

    def observe(text: str, result: MatchResult) -> None:
        if result.clarified:
            misses.record(text, "clarified")
            MATCH_OUTCOMES.labels("clarified").inc()
        elif not result.matched:
            misses.record(text, "unmatched")
            MATCH_OUTCOMES.labels("unmatched").inc()
        else:
            MATCH_OUTCOMES.labels("matched").inc()

    return observe


@router.post(
    "",
    status_code=201,
    response_model=ConversationStarted,
    summary="会話を始める",
    description=(
        "チャットボットの会話を1つ始め、最初のあいさつ（使い方の説明）とクイックリプライを返します。"
        "返った `id` を使って `POST /v1/conversations/{id}/messages` で利用者の発言を送ります。"
        "会話の状態はデータベースに保存されるため、複数のワーカーのどれが応答しても続きから話せます。"
        "会話は最後のメッセージから `CONVERSATION_TTL_MINUTES`（既定30分）で期限切れとなり、以後は 404 です。"
        "本文は省略できます。`municipality` を指定すると、その市町の窓口を優先して案内します。"
    ),
    responses={
        201: {"content": {"application/json": {"example": START_EXAMPLE_RESPONSE}}},
        **problem_responses(413, 422, 429),
    },
)
def start_conversation(
    request: Request,
    session: SessionDep,
    directory: DirectoryDep,
    body: Annotated[ConversationCreate | None, Body(openapi_examples=START_EXAMPLES)] = None,
) -> dict[str, Any]:
    municipality = body.municipality if body else None
    return service.start(session, directory, _ttl(request), municipality)


@router.post(
    "/{conversation_id}/messages",
    response_model=MessageReply,
    summary="利用者の発言を送り、ボットの返答を受け取る",
    description=(
        "利用者の発言（またはクイックリプライの `text`）を送ると、ボットの返答 `reply`（500文字以内の"
        "丁寧な日本語、HTML なし）、次の候補 `quick_replies`、照合結果 `match`（`query` を "
        "`POST /v1/match` に送ったのと同じ結果）、会話の状態 `state` を返します。\n\n"
        "あいまいな相談（「相談したい」）には聞き返しの質問と選択肢を返し、次の発言（選択肢、そのラベル、"
        "または「資金のこと」のような自由記述）を前の発言と合わせて照合して、相談先の機関・制度・窓口を"
        "案内します。「窓口の連絡先」「ほかの相談をする」「最初からやり直す」（「はじめから」「リセット」も可）"
        "を受け付けます。あいさつ・お礼には照合せずに答えます（`match` は null）。\n\n"
        "期限切れまたは存在しない会話は 404、同じ会話への同時送信は一方が 409 です。"
    ),
    responses={
        200: {"content": {"application/json": {"example": MESSAGE_EXAMPLE_RESPONSE}}},
        **problem_responses(404, 409, 413, 422, 429),
    },
)
def post_message(
    request: Request,
    conversation_id: ConversationId,
    session: SessionDep,
    directory: DirectoryDep,
    body: Annotated[MessageCreate, Body(openapi_examples=MESSAGE_EXAMPLES)],
) -> dict[str, Any]:
    return service.post_message(
        session,
        directory,
        _ttl(request),
        conversation_id,
        body.text,
        observer(request),
        match_at=request.app.state.clock(),
    )


@router.get(
    "/{conversation_id}",
    response_model=ConversationDetail,
    summary="会話の状態とやり取りを見る",
    description=(
        "会話の状態と直近のやり取り（最大20往復）を返します。期限は延長しません。"
        "期限切れまたは存在しない会話は 404 です。"
    ),
    responses={
        200: {"content": {"application/json": {"example": DETAIL_EXAMPLE}}},
        **problem_responses(404, 422, 429),
    },
)
def get_conversation(conversation_id: ConversationId, session: SessionDep) -> dict[str, Any]:
    return service.detail(session, conversation_id)


@router.delete(
    "/{conversation_id}",
    status_code=204,
    response_class=Response,
    summary="会話を削除する",
    description=(
        "会話とそのやり取りをすぐに削除します（利用者が「履歴を消したい」ときなど）。"
        "以後この ID は 404 です。期限切れの会話も自動で削除されます。"
    ),
    responses=problem_responses(404, 422, 429),
)
def delete_conversation(conversation_id: ConversationId, session: SessionDep) -> Response:
    service.remove(session, conversation_id)
    return Response(status_code=204)
