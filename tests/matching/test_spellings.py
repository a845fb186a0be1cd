"""How owners type (issue: understand owners as they speak and type): kana-only text typed in
katakana or half-width katakana, romaji words, and negative endings that state a trouble or a
wish rather than refuse help. Each case is a kind of spelling, written for this test; the
matcher must read it as it reads the plain form."""

from __future__ import annotations

import pytest

from app.matching.compiler import CompiledRules
from app.matching.matcher import match_need
from app.matching.normalize import alternative_spellings, display_form
from app.matching.snapshot import DirectorySnapshot


def needs_of(text: str, rules: CompiledRules, snapshot: DirectorySnapshot) -> list[str]:
    return [n.id for n in match_need(text, rules, snapshot).needs if not n.negated]


@pytest.mark.parametrize(
    ("plain", "typed"),
    [
        ("店を息子に譲りたいと思っている", "ﾐｾｦﾑｽｺﾆﾕｽﾞﾘﾀｲﾄｵﾓｯﾃｲﾙ"),
        ("店を息子に譲りたいと思っている", "ミセヲムスコニユズリタイトオモッテイル"),
        ("融資を受けたい", "ﾕｳｼｦｳｹﾀｲ"),
        ("医療機器の部品を作りたい", "iryou kiki no buhin wo tsukuritai"),
        ("補助金を知りたい", "hojokin wo shiritai"),
        # a verb typed in kana: Sudachi cannot tie たてる to one kanji (立てる, 建てる)
        ("工場を建てたい", "こうじょうをたてたい"),
        ("原因を調べてほしい", "げんいんをしらべてほしい"),
        # a compound read with a voiced sound its parts do not have (しきん+ぐり)
        ("資金繰りが苦しい", "しきんぐりがくるしい"),
        # kana Sudachi cuts wrongly: か|いがい (以外), ぱそこ|ん|で (not 〜んで, because)
        ("海外に売りたい", "かいがいにうりたい"),
        ("パソコンで管理したい", "ぱそこんでかんりしたい"),
    ],
)
def test_kana_and_romaji_typing_reads_like_the_plain_form(
    plain: str, typed: str, seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    expected = needs_of(plain, seed_rules, seed_snapshot)
    assert expected, plain
    assert needs_of(typed, seed_rules, seed_snapshot)[:1] == expected[:1]


def test_katakana_loanwords_keep_their_reading(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # both spellings are tried; the one that reads more of the text wins
    assert "market-expansion" in needs_of("ホームページヲツクリタイ", seed_rules, seed_snapshot)


def test_alternative_spellings_only_where_they_can_help(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    assert alternative_spellings(display_form("融資を受けたい")) == []
    assert alternative_spellings(display_form("ｶﾝｺｳｷｬｸ")) == ["かんこうきゃく"]
    # English words do not spell back as romaji and stay as they are
    (romaji,) = alternative_spellings(display_form("web site de uritai"))
    assert romaji.startswith("web site") and romaji.endswith("うりたい")
    # the evidence keeps what the owner typed
    result = match_need("ﾕｳｼｦｳｹﾀｲ", seed_rules, seed_snapshot)
    assert any(
        "ﾕｳｼ" in e.matched_text or "ユウシ" in e.matched_text
        for n in result.needs
        for e in n.evidence
    )


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("新しい製品のデザインをまねされたくないので特許を取りたい", "intellectual-property"),
        ("赤字が続いて、このままだと会社がもたない", "management-improvement"),
        # a trouble not wanted (Negation.avoided): being spared it is the need
        ("親から継いだ店を閉めたくないので何とかしたい", "management-improvement"),
        ("会社を潰したくない", "management-improvement"),
        ("借金やばい\n会社つぶさずに何とかならん", "management-improvement"),
    ],
)
def test_a_trouble_or_a_wish_in_the_negative_is_not_a_refusal(
    text: str, need: str, seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    assert need in needs_of(text, seed_rules, seed_snapshot)


def test_a_refusal_is_still_a_refusal(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    result = match_need("融資はいらないが、特許を取りたい", seed_rules, seed_snapshot)
    negated = {n.id for n in result.needs if n.negated}
    assert "loan" in negated
    assert "intellectual-property" in needs_of(
        "融資はいらないが、特許を取りたい", seed_rules, seed_snapshot
    )


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("融資は受けたくない、補助金のことが知りたい", "loan"),  # not wanting what is offered
        ("借金せずに、返さなくていい補助金で機械を入れたい", "loan"),
        ("倒産しそうな話ではないが、新しい分野で経営革新に取り組みたい", "management-improvement"),
        # what names a kind of help is refused as before, whatever the cue
        ("再生支援協議会には頼りたくない", "business-rehabilitation"),
        ("リスケはしたくないので別の方法を知りたい", "business-rehabilitation"),
        ("事業再生の支援は受けたくない", "business-rehabilitation"),
    ],
)
def test_not_wanting_what_is_offered_is_a_refusal(
    text: str, refused: str, seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    result = match_need(text, seed_rules, seed_snapshot)
    assert refused not in needs_of(text, seed_rules, seed_snapshot)
    assert refused in {n.id for n in result.needs if n.negated}


def test_a_voiced_sound_at_a_words_start_is_not_taken_away(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # カイ[ガ]イテンカイ holds カイテン (開店) only if ガ loses its voice at a word's start
    found = needs_of("カイガイ テンカイ シタイ", seed_rules, seed_snapshot)
    assert "overseas-expansion" in found and "start-business" not in found
