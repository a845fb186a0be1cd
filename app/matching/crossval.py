"""Leave-one-set-out cross-validation of the need classifier over its training sets.

``python -m app.matching.crossval`` trains the classifier (app/matching/classifier.py) on all
development sets of `TRAINING_SETS` but one and reads the one left out, for each in turn:

- alone: the share of labelled in-scope requests whose top guess has a support type the item
  accepts (`expect.support_types`; a guess of the no-need classes is wrong);
  and the share of all its requests whose top guess is their label (the main need, or the
  classifier's classes for everyday life and vague requests);
- ``--pipeline``: the whole matcher with that classifier (``fully right``, as
  app/matching/evaluate.py counts it), per set and over all of them.

The development sets are the classifier's training data: read in-sample, as `make eval` does,
they overstate it; this is the figure to compare models and thresholds by. Never run on the
gated or the sealed sets (they are not training data, and `evaluate --file` reads them).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.matching.classifier import TRAINING_SETS, NeedClassifier, training_examples
from app.matching.compiler import compile_rules
from app.matching.evaluate import evaluate, load_utterances
from app.matching.normalize import Normalizer
from app.matching.rules import load_rules


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    root = Path(__file__).resolve().parents[2]
    parser.add_argument("--seed", type=Path, default=root / "seed")
    parser.add_argument("--pipeline", action="store_true", help="the whole matcher too")
    args = parser.parse_args(argv)
    seed: Path = args.seed
    eval_dir = seed / "eval"

    from app.seeding.snapshot import snapshot_from_seed

    snapshot = snapshot_from_seed(seed)
    # one normalizer whose cache holds every training text: each is tokenized once
    normalizer = Normalizer(cache_size=4096)
    compiled = compile_rules(load_rules(seed / "rules", seed / "lexicon.yaml"), normalizer)
    alone_hits = alone_total = full_hits = full_total = label_hits = label_total = 0
    started = time.perf_counter()
    for left_out in TRAINING_SETS:
        others = tuple(name for name in TRAINING_SETS if name != left_out)
        texts, labels = training_examples(eval_dir, others)
        classifier = NeedClassifier(texts, labels, normalizer)
        utterances = load_utterances(eval_dir / left_out)
        hits = total = 0
        for u in utterances:
            if not u.expect.matched or u.expect.clarify or not u.expect.support_types:
                continue
            total += 1
            guess = classifier.guess(u.text)
            need = snapshot.needs.get(guess.need_id) if guess is not None else None
            hits += need is not None and need.support_type in u.expect.support_types
        alone_hits += hits
        alone_total += total
        own_texts, own_labels = training_examples(eval_dir, (left_out,))
        right = sum(
            (g := classifier.guess(t)) is not None and g.need_id == label
            for t, label in zip(own_texts, own_labels, strict=True)
        )
        label_hits += right
        label_total += len(own_labels)
        line = (
            f"{left_out:20s} alone {hits / max(1, total):.3f} ({hits}/{total}), "
            f"label {right / max(1, len(own_labels)):.3f}"
        )
        if args.pipeline:
            report = evaluate(utterances, compiled, snapshot, classifier)
            fr = report.fully_right
            full_hits += fr.hits
            full_total += fr.total
            line += f"  fully right {fr.value:.3f} ({fr.hits}/{fr.total})"
        print(line, flush=True)
    line = (
        f"{'all':20s} alone {alone_hits / max(1, alone_total):.3f} ({alone_hits}/{alone_total}), "
        f"label {label_hits / max(1, label_total):.3f} ({label_hits}/{label_total})"
    )
    if args.pipeline:
        line += f"  fully right {full_hits / max(1, full_total):.3f} ({full_hits}/{full_total})"
    print(line)
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
