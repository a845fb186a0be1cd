"""Matcher latency: ``python -m app.matching.bench``.

Prints p50/p99 in microseconds per ``match_need`` call for the seed rules and for synthetic rule
sets of 1k and 10k rules (generated in memory from Japanese-ish kanji/katakana terms), and the
10k/seed p50 ratio. The normalizer cache is disabled so every call tokenizes. The seed rules are
measured a second time with the need classifier the service passes (`seed+clf`: it is consulted
on every text), after the time it takes to build it at start-up.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import replace
from pathlib import Path

from app.matching.classifier import NeedClassifier, load_classifier
from app.matching.compiler import CompiledRules, compile_rules
from app.matching.matcher import match_need
from app.matching.normalize import Normalizer
from app.matching.rules import Rule, RuleSet, load_rules
from app.matching.snapshot import DirectorySnapshot

TEXTS = [
    "創業したいので融資も受けたい",
    "運転資金が足りなくて資金繰りが苦しい",
    "大学と一緒に新しい素材の研究をしたいのですが、どこに相談すればよいですか",
    "融資は必要ないが、販路を広げたい",
    "後継者がいないので事業承継について相談したい",
    "工場を建てたいので産業団地の情報がほしい",
    "取引先から無理な値下げを求められて困っています",
    "相談したい",
    "今日の天気はどうですか",
    "地震に備えてＢＣＰを作りたい。組合でも取り組みたい。",
]

KANJI = "技術資金販路経営創業研究開発設備工場商品地域観光人材組合保証融資計画製品素材環境医療水素"
KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロ"


def synthetic_rules(n: int, needs: list[str], seed: int = 7) -> tuple[Rule, ...]:
    rng = random.Random(seed)
    rules = []
    for i in range(n):
        patterns: list[str | list[str]] = []
        for _ in range(rng.randint(2, 6)):
            if rng.random() < 0.5:
                term = "".join(rng.choice(KANJI) for _ in range(rng.randint(3, 5)))
            else:
                term = "".join(rng.choice(KATAKANA) for _ in range(rng.randint(3, 6)))
            if rng.random() < 0.3:
                patterns.append(
                    [term, "".join(rng.choice(KANJI) for _ in range(rng.randint(2, 3)))]
                )
            else:
                patterns.append(term)
        rules.append(
            Rule.model_validate(
                {
                    "id": f"synthetic.r{i:05d}",
                    "need": rng.choice(needs),
                    "patterns": patterns,
                    "weight": round(rng.uniform(0.3, 0.9), 2),
                }
            )
        )
    return tuple(rules)


def measure(
    compiled: CompiledRules,
    snapshot: DirectorySnapshot,
    rounds: int,
    classifier: NeedClassifier | None = None,
) -> list[float]:
    times = []
    for _ in range(rounds):
        for text in TEXTS:
            t0 = time.perf_counter_ns()
            match_need(text, compiled, snapshot, classifier=classifier)
            times.append((time.perf_counter_ns() - t0) / 1000)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    root = Path(__file__).resolve().parents[2]
    parser.add_argument("--seed", type=Path, default=root / "seed")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)

    from app.seeding.snapshot import snapshot_from_seed

    snapshot = snapshot_from_seed(args.seed)
    normalizer = Normalizer(cache_size=0)
    base = load_rules(args.seed / "rules", args.seed / "lexicon.yaml")
    needs = sorted(snapshot.needs)
    results = {}
    for label, extra in (("seed", 0), ("1k", 1000), ("10k", 10000)):
        rule_set: RuleSet = base
        if extra:
            rule_set = replace(
                base, rules=base.rules + synthetic_rules(extra - len(base.rules), needs)
            )
        t0 = time.perf_counter()
        compiled = compile_rules(rule_set, normalizer)
        compile_ms = (time.perf_counter() - t0) * 1000
        measure(compiled, snapshot, 5)  # warm-up
        times = measure(compiled, snapshot, args.rounds)
        results[label] = (pct(times, 0.5), pct(times, 0.99))
        print(
            f"{label:>5}: {len(rule_set.rules):6d} rules, {compiled.key_count:6d} keys, "
            f"compile {compile_ms:8.1f} ms, p50 {results[label][0]:8.1f} us, "
            f"p99 {results[label][1]:8.1f} us, mean {statistics.fmean(times):8.1f} us"
        )
    print(f"10k/seed p50 ratio: {results['10k'][0] / results['seed'][0]:.2f}")
    t0 = time.perf_counter()
    classifier = load_classifier(args.seed / "eval")
    build_ms = (time.perf_counter() - t0) * 1000
    if classifier is not None:
        compiled = compile_rules(base, normalizer)
        measure(compiled, snapshot, 5, classifier)
        times = measure(compiled, snapshot, args.rounds, classifier)
        print(
            f"seed+clf: classifier built in {build_ms:8.1f} ms ({classifier.size} texts), "
            f"p50 {pct(times, 0.5):8.1f} us, p99 {pct(times, 0.99):8.1f} us, "
            f"mean {statistics.fmean(times):8.1f} us"
        )


if __name__ == "__main__":
    main()
