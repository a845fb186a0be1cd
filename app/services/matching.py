"""Glue between the pure matcher core and the app: rules, compilation, municipalities."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.core.errors import ApiError
from app.matching import (
    CompiledRules,
    MatchResult,
    Normalizer,
    compile_rules,
    load_rules,
    match_need,
    validate_rule_refs,
)
from app.matching.snapshot import DirectorySnapshot
from app.services.snapshot import Directory, ExtraBuilder

log = logging.getLogger("madoguchi.matching")


@lru_cache(maxsize=1)
def shared_normalizer() -> Normalizer:
    """SudachiPy's dictionary is large: one tokenizer per process."""
    return Normalizer()


def matcher_builder(seed_dir: Path) -> ExtraBuilder:
    """Compile the rules whenever the directory snapshot is rebuilt."""

    def build(_session: Session, snapshot: DirectorySnapshot) -> dict[str, Any]:
        rule_set = load_rules(seed_dir / "rules", seed_dir / "lexicon.yaml")
        for problem in validate_rule_refs(rule_set, snapshot):
            log.warning("rule reference problem: %s", problem)
        return {"compiled_rules": compile_rules(rule_set, shared_normalizer())}

    return build


def resolve_municipality_code(snapshot: DirectorySnapshot, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value in snapshot.municipalities:
        return value
    for m in snapshot.municipalities.values():
        if value in (m.name, m.name[:-1]):
            return m.code
    raise ApiError(
        422,
        f"市町「{value[:40]}」は山口県の19市町にありません。市町名（例: 萩市）か JIS コード（例: 35204）を指定してください。",
    )


def run_match(directory: Directory, text: str, municipality: str | None, limit: int) -> MatchResult:
    compiled: CompiledRules = directory.extras["compiled_rules"]
    code = resolve_municipality_code(directory.snapshot, municipality)
    return match_need(text, compiled, directory.snapshot, municipality=code, limit=limit)


def need_ids_of(directory: Directory, text: str) -> list[str] | None:
    """The needs the matcher finds in a text (negated ones left out), for referral statistics;
    None when this app runs without a matcher."""
    compiled: CompiledRules | None = directory.extras.get("compiled_rules")
    if compiled is None:
        return None
    result = match_need(text, compiled, directory.snapshot, municipality=None, limit=5)
    return [need.id for need in result.needs if not need.negated]
