"""Ranking programmes in a large directory: the per-snapshot candidates give exactly the ranking
of scoring every programme of the matched actions (the old way, kept here as the reference)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import yaml

from app.matching import CompiledRules
from app.matching.matcher import (
    ACTION_PROGRAMME_FACTOR,
    PROGRAMME_ORDER_DECAY,
    RULE_PROGRAMME_FACTOR,
    NeedScore,
    _combine,
    best_analysis,
    rank_actions,
    rank_programmes,
    rank_support_types,
    score_needs,
    snapshot_index,
)
from app.matching.snapshot import DirectorySnapshot, ProgrammeView

SEED = Path(__file__).resolve().parents[2] / "seed"


def reference(
    needs: list[NeedScore],
    actions: list[tuple[int, float]],
    support_types: tuple[str, ...],
    snapshot: DirectorySnapshot,
    limit: int,
) -> list[tuple[str, float]]:
    contrib: dict[str, list[float]] = defaultdict(list)
    for n in needs:
        for rm in n.used:
            for pos, pid in enumerate(rm.rule.programmes):
                if pid in snapshot.programmes:
                    factor = RULE_PROGRAMME_FACTOR * (1.0 - PROGRAMME_ORDER_DECAY * pos)
                    contrib[pid].append(rm.strength * factor * n.score / n.raw)
    active = set(support_types)
    for a, s in actions[:3]:
        for prog in sorted(snapshot.programmes.values(), key=lambda p: p.id):
            if a in prog.actions and (
                not prog.support_types or active.intersection(prog.support_types)
            ):
                contrib[prog.id].append(s * ACTION_PROGRAMME_FACTOR)
    scores = {p: _combine(v) for p, v in contrib.items()}
    ranked = sorted(scores.items(), key=lambda kv: (-round(kv[1], 4), kv[0]))[:limit]
    return [(p, round(s, 4)) for p, s in ranked]


def large(snapshot: DirectorySnapshot, count: int) -> DirectorySnapshot:
    """The seed directory plus `count` programmes with random actions and support types, their
    ids interleaved with the seed's."""
    rng = random.Random(7)
    codes = [st.code for st in snapshot.support_types]
    extra = {}
    for i in range(count):
        pid = f"{rng.choice('abcdefghijklmnopqrstuvwxyz')}-synthetic-{i:05d}"
        extra[pid] = ProgrammeView(
            pid,
            f"合成制度{i}",
            "subsidy",
            (),
            tuple(sorted(rng.sample(range(1, 13), rng.choice([1, 1, 2, 3])))),
            tuple(sorted(rng.sample(codes, rng.choice([0, 1, 1, 2])))),
        )
    return replace(snapshot, programmes={**snapshot.programmes, **extra})


def test_candidates_rank_as_scoring_every_programme(
    seed_rules: CompiledRules, seed_snapshot: DirectorySnapshot
) -> None:
    snapshot = large(seed_snapshot, 3000)
    index = snapshot_index(snapshot)
    data = yaml.safe_load((SEED / "eval" / "utterances.yaml").read_text(encoding="utf-8"))
    texts = [u["text"] for u in data["utterances"]][::3]
    compared = 0
    for text in texts:
        _, analysis = best_analysis(text, seed_rules)
        positive = [n for n in score_needs(analysis, seed_rules, snapshot) if not n.negated]
        types = rank_support_types(positive, snapshot)
        actions = rank_actions(positive, snapshot)
        for limit in (1, 5, 12):
            got = rank_programmes(positive, actions, types, snapshot, index, limit)
            want = reference(positive, actions, tuple(t.code for t in types), snapshot, limit)
            assert [(p.id, p.score) for p in got] == want, text
            compared += bool(want)
    assert compared > 100  # most texts rank programmes at all


def test_views_in_id_order_are_not_sorted_again(seed_snapshot: DirectorySnapshot) -> None:
    from app.matching.snapshot import in_id_order

    ordered = tuple(sorted(seed_snapshot.programmes.values(), key=lambda p: p.id))
    assert in_id_order(ordered) is ordered
    shuffled = list(reversed(ordered))
    assert [p.id for p in in_id_order(shuffled)] == [p.id for p in ordered]
    assert [p.id for p in in_id_order(iter(shuffled))] == [p.id for p in ordered]
