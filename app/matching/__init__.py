"""The referral matcher: pure Python, no web framework or database imports."""

from app.matching.compiler import CompiledRules, compile_rules
from app.matching.matcher import match_need
from app.matching.misses import MissCounter
from app.matching.normalize import Normalizer
from app.matching.result import MatchResult
from app.matching.rules import RuleError, RuleSet, load_rules, validate_rule_refs

__all__ = [
    "CompiledRules",
    "MatchResult",
    "MissCounter",
    "Normalizer",
    "RuleError",
    "RuleSet",
    "compile_rules",
    "load_rules",
    "match_need",
    "validate_rule_refs",
]
