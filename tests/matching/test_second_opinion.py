"""The classifier beside the rules (matcher.second_opinion), with a stand-in classifier whose
guess the test sets: where the rules found nothing, only a general need, needs nearly tied, or
another need than the one the whole text is about."""

from __future__ import annotations

from typing import cast

import pytest

from app.matching.classifier import MIN_LIFT, OUT_OF_SCOPE, VAGUE, NeedClassifier, NeedGuess
from app.matching.compiler import CompiledRules
from app.matching.matcher import (
    AGREE_MIN_LIFT,
    GENERAL_ONLY_MIN_LIFT,
    KIND_MIN_LIFT,
    OVERRIDE_MIN_LIFT,
    TOLD_MIN_LIFT,
    VAGUE_CLASS_MIN_LIFT,
    VAGUE_MIN_LIFT,
    match_need,
)
from app.matching.result import MatchResult
from app.matching.snapshot import DirectorySnapshot


class Guessing:
    """A classifier that always guesses one need with a given lift (and its support type with
    `kind_lift`)."""

    def __init__(self, need_id: str, lift: float, kind_lift: float = 0.0) -> None:
        self.answer = NeedGuess(need_id, lift / 36, lift, kind_lift)
        self.calls = 0

    def guess(self, text: str, nt: object = None, kinds: object = None) -> NeedGuess | None:
        self.calls += 1
        return self.answer


def run(
    text: str, rules: CompiledRules, snapshot: DirectorySnapshot, guess: Guessing | None
) -> MatchResult:
    return match_need(text, rules, snapshot, classifier=cast(NeedClassifier, guess))


def test_a_clear_guess_decides_between_needs_the_rules_found_nearly_tied(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "創業したいので融資も受けたい"  # start-up and loan, equally strong for the rules
    alone = run(text, seed_rules, seed_snapshot, None)
    assert {n.id for n in alone.needs} == {"start-business", "loan"}
    assert alone.support_types[0].code == "startup"
    weak = run(text, seed_rules, seed_snapshot, Guessing("loan", AGREE_MIN_LIFT - 0.5))
    assert weak.to_dict() == alone.to_dict()
    agreed = run(text, seed_rules, seed_snapshot, Guessing("loan", AGREE_MIN_LIFT + 1))
    assert agreed.needs[0].id == "loan" and not agreed.needs[0].inferred
    assert agreed.support_types[0].code == "finance"
    assert {n.id for n in agreed.needs} == {n.id for n in alone.needs}  # nothing added
    loan = next(n for n in alone.needs if n.id == "loan")
    assert agreed.needs[0].score > loan.score  # one more piece of evidence


def test_a_specific_guess_outranks_a_general_need_alone(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "経営の相談をしたい"
    alone = run(text, seed_rules, seed_snapshot, None)
    assert [n.id for n in alone.needs] == ["management-consultation"]
    weak = run(text, seed_rules, seed_snapshot, Guessing("bcp", GENERAL_ONLY_MIN_LIFT - 0.5))
    assert weak.to_dict() == alone.to_dict()
    clear = run(text, seed_rules, seed_snapshot, Guessing("bcp", GENERAL_ONLY_MIN_LIFT + 1))
    assert [(n.id, n.inferred) for n in clear.needs] == [
        ("bcp", True),
        ("management-consultation", False),
    ]
    assert clear.support_types[0].code == "management_stability"
    general = run(text, seed_rules, seed_snapshot, Guessing("management-consultation", 20))
    assert general.to_dict() == alone.to_dict()


def test_only_a_clear_guess_outranks_another_need_a_rule_found(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "うちは小さな部品工場ですが、来年に向けて大学と一緒に共同研究をしたいと考えています"
    alone = run(text, seed_rules, seed_snapshot, None)
    assert [n.id for n in alone.needs] == ["joint-research"]
    for lift in (1.0, OVERRIDE_MIN_LIFT - 0.5):
        assert run(text, seed_rules, seed_snapshot, Guessing("bcp", lift)).to_dict() == (
            alone.to_dict()
        )
    clear = run(text, seed_rules, seed_snapshot, Guessing("bcp", OVERRIDE_MIN_LIFT + 1))
    assert [(n.id, n.inferred) for n in clear.needs] == [
        ("bcp", True),
        ("joint-research", False),
    ]
    assert clear.needs[0].score > clear.needs[1].score
    assert clear.support_types[0].code == "management_stability"
    assert "technology" in {s.code for s in clear.support_types}  # the rule's need stays


def test_a_short_request_is_what_its_words_name_whatever_the_guess(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # under OVERRIDE_MIN_TOKENS words the rules' need stands (創業セミナーに参加したい is no
    # 経営革新 however the classifier leans)
    text = "大学と共同研究したい"
    alone = run(text, seed_rules, seed_snapshot, None)
    assert [n.id for n in alone.needs] == ["joint-research"]
    for lift in (OVERRIDE_MIN_LIFT + 1, TOLD_MIN_LIFT + 5):
        assert run(text, seed_rules, seed_snapshot, Guessing("bcp", lift)).to_dict() == (
            alone.to_dict()
        )


def test_a_need_told_in_the_background_comes_first_when_the_whole_text_is_about_it(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # the rules read the wish (新しい素材を作る) as the farm produce it is made of, and the
    # university research said before the comma as mere background
    text = "大学の先生と一緒に、魚の骨から新しい素材を作る研究をしてみたい。"
    alone = run(text, seed_rules, seed_snapshot, None)
    assert alone.needs[0].id != "joint-research"
    told = next(n for n in alone.needs if n.id == "joint-research")
    assert alone.support_types[0].code != "technology"
    agreed = run(text, seed_rules, seed_snapshot, Guessing("joint-research", TOLD_MIN_LIFT - 1))
    assert agreed.needs[0].id == alone.needs[0].id  # one more piece of evidence, still behind
    clear = run(text, seed_rules, seed_snapshot, Guessing("joint-research", TOLD_MIN_LIFT + 1))
    assert clear.needs[0].id == "joint-research" and not clear.needs[0].inferred
    assert clear.needs[0].score > max(told.score, alone.needs[0].score)
    assert clear.support_types[0].code == "technology"
    assert {n.id for n in clear.needs} == {n.id for n in alone.needs}  # nothing added


def test_beside_a_vague_word_a_need_is_inferred_only_when_clear(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "店のことで相談したい"
    alone = run(text, seed_rules, seed_snapshot, None)
    assert not alone.matched and alone.clarifying_questions
    unsure = run(text, seed_rules, seed_snapshot, Guessing("bcp", VAGUE_MIN_LIFT - 0.2))
    assert unsure.to_dict() == alone.to_dict()
    clear = run(text, seed_rules, seed_snapshot, Guessing("bcp", VAGUE_MIN_LIFT + 0.5))
    assert clear.matched and [(n.id, n.inferred) for n in clear.needs] == [("bcp", True)]


def test_an_inferred_need_brings_the_programmes_its_rules_name_most(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "店のことで相談したい"
    typical = seed_rules.programmes_by_need["subcontracting"]
    assert typical
    result = run(text, seed_rules, seed_snapshot, Guessing("subcontracting", 10))
    assert result.needs[0].inferred
    assert typical[0] in [p.id for p in result.programmes]


@pytest.mark.parametrize("lift", [AGREE_MIN_LIFT + 1, OVERRIDE_MIN_LIFT + 10])
def test_no_guess_brings_back_a_need_turned_down_or_answers_no_need(
    lift: float, seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    refused = "融資は要りません"
    alone = run(refused, seed_rules, seed_snapshot, None)
    assert run(refused, seed_rules, seed_snapshot, Guessing("loan", lift)).to_dict() == (
        alone.to_dict()
    )
    text = "大学と共同研究したい"
    plain = run(text, seed_rules, seed_snapshot, None)
    guess = Guessing(OUT_OF_SCOPE, lift)
    assert run(text, seed_rules, seed_snapshot, guess).to_dict() == plain.to_dict()
    assert guess.calls == 1


def test_english_and_everyday_life_are_not_guessed(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    for text in ("I want to start a bakery", "住民票の写しがほしい"):
        guess = Guessing("start-business", 20)
        assert run(text, seed_rules, seed_snapshot, guess).to_dict() == (
            run(text, seed_rules, seed_snapshot, None).to_dict()
        )


def test_programmes_by_need_counts_how_many_rules_name_them(seed_rules: CompiledRules) -> None:
    for need, programmes in seed_rules.programmes_by_need.items():
        counts = [
            sum(pid in r.programmes for r in seed_rules.rules if r.need == need)
            for pid in programmes
        ]
        assert counts == sorted(counts, reverse=True) and min(counts) >= 1
        assert 1 <= len(programmes) <= 3


def test_a_guess_of_the_vague_class_asks_instead_of_answering_nothing(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "知人に勧められて来ました"  # no vague or business word of the lexicon, no rule
    alone = run(text, seed_rules, seed_snapshot, None)
    assert not alone.matched and not alone.clarifying_questions
    unsure = run(text, seed_rules, seed_snapshot, Guessing(VAGUE, VAGUE_CLASS_MIN_LIFT - 0.5))
    assert unsure.to_dict() == alone.to_dict()
    vague = run(text, seed_rules, seed_snapshot, Guessing(VAGUE, VAGUE_CLASS_MIN_LIFT + 1))
    assert not vague.matched and vague.clarifying_questions and not vague.needs
    # a need the rules found stands; everyday life gets no questions whatever the guess
    found = run("大学と共同研究したい", seed_rules, seed_snapshot, Guessing(VAGUE, 20))
    assert found.matched and not found.clarifying_questions
    private = run("住民票の写しがほしい", seed_rules, seed_snapshot, Guessing(VAGUE, 20))
    assert not private.clarifying_questions


def test_a_support_type_the_guesses_share_infers_a_need_beside_a_business_word(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "うちの工場で、ステンレスの仕上げがどうもうまくいかない"  # 工場: a business word
    need = "technological-innovation"
    alone = run(text, seed_rules, seed_snapshot, None)
    assert not alone.matched
    weak = Guessing(need, MIN_LIFT - 1.5, KIND_MIN_LIFT - 0.5)
    assert run(text, seed_rules, seed_snapshot, weak).to_dict() == alone.to_dict()
    kind = run(text, seed_rules, seed_snapshot, Guessing(need, MIN_LIFT - 1.5, KIND_MIN_LIFT))
    assert [(n.id, n.inferred) for n in kind.needs] == [(need, True)]
    assert kind.support_types[0].code == "technology"
    # beside a vague word (相談) the guess itself must be clear: the text is asked about instead
    vague = run(text + "。相談したい", seed_rules, seed_snapshot, Guessing(need, 2.0, 10.0))
    assert not vague.matched and vague.clarifying_questions
