"""Compile a RuleSet into one Aho-Corasick automaton over the normalized token stream.

Every rule term (and the negation cues and vague terms of the lexicon) is normalized with the
same Normalizer as user text and keyed as ``SEP tok1 SEP tok2 ... SEP``; the user's token
stream is joined the same way, so keys only match on token boundaries.

Synonyms are applied here, at compile time: a lexicon entry is an equivalence class, and a
rule term whose normalized tokens equal those of any member also gets a key for every other
member. User text is never rewritten, so evidence shows what the user wrote.

Every term (with its synonyms) is also keyed by its katakana reading in a second automaton,
over the reading stream of the text (app/matching/normalize.py): that is how kana-only input,
half-width kana and wrong kanji of the right sound reach the rules. Only readings of at least
`MIN_READING_CHARS` characters are keyed, so that short readings do not collide.

Match time depends on the text and the hits, not on the number of rules: the automata find
term hits in one pass each, and a sequence pattern is only examined when its first term was hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from app.matching.normalize import Normalizer, loose_reading
from app.matching.rules import (
    ClarifyingQuestion,
    NeedVocabulary,
    RegexPattern,
    Rule,
    RuleError,
    RuleSet,
    compile_rule_regex,
)

SEP = "\x1f"

# Kinds of automaton keys (a key can be several at once).
KIND_TERM = 1
KIND_NEGATION = 2
KIND_VAGUE = 4
KIND_CONTRAST = 8  # a negation cue that contrasts (AではなくB): it also ends a term sequence
KIND_PRIVATE = 16  # an everyday-life term (住宅ローン, 年金 …): out of scope, hits inside ignored
KIND_BUSINESS = 32  # a word that puts the text in a business (店, 会社, 従業員 …)
KIND_AVOIDANCE = 64  # a negation cue of not wanting (〜たくない, 〜ずに): see Negation.avoided

# A reading shorter than this is not keyed: ユウシ (3) is, ミセ (2) is not.
MIN_READING_CHARS = 3
# A loose reading (normalize.loose_reading) collides more easily: it is keyed from this length.
MIN_LOOSE_READING_CHARS = 4
# In reading_terms, the reading of a vague term (ソウダン) rather than of a rule term.
VAGUE_READING = -1


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    rule_index: int
    terms: tuple[int, ...]  # term ids, in order
    token_len: int  # total tokens of the pattern (specificity)
    # the terms after the first: a text that lacks one of them cannot complete the sequence
    later: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class CompiledRegex:
    rule_index: int
    regex: Any  # an RE2 pattern (linear time): .search(text) -> match with start/end/group


@dataclass(frozen=True)
class CompiledRules:
    normalizer: Normalizer
    rules: tuple[Rule, ...]
    automaton: ahocorasick.Automaton
    # automaton value: key index; the per-key tuples below give its payload
    key_kinds: tuple[int, ...]  # bit set of KIND_*
    key_terms: tuple[tuple[int, ...], ...]  # for KIND_TERM keys: term ids
    key_token_len: tuple[int, ...]
    patterns_by_first_term: dict[int, tuple[CompiledPattern, ...]]
    # reading automaton (characters of katakana readings): value = index into reading_terms
    reading_automaton: ahocorasick.Automaton | None
    reading_terms: tuple[tuple[int, ...], ...]
    reading_lengths: tuple[int, ...]
    reading_suru: tuple[bool, ...]  # the key is the reading of a する-noun term
    # negation cues over the folded text: value = (length, KIND_NEGATION | KIND_CONTRAST)
    cue_automaton: ahocorasick.Automaton | None
    regexes: tuple[CompiledRegex, ...]
    clarifying_questions: tuple[ClarifyingQuestion, ...]
    vocabularies: dict[str, NeedVocabulary]
    term_count: int
    key_count: int
    # the same readings in their loose form (normalize.loose_reading), over the loose form of
    # the text's reading: value = index into reading_terms
    loose_automaton: ahocorasick.Automaton | None = None
    # per need, the programmes its rules name, the most often named first (at most
    # TYPICAL_PROGRAMMES): what a need the classifier inferred brings of its own
    programmes_by_need: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def rule_count(self) -> int:
        return len(self.rules)


TYPICAL_PROGRAMMES = 3


def _programmes_by_need(rules: tuple[Rule, ...]) -> dict[str, tuple[str, ...]]:
    """Per need, the programmes its rules list, by how many rules list them (then by the first
    rule's order)."""
    counts: dict[str, dict[str, int]] = {}
    for rule in rules:
        need = counts.setdefault(rule.need, {})
        for pid in rule.programmes:
            need[pid] = need.get(pid, 0) + 1
    return {
        nid: tuple(sorted(c, key=lambda pid: -c[pid])[:TYPICAL_PROGRAMMES])
        for nid, c in counts.items()
        if c
    }


def _key(tokens: tuple[str, ...]) -> str:
    return SEP + SEP.join(tokens) + SEP


def compile_rules(rule_set: RuleSet, normalizer: Normalizer) -> CompiledRules:
    lexicon = rule_set.lexicon
    # Synonym classes over normalized token tuples.
    classes: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    readings: dict[tuple[str, ...], set[str]] = {}  # token tuple -> readings of its spellings
    suru_readings: set[str] = set()  # readings of terms that are one する-noun (起業, 開業)

    def note_reading(text: str, tokens: tuple[str, ...]) -> None:
        reading = normalizer.reading(text)
        if len(reading) >= MIN_READING_CHARS:
            readings.setdefault(tokens, set()).add(reading)
            if normalizer.is_suru_noun(text):
                suru_readings.add(reading)

    for syn in lexicon.synonyms:
        for t in [syn.canonical, *syn.variants]:
            note_reading(t, normalizer.terms(t))
        members = {normalizer.terms(t) for t in [syn.canonical, *syn.variants]}
        members.discard(())
        merged = set(members)
        for m in members:
            merged |= classes.get(m, set())
        for m in merged:
            classes[m] = merged

    term_ids: dict[tuple[str, ...], int] = {}
    key_index: dict[str, int] = {}
    key_terms: list[set[int]] = []
    key_len: list[int] = []
    key_kind: list[int] = []

    def add_key(tokens: tuple[str, ...], kind: int, term_id: int) -> None:
        k = _key(tokens)
        idx = key_index.get(k)
        if idx is None:
            idx = len(key_terms)
            key_index[k] = idx
            key_terms.append(set())
            key_len.append(len(tokens))
            key_kind.append(0)
        key_kind[idx] |= kind
        if kind == KIND_TERM:
            key_terms[idx].add(term_id)

    reading_index: dict[str, set[int]] = {}

    def term_id_of(text: str) -> int:
        tokens = normalizer.terms(text)
        if not tokens:
            raise ValueError(f"term {text!r} normalizes to nothing")
        note_reading(text, tokens)
        tid = term_ids.get(tokens)
        if tid is None:
            tid = len(term_ids)
            term_ids[tokens] = tid
            for variant in classes.get(tokens, {tokens}) | {tokens}:
                add_key(variant, KIND_TERM, tid)
            # the verb typed in kana (こうじょうを|たてたい): Sudachi's normalized form is then
            # the kana dictionary form, which is keyed too
            kana = normalizer.kana_verb(text)
            if kana:
                add_key((kana,), KIND_TERM, tid)
        return tid

    by_first: dict[int, list[CompiledPattern]] = {}
    regexes: list[CompiledRegex] = []
    for ri, rule in enumerate(rule_set.rules):
        for pattern in rule.patterns:
            if isinstance(pattern, RegexPattern):
                regexes.append(CompiledRegex(ri, compile_rule_regex(pattern.regex)))
                continue
            seq = [pattern] if isinstance(pattern, str) else list(pattern)
            try:
                tids = tuple(term_id_of(t) for t in seq)
            except ValueError as exc:
                where = rule_set.sources.get(rule.id, "?")
                raise RuleError(f"{where}: rule {rule.id}: field patterns: {exc}") from exc
            token_len = sum(len(normalizer.terms(t)) for t in seq)
            by_first.setdefault(tids[0], []).append(
                CompiledPattern(ri, tids, token_len, frozenset(tids[1:]))
            )

    for tokens, tid in term_ids.items():
        for variant in classes.get(tokens, {tokens}) | {tokens}:
            for reading in readings.get(variant, ()):
                reading_index.setdefault(reading, set()).add(tid)

    # Negation cues are looked up in the folded text itself, not in normalized tokens: their
    # particles carry the meaning (ではなく normalizes to a bare 無い, which every ないですか has).
    cue_automaton = ahocorasick.Automaton()
    cue_kinds: dict[str, int] = {}
    for cue in lexicon.negation_cues:
        for phrase in cue.phrases:
            folded = normalizer.fold(phrase)
            if folded:
                cue_kinds[folded] = cue_kinds.get(folded, 0) | (
                    KIND_NEGATION
                    | (KIND_CONTRAST if cue.contrast else 0)
                    | (KIND_AVOIDANCE if cue.avoidance else 0)
                )
    for folded, kind in cue_kinds.items():
        cue_automaton.add_word(folded, (len(folded), kind))
    if cue_kinds:
        cue_automaton.make_automaton()
    for term in lexicon.vague_terms:
        tokens = normalizer.terms(term)
        if tokens:
            add_key(tokens, KIND_VAGUE, -1)
        reading = normalizer.reading(term)
        if len(reading) >= MIN_READING_CHARS:  # ｿｳﾀﾞﾝ ｼﾀｲ
            reading_index.setdefault(reading, set()).add(VAGUE_READING)
    for term in lexicon.private_life_terms:
        tokens = normalizer.terms(term)
        if tokens:
            add_key(tokens, KIND_PRIVATE, -1)
    for term in lexicon.business_context_terms:
        tokens = normalizer.terms(term)
        if tokens:
            add_key(tokens, KIND_BUSINESS, -1)

    automaton = ahocorasick.Automaton()
    for k, idx in key_index.items():
        automaton.add_word(k, idx)
    automaton.make_automaton()

    reading_automaton = None
    loose_automaton = None
    reading_terms: list[tuple[int, ...]] = []
    reading_lengths: list[int] = []
    reading_suru: list[bool] = []
    if reading_index:
        reading_automaton = ahocorasick.Automaton()
        for reading, term_set in sorted(reading_index.items()):
            reading_automaton.add_word(reading, len(reading_terms))
            reading_terms.append(tuple(sorted(term_set)))
            reading_lengths.append(len(reading))
            reading_suru.append(reading in suru_readings)
        reading_automaton.make_automaton()
        loose_index: dict[str, set[int]] = {}
        for reading, i in zip(sorted(reading_index), range(len(reading_terms)), strict=True):
            loose = loose_reading(reading)
            if loose != reading and len(loose) >= MIN_LOOSE_READING_CHARS:
                loose_index.setdefault(loose, set()).add(i)
        if loose_index:
            loose_automaton = ahocorasick.Automaton()
            for loose, indexes in sorted(loose_index.items()):
                terms = sorted({t for i in indexes for t in reading_terms[i]})
                loose_automaton.add_word(loose, len(reading_terms))
                reading_terms.append(tuple(terms))
                reading_lengths.append(len(loose))
                reading_suru.append(any(reading_suru[i] for i in indexes))
            loose_automaton.make_automaton()

    return CompiledRules(
        normalizer=normalizer,
        rules=rule_set.rules,
        automaton=automaton,
        key_kinds=tuple(key_kind),
        key_terms=tuple(tuple(sorted(s)) for s in key_terms),
        key_token_len=tuple(key_len),
        patterns_by_first_term={k: tuple(v) for k, v in by_first.items()},
        reading_automaton=reading_automaton,
        loose_automaton=loose_automaton,
        cue_automaton=cue_automaton if cue_kinds else None,
        reading_terms=tuple(reading_terms),
        reading_lengths=tuple(reading_lengths),
        reading_suru=tuple(reading_suru),
        regexes=tuple(regexes),
        clarifying_questions=tuple(lexicon.clarifying_questions),
        vocabularies=dict(rule_set.vocabularies),
        term_count=len(term_ids),
        key_count=len(key_index),
        programmes_by_need=_programmes_by_need(rule_set.rules),
    )
