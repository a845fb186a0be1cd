"""POST /v1/match and GET /v1/match/stats through HTTP, on the seeded database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from partners import assert_problem, bearer, make_key
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.devtools.fresh import app_on
from app.models import ContactPoint, ContactPointMunicipality
from app.seeding.database import bump_directory_version

CONTRACT_KEYS = {
    "matched",
    "needs",
    "support_types",
    "agencies",
    "programmes",
    "actions",
    "contact_points",
    "clarifying_questions",
    "vocabularies",
}


def match(client: TestClient, **body: object) -> dict:
    resp = client.post("/v1/match", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_contract_shape_and_a_canonical_need(client: TestClient) -> None:
    body = match(client, text="共同研究したい")
    assert set(body) >= CONTRACT_KEYS
    assert body["matched"] is True
    assert body["support_types"][0]["code"] == "technology"
    assert "yamaguchi-itc" in [a["id"] for a in body["agencies"][:3]]
    top = body["agencies"][0]
    assert top["reasons"] and all(isinstance(r, str) for r in top["reasons"])
    need = body["needs"][0]
    assert need["negated"] is False and need["evidence"][0]["rule_id"]
    for key in ("support_types", "agencies", "programmes", "actions"):
        assert all(0.0 <= item["score"] <= 1.0 for item in body[key])


def test_limit_caps_ranked_lists(client: TestClient) -> None:
    body = match(client, text="創業したいので融資も受けたい", limit=2)
    assert len(body["agencies"]) <= 2 and len(body["programmes"]) <= 2
    codes = {s["code"] for s in body["support_types"]}
    assert {"startup", "finance"} <= codes


def test_negated_need_does_not_rank_first(client: TestClient) -> None:
    body = match(client, text="融資は必要ないが技術の相談をしたい")
    assert body["support_types"][0]["code"] == "technology"
    assert any(n["negated"] and n["support_type"] == "finance" for n in body["needs"])


def test_out_of_scope_gives_only_the_general_fallback(client: TestClient) -> None:
    body = match(client, text="住民票を取りたい")
    assert body["matched"] is False
    assert body["support_types"] == [] and body["agencies"] == []
    assert body["contact_points"] and all(c["general_fallback"] for c in body["contact_points"])


def test_vague_text_asks_back_with_resolvable_quick_replies(client: TestClient) -> None:
    body = match(client, text="相談したい")
    questions = body["clarifying_questions"]
    assert questions and questions[0]["options"]
    option = questions[0]["options"][0]
    follow_up = match(client, text=option["text"])
    assert follow_up["matched"] and follow_up["support_types"]


def test_municipality_by_name_or_code_is_the_same(client: TestClient) -> None:
    by_name = match(client, text="経営の相談をしたい", municipality="萩市")
    by_code = match(client, text="経営の相談をしたい", municipality="35204")
    assert by_name == by_code
    assert "hagi-cci" in [c["id"] for c in by_name["contact_points"]]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n "},
        {"text": "あ" * 1001},
        {"text": "融資", "municipality": "東京都"},
        {"text": "融資", "limit": 0},
        {"text": "融資", "limit": 21},
        {"text": "融資", "extra": 1},
        {"municipality": "萩市"},
        {"text": 123},
    ],
)
def test_bad_requests_are_422_in_japanese(client: TestClient, body: dict) -> None:
    resp = client.post("/v1/match", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert any(ord(ch) > 0x3000 for ch in resp.json()["detail"])


def test_malformed_json_is_422(client: TestClient) -> None:
    resp = client.post(
        "/v1/match", content='{"text": "融資'.encode(), headers={"content-type": "application/json"}
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_misses_are_counted_without_personal_data_and_only_admin_reads_them(
    client: TestClient, engine: Engine
) -> None:
    text = "山田太郎です。今日の天気は？萩市椿東1234-5、090-1234-5678 taro@example.jp"
    match(client, text=text)
    match(client, text=text)
    assert_problem(client.get("/v1/match/stats"), 401)
    desk = bearer(make_key(engine, "front_desk", municipality="萩市")[1])
    assert_problem(client.get("/v1/match/stats", headers=desk), 403)
    admin = bearer(make_key(engine, "admin")[1])
    resp = client.get("/v1/match/stats", headers=admin)
    assert resp.headers["cache-control"] == "no-store"
    stats = resp.json()
    entry = next(e for e in stats["top"] if "天気" in e["text"])
    assert entry["kind"] == "unmatched" and entry["count"] >= 2
    for personal in ("山田", "太郎", "椿東", "1234", "090", "taro", "example.jp"):
        assert personal not in entry["text"], entry["text"]
    assert "〈氏名〉" in entry["text"] and "〈住所〉" in entry["text"]
    assert stats["totals"]["unmatched"] >= 2


def test_snapshot_is_rebuilt_when_the_directory_changes(client: TestClient, engine: Engine) -> None:
    before = match(client, text="経営の相談をしたい", municipality="阿武町")
    with Session(engine) as session:
        session.add(
            ContactPoint(
                id="test-abu-window",
                name="テスト用 阿武町窓口",
                agency_id="societies-of-commerce",
                source="test",
            )
        )
        session.flush()
        session.add(
            ContactPointMunicipality(contact_point_id="test-abu-window", municipality_code="35502")
        )
        bump_directory_version(session)
        session.commit()
    try:
        after = match(client, text="経営の相談をしたい", municipality="阿武町")
        assert "test-abu-window" not in [c["id"] for c in before["contact_points"]]
        assert "test-abu-window" in [c["id"] for c in after["contact_points"]]
        assert after["snapshot_version"] > before["snapshot_version"]
    finally:
        with Session(engine) as session:
            link = session.get(ContactPointMunicipality, ("test-abu-window", "35502"))
            if link:
                session.delete(link)
                session.flush()
            row = session.get(ContactPoint, "test-abu-window")
            if row:
                session.delete(row)
            bump_directory_version(session)
            session.commit()


def test_whom_to_call_names_the_local_office_of_the_owners_town(client: TestClient) -> None:
    body = match(client, text="パン屋を開業したいが資金が足りない", municipality="萩市")
    chambers = next(a for a in body["agencies"] if a["id"] == "chambers-of-commerce")
    office = chambers["local_offices"][0]
    assert office["id"] == "hagi-cci" and office["name"] == "萩商工会議所"
    phones = [p["number"] for cp in office["contact_points"] for p in cp["phones"]]
    assert "0838-25-3333" in phones
    # the local window comes first in contact_points
    assert body["contact_points"][0]["id"] == "hagi-cci"
    # never an office of another town
    ube = match(client, text="パン屋を開業したいが資金が足りない", municipality="宇部市")
    offices = {o["id"] for a in ube["agencies"] for o in a["local_offices"]}
    assert "hagi-cci" not in offices and "ube-cci" in offices
    # without a town: no local office, the prefecture-wide windows
    anywhere = match(client, text="パン屋を開業したいが資金が足りない")
    assert all(a["local_offices"] == [] for a in anywhere["agencies"])


def test_agency_detail_resolves_local_offices_like_the_match(client: TestClient) -> None:
    resp = client.get("/v1/agencies/chambers-of-commerce", params={"municipality": "35204"})
    assert resp.status_code == 200
    offices = resp.json()["local_offices"]
    assert offices[0]["id"] == "hagi-cci"  # (other tests may register more offices in 萩市)
    for office in offices:
        assert client.get(f"/v1/agencies/{office['id']}").json()["municipalities"] == ["35204"]
    plain = client.get("/v1/agencies/chambers-of-commerce").json()
    assert plain["local_offices"] == []
    hagi = client.get("/v1/agencies/hagi-cci").json()
    assert hagi["municipalities"] == ["35204"] and hagi["parent_id"] == "chambers-of-commerce"
    bad = client.get("/v1/agencies/chambers-of-commerce", params={"municipality": "東京都"})
    assert bad.status_code == 422


def test_match_answers_have_exactly_the_documented_shape(client: TestClient) -> None:
    """/v1/match writes its payload without validating it again: it must already be what
    MatchResponse describes, key for key, on every labelled utterance (with and without a 市町)."""
    from pathlib import Path

    import yaml

    from app.schemas.match import MatchResponse

    seed = Path(__file__).resolve().parents[1] / "seed" / "eval" / "utterances.yaml"
    items = yaml.safe_load(seed.read_text(encoding="utf-8"))["utterances"]
    for n, item in enumerate(items):
        body = {"text": item["text"], **({"municipality": "萩市"} if n % 2 else {})}
        resp = client.post("/v1/match", json=body)
        assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
        payload = resp.json()
        assert MatchResponse.model_validate(payload).model_dump(mode="json") == payload, item["id"]


def test_a_situation_no_rule_names_is_answered_with_an_inferred_need(client: TestClient) -> None:
    """The service passes its classifier (app/matching/classifier.py) to the matcher: the need
    is marked inferred, with no evidence, and the desk is told it is an estimate."""
    body = client.post("/v1/match", json={"text": "大雨が来るたびに工場が心配で"}).json()
    assert body["matched"] is True and body["clarifying_questions"] == []
    need = body["needs"][0]
    assert (need["id"], need["inferred"], need["evidence"]) == ("bcp", True, [])
    assert "推定" in need["explanation"]
    plain = client.post("/v1/match", json={"text": "大学と共同研究したい"}).json()
    assert plain["needs"][0]["inferred"] is False


def test_without_the_classifier_the_rules_answer_alone(engine: Engine, database_url: str) -> None:
    """NEED_CLASSIFIER=false (to save its memory): a situation no rule names gets the
    clarifying questions or nothing, never an inferred need."""
    with TestClient(app_on(engine, database_url, NEED_CLASSIFIER=False)) as alone:
        body = alone.post("/v1/match", json={"text": "大雨が来るたびに工場が心配で"}).json()
    assert not any(need["inferred"] for need in body["needs"])
    assert body["matched"] is False


def test_a_text_asked_again_is_answered_from_the_kept_answers_and_still_counted(
    client: TestClient, engine: Engine
) -> None:
    app: Any = client.app
    answers = app.state.match_answers
    text = f"今日の天気は{uuid.uuid4().hex[:6]}ですか"  # unmatched: counted per request
    first = client.post("/v1/match", json={"text": text})
    hits = answers.hits
    again = client.post("/v1/match", json={"text": text})
    assert again.content == first.content
    assert again.headers["content-language"] == first.headers["content-language"] == "ja"
    assert answers.hits == hits + 1
    # another limit, 市町 or language is another answer
    client.post("/v1/match", json={"text": text, "limit": 2})
    client.post("/v1/match", json={"text": text}, headers={"Accept-Language": "en"})
    assert answers.hits == hits + 1
    admin = bearer(make_key(engine, "admin")[1])
    stats = client.get("/v1/match/stats", params={"limit": 200}, headers=admin).json()
    entry = next(e for e in stats["top"] if e["text"].startswith("今日の天気は"))
    assert entry["count"] >= 4  # every request was counted, answered from memory or not
    # the text itself is not what is kept (a hash of it is)
    kept = [part for key in answers._answers._items for part in key]
    assert text not in kept


def test_match_cache_off_runs_the_matcher_every_time(engine: Engine, database_url: str) -> None:
    with TestClient(app_on(engine, database_url, MATCH_CACHE_BYTES=0)) as local:
        answers = local.app.state.match_answers  # type: ignore[attr-defined]
        for _ in range(2):
            assert local.post("/v1/match", json={"text": "共同研究したい"}).status_code == 200
        assert answers.hits == 0 and answers.misses == 2
