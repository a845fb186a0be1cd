"""Read and validate the seed YAML in ``seed/``.

Every error names the file, the entry and the field, so that a data editor can fix it without
reading code: ``seed/programmes.yaml: entry 12 (id=foo-loan): field operators.0: unknown agency``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.matching.rules import (
    LEXICON_ENTRY_MODELS,
    KnownIds,
    RuleError,
    default_vocabularies,
    lexicon_body,
    lexicon_entry_id,
    read_lexicon_records,
    read_rule_records,
    rule_body,
    rule_set_from_records,
    validate_rule_refs,
)
from app.seeding.schema import (
    ActionSeed,
    AgencySeed,
    ContactPointSeed,
    KpiSeed,
    MunicipalitySeed,
    NeedSeed,
    PillarSeed,
    ProgrammeSeed,
    SupportTypeSeed,
)

DEFAULT_SEED_DIR = Path(__file__).resolve().parents[2] / "seed"

M = TypeVar("M", bound=BaseModel)


class SeedError(ValueError):
    """A seed file is missing, unreadable or invalid; the message says where."""


@dataclass(frozen=True)
class SeedBundle:
    support_types: list[SupportTypeSeed]
    agencies: list[AgencySeed]
    pillars: list[PillarSeed]
    actions: list[ActionSeed]
    kpis: list[KpiSeed]
    programmes: list[ProgrammeSeed]
    needs: list[NeedSeed]
    municipalities: list[MunicipalitySeed]
    municipalities_source: str
    contact_points: list[ContactPointSeed]
    # The day the seed was last checked against its sources (seed/dataset.yaml): the last-change
    # date of every seeded record until an edit stamps its own.
    as_of: date
    # Matcher rules ``(theme, body)`` and lexicon entries ``(kind, body)``, validated, in file
    # order; loaded into ``matcher_rule`` / ``lexicon_entry`` (then edited through the API).
    rules: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lexicon: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise SeedError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not valid YAML: {exc}") from exc


def _entry_label(index: int, raw: Any) -> str:
    key = None
    if isinstance(raw, dict):
        key = raw.get("id") or raw.get("code") or raw.get("number")
    return f"entry {index}" + (f" (id={key})" if key is not None else "")


def _validate(path: Path, index: int, raw: Any, model: type[M]) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(str(p) for p in err['loc']) or '(entry)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SeedError(f"{path}: {_entry_label(index, raw)}: {problems}") from exc


def _read_list(path: Path, key: str, model: type[M]) -> list[M]:
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise SeedError(f"{path}: expected a mapping with a list under '{key}'")
    return [_validate(path, i, raw, model) for i, raw in enumerate(data[key])]


def _unique(path: Path, values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise SeedError(f"{path}: duplicate {what} {value!r}")
        seen.add(value)


def _read_as_of(path: Path) -> date:
    data = _read_yaml(path)
    raw = data.get("as_of") if isinstance(data, dict) else None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise SeedError(f"{path}: field as_of: expected a date (YYYY-MM-DD), got {raw!r}") from exc


def seed_timestamp(bundle: SeedBundle) -> datetime:
    """The seed's date as the ``updated_at`` of records nobody has edited (midnight UTC, so
    that every date rendering of it gives the same day)."""
    return datetime(bundle.as_of.year, bundle.as_of.month, bundle.as_of.day, tzinfo=UTC)


def read_seed(seed_dir: Path = DEFAULT_SEED_DIR) -> SeedBundle:
    """Validate every seed file and every cross-reference between them."""
    p = seed_dir
    support_types = _read_list(p / "support_types.yaml", "support_types", SupportTypeSeed)
    agencies = _read_list(p / "agencies.yaml", "agencies", AgencySeed)
    pillars = _read_list(p / "pillars.yaml", "pillars", PillarSeed)
    action_files = sorted((p / "actions").glob("action-*.yaml"))
    actions = [_validate(f, 0, _read_yaml(f), ActionSeed) for f in action_files]
    kpis = _read_list(p / "kpis.yaml", "kpis", KpiSeed)
    programmes = _read_list(p / "programmes.yaml", "programmes", ProgrammeSeed)
    needs = _read_list(p / "needs.yaml", "needs", NeedSeed)
    municipalities = _read_list(p / "municipalities.yaml", "municipalities", MunicipalitySeed)
    municipalities_source = str((_read_yaml(p / "municipalities.yaml") or {}).get("source", ""))
    contact_points = _read_list(p / "contact_points.yaml", "contact_points", ContactPointSeed)

    _unique(p / "support_types.yaml", [s.code for s in support_types], "code")
    _unique(p / "agencies.yaml", [a.id for a in agencies], "id")
    _unique(p / "actions", [a.number for a in actions], "action number")
    _unique(p / "kpis.yaml", [k.id for k in kpis], "id")
    _unique(p / "programmes.yaml", [g.id for g in programmes], "id")
    _unique(p / "needs.yaml", [n.id for n in needs], "id")
    _unique(p / "municipalities.yaml", [m.code for m in municipalities], "code")
    _unique(p / "contact_points.yaml", [c.id for c in contact_points], "id")

    agency_ids = {a.id for a in agencies}
    action_numbers = {a.number for a in actions}
    pillar_numbers = {pl.number for pl in pillars}
    measure_refs = {f"{a.number}.{m.number}" for a in actions for m in a.measures}
    programme_ids = {g.id for g in programmes}
    municipality_codes = {m.code for m in municipalities}

    def check(path: Path, index: int, ident: str, field: str, ok: bool, value: Any) -> None:
        if not ok:
            raise SeedError(f"{path}: entry {index} (id={ident}): field {field}: unknown {value!r}")

    for i, a in enumerate(agencies):
        if a.parent_id is not None:
            check(p / "agencies.yaml", i, a.id, "parent_id", a.parent_id in agency_ids, a.parent_id)
        for code in a.municipalities:
            check(p / "agencies.yaml", i, a.id, "municipalities", code in municipality_codes, code)
    for f, action in zip(action_files, actions, strict=True):
        check(f, 0, str(action.number), "pillar", action.pillar in pillar_numbers, action.pillar)
    need_ids = {n.id for n in needs}
    for i, k in enumerate(kpis):
        for n in k.actions:
            check(p / "kpis.yaml", i, k.id, "actions", n in action_numbers, n)
        for need_id in k.observed_needs:
            check(p / "kpis.yaml", i, k.id, "observed_needs", need_id in need_ids, need_id)
    for i, g in enumerate(programmes):
        path = p / "programmes.yaml"
        for op in g.operators:
            check(path, i, g.id, "operators", op in agency_ids, op)
        for n in g.actions:
            check(path, i, g.id, "actions", n in action_numbers, n)
        for ref in g.measures:
            check(path, i, g.id, "measures", ref in measure_refs, ref)
    for i, need in enumerate(needs):
        for ag in need.agencies:
            check(p / "needs.yaml", i, need.id, "agencies", ag in agency_ids, ag)
        for n in need.actions:
            check(p / "needs.yaml", i, need.id, "actions", n in action_numbers, n)
    for i, c in enumerate(contact_points):
        path = p / "contact_points.yaml"
        check(path, i, c.id, "agency_id", c.agency_id in agency_ids, c.agency_id)
        for code in c.municipalities:
            check(path, i, c.id, "municipalities", code in municipality_codes, code)
        if c.programme_id is not None:
            check(path, i, c.id, "programme_id", c.programme_id in programme_ids, c.programme_id)

    bundle = SeedBundle(
        support_types=support_types,
        agencies=agencies,
        pillars=pillars,
        actions=actions,
        kpis=kpis,
        programmes=programmes,
        needs=needs,
        municipalities=municipalities,
        municipalities_source=municipalities_source,
        contact_points=contact_points,
        as_of=_read_as_of(p / "dataset.yaml"),
    )
    rules, lexicon = _read_matcher_rules(p, bundle)
    bundle.rules.extend(rules)
    bundle.lexicon.extend(lexicon)
    return bundle


def _read_matcher_rules(
    seed_dir: Path, bundle: SeedBundle
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    """Validate ``rules/*.yaml`` and ``lexicon.yaml`` (fields and references to the directory).

    ``need_vocabularies.yaml`` (national vocabularies per need) is only validated here: it is
    not edited by partners, so the matcher keeps reading it from the seed directory.
    """
    lexicon_path = seed_dir / "lexicon.yaml"
    try:
        rule_records = read_rule_records(seed_dir / "rules")
        lexicon_records = read_lexicon_records(lexicon_path)
        rule_set = rule_set_from_records(
            rule_records, lexicon_records, default_vocabularies(lexicon_path)
        )
    except RuleError as exc:
        raise SeedError(f"{seed_dir}: {exc}") from exc
    problems = validate_rule_refs(
        rule_set,
        KnownIds(
            needs=frozenset(n.id for n in bundle.needs),
            agencies=frozenset(a.id for a in bundle.agencies),
            programmes=frozenset(g.id for g in bundle.programmes),
            actions=frozenset(a.number for a in bundle.actions),
        ),
    )
    if problems:
        raise SeedError(f"{seed_dir / 'rules'}: " + "; ".join(problems))
    seen: set[tuple[str, str]] = set()
    for kind, body in lexicon_records:
        key = (kind, lexicon_entry_id(kind, body))
        if key in seen:
            raise SeedError(f"{lexicon_path}: entry {key[1]}: field {kind}: duplicate entry")
        seen.add(key)
    themes = [theme for theme, _ in rule_records]
    rules = [(theme, rule_body(rule)) for theme, rule in zip(themes, rule_set.rules, strict=True)]
    lexicon = [
        (kind, lexicon_body(LEXICON_ENTRY_MODELS[kind].model_validate(body)))
        for kind, body in lexicon_records
    ]
    return rules, lexicon
