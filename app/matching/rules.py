"""Rule, lexicon and vocabulary files: pydantic models, loading and validation.

Rules live in ``seed/rules/*.yaml`` (one file per theme), the synonym lexicon (with negation
cues, vague terms and clarifying questions) in ``seed/lexicon.yaml`` and the national
vocabularies of each need in ``seed/need_vocabularies.yaml``. Every error names the file, the
rule (or entry) id and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from app.matching.snapshot import DirectorySnapshot

MAX_FILE_BYTES = 1_000_000

RuleId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9_-]*)+$", max_length=80)
]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")]
EntryId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")]
Term = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
SupportTypeCode = Literal[
    "startup", "growth", "technology", "business_activity", "management_stability", "finance"
]

JGRANTS_USE_PURPOSES = (
    "新たな事業を行いたい",
    "販路拡大・海外展開をしたい",
    "イベント・事業運営支援がほしい",
    "事業を引き継ぎたい",
    "研究開発・実証事業を行いたい",
    "人材育成を行いたい",
    "資金繰りを改善したい",
    "設備整備・IT導入をしたい",
    "雇用・職場環境を改善したい",
    "エコ・SDGs活動支援がほしい",
    "災害（自然災害、感染症等）支援がほしい",
    "まちづくり・地域振興支援がほしい",
)
MIRASAPO_PURPOSES = (
    "販路開拓",
    "設備投資",
    "IT化",
    "資金繰り",
    "人材",
    "知的財産",
    "起業・創業",
    "事業承継",
    "災害対応",
    "情報収集",
)
JGrantsPurpose = Literal[JGRANTS_USE_PURPOSES]  # type: ignore[valid-type]
MirasapoPurpose = Literal[MIRASAPO_PURPOSES]  # type: ignore[valid-type]


class RuleError(ValueError):
    """A rule, lexicon or vocabulary file is invalid; the message names file, id and field."""


class Negation(StrEnum):
    scoped = "scoped"  # a negation cue later in the same clause negates the hit
    ignore = "ignore"  # the pattern itself is phrased negatively (後継者がいない)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class RegexPattern(Strict):
    """A regular expression searched in the NFKC-folded, lower-cased text."""

    regex: Annotated[str, StringConstraints(min_length=1, max_length=200)]


# A pattern is one term, an ordered sequence of terms (same clause, in order, gaps allowed)
# or a regex.
Pattern = Term | Annotated[list[Term], Field(min_length=1, max_length=5)] | RegexPattern


class Rule(Strict):
    id: RuleId
    need: Slug
    description: Text | None = None
    patterns: Annotated[list[Pattern], Field(min_length=1, max_length=80)]
    support_types: Annotated[list[SupportTypeCode], Field(max_length=6)] = []
    actions: Annotated[list[Annotated[int, Field(ge=1, le=12)]], Field(max_length=12)] = []
    programmes: Annotated[list[Slug], Field(max_length=20)] = []
    agency_boosts: Annotated[
        dict[Slug, Annotated[float, Field(gt=0, le=1)]], Field(max_length=20)
    ] = {}
    weight: float = Field(default=0.6, gt=0, le=1)
    negation: Negation = Negation.scoped


class RuleFile(Strict):
    rules: Annotated[list[Rule], Field(max_length=2000)]


class Synonym(Strict):
    """An equivalence class of terms: a rule term equal to any member matches all members."""

    id: EntryId
    canonical: Term
    variants: Annotated[list[Term], Field(min_length=1, max_length=40)]


class NegationCue(Strict):
    id: EntryId
    phrases: Annotated[list[Term], Field(min_length=1, max_length=40)]


class QuickReply(Strict):
    label: Annotated[str, StringConstraints(min_length=1, max_length=30)]
    text: Text


class ClarifyingQuestion(Strict):
    id: EntryId
    question: Text
    options: Annotated[list[QuickReply], Field(min_length=2, max_length=12)]


class Lexicon(Strict):
    synonyms: Annotated[list[Synonym], Field(max_length=1000)] = []
    negation_cues: Annotated[list[NegationCue], Field(max_length=100)] = []
    vague_terms: Annotated[list[Term], Field(max_length=200)] = []
    clarifying_questions: Annotated[list[ClarifyingQuestion], Field(max_length=10)] = []


class NeedVocabulary(Strict):
    jgrants_use_purpose: list[JGrantsPurpose] = []
    mirasapo_purpose: list[MirasapoPurpose] = []


class VocabularyFile(Strict):
    needs: dict[Slug, NeedVocabulary]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    lexicon: Lexicon
    vocabularies: dict[str, NeedVocabulary] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # rule id -> file name


def _read_yaml(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RuleError(f"{path}: file larger than {MAX_FILE_BYTES} bytes")
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise RuleError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: invalid YAML: {exc}") from exc


def _entry_id(data: Any, loc: tuple[Any, ...], list_key: str) -> str:
    """The id of the list entry that a pydantic error location points into."""
    if len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
        try:
            entry = data[list_key][loc[1]]
        except (KeyError, IndexError, TypeError):
            return f"#{loc[1]}"
        if isinstance(entry, dict) and entry.get("id"):
            return str(entry["id"])
        return f"#{loc[1]}"
    if len(loc) >= 2 and loc[0] == list_key:
        return str(loc[1])
    return "-"


def _format_errors(path: Path, exc: ValidationError, data: Any, list_key: str, kind: str) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        entry = _entry_id(data, loc, list_key)
        field_path = ".".join(str(p) for p in loc[2:]) or ".".join(str(p) for p in loc) or "-"
        lines.append(f"{path.name}: {kind} {entry}: field {field_path}: {err['msg']}")
    return "; ".join(lines)


def _check_regexes(path: Path, rule: Rule) -> None:
    for i, pattern in enumerate(rule.patterns):
        if isinstance(pattern, RegexPattern):
            try:
                re.compile(pattern.regex)
            except re.error as exc:
                raise RuleError(
                    f"{path.name}: rule {rule.id}: field patterns.{i}.regex: invalid regex: {exc}"
                ) from exc


def load_rule_file(path: Path) -> RuleFile:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise RuleError(f"{path.name}: rule -: field rules: the file must be a mapping")
    try:
        parsed = RuleFile.model_validate(data)
    except ValidationError as exc:
        raise RuleError(_format_errors(path, exc, data, "rules", "rule")) from exc
    for rule in parsed.rules:
        _check_regexes(path, rule)
    return parsed


def load_lexicon(path: Path) -> Lexicon:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise RuleError(f"{path.name}: entry -: field -: the file must be a mapping")
    try:
        lexicon = Lexicon.model_validate(data)
    except ValidationError as exc:
        loc0 = exc.errors()[0]["loc"][0] if exc.errors() else "synonyms"
        raise RuleError(_format_errors(path, exc, data, str(loc0), "entry")) from exc
    seen: set[str] = set()
    groups: list[tuple[str, list[Any]]] = [
        ("synonyms", list(lexicon.synonyms)),
        ("negation_cues", list(lexicon.negation_cues)),
        ("clarifying_questions", list(lexicon.clarifying_questions)),
    ]
    for key, entries in groups:
        for entry in entries:
            if entry.id in seen:
                raise RuleError(f"{path.name}: entry {entry.id}: field {key}.id: duplicate id")
            seen.add(entry.id)
    return lexicon


def load_vocabularies(path: Path) -> dict[str, NeedVocabulary]:
    data = _read_yaml(path)
    try:
        parsed = VocabularyFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            need = str(loc[1]) if len(loc) > 1 else "-"
            lines.append(
                f"{path.name}: need {need}: field {'.'.join(str(p) for p in loc[2:]) or '-'}: "
                f"{err['msg']}"
            )
        raise RuleError("; ".join(lines)) from exc
    return dict(parsed.needs)


def load_rules(rules_dir: Path, lexicon_path: Path, vocabulary_path: Path | None = None) -> RuleSet:
    """Load and validate every ``*.yaml`` in ``rules_dir`` plus the lexicon.

    ``vocabulary_path`` defaults to ``need_vocabularies.yaml`` next to the lexicon (optional).
    """
    files = sorted(rules_dir.glob("*.yaml"))
    if not files:
        raise RuleError(f"{rules_dir}: no rule files (*.yaml)")
    rules: list[Rule] = []
    sources: dict[str, str] = {}
    for path in files:
        for rule in load_rule_file(path).rules:
            if rule.id in sources:
                raise RuleError(
                    f"{path.name}: rule {rule.id}: field id: duplicate id "
                    f"(also in {sources[rule.id]})"
                )
            sources[rule.id] = path.name
            rules.append(rule)
    lexicon = load_lexicon(lexicon_path)
    if vocabulary_path is None:
        candidate = lexicon_path.parent / "need_vocabularies.yaml"
        vocabulary_path = candidate if candidate.exists() else None
    vocabularies = load_vocabularies(vocabulary_path) if vocabulary_path else {}
    return RuleSet(tuple(rules), lexicon, vocabularies, sources)


def validate_rule_refs(rule_set: RuleSet, snapshot: DirectorySnapshot) -> list[str]:
    """Unknown need / agency / programme / action ids referenced by rules and vocabularies."""
    problems: list[str] = []
    for rule in rule_set.rules:
        where = f"{rule_set.sources.get(rule.id, '?')}: rule {rule.id}"
        if rule.need not in snapshot.needs:
            problems.append(f"{where}: field need: unknown need '{rule.need}'")
        for agency in rule.agency_boosts:
            if agency not in snapshot.agencies:
                problems.append(f"{where}: field agency_boosts: unknown agency '{agency}'")
        for programme in rule.programmes:
            if programme not in snapshot.programmes:
                problems.append(f"{where}: field programmes: unknown programme '{programme}'")
        for action in rule.actions:
            if action not in snapshot.actions:
                problems.append(f"{where}: field actions: unknown action {action}")
    for need in rule_set.vocabularies:
        if need not in snapshot.needs:
            problems.append(f"need_vocabularies.yaml: need {need}: field -: unknown need")
    return problems
