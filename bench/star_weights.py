"""Fitting the weights the STAR part finder adds up (bot/star/parts.py, WEIGHTS) to the
labelled answers of bench/star_eval/tuning.json, and cross-validating the fit.

The score is how many (answer, part) pairs agree with the labels on whether each part is
there, as written and as a free answer. The fit is coordinate ascent: one weight at a
time, a few steps up and down, kept when the score rises. Cross-validation (5 folds)
fits on four fifths and scores the fifth it did not see, against the hand-set weights
on the same fifth: only a fit that wins there is worth adopting.

    .venv/bin/python bench/star_weights.py [--folds 5] [--passes 3]
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bot.star.parts as parts_module
from bench.star_agreement import free_text, load
from bot.star.language import evidence
from bot.star.parts import PARTS, WEIGHTS, find_parts

STEPS = (-1.0, -0.5, -0.25, 0.25, 0.5, 1.0)

# Features and evidence depend on the text only, never on the weights: computed once.
parts_module.features = lru_cache(maxsize=None)(parts_module.features)  # type: ignore[assignment]


@cache
def has_evidence(text: str) -> bool:
    return bool(evidence(text))


def agreed(examples: list[dict[str, Any]], weights: dict[str, dict[str, float]]) -> int:
    total = 0
    for example in examples:
        labels = example["labels"]["parts"]
        for text in (example["text"], free_text(example)):
            found = find_parts(text, evidence=has_evidence, weights=weights).parts
            total += sum(bool(found.get(p)) == (labels.get(p) is not None) for p in PARTS)
    return total


def fit(examples: list[dict[str, Any]], passes: int) -> dict[str, dict[str, float]]:
    weights = copy.deepcopy(WEIGHTS)
    best = agreed(examples, weights)
    for _ in range(passes):
        better = False
        for named in weights.values():
            for name in list(named):
                start = named[name]
                chosen = start
                for step in STEPS:
                    named[name] = start + step
                    score = agreed(examples, weights)
                    if score > best:
                        best, chosen, better = score, start + step, True
                named[name] = chosen
        if not better:
            break
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    examples = load("tuning")
    random.Random(17).shuffle(examples)
    folds = [examples[n :: args.folds] for n in range(args.folds)]
    hand_total = fitted_total = pairs = 0
    for n, held in enumerate(folds):
        train = [e for m, fold in enumerate(folds) if m != n for e in fold]
        weights = fit(train, args.passes)
        hand, fitted = agreed(held, WEIGHTS), agreed(held, weights)
        size = len(held) * 2 * len(PARTS)
        hand_total, fitted_total, pairs = hand_total + hand, fitted_total + fitted, pairs + size
        print(
            f"fold {n + 1}: hand-set {hand / size:.1%}, fitted {fitted / size:.1%} ({size} pairs)"
        )
    print(f"all folds: hand-set {hand_total / pairs:.1%}, fitted {fitted_total / pairs:.1%}")
    weights = fit(examples, args.passes)
    print(f"fitted on all {len(examples)}: {agreed(examples, weights) / (len(examples) * 10):.1%}")
    for part, named in weights.items():
        changed = {k: v for k, v in named.items() if v != WEIGHTS[part][k]}
        if changed:
            print(f"  {part}: {changed}")
    print(f"ratio, fitted to hand-set (cross-validated): {fitted_total / hand_total:.3f}x")


if __name__ == "__main__":
    main()
