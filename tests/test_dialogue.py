"""The pure dialogue module: state, classification, rendering, with fake and real matchers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.dialogue import MAX_REPLY_CHARS, STARTERS, DialogueState, opening, take_turn
from app.dialogue.core import (
    MAX_LABEL_CHARS,
    MAX_QUERY_CHARS,
    MAX_QUICK_REPLIES,
    Turn,
    combine,
    social_kind,
)
from app.dialogue.render import agency_why
from app.matching import compile_rules, load_rules, match_need
from app.matching.normalize import Normalizer
from app.seeding.snapshot import snapshot_from_seed

SEED = Path(__file__).resolve().parents[1] / "seed"
PHONE = re.compile(r"\d{2,5}-\d{2,4}-\d{3,4}")

Matcher = Callable[[str], dict[str, Any]]


@pytest.fixture(scope="module")
def real_match() -> Matcher:
    compiled = compile_rules(load_rules(SEED / "rules", SEED / "lexicon.yaml"), Normalizer())
    snapshot = snapshot_from_seed(SEED)

    def match(text: str) -> dict[str, Any]:
        return match_need(text, compiled, snapshot, limit=5).to_dict()

    return match


class Recorder:
    """A fake matcher that returns canned results and remembers what it was asked."""

    def __init__(self, result: Mapping[str, Any]) -> None:
        self.result = result
        self.queries: list[str] = []

    def __call__(self, text: str) -> Mapping[str, Any]:
        self.queries.append(text)
        return self.result


def empty_result(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "matched": False,
        "needs": [],
        "support_types": [],
        "agencies": [],
        "programmes": [],
        "actions": [],
        "contact_points": [],
        "clarifying_questions": [],
        "vocabularies": {"jgrants_use_purpose": [], "mirasapo_purpose": []},
    }
    base.update(kw)
    return base


def contact(name: str, agency_id: str, agency_name: str, **kw: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "id": name,
        "name": name,
        "agency_id": agency_id,
        "phones": [],
        "url": None,
        "hours": None,
        "address": None,
        "verified": True,
        "agency_name": agency_name,
        "reason": f"{agency_name}の県内全域の窓口",
    }
    c.update(kw)
    return c


def referral_result() -> dict[str, Any]:
    return empty_result(
        matched=True,
        needs=[
            {"id": "loan", "label": "資金の融資を受けたい", "negated": False, "evidence": []},
            {"id": "x", "label": "否定された相談", "negated": True, "evidence": []},
        ],
        agencies=[
            {
                "id": "a1",
                "name": "甲機関",
                "score": 0.9,
                "reasons": [
                    "ルール finance.loan が『融資』に一致: 金融支援の役割を持つ機関（役割表）"
                ],
            },
            {
                "id": "a2",
                "name": "乙機関",
                "score": 0.5,
                "reasons": ["ルール r が『x』に一致: ルールが名指しする機関"],
            },
        ],
        programmes=[{"id": "p1", "name": "丙資金", "kind": "loan", "score": 0.5, "reasons": []}],
        contact_points=[
            contact(
                "甲窓口",
                "a1",
                "甲機関",
                phones=[{"label": None, "number": "083-000-0000"}],
                url="https://example.jp/",
            )
        ],
    )


def numbers_in(match: Mapping[str, Any]) -> set[str]:
    return {p["number"] for c in match["contact_points"] for p in c["phones"]}


def assert_bubble(turn: Turn) -> None:
    assert 0 < len(turn.reply) <= MAX_REPLY_CHARS
    assert "<" not in turn.reply and ">" not in turn.reply
    assert len(turn.quick_replies) <= MAX_QUICK_REPLIES
    assert all(0 < len(q.label) <= MAX_LABEL_CHARS and q.text for q in turn.quick_replies)
    if turn.match is not None:  # every phone number said comes from the match (never invented)
        assert set(PHONE.findall(turn.reply)) <= numbers_in(turn.match)


# --- state and classification ---------------------------------------------------------------


def test_state_round_trips_and_tolerates_garbage() -> None:
    state = DialogueState(
        phase="clarifying",
        context=["相談したい"],
        clarify_count=1,
        last_query="融資を受けたい",
        last_needs=["資金の融資を受けたい"],
        offered=[{"label": "資金・融資", "text": "融資を受けたい"}],
    )
    assert DialogueState.from_dict(state.to_dict()) == state
    assert DialogueState.from_dict(None) == DialogueState()
    junk = {"phase": "flying", "context": "x", "clarify_count": -3, "offered": [1, {"a": 1}]}
    assert DialogueState.from_dict(junk) == DialogueState()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("こんにちは", "greeting"),
        ("こんにちは！", "greeting"),
        ("はじめまして、よろしくお願いします", "greeting"),
        ("ありがとうございました", "thanks"),
        ("どうもありがとう！", "thanks"),
        ("わかりました。ありがとうございます", "thanks"),
        ("こんにちは、融資を受けたい", None),
        ("ありがとう。次は販路の相談です", None),
        ("相談したい", None),
        ("", None),
    ],
)
def test_social_kind(text: str, kind: str | None) -> None:
    assert social_kind(text) == kind


def test_combine_keeps_the_new_text_and_fits_the_matcher_limit() -> None:
    assert combine(["相談したい。"], "資金のこと") == "相談したい。資金のこと"
    assert combine(["天気は？"], "技術") == "天気は。技術"
    long = "あ" * 900
    combined = combine([long, "融資は要らない"], "い" * 200)
    assert len(combined) <= MAX_QUERY_CHARS and combined.endswith("い" * 200)
    assert "あ" not in combined and "融資は要らない" in combined


def test_agency_why_reads_the_matcher_reason() -> None:
    result = referral_result()
    assert agency_why(result["agencies"][0]) == "金融支援を担う機関です（「融資」に該当）"
    assert "直接扱う" in agency_why(result["agencies"][1])
    assert agency_why({"reasons": []})


# --- turns with a fake matcher -----------------------------------------------------------------


def test_opening_offers_starters_without_matching() -> None:
    turn = opening("萩市")
    assert "萩市" in turn.reply and "です" in turn.reply
    assert turn.match is None and turn.quick_replies == STARTERS
    assert turn.state.offered == [q.to_dict() for q in STARTERS]
    assert_bubble(turn)


def test_referral_names_agencies_programmes_and_only_known_contacts() -> None:
    fake = Recorder(referral_result())
    turn = take_turn(None, "融資を受けたい", fake)
    assert turn.kind == "referral" and fake.queries == ["融資を受けたい"]
    assert "「資金の融資を受けたい」というご相談ですね。" in turn.reply
    assert "否定された相談" not in turn.reply
    assert "甲機関" in turn.reply and "乙機関" in turn.reply and "丙資金（融資）" in turn.reply
    assert "083-000-0000" in turn.reply
    assert "乙機関の連絡先は未登録です" in turn.reply
    assert [q.label for q in turn.quick_replies] == [
        "窓口の連絡先",
        "ほかの相談をする",
        "最初からやり直す",
    ]
    assert turn.state.phase == "referred" and turn.state.last_query == "融資を受けたい"
    assert_bubble(turn)

    detail = take_turn(turn.state, "窓口の連絡先", fake)
    assert detail.kind == "contacts" and fake.queries[-1] == "融資を受けたい"
    assert "URL：https://example.jp/" in detail.reply
    assert "受付" not in detail.reply and "住所" not in detail.reply  # null fields are left out
    assert_bubble(detail)


def test_contact_without_phone_says_unregistered() -> None:
    result = referral_result()
    result["contact_points"] = [contact("甲窓口", "a1", "甲機関", verified=False)]
    turn = take_turn(None, "融資", Recorder(result))
    assert "甲窓口 電話番号は未登録です" in turn.reply
    detail = take_turn(turn.state, "連絡先", Recorder(result))
    assert "電話：未登録" in detail.reply and "確認中の情報" in detail.reply


def test_reply_is_capped_for_a_chat_bubble() -> None:
    result = referral_result()
    result["agencies"] = [
        {"id": f"a{i}", "name": "長い名前の機関" * 12, "score": 0.5, "reasons": []}
        for i in range(5)
    ]
    result["programmes"] = [
        {"id": f"p{i}", "name": "長い名前の制度" * 12, "kind": "subsidy", "score": 0.5}
        for i in range(5)
    ]
    turn = take_turn(None, "融資", Recorder(result))
    assert len(turn.reply) <= MAX_REPLY_CHARS
    assert turn.reply.endswith("詳しい連絡先は「窓口の連絡先」でご案内します。")


def test_commands_do_not_call_the_matcher() -> None:
    fake = Recorder(referral_result())
    for text in ("リセット", "はじめから", "最初からやり直す", "こんにちは", "ありがとう"):
        turn = take_turn(DialogueState(phase="clarifying", context=["相談"]), text, fake)
        assert turn.match is None and turn.query is None
        assert_bubble(turn)
    assert fake.queries == []
    assert take_turn(None, "リセット", fake).state == DialogueState(
        offered=[q.to_dict() for q in STARTERS]
    )
    no_referral = take_turn(None, "窓口の連絡先", fake)
    assert no_referral.kind == "contacts" and no_referral.match is None
    assert fake.queries == []


# --- turns with the real matcher (seed rules and directory) --------------------------------------


def test_clarification_then_free_text_gives_a_financing_referral(real_match: Matcher) -> None:
    first = take_turn(opening().state, "相談したい", real_match)
    assert first.kind == "clarify" and first.state.phase == "clarifying"
    assert first.match is not None and first.match["matched"] is False
    question = first.match["clarifying_questions"][0]
    assert question["question"] in first.reply
    labels = [q.label for q in first.quick_replies]
    assert labels[: len(question["options"])] == [o["label"] for o in question["options"]]
    assert labels[-1] == "最初からやり直す"

    second = take_turn(first.state, "資金のこと", real_match)
    assert second.kind == "referral"
    assert second.query == "相談したい。資金のこと"
    assert second.match is not None and second.match["matched"] is True
    ids = [a["id"] for a in second.match["agencies"]]
    assert {"credit-guarantee-corporation", "jfc"} & set(ids)
    assert "山口県信用保証協会" in second.reply or "日本政策金融公庫" in second.reply
    assert second.state.phase == "referred" and second.state.context == []
    assert_bubble(first)
    assert_bubble(second)


def test_an_option_label_typed_as_text_means_its_utterance(real_match: Matcher) -> None:
    first = take_turn(None, "相談したい", real_match)
    turn = take_turn(first.state, "資金・融資", real_match)
    assert turn.kind == "referral" and turn.query == "相談したい。融資を受けたい"


def test_a_negation_said_before_the_clarification_is_kept(real_match: Matcher) -> None:
    first = take_turn(None, "融資は必要ない", real_match)
    assert first.kind == "clarify"
    turn = take_turn(first.state, "技術のこと", real_match)
    assert turn.kind == "referral" and turn.query == "融資は必要ない。技術のこと"
    assert turn.match is not None
    assert turn.match["support_types"][0]["code"] == "technology"


def test_repeated_clarification_offers_the_general_contacts(real_match: Matcher) -> None:
    first = take_turn(None, "相談したい", real_match)
    second = take_turn(first.state, "よくわからない", real_match)
    assert second.kind == "clarify" and second.state.clarify_count == 2
    assert "すみません" in second.reply and "083-933-3110" in second.reply
    assert second.state.context == ["相談したい", "よくわからない"]
    assert_bubble(second)


def test_direct_need_and_out_of_scope(real_match: Matcher) -> None:
    direct = take_turn(None, "共同研究したい", real_match)
    assert direct.kind == "referral" and "山口県産業技術センター" in direct.reply
    outside = take_turn(direct.state, "住民票を取りたい", real_match)
    assert outside.kind == "out_of_scope" and "申し訳ありません" in outside.reply
    assert "083-933-3110" in outside.reply  # the prefecture's general window, from the match
    assert outside.state.last_query == "共同研究したい"  # 窓口の連絡先 still refers to it
    assert_bubble(direct)
    assert_bubble(outside)


def test_every_offered_utterance_resolves(real_match: Matcher) -> None:
    for starter in STARTERS:
        result = real_match(starter.text)
        assert result["matched"] or result["clarifying_questions"], starter
    options = real_match("相談したい")["clarifying_questions"][0]["options"]
    for option in options:
        assert real_match(option["text"])["matched"], option


def test_every_evaluation_utterance_fits_a_bubble(real_match: Matcher) -> None:
    data = yaml.safe_load((SEED / "eval" / "utterances.yaml").read_text(encoding="utf-8"))
    texts = [u["text"] for u in data["utterances"]]
    assert len(texts) > 50
    for text in texts:
        turn = take_turn(None, text, real_match)
        assert turn.kind in ("referral", "clarify", "out_of_scope", "greeting", "thanks"), text
        assert_bubble(turn)
        assert "です" in turn.reply or "ます" in turn.reply


# --- the chatbot's Japanese, on real answers --------------------------------------------------


@pytest.fixture(scope="module")
def hagi_match() -> Matcher:
    compiled = compile_rules(load_rules(SEED / "rules", SEED / "lexicon.yaml"), Normalizer())
    snapshot = snapshot_from_seed(SEED)

    def match(text: str) -> dict[str, Any]:
        return match_need(text, compiled, snapshot, municipality="35204", limit=5).to_dict()

    return match


def test_the_referral_names_the_local_office_with_its_phone(hagi_match: Matcher) -> None:
    from app.dialogue.render import contacts_detail, referral

    result = hagi_match("パン屋を開業したいが資金が足りない")
    reply = referral(result)
    assert "「創業」" in reply.splitlines()[0]  # the need's noun phrase, not a clipped pattern
    assert reply.splitlines()[2].startswith("・萩商工会議所（商工会議所）")  # whom to call first
    assert "0838-25-3333" in reply
    assert "萩商工会議所（萩商工会議所）" not in contacts_detail(result)
    assert "商工会議所の連絡先は未登録" not in reply + contacts_detail(result)


@pytest.mark.parametrize(
    "text",
    [
        "販路を広げたい。販路開拓の相談です",
        "IT導入の補助金を使いたい",
        "後継者がいないので事業承継について相談したい",
        "融資ではなく補助金を使いたい",
        "地震に備えてＢＣＰを作りたい",
    ],
)
def test_replies_read_as_japanese(hagi_match: Matcher, text: str) -> None:
    from app.dialogue.render import contacts_detail, referral

    result = hagi_match(text)
    reply = referral(result) + "\n" + contacts_detail(result)
    for left, right in ("「」", "『』", "（）"):
        assert reply.count(left) == reply.count(right), reply
    assert "ルール " not in reply


def test_the_owners_letter_case_is_kept(hagi_match: Matcher) -> None:
    explanations = [n["explanation"] for n in hagi_match("IT導入の補助金を使いたい")["needs"]]
    assert any("『IT導入』" in e for e in explanations), explanations
    assert not any("it導入" in e for e in explanations)


def test_succession_is_explained_as_succession(hagi_match: Matcher) -> None:
    from app.dialogue.render import referral

    reply = referral(hagi_match("後継者がいないので事業承継について相談したい"))
    assert "事業承継" in reply
    assert "創業支援を担う機関" not in reply
