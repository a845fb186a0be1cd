"""Text normalization shared by rule compilation and matching.

Pipeline: NFKC -> whitespace folding -> lower-casing -> SudachiPy (split mode A, so compounds
in user text are split into the short units that rule terms are written in) -> per token
``normalized_form()`` lower-cased again (Sudachi returns e.g. ``BCP`` for ``bcp``).

Rule patterns go through the same pipeline when they are compiled, so authors write natural
Japanese (申し込み / 申込み, 借入れ / 借り入れ and 後継ぎ / 跡継ぎ reach the same tokens).

Particles (助詞), symbols and whitespace are not part of the token stream used for matching;
they only serve to find clause boundaries (punctuation and conjunctive particles such as が,
けど, ので), which scope term sequences and negation.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

MAX_INPUT_CHARS = 1000

_WS = re.compile(r"\s+")
# Conjunctive particles that end a clause: "融資は必要ないが、創業したい".
_CLAUSE_PARTICLES = frozenset(
    {"が", "けれど", "けれども", "けど", "のに", "ので", "から", "し", "ものの", "ながら"}
)
_CLAUSE_PUNCT = frozenset("。、，,.．!！?？;；:：\n()（）「」『』【】")
_DROP_POS = frozenset({"助詞", "補助記号", "空白"})


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    norm: str
    pos: str
    clause: int
    begin: int  # character offsets in NormalizedText.text
    end: int


@dataclass(frozen=True, slots=True)
class NormalizedText:
    text: str  # NFKC, whitespace-folded, lower-cased, capped
    tokens: tuple[Token, ...]  # content tokens only (no particles / symbols)
    clause_count: int

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


def fold(text: str) -> str:
    """NFKC + whitespace folding + lower-casing, capped at MAX_INPUT_CHARS."""
    text = unicodedata.normalize("NFKC", text[: MAX_INPUT_CHARS * 2])
    text = _WS.sub(" ", text).strip().lower()
    return text[:MAX_INPUT_CHARS]


class Normalizer:
    """Creates the Sudachi tokenizer once; thread-safe; keeps a bounded LRU cache."""

    def __init__(self, cache_size: int = 2048) -> None:
        from sudachipy import Dictionary, SplitMode

        self._tokenizer = Dictionary().tokenizer(mode=SplitMode.A)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, NormalizedText] = OrderedDict()
        self._cache_size = max(0, cache_size)

    def fold(self, text: str) -> str:
        return fold(text)

    def normalize(self, text: str) -> NormalizedText:
        folded = fold(text)
        with self._lock:
            hit = self._cache.get(folded)
            if hit is not None:
                self._cache.move_to_end(folded)
                return hit
            result = self._analyse(folded)
            if self._cache_size:
                self._cache[folded] = result
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return result

    def terms(self, text: str) -> tuple[str, ...]:
        """Normalized content tokens of a rule term (what the automaton is keyed on)."""
        return self.normalize(text).norms

    def _analyse(self, folded: str) -> NormalizedText:
        tokens: list[Token] = []
        clause = 0
        if not folded:
            return NormalizedText(folded, (), 0)
        for m in self._tokenizer.tokenize(folded):
            surface = m.surface()
            pos = m.part_of_speech()
            if pos[0] in _DROP_POS:
                if (pos[0] == "補助記号" and surface in _CLAUSE_PUNCT) or (
                    pos[1] == "接続助詞" and surface in _CLAUSE_PARTICLES
                ):
                    clause += 1
                continue
            if surface in _CLAUSE_PUNCT:
                clause += 1
                continue
            tokens.append(
                Token(
                    surface=surface,
                    norm=m.normalized_form().lower(),
                    pos=pos[0],
                    clause=clause,
                    begin=m.begin(),
                    end=m.end(),
                )
            )
        return NormalizedText(folded, tuple(tokens), clause + 1)
