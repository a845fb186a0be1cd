"""A second reader beside the rules: a text classifier trained on the labelled development sets.

The rules read the words they were written for; owners describe situations in words no rule
names (「レジのお金が月末に足りなくなる」), and such a text used to get no need at all. This
classifier learned from about 1,700 labelled requests of the development sets (`TRAINING_SETS`:
written by helpers who never saw the rules, in every style: plain, long, clerk, dialect, kana,
chat ...) which need a text expresses. The matcher consults it on every text
(`matcher.second_opinion`): where **no rule matched** its guess becomes an *inferred* need
(`NeedMatch.inferred`, explained as 推定) unless the text is everyday life (the rules' terms, or
the classifier's own two classes for them), English, or the guess is weak (`MIN_LIFT`; a higher
lift beside a vague word such as 相談); where the rules found only a general need, a clear
specific guess outranks it; a clear guess the rules also found counts as one more piece of
evidence (it decides near ties); a very clear guess of another need ranks first.

Model: TF-IDF over character 1–3-grams of the NFKC text (`char_wb`: robust to kana, typos and
dialect endings) and Complement Naive Bayes (scikit-learn), built from the files when a process
starts (`load_classifier`), never downloaded. A guess is computed from the fitted numbers alone
(`shares`): about 0.05–0.1 ms a text (sklearn's own predict_proba copied the 14 MB weight matrix
on every call, about 20 ms). Building it takes about 1 s after scikit-learn's import (the sets
are read with libyaml) and the process about 130 MB more, most of it scikit-learn and SciPy.
Measured before it was kept, and for each use beside the rules: see seed/eval/README.md. The
gated set (`utterances.yaml`) and the sealed held-out sets are never training data.

Other models, measured alone (leave-one-set-out over `TRAINING_SETS`, support type of the top
guess):
word 1–2-grams of Sudachi's normalized forms and reading 2–3-grams beside the characters raise
it from 0.872 to 0.898, a candidate not yet tried in the matcher: it sharpens the probabilities
(every lift threshold would have to be measured again) and tokenizing the training texts costs
about 3 s at start-up; logistic regression (0.866–0.873) and a
calibrated linear SVM (0.878–0.882) are no better and take minutes to cross-validate.

Pure Python apart from scikit-learn: no web framework or database imports.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

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
)
# A guess is taken when its probability is at least this many times the even share of all
# needs (1 / number of needs): Naive Bayes spreads its probabilities thinly over 34 needs, so a
# text that says little (相談したい: 1.2) stays near 1, a described situation well above it.
MIN_LIFT = 2.5
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


class NeedClassifier:
    """Which need a text expresses, by the labelled requests it was trained on.

    scikit-learn fits the model; a guess is then computed from the fitted numbers alone
    (vocabulary, idf, the model's log weights as one features x classes array): sklearn's own
    `predict_proba` copied the whole weight matrix on every call (about 20 ms a text)."""

    def __init__(self, texts: list[str], needs: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import ComplementNB

        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        model = ComplementNB(alpha=0.3)
        model.fit(vectorizer.fit_transform([_clean(t) for t in texts]), needs)
        self._analyse = vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = dict(vectorizer.vocabulary_)
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        # rows: features, columns: classes, contiguous so that a text's rows are read directly
        self._weights = np.ascontiguousarray(model.feature_log_prob_.T, dtype=np.float64)
        self.classes: tuple[str, ...] = tuple(str(c) for c in model.classes_)
        self.size = len(texts)

    def shares(self, text: str) -> np.ndarray | None:
        """The probability of every class (`classes`) for a text; None for an empty text or
        one that shares no n-gram with the training texts."""
        cleaned = _clean(text)
        if not cleaned:
            return None
        counts: dict[int, int] = {}
        for gram in self._analyse(cleaned):
            col = self._vocabulary.get(gram)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        if not counts:
            return None
        cols = np.fromiter(counts, dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (np.log(tf) + 1.0) * self._idf[cols]  # sublinear tf x idf, as TfidfVectorizer
        values /= np.sqrt(values @ values)  # l2 norm
        scores = values @ self._weights[cols]  # ComplementNB's joint log likelihood
        scores -= scores.max()
        shares: np.ndarray = np.exp(scores)
        return shares / shares.sum()

    def guess(self, text: str) -> NeedGuess | None:
        shares = self.shares(text)
        if shares is None:
            return None
        best = int(shares.argmax())
        share = float(shares[best])
        return NeedGuess(self.classes[best], share, share * len(shares))


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()[:MAX_CHARS]


def training_examples(eval_dir: Path) -> tuple[list[str], list[str]]:
    """(text, label) of every labelled request of the development sets: its main need, or
    OUT_OF_SCOPE / VAGUE."""
    texts: list[str] = []
    needs: list[str] = []
    for name in TRAINING_SETS:
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
def load_classifier(eval_dir: Path) -> NeedClassifier | None:
    """The classifier of a seed's development sets (once per process); None without them."""
    texts, needs = training_examples(eval_dir)
    if len(set(needs)) < 2:
        return None
    return NeedClassifier(texts, needs)
