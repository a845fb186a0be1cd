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

_KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGIT = "[0-9０-９]"
_DASH = "[-‐‑‒–—―−－ーｰ]"
# between the digits of a phone number: dashes, dots, middle dots, slashes, spaces, brackets
_PHONE_SEP = "[-‐‑‒–—―−－ーｰ.．・･/／()（）\\s　]"
_ALNUM = "A-Za-z0-9Ａ-Ｚａ-ｚ０-９"
_EMAIL = re.compile(rf"[{_ALNUM}._%+\-－．＿]+[@＠][{_ALNUM}\-－]+(?:[.．][{_ALNUM}\-－]+)+")
_URL = re.compile(
    r"(?:https?|ｈｔｔｐｓ?)[:：][/／]{2}[^\s　、。「」]+|www\.[^\s　、。「」]+", re.I
)
# 090-1234-5678, 0838-25-3333, (0838)25-3333, 08012345678, +81 90 1234 5678: a leading 0 or +81
# and 9 to 11 more digits, with dashes, spaces or brackets between them.
_PHONE = re.compile(
    rf"(?<![0-9０-９])(?:[+＋]81[\s　]?|[0０]|[(（][0０])(?:{_DIGIT}|{_PHONE_SEP}){{8,16}}{_DIGIT}"
    r"(?![0-9０-９])"
)
# 〒753-0001, 〒7530001
_POSTAL = re.compile(rf"[〒][\s　]?{_DIGIT}{{3}}{_DASH}?{_DIGIT}{{4}}")
_HOUSE_NUMBER_SUFFIXES = {"丁目", "番地", "番", "号"}
# Place names a name tagger may take for a surname: the 市町 of Yamaguchi without 市/町.
_PLACE_STEMS = frozenset(
    [
        "山口",
        "萩",
        "下関",
        "宇部",
        "防府",
        "下松",
        "岩国",
        "光",
        "長門",
        "柳井",
        "美祢",
        "周南",
        "山陽小野田",
        "小野田",
        "周防大島",
        "大島",
        "和木",
        "上関",
        "田布施",
        "平生",
        "阿武",
        "徳山",
        "新南陽",
        "山陽",
    ]
)
_HONORIFICS = {"さん", "様", "さま", "氏", "君", "くん", "ちゃん"}


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
            for kind, pattern in (
                ("email", _EMAIL),
                ("url", _URL),
                ("phone", _PHONE),
                ("address", _POSTAL),
            )
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
        for i, token in enumerate(tokens):
            pos = token.part_of_speech()
            if pos[1] == "固有名詞" and pos[2] == "人名" and self._is_name(tokens, i):
                spans.append(Span(token.begin(), token.end(), "name"))
            elif pos[1] == "固有名詞" and pos[2] == "地名":
                end = self._house_number_end(tokens, i + 1)
                if end is not None:
                    spans.append(Span(token.begin(), end, "address"))
        return spans

    @staticmethod
    def _is_name(tokens: list[Any], i: int) -> bool:
        """A token tagged as a person's name that is one: written with kanji (a kana word the
        tagger calls a name, ゆうし or ショウテン, is far more often a word than a name), not a
        place of Yamaguchi (山口で), not the tail of a compound (税|理士), and of two characters
        or more unless an honorific follows (林さん)."""
        token = tokens[i]
        surface = token.surface()
        if not _KANJI.search(surface) or surface in _PLACE_STEMS:
            return False
        if i > 0:
            before = tokens[i - 1]
            tagged = before.part_of_speech()
            if (
                before.end() == token.begin()
                and tagged[0] == "名詞"
                and tagged[2] != "人名"
                and _KANJI.search(before.surface())
            ):
                return False
        follows = tokens[i + 1].surface() if i + 1 < len(tokens) else ""
        return len(surface) >= 2 or follows in _HONORIFICS

    @staticmethod
    def _house_number_end(tokens: list[Any], j: int) -> int | None:
        """Where the house number after a place name ends (萩市椿東|1234-5, 黄金町|3番2号), or None
        when no number with a house-number suffix or a dash follows (美祢市|の2000万円)."""
        end = None
        numbered = False
        while j < len(tokens):
            token = tokens[j]
            surface = token.surface()
            pos = token.part_of_speech()
            if pos[1] == "数詞":
                end = token.end()
            elif surface in _HOUSE_NUMBER_SUFFIXES and end is not None:
                end, numbered = token.end(), True
            elif re.fullmatch(_DASH, surface) and end is not None:
                numbered = True
            elif pos[2] == "地名" and surface.endswith("丁目"):
                end, numbered = token.end(), True
            elif pos[2] != "地名":
                break
            j += 1
        return end if numbered else None

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
