"""Counting what the matcher could not place, to learn new rules from real phrasing.

Stores at most ``max_entries`` distinct texts (least recently seen evicted), each truncated
to 100 characters after masking person names, addresses, e-mail addresses, URLs, phone-like
strings and digits.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

from app.matching.normalize import display_form, fold
from app.matching.pii import mask_personal_data

MissKind = Literal["unmatched", "clarified"]
MAX_TEXT = 100

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_URL = re.compile(r"https?://\S+")
_PHONE = re.compile(r"\+?\d[\d\-() ]{7,}\d")
_DIGITS = re.compile(r"\d")


def mask(text: str) -> str:
    """Mask personal data (names, addresses, phones, e-mail: `mask_personal_data`), fold
    (NFKC, spaces, lower case), then mask what is left that looks personal, and every digit."""
    text = fold(mask_personal_data(display_form(text)))
    text = _URL.sub("<url>", text)
    text = _EMAIL.sub("<email>", text)
    text = _PHONE.sub("<phone>", text)
    text = _DIGITS.sub("#", text)
    return text[:MAX_TEXT]


@dataclass(frozen=True, slots=True)
class MissEntry:
    text: str
    kind: MissKind
    count: int


class MissCounter:
    def __init__(self, max_entries: int = 500) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self._max = max_entries
        self._lock = threading.Lock()
        self._counts: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._totals: dict[str, int] = {"unmatched": 0, "clarified": 0}

    def record(self, text: str, kind: MissKind) -> None:
        self.count(mask(text), kind)

    def count(self, masked: str, kind: MissKind) -> None:
        """Count a text already masked (`mask`): an answer kept from before counts its miss
        again without masking the text again."""
        if kind not in self._totals:
            raise ValueError(f"unknown kind {kind!r}")
        key = (masked, kind)
        with self._lock:
            self._totals[kind] += 1
            self._counts[key] = self._counts.get(key, 0) + 1
            self._counts.move_to_end(key)
            while len(self._counts) > self._max:
                self._counts.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._counts)

    def top(self, n: int = 50) -> list[MissEntry]:
        with self._lock:
            items = list(self._counts.items())
        items.sort(key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))
        return [MissEntry(text, kind, count) for (text, kind), count in items[: max(0, n)]]  # type: ignore[arg-type]

    def stats(self, n: int = 50) -> dict[str, object]:
        with self._lock:
            totals = dict(self._totals)
            distinct = len(self._counts)
        return {
            "totals": totals,
            "distinct": distinct,
            "capacity": self._max,
            "top": [{"text": e.text, "kind": e.kind, "count": e.count} for e in self.top(n)],
        }

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._totals = {"unmatched": 0, "clarified": 0}
