"""POST /v1/integrations/line/webhook: the chatbot on LINE (Messaging API webhook)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request

from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import ApiError, problem_responses
from app.core.openapi import Tag
from app.dialogue import line as fmt
from app.routers.conversations import observer
from app.routers.deps import DirectoryDep
from app.services import line as service

router = APIRouter(prefix="/v1/integrations/line", tags=[Tag.CONVERSATIONS])
log = logging.getLogger("madoguchi.line")

NOT_CONFIGURED = "LINE 連携は設定されていません（LINE_CHANNEL_SECRET が未設定です）。"
BAD_SIGNATURE = "X-Line-Signature の署名を検証できませんでした。"
NOT_CONFIGURED_EN = "The LINE integration is not configured (LINE_CHANNEL_SECRET is not set)."
BAD_SIGNATURE_EN = "The X-Line-Signature signature could not be verified."

WEBHOOK_EXAMPLE = {
    "destination": "U0123456789abcdef0123456789abcdef",
    "events": [
        {
            "type": "message",
            "mode": "active",
            "timestamp": 1743469200000,
            "source": {"type": "user", "userId": "U4af4980629a0b1c2d3e4f5a6b7c8d9e0"},
            "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
            "message": {"id": "444573844083572737", "type": "text", "text": "資金のこと"},
        }
    ],
}
RESPONSE_EXAMPLE = {
    "replies": [
        {
            "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
            "messages": [
                {
                    "type": "text",
                    "text": "「資金の融資を受けたい」というご相談ですね。\n次の機関にご相談いただけます。…",
                    "quickReply": {
                        "items": [
                            {
                                "type": "action",
                                "action": {
                                    "type": "message",
                                    "label": "窓口の連絡先",
                                    "text": "窓口の連絡先",
                                },
                            }
                        ]
                    },
                }
            ],
        }
    ],
    "sent": False,
}


async def raw_body(request: Request) -> bytes:
    """The exact bytes LINE signed (read before any JSON parsing)."""
    return await request.body()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/webhook",
    summary="LINE Messaging API の Webhook",
    description=(
        "LINE 公式アカウントの Webhook URL に設定します。`X-Line-Signature`（本文の HMAC-SHA256 を"
        "チャネルシークレットで計算し Base64 にしたもの）を検証し、テキストメッセージごとに、"
        "LINE のユーザーごとの会話（`POST /v1/conversations/{id}/messages` と同じ対話）で返答を作ります。"
        "友だち追加（follow）にはあいさつを返します。返答はクイックリプライ付きのテキストメッセージとして"
        "`replies` に入り、`LINE_REPLY_ENABLED=true` のときだけ LINE の応答 API に送ります（`sent: true`）。\n\n"
        "`LINE_CHANNEL_SECRET` が未設定なら 404、署名が合わなければ 401 です。"
    ),
    responses={
        200: {"content": {"application/json": {"example": RESPONSE_EXAMPLE}}},
        **problem_responses(400, 401, 404, 413, 422, 429),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "example": WEBHOOK_EXAMPLE,
                }
            },
        }
    },
)
def line_webhook(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    directory: DirectoryDep,
    body: Annotated[bytes, Depends(raw_body)],
    x_line_signature: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    settings = _settings(request)
    secret = settings.LINE_CHANNEL_SECRET
    if not secret:
        raise ApiError(404, NOT_CONFIGURED, en=NOT_CONFIGURED_EN)
    if not fmt.verify_signature(secret, body, x_line_signature):
        raise ApiError(401, BAD_SIGNATURE, en=BAD_SIGNATURE_EN)
    payload = service.parse_payload(body)
    observe = observer(request)
    replies = [
        reply
        for event in fmt.events(payload)
        if (reply := service.answer(session, directory, settings, event, observe)) is not None
    ]
    sent = (
        bool(replies) and settings.LINE_REPLY_ENABLED and bool(settings.LINE_CHANNEL_ACCESS_TOKEN)
    )
    if sent:
        background.add_task(
            service.send, settings, replies, getattr(request.app.state, "line_transport", None)
        )
    else:
        for reply in replies:
            # The reply may quote what the user wrote: never its text in the log.
            log.info(
                "line reply not sent (LINE_REPLY_ENABLED is off)",
                extra={"fields": {"messages": len(reply.get("messages", []))}},
            )
    return {"replies": replies, "sent": sent}
