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
words tell nothing finer. (tests/feedback/test_report.py checks this over every possible
set of answers.)

Comparing reports is the other way to single someone out: a report from bob, carol and dan
and then one from bob, carol, dan and erin on the same behaviour give erin's rating and
comment as the difference. So a report is compared with the same requester's earlier
reports (`Earlier`, in the order they closed): group everyone behind any of them by which
of the reports they are behind; every group must hold at least the threshold, or the
difference between groups would be someone's. Behind a behaviour's ratings are those
who rated it; behind its examples, and the comments, those who answered. When a group
would be smaller, that behaviour (ratings and examples) or the comments are withheld,
and the report says which earlier request it was compared with. The same people again,
or a group of at least the threshold new ones, pass.
"""

from __future__ import annotations

import csv
import io
import json
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
    who: str = ""  # their identity: only to compare reports, never shown


@dataclass(frozen=True)
class Earlier:
    """Who was behind what an earlier report of the same requester showed: `answered`
    behind its comments (None: not shown); per behaviour shown, who answered (behind its
    examples) and who rated it."""

    request_id: int
    threshold: int
    answered: frozenset[str] | None
    behind: Mapping[str, frozenset[str]]
    rated: Mapping[str, frozenset[str]]


def earlier_to_json(earlier: Earlier) -> str:
    """What an earlier report showed, to keep once its request is purged."""
    return json.dumps(
        {
            "request_id": earlier.request_id,
            "threshold": earlier.threshold,
            "answered": None if earlier.answered is None else sorted(earlier.answered),
            "behind": {b: sorted(who) for b, who in earlier.behind.items()},
            "rated": {b: sorted(who) for b, who in earlier.rated.items()},
        },
        sort_keys=True,
    )


def earlier_from_json(text: str) -> Earlier:
    data = json.loads(text)
    return Earlier(
        request_id=int(data["request_id"]),
        threshold=int(data["threshold"]),
        answered=None if data["answered"] is None else frozenset(data["answered"]),
        behind={b: frozenset(who) for b, who in data["behind"].items()},
        rated={b: frozenset(who) for b, who in data["rated"].items()},
    )


@dataclass(frozen=True)
class BehaviourResult:
    behaviour: str
    count: int  # peers who rated it
    shown: bool  # at least `threshold` of them
    mean: int | None  # their average rounded to a whole point (halves up); None unless shown
    self_rating: int | None
    examples: tuple[str, ...]
    withheld_by: tuple[int, ...] = ()  # earlier requests it could be compared with

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
    higher: tuple[str, ...] = ()  # those peers rate higher than the person does
    comments_withheld_by: tuple[int, ...] = ()
    people: frozenset[str] = frozenset()  # who answered: only to compare reports
    raters: Mapping[str, frozenset[str]] | None = None

    @property
    def shown(self) -> bool:
        return self.answered >= self.threshold

    def as_earlier(self, request_id: int) -> Earlier:
        """What this report showed, and who was behind it, for the reports after it."""
        shown = [r for r in self.behaviours if self.shown and not r.withheld_by]
        raters = self.raters or {}
        return Earlier(
            request_id=request_id,
            threshold=self.threshold,
            answered=self.people if self.shown and not self.comments_withheld_by else None,
            behind={r.behaviour: self.people for r in shown},
            rated={r.behaviour: raters.get(r.behaviour, frozenset()) for r in shown if r.shown},
        )


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
    earlier: Sequence[Earlier] = (),
) -> Report:
    """The report on `behaviours` from the peers' `answers`. `seed` (kept with the
    request) fixes the order comments appear in, so that it never follows the order in
    which people answered, and stays the same each time the report is shown. `earlier`:
    the same requester's reports closed before this one, to compare it with."""
    threshold = effective_threshold(threshold)
    shuffle = random.Random(f"360:{seed}").shuffle
    enough = len(answers) >= threshold
    people = frozenset(a.who for a in answers)
    results = []
    raters: dict[str, frozenset[str]] = {}
    for behaviour in behaviours:
        rating = [
            a
            for a in answers
            if isinstance(a.ratings.get(behaviour), int) and 1 <= a.ratings[behaviour] <= scale.top
        ]
        ratings = [a.ratings[behaviour] for a in rating]
        raters[behaviour] = frozenset(a.who for a in rating)
        shown = enough and len(ratings) >= threshold
        before = [e for e in earlier if behaviour in e.behind]
        apart = kept_apart([(e.behind[behaviour], e.threshold) for e in before], people, threshold)
        if shown:
            rated = [(e.rated[behaviour], e.threshold) for e in before if behaviour in e.rated]
            apart = apart and kept_apart(rated, raters[behaviour], threshold)
        withheld = () if apart or not enough else tuple(e.request_id for e in before)
        shown = shown and not withheld
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
                examples=tuple(examples) if enough and not withheld else (),
                withheld_by=withheld,
            )
        )
    before = [e for e in earlier if e.answered is not None]
    apart = kept_apart(
        [(e.answered or frozenset(), e.threshold) for e in before], people, threshold
    )
    comments_withheld = () if apart or not enough else tuple(e.request_id for e in before)
    told = enough and not comments_withheld
    # one line each: a comment of several lines is one bullet, never several
    keep = [one_line(a.keep) for a in answers if a.keep.strip()] if told else []
    develop = [one_line(a.develop) for a in answers if a.develop.strip()] if told else []
    shuffle(keep)
    shuffle(develop)
    biggest = gaps(results, scale)
    return Report(
        asked=asked,
        answered=len(answers),
        threshold=threshold,
        behaviours=tuple(results),
        keep=tuple(keep),
        develop=tuple(develop),
        gaps=biggest,
        higher=higher(results, biggest),
        comments_withheld_by=comments_withheld,
        people=people,
        raters=raters,
    )


def kept_apart(
    earlier: Sequence[tuple[frozenset[str], int]], people: frozenset[str], threshold: int
) -> bool:
    """Whether comparing `people` with the `earlier` groups (each with its threshold)
    singles nobody out: everyone, grouped by which of them they are in, is in a group at
    least as large as the highest threshold of those."""
    if not earlier:
        return True
    every = [*earlier, (people, threshold)]
    groups: dict[tuple[bool, ...], int] = {}
    for person in people.union(*(group for group, _ in earlier)):
        inside = tuple(person in group for group, _ in every)
        groups[inside] = groups.get(inside, 0) + 1
    return all(
        size >= max(t for (_, t), is_in in zip(every, inside, strict=True) if is_in)
        for inside, size in groups.items()
    )


def rounded_average(ratings: Sequence[int]) -> int:
    """The average of `ratings` to the nearest whole point, halves up (exactly: no
    floating point, so 2.5 is always 3)."""
    return (2 * sum(ratings) + len(ratings)) // (2 * len(ratings))


def gaps(results: Sequence[BehaviourResult], scale: Scale, limit: int = 3) -> tuple[str, ...]:
    """The behaviours to develop, the biggest gap first: a gap is how far the peers'
    rounded average falls short of the top of the scale, so one peers rate at the top is
    no gap, whatever the person's own rating. Among equal gaps, the one the person rates
    themselves furthest above their peers (a blind spot) comes first."""
    candidates = [r for r in results if r.mean is not None and r.mean < scale.top]
    candidates.sort(key=lambda r: (r.mean or 0, -(r.gap or 0), r.behaviour))
    return tuple(r.behaviour for r in candidates[:limit])


def higher(results: Sequence[BehaviourResult], shown: Sequence[str]) -> tuple[str, ...]:
    """The behaviours, other than the gaps `shown`, that peers rate higher than the
    person rates themselves."""
    return tuple(r.behaviour for r in results if (r.gap or 0) < 0 and r.behaviour not in shown)


def aggregates_csv(report: Report, names: Mapping[str, str], scale: Scale) -> str:
    """The report's aggregates as CSV: one row per behaviour, nothing per person, and
    only what the report shows (the rounded average and the count)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["behaviour", "peers_rated", "peer_average_rounded", "self", "scale_top"]
    writer.writerow([*header, "not_shown_because"])
    for r in report.behaviours:
        # the numeric columns hold numbers only: why a row is empty has its own column
        why = (
            ""
            if r.shown
            else "withheld: compared with an earlier request"
            if r.withheld_by
            else f"fewer than {report.threshold} rated it"
        )
        writer.writerow(
            [
                csv_cell(names.get(r.behaviour, r.behaviour)),
                r.count if r.shown else "",
                "" if r.mean is None else r.mean,
                "" if r.self_rating is None else r.self_rating,
                scale.top,
                why,
            ]
        )
    return out.getvalue()
