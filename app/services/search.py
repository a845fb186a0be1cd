"""In-memory substring search for Japanese text (no spaces between words).

Each document's text is NFKC-normalised and indexed by character bigrams; a query is answered by
intersecting the posting sets of its bigrams and confirming the substring. Built from the
directory snapshot and rebuilt with it, so the database is never scanned with LIKE.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


class SearchIndex:
    def __init__(self, documents: Iterable[tuple[str, str]]) -> None:
        self._order: dict[str, int] = {}
        self._texts: dict[str, str] = {}
        self._postings: dict[str, set[str]] = {}
        for doc_id, text in documents:
            folded = fold(text)
            self._order[doc_id] = len(self._order)
            self._texts[doc_id] = folded
            for gram in self._grams(folded):
                self._postings.setdefault(gram, set()).add(doc_id)

    @staticmethod
    def _grams(text: str) -> set[str]:
        grams = set(text)
        grams.update(text[i : i + 2] for i in range(len(text) - 1))
        return grams

    def search(self, query: str) -> list[str]:
        """Ids of the documents containing every whitespace-separated part of the query."""
        parts = [p for p in fold(query).split(" ") if p]
        if not parts:
            return []
        candidates: set[str] | None = None
        for part in parts:
            keys = [part] if len(part) == 1 else [part[i : i + 2] for i in range(len(part) - 1)]
            for key in keys:
                posting = self._postings.get(key, set())
                candidates = set(posting) if candidates is None else candidates & posting
                if not candidates:
                    return []
        assert candidates is not None
        hits = [d for d in candidates if all(p in self._texts[d] for p in parts)]
        return sorted(hits, key=self._order.__getitem__)

    def __len__(self) -> int:
        return len(self._texts)
