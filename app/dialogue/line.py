"""LINE Messaging API formats: webhook signature, text events, reply payloads (pure Python).

- The webhook's ``X-Line-Signature`` is base64(HMAC-SHA256(channel secret, raw request body)).
- Each LINE user gets one conversation whose id is derived from the user id with the channel
  secret as key, so it cannot be computed (or looked up through /v1/conversations) without it.
- A reply is one text message with the quick replies as message actions (LINE: at most 13
  items, labels of at most 20 characters, action texts of at most 300).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.dialogue.core import MAX_LABEL_CHARS, MAX_QUICK_REPLIES, QuickReply

MAX_TEXT_CHARS = 5000
MAX_ACTION_TEXT_CHARS = 300
REPLY_PATH = "/v2/bot/message/reply"
_NAMESPACE = uuid.UUID("6f1d3c8e-5b7a-4e59-9a53-1c2b6d0e4f21")  # madoguchi's LINE namespace


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time comparison of the X-Line-Signature header with the expected value."""
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode("ascii"), header.encode("utf-8"))


def conversation_id(secret: str, user_id: str) -> str:
    """A stable conversation id for a LINE user, not computable without the channel secret."""
    keyed = hmac.new(secret.encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return str(uuid.uuid5(_NAMESPACE, keyed))


@dataclass(frozen=True, slots=True)
class LineEvent:
    kind: str  # "text" (a text message) or "follow" (the user added the bot)
    reply_token: str
    user_id: str
    text: str = ""
    event_id: str | None = None  # webhookEventId: the same event delivered again has the same


def events(payload: Mapping[str, Any]) -> list[LineEvent]:
    """The text-message and follow events that can be answered; others are skipped."""
    out: list[LineEvent] = []
    raw = payload.get("events")
    for event in raw if isinstance(raw, list) else []:
        if not isinstance(event, dict) or event.get("mode", "active") != "active":
            continue
        source = event.get("source")
        user_id = source.get("userId") if isinstance(source, dict) else None
        token = event.get("replyToken")
        if not isinstance(user_id, str) or not isinstance(token, str) or not user_id or not token:
            continue
        raw_id = event.get("webhookEventId")
        event_id = raw_id[:100] if isinstance(raw_id, str) and raw_id else None
        if event.get("type") == "follow":
            out.append(LineEvent("follow", token, user_id, event_id=event_id))
            continue
        message = event.get("message")
        if (
            event.get("type") == "message"
            and isinstance(message, dict)
            and message.get("type") == "text"
            and isinstance(message.get("text"), str)
        ):
            out.append(LineEvent("text", token, user_id, message["text"], event_id))
    return out


def text_message(text: str, quick_replies: Sequence[QuickReply] = ()) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": text[:MAX_TEXT_CHARS]}
    items = [
        {
            "type": "action",
            "action": {
                "type": "message",
                "label": q.label[:MAX_LABEL_CHARS],
                "text": q.text[:MAX_ACTION_TEXT_CHARS],
            },
        }
        for q in list(quick_replies)[:MAX_QUICK_REPLIES]
    ]
    if items:
        message["quickReply"] = {"items": items}
    return message


def reply_payload(
    reply_token: str, text: str, quick_replies: Sequence[QuickReply] = ()
) -> dict[str, Any]:
    """The body of POST https://api.line.me/v2/bot/message/reply."""
    return {"replyToken": reply_token, "messages": [text_message(text, quick_replies)]}
