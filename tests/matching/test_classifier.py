"""The second reader (app/matching/classifier.py): where no rule matches a text about a business,
the classifier's guess becomes an inferred need; vague texts, everyday life, English and texts
the rules already read keep their answers."""

from __future__ import annotations

from pathlib import Path

import pytest

import app.matching.classifier as classifier_module
from app.core.config import PROJECT_ROOT
from app.matching.classifier import (
    MIN_LIFT,
    OUT_OF_SCOPE,
    TRAINING_SETS,
    VAGUE,
    NeedClassifier,
    load_classifier,
    training_examples,
)
from app.matching.compiler import CompiledRules
from app.matching.matcher import match_need
from app.matching.snapshot import DirectorySnapshot
from app.matching.wording import ENGLISH

EVAL_DIR = PROJECT_ROOT / "seed" / "eval"
# situations no rule names (checked below: the rules alone find no need in them)
SITUATIONS = {
    "蔵の酒を海の向こうの人にも飲んでもらいたい": "overseas-expansion",
    "大雨が来るたびに工場が心配で": "bcp",
    "おおあめがくるたびにこうじょうがしんぱいで": "bcp",  # typed in kana
}
# kana only: character n-grams alone guessed these far less clearly
KANA_SITUATIONS = {
    "おおあめがくるたびにこうじょうがしんぱいで": "bcp",
    "あとつぎがおらんけえみせをどうするか": "business-succession",
}


@pytest.fixture(scope="module")
def classifier() -> NeedClassifier:
    loaded = load_classifier(EVAL_DIR)
    assert loaded is not None
    return loaded


def test_it_learns_only_from_the_development_sets() -> None:
    assert all((EVAL_DIR / name).exists() for name in TRAINING_SETS)
    assert "utterances.yaml" not in TRAINING_SETS  # the gated set stays a measure of the rules
    assert not any(name.startswith("heldout") for name in TRAINING_SETS)
    texts, labels = training_examples(EVAL_DIR)
    assert len(texts) == len(labels) > 1500
    assert {OUT_OF_SCOPE, VAGUE} <= set(labels)


def test_no_training_data_no_classifier(tmp_path: Path) -> None:
    assert load_classifier(tmp_path) is None


@pytest.mark.parametrize(("text", "need"), sorted(SITUATIONS.items()))
def test_a_situation_no_rule_names_gets_an_inferred_need(
    text: str,
    need: str,
    classifier: NeedClassifier,
    seed_rules: CompiledRules,
    seed_snapshot: DirectorySnapshot,
) -> None:
    alone = match_need(text, seed_rules, seed_snapshot)
    assert not alone.matched  # the rules find nothing
    result = match_need(text, seed_rules, seed_snapshot, classifier=classifier)
    assert result.matched and not result.clarifying_questions
    first = result.needs[0]
    assert (first.id, first.inferred, first.evidence) == (need, True, ())
    assert "推定" in first.explanation
    assert result.support_types[0].code == seed_snapshot.needs[need].support_type
    assert result.agencies and all("推定" in r for a in result.agencies for r in a.reasons)
    english = match_need(
        text, seed_rules, seed_snapshot, classifier=classifier, language=ENGLISH.language
    )
    assert english.needs[0].explanation.startswith("No rule matched")


@pytest.mark.parametrize(
    "text",
    [
        "相談したい",  # vague: the desk asks
        "どうしたらええんじゃろか",
        "図書館の開館時間を知りたい",  # everyday life
        "明日の天気を教えて",
        "住民票の写しがほしい",
        "I want to start a bakery",  # English: asked for Japanese
    ],
)
def test_vague_everyday_and_english_texts_get_no_inferred_need(
    text: str,
    classifier: NeedClassifier,
    seed_rules: CompiledRules,
    seed_snapshot: DirectorySnapshot,
) -> None:
    alone = match_need(text, seed_rules, seed_snapshot)
    result = match_need(text, seed_rules, seed_snapshot, classifier=classifier)
    assert not any(n.inferred for n in result.needs)
    assert result.to_dict() == alone.to_dict()


@pytest.mark.parametrize(
    "text",
    ["大学と共同研究したい", "融資は必要ないが技術の相談をしたい", "設備投資の融資を受けたい"],
)
def test_where_a_rule_matches_plainly_the_rules_order_stands(
    text: str,
    classifier: NeedClassifier,
    seed_rules: CompiledRules,
    seed_snapshot: DirectorySnapshot,
) -> None:
    """A plain request the rules read: the classifier may confirm a need (its score rises, a
    推定 reason is added, and a need confirmed may pass one the rules found nearly tied: 設備投資の
    融資 is equipment bought on a loan before a fund's investment) but the needs and the first
    support type stay."""
    alone = match_need(text, seed_rules, seed_snapshot)
    assert alone.matched
    both = match_need(text, seed_rules, seed_snapshot, classifier=classifier)
    assert sorted((n.id, n.negated) for n in both.needs) == sorted(
        (n.id, n.negated) for n in alone.needs
    )
    assert not any(n.inferred for n in both.needs)
    assert both.support_types[0].code == alone.support_types[0].code
    before = {n.id: n.score for n in alone.needs}
    for n in both.needs:
        assert n.score >= before[n.id]


def test_the_fast_guess_is_the_models_own(classifier: NeedClassifier) -> None:
    """`shares` computes what TF-IDF + ComplementNB's predict_proba would, from the fitted
    numbers alone."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import ComplementNB

    from app.matching.classifier import ALPHA, _given

    texts, labels = training_examples(EVAL_DIR)
    vectorizer = TfidfVectorizer(analyzer=_given, sublinear_tf=True)
    model = ComplementNB(alpha=ALPHA).fit(
        vectorizer.fit_transform([classifier.features(t) for t in texts]), labels
    )
    assert tuple(model.classes_) == classifier.classes
    for text in [
        *SITUATIONS,
        *KANA_SITUATIONS,
        "相談したい",
        "ﾕｳｼﾉｿｳﾀﾞﾝ",
        "売上落ちすぎワロタ見直し",
    ]:
        shares = classifier.shares(text)
        assert shares is not None
        expected = model.predict_proba(vectorizer.transform([classifier.features(text)]))[0]
        assert abs(shares - expected).max() < 1e-9
    assert classifier.shares("") is None


@pytest.mark.parametrize(
    "text",
    ["資金繰りが苦しい", "ＢＣＰを作りたい　組合でも", " a  b\tc\u3000d ", "İstanbul ẞ ﬀ", "x", ""],
)
def test_the_character_grams_are_scikit_learns_char_wb(text: str) -> None:
    """`_char_wb_grams` gives what TfidfVectorizer's char_wb analyzer (1-3) gives, in its
    order (the order of first occurrence in which `shares` adds up)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from app.matching.classifier import _char_wb_grams

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)).build_analyzer()
    assert _char_wb_grams(text) == analyzer(text)


def test_the_features_are_characters_words_and_readings(classifier: NeedClassifier) -> None:
    features = classifier.features("資金繰りが苦しい")
    assert "資金" in features  # a character bigram
    words = {f[2:] for f in features if f.startswith("\x1fw")}
    assert {"資金", "苦しい", "資金 繰り"} <= words  # Sudachi's normalized forms, 1-2 words
    readings = {f[2:] for f in features if f.startswith("\x1fr")}
    assert {"シキ", "シキン", "クリ"} <= readings  # reading 2-3-grams
    assert classifier.features("") == []


@pytest.mark.parametrize(("text", "need"), sorted(KANA_SITUATIONS.items()))
def test_kana_typed_without_converting_is_read_by_its_words_and_sounds(
    text: str,
    need: str,
    classifier: NeedClassifier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Character n-grams of kana share little with the kanji the training texts were written
    in; Sudachi's normalized forms and readings do (こうじょう is 工場, コウジョウ)."""
    guess = classifier.guess(text)
    assert guess is not None and guess.need_id == need and guess.lift >= MIN_LIFT
    from app.matching import classifier as module

    monkeypatch.setattr(module, "WORD_NGRAMS", ())
    monkeypatch.setattr(module, "READING_NGRAMS", ())
    chars = NeedClassifier(*training_examples(EVAL_DIR))
    alone = chars.guess(text)
    assert alone is None or alone.need_id != need or alone.lift < guess.lift / 2


def test_a_need_turned_down_is_not_guessed_back(
    classifier: NeedClassifier, seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    result = match_need("融資は要りません", seed_rules, seed_snapshot, classifier=classifier)
    assert not any(n.inferred for n in result.needs)
    assert not result.matched


def test_giving_back_training_memory_needs_no_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    # musl or macOS: no libc.so.6 (OSError) or no malloc_trim (AttributeError); start-up goes on
    calls: list[str] = []

    def missing(name: str) -> object:
        calls.append(name)
        raise OSError(name)

    monkeypatch.setattr(classifier_module.ctypes, "CDLL", missing)
    classifier_module._give_back_training_memory()
    assert calls == ["libc.so.6"]
