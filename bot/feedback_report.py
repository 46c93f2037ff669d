"""The 360 report, as pure functions: peers' answers in, an anonymised report out.

The anonymity rule is here, in one place: nothing from peers is shown unless at least
`threshold` of them answered (never fewer than three: with two, one who answers knows
their own answer and so learns the other's), and a behaviour's ratings only when
that many rated it. Comments come in an order that does not follow who answered when,
and never with a name. Nothing here reads or writes storage.

What a behaviour's ratings show is the count and the average rounded to a whole point of
the scale, nothing else (no lowest, highest or spread), because that is what keeps every
rating from being worked out. With n ratings on a scale 1..k, the count and an exact
average give the sum; the lowest and the highest as well give all three of three ratings
(the middle one is the sum less the other two); and an exact average alone still pins
everyone at the ends (three "Not yet" average exactly 1.0). Rounded to a whole point, the
average r covers the sums from n*r - n/2 to n*r + n/2, which for n >= 3 always includes
one set of ratings that are not all equal (r, ..., r, r +- 1: 1 + 1/n still rounds to 1
and k - 1/n to k), so no shown value says what any one person answered. Gaps and the
self-versus-peers wording are worked out from the rounded value only, so their order and
words tell nothing finer. (tests/test_feedback_report.py checks this over every possible
set of answers.)
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.text import csv_cell, one_line

MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 3


@dataclass(frozen=True)
class Scale:
    """A short rating scale: `labels[0]` is rating 1."""

    labels: tuple[str, ...]

    @property
    def top(self) -> int:
        return len(self.labels)

    def label(self, rating: int) -> str:
        return self.labels[rating - 1]


# The DHS SES competencies are rated on the framework's own performance levels; the
# other frameworks on how often the person shows the behaviour at the chosen level.
DHS_SCALE = Scale(("Not yet", "Achieved Expectations", "Achieved Excellence"))
FREQUENCY_SCALE = Scale(("Not yet", "Sometimes", "Usually", "Consistently"))


def scale_for(framework_id: str) -> Scale:
    return DHS_SCALE if framework_id == "dhs-ses" else FREQUENCY_SCALE


@dataclass(frozen=True)
class PeerAnswer:
    """One peer's answers: a rating per behaviour (absent: they could not say), an
    optional example per behaviour, and the two closing comments."""

    ratings: Mapping[str, int]
    examples: Mapping[str, str]
    keep: str = ""
    develop: str = ""


@dataclass(frozen=True)
class BehaviourResult:
    behaviour: str
    count: int  # peers who rated it
    shown: bool  # at least `threshold` of them
    mean: int | None  # their average rounded to a whole point (halves up); None unless shown
    self_rating: int | None
    examples: tuple[str, ...]

    @property
    def gap(self) -> int | None:
        """How far the self-rating is above the peers' rounded average (negative: below)."""
        if self.mean is None or self.self_rating is None:
            return None
        return self.self_rating - self.mean


@dataclass(frozen=True)
class Report:
    asked: int
    answered: int
    threshold: int
    behaviours: tuple[BehaviourResult, ...]
    keep: tuple[str, ...]
    develop: tuple[str, ...]
    gaps: tuple[str, ...]  # behaviour ids to develop, the biggest gap first

    @property
    def shown(self) -> bool:
        return self.answered >= self.threshold


def effective_threshold(threshold: int | None) -> int:
    """The threshold applied: never below MIN_THRESHOLD, whatever was stored."""
    return max(MIN_THRESHOLD, threshold or DEFAULT_THRESHOLD)


def build_report(
    behaviours: Sequence[str],
    self_ratings: Mapping[str, int],
    answers: Sequence[PeerAnswer],
    *,
    asked: int,
    scale: Scale,
    threshold: int = DEFAULT_THRESHOLD,
    seed: str = "",
) -> Report:
    """The report on `behaviours` from the peers' `answers`. `seed` (kept with the
    request) fixes the order comments appear in, so that it never follows the order in
    which people answered, and stays the same each time the report is shown."""
    threshold = effective_threshold(threshold)
    shuffle = random.Random(f"360:{seed}").shuffle
    enough = len(answers) >= threshold
    results = []
    for behaviour in behaviours:
        ratings = [
            a.ratings[behaviour]
            for a in answers
            if isinstance(a.ratings.get(behaviour), int) and 1 <= a.ratings[behaviour] <= scale.top
        ]
        shown = enough and len(ratings) >= threshold
        examples = [one_line(a.examples[behaviour]) for a in answers if a.examples.get(behaviour)]
        examples = [e for e in examples if e]
        shuffle(examples)
        results.append(
            BehaviourResult(
                behaviour=behaviour,
                count=len(ratings),
                shown=shown,
                mean=rounded_average(ratings) if shown else None,
                self_rating=self_ratings.get(behaviour),
                examples=tuple(examples) if enough else (),
            )
        )
    # one line each: a comment of several lines is one bullet, never several
    keep = [one_line(a.keep) for a in answers if a.keep.strip()] if enough else []
    develop = [one_line(a.develop) for a in answers if a.develop.strip()] if enough else []
    shuffle(keep)
    shuffle(develop)
    return Report(
        asked=asked,
        answered=len(answers),
        threshold=threshold,
        behaviours=tuple(results),
        keep=tuple(keep),
        develop=tuple(develop),
        gaps=gaps(results, scale),
    )


def rounded_average(ratings: Sequence[int]) -> int:
    """The average of `ratings` to the nearest whole point, halves up (exactly: no
    floating point, so 2.5 is always 3)."""
    return (2 * sum(ratings) + len(ratings)) // (2 * len(ratings))


def gaps(results: Sequence[BehaviourResult], scale: Scale, limit: int = 3) -> tuple[str, ...]:
    """The behaviours to develop: those peers rate below the top of the scale, the
    lowest first; where peers agree, the one the person rates themselves highest above
    the peers (a blind spot) first."""
    candidates = [r for r in results if r.mean is not None and r.mean < scale.top]
    candidates.sort(key=lambda r: (r.mean or 0, -(r.gap or 0), r.behaviour))
    return tuple(r.behaviour for r in candidates[:limit])


def aggregates_csv(report: Report, names: Mapping[str, str], scale: Scale) -> str:
    """The report's aggregates as CSV: one row per behaviour, nothing per person, and
    only what the report shows (the rounded average and the count)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["behaviour", "peers_rated", "peer_average_rounded", "self", "scale_top"])
    for r in report.behaviours:
        writer.writerow(
            [
                csv_cell(names.get(r.behaviour, r.behaviour)),
                r.count if r.shown else f"under {report.threshold}",
                "" if r.mean is None else r.mean,
                "" if r.self_rating is None else r.self_rating,
                scale.top,
            ]
        )
    return out.getvalue()
