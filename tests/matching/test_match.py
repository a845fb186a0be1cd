from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.matching import CompiledRules, Normalizer, compile_rules, load_rules, match_need
from app.matching.snapshot import DirectorySnapshot

from .conftest import write_rules

# --- against the seed rules and directory ---------------------------------------------------


def needs_of(text: str, rules: CompiledRules, snap: DirectorySnapshot) -> dict[str, bool]:
    return {n.id: n.negated for n in match_need(text, rules, snap).needs}


def test_several_needs_in_one_text(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("創業したいので融資も受けたい", seed_rules, seed_snapshot)
    found = {n.id for n in r.needs if not n.negated}
    assert {"start-business", "loan"} <= found
    codes = [s.code for s in r.support_types]
    assert {"startup", "finance"} <= set(codes)
    assert r.matched and not r.clarifying_questions


@pytest.mark.parametrize(
    ("text", "negated", "wanted"),
    [
        ("融資は必要ないが、販路を広げたい", "loan", "market-expansion"),
        ("融資は必要ないが販路を広げたい", "loan", "market-expansion"),
        ("資金ではなく技術面の相談をしたい", "loan", "technical-consultation"),
        ("借りたくないけど、創業したい", "loan", "start-business"),
    ],
)
def test_negation_is_scoped_to_its_clause(
    seed_rules: CompiledRules,
    seed_snapshot: DirectorySnapshot,
    text: str,
    negated: str,
    wanted: str,
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    by_id = {n.id: n for n in r.needs}
    assert by_id[negated].negated is True
    assert by_id[wanted].negated is False
    negated_type = seed_snapshot.needs[negated].support_type
    assert r.support_types[0].code == seed_snapshot.needs[wanted].support_type
    # a negated need does not drive the ranking
    assert negated_type not in {s.code for s in r.support_types} or (
        negated_type == seed_snapshot.needs[wanted].support_type
    )


def test_same_need_without_negation_is_positive(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    assert needs_of("融資を受けたい", seed_rules, seed_snapshot)["loan"] is False
    assert needs_of("融資は要らない", seed_rules, seed_snapshot)["loan"] is True


@pytest.mark.parametrize("text", ["後継者がいない", "跡継ぎがいない", "後継ぎがいなくて困っている"])
def test_missing_successor_is_a_need_not_a_negation(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    by_id = {n.id: n for n in r.needs}
    assert by_id["business-succession"].negated is False
    assert r.support_types[0].code == "startup"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("申込みたい融資", "申し込みたい融資"),
        ("借入れしたい", "借り入れしたい"),
        ("販路を拡げたい", "販路を広げたい"),
        ("ＢＣＰを作りたい", "bcpを作りたい"),
        ("ｾﾐﾅｰで創業を学びたい", "セミナーで創業を学びたい"),
        ("後継ぎがいない", "跡継ぎがいない"),
    ],
)
def test_variants_reach_the_same_needs(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, a: str, b: str
) -> None:
    ra = match_need(a, seed_rules, seed_snapshot)
    rb = match_need(b, seed_rules, seed_snapshot)
    assert ra.needs and [n.id for n in ra.needs] == [n.id for n in rb.needs]


@pytest.mark.parametrize("text", ["相談したい", "支援を受けたい", "困っている"])
def test_vague_text_asks_questions_whose_options_resolve(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    assert r.clarifying_questions
    assert not r.support_types and not r.agencies
    for q in r.clarifying_questions:
        assert len(q.options) >= 2
        for option in q.options:
            answer = match_need(option.text, seed_rules, seed_snapshot)
            positive = [n for n in answer.needs if not n.negated]
            assert positive, option.text
            assert not answer.clarifying_questions
            assert answer.support_types


@pytest.mark.parametrize("text", ["住民票を取りたい", "今日の天気", "ラーメンおいしい", ""])
def test_out_of_scope_gives_only_fallback_contacts(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    assert r.matched is False
    assert not r.support_types and not r.agencies and not r.programmes and not r.actions
    assert r.contact_points
    assert all(c.contact.general_fallback for c in r.contact_points)


def test_deterministic_and_bounded(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "工場を建てたいが資金繰りが苦しい。大学と共同研究もしたい"
    first = json.dumps(match_need(text, seed_rules, seed_snapshot).to_dict(), ensure_ascii=False)
    for _ in range(3):
        again = match_need(text, seed_rules, seed_snapshot).to_dict()
        assert json.dumps(again, ensure_ascii=False) == first
    d = json.loads(first)
    scores = [n["score"] for n in d["needs"]] + [s["score"] for s in d["support_types"]]
    for key in ("agencies", "programmes", "actions"):
        scores += [x["score"] for x in d[key]]
    assert scores and all(0.0 <= s <= 1.0 and round(s, 4) == s for s in scores)
    for key in ("support_types", "agencies", "programmes", "actions"):
        values = [x["score"] for x in d[key]]
        assert values == sorted(values, reverse=True)


def test_long_and_odd_input_never_blows_up(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("融資" * 3000 + "\x00\ud7ff🙂", seed_rules, seed_snapshot, limit=3)
    assert r.truncated and len(r.agencies) <= 3
    assert match_need("　\n\t", seed_rules, seed_snapshot).matched is False


def test_reasons_name_rule_and_words(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("お金を借りたい", seed_rules, seed_snapshot)
    assert r.agencies
    for agency in r.agencies:
        assert agency.reasons
        assert any("ルール " in x and "『" in x for x in agency.reasons)
    rule_ids = {e.rule_id for n in r.needs for e in n.evidence}
    assert any(rid in r.agencies[0].reasons[0] for rid in rule_ids)


def test_agencies_hold_the_role_unless_named(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    for text in ["融資を受けたい", "共同研究したい", "組合を作りたい", "工場を建てたい"]:
        r = match_need(text, seed_rules, seed_snapshot, limit=10)
        types = {s.code for s in r.support_types}
        for a in r.agencies:
            roles = seed_snapshot.agencies[a.id].roles
            named = any("名指し" in reason for reason in a.reasons)
            assert roles & types or named, (text, a.id)


def test_vocabularies_follow_matched_needs(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("事業承継したい", seed_rules, seed_snapshot)
    assert "事業を引き継ぎたい" in r.vocabularies.jgrants_use_purpose
    assert "事業承継" in r.vocabularies.mirasapo_purpose
    r2 = match_need("特許を取りたい", seed_rules, seed_snapshot)
    assert "知的財産" in r2.vocabularies.mirasapo_purpose
    assert "事業承継" not in r2.vocabularies.mirasapo_purpose
    assert match_need("今日の天気", seed_rules, seed_snapshot).vocabularies.mirasapo_purpose == ()


def test_to_dict_shape(seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot) -> None:
    d = match_need("融資を受けたい", seed_rules, seed_snapshot, municipality="萩市").to_dict()
    assert set(d) >= {
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
    assert set(d["needs"][0]) >= {"id", "label", "support_type", "score", "negated", "evidence"}
    assert set(d["needs"][0]["evidence"][0]) == {"rule_id", "matched_text", "normalized"}
    assert set(d["programmes"][0]) >= {"id", "name", "kind", "score", "reasons"}
    assert set(d["actions"][0]) >= {"number", "title", "score"}
    assert set(d["contact_points"][0]) >= {"id", "agency_id", "phones", "agency_name", "reason"}
    assert set(d["vocabularies"]) == {"jgrants_use_purpose", "mirasapo_purpose"}
    json.dumps(d, ensure_ascii=False)


# --- against a hand-made directory ------------------------------------------------------------

TINY_RULES = """
rules:
  - id: t.loan
    need: loan
    patterns: [融資]
    weight: 0.8
  - id: t.start
    need: start
    patterns: [創業]
    weight: 0.8
  - id: t.named
    need: loan
    patterns: [[窓口, 融資]]
    agency_boosts: {desk: 0.9}
    weight: 0.8
"""


@pytest.fixture()
def tiny_rules(tmp_path: Path, normalizer: Normalizer) -> CompiledRules:
    rules_dir, lex = write_rules(tmp_path, TINY_RULES)
    return compile_rules(load_rules(rules_dir, lex), normalizer)


def test_role_matrix_constrains_agencies(
    tiny_rules: CompiledRules, tiny_snapshot: DirectorySnapshot
) -> None:
    # "lab" is listed first for the need but does not hold the finance role
    r = match_need("融資を受けたい", tiny_rules, tiny_snapshot)
    assert [a.id for a in r.agencies] == ["bank"]
    # a rule naming an agency directly overrides the matrix
    r2 = match_need("窓口で融資の相談", tiny_rules, tiny_snapshot)
    assert "desk" in {a.id for a in r2.agencies}
    assert "lab" not in {a.id for a in r2.agencies}


def test_municipality_contacts_preferred(
    tiny_rules: CompiledRules, tiny_snapshot: DirectorySnapshot
) -> None:
    hagi = match_need("創業したい", tiny_rules, tiny_snapshot, municipality="萩市")
    assert [c.contact.id for c in hagi.contact_points] == ["club-hagi-desk"]
    by_code = match_need("創業したい", tiny_rules, tiny_snapshot, municipality="35204")
    assert [c.contact.id for c in by_code.contact_points] == ["club-hagi-desk"]
    ube = match_need("創業したい", tiny_rules, tiny_snapshot, municipality="宇部市")
    assert [c.contact.id for c in ube.contact_points] == ["club-ube-desk"]
    nowhere = match_need("創業したい", tiny_rules, tiny_snapshot, municipality="下関市")
    assert [c.contact.id for c in nowhere.contact_points] == ["club-wide"]
    anywhere = match_need("創業したい", tiny_rules, tiny_snapshot)
    assert [c.contact.id for c in anywhere.contact_points] == ["club-wide"]
    assert all(not c.contact.general_fallback for c in anywhere.contact_points)


def test_the_local_office_that_serves_the_town_is_named(
    tiny_rules: CompiledRules, tiny_snapshot: DirectorySnapshot
) -> None:
    hagi = match_need("創業したい", tiny_rules, tiny_snapshot, municipality="萩市")
    club = next(a for a in hagi.agencies if a.id == "club")
    assert [o.id for o in club.local_offices] == ["club-hagi"]
    assert [c.contact.id for c in club.local_offices[0].contact_points] == ["club-hagi-desk"]
    assert club.to_dict()["local_offices"][0]["contact_points"][0]["id"] == "club-hagi-desk"
    # never an office of another town; without a town, no office at all
    ube = match_need("創業したい", tiny_rules, tiny_snapshot, municipality="宇部市")
    assert all(not a.local_offices for a in ube.agencies)
    anywhere = match_need("創業したい", tiny_rules, tiny_snapshot)
    assert all(not a.local_offices for a in anywhere.agencies)


def test_programmes_and_actions_follow_needs(
    tiny_rules: CompiledRules, tiny_snapshot: DirectorySnapshot
) -> None:
    r = match_need("創業したい", tiny_rules, tiny_snapshot)
    assert [a.number for a in r.actions] == [6]
    assert [p.id for p in r.programmes] == ["p-start"]
    assert r.programmes[0].reasons


def test_hundreds_of_unrelated_rules_do_not_disturb_a_match(
    tmp_path: Path, normalizer: Normalizer, tiny_snapshot: DirectorySnapshot
) -> None:
    extra = "".join(
        f"  - id: t.x{i}\n    need: tech\n    patterns: [ダミー語{i}号]\n" for i in range(300)
    )
    rules_dir, lex = write_rules(tmp_path, TINY_RULES + extra)
    compiled = compile_rules(load_rules(rules_dir, lex), normalizer)
    r = match_need("融資を受けたい", compiled, tiny_snapshot)
    assert [n.id for n in r.needs] == ["loan"]
    assert compiled.rule_count == 303


def test_a_programme_window_is_offered_only_with_its_programme(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # 知財総合支援窓口 belongs to the foundation (yipf) but is the door for patents only
    patents = match_need("特許を取りたい", seed_rules, seed_snapshot)
    assert "ip-general-support-desk" in {p.id for p in patents.programmes}
    first = patents.contact_points[0]
    assert first.contact.id == "ip-support-desk-navi-dial"
    assert "知財総合支援窓口" in first.reason
    money = match_need("資金の融資を受けたい", seed_rules, seed_snapshot, municipality="35204")
    assert "yipf" in {a.id for a in money.agencies}
    assert "ip-support-desk-navi-dial" not in {c.contact.id for c in money.contact_points}


def test_ranked_agencies_without_a_window_fall_back_to_the_general_ones(
    normalizer: Normalizer, tmp_path: Path, tiny_snapshot: DirectorySnapshot
) -> None:
    # the lab (technology) has no window registered yet
    rules_dir, lex = write_rules(
        tmp_path, "rules:\n  - {id: t.test, need: tech, patterns: [試験], weight: 0.8}\n"
    )
    compiled = compile_rules(load_rules(rules_dir, lex), normalizer)
    r = match_need("製品の試験をしたい", compiled, tiny_snapshot)
    assert r.matched and [a.id for a in r.agencies] == ["lab"]
    assert [c.contact.id for c in r.contact_points] == ["fallback"]
    assert all("未登録" in c.reason for c in r.contact_points)


def test_needs_told_only_as_background_count_once_per_support_type(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # a long text: two finance needs in the background (equipment bought with a loan), the
    # request at the end (new customers): the requested need's support type ranks first
    text = (
        "父の代から続く鉄工所です。去年、設備は借入れで入れ替えました。"
        "今は新しい販路を開拓したいと考えています。"
    )
    result = match_need(text, seed_rules, seed_snapshot)
    assert result.needs[0].id == "market-expansion"
    background = [n for n in result.needs if n.support_type == "finance"]
    assert len(background) >= 2  # both are still read, neither is dropped
    assert result.support_types[0].code == "growth"


@pytest.mark.parametrize(
    ("text", "need"),
    [
        # a trade named by its premises is a business: the hits beside everyday words stay
        ("自宅の一階で整骨院を開くつもりです", "start-business"),
        ("勤め先を辞めて美容室を開きたい", "start-business"),
        # a brewery's new sake is a new product
        ("蔵元ですが、若い人にも飲んでもらえる新しいお酒を造りたい", "new-product-development"),
    ],
)
def test_trade_premises_speak_of_a_business(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str, need: str
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    assert r.matched and not r.out_of_scope
    assert r.needs[0].id == need and not r.needs[0].inferred


def test_everyday_life_beside_no_trade_stays_out_of_scope(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("自宅の一階を改装したい", seed_rules, seed_snapshot)
    assert not r.matched and r.out_of_scope
