"""The chatbot conversation endpoints through HTTP, on the seeded database."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import get_session
from app.core.errors import ApiError
from app.main import create_app
from app.models.common import utcnow
from app.models.conversations import Conversation
from app.services import conversations as service
from tests.partners import assert_problem

PHONE = re.compile(r"\d{2,5}-\d{2,4}-\d{3,4}")


def start(client: TestClient, **body: Any) -> dict[str, Any]:
    resp = client.post("/v1/conversations", json=body or None)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


def say(client: TestClient, cid: str, text: str) -> dict[str, Any]:
    resp = client.post(f"/v1/conversations/{cid}/messages", json={"text": text})
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def direct_match(client: TestClient, text: str, municipality: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text}
    if municipality:
        body["municipality"] = municipality
    resp = client.post("/v1/match", json=body)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def stored(engine: Engine, cid: str) -> Conversation | None:
    with Session(engine) as session:
        return session.get(Conversation, cid)


def set_expiry(engine: Engine, cid: str, when: datetime) -> None:
    with Session(engine) as session:
        conv = session.get(Conversation, cid)
        assert conv is not None
        conv.expires_at = when
        session.add(conv)
        session.commit()


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_start_greets_and_explains(client: TestClient) -> None:
    resp = client.post("/v1/conversations")
    assert resp.status_code == 201 and resp.headers.get("x-request-id")
    body = resp.json()
    assert set(body) >= {"id", "expires_at", "reply", "quick_replies", "state"}
    uuid.UUID(body["id"])
    assert "こんにちは" in body["reply"] and "入力してください" in body["reply"]
    assert {"label": "技術・共同研究", "text": "共同研究したい"} in body["quick_replies"]
    assert body["state"]["phase"] == "idle" and body["municipality_code"] is None
    assert parse(body["expires_at"]) > utcnow() + timedelta(minutes=29)


def test_full_clarification_dialogue(client: TestClient, engine: Engine) -> None:
    cid = start(client)["id"]

    first = say(client, cid, "相談したい")
    assert first["kind"] == "clarify" and first["state"]["phase"] == "clarifying"
    assert first["match"]["matched"] is False and first["match"]["clarifying_questions"]
    assert first["match"] == direct_match(client, "相談したい")
    question = first["match"]["clarifying_questions"][0]
    assert question["question"] in first["reply"]
    assert first["quick_replies"][: len(question["options"])] == question["options"]
    assert {"label": "資金・融資", "text": "融資を受けたい"} in first["quick_replies"]

    second = say(client, cid, "資金のこと")
    assert second["kind"] == "referral"
    assert second["query"] == "相談したい。資金のこと"
    assert second["match"] == direct_match(client, "相談したい。資金のこと")
    assert second["match"]["matched"] is True
    assert second["match"]["support_types"][0]["code"] == "finance"
    ids = [a["id"] for a in second["match"]["agencies"]]
    assert "credit-guarantee-corporation" in ids or "jfc" in ids
    assert "山口県信用保証協会" in second["reply"] or "日本政策金融公庫" in second["reply"]
    assert "中小企業制度融資" in second["reply"]  # the main programme
    labels = [q["label"] for q in second["quick_replies"]]
    assert labels == ["窓口の連絡先", "ほかの相談をする", "最初からやり直す"]
    assert second["state"] == {
        "phase": "referred",
        "context": [],
        "clarify_count": 0,
        "last_query": "相談したい。資金のこと",
        "last_needs": ["資金の融資を受けたい"],
        "offered": second["quick_replies"],
    }

    contacts = say(client, cid, "窓口の連絡先")
    assert contacts["kind"] == "contacts" and contacts["query"] == "相談したい。資金のこと"
    known = {p["number"] for c in contacts["match"]["contact_points"] for p in c["phones"]}
    assert set(PHONE.findall(contacts["reply"])) <= known  # nothing invented
    assert "未登録" in contacts["reply"]  # agencies without a contact point are said to be so

    thanks = say(client, cid, "ありがとうございました")
    assert thanks["kind"] == "thanks" and thanks["match"] is None and thanks["query"] is None

    conv = stored(engine, cid)
    assert conv is not None and conv.turns == 4
    assert conv.state["phase"] == "referred"
    assert [e["role"] for e in conv.transcript] == ["bot"] + ["user", "bot"] * 4
    assert conv.transcript[3] == {
        "role": "user",
        "text": "資金のこと",
        "at": conv.transcript[3]["at"],
    }


def test_direct_need_in_the_first_turn(client: TestClient) -> None:
    cid = start(client)["id"]
    turn = say(client, cid, "共同研究したい")
    assert turn["kind"] == "referral" and turn["query"] == "共同研究したい"
    assert "山口県産業技術センター" in turn["reply"]
    assert turn["match"]["agencies"][0]["id"] == "yamaguchi-itc"
    assert turn["match"] == direct_match(client, "共同研究したい")
    assert len(turn["reply"]) <= 500 and "<" not in turn["reply"]


def test_municipality_is_used_for_every_match(client: TestClient) -> None:
    body = start(client, municipality="萩市")
    assert body["municipality_code"] == "35204" and "萩市" in body["reply"]
    assert start(client, municipality="35204")["municipality_code"] == "35204"
    turn = say(client, body["id"], "創業したい")
    assert turn["match"] == direct_match(client, "創業したい", "萩市")
    assert "萩商工会議所" in turn["reply"] and "0838-25-3333" in turn["reply"]


def test_out_of_scope_gets_the_general_contacts(client: TestClient) -> None:
    cid = start(client)["id"]
    turn = say(client, cid, "住民票を取りたい")
    assert turn["kind"] == "out_of_scope"
    assert turn["match"]["matched"] is False and turn["match"]["clarifying_questions"] == []
    assert "申し訳ありません" in turn["reply"]
    assert "083-933-3110" in turn["reply"]  # 山口県 商工労働部 商政課 (general fallback)
    assert turn["state"]["phase"] == "idle"


def test_reset_forgets_the_clarification(client: TestClient) -> None:
    cid = start(client)["id"]
    assert say(client, cid, "相談したい")["state"]["phase"] == "clarifying"
    reset = say(client, cid, "リセット")
    assert reset["kind"] == "reset" and reset["match"] is None
    assert reset["state"]["phase"] == "idle" and reset["state"]["context"] == []
    assert "最初からやり直します" in reset["reply"]
    after = say(client, cid, "資金のこと")
    assert after["query"] == "資金のこと"  # not combined with the forgotten context
    assert say(client, cid, "はじめから")["kind"] == "reset"


def test_another_topic_and_greeting(client: TestClient) -> None:
    cid = start(client)["id"]
    assert say(client, cid, "こんにちは")["kind"] == "greeting"
    say(client, cid, "融資を受けたい")
    another = say(client, cid, "ほかの相談をする")
    assert another["kind"] == "another" and another["state"]["phase"] == "idle"
    assert say(client, cid, "販路を開拓したい")["kind"] == "referral"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", "/messages"), ("get", ""), ("delete", "")],
)
def test_unknown_conversation_is_404(client: TestClient, method: str, suffix: str) -> None:
    for cid in (str(uuid.uuid4()), "not-a-conversation"):
        kwargs: dict[str, Any] = {"json": {"text": "相談したい"}} if method == "post" else {}
        resp = getattr(client, method)(f"/v1/conversations/{cid}{suffix}", **kwargs)
        body = assert_problem(resp, 404)
        assert "新しい会話" in body["detail"]


def test_expired_conversation_is_404_and_purged(client: TestClient, engine: Engine) -> None:
    cid = start(client)["id"]
    say(client, cid, "相談したい")
    set_expiry(engine, cid, utcnow() - timedelta(seconds=1))
    assert_problem(client.post(f"/v1/conversations/{cid}/messages", json={"text": "資金"}), 404)
    assert_problem(client.get(f"/v1/conversations/{cid}"), 404)
    assert stored(engine, cid) is not None
    start(client)  # starting another conversation purges the expired ones
    assert stored(engine, cid) is None


def test_expiry_slides_with_each_message(client: TestClient, engine: Engine) -> None:
    cid = start(client)["id"]
    soon = utcnow() + timedelta(minutes=1)
    set_expiry(engine, cid, soon)
    turn = say(client, cid, "こんにちは")
    assert parse(turn["expires_at"]) > soon + timedelta(minutes=25)
    got = client.get(f"/v1/conversations/{cid}").json()
    assert parse(got["expires_at"]) == parse(turn["expires_at"])


def test_ttl_setting(engine: Engine, database_url: str) -> None:
    with make_client(engine, database_url, CONVERSATION_TTL_MINUTES=600) as other:
        body = start(other)
        assert parse(body["expires_at"]) > utcnow() + timedelta(minutes=599)


def test_delete(client: TestClient, engine: Engine) -> None:
    cid = start(client)["id"]
    resp = client.delete(f"/v1/conversations/{cid}")
    assert resp.status_code == 204 and resp.content == b""
    assert stored(engine, cid) is None
    assert_problem(client.delete(f"/v1/conversations/{cid}"), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n "},
        {"text": "あ" * 1001},
        {"text": "あ" * 4001},
        {},
        {"text": 3},
        {"text": "相談したい", "extra": 1},
    ],
)
def test_invalid_message_is_422(client: TestClient, body: dict[str, Any]) -> None:
    cid = start(client)["id"]
    assert_problem(client.post(f"/v1/conversations/{cid}/messages", json=body), 422)


def test_longest_message_is_accepted(client: TestClient) -> None:
    cid = start(client)["id"]
    turn = say(client, cid, "  " + "資金" * 500 + "  ")
    assert turn["kind"] == "referral" and len(turn["query"]) == 1000


@pytest.mark.parametrize("body", [{"municipality": "東京都"}, {"municipality": "x" * 41}, {"x": 1}])
def test_invalid_start_is_422(client: TestClient, body: dict[str, Any]) -> None:
    assert_problem(client.post("/v1/conversations", json=body), 422)


def test_transcript_is_bounded(client: TestClient, engine: Engine) -> None:
    cid = start(client)["id"]
    for i in range(service.TRANSCRIPT_TURNS + 5):
        say(client, cid, "こんにちは" if i % 2 else "ありがとう")
    last = say(client, cid, "共同研究したい")
    detail = client.get(f"/v1/conversations/{cid}").json()
    assert detail["turns"] == service.TRANSCRIPT_TURNS + 6
    assert len(detail["transcript"]) == 2 * service.TRANSCRIPT_TURNS
    assert detail["transcript"][-2]["text"] == "共同研究したい"
    assert detail["transcript"][-1] == {
        "role": "bot",
        "text": last["reply"],
        "at": detail["transcript"][-1]["at"],
        "kind": "referral",
    }
    conv = stored(engine, cid)
    assert conv is not None and len(conv.transcript) == 2 * service.TRANSCRIPT_TURNS


def make_client(engine: Engine, database_url: str, **overrides: Any) -> TestClient:
    settings = Settings(
        DATABASE_URL=database_url,
        SNAPSHOT_CHECK_SECONDS=0.0,
        RATE_LIMIT_PER_MINUTE=0,
        **overrides,
    )
    app = create_app(settings, session_factory=lambda: Session(engine))

    def override_session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    app.dependency_overrides[get_session] = override_session
    return TestClient(app)


def test_state_lives_in_the_database(client: TestClient, engine: Engine, database_url: str) -> None:
    """Another app instance (another worker) continues the clarification."""
    cid = start(client)["id"]
    say(client, cid, "相談したい")
    with make_client(engine, database_url) as other:
        assert other.app is not client.app
        turn = say(other, cid, "資金のこと")
        assert turn["kind"] == "referral" and turn["query"] == "相談したい。資金のこと"
    detail = client.get(f"/v1/conversations/{cid}").json()
    assert detail["turns"] == 2 and detail["state"]["phase"] == "referred"


def test_a_stale_turn_loses_with_409(client: TestClient, engine: Engine) -> None:
    """Two workers answering the same conversation at once: the second write is refused."""
    cid = start(client)["id"]
    directory = client.app.state.directory_cache.get()  # type: ignore[attr-defined]
    with Session(engine) as stale:
        seen = stale.get(Conversation, cid)  # read (and held) before the other worker writes
        assert seen is not None and seen.turns == 0
        say(client, cid, "相談したい")
        with pytest.raises(ApiError) as caught:
            service.post_message(stale, directory, 30, cid, "資金のこと")
    assert caught.value.status == 409
    assert stored(engine, cid).turns == 1  # type: ignore[union-attr]


def test_openapi_documents_the_conversation_operations(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    operations = [
        (paths["/v1/conversations"]["post"], {"201", "413", "422", "429"}),
        (paths["/v1/conversations/{conversation_id}/messages"]["post"], {"200", "404", "422"}),
        (paths["/v1/conversations/{conversation_id}"]["get"], {"200", "404"}),
        (paths["/v1/conversations/{conversation_id}"]["delete"], {"204", "404"}),
    ]
    for op, statuses in operations:
        assert op["summary"] and any(ord(ch) > 0x3000 for ch in op["description"])
        assert op["tags"] == ["conversations"]
        assert statuses <= set(op["responses"])
    message = paths["/v1/conversations/{conversation_id}/messages"]["post"]
    assert message["requestBody"]["content"]["application/json"]["examples"]
    example = message["responses"]["200"]["content"]["application/json"]["example"]
    assert example["kind"] == "referral" and example["match"]["matched"] is True
    assert any(t["name"] == "conversations" for t in schema["tags"])


def test_names_phones_and_addresses_never_reach_the_stored_conversation(
    client: TestClient, engine: Engine
) -> None:
    cid = start(client)["id"]
    turn = say(client, cid, "山田太郎です。萩市椿東1234-5でパン屋を開業したい。090-1234-5678")
    assert turn["match"] is not None and turn["match"]["matched"]  # masking kept the request
    row = stored(engine, cid)
    assert row is not None
    # the turns' timestamps left out: their microseconds may hold any digits (…121090+00:00)
    turns = [{k: v for k, v in t.items() if k != "at"} for t in row.transcript]
    kept = json.dumps([row.state, turns], ensure_ascii=False)
    for personal in ("山田", "太郎", "椿東", "1234", "090"):
        assert personal not in kept
    assert "〈氏名〉" in kept and "パン屋" in kept
    shown = client.get(f"/v1/conversations/{cid}").json()
    assert "山田" not in json.dumps(shown, ensure_ascii=False)


def test_the_chatbot_matches_the_words_as_written_and_stores_them_masked(
    client: TestClient, engine: Engine
) -> None:
    cid = start(client)["id"]
    turn = say(client, cid, "田中です。ゆうしを受けたいので相談したい。090-1111-2222")
    needs = [n["id"] for n in (turn["match"] or {}).get("needs", [])]
    assert "loan" in needs
    row = stored(engine, cid)
    assert row is not None
    kept = json.dumps([row.state, row.transcript], ensure_ascii=False)
    assert "田中" not in kept and "090-1111" not in kept and "ゆうし" in kept


def test_an_inferred_need_is_said_as_a_guess(client: TestClient) -> None:
    cid = start(client)["id"]
    turn = say(client, cid, "大雨が来るたびに工場が心配で")
    assert turn["match"]["needs"][0]["inferred"] is True
    assert "でしょうか" in turn["reply"]
