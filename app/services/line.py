"""LINE Messaging API adapter: webhook events become turns of the user's conversation.

The replies are built as LINE reply payloads. They are sent to LINE's reply API only when
LINE_REPLY_ENABLED is set (with LINE_CHANNEL_ACCESS_TOKEN); otherwise they are logged and
returned in the webhook's response body, which LINE ignores.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.core.config import Settings
from app.core.errors import ApiError
from app.dialogue import QuickReply
from app.dialogue import line as fmt
from app.models.common import utcnow
from app.models.conversations import Conversation, LineEventSeen
from app.schemas.conversations import MAX_TEXT_CHARS
from app.services import conversations
from app.services.snapshot import Directory

log = logging.getLogger("madoguchi.line")

TOO_LONG = f"申し訳ありません。メッセージは{MAX_TEXT_CHARS}文字以内でお送りください。"
BUSY = "ただいま混み合っています。少し待ってから、もう一度お送りください。"
SEND_TIMEOUT_SECONDS = 5.0


def parse_payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(
            400,
            "リクエスト本文を JSON として解釈できません。",
            en="The request body is not valid JSON.",
        ) from None
    if not isinstance(payload, dict):
        raise ApiError(
            400,
            "リクエスト本文は JSON オブジェクトで送ってください。",
            en="Send the request body as a JSON object.",
        )
    return payload


def _quick(items: list[dict[str, str]]) -> list[QuickReply]:
    return [QuickReply(q["label"], q["text"]) for q in items]


def _ensure_started(session: Session, directory: Directory, ttl: float, cid: str) -> None:
    """Start the user's conversation (an expired one is purged first); a racing start wins."""
    try:
        conversations.start(session, directory, ttl, None, conversation_id=cid)
    except IntegrityError:
        session.rollback()


LINE_EVENT_MEMORY = timedelta(hours=24)


def first_delivery(session: Session, event_id: str) -> bool:
    """Remember a webhook event id; False when it was seen in the last LINE_EVENT_MEMORY (a
    replay, or LINE delivering again an event that was already answered)."""
    now = utcnow()
    session.execute(
        delete(LineEventSeen).where(col(LineEventSeen.seen_at) < now - LINE_EVENT_MEMORY)
    )
    if session.get(LineEventSeen, event_id) is not None:
        session.commit()
        return False
    session.add(LineEventSeen(event_id=event_id, seen_at=now))
    try:
        session.commit()
    except IntegrityError:  # the same event in two concurrent requests: the other one answers
        session.rollback()
        return False
    return True


def answer(
    session: Session,
    directory: Directory,
    settings: Settings,
    event: fmt.LineEvent,
    observe: conversations.Observer | None = None,
) -> dict[str, Any] | None:
    """The reply payload for one event (None when there is nothing to answer, or when the event
    was answered before: a replayed webhook body is not answered twice)."""
    if event.event_id is not None and not first_delivery(session, event.event_id):
        return None
    secret = settings.LINE_CHANNEL_SECRET or ""
    ttl = settings.CONVERSATION_TTL_MINUTES
    cid = fmt.conversation_id(secret, event.user_id)

    if event.kind == "follow":  # added as a friend (again): a fresh conversation and greeting
        existing = session.get(Conversation, cid)
        if existing is not None:
            session.delete(existing)
            session.commit()
        started = conversations.start(session, directory, ttl, None, conversation_id=cid)
        return fmt.reply_payload(
            event.reply_token, started["reply"], _quick(started["quick_replies"])
        )

    text = event.text.strip()
    if not text:
        return None
    if len(text) > MAX_TEXT_CHARS:
        return fmt.reply_payload(event.reply_token, TOO_LONG)
    for _attempt in range(3):
        try:
            turn = conversations.post_message(session, directory, ttl, cid, text, observe)
        except ApiError as exc:
            session.rollback()
            if exc.status == 404:
                _ensure_started(session, directory, ttl, cid)
                continue
            if exc.status == 409:
                continue
            raise
        log.info("line reply", extra={"fields": {"conversation_id": cid, "kind": turn["kind"]}})
        return fmt.reply_payload(event.reply_token, turn["reply"], _quick(turn["quick_replies"]))
    return fmt.reply_payload(event.reply_token, BUSY)


def send(
    settings: Settings,
    payloads: list[dict[str, Any]],
    transport: httpx.BaseTransport | None = None,
) -> list[int]:
    """POST each payload to LINE's reply API; failures are logged, never raised."""
    statuses: list[int] = []
    headers = {"Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN or ''}"}
    url = settings.LINE_API_BASE.rstrip("/") + fmt.REPLY_PATH
    with httpx.Client(timeout=SEND_TIMEOUT_SECONDS, transport=transport) as client:
        for payload in payloads:
            try:
                resp = client.post(url, json=payload, headers=headers)
            except httpx.HTTPError as exc:
                log.warning("line reply failed: %s", type(exc).__name__)
                statuses.append(0)
                continue
            if resp.status_code >= 400:
                log.warning("line reply refused: %s %s", resp.status_code, resp.text[:200])
            statuses.append(resp.status_code)
    return statuses
