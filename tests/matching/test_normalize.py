from __future__ import annotations

import pytest

from app.matching import Normalizer
from app.matching.normalize import MAX_INPUT_CHARS


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("申込み", "申し込み"),
        ("借入れ", "借り入れ"),
        ("拡げる", "広げる"),
        ("ＢＣＰ", "bcp"),
        ("BCP", "bcp"),
        ("ｾﾐﾅｰ", "セミナー"),
        ("後継ぎ", "跡継ぎ"),
    ],
)
def test_variant_pairs_normalize_alike(normalizer: Normalizer, a: str, b: str) -> None:
    assert normalizer.terms(a) == normalizer.terms(b)
    assert normalizer.terms(a)  # not empty


def test_different_words_stay_different(normalizer: Normalizer) -> None:
    assert normalizer.terms("融資") != normalizer.terms("出資")


def test_whitespace_and_case_folding(normalizer: Normalizer) -> None:
    nt = normalizer.normalize("  ＩＴ　化を\n\n進めたい  ")
    assert "  " not in nt.text and "\n" not in nt.text
    assert nt.text == nt.text.lower()


def test_clauses_split_on_punctuation_and_conjunctions(normalizer: Normalizer) -> None:
    nt = normalizer.normalize("融資は必要ないが、創業したい")
    clauses = {t.norm: t.clause for t in nt.tokens}
    assert clauses["融資"] != clauses["創業"]


def test_input_is_capped(normalizer: Normalizer) -> None:
    nt = normalizer.normalize("資金" * 5000)
    assert len(nt.text) <= MAX_INPUT_CHARS


def test_empty_and_symbol_only_input(normalizer: Normalizer) -> None:
    assert normalizer.normalize("").tokens == ()
    assert normalizer.normalize("!!!、。").tokens == ()


def test_cache_is_bounded() -> None:
    n = Normalizer(cache_size=3)
    for i in range(10):
        n.normalize(f"テスト{i}")
    assert len(n._cache) <= 3


def test_a_quoted_question_and_a_told_wish_ask_nothing(normalizer: Normalizer) -> None:
    # 〜ないかと打診された: someone else asked; 〜と思っていました, 〜してくれました: the past
    told = normalizer.normalize("取引先から部品を作れないかと打診されました")
    assert not told.questions and not told.desires
    assert not normalizer.normalize("もったいないと思っていました").desires
    assert not normalizer.normalize("菓子店さんが声をかけてくれました").desires
    assert not normalizer.normalize("二店舗目を出したいと思って銀行に相談しました").desires
    # ... while the owner's own wondering and wishes still want
    assert normalizer.normalize("組合にまとめられないかと考えています").desires
    assert normalizer.normalize("見ていただけたら助かります").desires
    assert normalizer.normalize("ご相談したかったのですが").desires
    assert normalizer.normalize("補助金はありますか").questions
    # 〜ばいいんでしょう asks without a か
    assert normalizer.normalize("どう進めたらいいんでしょう。").questions
    assert not normalizer.normalize("雨になるでしょう").questions
    # an embedded question with an interrogative asks; 何かと does not
    assert normalizer.normalize("何をどう進めればよいのかわかりません").questions
    assert normalizer.normalize("買い替えるお金をどうするか、です").questions
    assert not normalizer.normalize("父が何かと口を出してきます").questions
    assert normalizer.normalize("組合にするかで迷っています").desires


def test_sentences_are_counted(normalizer: Normalizer) -> None:
    nt = normalizer.normalize("売上が落ちた。資金繰りが厳しい、どうしたらいい？よろしく")
    words = ("売上", "資金", "どう", "よろしく")
    assert [t.sentence for t in nt.tokens if t.surface in words] == [0, 1, 1, 2]
