"""Editing the matcher rules and the lexicon, with a dry run and a publish gate.

Every write, in one transaction:

1. locks the directory version row (``SELECT ... FOR UPDATE`` on PostgreSQL), so rule writes
   are serialized and each one is judged against the rules that are really current;
2. checks If-Match, validates the change (422 naming the field), checks the ids it references
   against the directory snapshot (422);
3. compiles the candidate rule set and runs the labelled evaluation set on it; if a metric drops
   below its threshold (``app.matching.evaluate.THRESHOLDS``) the write is refused with 409 and
   the cases that broke, unless ``force`` is given;
4. claims the next revision with a guarded UPDATE, writes the row, an audit entry and bumps the
   directory version, so every worker recompiles its matcher.

The evaluation of the current rules is computed once per directory version and kept with the
in-memory directory (``RuleEvaluation``); a write only evaluates its candidate.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from app.core.concurrency import check_if_match, claim_revision, last_writer_wins
from app.core.errors import ApiError
from app.core.pagination import Page, PageParams
from app.matching import CompiledRules, RuleError, compile_rules, match_need
from app.matching.evaluate import (
    THRESHOLDS,
    BrokenMetric,
    EvalReport,
    broken_metrics,
    evaluate,
)
from app.matching.misses import MissEntry
from app.matching.rules import (
    LEXICON_ENTRY_MODELS,
    TERM_KINDS,
    ClarifyingQuestion,
    RegexError,
    RegexPattern,
    Rule,
    compile_rule_regex,
    lexicon_body,
    lexicon_entry_id,
    rule_body,
    rule_set_from_records,
)
from app.matching.snapshot import DirectorySnapshot
from app.matching.suggestions import suggest
from app.models import DirectoryState, LexiconEntry, MatcherRule
from app.schemas.admin_rules import (
    BrokenMetricOut,
    DryRunOut,
    DryRunRequest,
    DryRunResult,
    EvaluationOut,
    LexiconCreate,
    LexiconDeleteChange,
    LexiconOut,
    LexiconUpsertChange,
    LexiconWriteOut,
    RuleCreate,
    RuleDeleteChange,
    RuleOut,
    RulePatch,
    RuleSuggestionOut,
    RuleSuggestionsOut,
    RuleUpsertChange,
    RuleWriteOut,
    SuggestedMissOut,
    WriteEvaluationOut,
)
from app.services import audit
from app.services.access import Principal
from app.services.matching import (
    MatcherState,
    RuleEvaluation,
    lexicon_rows,
    resolve_municipality_code,
    rule_rows,
    rule_set_from_database,
    shared_normalizer,
)
from app.services.snapshot import Directory, read_version

log = logging.getLogger("madoguchi.admin_rules")

MAX_BROKEN_CASES = 20
KIND_LABELS = {
    "synonyms": "同義語",
    "negation_cues": "否定の手がかり",
    "vague_terms": "あいまい語",
    "private_life_terms": "事業外（私生活）の語",
    "business_context_terms": "事業の文脈を示す語",
    "clarifying_questions": "聞き返し",
}


@dataclass(frozen=True)
class DirectoryAccess:
    """How the service reaches the in-memory directory of this worker."""

    get: Callable[[], Directory]  # the cached directory (may lag the database briefly)
    refresh: Callable[[], Directory]  # rebuild from the database now


# ---------------------------------------------------------------- the current generation


@dataclass(frozen=True)
class Current:
    snapshot: DirectorySnapshot
    compiled: CompiledRules
    evaluation: RuleEvaluation


def _current(session: Session, access: DirectoryAccess) -> Current:
    """The compiled rules and evaluation matching the database version this session sees."""
    version = read_version(session)
    directory = access.get()
    if directory.snapshot.version != version:
        directory = access.refresh()
    matcher: MatcherState | None = directory.extras.get("matcher")
    if matcher is not None and matcher.source != "database":
        raise ApiError(
            409,
            "照合ルールがまだデータベースに読み込まれていません（ファイルから読んでいます）。"
            "サーバーで python -m app.seeding --if-empty を実行してから編集してください。",
            en="The matcher rules are not loaded into the database yet (they are read from "
            "files). Run python -m app.seeding --if-empty on the server before editing.",
        )
    if matcher is not None and directory.snapshot.version == version:
        return Current(directory.snapshot, matcher.compiled, matcher.evaluation)
    # The cache could not follow (database hiccup, or an app without the matcher builder):
    # compile what this session sees, without caching.
    if matcher is None:
        raise ApiError(
            503,
            "この環境ではルールの照合機能が無効です。",
            en="Rule matching is disabled in this environment.",
        )
    rule_set = rule_set_from_database(session, matcher.seed_dir)
    if rule_set is None:
        return Current(directory.snapshot, matcher.compiled, matcher.evaluation)
    compiled = compile_rules(rule_set, shared_normalizer())
    evaluation = RuleEvaluation(compiled, directory.snapshot, matcher.evaluation.utterances_path)
    return Current(directory.snapshot, compiled, evaluation)


def _lock(session: Session) -> None:
    """Serialize rule writes (a no-op on SQLite, where writers are serialized anyway)."""
    session.exec(select(DirectoryState).where(DirectoryState.id == 1).with_for_update()).first()


def _report(evaluation: RuleEvaluation) -> EvalReport:
    try:
        return evaluation.report()
    except (OSError, ValueError) as exc:
        log.error("labelled evaluation set unavailable: %s", exc)
        raise ApiError(
            503,
            "評価セット（seed/eval/utterances.yaml）を読み込めないため、ルールを検証できません。",
            en="The evaluation set (seed/eval/utterances.yaml) cannot be read, so rules cannot "
            "be checked.",
        ) from exc


# ---------------------------------------------------------------- the candidate


@dataclass
class _RuleSlot:
    theme: str
    position: int
    body: dict[str, Any]


@dataclass
class Workspace:
    """The rule and lexicon records with pending changes applied (nothing is written)."""

    rules: dict[str, _RuleSlot] = field(default_factory=dict)
    lexicon: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    changed_rules: list[Rule] = field(default_factory=list)
    changed_entries: list[tuple[str, BaseModel]] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session) -> Workspace:
        ws = cls()
        for r in rule_rows(session):
            ws.rules[r.id] = _RuleSlot(r.theme, r.position, dict(r.body))
        for e in lexicon_rows(session):
            ws.lexicon[(e.kind, e.id)] = (e.position, dict(e.body))
        return ws

    def _next_rule_position(self, theme: str) -> int:
        return 1 + max((s.position for s in self.rules.values() if s.theme == theme), default=-1)

    def _next_entry_position(self, kind: str) -> int:
        return 1 + max((p for (k, _), (p, _) in self.lexicon.items() if k == kind), default=-1)

    def upsert_rule(self, rule: Rule, theme: str | None) -> _RuleSlot:
        slot = self.rules.get(rule.id)
        if slot is None:
            if theme is None:
                raise ApiError(
                    422,
                    f"新しいルール {rule.id} には theme を指定してください。",
                    en=f"The new rule {rule.id} needs a theme.",
                )
            slot = _RuleSlot(theme, self._next_rule_position(theme), rule_body(rule))
        else:
            position = slot.position
            if theme is not None and theme != slot.theme:
                position = self._next_rule_position(theme)
            slot = _RuleSlot(theme or slot.theme, position, rule_body(rule))
        self.rules[rule.id] = slot
        self.changed_rules = [r for r in self.changed_rules if r.id != rule.id] + [rule]
        return slot

    def delete_rule(self, rule_id: str) -> None:
        if self.rules.pop(rule_id, None) is None:
            raise ApiError(
                404, f"ルール「{rule_id}」は見つかりません。", en=f'Rule "{rule_id}" was not found.'
            )
        self.changed_rules = [r for r in self.changed_rules if r.id != rule_id]

    def upsert_entry(self, kind: str, entry: BaseModel) -> tuple[str, int]:
        body = lexicon_body(entry)
        entry_id = lexicon_entry_id(kind, body)
        current = self.lexicon.get((kind, entry_id))
        position = current[0] if current else self._next_entry_position(kind)
        self.lexicon[(kind, entry_id)] = (position, body)
        self.changed_entries.append((kind, entry))
        return entry_id, position

    def replace_entry(self, kind: str, entry_id: str, entry: BaseModel) -> None:
        position, _ = self.lexicon[(kind, entry_id)]
        self.lexicon[(kind, entry_id)] = (position, lexicon_body(entry))
        self.changed_entries.append((kind, entry))

    def delete_entry(self, kind: str, entry_id: str) -> None:
        if self.lexicon.pop((kind, entry_id), None) is None:
            raise ApiError(
                404,
                f"{KIND_LABELS.get(kind, kind)}「{entry_id}」は見つかりません。",
                en=f"Lexicon entry {kind}/{entry_id} was not found.",
            )

    def records(
        self,
    ) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
        rules = sorted(self.rules.items(), key=lambda kv: (kv[1].theme, kv[1].position, kv[0]))
        lexicon = sorted(self.lexicon.items(), key=lambda kv: (kv[0][0], kv[1][0], kv[0][1]))
        return (
            [(slot.theme, slot.body) for _, slot in rules],
            [(kind, body) for (kind, _), (_, body) in lexicon],
        )


def _invalid(exc: ValidationError, *prefix: str | int) -> RequestValidationError:
    """A pydantic error of part of the body, reported like any request validation error."""
    return RequestValidationError(
        [
            {**err, "loc": ("body", *prefix, *err["loc"])}
            for err in exc.errors(include_url=False, include_input=False)
        ]
    )


def parse_rule_body(body: Mapping[str, Any], *prefix: str | int) -> Rule:
    try:
        return Rule.model_validate(dict(body))
    except ValidationError as exc:
        raise _invalid(exc, *prefix) from exc


def parse_entry(kind: str, body: Mapping[str, Any], *prefix: str | int) -> BaseModel:
    model = LEXICON_ENTRY_MODELS[kind]
    try:
        return model.model_validate(dict(body))
    except ValidationError as exc:
        raise _invalid(exc, *prefix) from exc


def _check_rule(rule: Rule, snapshot: DirectorySnapshot, where: str) -> None:
    """What pydantic cannot see: regexes, terms that normalize to nothing, unknown ids."""
    normalizer = shared_normalizer()
    for i, pattern in enumerate(rule.patterns):
        if isinstance(pattern, RegexPattern):
            try:
                compile_rule_regex(pattern.regex)
            except RegexError as exc:
                raise ApiError(
                    422,
                    f"{where}ルール {rule.id} の patterns.{i}.regex: 正規表現として解釈できません"
                    f"（RE2 の書式で、先読み・後読み・後方参照は使えません: {exc}）。",
                    en=f"{where}rule {rule.id}, patterns.{i}.regex: not a valid regular expression "
                    f"(RE2 syntax: no lookaround or backreferences: {exc}).",
                ) from exc
            continue
        for term in [pattern] if isinstance(pattern, str) else pattern:
            if not normalizer.terms(term):
                raise ApiError(
                    422,
                    f"{where}ルール {rule.id} の patterns.{i}: 語「{term}」は正規化すると何も残りません"
                    "（助詞や記号だけの語は照合に使えません）。",
                    en=f'{where}rule {rule.id}, patterns.{i}: the term "{term}" is empty once '
                    "normalized (particles or symbols alone cannot be matched).",
                )
    problems: list[str] = []
    if rule.need not in snapshot.needs:
        problems.append(f"need: 相談ニーズ「{rule.need}」")
    problems += [
        f"agency_boosts: 機関「{a}」" for a in rule.agency_boosts if a not in snapshot.agencies
    ]
    problems += [
        f"programmes: 制度「{p}」" for p in rule.programmes if p not in snapshot.programmes
    ]
    problems += [f"actions: アクション {n}" for n in rule.actions if n not in snapshot.actions]
    if problems:
        raise ApiError(
            422,
            f"{where}ルール {rule.id} が存在しないものを参照しています: {'、'.join(problems[:5])}。",
            en=f"{where}rule {rule.id} refers to what does not exist: {', '.join(problems[:5])}.",
        )


def _check_question(
    question: ClarifyingQuestion, compiled: CompiledRules, snapshot: DirectorySnapshot, where: str
) -> None:
    """Each quick reply must be an utterance the candidate rules resolve without asking again."""
    for i, option in enumerate(question.options):
        result = match_need(option.text, compiled, snapshot, limit=1)
        if not result.matched or result.clarified:
            raise ApiError(
                422,
                f"{where}聞き返し {question.id} の options.{i}.text「{option.text}」は、"
                "変更後のルールで相談内容として解決できません（選ぶとまた聞き返しになります）。",
                en=f"{where}clarifying question {question.id}, options.{i}.text "
                f'"{option.text}": the changed rules do not resolve it to a need (choosing it '
                "would ask again).",
            )


@dataclass(frozen=True)
class Candidate:
    compiled: CompiledRules
    report: EvalReport
    broken: list[BrokenMetric]
    elapsed_ms: float


def _evaluate_candidate(ws: Workspace, current: Current, where: str = "") -> Candidate:
    # once per directory version (cached with the in-memory directory), so not timed here
    current_report = _report(current.evaluation)
    started = time.perf_counter()
    for rule in ws.changed_rules:
        _check_rule(rule, current.snapshot, where)
    rules, lexicon = ws.records()
    try:
        rule_set = rule_set_from_records(rules, lexicon, current.compiled.vocabularies)
        compiled = compile_rules(rule_set, shared_normalizer())
    except RuleError as exc:
        raise ApiError(
            422,
            f"{where}ルールまたは辞書を検証できません: {exc}",
            en=f"{where}the rules or the lexicon cannot be checked: {exc}",
        ) from exc
    for kind, entry in ws.changed_entries:
        if kind == "clarifying_questions" and isinstance(entry, ClarifyingQuestion):
            _check_question(entry, compiled, current.snapshot, where)
    report = evaluate(list(current.evaluation.utterances()), compiled, current.snapshot)
    broken = broken_metrics(current_report, report)
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.info(
        "candidate rule set evaluated in %.0f ms (%d rules, %d broken metrics)",
        elapsed_ms,
        len(rule_set.rules),
        len(broken),
    )
    return Candidate(compiled, report, broken, elapsed_ms)


def _broken_out(broken: list[BrokenMetric]) -> list[BrokenMetricOut]:
    return [BrokenMetricOut.model_validate(b.to_dict(MAX_BROKEN_CASES)) for b in broken]


def _evaluation_out(current: EvalReport, candidate: Candidate) -> EvaluationOut:
    return EvaluationOut(
        current=current.values(),
        candidate=candidate.report.values(),
        thresholds=dict(THRESHOLDS),
        broken=_broken_out(candidate.broken),
    )


def _gate(current: Current, candidate: Candidate, force: bool) -> WriteEvaluationOut:
    """Refuse (409) a change that breaks a metric, unless forced."""
    summary = _evaluation_out(_report(current.evaluation), candidate)
    if candidate.broken and not force:
        names = "、".join(
            f"{b.metric} {b.value:.3f}（基準 {b.threshold}、現在 {b.current:.3f}）"
            for b in candidate.broken
        )
        cases = sum(len(b.cases) for b in candidate.broken)
        raise ApiError(
            409,
            f"この変更を公開すると評価指標が基準を下回ります: {names}。"
            f"現在は正しく判定できている評価事例 {cases} 件が判定できなくなります（broken を参照）。"
            "POST /v1/admin/rules/dry-run で確認し、それでも公開する場合は ?force=true を付けてください。",
            en=f"Publishing this change would take evaluation metrics below their thresholds: "
            f"{names}; {cases} evaluation case(s) judged right today would no longer be (see "
            "broken). Check with POST /v1/admin/rules/dry-run, and add ?force=true to publish "
            "anyway.",
            extensions={
                "broken": [b.model_dump() for b in summary.broken],
                "evaluation": {
                    "current": summary.current,
                    "candidate": summary.candidate,
                    "thresholds": summary.thresholds,
                },
            },
        )
    return WriteEvaluationOut(
        **summary.model_dump(),
        forced=bool(force and candidate.broken),
        elapsed_ms=round(candidate.elapsed_ms, 1),
    )


# ---------------------------------------------------------------- writing


def _gate_note(evaluation: WriteEvaluationOut) -> dict[str, Any]:
    return {
        "forced": True,
        "broken": [
            {
                "metric": b.metric,
                "value": b.value,
                "threshold": b.threshold,
                "cases": [c.id for c in b.cases],
            }
            for b in evaluation.broken
        ],
    }


def _finish(
    session: Session,
    principal: Principal,
    *,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    evaluation: WriteEvaluationOut,
) -> None:
    if evaluation.forced:
        # the audit entry says the gate was overridden, and what it would have refused
        action = f"{action}_forced"
        after = {**(after or {}), "gate": _gate_note(evaluation)}
    audit.commit_edit(
        session,
        principal,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
    )


# ---------------------------------------------------------------- rules


def rule_out(row: MatcherRule) -> RuleOut:
    return RuleOut(
        id=row.id, theme=row.theme, position=row.position, revision=row.revision, rule=row.body
    )


def _rule_state(row: MatcherRule) -> dict[str, Any]:
    return rule_out(row).model_dump(mode="json")


def _get_rule(session: Session, rule_id: str) -> MatcherRule:
    row = session.get(MatcherRule, rule_id)
    if row is None:
        raise ApiError(
            404,
            f"ルール「{rule_id[:80]}」は見つかりません。",
            en=f'Rule "{rule_id[:80]}" was not found.',
        )
    return row


def list_rules(
    session: Session,
    page: PageParams,
    *,
    theme: str | None = None,
    need: str | None = None,
    q: str | None = None,
) -> Page[RuleOut]:
    rows = rule_rows(session)
    if theme is not None:
        rows = [r for r in rows if r.theme == theme]
    if need is not None:
        rows = [r for r in rows if r.body.get("need") == need]
    if q:
        needle = q.strip().casefold()
        rows = [r for r in rows if needle in _searchable(r.id, r.body)]
    return Page(
        items=[rule_out(r) for r in rows[page.offset : page.offset + page.limit]],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )


def _searchable(ident: str, body: Mapping[str, Any]) -> str:
    return (ident + " " + json.dumps(body, ensure_ascii=False)).casefold()


def get_rule(session: Session, rule_id: str) -> RuleOut:
    return rule_out(_get_rule(session, rule_id))


def create_rule(
    session: Session, principal: Principal, access: DirectoryAccess, body: RuleCreate, force: bool
) -> RuleWriteOut:
    _lock(session)
    rule = body.rule
    if session.get(MatcherRule, rule.id) is not None:
        raise ApiError(
            409,
            f"ルール「{rule.id}」は既にあります。変更は PATCH で行ってください。",
            en=f'Rule "{rule.id}" already exists; change it with PATCH.',
        )
    current = _current(session, access)
    ws = Workspace.load(session)
    slot = ws.upsert_rule(rule, body.theme)
    evaluation = _gate(current, _evaluate_candidate(ws, current), force)
    row = MatcherRule(id=rule.id, theme=slot.theme, position=slot.position, body=slot.body)
    session.add(row)
    session.flush()
    out = RuleWriteOut(**rule_out(row).model_dump(), evaluation=evaluation)
    _finish(
        session,
        principal,
        action="create",
        entity_type="matcher_rule",
        entity_id=rule.id,
        before=None,
        after=_rule_state(row),
        evaluation=evaluation,
    )
    return out


@last_writer_wins
def update_rule(
    session: Session,
    principal: Principal,
    access: DirectoryAccess,
    rule_id: str,
    patch: RulePatch,
    if_match: str | None,
    force: bool,
) -> RuleWriteOut:
    _lock(session)
    row = _get_rule(session, rule_id)
    check_if_match(if_match, row.revision)
    changes = patch.changes()
    theme = changes.pop("theme", None)
    merged = {**row.body, **changes}
    for name, value in changes.items():
        if value is None:  # null clears an optional field (description)
            merged.pop(name, None)
    rule = parse_rule_body(merged)
    current = _current(session, access)
    ws = Workspace.load(session)
    slot = ws.upsert_rule(rule, theme)
    evaluation = _gate(current, _evaluate_candidate(ws, current), force)
    before = _rule_state(row)
    expected = row.revision
    claim_revision(session, MatcherRule, row, expected)
    row.theme, row.position, row.body = slot.theme, slot.position, slot.body
    session.add(row)
    session.flush()
    session.refresh(row)
    out = RuleWriteOut(**rule_out(row).model_dump(), evaluation=evaluation)
    _finish(
        session,
        principal,
        action="update",
        entity_type="matcher_rule",
        entity_id=row.id,
        before=before,
        after=_rule_state(row),
        evaluation=evaluation,
    )
    return out


@last_writer_wins
def delete_rule(
    session: Session,
    principal: Principal,
    access: DirectoryAccess,
    rule_id: str,
    if_match: str | None,
    force: bool,
) -> None:
    _lock(session)
    row = _get_rule(session, rule_id)
    check_if_match(if_match, row.revision)
    current = _current(session, access)
    ws = Workspace.load(session)
    ws.delete_rule(row.id)
    evaluation = _gate(current, _evaluate_candidate(ws, current), force)
    before = _rule_state(row)
    claim_revision(session, MatcherRule, row, row.revision)
    session.delete(row)
    session.flush()
    _finish(
        session,
        principal,
        action="delete",
        entity_type="matcher_rule",
        entity_id=rule_id,
        before=before,
        after=None,
        evaluation=evaluation,
    )


# ---------------------------------------------------------------- lexicon


def lexicon_out(row: LexiconEntry) -> LexiconOut:
    return LexiconOut(
        kind=row.kind, id=row.id, position=row.position, revision=row.revision, entry=row.body
    )


def _entry_state(row: LexiconEntry) -> dict[str, Any]:
    return lexicon_out(row).model_dump(mode="json")


def _get_entry(session: Session, kind: str, entry_id: str) -> LexiconEntry:
    row = session.get(LexiconEntry, (kind, entry_id))
    if row is None:
        raise ApiError(
            404,
            f"{KIND_LABELS.get(kind, kind)}「{entry_id[:80]}」は見つかりません。",
            en=f"Lexicon entry {kind}/{entry_id[:80]} was not found.",
        )
    return row


def list_lexicon(
    session: Session, page: PageParams, *, kind: str | None = None, q: str | None = None
) -> Page[LexiconOut]:
    rows = lexicon_rows(session)
    if kind is not None:
        rows = [r for r in rows if r.kind == kind]
    if q:
        needle = q.strip().casefold()
        rows = [r for r in rows if needle in _searchable(r.id, r.body)]
    return Page(
        items=[lexicon_out(r) for r in rows[page.offset : page.offset + page.limit]],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )


def get_entry(session: Session, kind: str, entry_id: str) -> LexiconOut:
    return lexicon_out(_get_entry(session, kind, entry_id))


def _shared_id_kind(session: Session, kind: str, entry_id: str) -> str | None:
    """Synonyms, negation cues and clarifying questions share one id space (as in the file)."""
    if kind in TERM_KINDS:
        return None
    for other in ("synonyms", "negation_cues", "clarifying_questions"):
        if other != kind and session.get(LexiconEntry, (other, entry_id)) is not None:
            return other
    return None


def create_entry(
    session: Session,
    principal: Principal,
    access: DirectoryAccess,
    body: LexiconCreate,
    force: bool,
) -> LexiconWriteOut:
    _lock(session)
    entry = parse_entry(body.kind, body.entry, "entry")
    entry_id = lexicon_entry_id(body.kind, lexicon_body(entry))
    label = KIND_LABELS[body.kind]
    if session.get(LexiconEntry, (body.kind, entry_id)) is not None:
        raise ApiError(
            409,
            f"{label}「{entry_id}」は既にあります。変更は PATCH で行ってください。",
            en=f"Lexicon entry {body.kind}/{entry_id} already exists; change it with PATCH.",
        )
    other = _shared_id_kind(session, body.kind, entry_id)
    if other is not None:
        raise ApiError(
            409,
            f"id「{entry_id}」は{KIND_LABELS[other]}で使われています。",
            en=f'The id "{entry_id}" is already used by {other}.',
        )
    current = _current(session, access)
    ws = Workspace.load(session)
    _, position = ws.upsert_entry(body.kind, entry)
    evaluation = _gate(current, _evaluate_candidate(ws, current), force)
    row = LexiconEntry(kind=body.kind, id=entry_id, position=position, body=lexicon_body(entry))
    session.add(row)
    session.flush()
    out = LexiconWriteOut(**lexicon_out(row).model_dump(), evaluation=evaluation)
    _finish(
        session,
        principal,
        action="create",
        entity_type="lexicon_entry",
        entity_id=f"{body.kind}/{entry_id}",
        before=None,
        after=_entry_state(row),
        evaluation=evaluation,
    )
    return out


@last_writer_wins
def update_entry(
    session: Session,
    principal: Principal,
    access: DirectoryAccess,
    kind: str,
    entry_id: str,
    patch: dict[str, Any],
    if_match: str | None,
    force: bool,
) -> LexiconWriteOut:
    _lock(session)
    row = _get_entry(session, kind, entry_id)
    check_if_match(if_match, row.revision)
    if "id" in patch and patch["id"] != row.body.get("id"):
        raise ApiError(
            422,
            "id は変更できません（削除して新しく登録してください）。",
            en="The id cannot be changed (delete the entry and create a new one).",
        )
    merged = {**row.body, **patch}
    entry = parse_entry(kind, merged)
    current = _current(session, access)
    ws = Workspace.load(session)
    ws.replace_entry(kind, row.id, entry)
    evaluation = _gate(current, _evaluate_candidate(ws, current), force)
    before = _entry_state(row)
    claim_revision(session, LexiconEntry, row, row.revision, keys={"kind": row.kind, "id": row.id})
    row.body = lexicon_body(entry)
    session.add(row)
    session.flush()
    session.refresh(row)
    out = LexiconWriteOut(**lexicon_out(row).model_dump(), evaluation=evaluation)
    _finish(
        session,
        principal,
        action="update",
        entity_type="lexicon_entry",
        entity_id=f"{kind}/{row.id}",
        before=before,
        after=_entry_state(row),
        evaluation=evaluation,
    )
    return out


@last_writer_wins
def delete_entry(
    session: Session,
    principal: Principal,
    access: DirectoryAccess,
    kind: str,
    entry_id: str,
    if_match: str | None,
    force: bool,
) -> None:
    _lock(session)
    row = _get_entry(session, kind, entry_id)
    check_if_match(if_match, row.revision)
    current = _current(session, access)
    ws = Workspace.load(session)
    ws.delete_entry(kind, row.id)
    evaluation = _gate(current, _evaluate_candidate(ws, current), force)
    before = _entry_state(row)
    claim_revision(session, LexiconEntry, row, row.revision, keys={"kind": row.kind, "id": row.id})
    session.delete(row)
    session.flush()
    _finish(
        session,
        principal,
        action="delete",
        entity_type="lexicon_entry",
        entity_id=f"{kind}/{entry_id}",
        before=before,
        after=None,
        evaluation=evaluation,
    )


# ---------------------------------------------------------------- dry run


def dry_run(session: Session, access: DirectoryAccess, body: DryRunRequest) -> DryRunOut:
    """Apply the changes to a copy of the rules, compare matches and metrics; write nothing."""
    current = _current(session, access)
    ws = Workspace.load(session)
    for i, change in enumerate(body.changes):
        where = f"changes.{i}: "
        try:
            if isinstance(change, RuleUpsertChange):
                ws.upsert_rule(change.rule, change.theme)
            elif isinstance(change, RuleDeleteChange):
                ws.delete_rule(change.id)
            elif isinstance(change, LexiconUpsertChange):
                ws.upsert_entry(
                    change.kind, parse_entry(change.kind, change.entry, "changes", i, "entry")
                )
            elif isinstance(change, LexiconDeleteChange):
                ws.delete_entry(change.kind, change.id)
        except ApiError as exc:
            raise ApiError(422, where + exc.detail, en=where + (exc.en or exc.detail)) from exc
    candidate = _evaluate_candidate(ws, current)
    municipality = resolve_municipality_code(current.snapshot, body.municipality)
    results = []
    for text in body.texts:
        before = match_need(text, current.compiled, current.snapshot, municipality=municipality)
        after = match_need(text, candidate.compiled, current.snapshot, municipality=municipality)
        cur, cand = before.to_dict(), after.to_dict()
        results.append(DryRunResult(text=text, current=cur, candidate=cand, changed=cur != cand))
    return DryRunOut(
        results=results,
        evaluation=_evaluation_out(_report(current.evaluation), candidate),
        publishable=not candidate.broken,
    )


def rule_suggestions(directory: Directory, misses: list[MissEntry]) -> RuleSuggestionsOut:
    """Draft rules from the misses, grouped by their nearest need (writes nothing)."""
    compiled: CompiledRules = directory.extras["compiled_rules"]
    found = suggest(misses, compiled, directory.snapshot)
    return RuleSuggestionsOut(
        items=[
            RuleSuggestionOut(
                need=s.need_id,
                label=s.label,
                support_type=s.support_type,
                count=s.count,
                similarity=s.similarity,
                texts=list(s.texts),
                terms=list(s.terms),
                draft=s.draft_rule(),
            )
            for s in found.items
        ],
        unassigned=[
            SuggestedMissOut(text=m.text, kind=m.kind, count=m.count) for m in found.unassigned
        ],
    )
