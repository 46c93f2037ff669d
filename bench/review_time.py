"""Time per STAR review: a 250-word and a 2,000-word example, each reviewed in full
(length, "I"/"we", evidence, wording, coverage of the level, band, follow-ups).

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
from bot.star.review import indicators, review, words
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
    level = indicators(civil_service.behaviour("leadership").texts["4"])  # type: ignore[union-attr]
    print(f"{'example':>12} {'review':>12} {'baseline':>12} {'ratio':>8}")
    for size in (250, 2000):
        parts = example(size)
        text = " ".join(parts.values())
        counted = len(words(text))
        reviewed = per_call(lambda parts=parts: review(parts, level), args.repeat)
        baseline = per_call(lambda text=text: words(text), args.repeat)
        print(
            f"{counted:>6} words {reviewed * 1e6:>9.0f} µs {baseline * 1e6:>9.0f} µs"
            f" {reviewed / baseline:>7.1f}×"
        )


if __name__ == "__main__":
    main()
