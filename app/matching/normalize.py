"""Text normalization shared by rule compilation and matching.

Pipeline: NFKC -> whitespace folding -> lower-casing -> SudachiPy (split mode A, so compounds
in user text are split into the short units that rule terms are written in) -> per token
``normalized_form()`` lower-cased again (Sudachi returns e.g. ``BCP`` for ``bcp``).

Rule patterns go through the same pipeline when they are compiled, so authors write natural
Japanese (申し込み / 申込み, 借入れ / 借り入れ and 後継ぎ / 跡継ぎ reach the same tokens).

Particles (助詞), symbols and whitespace are not part of the token stream used for matching;
they only serve to find clause boundaries (punctuation and conjunctive particles such as が,
けど, ので), which scope term sequences and negation, and questions (a clause with a final
particle か/かな/かね/かしら or a question mark), where 「〜はないですか」 asks rather than refuses.

Besides the token stream, every text has a reading stream: the katakana reading of each
morpheme (particles included, symbols and spaces left out), one character each with the content
token it belongs to. Owners type kana without converting (せつびとうし), half-width kana (ﾕｳｼ)
and the wrong kanji of the right sound (保助金, 販露, 融氏); Sudachi splits such text into
pieces whose normalized forms mean nothing, but their readings still spell the words. The
matcher looks rule terms up in the reading stream too (see app/matching/compiler.py).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, replace

MAX_INPUT_CHARS = 1000

_WS = re.compile(r"\s+")
# Conjunctive particles that end a clause: "融資は必要ないが、創業したい".
_CLAUSE_PARTICLES = frozenset(
    {"が", "けれど", "けれども", "けど", "のに", "ので", "から", "し", "ものの", "ながら"}
)
_CLAUSE_PUNCT = frozenset("。、，,.．!！?？;；:：\n()（）「」『』【】")
_DROP_POS = frozenset({"助詞", "補助記号", "空白"})
_NOUN_POS = frozenset({"名詞", "接尾辞", "接頭辞"})
# What the owner wants: a clause with one of these (〜したい, 〜してほしい, 〜と考えている) says the
# request; the other clauses say its background.
_DESIRE_NORMS = frozenset(
    {
        "たい",
        "準備",  # 〜する準備をしている: a plan under way
        "予定",
        "積もり",
        "欲しい",
        "願う",
        "希望",
        "検討",
        "考える",
        "思う",
        "頂ける",
        "頂く",
        "下さる",
        "呉れる",
        "迷う",  # 〜にするかで迷っている: a choice the desk is asked to help with
    }
)
# Interrogatives: a clause with one of them and a か after a predicate asks, even embedded
# (何をどう進めればよいのかわかりません, ショーケースを買い替えるお金をどうするか、です).
_INTERROGATIVES = frozenset(
    {
        "どう",
        "何",
        "どこ",
        "誰",
        "いつ",
        "どれ",
        "どんな",
        "どの",
        "どちら",
        "どっち",
        "如何",
        "何故",
    }
)
# (a te-form 欲しい, normalized to て欲しい below, is a wish too)
# Of these, the verbs and nouns that tell a story when they are past: 〜と思っていました,
# 声をかけてくれました, 〜していただきました, 検討しました narrate what was thought or done; only
# たい and 欲しい want whatever their tense (〜したかったのですが still asks).
_WISH_NORMS = frozenset({"たい", "欲しい"})
# Dialect and old forms of the same word, folded at the token level for rule terms and texts
# alike: 足らん = 足りない (足る + ず), 要らん = 要らない, おる = いる.
_NORM_FOLDS = {"ず": "ない", "無い": "ない", "足る": "足りる", "居る": "いる", "おる": "いる"}
_QUESTION_PARTICLES = frozenset({"か", "かな", "かね", "かしら", "っけ", "かい"})
_QUESTION_PUNCT = frozenset("?？")
_COMMAS = frozenset("、，,")
_SENTENCE_ENDS = frozenset("。．.!！?？\n")
_KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HIRAGANA_TO_KATAKANA = {c: c + 0x60 for c in range(0x3041, 0x3097)}
# Katakana (with the long-vowel mark): what a reading stream is made of.
KATAKANA = re.compile(r"^[\u30a1-\u30fa\u30fc]+$")


def to_katakana(text: str) -> str:
    return text.translate(_HIRAGANA_TO_KATAKANA)


_KATAKANA_TO_HIRAGANA = {c + 0x60: c for c in range(0x3041, 0x3097)}
_HIRAGANA_WORD = re.compile(r"^[\u3041-\u3096ー]{2,}$")
_INFLECTING_POS = frozenset({"動詞", "形容詞"})
_ICHIDAN = ("上一段", "下一段", "カ行変格")
_LONG_MARKS = frozenset("ー〜～")
_PREDICATE_POS = frozenset({("動詞",), ("形容詞",), ("助動詞",), ("形状詞",)})
# Voiced and semi-voiced kana to their plain forms: ガ→カ, ブ/プ→フ.
_DEVOICE = str.maketrans(
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ",
    "カキクケコサシスセソタチツテトハヒフヘホハヒフヘホウ",
)


def devoiced(reading: str) -> str:
    """A katakana reading without voicing marks: compounds gain them (資金繰り is read
    シキングリ, its parts シキン+クリ), so the text's reading is also matched in this form."""
    return reading.translate(_DEVOICE)


_SMALL_KANA = str.maketrans("ァィゥェォャュョッヮ", "アイウエオヤユヨツワ")
_VOWEL_OF = {
    ch: vowel
    for vowel, row in (
        ("ア", "アカサタナハマヤラワ"),
        ("イ", "イキシチニヒミリ"),
        ("ウ", "ウクスツヌフムユル"),
        ("エ", "エケセテネヘメレ"),
        ("オ", "オコソトノホモヨロヲ"),
    )
    for ch in row
}


def is_kana(text: str) -> bool:
    """Whether `text` is written in kana only (what the owner typed without converting)."""
    return not _KANJI.search(text) and not _NOT_KANA.search(text)


_NOT_KANA = re.compile(r"[^\u3041-\u30ffー]")


def loose_reading(reading: str) -> str:
    """A katakana reading as typed in a hurry, same length: without voicing marks (ほしよきん),
    small kana written large (しようひん), and long vowels however spelt (ほうむぺえじ,
    ホームページ, こうじょう all meet): ー and an オ-row + ウ or エ-row + イ become the vowel."""
    chars = list(devoiced(reading).translate(_SMALL_KANA))
    for i in range(1, len(chars)):
        before = _VOWEL_OF.get(chars[i - 1])
        if before and (
            chars[i] == "ー"
            or (chars[i] == "ウ" and before == "オ")
            or (chars[i] == "イ" and before == "エ")
        ):
            chars[i] = before
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    norm: str
    pos: str
    clause: int
    begin: int  # character offsets in NormalizedText.text
    end: int
    # A dictionary word written with kanji: its reading stands for that word only, so a rule
    # term that merely sounds the same (機会 / 機械, 操業 / 創業) is not looked for in it ...
    trusted: bool = False
    # ... unless it is followed by する, which only a する-noun takes: 企業したい is 起業したい,
    # 改行したい is 開業したい (the commonest slip of kana-kanji conversion).
    before_suru: bool = False
    sahen: bool = False  # a noun that takes する (名詞 サ変可能)
    # A dictionary loanword of three katakana or more: no term is read inside it (ドローン does
    # not hide ローン), as none is inside a trusted word.
    loanword: bool = False
    # Clauses joined by a mere comma (親父の会社、俺が継ぐ) form one stretch: a term sequence may
    # run across the comma, negation may not.
    stretch: int = 0
    # Sentences end at 。 ! ? and line breaks: a long text tells its background in some and asks
    # in another.
    sentence: int = 0


@dataclass(frozen=True, slots=True)
class NormalizedText:
    text: str  # NFKC, whitespace-folded, lower-cased, capped
    tokens: tuple[Token, ...]  # content tokens only (no particles / symbols)
    clause_count: int
    reading: str = ""  # katakana reading of every morpheme but symbols and spaces
    # per character of `reading`: the index in `tokens` of its content token, -1 for a particle
    reading_tokens: tuple[int, ...] = ()
    questions: frozenset[int] = frozenset()  # clauses that ask (か, かね, ？ …)
    desires: frozenset[int] = frozenset()  # clauses that say what is wanted (〜したい …)
    display: str = ""  # `text` before lower-casing (same offsets), for evidence shown back

    def shown(self, begin: int, end: int) -> str:
        """The owner's words between two offsets of `text`, in their own letter case."""
        return (self.display or self.text)[begin:end]

    @property
    def norms(self) -> tuple[str, ...]:
        return tuple(t.norm for t in self.tokens)

    def clause_at(self, offset: int) -> int:
        """Clause index of a character offset (for regex matches)."""
        clause = 0
        for tok in self.tokens:
            if tok.begin > offset:
                break
            clause = tok.clause
        return clause


def display_form(text: str) -> str:
    """NFKC + whitespace folding, capped at MAX_INPUT_CHARS: the owner's words as shown back
    (IT導入 stays IT導入; the matcher reads the lower-cased `fold`)."""
    text = unicodedata.normalize("NFKC", text[: MAX_INPUT_CHARS * 2])
    return _WS.sub(" ", text).strip()[:MAX_INPUT_CHARS]


_KATAKANA_LETTER = re.compile(r"[\u30a1-\u30f6]")
_HIRAGANA_LETTER = re.compile(r"[\u3041-\u3096]")
_ROMAJI_WORD = re.compile(r"[A-Za-z]{2,}")
_KATA_TO_HIRA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def alternative_spellings(display: str) -> list[str]:
    """Other spellings of an owner's text that the analyser reads better, tried beside it:

    - kana-only text typed in katakana (ﾐｾｦﾕｽﾞﾘﾀｲｯﾃ, セツビトウシノユウシヲ): the same text in
      hiragana, where Sudachi finds the verbs and particles (katakana loanwords are read better
      as they are, so both are tried). Same length, so offsets stay valid for the evidence.
    - romaji words (iryou kiki no buhin wo つくりたい): each word that is Hepburn romaji and
      spells back to itself (iryou, jidousha; not site, web or LINE) in hiragana.

    `display` is the NFKC form (display_form)."""
    alternatives: list[str] = []
    if not _KANJI.search(display):
        katakana = len(_KATAKANA_LETTER.findall(display))
        if katakana >= 4 and katakana >= len(_HIRAGANA_LETTER.findall(display)):
            alternatives.append(display.translate(_KATA_TO_HIRA))
    words = _ROMAJI_WORD.findall(display)
    if len(words) >= 2:
        import jaconv

        def kana(match: re.Match[str]) -> str:
            word = match.group(0)
            converted = jaconv.alphabet2kana(word.lower())
            if jaconv.kana2alphabet(converted) == word.lower() and not converted.startswith("っ"):
                return str(converted)
            return word

        romaji = _ROMAJI_WORD.sub(kana, display)
        if romaji != display:
            alternatives.append(romaji)
    return alternatives


# Words that are English and never Hepburn romaji (a, to, no, wa ... are both, so not here).
ENGLISH_WORDS = frozenset(
    [
        "i",
        "i'm",
        "i'd",
        "we",
        "my",
        "our",
        "the",
        "and",
        "for",
        "with",
        "want",
        "wants",
        "wanted",
        "need",
        "needs",
        "would",
        "like",
        "help",
        "how",
        "can",
        "could",
        "should",
        "where",
        "what",
        "which",
        "who",
        "is",
        "are",
        "was",
        "have",
        "has",
        "had",
        "get",
        "looking",
        "about",
        "please",
        "this",
        "that",
        "your",
        "you",
        "business",
        "company",
        "shop",
        "store",
        "start",
        "starting",
        "open",
        "opening",
        "loan",
        "loans",
        "grant",
        "grants",
        "subsidy",
        "subsidies",
        "money",
        "fund",
        "funding",
        "support",
        "advice",
        "apply",
        "new",
        "small",
        "of",
        "in",
        "on",
        "from",
        "it",
        "be",
        "not",
        "don't",
        "do",
        "does",
    ]
)
_LATIN_WORD = re.compile(r"[A-Za-z']+")
_LETTER = re.compile(r"\w", re.UNICODE)


def looks_english(text: str) -> bool:
    """True for a text written in English (I want to start a bakery): mostly Latin letters,
    and at least two words that are English and cannot be romaji (want, the, my, business).
    Romaji (iryou kiki no buhin) and Japanese with a few English words (EC サイトを作りたい)
    are not."""
    letters = _LETTER.findall(text)
    if not letters:
        return False
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    latin = sum(len(w) for w in words)
    if latin < 0.8 * len(letters):
        return False
    return sum(1 for w in words if w in ENGLISH_WORDS) >= 2


def fold(text: str) -> str:
    """NFKC + whitespace folding + lower-casing, capped at MAX_INPUT_CHARS."""
    return display_form(text).lower()[:MAX_INPUT_CHARS]


# Yamaguchi (and western Japan) forms that Sudachi cuts wrongly, rewritten letter for letter into
# the standard form of the same length, so every offset stays valid for the evidence:
# 〜ちょる (している: 困っちょる as 困っ+ちょ+る+ん, a negation), 〜ちょらん (していない), 〜ちょります
# (しております), 〜ちょった / 〜ちょって (しとった), and the reason particle けえ / けー (から:
# 食えんけえ is 食えんから, not a suffix). Only after a kana (a verb's stem or じゃ), so that
# ちょっと and ケーキ stay as they are.
_SPOKEN = (
    (re.compile(r"(?<=[ぁ-ゖ])ちょらん"), "ていない"),
    (re.compile(r"(?<=[ぁ-ゖ])ちょる"), "ている"),
    (re.compile(r"(?<=[ぁ-ゖ])ちょり"), "ており"),
    (re.compile(r"(?<=[ぁ-ゖ])ちょっ(?=[たて])"), "とっ"),
    (re.compile(r"(?<=[ぁ-ゖ])け[えぇー](?![ぁ-ゖァ-ヺー])"), "から"),
    (re.compile(r"(?<=[ぁ-ゖ])け[えぇー](?=[ねのよなさ](?![ぁ-ゖ]))"), "から"),
)


def spoken_to_standard(folded: str) -> str:
    """Dialect forms of `folded` in their standard spelling, same length (see _SPOKEN)."""
    if "ちょ" not in folded and "け" not in folded:
        return folded
    for pattern, standard in _SPOKEN:
        folded = pattern.sub(standard, folded)
    return folded


class Normalizer:
    """Creates the Sudachi tokenizer once; thread-safe; keeps a bounded LRU cache."""

    def __init__(self, cache_size: int = 2048) -> None:
        from sudachipy import Dictionary, SplitMode

        self._tokenizer = Dictionary().tokenizer(mode=SplitMode.A)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, NormalizedText] = OrderedDict()
        self._cache_size = max(0, cache_size)

    def fold(self, text: str) -> str:
        return spoken_to_standard(fold(text))

    def normalize(self, text: str) -> NormalizedText:
        display = display_form(text)
        folded = spoken_to_standard(display.lower()[:MAX_INPUT_CHARS])
        with self._lock:
            hit = self._cache.get(display)
            if hit is not None:
                self._cache.move_to_end(display)
                return hit
            # the display form only where lower() kept every offset (it nearly always does)
            result = self._analyse(folded, display if len(display) == len(folded) else "")
            if self._cache_size:
                self._cache[display] = result
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return result

    def terms(self, text: str) -> tuple[str, ...]:
        """Normalized content tokens of a rule term (what the automaton is keyed on)."""
        return self.normalize(text).norms

    def reading(self, text: str) -> str:
        """The katakana reading of a rule term made of nouns ('' otherwise, or if a part of it
        is not kana). Verbs and adjectives inflect, and kana text already reaches them through
        Sudachi's normalized forms (ほしい is 欲しい); their readings would only add noise."""
        nt = self.normalize(text)
        if any(t.pos not in _NOUN_POS for t in nt.tokens):
            return ""
        return nt.reading if KATAKANA.match(nt.reading) else ""

    def kana_verb(self, text: str) -> str:
        """For a rule term that is one verb or adjective (建てる, 調べる), its dictionary form in
        hiragana (たてる): what Sudachi gives as the normalized form of that word typed in kana,
        which it cannot tie to one kanji. '' for any other term."""
        with self._lock:
            morphemes = list(self._tokenizer.tokenize(fold(text)))
        if len(morphemes) != 1 or morphemes[0].part_of_speech()[0] not in _INFLECTING_POS:
            return ""
        with self._lock:
            dictionary = list(self._tokenizer.tokenize(morphemes[0].dictionary_form()))
        reading = "".join(m.reading_form() for m in dictionary)
        kana = reading.translate(_KATAKANA_TO_HIRAGANA)
        return kana if _HIRAGANA_WORD.match(kana) and kana != morphemes[0].normalized_form() else ""

    def is_suru_noun(self, text: str) -> bool:
        """Whether a rule term is one noun that takes する (起業, 開業, 融資)."""
        tokens = self.normalize(text).tokens
        return len(tokens) == 1 and tokens[0].sahen

    def _analyse(self, folded: str, display: str = "") -> NormalizedText:
        tokens: list[Token] = []
        reading: list[str] = []
        reading_tokens: list[int] = []
        questions: set[int] = set()
        desires: set[int] = set()
        told: set[int] = set()  # clauses with a desire verb not (yet) put in the past
        asked_at = -1  # the clause a question particle just closed (-1: the last was none)
        wondering = -1  # the last clause with an interrogative (どう, 何, どこ …)
        stretch = 0
        sentence = 0
        clause = 0
        if not folded:
            return NormalizedText(folded, (), 0, display=display)
        before: tuple[str, ...] = ()  # part of speech of the previous morpheme
        previous: tuple[str, ...] = ()
        for m in self._tokenizer.tokenize(folded):
            surface = m.surface()
            pos = m.part_of_speech()
            before, previous, earlier = pos, before, previous
            # 〜ないかと打診された, 作りませんかって言われた: a question quoted (か + と / って)
            # is what someone else asked, or what the owner wonders (〜ないかと考えている: a
            # wish, found by 考える), not a question put to the desk
            if asked_at >= 0 and pos[0] == "助詞" and surface in ("と", "って"):
                questions.discard(asked_at)
            asked_at = -1
            # ので / んで (の + 助動詞 で) after a predicate: a reason, which ends the clause like
            # から (するんで, 高いので); not a kana word cut before で (ぱそこん|で)
            if (
                surface == "で"
                and pos[0] == "助動詞"
                and previous[1:2] == ("準体助詞",)
                and earlier[:1] in _PREDICATE_POS
            ):
                clause += 1
                stretch += 1
                continue
            if pos[0] in _DROP_POS:
                # a long-vowel mark Sudachi cut off a kana word (ぺー|じ) still belongs to its
                # reading: ほーむぺーじ is read ホームページ
                if pos[0] == "補助記号" and surface and set(surface) <= _LONG_MARKS and tokens:
                    reading.append("ー" * len(surface))
                    reading_tokens.extend([len(tokens) - 1] * len(surface))
                if pos[0] == "助詞":
                    embedded = (
                        pos[1] == "副助詞"
                        and surface == "か"
                        and wondering == clause
                        and (previous[:1] in _PREDICATE_POS or previous[1:2] == ("準体助詞",))
                    )
                    if embedded or (pos[1] == "終助詞" and surface in _QUESTION_PARTICLES):
                        if clause not in questions:
                            asked_at = clause
                        questions.add(clause)
                    kana = m.reading_form()
                    if _HIRAGANA_LETTER.search(kana):
                        kana = to_katakana(kana)
                    reading.append(kana)
                    reading_tokens.extend([-1] * len(kana))
                if (pos[0] == "補助記号" and surface in _CLAUSE_PUNCT) or (
                    pos[1] == "接続助詞" and surface in _CLAUSE_PARTICLES
                ):
                    if surface in _QUESTION_PUNCT:
                        questions.add(clause)
                    clause += 1
                    stretch += surface not in _COMMAS
                    sentence += surface in _SENTENCE_ENDS
                continue
            if surface in _CLAUSE_PUNCT:
                if surface in _QUESTION_PUNCT:
                    questions.add(clause)
                clause += 1
                stretch += surface not in _COMMAS
                sentence += surface in _SENTENCE_ENDS
                continue
            kana = m.reading_form()
            if _HIRAGANA_LETTER.search(kana):  # nearly always katakana already
                kana = to_katakana(kana)
            reading.append(kana)
            reading_tokens.extend([len(tokens)] * len(kana))
            normalized = m.normalized_form()
            norm = _NORM_FOLDS.get(normalized, normalized).lower()
            # 〜してほしい asks someone to do something: its 欲しい wants no object, so a rule
            # [資金, 欲しい] does not read 資金の計画を立ててほしい as 資金が欲しい.
            if norm == "欲しい" and previous[1:2] == ("接続助詞",):
                norm = "て欲しい"
            # 回らんかもしれん: after a verb's irrealis form ん is a negative, not the classical
            # volitional Sudachi reads there (む)
            if surface == "ん" and norm == "む" and previous[5:6] == ("未然形-一般",):
                norm = "ない"
            # やり方, 売り方: a verb's stem + 方 is a noun (a way of doing), not the verb: 店の
            # やり方 is no plan to run a shop
            if (
                surface == "方"
                and pos[0] == "接尾辞"
                and tokens
                and previous[:1] == ("動詞",)
                and previous[5:6] == ("連用形-一般",)
            ):
                tokens[-1] = replace(tokens[-1], norm=tokens[-1].norm + "方")
            # どう進めたらいいんでしょう, どこに聞けばいいのだろう: 〜ばいい + の + でしょう asks
            # without a か
            if (
                pos[0] == "助動詞"
                and pos[5] == "意志推量形"
                and previous[1:2] == ("準体助詞",)
                and tokens
                and tokens[-1].norm == "良い"
            ):
                questions.add(clause)
            if norm in _INTERROGATIVES:
                wondering = clause
            if normalized in _WISH_NORMS:
                desires.add(clause)
            elif normalized in _DESIRE_NORMS:
                told.add(clause)
            elif norm == "た" and pos[0] == "助動詞" and not pos[5].startswith("仮定形"):
                # 〜と思っていました, 〜してくれました, 出したいと思って相談したところ: the past,
                # told (but 〜したかった, a wish put politely, still wants)
                told.discard(clause)
                if previous[:1] != ("形容詞",) and tokens and tokens[-1].norm != "たい":
                    desires.discard(clause)
            if tokens and normalized == "為る" and tokens[-1].end == m.begin():
                tokens[-1] = replace(tokens[-1], before_suru=True)
            tokens.append(
                Token(
                    surface=surface,
                    norm=norm,
                    pos=pos[0],
                    clause=clause,
                    begin=m.begin(),
                    end=m.end(),
                    trusted=not m.is_oov() and len(surface) > 1 and bool(_KANJI.search(surface)),
                    loanword=not m.is_oov() and len(surface) > 2 and bool(KATAKANA.match(surface)),
                    sahen=pos[2] == "サ変可能",
                    stretch=stretch,
                    sentence=sentence,
                )
            )
            # 売れんのよ, 足りんけど, 来んのよ: Sudachi reads an ichidan verb with a final ん as
            # its contracted dictionary form (売れる), where owners who speak western Japanese
            # mean the negative (売れない); the ん stands for ない.
            if (
                pos[5] == "連体形-撥音便"
                and pos[4].startswith(_ICHIDAN)
                and surface.endswith("ん")
                and _KANJI.search(surface) is not None
            ):
                tokens.append(
                    replace(
                        tokens[-1],
                        surface="ん",
                        norm="ない",
                        pos="助動詞",
                        begin=m.end() - 1,
                        trusted=False,
                        sahen=False,
                    )
                )
        return NormalizedText(
            folded,
            tuple(tokens),
            clause + 1,
            "".join(reading),
            tuple(reading_tokens),
            frozenset(questions),
            frozenset(desires | told),
            display,
        )
