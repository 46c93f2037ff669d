"""The 360 report's pure functions: aggregates, the anonymity threshold, gaps, CSV."""

from __future__ import annotations

from bot.feedback.report import (
    DHS_SCALE,
    FREQUENCY_SCALE,
    Earlier,
    PeerAnswer,
    aggregates_csv,
    build_report,
    scale_for,
)

BEHAVIOURS = ("leadership", "delivering-at-pace")


def peer(lead: int | None, pace: int | None, keep: str = "", develop: str = "") -> PeerAnswer:
    ratings = {k: v for k, v in (("leadership", lead), ("delivering-at-pace", pace)) if v}
    examples = {"leadership": f"example {lead}"} if lead else {}
    return PeerAnswer(ratings=ratings, examples=examples, keep=keep, develop=develop)


def test_aggregates_self_versus_peers_and_gaps() -> None:
    answers = [
        peer(4, 2, keep="calm", develop="deadlines"),
        peer(3, 1, keep="listens"),
        peer(4, 2, develop="say no sooner"),
    ]
    report = build_report(
        BEHAVIOURS,
        {"leadership": 4, "delivering-at-pace": 4},
        answers,
        asked=5,
        scale=FREQUENCY_SCALE,
        seed="r1",
    )
    assert report.shown and report.answered == 3 and report.asked == 5
    lead, pace = report.behaviours
    assert (lead.count, lead.mean) == (3, 4)  # 3.67, rounded
    assert (pace.mean, pace.gap) == (2, 2)  # a blind spot: self 4, peers 1.67, rounded
    assert report.gaps == ("delivering-at-pace",)  # leadership rounds to the top
    assert sorted(report.keep) == ["calm", "listens"]
    assert sorted(report.develop) == ["deadlines", "say no sooner"]
    assert sorted(lead.examples) == ["example 3", "example 4", "example 4"]


def test_below_the_threshold_nothing_from_peers_is_shown() -> None:
    answers = [peer(1, 1, keep="a", develop="b"), peer(4, 4, keep="c")]
    report = build_report(BEHAVIOURS, {"leadership": 3}, answers, asked=4, scale=FREQUENCY_SCALE)
    assert not report.shown and report.answered == 2
    assert all(r.mean is None and not r.examples for r in report.behaviours)
    assert report.keep == () and report.develop == () and report.gaps == ()
    assert report.behaviours[0].self_rating == 3  # the person's own ratings are theirs


def test_the_threshold_is_never_below_three_and_applies_per_behaviour() -> None:
    two = [peer(1, 1), peer(4, 4, keep="mine")]
    low = build_report(BEHAVIOURS, {}, two, asked=2, scale=FREQUENCY_SCALE, threshold=2)
    assert low.threshold == 3 and not low.shown and low.keep == ()
    answers = [peer(2, 3), peer(3, None), peer(4, None)]  # only one rated the pace
    report = build_report(BEHAVIOURS, {}, answers, asked=3, scale=FREQUENCY_SCALE)
    lead, pace = report.behaviours
    assert lead.shown and lead.mean == 3
    assert not pace.shown and pace.mean is None and pace.count == 1


def test_comment_order_never_follows_the_order_of_answers() -> None:
    answers = [peer(3, 3, keep=f"keep {n}") for n in range(12)]
    orders = {
        build_report(BEHAVIOURS, {}, answers, asked=12, scale=FREQUENCY_SCALE, seed=s).keep
        for s in ("a", "b", "c")
    }
    in_order = tuple(f"keep {n}" for n in range(12))
    assert in_order not in orders and len(orders) > 1
    again = build_report(BEHAVIOURS, {}, answers, asked=12, scale=FREQUENCY_SCALE, seed="a")
    assert again.keep in orders  # the same each time the report is shown


def test_ratings_outside_the_scale_are_ignored_and_dhs_has_its_own_scale() -> None:
    assert scale_for("dhs-ses") is DHS_SCALE and DHS_SCALE.label(3) == "Achieved Excellence"
    assert scale_for("civil-service") is FREQUENCY_SCALE
    answers = [peer(3, 3), peer(3, 3), PeerAnswer({"leadership": 9}, {})]
    report = build_report(BEHAVIOURS, {}, answers, asked=3, scale=DHS_SCALE)
    assert report.behaviours[0].count == 2 and report.behaviours[0].mean is None


def test_the_csv_holds_aggregates_only() -> None:
    answers = [peer(4, 2, keep="secret words"), peer(3, 1), peer(4, None)]
    report = build_report(BEHAVIOURS, {"leadership": 4}, answers, asked=3, scale=FREQUENCY_SCALE)
    text = aggregates_csv(report, {"leadership": "Leadership"}, FREQUENCY_SCALE)
    assert text.splitlines() == [
        "behaviour,peers_rated,peer_average_rounded,self,scale_top,not_shown_because",
        "Leadership,3,4,4,4,",
        "delivering-at-pace,,,,4,fewer than 3 rated it",
    ]  # peers_rated holds numbers only: why a row is empty is in a column of its own
    assert "secret" not in text and "example" not in text


def test_no_shown_average_pins_down_anyone_s_rating() -> None:
    """The rule, checked over every possible set of answers: from the count and the
    rounded average shown, several sets of ratings are always possible, and never only
    unanimous ones, so no one's rating follows (with unrounded averages, three
    "Not yet" would show 1.0, and every one of the three would be known)."""
    from itertools import combinations_with_replacement

    for scale in (FREQUENCY_SCALE, DHS_SCALE):
        for n in range(3, 9):
            seen: dict[int, list[tuple[int, ...]]] = {}
            for ratings in combinations_with_replacement(range(1, scale.top + 1), n):
                answers = [PeerAnswer({"leadership": r}, {}) for r in ratings]
                report = build_report(("leadership",), {}, answers, asked=n, scale=scale)
                (result,) = report.behaviours
                seen.setdefault(result.mean, []).append(ratings)
            for shown, possible in seen.items():
                assert any(len(set(p)) > 1 for p in possible), (scale.top, n, shown)


def test_a_csv_cell_never_starts_a_formula() -> None:
    answers = [peer(4, 2), peer(3, 1), peer(4, 2)]
    report = build_report(BEHAVIOURS, {}, answers, asked=3, scale=FREQUENCY_SCALE)
    names = {"leadership": '=HYPERLINK("http://x")', "delivering-at-pace": "@SUM(A1)"}
    rows = aggregates_csv(report, names, FREQUENCY_SCALE).splitlines()
    assert rows[1].startswith('"\'=HYPERLINK(""http://x"")",3,4')
    assert rows[2].startswith("'@SUM(A1),3,2")


def answered_by(*people: tuple[str, int | None, str]) -> list[PeerAnswer]:
    """(who, their leadership rating, their keep-doing comment) each."""
    return [
        PeerAnswer({"leadership": r} if r else {}, {"leadership": f"{who}: e.g."}, keep, "", who)
        for who, r, keep in people
    ]


def report_of(answers: list[PeerAnswer], earlier: list[Earlier], number: int) -> tuple:
    report = build_report(
        ("leadership",), {}, answers, asked=len(answers), scale=FREQUENCY_SCALE,
        earlier=earlier,
    )  # fmt: skip
    return report, [*earlier, report.as_earlier(number)]


def test_two_reports_never_single_anyone_out() -> None:
    """A behaviour's ratings and examples, and the comments, are withheld when comparing
    the report with earlier ones could single someone out: everyone behind it must be one
    of at least `threshold` people who answered exactly the same of the reports."""
    bcd = [("bob", 3, "b"), ("carol", 3, "c"), ("dan", 3, "d")]
    first, earlier = report_of(answered_by(*bcd), [], 1)
    assert first.behaviours[0].shown and first.keep
    # erin added: the difference is hers, rating and comments
    second, _ = report_of(answered_by(*bcd, ("erin", 1, "erin's")), earlier, 2)
    (lead,) = second.behaviours
    assert not lead.shown and lead.mean is None and lead.examples == ()
    assert lead.withheld_by == (1,) and second.keep == () and second.comments_withheld_by == (1,)
    # dan left out of a report of four: the difference is his
    four = [*bcd, ("erin", 2, "e")]
    _, earlier4 = report_of(answered_by(*four), [], 1)
    fewer, _ = report_of(answered_by(*bcd), earlier4, 2)
    assert fewer.behaviours[0].withheld_by == (1,) and fewer.keep == ()
    # the same people again, or three more: nobody is singled out
    again, _ = report_of(answered_by(*bcd), earlier, 2)
    assert again.behaviours[0].shown and again.keep
    six = [*bcd, ("erin", 1, "e"), ("finn", 2, "f"), ("gus", 4, "g")]
    more, _ = report_of(answered_by(*six), earlier, 2)
    assert more.behaviours[0].shown and more.keep
    # two earlier reports whose people together leave one over: withheld
    efg = [("erin", 1, "e"), ("finn", 2, "f"), ("gus", 4, "g")]
    _, two = report_of(answered_by(*efg), earlier, 2)
    all7, _ = report_of(answered_by(*bcd, *efg, ("hal", 1, "h")), two, 3)
    assert all7.behaviours[0].withheld_by == (1, 2)
    # one who could not rate it then rates it now: the ratings are compared by who rated
    then = [("bob", 3, "b"), ("carol", 3, "c"), ("dan", 3, "d"), ("erin", None, "e")]
    _, before = report_of(answered_by(*then), [], 1)
    now, _ = report_of(answered_by(*four), before, 2)
    assert now.behaviours[0].withheld_by == (1,) and now.keep  # the same people commented


def test_a_gap_is_how_far_peers_rate_a_behaviour_below_the_top() -> None:
    """ "Biggest gaps" lists the behaviours peers rate below the top of the scale, the
    lowest first (room to develop, whatever the person's own rating); one peers rate at
    the top is never a gap, and where peers rate higher than the person does it is said
    that way round."""
    answers = [peer(2, 4), peer(2, 3), peer(2, 4)]
    same = build_report(
        BEHAVIOURS,
        {"leadership": 2, "delivering-at-pace": 2},
        answers,
        asked=3,
        scale=FREQUENCY_SCALE,
    )
    lead, pace = same.behaviours
    assert (lead.mean, lead.gap) == (2, 0) and (pace.mean, pace.gap) == (4, -2)
    assert same.gaps == ("leadership",)  # peers 2 of 4: a gap, though self agrees
    assert same.higher == ("delivering-at-pace",)  # at the top: no gap, but rated higher
    answers = [peer(2, 3), peer(2, 3), peer(2, 3)]
    both = build_report(
        BEHAVIOURS, {"leadership": 4, "delivering-at-pace": 2}, answers, asked=3,
        scale=FREQUENCY_SCALE,
    )  # fmt: skip
    assert both.gaps == ("leadership", "delivering-at-pace")  # the lowest rated first
    assert both.higher == ()  # said with the gap itself, not twice
    tied = build_report(
        BEHAVIOURS, {"leadership": 2, "delivering-at-pace": 4},
        [peer(3, 3), peer(3, 3), peer(3, 3)], asked=3, scale=FREQUENCY_SCALE,
    )  # fmt: skip
    assert tied.gaps == ("delivering-at-pace", "leadership")  # a blind spot first
