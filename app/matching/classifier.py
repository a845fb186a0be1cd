"""A second reader beside the rules: a text classifier trained on the labelled development sets.

The rules read the words they were written for; owners describe situations in words no rule
names (「レジのお金が月末に足りなくなる」), and such a text used to get no need at all. This
classifier learned from about 4,000 labelled requests of the development sets (`TRAINING_SETS`:
written by helpers who never saw the rules, in every style: plain, long, clerk, dialect, kana,
chat ...) which need a text expresses. The matcher consults it on every text
(`matcher.second_opinion`): where **no rule matched** its guess becomes an *inferred* need
(`NeedMatch.inferred`, explained as 推定) unless the text is everyday life (the rules' terms, or
the classifier's own two classes for them), English, or the guess is weak (`MIN_LIFT`, and as
much beside a vague word such as 相談); where the rules found only a general need, a clear
specific guess outranks it; a clear guess the rules also found counts as one more piece of
evidence (it decides near ties); a very clear guess of another need ranks first. Where no rule
found a need, the lifts of the needs of the guess's support type added up
(`NeedGuess.kind_lift`) stand for a guess split between two of them beside a business word, and
a guess of the vague class asks the clarifying questions (`matcher.vague_by_classifier`).

Model: TF-IDF over three kinds of n-grams and Complement Naive Bayes (scikit-learn, alpha
0.1), built from the files when a process starts (`load_classifier`), never downloaded:
character 1–3-grams of the NFKC text (`char_wb`: robust to typos and dialect endings), word
1–2-grams of Sudachi's normalized forms and 2–3-grams of the katakana reading (the matcher's
`Normalizer`: kana typed without converting, dialect and the wrong kanji of the right sound meet
the words the training texts were written in). The matcher passes each text's analysis
(`NormalizedText`), so a text is tokenized once per request. A guess is computed from the fitted
numbers alone (`shares`): about 0.05 ms a text (0.03 ms with characters only; sklearn's own
predict_proba copied the weight matrix on every call, about 20 ms). Building it takes 8–12 s on
the sixteen sets of 3,996 texts on a loaded machine (2–2.7 s on nine sets of 1,896; a Sudachi
dictionary of its own reads the training texts, then goes), and a worker about 160 MB more
(docs/operations.md: scikit-learn and SciPy, the 154k x 36 weights, and what training leaves in
the heap once most of it is handed back, `_give_back_training_memory`). Measured before it was
kept, and for each use beside the rules: see seed/eval/README.md. The gated set (`utterances.yaml`) and the sealed held-out sets are never
training data.

Models measured (`python -m app.matching.crossval [--pipeline]`: leave-one-set-out over
`TRAINING_SETS`; support type of the top guess on the 1,699 in-scope items / the guess is the
label on all 1,896 / the matcher's fully right with that classifier):
characters only, alpha 0.3 (before) 0.921 / 0.821 / 0.956; + words and readings 0.939 / 0.841
(0.956 at the old lifts); + alpha 0.1 **0.942 / 0.842 / 0.959** (with the lifts re-measured:
`MIN_LIFT` 3.5, matcher.VAGUE_MIN_LIFT 3.5, the others unchanged). Characters only at alpha 0.1:
0.956 fully right. Readings do most of it (without the words 0.936 / 0.841); word 3-grams, reading
4-grams add nothing. (An earlier measure of words and readings alone, by another count of the
support type: 0.872 → 0.898.) Earlier: logistic regression and a calibrated linear SVM were no better
than characters-only Naive Bayes and take minutes to cross-validate.

`speech-6.yaml` (300 items written for this, on long stories, trades' own words, everyday
situations and vague requests) joined the training sets in the sixth session: the matcher's
fully right on it by leave-one-set-out was 0.863; with it, leave-one-set-out over the other nine
0.962 → 0.961 (−2 of 1,896), 12d–12g 802 → 802 of 855, the sealed 12j/12k/12l 544 → 544 of 600
(−2, +2, ±0) and 12m 175 → 180 of 200 (12m was written at the same time as speech-6 under a
similar brief, so part of that may be shared phrasing): neutral where it can be checked, kept as
more labelled data of the weakest kinds.

Pure Python apart from scikit-learn: no web framework or database imports.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from operator import add
from pathlib import Path

import numpy as np
import yaml

from app.matching.normalize import NormalizedText, Normalizer

# libyaml's loader where PyYAML has it: the pure-Python one took seconds for the nine sets
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The development sets (seed/eval/): looked at and tuned against already, so they may teach.
TRAINING_SETS = (
    "dev-2026-11.yaml",
    "dev-2026-12.yaml",
    "dev-2026-12b.yaml",
    "dev-2026-12c.yaml",
    "speech.yaml",
    "speech-2.yaml",
    "speech-3.yaml",
    "speech-4.yaml",
    "speech-5.yaml",
    "speech-6.yaml",
    "speech-7.yaml",
    "speech-8.yaml",
    "speech-9.yaml",
    "speech-10.yaml",
    "speech-11.yaml",
    "speech-12.yaml",
)
# A guess is taken when its probability is at least this many times the even share of all
# needs (1 / number of needs): Naive Bayes spreads its probabilities thinly over 34 needs, so a
# text that says little (相談したい: 1.2) stays near 1, a described situation well above it.
# (2.5 with characters only; the sharper model gave 図書館の開館時間を知りたい 3.1 and
# 水道料金の支払い方法を変えたい 2.9.)
MIN_LIFT = 3.5
MAX_CHARS = 1000
# Two more classes learnt from the same sets, so that the classifier can also say "no need":
# everyday life (住民票, 図書館の開館時間, ラーメン屋) and vague requests (相談したい).
OUT_OF_SCOPE = "_out_of_scope"
VAGUE = "_vague"


@dataclass(frozen=True, slots=True)
class NeedGuess:
    need_id: str
    share: float  # the classifier's probability for that need (0..1)
    lift: float  # share x the number of needs: 1 is no better than an even guess
    # the lifts of every class of the guess's kind added up (`guess(kinds=...)`: the needs of
    # one support type); 0 when no kinds were given or the guess has none
    kind_lift: float = 0.0


class NeedClassifier:
    """Which need a text expresses, by the labelled requests it was trained on.

    scikit-learn fits the model; a guess is then computed from the fitted numbers alone
    (vocabulary, idf, the model's log weights as one features x classes array): sklearn's own
    `predict_proba` copied the whole weight matrix on every call (about 20 ms a text).

    `normalizer` tokenizes the training texts (and a text whose analysis the caller does not
    pass): the matcher's own, so that a text is analysed once per request."""

    def __init__(
        self, texts: list[str], needs: list[str], normalizer: Normalizer | None = None
    ) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import ComplementNB

        # the caller's normalizer stays for texts given without their analysis; without one, a
        # tokenizer of its own reads the training texts and goes (the matcher passes each text's
        # analysis: a second Sudachi dictionary need not stay in memory)
        self._normalizer = normalizer
        vectorizer = TfidfVectorizer(analyzer=_given, sublinear_tf=True)
        model = ComplementNB(alpha=ALPHA)
        reader = normalizer or Normalizer(cache_size=0)
        documents = [self.features(t, reader.normalize(t)) for t in texts]
        model.fit(vectorizer.fit_transform(documents), needs)
        # the n-grams kept, each copied: the originals lie among the millions of strings of
        # the training documents, and would hold that freed memory in the process for good
        self._vocabulary: dict[str, int] = {
            (gram + " ")[:-1]: col for gram, col in vectorizer.vocabulary_.items()
        }
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        # rows: features, columns: classes, contiguous so that a text's rows are read directly
        self._weights = np.ascontiguousarray(model.feature_log_prob_.T, dtype=np.float64)
        self.classes: tuple[str, ...] = tuple(str(c) for c in model.classes_)
        self.size = len(texts)

    def features(self, text: str, nt: NormalizedText | None = None) -> list[str]:
        """The n-grams a text is read by: characters 1–3 of its NFKC form; words 1–2 of
        Sudachi's normalized forms (売れない, 売れん and うれない meet); reading 2–3-grams
        (kana and the wrong kanji of the right sound meet the word they spell). `nt`: the text's
        analysis by the same normalizer, if the caller has it."""
        cleaned = _clean(text)
        if not cleaned:
            return []
        grams = _char_wb_grams(cleaned)
        if nt is None:
            nt = (self._normalizer or _shared_normalizer()).normalize(text)
        norms = [t.norm for t in nt.tokens]
        if 1 in WORD_NGRAMS:
            grams += [_WORD + n for n in norms]
        if 2 in WORD_NGRAMS:
            grams += [f"{_WORD}{a} {b}" for a, b in pairwise(norms)]
        reading = nt.reading
        for size in READING_NGRAMS:
            grams += [_READING + reading[i : i + size] for i in range(len(reading) - size + 1)]
        return grams

    def shares(self, text: str, nt: NormalizedText | None = None) -> np.ndarray | None:
        """The probability of every class (`classes`) for a text; None for an empty text or
        one that shares no n-gram with the training texts."""
        # the count of every known n-gram by its column, in the order of first occurrence (the
        # order the sums below have always added up in: the probabilities stay bit for bit)
        counts = Counter(map(self._vocabulary.get, self.features(text, nt)))
        counts.pop(None, None)
        if not counts:
            return None
        cols = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        # sublinear tf x idf, as TfidfVectorizer, then the l2 norm (in place: a numpy call costs
        # more than its arithmetic on ~100 values)
        values = np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        values += 1.0
        values *= self._idf[cols]
        values /= math.sqrt(values @ values)
        # ComplementNB's joint log likelihood (take: a row copy, quicker than fancy indexing)
        scores: np.ndarray = values @ self._weights.take(cols, axis=0)
        scores -= scores.max()
        np.exp(scores, out=scores)
        scores /= scores.sum()
        return scores

    def guess(
        self,
        text: str,
        nt: NormalizedText | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> NeedGuess | None:
        """The most probable class. `kinds` (class -> its kind, e.g. a need's support type):
        the guess also carries the lifts of all classes of its kind added up (`kind_lift`), as
        sure of the kind of support as of the need when the probability is split between two
        needs of one kind (溶接の仕上げ: technological innovation or technical consultation)."""
        shares = self.shares(text, nt)
        if shares is None:
            return None
        best = int(shares.argmax())
        share = float(shares[best])
        need_id = self.classes[best]
        kind = kinds.get(need_id) if kinds else None
        kind_lift = 0.0
        if kinds and kind is not None:
            same = [i for i, c in enumerate(self.classes) if kinds.get(c) == kind]
            kind_lift = float(shares[same].sum()) * len(shares)
        return NeedGuess(need_id, share, share * len(shares), kind_lift)


# Prefixes of the word and reading features: control characters, never in a cleaned text, so
# that they do not meet a character n-gram.
_WORD = "\x1fw"
_READING = "\x1fr"
WORD_NGRAMS = (1, 2)
READING_NGRAMS = (2, 3)
ALPHA = 0.1  # ComplementNB's smoothing (0.3 with characters only)


def _char_wb_grams(cleaned: str) -> list[str]:
    """Character 1–3-grams of each word, padded with a space on either side: what
    scikit-learn's `char_wb` analyzer (ngram_range (1, 3), lower-cased) gives, in its order (per
    word: the 1-grams, the 2-grams, then the 3-grams), without its per-gram Python loop."""
    grams: list[str] = []
    for word in cleaned.lower().split():
        padded = f" {word} "
        pairs = list(map(add, padded, padded[1:]))
        grams += padded
        grams += pairs
        grams += map(add, pairs, padded[2:])
    return grams


def _given(features: list[str]) -> list[str]:
    """The analyzer of the vectorizer: the features are computed beforehand (`features`)."""
    return features


@cache
def _shared_normalizer() -> Normalizer:
    return Normalizer()


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()[:MAX_CHARS]


def training_examples(
    eval_dir: Path, sets: tuple[str, ...] = TRAINING_SETS
) -> tuple[list[str], list[str]]:
    """(text, label) of every labelled request of the development sets (`sets`: all of them,
    or some for cross-validation): its main need, or OUT_OF_SCOPE / VAGUE."""
    texts: list[str] = []
    needs: list[str] = []
    for name in sets:
        path = eval_dir / name
        if not path.exists():
            continue
        for item in yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader).get(
            "utterances", []
        ):
            expect = item.get("expect") or {}
            labelled = expect.get("needs") or []
            if expect.get("matched") is False:
                label = OUT_OF_SCOPE
            elif expect.get("clarify"):
                label = VAGUE
            elif labelled:
                label = str(labelled[0])
            else:
                continue
            texts.append(str(item["text"]))
            needs.append(label)
    return texts, needs


@cache
def load_classifier(eval_dir: Path, normalizer: Normalizer | None = None) -> NeedClassifier | None:
    """The classifier of a seed's development sets (once per process and normalizer); None
    without them."""
    texts, needs = training_examples(eval_dir)
    if len(set(needs)) < 2:
        return None
    classifier = NeedClassifier(texts, needs, normalizer)
    _give_back_training_memory()
    return classifier


def _give_back_training_memory() -> None:
    """Training leaves a few hundred MB of freed memory in the process (millions of n-gram
    strings, scikit-learn's intermediate arrays); collect it and, where the C library is glibc,
    hand its free pages back to the system (measured: one worker 675 → 536 MiB)."""
    gc.collect()
    # not glibc (OSError, AttributeError): the memory stays free for the process's own use
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
