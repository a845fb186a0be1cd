"""A trade's own words map to the need a front-desk officer would pick (seed/rules), and a worry
about the business's future with no need in it asks the clarifying questions (seed/lexicon.yaml
vague_terms; stability.improvement no longer reads 経営/商売 + 不安 as 経営改善).

Sentences written for the test, not taken from the evaluation sets."""

from __future__ import annotations

import pytest

from app.matching import CompiledRules, match_need
from app.matching.snapshot import DirectorySnapshot


@pytest.mark.parametrize(
    ("text", "need"),
    [
        (
            "旋盤の段取り替えに時間がかかるので、もっと短くできないか見てほしい",
            "technical-consultation",
        ),
        ("プレスの金型がすぐ摩耗してしまうのを何とかしたい", "technical-consultation"),
        ("アルミの溶接で歪みが出て困っています", "technical-consultation"),
        ("惣菜の工場でHACCPに対応したいので指導をお願いしたい", "technical-consultation"),
        ("梱包の作業を自動機に任せて省人化したい", "equipment-introduction"),
        ("トラックの運転手が足りないので、何とか集めたい", "human-resources"),
        ("老人ホームを運営しています。介護士が足りないのが悩みです", "human-resources"),
        ("毎月もらう試算表の見方を教えてほしい", "management-consultation"),
        ("会社としての中期経営計画を立てたい", "management-consultation"),
    ],
)
def test_a_trades_own_words_reach_the_need(
    text: str, need: str, seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    assert r.matched, text
    assert need in [n.id for n in r.needs if not n.negated][:2], (text, [n.id for n in r.needs])


@pytest.mark.parametrize(
    "text",
    ["商売の先行きがどうにも不安で", "会社の将来を考えると心配で眠れない", "経営がこの先不安です"],
)
def test_a_generic_worry_stays_vague(
    text: str, seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    assert not r.matched and r.clarifying_questions, (text, [n.id for n in r.needs])
