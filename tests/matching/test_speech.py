"""How owners actually speak and type: kana, conversion slips, questions, contrasts, dialect,
everyday life, background and wishes, general and specific needs, nearest needs, suggestions.

Each test names a mechanism of app/matching (normalize, compiler, matcher, similarity,
suggestions) and checks it on the seed rules with sentences written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.matching import CompiledRules, Normalizer, compile_rules, load_rules, match_need
from app.matching.misses import MissEntry
from app.matching.snapshot import DirectorySnapshot
from app.matching.suggestions import suggest
from app.matching.wording import JAPANESE

from .conftest import write_rules


def positive(text: str, rules: CompiledRules, snap: DirectorySnapshot) -> list[str]:
    return [n.id for n in match_need(text, rules, snap).needs if not n.negated]


def negated(text: str, rules: CompiledRules, snap: DirectorySnapshot) -> list[str]:
    return [n.id for n in match_need(text, rules, snap).needs if n.negated]


# --- the reading stream ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("せつびとうしのための ゆうしを うけたい", "loan"),  # hiragana only
        ("ｾﾂﾋﾞﾄｳｼﾉ ﾕｳｼｦ ｳｹﾀｲ", "loan"),  # half-width katakana
        ("ハンロヲ　ヒロゲタイ", "market-expansion"),  # full-width space, katakana
        ("保助金をつかいたい", "grants"),  # wrong kanji, right sound (not a word)
        ("販露をもっと広げたい", "market-expansion"),
        ("とっきょをとりたい", "intellectual-property"),  # Sudachi cuts とっ|き|ょ
    ],
)
def test_kana_and_wrong_kanji_reach_the_rules_through_readings(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str, need: str
) -> None:
    assert need in positive(text, seed_rules, seed_snapshot)


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("ほしよきんのもうしこみをしたい", "grants"),  # じょ typed without its mark, small ょ large
        ("せつひとうしのゆうしをうけたい", "loan"),  # び without its mark
        ("ほーむぺーじをつくりたい", "it-adoption"),  # long vowels as ー
        ("ほうむぺえじをつくりたい", "it-adoption"),  # ... and as う, え
    ],
)
def test_kana_typed_in_a_hurry_meets_the_rules_loosely(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str, need: str
) -> None:
    assert need in positive(text, seed_rules, seed_snapshot)


def test_loose_readings_need_length_and_typed_kana(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # a short loose reading does not collide (せいと is not 精度), and a word Sudachi knows in
    # kanji or katakana is not loosened into another (政府 is no 補助)
    assert "technical-consultation" not in positive("せいとをしりたい", seed_rules, seed_snapshot)
    assert positive("星の写真を撮るのが趣味です", seed_rules, seed_snapshot) == []
    # nor does a loose reading run over kanji, however short the words (県や国 is no 原薬)
    assert "medical-industry" not in positive(
        "県や国の制度で人を育てたい", seed_rules, seed_snapshot
    )


def test_a_real_word_is_not_read_as_its_homophone(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # 機会 (opportunity) sounds like 機械, 操業 like 創業, 向上 like 工場: all dictionary words.
    assert positive("機会があれば話を聞きたい", seed_rules, seed_snapshot) == []
    assert "start-business" not in positive("工場の操業時間を延ばしたい", seed_rules, seed_snapshot)
    assert "business-location" not in positive("品質を向上したい", seed_rules, seed_snapshot)
    # nor is a word cut in two: 新しい商品 hides イショウ (意匠) across its words
    assert "intellectual-property" not in positive(
        "新しい商品を作りたい", seed_rules, seed_snapshot
    )


def test_a_suru_noun_slip_is_read_as_the_suru_noun(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # 企業したい / 改行したい: conversion picked the wrong する-noun of the same sound
    assert "start-business" in positive("地元で企業したい", seed_rules, seed_snapshot)
    assert "start-business" in positive("自宅の一階で店を改行したい", seed_rules, seed_snapshot)


def test_short_readings_are_not_keyed(normalizer: Normalizer, tmp_path: Path) -> None:
    rules_dir, lex = write_rules(
        tmp_path,
        "rules:\n  - {id: t.shop, need: start, patterns: [店], weight: 0.8}\n"
        "  - {id: t.loan, need: loan, patterns: [融資], weight: 0.8}\n",
    )
    compiled = compile_rules(load_rules(rules_dir, lex), normalizer)
    keyed = {len(k) for k in compiled.reading_automaton}  # type: ignore[union-attr]
    assert keyed == {3}  # ユウシ only: ミセ (2) is too short to key


# --- negation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "保証してもらえる制度はないですか",
        "融資を受けられるところはないかね",
        "創業したばかりでも借りられる融資はないでしょうか",
        "補助金とかないの？",
    ],
)
def test_a_question_with_nai_is_not_a_refusal(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    assert r.matched, text
    assert not any(n.negated for n in r.needs), text


def test_without_a_loan_negates_the_loan_only(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # 〜せずに / 〜借りずに / 〜なしで: what is done without is not wanted, the rest is
    text = "銀行から借りずに、新しい冷凍庫を入れる方法はないですか"
    assert "loan" not in positive(text, seed_rules, seed_snapshot)
    assert "equipment-introduction" in positive(text, seed_rules, seed_snapshot)
    # ... but 止めずに済む is the wish itself, not a refusal
    assert "bcp" in positive(
        "停電が起きても店を止めずに済む備えをしたい", seed_rules, seed_snapshot
    )


def test_a_kind_of_support_turned_down_gives_way(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # no more borrowing, yet a machine: the financing kind ranks after another that serves it
    r = match_need(
        "借金はもう増やしたくないけど、古くなった機械は入れ替えたい", seed_rules, seed_snapshot
    )
    assert "equipment-introduction" in [n.id for n in r.needs if not n.negated]
    assert r.support_types[0].code != "finance"
    # but a need with no other kind keeps its own, negation or not
    r = match_need("店をたたまずに、借金を減らして立て直したい", seed_rules, seed_snapshot)
    assert r.support_types[0].code == "management_stability"


@pytest.mark.parametrize(
    ("text", "no", "yes"),
    [
        ("融資ではなく補助金を使いたい", "loan", "grants"),
        ("補助金じゃなくて融資を受けたい", "grants", "loan"),
        ("販路を広げたい、融資じゃなくて", "loan", "market-expansion"),
        ("融資ではなく補助金はないですか", "loan", "grants"),  # a contrast holds in a question
    ],
)
def test_a_contrast_negates_what_precedes_it_only(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str, no: str, yes: str
) -> None:
    assert no in negated(text, seed_rules, seed_snapshot)
    assert yes in positive(text, seed_rules, seed_snapshot)


def test_the_last_word_on_a_need_stands(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "開業資金は貯めたので借りる必要はないです。お金以外の開業の準備を教えてほしい"
    assert "loan" in negated(text, seed_rules, seed_snapshot)
    assert "start-business" in positive(text, seed_rules, seed_snapshot)
    again = "融資は要らないと思っていたけど、やっぱり融資を受けたい"
    assert "loan" in positive(again, seed_rules, seed_snapshot)


def test_dialect_negation_and_want(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "融資はいらんけど、販路を広げるのを手伝うてほしいっちゃ"
    assert "loan" in negated(text, seed_rules, seed_snapshot)
    assert "market-expansion" in positive(text, seed_rules, seed_snapshot)
    # 足らん = 足りない (足る + ず folded at the token level)
    assert "human-resources" in positive("人が足らんで困っちょるんよ", seed_rules, seed_snapshot)
    # 店がもたん (will not last) is no wish to own a shop
    assert "start-business" not in positive(
        "客が来んようになって店がもたんかもしれん", seed_rules, seed_snapshot
    )


def test_yamaguchi_forms_are_read_in_their_standard_spelling(normalizer: Normalizer) -> None:
    # 〜ちょる is している (not ちょ + る + a negative ん), けえ is から (a reason that ends the
    # clause), and an ichidan verb with a final ん is its negative (売れんのよ = 売れないのよ).
    nt = normalizer.normalize("在庫がはけちょらんけえ、品物が売れんのよ")
    assert nt.text == "在庫がはけていないから、品物が売れんのよ"[: len(nt.text)]
    norms = [t.norm for t in nt.tokens]
    assert norms[norms.index("売れる") + 1] == "ない"
    assert nt.clause_count >= 3
    # ちょっと stays ちょっと; a verb in its plain form stays positive
    assert "ちょっと" in normalizer.normalize("ちょっと聞きたい").text
    assert "ない" not in [t.norm for t in normalizer.normalize("客は来るんよ").tokens]


def test_dialect_forms_keep_the_need(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    assert "human-resources" in positive(
        "職人が足りんけえ、若いのを育てたいっちゃ", seed_rules, seed_snapshot
    )
    assert "management-improvement" in positive(
        "近頃は客が来んのよ、どねえかならんかね", seed_rules, seed_snapshot
    )


def test_a_way_of_doing_and_an_irrealis_n_are_read_right(normalizer: Normalizer) -> None:
    # やり方 is a noun (a way of doing), not the verb やる
    assert "遣る" not in [t.norm for t in normalizer.normalize("工場のやり方を変えたい").tokens]
    # 回らんかも: ん after the irrealis is a negative (Sudachi reads a classical む there)
    norms = [t.norm for t in normalizer.normalize("来月は支払いが回らんかもしれん").tokens]
    assert norms[norms.index("回る") + 1] == "ない"


def test_someone_else_opening_a_shop_is_no_start_up_of_the_owner(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "空き店舗に若い人に店を出してもらいたいんです"
    assert "start-business" not in positive(text, seed_rules, seed_snapshot)
    assert "shopping-street" in positive(text, seed_rules, seed_snapshot)
    # a company one works with (Xと一緒に) is a partner, not a company to set up
    text = "漁協で獲れた魚を使って、町の水産会社と一緒に干物を作りたい"
    assert "start-business" not in positive(text, seed_rules, seed_snapshot)
    assert "agri-commerce-collaboration" in positive(text, seed_rules, seed_snapshot)
    # the owner's own plan still is one
    assert "start-business" in positive("来年、駅前に店を出したい", seed_rules, seed_snapshot)
    # and a shop's way of doing things is no plan to run one
    assert "start-business" not in positive(
        "売上が落ちたので店のやり方を見てほしい", seed_rules, seed_snapshot
    )


def test_no_word_is_read_inside_a_loanword_or_a_verb(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # ドローン does not hide ローン (a loan): a dictionary loanword is read as one word
    assert "loan" not in positive("ドローンで農薬をまく仕事を広げたい", seed_rules, seed_snapshot)
    # いらん inside はいらん (入らん, money does not come in) is no refusal
    assert negated("ｳﾘｶｹｷﾝｶﾞ ﾊｲﾗﾝ ｼﾊﾗｲｶﾞ ｷﾋﾞｼｲ", seed_rules, seed_snapshot) == []


def test_an_employee_s_own_wages_are_everyday_life(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("バイト先の給料が払われていないんですが", seed_rules, seed_snapshot)
    assert not r.matched and not r.support_types


# --- scope -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["マイホームのローンを組みたい", "住宅ローンの借り換えで金利の低い銀行を知りたい"]
)
def test_everyday_life_is_out_of_scope(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str
) -> None:
    r = match_need(text, seed_rules, seed_snapshot)
    assert not r.matched and r.out_of_scope
    assert not r.support_types and not r.clarifying_questions


def test_everyday_words_beside_a_business_drop_only_their_own_hits(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("自宅の一階で店を開きたい", seed_rules, seed_snapshot)
    assert r.matched and not r.out_of_scope
    assert "start-business" in {n.id for n in r.needs}


def test_never_a_dead_end_for_a_business_matter(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    for text in ("うちの店のことで相談が", "どうしたらええんじゃろか", "ｿｳﾀﾞﾝ ｼﾀｲ ﾃﾞｽ"):
        r = match_need(text, seed_rules, seed_snapshot)
        assert not r.matched and r.clarifying_questions, text
    weather = match_need("今日の天気はどう", seed_rules, seed_snapshot)
    assert not weather.matched and not weather.clarifying_questions


def test_a_person_who_collapses_is_no_bankruptcy(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "父が倒れたので、私が店の経営を見ることになりました"
    assert "management-improvement" not in positive(text, seed_rules, seed_snapshot)
    assert "management-improvement" in positive(
        "取引先が倒れて売掛金が回収できない", seed_rules, seed_snapshot
    ) or "cash-flow" in positive("取引先が倒れて売掛金が回収できない", seed_rules, seed_snapshot)


def test_a_site_search_goes_to_the_location_office(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("配送の拠点にする用地を探していて、周南あたりで", seed_rules, seed_snapshot)
    assert "pref-business-location-office" in [a.id for a in r.agencies[:3]]


def test_a_general_worry_is_kept_and_asked_about(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # a worry about the business, nothing asked: the general need stays, and the desk asks
    r = match_need("会社の経営のことで悩んじょるんです", seed_rules, seed_snapshot)
    assert r.matched and r.clarifying_questions
    # asked for in so many words, the general need needs no question
    r = match_need("経営について専門家の意見がほしい", seed_rules, seed_snapshot)
    assert r.matched and not r.clarifying_questions


@pytest.mark.parametrize(
    "text",
    [
        "こんにちは、初めて来たんですが",
        "先週ファクスで問い合わせた件です",
        "役場でここで聞けと言われまして",
    ],
)
def test_a_desk_opener_gets_questions(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str
) -> None:
    assert match_need(text, seed_rules, seed_snapshot).clarifying_questions


def test_being_stuck_is_no_refusal(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # 〜ずにいる: not managing to do it is the trouble, not a refusal (〜ずに as a contrast
    # still refuses: 借りずに機械を入れたい)
    text = "材料費が上がったのに、取引先に価格転嫁を言い出せずにいます"
    assert "subcontracting" in positive(text, seed_rules, seed_snapshot)


def test_something_already_done_is_not_asked_for(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    text = "創業の手続きはもう済んでいて、今は仕入れ先との取引条件で困っています"
    assert "start-business" not in positive(text, seed_rules, seed_snapshot)
    assert "subcontracting" in positive(text, seed_rules, seed_snapshot)
    settled = "開業の手続きはもう終わりました。今は仕入れ先との取引条件で困っています"
    assert "start-business" not in positive(settled, seed_rules, seed_snapshot)


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("この前の大雨で店が水に浸かったので、次は止まらないように備えておきたい", "bcp"),
        ("もしもの時に誰が何をするか、従業員と決めておきたい", "bcp"),
        ("今月の給与が払えるかどうか、正直不安です", "cash-flow"),
        ("得意先から入金が二か月遅れると連絡があった", "cash-flow"),
        ("うちの工場を息子に任せようと思う", "business-succession"),
        ("樹脂の成形品に反りが出て困っている", "technical-consultation"),
        ("リハビリに使う器具を作ってみたい", "medical-industry"),
        ("うちの工夫を守る方法が知りたい", "intellectual-property"),
        ("元請けから急に値引きしろと言われて困っている", "subcontracting"),
        ("どんなシステムを選べばいいのか分からない", "it-adoption"),
        ("宿の予約をネットで受けられるようにしたい", "it-adoption"),
        ("自家製のジャム、どこで売ればいいのかさっぱり", "market-expansion"),
        ("塗装した部品がなぜか変色するので見てほしい", "technical-consultation"),
        ("月末の支払いがきびしくて、どうにかならんかね", "cash-flow"),
        ("昔ながらのどんぶり勘定をやめたい", "management-consultation"),
        ("アーケードの通りに人を呼び戻したい", "shopping-street"),
        ("うちのロゴをパクられたみたいで腹が立つ", "intellectual-property"),
        ("会社の柱を建設から介護の仕事に変えていきたい", "management-innovation"),
        ("同業の民宿で法人格のある組織を作りたい", "organization"),
        ("畑で採れたかぼちゃを使ってスープを作って売りたい", "agri-commerce-collaboration"),
        ("うちの和牛でレトルトカレーを作れんかね", "agri-commerce-collaboration"),
        ("鋳物の新しい製法を開発して不良を減らしたい", "technological-innovation"),
        ("萩焼の伝統を活かしたアクセサリーを作ってみたい", "regional-resources"),
        ("経費の見直しを専門家に手伝ってほしい", "management-improvement"),
        ("本業だけでは先細りなので、何か新しいことを始めたい", "management-innovation"),
        ("うちの窯は三十年ものでもう限界、入れ替えの見積もりを取った", "equipment-introduction"),
    ],
)
def test_situations_described_reach_their_need(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot, text: str, need: str
) -> None:
    assert need in positive(text, seed_rules, seed_snapshot)[:2]


# --- ranking ------------------------------------------------------------------------------


def test_a_general_need_gives_way_to_a_specific_one(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("経営のことで、事業再生について相談したい", seed_rules, seed_snapshot)
    assert r.needs[0].id == "business-rehabilitation"
    assert r.support_types[0].code == "management_stability"
    # two needs asked: both stay in the top three
    both = match_need("創業したいし、融資の保証も受けたい", seed_rules, seed_snapshot)
    assert {"start-business", "loan-guarantee"} <= {n.id for n in both.needs[:3]}


def test_the_wish_outweighs_the_background(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    r = match_need("人手不足がひどいので、ロボットを入れて省人化したい", seed_rules, seed_snapshot)
    assert r.needs[0].id == "equipment-introduction"
    assert match_need(
        "開業資金の計画を一緒に立ててほしい", seed_rules, seed_snapshot
    ).support_types[0].code == ("startup")


def test_background_told_twice_does_not_add_up(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # the succession is told in two words, both background: it weighs as one, below the wish
    r = match_need(
        "父から店を継いで五年、跡継ぎとして店を守ってきました。これからは新しい商品を作りたい。",
        seed_rules,
        seed_snapshot,
    )
    assert r.needs[0].id == "new-product-development"
    succession = next(n for n in r.needs if n.id == "business-succession")
    assert succession.score < 0.7  # one match x BACKGROUND_FACTOR, not three combined


def test_a_bare_ask_asks_about_what_was_just_said(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # the ask names nothing (一緒に考えてくれるところはありませんか): the sentence before it is
    # what is wanted, the loan of the first sentence is background
    text = (
        "三年前に工場を建てたときの借金がまだ残っています。ここ数年赤字続きで、店をどう"
        "立て直すか悩んでいます。一緒に考えてくれるところはありませんか。"
    )
    r = match_need(text, seed_rules, seed_snapshot)
    assert r.support_types[0].code == "management_stability"
    assert r.needs[0].id in {"management-improvement", "business-rehabilitation"}
    loan = next(n for n in r.needs if n.id == "loan")
    assert loan.score < 0.7


def test_same_words_matched_by_two_rules_do_not_add_up(
    normalizer: Normalizer, tmp_path: Path, tiny_snapshot: DirectorySnapshot
) -> None:
    rules_dir, lex = write_rules(
        tmp_path,
        "rules:\n"
        "  - {id: t.a, need: loan, patterns: [融資], weight: 0.6}\n"
        "  - {id: t.b, need: loan, patterns: [融資], weight: 0.5}\n"
        "  - {id: t.c, need: tech, patterns: [試験], weight: 0.7}\n",
    )
    compiled = compile_rules(load_rules(rules_dir, lex), normalizer)
    r = match_need("融資と試験の相談", compiled, tiny_snapshot)
    by_id = {n.id: n.score for n in r.needs}
    assert by_id["loan"] == 0.6  # not 1 - 0.4 * 0.5 = 0.8
    assert r.needs[0].id == "tech"


def test_what_a_verb_phrase_describes_is_the_head(
    normalizer: Normalizer, tmp_path: Path, tiny_snapshot: DirectorySnapshot
) -> None:
    rules_dir, lex = write_rules(
        tmp_path,
        "rules:\n"
        "  - {id: t.people, need: tech, patterns: [[職人, 育てる]], weight: 0.8}\n"
        "  - {id: t.group, need: start, patterns: [[会社, 作る]], weight: 0.8}\n",
    )
    compiled = compile_rules(load_rules(rules_dir, lex), normalizer)
    # the company is what is wanted; training craftsmen only describes it
    r = match_need("職人を育てる会社を作りたい", compiled, tiny_snapshot)
    assert r.needs[0].id == "start"
    # said the other way round, training is the head
    r = match_need("会社を作って職人を育てたい", compiled, tiny_snapshot)
    assert r.needs[0].id == "tech"


# --- nearest needs and suggestions ------------------------------------------------------------


def test_nearest_needs_are_offered_when_no_rule_matched(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    # (if a rule learns this phrase, pick another that no rule matches)
    r = match_need("従業員のことでちょっと相談", seed_rules, seed_snapshot)
    assert not r.matched
    first = r.clarifying_questions[0]
    assert first.question == JAPANESE.nearest_question()
    assert first.options[0].text == "人材を確保・育成したい"
    # and the option text resolves to that need
    assert "human-resources" in positive("人材を確保・育成したい", seed_rules, seed_snapshot)
    # the fixed topic list follows
    assert len(r.clarifying_questions) == 2


def test_suggestions_group_misses_by_their_nearest_need(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    misses = [
        MissEntry("従業員のことでちょっと", "clarified", 3),
        MissEntry("従業員の士気が上がらなくて困っている", "clarified", 1),
        MissEntry("今日の天気", "unmatched", 2),
    ]
    found = suggest(misses, seed_rules, seed_snapshot)
    top = found.items[0]
    assert top.need_id == "human-resources" and top.count == 4
    assert top.texts[0] == "従業員のことでちょっと"
    assert "士気" in top.terms  # a word the need's rules do not know yet
    draft = top.draft_rule()
    assert draft["rule"]["need"] == "human-resources"  # type: ignore[index]
    assert [m.text for m in found.unassigned] == ["今日の天気"]
