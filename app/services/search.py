"""In-memory substring search for Japanese text (no spaces between words), ranked by relevance.

Each document is a few fields, most telling first (its name, then aliases, then descriptions).
The fields are NFKC-normalised and indexed by character bigrams; a query is answered by
intersecting the posting sets of its bigrams and confirming the substring. Hits are ranked by
where the query was found: the name itself, then a name that starts with it, then a name that
contains it, then the other fields in their order, then a document that has the query's words
only spread over several fields; ties go by id. Built from the directory
snapshot and rebuilt with it, so the database is never scanned with LIKE.
"""

from __future__ import annotations

import unicodedata
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SEPARATOR = "\u0000"  # between fields: no query part can span two fields


def fold(text: str) -> str:
    text = text.replace(SEPARATOR, " ")  # a query's NUL must not reach across two fields
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


class SearchIndex:
    """Documents are numbered in their order; a posting is a compact array of numbers (4 bytes
    a document), so 10k programmes' bigrams take a few MiB, not the 70 MiB of sets of ids."""

    def __init__(self, documents: Iterable[tuple[str, Sequence[str | None]]]) -> None:
        self._ids: list[str] = []
        self._texts: list[str] = []
        self._postings: dict[str, array[int]] = {}
        for doc_id, fields in documents:
            self._add(doc_id, fields, self._postings.setdefault)

    def _add(
        self, doc_id: str, fields: Sequence[str | None], posting_of: Any, number: int | None = None
    ) -> None:
        text = SEPARATOR.join(fold(f) for f in fields if f)
        if number is None:
            number = len(self._ids)
            self._ids.append(doc_id)
            self._texts.append(text)
        else:
            self._texts[number] = text
        for gram in self._grams(text):
            posting_of(gram, array("I")).append(number)

    def replaced(self, documents: Mapping[str, Sequence[str | None] | None]) -> SearchIndex:
        """A new index with these documents' fields replaced (None: removed), sharing every
        posting they do not touch: an edit of one programme among 10k costs a few
        milliseconds, not the whole index. This index is left as it is (requests read it)."""
        new = SearchIndex(())
        new._ids, new._texts = list(self._ids), list(self._texts)
        postings = dict(self._postings)
        copied: set[str] = set()

        def own(gram: str, empty: array[int]) -> array[int]:
            if gram not in copied:
                postings[gram] = array("I", postings.get(gram, empty))
                copied.add(gram)
            return postings[gram]

        number_of = {doc_id: n for n, doc_id in enumerate(self._ids)}
        for doc_id, fields in documents.items():
            number = number_of.get(doc_id)
            if number is not None:  # its old text leaves the postings (a removed one stays "")
                for gram in self._grams(self._texts[number]):
                    posting = own(gram, _EMPTY)
                    if number in posting:
                        posting.remove(number)
                new._texts[number] = ""
            if fields is not None:
                new._add(doc_id, fields, own, number)
        new._postings = postings
        return new

    @staticmethod
    def _grams(text: str) -> set[str]:
        grams = {gram for gram in (text[i : i + 2] for i in range(len(text) - 1))}
        grams.update(text)
        return {gram for gram in grams if SEPARATOR not in gram}

    def _rank(self, number: int, query: str, parts: list[str]) -> tuple[int, str]:
        fields = self._texts[number].split(SEPARATOR)
        name = fields[0]
        if name == query:
            tier = 0
        elif name.startswith(query):
            tier = 1
        elif all(p in name for p in parts):
            tier = 2
        else:
            tier = next(
                (2 + i for i, f in enumerate(fields) if i and all(p in f for p in parts)),
                2 + len(fields),
            )
        return (tier, self._ids[number])

    def search(self, query: str) -> list[str]:
        """Ids of the documents containing every whitespace-separated part of the query, most
        relevant first."""
        folded = fold(query)
        parts = [p for p in folded.split(" ") if p]
        if not parts:
            return []
        keys = {
            key
            for part in parts
            for key in (
                [part] if len(part) == 1 else [part[i : i + 2] for i in range(len(part) - 1)]
            )
        }
        found = sorted((self._postings.get(key, _EMPTY) for key in keys), key=len)
        if not found[0]:
            return []
        candidates = set(found[0])
        for posting in found[1:]:
            candidates.intersection_update(posting)
            if not candidates:
                return []
        texts = self._texts
        hits = [n for n in candidates if all(p in texts[n] for p in parts)]
        hits.sort(key=lambda n: self._rank(n, folded, parts))
        return [self._ids[n] for n in hits]


_EMPTY: array[int] = array("I")
