"""Masking personal data in free text before it is stored, counted or logged.

What an owner or a clerk types may hold a person's name, an address, a phone number or an e-mail
address (「山田太郎です。萩市椿東1234-5、090-1234-5678」). `mask_personal_data` replaces each with a
placeholder and keeps the rest of the words, so a masked text still says what the request was:
- e-mail addresses, URLs and phone numbers (Japanese forms, full- or half-width, any dashes) by
  pattern;
- person names by Sudachi's part of speech (名詞・固有名詞・人名);
- addresses: a place name (名詞・固有名詞・地名) followed by a house number (数詞 with 丁目・番地・
  番・号 or dashes). A place name alone (「萩市で開業したい」) is not personal data and stays.

Masking errs on the side of hiding: a shop named after its owner's surname is masked too.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

PLACEHOLDERS = {
    "email": "〈メール〉",
    "url": "〈URL〉",
    "phone": "〈電話番号〉",
    "address": "〈住所〉",
    "name": "〈氏名〉",
}
# Earlier kinds win where spans overlap.
PRIORITY = {kind: rank for rank, kind in enumerate(PLACEHOLDERS)}

_DIGIT = "[0-9０-９]"
_DASH = "[-‐‑‒–—―−－ー]"
_ALNUM = "A-Za-z0-9Ａ-Ｚａ-ｚ０-９"
_EMAIL = re.compile(rf"[{_ALNUM}._%+\-－．＿]+[@＠][{_ALNUM}\-－]+(?:[.．][{_ALNUM}\-－]+)+")
_URL = re.compile(
    r"(?:https?|ｈｔｔｐｓ?)[:：][/／]{2}[^\s　、。「」]+|www\.[^\s　、。「」]+", re.I
)
# 090-1234-5678, 0838-25-3333, (0838)25-3333, 08012345678, +81 90 1234 5678: a leading 0 or +81
# and 9 to 11 more digits, with dashes, spaces or brackets between them.
_PHONE = re.compile(
    rf"(?<![0-9０-９])(?:[+＋]81[\s　]?|[0０]|[(（][0０])(?:{_DIGIT}|{_DASH}|[()（）\s　]){{8,16}}{_DIGIT}"
    r"(?![0-9０-９])"
)
_HOUSE_NUMBER_WORDS = {"丁目", "番地", "番", "号", "の", "区", "条"}


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: str


class PersonalDataMasker:
    """Thread-safe; creates its Sudachi tokenizer on first use."""

    def __init__(self) -> None:
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _tokens(self, text: str) -> list[Any]:
        with self._lock:
            if self._tokenizer is None:
                from sudachipy import Dictionary, SplitMode

                self._tokenizer = Dictionary().tokenizer(mode=SplitMode.C)
            return list(self._tokenizer.tokenize(text))

    def spans(self, text: str) -> list[Span]:
        """Where the personal data is, without overlaps, in order."""
        found = [
            Span(m.start(), m.end(), kind)
            for kind, pattern in (("email", _EMAIL), ("url", _URL), ("phone", _PHONE))
            for m in pattern.finditer(text)
        ]
        found += self._token_spans(text)
        found.sort(key=lambda s: (s.start, PRIORITY[s.kind]))
        merged: list[Span] = []
        for span in found:
            if merged and span.start < merged[-1].end:
                last = merged[-1]
                if PRIORITY[span.kind] < PRIORITY[last.kind]:
                    merged[-1] = Span(last.start, max(last.end, span.end), span.kind)
                else:
                    merged[-1] = Span(last.start, max(last.end, span.end), last.kind)
            elif merged and span.start == merged[-1].end and span.kind == merged[-1].kind:
                merged[-1] = Span(merged[-1].start, span.end, span.kind)
            else:
                merged.append(span)
        return merged

    def _token_spans(self, text: str) -> list[Span]:
        tokens = self._tokens(text)
        spans: list[Span] = []
        i = 0
        while i < len(tokens):
            pos = tokens[i].part_of_speech()
            if pos[1] == "固有名詞" and pos[2] == "人名":
                spans.append(Span(tokens[i].begin(), tokens[i].end(), "name"))
            elif pos[1] == "固有名詞" and pos[2] == "地名":
                end = self._house_number_end(tokens, i + 1)
                if end is not None:
                    spans.append(Span(tokens[i].begin(), end, "address"))
            i += 1
        return spans

    @staticmethod
    def _house_number_end(tokens: list[Any], j: int) -> int | None:
        """Where the house number after a place name ends, or None when there is none."""
        end = None
        while j < len(tokens):
            token = tokens[j]
            surface = token.surface()
            pos = token.part_of_speech()
            if pos[1] == "数詞":
                end = token.end()
            elif pos[2] == "地名" or surface in _HOUSE_NUMBER_WORDS or re.fullmatch(_DASH, surface):
                if end is not None and surface in _HOUSE_NUMBER_WORDS - {"の"}:
                    end = token.end()
            else:
                break
            j += 1
        return end

    def mask(self, text: str) -> str:
        out: list[str] = []
        at = 0
        for span in self.spans(text):
            out.append(text[at : span.start])
            out.append(PLACEHOLDERS[span.kind])
            at = span.end
        out.append(text[at:])
        return "".join(out)


_default = PersonalDataMasker()


def mask_personal_data(text: str) -> str:
    """`text` with person names, addresses, phone numbers, e-mail addresses and URLs replaced
    by placeholders (〈氏名〉〈住所〉〈電話番号〉〈メール〉〈URL〉)."""
    if not text:
        return text
    return _default.mask(text)
