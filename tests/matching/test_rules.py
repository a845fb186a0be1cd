from __future__ import annotations

from pathlib import Path

import pytest

from app.matching import RuleError, compile_rules, load_rules, validate_rule_refs
from app.matching.normalize import Normalizer
from app.matching.snapshot import DirectorySnapshot

from .conftest import SEED, write_rules

GOOD = """
rules:
  - id: test.loan
    need: loan
    patterns: [融資, [お金, 借りる], {regex: "ローン[0-9]+"}]
    weight: 0.8
"""


def test_seed_rules_load_and_reference_known_ids(seed_snapshot: DirectorySnapshot) -> None:
    rule_set = load_rules(SEED / "rules", SEED / "lexicon.yaml")
    assert len(rule_set.rules) >= 50
    assert validate_rule_refs(rule_set, seed_snapshot) == []
    # every need of the directory is reachable by at least one rule
    assert {r.need for r in rule_set.rules} == set(seed_snapshot.needs)
    # every loan / guarantee programme of the plan is named by some rule
    named = {p for r in rule_set.rules for p in r.programmes}
    finance = {p.id for p in seed_snapshot.programmes.values() if p.kind in ("loan", "guarantee")}
    assert finance <= named, sorted(finance - named)


def test_good_file_loads(tmp_path: Path) -> None:
    rules_dir, lex = write_rules(tmp_path, GOOD)
    rule_set = load_rules(rules_dir, lex)
    assert rule_set.rules[0].id == "test.loan"
    assert rule_set.sources["test.loan"] == "test.yaml"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GOOD.replace("weight: 0.8", "weight: 3"), ["test.yaml", "test.loan", "weight"]),
        (GOOD.replace("weight: 0.8", "wieght: 0.8"), ["test.yaml", "test.loan", "wieght"]),
        (GOOD.replace("need: loan", "need: Not A Slug"), ["test.yaml", "test.loan", "need"]),
        (
            GOOD.replace(
                'patterns: [融資, [お金, 借りる], {regex: "ローン[0-9]+"}]', "patterns: []"
            ),
            ["test.yaml", "test.loan", "patterns"],
        ),
        (
            GOOD.replace("ローン[0-9]+", "ローン[0-9"),
            ["test.yaml", "test.loan", "patterns.2.regex"],
        ),
        (
            GOOD.replace("    weight: 0.8", "    weight: 0.8\n    negation: maybe"),
            ["test.yaml", "test.loan", "negation"],
        ),
    ],
)
def test_errors_name_file_rule_and_field(tmp_path: Path, body: str, expected: list[str]) -> None:
    rules_dir, lex = write_rules(tmp_path, body)
    with pytest.raises(RuleError) as exc:
        load_rules(rules_dir, lex)
    for part in expected:
        assert part in str(exc.value)


def test_duplicate_rule_id_is_rejected(tmp_path: Path) -> None:
    rules_dir, lex = write_rules(tmp_path, GOOD)
    (rules_dir / "other.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(RuleError, match=r"test\.loan.*duplicate"):
        load_rules(rules_dir, lex)


def test_lexicon_errors_name_entry(tmp_path: Path) -> None:
    rules_dir, lex = write_rules(
        tmp_path, GOOD, "synonyms:\n  - {id: money, canonical: 資金, variants: []}\n"
    )
    with pytest.raises(RuleError) as exc:
        load_rules(rules_dir, lex)
    assert "lexicon.yaml" in str(exc.value) and "money" in str(exc.value)
    assert "variants" in str(exc.value)


def test_unknown_references_are_reported(tmp_path: Path, tiny_snapshot: DirectorySnapshot) -> None:
    body = GOOD.replace("need: loan", "need: no-such-need") + (
        "    programmes: [ghost]\n    actions: [7]\n    agency_boosts: {nobody: 0.5}\n"
    )
    rules_dir, lex = write_rules(tmp_path, body)
    problems = validate_rule_refs(load_rules(rules_dir, lex), tiny_snapshot)
    text = "\n".join(problems)
    for part in ("no-such-need", "ghost", "nobody", "action 7"):
        assert part in text
    assert all("test.loan" in p for p in problems)


def test_term_that_normalizes_to_nothing_is_a_rule_error(
    tmp_path: Path, normalizer: Normalizer
) -> None:
    rules_dir, lex = write_rules(tmp_path, GOOD.replace("[融資,", "[ばかり,"))
    with pytest.raises(RuleError, match=r"test\.loan"):
        compile_rules(load_rules(rules_dir, lex), normalizer)


def test_core_imports_no_web_or_database_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, app.matching, app.matching.evaluate, app.matching.bench;"
        "bad=[m for m in sys.modules if m.split('.')[0] in "
        "('fastapi','sqlmodel','sqlalchemy','starlette','psycopg','alembic')];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_rule_regexes_run_on_a_linear_time_engine(normalizer: Normalizer, tmp_path: Path) -> None:
    """The review's pattern (き|き)*ょうどう stalled Python's backtracking engine for seconds on 24
    「き」; rule regexes are RE2 patterns, which match in time linear in the text, and what RE2
    cannot do without backtracking (lookaround) is refused as invalid."""
    import re2

    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "t.yaml").write_text(
        "rules:\n  - {id: t.r, need: loan, patterns: [{regex: '(き|き)*ょうどう'}]}\n",
        encoding="utf-8",
    )
    (tmp_path / "lexicon.yaml").write_text("synonyms: []\n", encoding="utf-8")
    compiled = compile_rules(load_rules(rules_dir, tmp_path / "lexicon.yaml"), normalizer)
    assert all(isinstance(r.regex, re2._Regexp) for r in compiled.regexes)
    assert compiled.regexes[0].regex.search("き" * 24 + "x") is None
    assert compiled.regexes[0].regex.search("ききょうどう") is not None
    (rules_dir / "t.yaml").write_text(
        "rules:\n  - {id: t.r, need: loan, patterns: [{regex: '融資(?!制度)'}]}\n", encoding="utf-8"
    )
    with pytest.raises(RuleError, match=r"patterns\.0\.regex"):
        load_rules(rules_dir, tmp_path / "lexicon.yaml")
