"""Benchmark: how many lookup queries per second the resolver can answer.

What it measures
    * ``resolve_query(index, text)`` over a realistic mix of phrasings (levels written as
      numbers, words, grades and abbreviations; typos; abbreviations of behaviour names;
      US and UK spellings; ambiguous words; framework names; queries that match nothing).
    * The full answer path, ``Lookup.answer(text)``: resolve, then render the reply through
      the jinja2 templates; cold (every cache cleared, the reply cache included) and with
      the reply already cached, as for a query asked before.
    * As the baseline, a plain ``dict`` lookup of the same answers (query -> resolution,
      computed once up front) over the same sequence of queries, timed in the same run, so
      the ratio "N× slower than a dict lookup" is comparable from machine to machine.

Why cold and warm
    The resolver memoises text work with ``functools.lru_cache`` (``bot.text.tokens``,
    ``bot.text.word_similarity`` and ``bot.text.canonical``). Repeating a small set of
    queries would otherwise measure little more than cache hits, yet in production most
    queries are distinct. So each path is reported twice: *cold*, with those caches cleared
    before every query (the cost of clearing is measured on its own and subtracted), and
    *warm*, with the caches kept. Cold is the pessimistic figure and the one to quote.

Method
    ``time.perf_counter``; best of several repeats per measurement; the garbage collector
    stays on (as in production) but is run before each repeat. An untimed pass first loads
    and compiles the templates, so one-off start-up work is not counted.

Usage (from the repository root)::

    .venv/bin/python bench/resolver.py           # full run, well under 30 seconds
    .venv/bin/python bench/resolver.py --quick   # fewer calls and repeats
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot import text as bot_text
from bot.frameworks import load_all
from bot.lookup import Lookup
from bot.lookup.resolver import Index, Resolution, resolve_query

# At least 40 distinct queries, in the shapes people actually type. Case, spacing and
# punctuation vary on purpose.
QUERIES: tuple[str, ...] = (
    # Civil Service Success Profiles, with levels written every which way.
    "leadership level 4",
    "/behaviour leadership level 4",
    "Leadership L4",
    "leadership lvl four",
    "  LEADERSHIP   lvl 4  ",
    "Leadership, level 4!",
    "leadrship 4",
    "leadership grade 7",
    "leadership G7",
    "leadership 7",
    "leadership level 9",
    "tell me about leadership at level 2 please",
    "delivering at pace heo",
    "DELIVERING AT PACE",
    "pace",
    "big picture",
    "seeing the big pictur",
    "Seeing the Big Picture - G7",
    "seeing the big picture director general",
    "comms",
    "communicating & influencing L3",
    "decisions",
    "making effective decisions?",
    "quality service",
    "managing a quality service g6",
    "quality of service eo",
    "changing & improving",
    "changing and improving at SEO",
    "working together dd",
    "behaviour: working together",
    "developing self and others level 5",
    "Developing Self & Others (SCS)",
    # DHS Senior Executive Service.
    "people centered",
    "ses 1.4 excellence",
    "ses 1.2",
    "1.7",
    "principled",
    "nimble excellence",
    "steward of public resources expectations",
    "DHS SES expectations",
    # Policing Competency and Values Framework.
    "we analyse critically",
    "we analyze critically",
    "policing collaborative",
    "we take ownership",
    "we deliver support and inspire",
    "we support, deliver & inspire",
    "emotionally aware",
    "we are innovative and open-minded",
    "Policing CVF level 2",
    # Ambiguous across frameworks.
    "collaborative",
    "innovative",
    # Framework names on their own, or with a level.
    "civil service",
    "civil service level 3",
    "dhs",
    "cvf",
    # Nothing to find.
    "xyzzy",
    "asdfgh qwerty",
)

CACHED: tuple[Callable[..., object], ...] = (
    bot_text.tokens,
    bot_text.word_similarity,
    bot_text.canonical,
)


def clear_caches() -> None:
    for function in CACHED:
        function.cache_clear()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Result:
    name: str
    calls: int
    seconds: float  # best repeat, overhead already subtracted

    @property
    def per_call_us(self) -> float:
        return self.seconds / self.calls * 1e6

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else float("inf")


def best_of(repeats: int, run: Callable[[], float]) -> float:
    """The shortest of `repeats` timings; each `run` returns its own elapsed seconds."""
    times: list[float] = []
    for _ in range(repeats):
        gc.collect()
        times.append(run())
    return min(times)


def time_dict(answers: dict[str, Resolution], sequence: Sequence[str]) -> float:
    last: object = None
    start = time.perf_counter()
    for query in sequence:
        last = answers[query]
    elapsed = time.perf_counter() - start
    del last
    return elapsed


def time_calls(call: Callable[[str], object], sequence: Sequence[str], *, cold: bool) -> float:
    last: object = None
    if cold:
        clear = clear_caches
        start = time.perf_counter()
        for query in sequence:
            clear()
            last = call(query)
        elapsed = time.perf_counter() - start
    else:
        start = time.perf_counter()
        for query in sequence:
            last = call(query)
        elapsed = time.perf_counter() - start
    del last
    return elapsed


def time_clearing(sequence: Sequence[str]) -> float:
    """The cost of `clear_caches` alone, subtracted from the cold figures."""
    clear = clear_caches
    start = time.perf_counter()
    for _ in sequence:
        clear()
    return time.perf_counter() - start


def print_table(results: Sequence[Result], baseline: Result) -> None:
    headers = ("measurement", "calls", "total s", "µs/call", "calls/s", "vs dict lookup")
    rows: list[tuple[str, ...]] = []
    for r in results:
        if r is baseline:
            ratio = "baseline"
        else:
            ratio = f"{r.per_call_us / baseline.per_call_us:,.0f}× slower"
        rows.append(
            (
                r.name,
                f"{r.calls:,}",
                f"{r.seconds:.6f}",
                f"{r.per_call_us:,.3f}",
                f"{r.per_second:,.0f}",
                ratio,
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest))

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and repeats")
    args = parser.parse_args(argv)
    rounds, repeats = (10, 2) if args.quick else (40, 5)

    wall = time.perf_counter()
    frameworks = load_all()
    index = Index(frameworks)
    lookup = Lookup(frameworks)

    # Every distinct query appears `rounds` times, shuffled (fixed seed) so that the same
    # query is rarely asked twice in a row.
    sequence = list(QUERIES) * rounds
    random.Random(2024).shuffle(sequence)

    # Untimed warm-up: compiles the templates and regular expressions and checks that the
    # full answer path copes with every query.
    for query in QUERIES:
        lookup.answer(query)
    answers: dict[str, Resolution] = {query: resolve_query(index, query) for query in QUERIES}
    kinds = Counter(type(answer).__name__ for answer in answers.values())

    def resolve(query: str) -> Resolution:
        return resolve_query(index, query)

    answer = lookup.answer

    def answer_cold(query: str) -> object:
        lookup.clear_cache()  # the reply cache too: every answer is worked out afresh
        return lookup.answer(query)

    calls = len(sequence)
    clearing = best_of(repeats, lambda: time_clearing(sequence))

    def cold(call: Callable[[str], object]) -> float:
        return max(best_of(repeats, lambda: time_calls(call, sequence, cold=True)) - clearing, 0)

    def warm(call: Callable[[str], object]) -> float:
        for query in QUERIES:  # fill the caches first
            call(query)
        return best_of(repeats, lambda: time_calls(call, sequence, cold=False))

    baseline = Result(
        "dict lookup (baseline)", calls, best_of(repeats, lambda: time_dict(answers, sequence))
    )
    results = [
        baseline,
        Result("resolve_query, cold caches", calls, cold(resolve)),
        Result("resolve_query, warm caches", calls, warm(resolve)),
        Result("Lookup.answer, cold caches", calls, cold(answer_cold)),
        Result("Lookup.answer, cached reply", calls, warm(answer)),
    ]

    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) on {sys.platform}"
    )
    print(
        f"{len(QUERIES)} distinct queries × {rounds} = {calls:,} calls per repeat; "
        f"best of {repeats} repeats"
    )
    print("Resolutions in the mix: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    print(
        f"Cold figures exclude clearing the caches ({clearing / calls * 1e6:.3f} µs/call, "
        "measured separately)."
    )
    print()
    print_table(results, baseline)
    print()
    print(f"Whole run: {time.perf_counter() - wall:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
