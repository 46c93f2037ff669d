"""What the words of an answer show (bot/star/language.py): each defect of issue 17 on
evidence, vague wording and claims, as the sentence that showed it."""

from __future__ import annotations

import pytest

from bot.star.language import evidence, figures, stem, vague, voice


def kinds(text: str) -> set[str]:
    return {e.kind for e in evidence(text)}


@pytest.mark.parametrize(
    ("text", "kind", "shown"),
    [
        (
            "I received a written commendation from the leadership team.",
            "reaction",
            "commendation from the leadership team",
        ),
        ("My manager appreciated the analysis.", "reaction", "My manager appreciated"),
        ("The approach was adopted across the region.", "adoption", "was adopted"),
        ("We finished three weeks early.", "figure", "three weeks"),
        ("It took twenty-five days.", "figure", "twenty-five days"),
        ("Waiting times fell from 14 to 5 weeks.", "figure", "from 14 to 5 weeks"),
        ("Two other teams now use it.", "adoption", "teams now use"),
        ("We came first in the region.", "figure", "first in the region"),
        ("This cut each installation by at least half.", "figure", "by at least half"),
        ("It pushed the launch back by a week.", "figure", "by a week"),
        ("The customer later posted a positive review.", "reaction", "customer later posted"),
        ("We received praise from our professors.", "reaction", "praise from our professors"),
        ("The firm agreed to implement my plan.", "reaction", "firm agreed"),
        ("They appreciated the transparency.", "reaction", "They appreciated"),
        ("I was praised by my team leader.", "reaction", "praised by my team leader"),
        ("It went live more than a week late.", "figure", "more than a week late"),
        ("Alex later thanked me warmly.", "reaction", "Alex later thanked me"),
        ("The team used this analysis to decide.", "adoption", "used this analysis"),
    ],
)
def test_real_evidence_is_found(text: str, kind: str, shown: str) -> None:
    """Defect: a commendation, a manager's reaction, an adoption and numbers written as
    words were all missed."""
    assert any(e.kind == kind and shown in e.text for e in evidence(text)), evidence(text)


@pytest.mark.parametrize(
    "text",
    [
        "I improved the filing system.",  # what the candidate did, not what came of it
        "Our relationship improved.",  # a bare claim
        "We asked for feedback.",  # the word alone
        "We received positive feedback.",  # no one behind it
        "In 2019 I was a Grade 7 at level 4.",  # a year and names, not figures
        "One of us left.",
        "Together, these two steps improved his performance.",  # things counted, no measure
        "The meeting ended at 7 pm.",
        "I encouraged the team to suggest improvements, and adopted three of them.",
    ],
)
def test_a_keyword_is_not_evidence(text: str) -> None:
    """Defect: any keyword anywhere in the Result counted as evidence."""
    assert evidence(text) == (), evidence(text)


def phrases(text: str, part: str) -> list[str]:
    return [v.phrase for v in vague(text, part)]


def test_vague_wording_knows_its_part() -> None:
    """Defect: "I was responsible for" was flagged in a Task, and "worked on" used
    literally; "helping reduce" was missed."""
    assert phrases("I was responsible for the rota.", "task") == []
    assert phrases("I worked on the wards at night.", "action") == []
    assert phrases("I was involved in the launch, helping reduce delays.", "action") == [
        "was involved in",
        "helping",
    ]
    assert phrases("I was involved in the launch.", "situation") == []  # the scene
    assert phrases("The staff all got involved.", "action") == []  # not the candidate's part
    assert phrases("Then I tried to help.", "action") == ["tried to"]


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        ("This dramatically improved morale.", "dramatically improved"),
        ("I completed the project successfully.", "successfully"),
        ("Cases moved much more smoothly.", "much more smoothly"),
        ("It was a valuable lesson.", "a valuable lesson"),
        ("Turnaround improved significantly after this.", "improved significantly"),
        ("Everyone was happy with it.", "Everyone was happy"),
        (
            "Our relationship with the other team improved.",
            "relationship with the other team improved",
        ),
    ],
)
def test_unsupported_claims_are_flagged(text: str, claim: str) -> None:
    """Defect: the claims reviewers mark most were missed."""
    found = vague(text, "result")
    assert [(v.phrase, v.kind) for v in found] == [(claim, "claim")]


def test_a_supported_claim_is_not_flagged() -> None:
    assert vague("This dramatically improved morale: the survey score rose by 20%.", "result") == ()
    assert vague("It went well: my manager praised it at the team meeting.", "result") == ()


def test_word_forms_come_from_the_stemmer() -> None:
    assert stem("helping") == stem("helped") == stem("helps") == "help"
    assert [f.text for f in figures("a dozen calls for 3 years, 3 staff")] == ["dozen", "3 staff"]
    assert kinds("Waiting fell by half within a month.") == {"figure"}
    assert kinds("I was there for an hour and a half.") == set()


def test_we_is_counted_where_it_acts() -> None:
    found = voice("We met and I decided; our plan was mine, and we're done.")
    assert (found.i, found.we, found.mostly_we) == (1, 2, True)
