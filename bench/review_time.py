"""Time per STAR review: a 250-word and a 2,000-word example, each reviewed in full
(length, "I"/"we", evidence, wording, coverage of the level, band, follow-ups), as
drafted parts and as one free answer whose parts must first be found.

Baseline, measured in the same run on the same texts: reading the example once
(splitting it into words), the least any review must do. Prints both and the ratio.

    .venv/bin/python bench/review_time.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.frameworks import load_all
from bot.star.drafting import standard_of
from bot.star.review import analyse, words
from tests.star.test_review import STRONG


def example(total_words: int) -> dict[str, str]:
    """STRONG's parts, the Action repeated to reach about `total_words` words."""
    parts = dict(STRONG)
    base = sum(len(words(parts[p])) for p in ("situation", "task", "result"))
    action = words(STRONG["action"])
    need = max(total_words - base, 1)
    parts["action"] = " ".join((action * (need // len(action) + 1))[:need]) + "."
    return parts


def per_call(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        runs.append((time.perf_counter() - started) / repeat)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    civil_service = next(f for f in load_all(()) if f.id == "civil-service")
    leadership = civil_service.behaviour("leadership")
    assert leadership is not None
    standard = standard_of(civil_service, leadership, civil_service.level("4"))  # type: ignore[arg-type]
    print(f"{'example':>12} {'parts':>10} {'free':>10} {'baseline':>10} {'ratios':>14}")
    for size in (250, 2000):
        parts = example(size)
        text = " ".join(parts.values())
        counted = len(words(text))
        reviewed = per_call(lambda parts=parts: analyse(parts, standard), args.repeat)
        free = per_call(lambda text=text: analyse(text, standard), args.repeat)
        baseline = per_call(lambda text=text: words(text), args.repeat)
        print(
            f"{counted:>6} words {reviewed * 1e6:>7.0f} µs {free * 1e6:>7.0f} µs"
            f" {baseline * 1e6:>7.0f} µs {reviewed / baseline:>6.1f}× {free / baseline:>6.1f}×"
        )
    # Hostile answers of 2,000 words (the most the chat takes): runs of number words,
    # pronouns, adverbs, claims and tags, each timed once against reading it.
    print(f"{'hostile, 2,000 words':>22} {'free':>10} {'baseline':>10} {'ratio':>8}")
    for name, unit in (
        ("number words", "twenty-five and "),
        ("pronouns", "I we "),
        ("adverbs", "quickly then also "),
        ("claims", "much more smoothly "),
        ("tags", "(situation) task: "),
        ("reactions", "my manager said "),
    ):
        text = (unit * (2000 // len(unit.split()) + 1)).strip()
        free = per_call(lambda text=text: analyse(text, standard), 1)
        baseline = per_call(lambda text=text: words(text), 20)
        print(
            f"{name:>22} {free * 1e3:>7.0f} ms {baseline * 1e6:>7.0f} µs {free / baseline:>7.0f}×"
        )


if __name__ == "__main__":
    main()
