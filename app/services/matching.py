"""Glue between the pure matcher core and the app: rules, compilation, municipalities.

The rules and the lexicon are rows of ``matcher_rule`` and ``lexicon_entry`` (seeded from
``seed/rules`` and ``seed/lexicon.yaml``, then edited through ``/v1/admin/rules`` and
``/v1/admin/lexicon``). They are compiled whenever the directory snapshot is rebuilt, which
happens in every worker when ``directory_state.version`` moves; every rule write bumps it.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.core.caching import BoundedLru, json_bytes
from app.matching import (
    CompiledRules,
    MatchResult,
    Normalizer,
    RuleError,
    RuleSet,
    compile_rules,
    load_rules,
    match_need,
    validate_rule_refs,
)
from app.matching.classifier import NeedClassifier, load_classifier
from app.matching.evaluate import EvalReport, Utterance, evaluate, load_utterances
from app.matching.matcher import find_needs, local_offices, snapshot_index
from app.matching.rules import (
    LEXICON_ENTRY_MODELS,
    TERM_KINDS,
    Lexicon,
    LexiconRecord,
    NeedVocabulary,
    RuleRecord,
    lexicon_entry_id,
    load_vocabularies,
    parse_rule,
    rule_set_from_records,
    rule_source,
)
from app.matching.snapshot import DirectorySnapshot
from app.matching.status import as_utc
from app.models import LexiconEntry, MatcherRule
from app.services.lookups import resolve_municipality_code
from app.services.snapshot import Directory, ExtraBuilder

log = logging.getLogger("madoguchi.matching")


@lru_cache(maxsize=1)
def shared_normalizer() -> Normalizer:
    """SudachiPy's dictionary is large: one tokenizer per process."""
    return Normalizer()


@lru_cache(maxsize=4)
def need_vocabularies(seed_dir: Path) -> dict[str, NeedVocabulary]:
    """The national vocabularies of each need (jGrants, ミラサポplus).

    They stay a file (``seed/need_vocabularies.yaml``): fixed national lists mapped once by the
    maintainers, not partner-edited data, so they are not rows of the database.
    """
    path = seed_dir / "need_vocabularies.yaml"
    return load_vocabularies(path) if path.exists() else {}


@lru_cache(maxsize=4)
def labelled_utterances(path: Path) -> tuple[Utterance, ...]:
    return tuple(load_utterances(path))


# ---------------------------------------------------------------- rules from the database


def rule_rows(session: Session) -> list[MatcherRule]:
    """Every rule row in compile order: theme (file) by theme, then position."""
    return list(
        session.exec(
            select(MatcherRule).order_by(
                col(MatcherRule.theme), col(MatcherRule.position), col(MatcherRule.id)
            )
        )
    )


def lexicon_rows(session: Session) -> list[LexiconEntry]:
    return list(
        session.exec(
            select(LexiconEntry).order_by(
                col(LexiconEntry.kind), col(LexiconEntry.position), col(LexiconEntry.id)
            )
        )
    )


def _valid_records(
    rules: list[RuleRecord], lexicon: list[LexiconRecord]
) -> tuple[list[RuleRecord], list[LexiconRecord]]:
    """Drop (and log) records that do not validate on their own, so that one bad row written
    behind the API's back cannot take the matcher down."""
    good_rules: list[RuleRecord] = []
    for theme, body in rules:
        try:
            parse_rule(body, rule_source(theme))
        except RuleError as exc:
            log.error("skipping invalid rule row: %s", exc)
            continue
        good_rules.append((theme, body))
    good_lexicon: list[LexiconRecord] = []
    seen: set[str] = set()
    for kind, body in lexicon:
        model = LEXICON_ENTRY_MODELS.get(kind)
        try:
            if model is None:
                raise ValueError(f"unknown lexicon section {kind!r}")
            model.model_validate(dict(body))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            log.error("skipping invalid lexicon row %s/%s: %s", kind, body.get("id"), exc)
            continue
        key = lexicon_entry_id(kind, body)
        if kind not in TERM_KINDS and key in seen:
            log.error("skipping lexicon row %s/%s: duplicate id", kind, key)
            continue
        seen.add(key)
        good_lexicon.append((kind, body))
    return good_rules, good_lexicon


def rule_set_from_database(session: Session, seed_dir: Path) -> RuleSet | None:
    """The rule set of the database rows, or None when both tables are empty."""
    rules: list[RuleRecord] = [(r.theme, r.body) for r in rule_rows(session)]
    lexicon: list[LexiconRecord] = [(e.kind, e.body) for e in lexicon_rows(session)]
    if not rules and not lexicon:
        return None
    vocabularies = need_vocabularies(seed_dir)
    try:
        return rule_set_from_records(rules, lexicon, vocabularies)
    except RuleError as exc:
        log.error("invalid matcher rows in the database: %s", exc)
        return rule_set_from_records(*_valid_records(rules, lexicon), vocabularies)


# ---------------------------------------------------------------- evaluation of a generation


class RuleEvaluation:
    """The labelled evaluation set's report for one compiled rule set and snapshot.

    Computed on first use and then kept: it lives in the Directory extras, so there is one per
    directory version and a rule write only has to evaluate its candidate.
    """

    def __init__(
        self, compiled: CompiledRules, snapshot: DirectorySnapshot, utterances_path: Path
    ) -> None:
        self.compiled = compiled
        self.snapshot = snapshot
        self.utterances_path = utterances_path
        self._report: EvalReport | None = None
        self._lock = threading.Lock()

    def utterances(self) -> tuple[Utterance, ...]:
        return labelled_utterances(self.utterances_path)

    def report(self) -> EvalReport:
        if self._report is None:
            with self._lock:
                if self._report is None:
                    self._report = evaluate(list(self.utterances()), self.compiled, self.snapshot)
        return self._report


@dataclass(frozen=True)
class MatcherState:
    """What the rule editor needs from one generation of the in-memory directory."""

    compiled: CompiledRules
    evaluation: RuleEvaluation
    source: str  # "database" or "files"
    seed_dir: Path


def _compile_leniently(rule_set: RuleSet) -> CompiledRules:
    """Compile; if a row written behind the API's back does not compile, leave that rule out
    (and log it) rather than fail every request of the worker."""
    normalizer = shared_normalizer()
    try:
        return compile_rules(rule_set, normalizer)
    except RuleError as exc:
        log.error("matcher rules do not compile: %s", exc)
    empty = Lexicon()
    good = []
    for rule in rule_set.rules:
        try:
            compile_rules(RuleSet((rule,), empty), normalizer)
        except RuleError as exc:
            log.error("leaving out rule %s: %s", rule.id, exc)
            continue
        good.append(rule)
    return compile_rules(replace(rule_set, rules=tuple(good)), normalizer)


def matcher_builder(seed_dir: Path, *, classifier: bool = True) -> ExtraBuilder:
    """Compile the rules from the database whenever the directory snapshot is rebuilt.

    A database whose rule tables are still empty (seeded before migration 0003 and not seeded
    since) falls back to the files, with a warning, until ``python -m app.seeding`` loads them.
    """

    def need_classifier() -> NeedClassifier | None:
        # trained once per process from the development sets (5-10 s, Sudachi and scikit-learn)
        return load_classifier(seed_dir / "eval") if classifier else None

    def build(
        session: Session, snapshot: DirectorySnapshot, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        state: MatcherState | None = (previous or {}).get("matcher")
        if state is not None:
            # a patch: the rules did not change (a rule edit rebuilds everything), so they stay
            # compiled; only the evaluation follows the new snapshot
            evaluation = RuleEvaluation(state.compiled, snapshot, state.evaluation.utterances_path)
            return {
                "compiled_rules": state.compiled,
                "matcher": replace(state, evaluation=evaluation),
                "need_classifier": need_classifier(),
            }
        rule_set = rule_set_from_database(session, seed_dir)
        source = "database"
        if rule_set is None:
            log.warning("matcher_rule is empty: reading the rules from %s", seed_dir / "rules")
            rule_set = load_rules(seed_dir / "rules", seed_dir / "lexicon.yaml")
            source = "files"
        for problem in validate_rule_refs(rule_set, snapshot):
            log.warning("rule reference problem: %s", problem)
        compiled = _compile_leniently(rule_set)
        evaluation = RuleEvaluation(compiled, snapshot, seed_dir / "eval" / "utterances.yaml")
        return {
            "compiled_rules": compiled,
            "matcher": MatcherState(compiled, evaluation, source, seed_dir),
            "need_classifier": need_classifier(),
        }

    return build


def run_match(
    directory: Directory,
    text: str,
    municipality: str | None,
    limit: int,
    language: str = "ja",
    now: datetime | None = None,
) -> MatchResult:
    """The match of a text, from memory only; `now` (the app's clock) decides which national
    subsidies accept applications (none are chosen without it)."""
    compiled: CompiledRules = directory.extras["compiled_rules"]
    code = resolve_municipality_code(directory.snapshot, municipality)
    return match_need(
        text,
        compiled,
        directory.snapshot,
        municipality=code,
        limit=limit,
        language=language,
        now=now,
        classifier=directory.extras.get("need_classifier"),
    )


@dataclass(frozen=True, slots=True)
class MatchAnswer:
    """A finished POST /v1/match body and what the route counts of it."""

    body: bytes
    matched: bool
    clarified: bool


def national_bounds(snapshot: DirectorySnapshot) -> list[datetime]:
    """The sorted instants at which a national subsidy of the snapshot opens or closes."""
    return sorted(
        {
            as_utc(instant)
            for p in snapshot.national_programmes
            for instant in (p.acceptance_start, p.acceptance_end)
            if instant is not None
        }
    )


def national_epoch(bounds: list[datetime], now: datetime | None) -> tuple[int, bool]:
    """Which stretch of time `now` is in between those instants (`national_bounds`), and whether
    it is one of them: within one stretch the same subsidies accept applications, so a match
    answered earlier in it is still right."""
    if now is None:
        return (-1, False)
    at = as_utc(now)
    i = bisect_left(bounds, at)
    return (i, i < len(bounds) and bounds[i] == at)


class MatchAnswers:
    """The answers of POST /v1/match for the directory generation now served, kept so that a
    text asked again (a chatbot's buttons, 「補助金を知りたい」 at every desk, a retry) costs a
    lookup instead of a match: keyed by a hash of the text (the text itself is not kept), the
    市町, the limit, the language and the stretch of time in which the same national subsidies
    accept applications; emptied when the generation changes; at most `max_bytes`. The route
    still counts every request (outcomes, unmatched texts). On the event loop only."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._generation: Directory | None = None
        self._bounds: list[datetime] = []
        self._answers: BoundedLru[tuple[Any, ...], MatchAnswer] = BoundedLru(max_bytes)
        self.hits = 0
        self.misses = 0

    def epoch(self, directory: Directory, now: datetime | None) -> tuple[int, bool]:
        """The stretch of time `now` is in for the directory's national subsidies
        (`national_epoch`): a kept answer is right within one stretch only."""
        self._follow(directory)
        return national_epoch(self._bounds, now)

    def _follow(self, directory: Directory) -> None:
        if directory is not self._generation:
            self._generation = directory
            self._bounds = national_bounds(directory.snapshot)
            self._answers = BoundedLru(self.max_bytes)

    def answer(
        self,
        directory: Directory,
        text: str,
        municipality: str | None,
        limit: int,
        language: str,
        now: datetime | None,
    ) -> MatchAnswer:
        self._follow(directory)
        key = (
            blake2b(text.encode(), digest_size=16).digest(),
            municipality,
            limit,
            language,
            national_epoch(self._bounds, now),
        )
        found = self._answers.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        result = run_match(directory, text, municipality, limit, language, now=now)
        payload = result.to_dict()
        payload["snapshot_version"] = directory.snapshot.version
        answer = MatchAnswer(json_bytes(payload), result.matched, result.clarified)
        if self.max_bytes > 0:
            self._answers.put(key, answer, len(answer.body) + 300)
        return answer


def need_ids_of(directory: Directory, text: str) -> list[str] | None:
    """The needs the matcher finds in a text (negated ones left out), for referral statistics;
    None when this app runs without a matcher. The needs of `match_need`, by its first stages
    only (`find_needs`): a referral keeps no ranking of agencies, programmes or contact points,
    and those stages cost more than the needs (tests/test_referrals.py holds the two to the
    same answer)."""
    compiled: CompiledRules | None = directory.extras.get("compiled_rules")
    if compiled is None:
        return None
    _, _, rows = find_needs(
        text, compiled, directory.snapshot, directory.extras.get("need_classifier")
    )
    return [row.need.id for row in rows if not row.negated]


def local_offices_of(directory: Directory, agency_id: str, municipality: str) -> list[Any]:
    """The offices of an agency that serve a 市町, as /v1/match resolves them (JSON dicts)."""
    code = resolve_municipality_code(directory.snapshot, municipality)
    index = snapshot_index(directory.snapshot)
    return [o.to_dict() for o in local_offices(agency_id, code, directory.snapshot, index)]
