"""English for partners: `Accept-Language: en` answers problem details, the match and the
directory's names in English where an English text is known, says so with `Content-Language`,
and Japanese stays the default. English input is recognised and asked about politely."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import PROJECT_ROOT
from app.core.i18n import negotiate
from app.matching.normalize import looks_english

EN = {"Accept-Language": "en"}


def has_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "ja"),
        ("", "ja"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("ja,en;q=0.8", "ja"),
        ("en;q=0.5, ja;q=0.9", "ja"),
        ("fr, en;q=0.4", "en"),
        ("fr, de", "ja"),
        ("*", "ja"),
        ("en;q=0", "ja"),
        ("en;q=abc", "ja"),
        ("EN-gb", "en"),
        ("ja;q=0.5, en;q=0.5", "ja"),  # a tie: the first named wins
        ("en;q=0.5, ja;q=0.5", "en"),
        (",,,;;;", "ja"),
    ],
)
def test_accept_language_negotiation(header: str | None, language: str) -> None:
    assert negotiate(header) == language


def test_every_api_error_has_its_english() -> None:
    missing = []
    for path in sorted((PROJECT_ROOT / "app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "ApiError"
                and not any(k.arg == "en" for k in node.keywords)
            ):
                missing.append(f"{Path(path).relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert missing == []


def test_problem_detail_in_english_and_japanese(client: TestClient) -> None:
    ja = client.get("/v1/programmes/no-such-programme")
    assert ja.status_code == 404
    assert ja.headers["content-language"] == "ja"
    assert "見つかりません" in ja.json()["detail"]
    en = client.get("/v1/programmes/no-such-programme", headers=EN)
    assert en.status_code == 404
    assert en.headers["content-language"] == "en"
    assert en.json()["detail"] == 'Programme "no-such-programme" was not found.'
    assert "accept-language" in en.headers["vary"].lower()


def test_validation_problem_in_english(client: TestClient) -> None:
    resp = client.post("/v1/match", json={"text": "融資", "limit": 0}, headers=EN)
    assert resp.status_code == 422
    body = resp.json()
    assert resp.headers["content-language"] == "en"
    assert body["detail"].startswith("The input is not valid.")
    assert not has_japanese(body["detail"])
    assert body["errors"][0]["loc"][-1] == "limit"
    ja = client.post("/v1/match", json={"text": "融資", "limit": 0})
    assert ja.json()["detail"].startswith("入力内容に誤りがあります")


def test_unknown_municipality_in_english(client: TestClient) -> None:
    resp = client.post(
        "/v1/match", json={"text": "融資を受けたい", "municipality": "札幌市"}, headers=EN
    )
    assert resp.status_code == 422
    assert "is not one of the 19 municipalities" in resp.json()["detail"]


def test_match_in_english(client: TestClient) -> None:
    body = {"text": "融資の保証を受けたい", "municipality": "萩市"}
    ja = client.post("/v1/match", json=body)
    en = client.post("/v1/match", json=body, headers=EN)
    assert ja.status_code == en.status_code == 200
    assert ja.headers["content-language"] == "ja" and en.headers["content-language"] == "en"
    a, b = ja.json(), en.json()
    # the same answer, in other words
    assert [s["code"] for s in a["support_types"]] == [s["code"] for s in b["support_types"]]
    assert [x["id"] for x in a["agencies"]] == [x["id"] for x in b["agencies"]]
    assert [n["id"] for n in a["needs"]] == [n["id"] for n in b["needs"]]
    assert b["support_types"][0]["name"] == "Financial support"
    guarantee = next(x for x in b["agencies"] if x["id"] == "credit-guarantee-corporation")
    assert not has_japanese(guarantee["name"])
    assert guarantee["explanation"].startswith("Handles requests to")
    assert not has_japanese(b["needs"][0]["label"])
    assert b["needs"][0]["explanation"].startswith("Read as a request to")
    assert all(r.startswith("Rule ") for x in b["agencies"] for r in x["reasons"])
    # the owner's own words are quoted as they were said
    assert "保証" in b["needs"][0]["explanation"]
    for contact in b["contact_points"]:
        assert contact["reason"] and not contact["reason"].endswith("窓口")


def test_clarifying_question_in_english_keeps_japanese_option_texts(client: TestClient) -> None:
    resp = client.post("/v1/match", json={"text": "相談したい"}, headers=EN)
    questions = resp.json()["clarifying_questions"]
    assert questions
    topic = questions[-1]
    assert not has_japanese(topic["question"])
    assert not any(has_japanese(o["label"]) for o in topic["options"])
    assert all(has_japanese(o["text"]) for o in topic["options"])


@pytest.mark.parametrize(
    "text", ["I want to start a bakery", "Can you help me find a subsidy for my shop?"]
)
def test_english_input_is_recognised_and_asked_about(client: TestClient, text: str) -> None:
    resp = client.post("/v1/match", json={"text": text})
    assert resp.status_code == 200
    body = resp.json()
    assert body["input_language"] == "en"
    assert body["matched"] is False and body["out_of_scope"] is False
    question = body["clarifying_questions"][0]
    assert "日本語で入力" in question["question"] and "Please describe" in question["question"]
    labels = [o["label"] for o in question["options"]]
    assert "Starting a business" in labels
    # choosing a topic sends its Japanese text, which the matcher reads
    start = next(o for o in question["options"] if o["label"] == "Starting a business")
    again = client.post("/v1/match", json={"text": start["text"]}).json()
    assert again["matched"] is True and again["needs"][0]["id"] == "start-business"


@pytest.mark.parametrize(
    "text",
    ["iryou kiki no buhin wo tsukuritai", "ECサイトを作りたい", "DX を進めたい", "help"],
)
def test_romaji_and_japanese_with_english_words_are_not_english(text: str) -> None:
    assert not looks_english(text)


def test_support_types_and_role_matrix_in_english(client: TestClient) -> None:
    ja = client.get("/v1/support-types")
    en = client.get("/v1/support-types", headers=EN)
    assert en.headers["content-language"] == "en"
    assert [s["name"] for s in en.json()] == [s["name_en"] for s in ja.json()]
    assert en.headers["etag"] != ja.headers["etag"]
    again = client.get("/v1/support-types", headers={**EN, "If-None-Match": en.headers["etag"]})
    assert again.status_code == 304
    stale = client.get("/v1/support-types", headers={**EN, "If-None-Match": ja.headers["etag"]})
    assert stale.status_code == 200
    matrix = client.get("/v1/role-matrix", headers=EN).json()
    assert matrix["support_types"][0]["name"] == "Startup support"
    assert not any(has_japanese(row["agency"]["name"]) for row in matrix["rows"])


def test_agencies_in_english(client: TestClient) -> None:
    listed = client.get("/v1/agencies", params={"q": "萩"}, headers=EN)
    assert listed.status_code == 200 and listed.headers["content-language"] == "en"
    hagi = next(a for a in listed.json()["items"] if a["id"] == "hagi-cci")
    assert hagi["name"] == "Hagi Chamber of Commerce and Industry"
    detail = client.get("/v1/agencies/hagi-cci", headers=EN)
    assert detail.headers["content-language"] == "en"
    assert (
        detail.json()["parent"]["name"]
        == "Chambers of Commerce and Industry (14 in the prefecture)"
    )
    ja = client.get("/v1/agencies/hagi-cci").json()
    assert ja["name"] == "萩商工会議所"


def test_japanese_only_data_says_japanese(client: TestClient) -> None:
    resp = client.get("/v1/programmes", params={"limit": 1}, headers=EN)
    assert resp.status_code == 200
    assert resp.headers["content-language"] == "ja"
    # an answer whose handler translated nothing says ja, whatever was asked for
    for path in ("/v1/pillars", "/healthz"):
        resp = client.get(path, headers=EN)
        assert resp.status_code == 200
        assert resp.headers["content-language"] == "ja", path
        assert "Accept-Language" in resp.headers["vary"]
