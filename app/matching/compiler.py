"""Compile a RuleSet into one Aho-Corasick automaton over the normalized token stream.

Every rule term (and the negation cues and vague terms of the lexicon) is normalized with the
same Normalizer as user text and keyed as ``SEP tok1 SEP tok2 ... SEP``; the user's token
stream is joined the same way, so keys only match on token boundaries.

Synonyms are applied here, at compile time: a lexicon entry is an equivalence class, and a
rule term whose normalized tokens equal those of any member also gets a key for every other
member. User text is never rewritten, so evidence shows what the user wrote.

Match time depends on the text and the hits, not on the number of rules: the automaton finds
term hits in one pass, and a sequence pattern is only examined when its first term was hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from app.matching.normalize import Normalizer
from app.matching.rules import (
    ClarifyingQuestion,
    NeedVocabulary,
    RegexPattern,
    Rule,
    RuleError,
    RuleSet,
)

SEP = "\x1f"

# Kinds of automaton keys (a key can be several at once).
KIND_TERM = 1
KIND_NEGATION = 2
KIND_VAGUE = 4


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    rule_index: int
    terms: tuple[int, ...]  # term ids, in order
    token_len: int  # total tokens of the pattern (specificity)


@dataclass(frozen=True, slots=True)
class CompiledRegex:
    rule_index: int
    regex: re.Pattern[str]


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
    regexes: tuple[CompiledRegex, ...]
    clarifying_questions: tuple[ClarifyingQuestion, ...]
    vocabularies: dict[str, NeedVocabulary]
    term_count: int
    key_count: int

    @property
    def rule_count(self) -> int:
        return len(self.rules)


def _key(tokens: tuple[str, ...]) -> str:
    return SEP + SEP.join(tokens) + SEP


def compile_rules(rule_set: RuleSet, normalizer: Normalizer) -> CompiledRules:
    lexicon = rule_set.lexicon
    # Synonym classes over normalized token tuples.
    classes: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for syn in lexicon.synonyms:
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

    def term_id_of(text: str) -> int:
        tokens = normalizer.terms(text)
        if not tokens:
            raise ValueError(f"term {text!r} normalizes to nothing")
        tid = term_ids.get(tokens)
        if tid is None:
            tid = len(term_ids)
            term_ids[tokens] = tid
            for variant in classes.get(tokens, {tokens}) | {tokens}:
                add_key(variant, KIND_TERM, tid)
        return tid

    by_first: dict[int, list[CompiledPattern]] = {}
    regexes: list[CompiledRegex] = []
    for ri, rule in enumerate(rule_set.rules):
        for pattern in rule.patterns:
            if isinstance(pattern, RegexPattern):
                regexes.append(CompiledRegex(ri, re.compile(pattern.regex)))
                continue
            seq = [pattern] if isinstance(pattern, str) else list(pattern)
            try:
                tids = tuple(term_id_of(t) for t in seq)
            except ValueError as exc:
                where = rule_set.sources.get(rule.id, "?")
                raise RuleError(f"{where}: rule {rule.id}: field patterns: {exc}") from exc
            token_len = sum(len(normalizer.terms(t)) for t in seq)
            by_first.setdefault(tids[0], []).append(CompiledPattern(ri, tids, token_len))

    for cue in lexicon.negation_cues:
        for phrase in cue.phrases:
            tokens = normalizer.terms(phrase)
            if tokens:
                add_key(tokens, KIND_NEGATION, -1)
    for term in lexicon.vague_terms:
        tokens = normalizer.terms(term)
        if tokens:
            add_key(tokens, KIND_VAGUE, -1)

    automaton = ahocorasick.Automaton()
    for k, idx in key_index.items():
        automaton.add_word(k, idx)
    automaton.make_automaton()

    return CompiledRules(
        normalizer=normalizer,
        rules=rule_set.rules,
        automaton=automaton,
        key_kinds=tuple(key_kind),
        key_terms=tuple(tuple(sorted(s)) for s in key_terms),
        key_token_len=tuple(key_len),
        patterns_by_first_term={k: tuple(v) for k, v in by_first.items()},
        regexes=tuple(regexes),
        clarifying_questions=tuple(lexicon.clarifying_questions),
        vocabularies=dict(rule_set.vocabularies),
        term_count=len(term_ids),
        key_count=len(key_index),
    )
