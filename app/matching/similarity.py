"""The nearest needs to a text that no rule matched, by a similarity that needs no network.

Each need gets a profile: its label and the descriptions and terms of its rules. A text and a
profile are compared as TF-IDF vectors over two kinds of features:

- the normalized content tokens (Sudachi's normalized forms: 融資, 開業, 販路);
- character bigrams of the katakana reading stream, so that kana-only text, half-width kana
  and wrong kanji of the right sound still meet the words of the profile.

The result serves two places: the clarifying options of a match that found no need (the
nearest needs are offered first, before the fixed topic list) and the rule suggestions built
from what the matcher missed (GET /v1/admin/rules/suggestions). `make eval` measures how often
the expected need is among the nearest three for the in-scope texts that no rule matched.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass

from app.matching.compiler import CompiledRules
from app.matching.normalize import NormalizedText, Normalizer
from app.matching.rules import RegexPattern
from app.matching.snapshot import DirectorySnapshot

# Below this cosine a need is not offered: the text shares too little with it; and the nearest
# need must reach FIRST_SIMILARITY for any to be offered (measured on the development sets).
MIN_SIMILARITY = 0.06
FIRST_SIMILARITY = 0.09
# Words of any request (相談したい, 教えてほしい): they tell no need from another.
STOP_NORMS = frozenset(
    {
        "為る",
        "たい",
        "ない",
        "いる",
        "ある",
        "成る",
        "事",
        "こと",
        "です",
        "ます",
        "相談",
        "支援",
        "教える",
        "聞く",
        "困る",
        "方法",
        "窓口",
        "制度",
        "利用",
        "受ける",
        "欲しい",
        "思う",
        "考える",
        "良い",
        "分かる",
        "出来る",
        "行く",
        "係る",
        "図る",
        "掛かる",
        "頂く",
        "下さる",
        "御",
        "為さる",
        "遣る",
        "取り組み",
        "取組",
        "取り組む",
    }
)


def _features(nt: NormalizedText, all_readings: bool = False) -> Counter[str]:
    """Token features, and reading bigrams within the runs of characters that belong to
    content words (particles and request words such as 相談 are left out). A text's dictionary
    words in kanji are compared by their tokens only (今日 is not 共同 for sounding キョウ);
    their readings serve the profiles, which kana-only text meets through its readings."""
    features: Counter[str] = Counter()
    keep = [tok.norm not in STOP_NORMS and (all_readings or not tok.trusted) for tok in nt.tokens]
    for tok in nt.tokens:
        if tok.norm not in STOP_NORMS:
            features["t:" + tok.norm] += 1
    reading, owner = nt.reading, nt.reading_tokens
    for i in range(len(reading) - 1):
        a, b = owner[i], owner[i + 1]
        if a >= 0 and b >= 0 and keep[a] and keep[b]:
            features["r:" + reading[i : i + 2]] += 1
    return features


@dataclass(frozen=True)
class NeedProfiles:
    idf: dict[str, float]
    vectors: dict[str, dict[str, float]]  # need id -> unit TF-IDF vector

    def nearest(
        self, nt: NormalizedText, k: int = 3, min_similarity: float = MIN_SIMILARITY
    ) -> list[tuple[str, float]]:
        """The k needs most similar to the text, best first (ties by id)."""
        weights = {f: c * self.idf[f] for f, c in _features(nt).items() if f in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if not norm:
            return []
        scored = []
        for need_id, vector in self.vectors.items():
            dot = sum(w * vector.get(f, 0.0) for f, w in weights.items())
            score = dot / norm
            if score >= min_similarity:
                scored.append((need_id, round(score, 4)))
        scored.sort(key=lambda x: (-x[1], x[0]))
        if not scored or scored[0][1] < FIRST_SIMILARITY:
            return []
        return scored[:k]


def build_profiles(compiled: CompiledRules, snapshot: DirectorySnapshot) -> NeedProfiles:
    normalizer: Normalizer = compiled.normalizer
    texts: dict[str, list[str]] = {nid: [need.label] for nid, need in snapshot.needs.items()}
    for rule in compiled.rules:
        if rule.need not in texts:
            continue
        if rule.description:
            texts[rule.need].append(rule.description)
        for pattern in rule.patterns:
            if isinstance(pattern, RegexPattern):
                continue
            texts[rule.need].append(pattern if isinstance(pattern, str) else " ".join(pattern))
    counts: dict[str, Counter[str]] = {}
    for nid, parts in texts.items():
        c: Counter[str] = Counter()
        for part in parts:
            c.update(_features(normalizer.normalize(part), all_readings=True))
        counts[nid] = c
    df: Counter[str] = Counter()
    for c in counts.values():
        df.update(set(c))
    n = len(counts) or 1
    idf = {f: math.log((1 + n) / (1 + d)) + 1.0 for f, d in df.items()}
    vectors: dict[str, dict[str, float]] = {}
    for nid, c in counts.items():
        weighted = {f: (1.0 + math.log(v)) * idf[f] for f, v in c.items()}
        length = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
        vectors[nid] = {f: w / length for f, w in weighted.items()}
    return NeedProfiles(idf, vectors)


_lock = threading.Lock()
_cache: list[tuple[CompiledRules, DirectorySnapshot, NeedProfiles]] = []


def need_profiles(compiled: CompiledRules, snapshot: DirectorySnapshot) -> NeedProfiles:
    """The profiles of a rule set and directory, built once (a few recent pairs are kept)."""
    with _lock:
        for c, s, p in _cache:
            if c is compiled and s is snapshot:
                return p
    profiles = build_profiles(compiled, snapshot)
    with _lock:
        _cache.append((compiled, snapshot, profiles))
        del _cache[:-4]
    return profiles
