"""The resolver: the phrasings people use, ambiguity, no match, and any input at all."""

from __future__ import annotations

import random

import pytest

from bot.frameworks import Framework
from bot.lookup.resolver import (
    Ambiguous,
    BehaviourView,
    ClusterView,
    FrameworkView,
    Index,
    LevelNotFound,
    NoMatch,
    SeveralLevels,
    WhichFramework,
    resolve_query,
)


@pytest.fixture(scope="module")
def index(frameworks: list[Framework]) -> Index:
    return Index(frameworks)


def found(index: Index, query: str) -> tuple[str, str | None]:
    r = resolve_query(index, query)
    assert isinstance(r, BehaviourView), f"{query!r} -> {r!r}"
    return r.behaviour.key, r.level.id if r.level else None


@pytest.mark.parametrize(
    ("query", "key", "level"),
    [
        # case, punctuation and the level forms
        ("leadership level 4", "civil-service/leadership", "4"),
        ("LEADERSHIP, Level 4!", "civil-service/leadership", "4"),
        ("Leadership L4", "civil-service/leadership", "4"),
        ("leadership lvl 4", "civil-service/leadership", "4"),
        ("leadership level four", "civil-service/leadership", "4"),
        ("leadership levle 4", "civil-service/leadership", "4"),
        ("leadership 4", "civil-service/leadership", "4"),
        ("leadership", "civil-service/leadership", None),
        # grade names and their short forms
        ("leadership AA", "civil-service/leadership", "1"),
        ("leadership AO", "civil-service/leadership", "1"),
        ("leadership EO", "civil-service/leadership", "2"),
        ("leadership HEO", "civil-service/leadership", "3"),
        ("leadership SEO", "civil-service/leadership", "3"),
        ("leadership Grade 7", "civil-service/leadership", "4"),
        ("leadership G7", "civil-service/leadership", "4"),
        ("leadership grade 6", "civil-service/leadership", "4"),
        ("leadership Deputy Director", "civil-service/leadership", "5"),
        ("leadership DD", "civil-service/leadership", "5"),
        ("leadership Director", "civil-service/leadership", "6"),
        ("leadership Director General", "civil-service/leadership", "6"),
        ("leadership DG", "civil-service/leadership", "6"),
        # partial names and short forms, & for and
        ("big picture", "civil-service/seeing-the-big-picture", None),
        ("comms", "civil-service/communicating-and-influencing", None),
        ("decisions", "civil-service/making-effective-decisions", None),
        ("quality service", "civil-service/managing-a-quality-service", None),
        ("pace", "civil-service/delivering-at-pace", None),
        ("changing & improving", "civil-service/changing-and-improving", None),
        ("managing quality service G6", "civil-service/managing-a-quality-service", "4"),
        # typos and US spellings
        ("leadrship", "civil-service/leadership", None),
        ("leadrship 4", "civil-service/leadership", "4"),
        ("workng togther", "civil-service/working-together", None),
        ("people centered", "dhs-ses/people-centered", None),
        ("people centred", "dhs-ses/people-centered", None),
        ("we analyze critically", "policing-cvf/we-analyse-critically", "3"),
        # framework qualifiers anywhere
        ("civil service leadership 2", "civil-service/leadership", "2"),
        ("leadership 2 success profiles", "civil-service/leadership", "2"),
        ("policing collaborative", "policing-cvf/we-are-collaborative", "3"),
        ("collaborative cvf", "policing-cvf/we-are-collaborative", "3"),
        ("dhs collaborative", "dhs-ses/highly-collaborative", None),
        ("ses innovative", "dhs-ses/nimble-and-innovative", None),
        # DHS numbers and level words
        ("principled", "dhs-ses/principled", None),
        ("ses 1.4 excellence", "dhs-ses/performance-centered", "excellence"),
        ("1.4 expectations", "dhs-ses/performance-centered", "expectations"),
        ("1.7", "dhs-ses/nimble-and-innovative", None),
        ("diversity advocate achieved excellence", "dhs-ses/diversity-advocate", "excellence"),
        # policing, with or without "we"
        ("we analyse critically", "policing-cvf/we-analyse-critically", "3"),
        ("we deliver, support and inspire", "policing-cvf/we-deliver-support-and-inspire", "3"),
        ("we take ownership", "policing-cvf/we-take-ownership", "3"),
        # a level narrows an ambiguous name to the framework that has it
        ("collaborative level 3", "policing-cvf/we-are-collaborative", "3"),
        ("collaborative excellence", "dhs-ses/highly-collaborative", "excellence"),
        # filler words around the name
        ("tell me about leadership at level 2 please", "civil-service/leadership", "2"),
        ("what is delivering at pace for HEO", "civil-service/delivering-at-pace", "3"),
    ],
)
def test_phrasings(index: Index, query: str, key: str, level: str | None) -> None:
    assert found(index, query) == (key, level)


def test_every_framework_behaviour_and_level_is_reachable(
    index: Index, frameworks: list[Framework]
) -> None:
    for fw in frameworks:
        for b in fw.behaviours:
            for lv in fw.levels_of(b):
                phrasings = [f"{fw.short_name} {b.name} {lv.name}", f"{b.name} {lv.name}"]
                if b.number:
                    phrasings.append(f"{b.number} {lv.name}")
                for query in phrasings:
                    assert found(index, query) == (b.key, lv.id), query


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("collaborative", {"dhs-ses/highly-collaborative", "policing-cvf/we-are-collaborative"}),
        (
            "innovative",
            {"dhs-ses/nimble-and-innovative", "policing-cvf/we-are-innovative-and-open-minded"},
        ),
    ],
)
def test_an_ambiguous_query_offers_the_candidates(index: Index, query: str, keys: set[str]) -> None:
    r = resolve_query(index, query)
    assert isinstance(r, Ambiguous)
    assert {b.key for b in r.candidates} == keys


def test_a_near_miss_is_answered_with_the_alternatives_shown(index: Index) -> None:
    r = resolve_query(index, "communicating")
    assert isinstance(r, BehaviourView)
    assert r.behaviour.key == "civil-service/communicating-and-influencing"
    assert [b.key for b in r.also] == ["dhs-ses/effective-communicator"]


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("dhs leadership", "civil-service/leadership"),
        ("policing leadership", "civil-service/leadership"),
        ("leadrship teapot", "civil-service/leadership"),
        ("collaborative teapot", "dhs-ses/highly-collaborative"),
        ("1.9", "dhs-ses/principled"),
    ],
)
def test_no_match_suggests_the_closest_names(index: Index, query: str, suggestion: str) -> None:
    r = resolve_query(index, query)
    assert isinstance(r, NoMatch), r
    assert suggestion in [b.key for b in r.suggestions]


@pytest.mark.parametrize(
    ("query", "key", "level", "ignored"),
    [
        ("leadership teapot", "civil-service/leadership", None, ("teapot",)),
        ("delivering at pace SCS", "civil-service/delivering-at-pace", None, ("scs",)),
        ("what does leadership look like for a grade 7", "civil-service/leadership", "4", ()),
        ("what is expected of a G6 in working together", "civil-service/working-together", "4", ()),
        ("I am a grade 7, leadership", "civil-service/leadership", "4", ()),
        ("seeing the bigger picture", "civil-service/seeing-the-big-picture", None, ()),
        ("analytical", "policing-cvf/we-analyse-critically", "3", ()),
    ],
)
def test_natural_phrasings_and_words_left_out(
    index: Index, query: str, key: str, level: str | None, ignored: tuple[str, ...]
) -> None:
    r = resolve_query(index, query)
    assert isinstance(r, BehaviourView), r
    assert (r.behaviour.key, r.level.id if r.level else None, r.ignored) == (key, level, ignored)


def test_nothing_matches_nonsense(index: Index) -> None:
    r = resolve_query(index, "xyzzy plugh")
    assert isinstance(r, NoMatch) and r.query == "xyzzy plugh"


@pytest.mark.parametrize(
    ("query", "typed"),
    [
        ("leadership level 7", "level 7"),
        ("principled 4", "4"),
        ("leadership excellence", "excellence"),
    ],
)
def test_a_level_the_behaviour_does_not_have_is_never_guessed(
    index: Index, query: str, typed: str
) -> None:
    r = resolve_query(index, query)
    assert isinstance(r, LevelNotFound)
    assert r.typed == typed and r.behaviour is not None


def test_two_levels_ask_which_or_offer_to_compare(index: Index) -> None:
    r = resolve_query(index, "leadership level 4 heo")
    assert isinstance(r, SeveralLevels)
    assert [lv.id for lv in r.levels] == ["3", "4"]


def test_framework_cluster_and_level_only_queries(index: Index) -> None:
    assert isinstance(r := resolve_query(index, "civil service"), FrameworkView)
    assert r.framework.id == "civil-service" and r.level is None
    assert isinstance(r := resolve_query(index, "G7"), FrameworkView) and r.level.id == "4"  # type: ignore[union-attr]
    assert isinstance(r := resolve_query(index, "3"), WhichFramework)
    assert {fw.id for fw in r.frameworks} == {"civil-service", "policing-cvf"}
    r = resolve_query(index, "inclusive, enabling and visionary leadership")
    assert isinstance(r, ClusterView) and r.cluster.id == "inclusive-enabling-visionary"


def test_any_input_resolves_without_error(index: Index) -> None:
    rng = random.Random(20261122)
    alphabet = (
        "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789 .,;:!?&'\"/-_()[]{}<>@#*|\\\t\n\r"
        "\x00\x07\x1b\u200b\u202e\ufeff\ue000\u2028éüßøœ€’“”—…"
        "ЛидерствоРуководство 领导力 القيادة नेतृत्व 🙂🚀\U0001f9d1\u0301"
    )
    samples = [
        "",
        " ",
        "\x00",
        "/",
        "/behaviour",
        "1.",
        ".4",
        "level",
        "level level 4 4 4",
        "9" * 500,
    ]
    samples += ["leadership " * 200, "\ud800 broken surrogate", "L" + "4" * 50]
    for _ in range(1500):
        samples.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))))
    for query in samples:
        resolve_query(index, query)  # must not raise
