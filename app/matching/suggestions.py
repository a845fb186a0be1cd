"""Rule suggestions from what the matcher missed: the misses grouped by their nearest need.

`GET /v1/admin/rules/suggestions` takes the masked texts that /v1/match/stats counted as
unmatched or clarified, finds the nearest need of each (app/matching/similarity.py), groups them
by that need and proposes, per group, the words the texts share that no rule of the need has
yet: a draft rule for an editor to try in `POST /v1/admin/rules/dry-run` and publish through
the gate. Nothing is written; a text too far from every need is listed as unassigned.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from app.matching.compiler import CompiledRules
from app.matching.misses import MissEntry
from app.matching.rules import RegexPattern
from app.matching.similarity import STOP_NORMS, need_profiles
from app.matching.snapshot import DirectorySnapshot

MAX_TERMS = 8
_SKIP_POS = frozenset({"助動詞", "接尾辞", "接頭辞", "代名詞", "感動詞", "記号"})
_MASKED = re.compile(r"^[#<]")


@dataclass(frozen=True)
class Suggestion:
    need_id: str
    label: str
    support_type: str
    count: int  # how many requests the grouped texts stand for
    texts: tuple[str, ...]  # masked, most frequent first
    terms: tuple[str, ...]  # words the texts share that the need's rules do not know
    similarity: float  # the best similarity of a grouped text to the need

    def draft_rule(self, theme: str = "suggested") -> dict[str, object]:
        return {
            "theme": theme,
            "rule": {
                "id": f"{theme}.{self.need_id}",
                "need": self.need_id,
                "description": f"未一致の相談から提案（{self.label}）",
                "patterns": list(self.terms) or [self.label],
                "weight": 0.6,
            },
        }


@dataclass(frozen=True)
class Suggestions:
    items: tuple[Suggestion, ...]
    unassigned: tuple[MissEntry, ...]


def _known_terms(compiled: CompiledRules, need_id: str) -> set[str]:
    known: set[str] = set()
    for rule in compiled.rules:
        if rule.need != need_id:
            continue
        for pattern in rule.patterns:
            if isinstance(pattern, RegexPattern):
                continue
            for term in [pattern] if isinstance(pattern, str) else pattern:
                known.update(compiled.normalizer.terms(term))
    return known


def suggest(
    misses: list[MissEntry], compiled: CompiledRules, snapshot: DirectorySnapshot
) -> Suggestions:
    profiles = need_profiles(compiled, snapshot)
    groups: dict[str, list[tuple[MissEntry, float]]] = defaultdict(list)
    unassigned: list[MissEntry] = []
    for miss in misses:
        nearest = profiles.nearest(compiled.normalizer.normalize(miss.text), k=1)
        if nearest:
            groups[nearest[0][0]].append((miss, nearest[0][1]))
        else:
            unassigned.append(miss)
    items: list[Suggestion] = []
    for need_id, grouped in groups.items():
        need = snapshot.needs[need_id]
        known = _known_terms(compiled, need_id)
        words: Counter[str] = Counter()
        for miss, _ in grouped:
            for tok in compiled.normalizer.normalize(miss.text).tokens:
                if (
                    tok.pos not in _SKIP_POS
                    and len(tok.surface) > 1
                    and tok.norm not in known
                    and tok.norm not in STOP_NORMS
                    and not _MASKED.match(tok.surface)
                ):
                    words[tok.surface] += miss.count
        grouped.sort(key=lambda x: (-x[0].count, x[0].text))
        items.append(
            Suggestion(
                need_id=need_id,
                label=need.label,
                support_type=need.support_type,
                count=sum(m.count for m, _ in grouped),
                texts=tuple(m.text for m, _ in grouped[:10]),
                terms=tuple(w for w, _ in words.most_common(MAX_TERMS)),
                similarity=max(s for _, s in grouped),
            )
        )
    items.sort(key=lambda s: (-s.count, s.need_id))
    return Suggestions(tuple(items), tuple(unassigned))
