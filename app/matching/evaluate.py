"""Evaluate the matcher on the labelled utterances (seed/eval/utterances.yaml).

``python -m app.matching.evaluate [--seed DIR] [--file FILE] [--json]`` prints the metrics and the
misses; the exit code is 1 if any metric is below its threshold (``THRESHOLDS``).

The same functions serve the publish gate of the rule editing API: ``evaluate`` runs the set on
any compiled rule set and snapshot, and ``broken_metrics`` compares two reports and names the
cases that passed before and fail now.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from app.matching.classifier import NeedClassifier, load_classifier
from app.matching.compiler import CompiledRules, compile_rules
from app.matching.matcher import match_need
from app.matching.normalize import Normalizer
from app.matching.rules import RuleError, SupportTypeCode, load_rules, validate_rule_refs
from app.matching.similarity import need_profiles
from app.matching.snapshot import DirectorySnapshot

THRESHOLD = 0.9

#: The one place the quality bar is set: the tests (tests/matching/test_evaluation.py), the CLI
#: exit code and the publish gate of POST/PATCH/DELETE /v1/admin/rules and /v1/admin/lexicon.
#: ``negation`` is the share of utterances with a negated need whose top support type is not the
#: negated one: it must stay at 1.0.
THRESHOLDS: dict[str, float] = {
    "support_type@1": THRESHOLD,
    "agency@3": THRESHOLD,
    "programme@5": THRESHOLD,
    "action@3": THRESHOLD,
    "out_of_scope_rejection": THRESHOLD,
    "clarification_rate": THRESHOLD,
    "negation": 1.0,
}


class Category(StrEnum):
    canonical = "canonical"
    paraphrase = "paraphrase"
    polite = "polite"
    colloquial = "colloquial"
    variant = "variant"
    compound = "compound"
    negation = "negation"
    vague = "vague"
    out_of_scope = "out_of_scope"


class Style(StrEnum):
    """How the request is said (issue: understand owners as they speak and type); one per item.

    `make eval` prints the share of fully right answers per style."""

    plain = "plain"  # a plain first-person request
    polite = "polite"  # keigo
    casual = "casual"  # casual spoken Japanese
    chat = "chat"  # typed into a chat/LINE: emoji, w, no punctuation, fragments
    clerk = "clerk"  # a clerk paraphrasing the owner in the third person
    dialect = "dialect"  # 山口弁
    kana = "kana"  # kana only, half-width kana, no kanji conversion
    typo = "typo"  # conversion mistakes, homophone slips, voice-input errors
    modern = "modern"  # vocabulary the 2013 plan does not use (DX, EC, インボイス …)
    industry = "industry"  # Yamaguchi industries and their jargon
    long = "long"  # a long story with the need somewhere inside
    multi = "multi"  # two or more needs
    negated = "negated"  # one need said not to be wanted
    vague = "vague"  # no identifiable need: clarifying questions expected
    out_of_scope = "out-of-scope"  # not a business need at all


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Expect(_Strict):
    matched: bool = True
    clarify: bool = False
    support_types: list[SupportTypeCode] = []
    actions: list[Annotated[int, Field(ge=1, le=12)]] = []
    agencies: list[str] = []
    programmes: list[str] = []
    needs: list[str] = []
    negated_support_types: list[SupportTypeCode] = []
    # Local offices (agencies under a role-matrix row that serve the item's 市町) any of which
    # is right among the local offices of the top three agencies (reported, not gated).
    local_offices: list[str] = []


class Utterance(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")]
    text: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    category: Category
    style: Style | None = None
    municipality: str | int | None = None
    expect: Expect


class UtteranceFile(_Strict):
    utterances: list[Utterance]


def load_utterances(path: Path) -> list[Utterance]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    try:
        parsed = UtteranceFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = err["loc"]
            ident = "-"
            if len(loc) > 1 and isinstance(loc[1], int):
                try:
                    ident = str(data["utterances"][loc[1]].get("id", f"#{loc[1]}"))
                except (KeyError, IndexError, TypeError, AttributeError):
                    ident = f"#{loc[1]}"
            lines.append(
                f"{path.name}: utterance {ident}: field "
                f"{'.'.join(str(p) for p in loc[2:]) or '-'}: {err['msg']}"
            )
        raise ValueError("; ".join(lines)) from exc
    ids = [u.id for u in parsed.utterances]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{path.name}: duplicate utterance ids: {', '.join(dupes)}")
    return parsed.utterances


@dataclass
class Miss:
    id: str
    category: str
    metric: str
    text: str
    expected: list[str]
    got: list[str]


@dataclass
class Metric:
    hits: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 1.0


@dataclass
class EvalReport:
    metrics: dict[str, Metric] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    negation_violations: int = 0
    # Fully right answers (every check of the utterance passed), overall and per style.
    fully_right: Metric = field(default_factory=Metric)
    by_style: dict[str, Metric] = field(default_factory=dict)
    # The similarity fallback (app/matching/similarity.py), reported, never gated: how often an
    # expected need is among the three nearest, on every in-scope utterance with labelled needs
    # (the similarity on its own) and on those that no rule matched (where it is offered).
    nearest_all: Metric = field(default_factory=Metric)
    nearest_unmatched: Metric = field(default_factory=Metric)
    # Whom to call: the expected local office among those of the top three agencies, and how
    # often the top agency has a local office with a phone (items with a 市町 that matched).
    local_office: Metric = field(default_factory=Metric)
    local_phone: Metric = field(default_factory=Metric)
    # ... and how often the first agency of `call_first` (the order a desk calls in) has a window
    # with a phone: a local office's, or its own for a prefecture-wide body.
    call_phone: Metric = field(default_factory=Metric)

    @property
    def passed(self) -> bool:
        return all(m.value >= THRESHOLDS.get(name, THRESHOLD) for name, m in self.metrics.items())

    def values(self) -> dict[str, float]:
        return {name: round(m.value, 4) for name, m in self.metrics.items()}

    def failing(self, metric: str) -> list[Miss]:
        """The cases that fail one metric."""
        return [m for m in self.misses if m.metric == metric]

    def to_dict(self) -> dict[str, object]:
        return {
            "metrics": {
                k: {"value": round(m.value, 4), "hits": m.hits, "total": m.total}
                for k, m in self.metrics.items()
            },
            "negation_violations": self.negation_violations,
            "fully_right": {
                "value": round(self.fully_right.value, 4),
                "total": self.fully_right.total,
            },
            "local_office@3": {
                "value": round(self.local_office.value, 4),
                "total": self.local_office.total,
            },
            "top_agency_local_phone": {
                "value": round(self.local_phone.value, 4),
                "total": self.local_phone.total,
            },
            "call_first_phone": {
                "value": round(self.call_phone.value, 4),
                "total": self.call_phone.total,
            },
            "nearest_need@3": {
                "all": {"value": round(self.nearest_all.value, 4), "total": self.nearest_all.total},
                "unmatched": {
                    "value": round(self.nearest_unmatched.value, 4),
                    "total": self.nearest_unmatched.total,
                },
            },
            "by_style": {
                k: {"value": round(m.value, 4), "hits": m.hits, "total": m.total}
                for k, m in sorted(self.by_style.items())
            },
            "misses": [asdict(m) for m in self.misses],
            "passed": self.passed,
        }


def evaluate(
    utterances: list[Utterance],
    compiled: CompiledRules,
    snapshot: DirectorySnapshot,
    classifier: NeedClassifier | None = None,
) -> EvalReport:
    """`classifier`: the second reader the service uses where no rule matches (the CLI passes
    it unless --rules-only; the publish gate of rule edits measures the rules alone)."""
    report = EvalReport(metrics={n: Metric() for n in THRESHOLDS})

    def check(u: Utterance, metric: str, ok: bool, expected: list[str], got: list[str]) -> None:
        m = report.metrics[metric]
        m.total += 1
        if ok:
            m.hits += 1
        else:
            report.misses.append(Miss(u.id, u.category.value, metric, u.text, expected, got))

    for u in utterances:
        missed_before = len(report.misses)
        _check_one(u, check, report, compiled, snapshot, classifier)
        ok = len(report.misses) == missed_before
        report.fully_right.total += 1
        report.fully_right.hits += ok
        style = u.style.value if u.style else u.category.value
        m = report.by_style.setdefault(style, Metric())
        m.total += 1
        m.hits += ok
    return report


def _check_one(
    u: Utterance,
    check: Callable[[Utterance, str, bool, list[str], list[str]], None],
    report: EvalReport,
    compiled: CompiledRules,
    snapshot: DirectorySnapshot,
    classifier: NeedClassifier | None = None,
) -> None:
    muni = str(u.municipality) if u.municipality is not None else None
    r = match_need(u.text, compiled, snapshot, municipality=muni, limit=5, classifier=classifier)
    e = u.expect
    if muni is not None and r.matched and r.agencies:
        report.local_phone.total += 1
        report.local_phone.hits += any(
            cm.contact.phones for o in r.agencies[0].local_offices for cm in o.contact_points
        )
        first = next(a for a in r.agencies if a.id == r.call_first[0])
        report.call_phone.total += 1
        report.call_phone.hits += any(
            cm.contact.phones for o in first.local_offices for cm in o.contact_points
        ) or any(c.contact.phones for c in r.contact_points if c.contact.agency_id == first.id)
    if e.local_offices:
        got_offices = [o.id for a in r.agencies[:3] for o in a.local_offices]
        report.local_office.total += 1
        report.local_office.hits += bool(set(got_offices) & set(e.local_offices))
        if not set(got_offices) & set(e.local_offices):
            report.misses.append(
                Miss(u.id, u.category.value, "local_office@3", u.text, e.local_offices, got_offices)
            )
    if e.needs and e.matched:
        near = {
            nid
            for nid, _ in need_profiles(compiled, snapshot).nearest(
                compiled.normalizer.normalize(u.text)
            )
        }
        hit = bool(near & set(e.needs))
        report.nearest_all.total += 1
        report.nearest_all.hits += hit
        if not r.matched:
            report.nearest_unmatched.total += 1
            report.nearest_unmatched.hits += hit
    sts = [s.code for s in r.support_types]
    if e.support_types:
        check(
            u,
            "support_type@1",
            bool(sts) and sts[0] in e.support_types,
            list(e.support_types),
            sts[:1],
        )
    if e.agencies:
        got = [a.id for a in r.agencies[:3]]
        check(u, "agency@3", bool(set(got) & set(e.agencies)), e.agencies, got)
    if e.programmes:
        got = [p.id for p in r.programmes[:5]]
        check(u, "programme@5", bool(set(got) & set(e.programmes)), e.programmes, got)
    if e.actions:
        got_a = [a.number for a in r.actions[:3]]
        check(
            u,
            "action@3",
            bool(set(got_a) & set(e.actions)),
            [str(a) for a in e.actions],
            [str(a) for a in got_a],
        )
    if u.category is Category.out_of_scope:
        check(
            u,
            "out_of_scope_rejection",
            not r.matched and not r.support_types,
            ["matched=false"],
            [f"matched={r.matched}", *sts[:1]],
        )
    if e.clarify:
        check(
            u,
            "clarification_rate",
            bool(r.clarifying_questions),
            ["questions"],
            [f"{len(r.clarifying_questions)} questions", *sts[:1]],
        )
    if e.negated_support_types:
        violated = bool(sts) and sts[0] in e.negated_support_types
        check(
            u,
            "negation",
            not violated,
            ["not " + s for s in e.negated_support_types],
            sts[:1],
        )
        report.negation_violations += int(violated)


@dataclass(frozen=True)
class BrokenMetric:
    """A metric the candidate drops below its threshold, with the cases it broke."""

    metric: str
    value: float
    threshold: float
    current: float
    cases: list[Miss]

    def to_dict(self, max_cases: int = 20) -> dict[str, object]:
        return {
            "metric": self.metric,
            "value": round(self.value, 4),
            "threshold": self.threshold,
            "current": round(self.current, 4),
            "cases": [
                {"id": c.id, "text": c.text, "expected": c.expected, "got": c.got}
                for c in self.cases[:max_cases]
            ],
            "cases_total": len(self.cases),
        }


def broken_metrics(
    current: EvalReport, candidate: EvalReport, thresholds: dict[str, float] | None = None
) -> list[BrokenMetric]:
    """Metrics the candidate takes below their threshold.

    A metric counts as broken when the candidate is below the threshold and either the current
    rules meet it or the candidate is worse still (a change that does not make an already low
    metric worse is not blocked). ``cases`` lists only what passed before and fails now.
    """
    thresholds = THRESHOLDS if thresholds is None else thresholds
    out: list[BrokenMetric] = []
    for name, threshold in thresholds.items():
        cand = candidate.metrics.get(name)
        if cand is None or cand.value >= threshold:
            continue
        cur = current.metrics.get(name)
        cur_value = cur.value if cur is not None else 1.0
        if cur_value < threshold and cand.value >= cur_value:
            continue
        failed_before = {m.id for m in current.failing(name)}
        cases = [m for m in candidate.failing(name) if m.id not in failed_before]
        out.append(BrokenMetric(name, cand.value, threshold, cur_value, cases))
    return out


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    root = Path(__file__).resolve().parents[2]
    parser.add_argument("--seed", type=Path, default=root / "seed")
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--rules-only",
        action="store_true",
        help="without the classifier that guesses a need where no rule matches",
    )
    parser.add_argument(
        "--summary",
        action="store_true",
        help="metrics and scores per style only, no cases (for a held-out set: its misses are "
        "not to be read, or it is no longer held out)",
    )
    args = parser.parse_args(argv)
    seed: Path = args.seed
    path: Path = args.file or seed / "eval" / "utterances.yaml"

    from app.seeding.snapshot import snapshot_from_seed

    try:
        rule_set = load_rules(seed / "rules", seed / "lexicon.yaml")
        snapshot = snapshot_from_seed(seed)
        problems = validate_rule_refs(rule_set, snapshot)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 2
        compiled = compile_rules(rule_set, Normalizer())
        utterances = load_utterances(path)
    except (RuleError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    classifier = None if args.rules_only else load_classifier(seed / "eval")
    report = evaluate(utterances, compiled, snapshot, classifier)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{len(utterances)} utterances, {len(rule_set.rules)} rules")
        for name, m in report.metrics.items():
            flag = "ok " if m.value >= THRESHOLDS.get(name, THRESHOLD) else "LOW"
            print(f"  {flag} {name:24s} {m.value:.3f}  ({m.hits}/{m.total})")
        print(f"  negation violations: {report.negation_violations}")
        fr = report.fully_right
        print(f"  fully right              {fr.value:.3f}  ({fr.hits}/{fr.total})")
        lo, lp = report.local_office, report.local_phone
        cp = report.call_phone
        print(
            f"  local office@3 {lo.value:.3f} ({lo.hits}/{lo.total}); top agency has a local "
            f"office with a phone {lp.value:.3f} ({lp.hits}/{lp.total}); the first agency a "
            f"desk calls (call_first) has a window with a phone {cp.value:.3f} ({cp.hits}/{cp.total})"
        )
        na, nu = report.nearest_all, report.nearest_unmatched
        print(
            f"  nearest need@3 (similarity alone) {na.value:.3f} ({na.hits}/{na.total}); "
            f"where no rule matched {nu.value:.3f} ({nu.hits}/{nu.total})"
        )
        print("  fully right by style:")
        for style, m in sorted(report.by_style.items(), key=lambda kv: kv[1].value):
            print(f"    {style:14s} {m.value:.3f}  ({m.hits}/{m.total})")
        if report.misses and not args.summary:
            print(f"misses ({len(report.misses)}):")
            for miss in report.misses:
                print(
                    f"  [{miss.metric}] {miss.id} ({miss.category}) {miss.text!r}: "
                    f"expected {miss.expected}, got {miss.got}"
                )
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(_main())
