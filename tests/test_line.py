"""The LINE Messaging API adapter: signature, event parsing, reply payloads, the webhook.

Nothing here reaches the internet: sending is tested with httpx.MockTransport.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.dialogue import QuickReply
from app.dialogue import line as fmt
from app.models.common import utcnow
from app.models.conversations import Conversation
from app.services import line as service
from tests.partners import assert_problem
from tests.test_conversations import make_client, set_expiry

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
USER = "U4af4980629a0b1c2d3e4f5a6b7c8d9e0"


def text_event(text: str, user: str = USER, token: str = "reply-token-1") -> dict[str, Any]:
    return {
        "type": "message",
        "mode": "active",
        "timestamp": 1743469200000,
        "source": {"type": "user", "userId": user},
        "replyToken": token,
        "message": {"id": "1", "type": "text", "text": text},
    }


def body_of(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Ux", "events": list(events)}, ensure_ascii=False).encode()


def post(client: TestClient, body: bytes, secret: str = SECRET) -> httpx.Response:
    return client.post(
        "/v1/integrations/line/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Line-Signature": fmt.signature(secret, body),
        },
    )


@pytest.fixture
def line_client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    with make_client(engine, database_url, LINE_CHANNEL_SECRET=SECRET) as client:
        yield client


# --- pure formats ------------------------------------------------------------------------------


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    body = body_of(text_event("相談したい"))
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert fmt.signature(SECRET, body) == expected
    assert fmt.verify_signature(SECRET, body, expected)
    assert not fmt.verify_signature(SECRET, body + b" ", expected)
    assert not fmt.verify_signature("other-secret", body, expected)
    assert not fmt.verify_signature(SECRET, body, None)
    assert not fmt.verify_signature(SECRET, body, "")
    assert not fmt.verify_signature(SECRET, body, "署名")


def test_conversation_id_is_stable_and_keyed() -> None:
    first = fmt.conversation_id(SECRET, USER)
    assert first == fmt.conversation_id(SECRET, USER)
    assert uuid.UUID(first).version == 5
    assert first != fmt.conversation_id(SECRET, USER + "x")
    assert first != fmt.conversation_id("another-secret", USER)


def test_events_keeps_answerable_ones() -> None:
    payload = {
        "events": [
            text_event("相談したい"),
            {**text_event("standby"), "mode": "standby"},
            {**text_event("x"), "message": {"id": "2", "type": "image"}},
            {**text_event("no user"), "source": {"type": "group", "groupId": "C1"}},
            {**text_event("no token"), "replyToken": None},
            {"type": "follow", "source": {"type": "user", "userId": "U2"}, "replyToken": "t2"},
            {"type": "unfollow", "source": {"type": "user", "userId": "U3"}},
            "garbage",
        ]
    }
    assert fmt.events(payload) == [
        fmt.LineEvent("text", "reply-token-1", USER, "相談したい"),
        fmt.LineEvent("follow", "t2", "U2"),
    ]
    assert fmt.events({}) == [] and fmt.events({"events": "x"}) == []


def test_reply_payload_respects_line_limits() -> None:
    replies = [QuickReply(f"とても長いボタンのラベル{i}" * 2, "text" * 100) for i in range(20)]
    payload = fmt.reply_payload("tok", "あ" * 6000, replies)
    assert payload["replyToken"] == "tok"
    (message,) = payload["messages"]
    assert message["type"] == "text" and len(message["text"]) == 5000
    items = message["quickReply"]["items"]
    assert len(items) == 13
    assert all(len(i["action"]["label"]) <= 20 for i in items)
    assert all(len(i["action"]["text"]) <= 300 and i["action"]["type"] == "message" for i in items)
    assert "quickReply" not in fmt.text_message("こんにちは")


# --- the webhook -------------------------------------------------------------------------------


def test_webhook_is_404_without_a_channel_secret(client: TestClient) -> None:
    body = body_of(text_event("相談したい"))
    assert_problem(post(client, body), 404)


def test_bad_or_missing_signature_is_401(line_client: TestClient) -> None:
    body = body_of(text_event("相談したい"))
    assert_problem(post(line_client, body, secret="wrong-secret"), 401)
    resp = line_client.post(
        "/v1/integrations/line/webhook", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(resp, 401)


def test_verification_request_and_bad_json(line_client: TestClient) -> None:
    resp = post(line_client, body_of())
    assert resp.status_code == 200 and resp.json() == {"replies": [], "sent": False}
    assert_problem(post(line_client, b"{not json"), 400)
    assert_problem(post(line_client, b"[1, 2]"), 400)


def test_line_user_gets_the_clarification_dialogue(line_client: TestClient, engine: Engine) -> None:
    user = f"U{uuid.uuid4().hex}"
    first = post(line_client, body_of(text_event("相談したい", user, "tok-1")))
    assert first.status_code == 200, first.text
    (reply,) = first.json()["replies"]
    assert reply["replyToken"] == "tok-1"
    labels = [i["action"]["label"] for i in reply["messages"][0]["quickReply"]["items"]]
    assert "資金・融資" in labels
    second = post(line_client, body_of(text_event("資金のこと", user, "tok-2")))
    (reply,) = second.json()["replies"]
    text = reply["messages"][0]["text"]
    assert "山口県信用保証協会" in text or "日本政策金融公庫" in text
    assert second.json()["sent"] is False
    with Session(engine) as session:
        conv = session.get(Conversation, fmt.conversation_id(SECRET, user))
        assert conv is not None and conv.turns == 2
        assert conv.state["last_query"] == "相談したい。資金のこと"


def test_follow_greets_and_expired_conversation_restarts(
    line_client: TestClient, engine: Engine
) -> None:
    user = f"U{uuid.uuid4().hex}"
    follow = {"type": "follow", "source": {"type": "user", "userId": user}, "replyToken": "t0"}
    (greeting,) = post(line_client, body_of(follow)).json()["replies"]
    assert "こんにちは" in greeting["messages"][0]["text"]
    cid = fmt.conversation_id(SECRET, user)
    post(line_client, body_of(text_event("相談したい", user)))
    set_expiry(engine, cid, utcnow() - timedelta(minutes=1))
    (reply,) = post(line_client, body_of(text_event("共同研究したい", user))).json()["replies"]
    assert "山口県産業技術センター" in reply["messages"][0]["text"]
    with Session(engine) as session:
        conv = session.get(Conversation, cid)
        assert conv is not None and conv.turns == 1  # a new conversation, not the expired one


def test_too_long_text_gets_a_polite_reply(line_client: TestClient) -> None:
    (reply,) = post(line_client, body_of(text_event("あ" * 1001))).json()["replies"]
    assert "1000文字以内" in reply["messages"][0]["text"]


def test_replies_are_sent_when_enabled(engine: Engine, database_url: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    overrides = {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_REPLY_ENABLED": True,
    }
    with make_client(engine, database_url, **overrides) as client:
        client.app.state.line_transport = httpx.MockTransport(handler)  # type: ignore[attr-defined]
        resp = post(client, body_of(text_event("共同研究したい", f"U{uuid.uuid4().hex}")))
    assert resp.status_code == 200 and resp.json()["sent"] is True
    (request,) = seen
    assert str(request.url) == "https://api.line.me/v2/bot/message/reply"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == resp.json()["replies"][0]


def test_send_failures_are_logged_not_raised() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("unreachable", request=request)

    settings = Settings(LINE_CHANNEL_ACCESS_TOKEN=TOKEN, LINE_REPLY_ENABLED=True)
    payload = fmt.reply_payload("tok", "こんにちは")
    assert service.send(settings, [payload], httpx.MockTransport(refuse)) == [0]
    rejected = httpx.MockTransport(lambda r: httpx.Response(400, json={"message": "Invalid"}))
    assert service.send(settings, [payload], rejected) == [400]


def test_a_replayed_webhook_body_is_not_answered_twice(line_client: TestClient) -> None:
    event = {
        **text_event("融資を受けたい", user="U" + uuid.uuid4().hex),
        "webhookEventId": uuid.uuid4().hex,
    }
    body = body_of(event)
    first = post(line_client, body)
    assert first.status_code == 200 and len(first.json()["replies"]) == 1
    replayed = post(line_client, body)  # the same signed body, sent again
    assert replayed.status_code == 200 and replayed.json()["replies"] == []
    other = {**event, "webhookEventId": uuid.uuid4().hex, "replyToken": "reply-token-2"}
    assert len(post(line_client, body_of(other)).json()["replies"]) == 1


def test_what_a_line_user_writes_is_never_logged(
    line_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    user = f"U{uuid.uuid4().hex}"
    secret_words = "山田太郎です、パン屋を開業したい 090-1234-5678"
    with caplog.at_level(logging.DEBUG):
        resp = post(line_client, body_of(text_event(secret_words, user, "tok-log")))
    assert resp.status_code == 200
    logged = "\n".join(
        f"{record.getMessage()} {getattr(record, 'fields', '')}" for record in caplog.records
    )
    assert "line reply" in logged  # the turn was logged, without the text
    for personal in ("山田", "パン屋", "090-1234"):
        assert personal not in logged
