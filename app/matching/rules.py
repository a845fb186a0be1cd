"""Rule, lexicon and vocabulary files: pydantic models, loading and validation.

Rules live in ``seed/rules/*.yaml`` (one file per theme), the synonym lexicon (with negation
cues, vague terms and clarifying questions) in ``seed/lexicon.yaml`` and the national
vocabularies of each need in ``seed/need_vocabularies.yaml``. Every error names the file, the
rule (or entry) id and the field.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from app.matching.snapshot import DirectorySnapshot

MAX_FILE_BYTES = 1_000_000
MAX_RULES_PER_FILE = 2000

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
    # the pattern names a trouble (倒産, 店を閉める): not wanting it (潰したくない, 潰さずに: an
    # `avoidance` cue) is the need itself; other cues negate it as `scoped` (倒産する話ではない)
    avoided = "avoided"


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
    # The hit counts only in a clause that says what the owner wants (〜したい, 〜してほしい) or
    # asks (〜ますか): [店, やる] is a plan in 店をやりたい and only a description of the present
    # in 店をやっています (background to some other request).
    wanted_only: bool = False


class Synonym(Strict):
    """An equivalence class of terms: a rule term equal to any member matches all members."""

    id: EntryId
    canonical: Term
    variants: Annotated[list[Term], Field(min_length=1, max_length=40)]


class NegationCue(Strict):
    id: EntryId
    phrases: Annotated[list[Term], Field(min_length=1, max_length=40)]
    # A contrast (AではなくB, Aじゃなくて B): negates what precedes it even in a question, and no
    # term sequence runs across it. Other cues do not negate in a question (〜はないですか).
    contrast: bool = False
    # Not wanting something (〜たくない, 〜ずに): a refusal of what is offered, but of a trouble
    # (a rule with `negation: avoided`) the wish to be spared it.
    avoidance: bool = False


class QuickReply(Strict):
    label: Annotated[str, StringConstraints(min_length=1, max_length=30)]
    text: Text  # what choosing the option sends back to be matched (Japanese)
    label_en: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None


class ClarifyingQuestion(Strict):
    id: EntryId
    question: Text
    options: Annotated[list[QuickReply], Field(min_length=2, max_length=12)]
    question_en: Text | None = None


class Lexicon(Strict):
    synonyms: Annotated[list[Synonym], Field(max_length=1000)] = []
    negation_cues: Annotated[list[NegationCue], Field(max_length=100)] = []
    vague_terms: Annotated[list[Term], Field(max_length=200)] = []
    private_life_terms: Annotated[list[Term], Field(max_length=300)] = []
    business_context_terms: Annotated[list[Term], Field(max_length=300)] = []
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
        if isinstance(entry, str) and entry.strip():
            return entry.strip()[:40]
        return f"#{loc[1]}"
    if len(loc) >= 2 and loc[0] == list_key:
        return str(loc[1])
    return "-"


def _format_errors(source: str, exc: ValidationError, data: Any, list_key: str, kind: str) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        entry = _entry_id(data, loc, list_key)
        field_path = ".".join(str(p) for p in loc[2:]) or ".".join(str(p) for p in loc) or "-"
        lines.append(f"{source}: {kind} {entry}: field {field_path}: {err['msg']}")
    return "; ".join(lines)


# Rule regexes run on every user text, on the event loop: they are compiled with RE2, an engine
# that matches in time linear in the text whatever the pattern ((き|き)*ょうどう included). RE2
# refuses what needs backtracking (lookaround, backreferences): such a pattern is invalid here.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


class RegexError(ValueError):
    """A rule regex RE2 cannot compile (a syntax error, or lookaround / backreferences)."""


def compile_rule_regex(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise RegexError(detail) from exc


def _check_regexes(source: str, rule: Rule) -> None:
    for i, pattern in enumerate(rule.patterns):
        if isinstance(pattern, RegexPattern):
            try:
                compile_rule_regex(pattern.regex)
            except RegexError as exc:
                raise RuleError(
                    f"{source}: rule {rule.id}: field patterns.{i}.regex: invalid regex "
                    f"(RE2 syntax, no lookaround or backreferences): {exc}"
                ) from exc


# ---------------------------------------------------------------- records (files or database rows)
#
# A rule record is ``(theme, body)``: the theme is the rule file's stem (``finance`` for
# ``seed/rules/finance.yaml``) and the body the rule mapping exactly as written in that file. A
# lexicon record is ``(kind, body)``: the kind is the lexicon section and the body the entry as
# written in ``lexicon.yaml`` (a vague term, a bare string in the file, is ``{"term": ...}``).
# The files and the database rows (``matcher_rule``, ``lexicon_entry``) both become records, so
# one function validates and assembles a RuleSet from either.

RuleRecord = tuple[str, Mapping[str, Any]]
LexiconRecord = tuple[str, Mapping[str, Any]]

LexiconKind = Literal[
    "synonyms",
    "negation_cues",
    "vague_terms",
    "private_life_terms",
    "business_context_terms",
    "clarifying_questions",
]
LEXICON_KINDS: tuple[str, ...] = get_args(LexiconKind)
# Sections whose entries are bare strings in lexicon.yaml ({"term": ...} as records).
TERM_KINDS = frozenset({"vague_terms", "private_life_terms", "business_context_terms"})


class VagueTerm(Strict):
    """A bare term as a record body (in ``lexicon.yaml`` it is a bare string)."""

    term: Term


LEXICON_ENTRY_MODELS: dict[str, type[Strict]] = {
    "synonyms": Synonym,
    "negation_cues": NegationCue,
    "vague_terms": VagueTerm,
    "private_life_terms": VagueTerm,
    "business_context_terms": VagueTerm,
    "clarifying_questions": ClarifyingQuestion,
}


def rule_source(theme: str) -> str:
    """The file a rule of this theme lives in (or would be exported to)."""
    return f"{theme}.yaml"


def vague_term_id(term: str) -> str:
    """A stable, URL-safe id for a vague term: derived from the NFKC-folded term."""
    folded = unicodedata.normalize("NFKC", term).strip()
    return "v-" + hashlib.sha256(folded.encode("utf-8")).hexdigest()[:12]


def lexicon_entry_id(kind: str, body: Mapping[str, Any]) -> str:
    """The id of a lexicon record: the entry's own id, or a derived one for a bare term."""
    if kind in TERM_KINDS:
        return vague_term_id(str(body.get("term", "")))
    return str(body.get("id", ""))


def rule_body(rule: Rule) -> dict[str, Any]:
    """The rule as a plain mapping, with only the fields that were written (as in the files)."""
    return rule.model_dump(mode="json", exclude_unset=True)


def lexicon_body(entry: BaseModel) -> dict[str, Any]:
    return entry.model_dump(mode="json", exclude_unset=True)


def parse_rule(body: Any, source: str, index: int = 0) -> Rule:
    """Validate one rule mapping; errors name the source file, the rule id and the field."""
    label = f"#{index}"
    if isinstance(body, Mapping) and body.get("id"):
        label = str(body["id"])[:80]
    if not isinstance(body, Mapping):
        raise RuleError(f"{source}: rule {label}: field -: a rule must be a mapping")
    try:
        rule = Rule.model_validate(dict(body))
    except ValidationError as exc:
        raise RuleError(
            "; ".join(
                f"{source}: rule {label}: field "
                f"{'.'.join(str(p) for p in err['loc']) or '-'}: {err['msg']}"
                for err in exc.errors()
            )
        ) from exc
    _check_regexes(source, rule)
    return rule


def _validate_lexicon(data: dict[str, Any], source: str) -> Lexicon:
    try:
        lexicon = Lexicon.model_validate(data)
    except ValidationError as exc:
        loc0 = exc.errors()[0]["loc"][0] if exc.errors() else "synonyms"
        raise RuleError(_format_errors(source, exc, data, str(loc0), "entry")) from exc
    seen: set[str] = set()
    groups: list[tuple[str, list[Any]]] = [
        ("synonyms", list(lexicon.synonyms)),
        ("negation_cues", list(lexicon.negation_cues)),
        ("clarifying_questions", list(lexicon.clarifying_questions)),
    ]
    for key, entries in groups:
        for entry in entries:
            if entry.id in seen:
                raise RuleError(f"{source}: entry {entry.id}: field {key}.id: duplicate id")
            seen.add(entry.id)
    return lexicon


def lexicon_from_records(records: Iterable[LexiconRecord], source: str = "lexicon.yaml") -> Lexicon:
    data: dict[str, list[Any]] = {kind: [] for kind in LEXICON_KINDS}
    for kind, body in records:
        if kind not in data:
            raise RuleError(f"{source}: entry -: field {kind}: unknown lexicon section")
        if kind in TERM_KINDS:
            data[kind].append(body.get("term") if isinstance(body, Mapping) else body)
        else:
            data[kind].append(dict(body) if isinstance(body, Mapping) else body)
    return _validate_lexicon(data, source)


def rule_set_from_records(
    rules: Iterable[RuleRecord],
    lexicon: Iterable[LexiconRecord],
    vocabularies: Mapping[str, NeedVocabulary] | None = None,
) -> RuleSet:
    """Validate rule and lexicon records (in order) and assemble a RuleSet.

    Errors name the theme's file, the rule or entry id and the field, whether the records came
    from the files or from the database.
    """
    parsed: list[Rule] = []
    sources: dict[str, str] = {}
    counters: dict[str, int] = {}
    for theme, body in rules:
        source = rule_source(theme)
        index = counters.get(theme, 0)
        counters[theme] = index + 1
        rule = parse_rule(body, source, index)
        if rule.id in sources:
            raise RuleError(
                f"{source}: rule {rule.id}: field id: duplicate id (also in {sources[rule.id]})"
            )
        sources[rule.id] = source
        parsed.append(rule)
    return RuleSet(tuple(parsed), lexicon_from_records(lexicon), dict(vocabularies or {}), sources)


# ---------------------------------------------------------------- files


def read_rule_records(rules_dir: Path) -> list[RuleRecord]:
    """``(theme, body)`` for every rule of every ``*.yaml`` in ``rules_dir``, in file order."""
    files = sorted(rules_dir.glob("*.yaml"))
    if not files:
        raise RuleError(f"{rules_dir}: no rule files (*.yaml)")
    records: list[RuleRecord] = []
    for path in files:
        data = _read_yaml(path)
        if not isinstance(data, dict):
            raise RuleError(f"{path.name}: rule -: field rules: the file must be a mapping")
        extra = sorted(str(k) for k in data if k != "rules")
        if extra:
            raise RuleError(
                f"{path.name}: rule -: field {extra[0]}: extra inputs are not permitted"
            )
        rules = data.get("rules")
        if not isinstance(rules, list):
            raise RuleError(f"{path.name}: rule -: field rules: a list of rules is required")
        if len(rules) > MAX_RULES_PER_FILE:
            raise RuleError(
                f"{path.name}: rule -: field rules: more than {MAX_RULES_PER_FILE} rules"
            )
        records.extend((path.stem, body) for body in rules)
    return records


def read_lexicon_records(path: Path) -> list[LexiconRecord]:
    """``(kind, body)`` for every entry of ``lexicon.yaml``, section by section."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise RuleError(f"{path.name}: entry -: field -: the file must be a mapping")
    extra = sorted(str(k) for k in data if k not in LEXICON_KINDS)
    if extra:
        raise RuleError(f"{path.name}: entry -: field {extra[0]}: unknown lexicon section")
    records: list[LexiconRecord] = []
    for kind in LEXICON_KINDS:
        entries = data.get(kind) or []
        if not isinstance(entries, list):
            raise RuleError(f"{path.name}: entry -: field {kind}: a list is required")
        for entry in entries:
            if kind in TERM_KINDS:
                records.append((kind, {"term": entry}))
            else:
                records.append((kind, entry if isinstance(entry, Mapping) else {"id": entry}))
    return records


def load_lexicon(path: Path) -> Lexicon:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise RuleError(f"{path.name}: entry -: field -: the file must be a mapping")
    return _validate_lexicon(data, path.name)


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


def default_vocabularies(lexicon_path: Path) -> dict[str, NeedVocabulary]:
    """``need_vocabularies.yaml`` next to the lexicon, if there is one."""
    candidate = lexicon_path.parent / "need_vocabularies.yaml"
    return load_vocabularies(candidate) if candidate.exists() else {}


def load_rules(rules_dir: Path, lexicon_path: Path, vocabulary_path: Path | None = None) -> RuleSet:
    """Load and validate every ``*.yaml`` in ``rules_dir`` plus the lexicon.

    ``vocabulary_path`` defaults to ``need_vocabularies.yaml`` next to the lexicon (optional).
    """
    rule_records = read_rule_records(rules_dir)
    lexicon = load_lexicon(lexicon_path)
    vocabularies = (
        load_vocabularies(vocabulary_path)
        if vocabulary_path is not None
        else default_vocabularies(lexicon_path)
    )
    rule_set = rule_set_from_records(rule_records, [], vocabularies)
    return RuleSet(rule_set.rules, lexicon, rule_set.vocabularies, rule_set.sources)


@dataclass(frozen=True)
class KnownIds:
    """The ids a rule may name (a DirectorySnapshot has the same four attributes)."""

    needs: Container[str]
    agencies: Container[str]
    programmes: Container[str]
    actions: Container[int]


def validate_rule_refs(rule_set: RuleSet, snapshot: DirectorySnapshot | KnownIds) -> list[str]:
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
