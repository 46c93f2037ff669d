"""Reading a job advert: the behaviours it will assess, in its order, and its grade, from
invented adverts (tests/lookup/adverts/) in the shapes real ones take."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.frameworks import Framework
from bot.lookup.advert import AdvertReader
from bot.lookup.resolver import Index

ADVERTS = Path(__file__).parent / "adverts"


@pytest.fixture(scope="module")
def reader(frameworks: list[Framework]) -> AdvertReader:
    return AdvertReader(Index(frameworks))


def read(reader: AdvertReader, text: str) -> tuple[str | None, list[str], str | None, bool]:
    found = reader.read(text)
    return (
        found.framework.id if found.framework else None,
        [b.id for b in found.behaviours],
        found.level.id if found.level else None,
        found.listed,
    )


@pytest.mark.parametrize(
    ("name", "framework", "behaviours", "level"),
    [
        (  # inline, with "and"; "leadership", "decisions", "at pace" in the job description
            "cs_heo_inline",
            "civil-service",
            [
                "delivering-at-pace",
                "seeing-the-big-picture",
                "making-effective-decisions",
                "working-together",
            ],
            "3",  # Grade: Higher Executive Officer (HEO), not the Deputy Director reported to
        ),
        (  # bullets under a heading; lower-case names in the description do not count
            "cs_g7_bullets",
            "civil-service",
            ["leadership", "communicating-and-influencing", "changing-and-improving"],
            "4",  # "- Grade 7" in the title; "the Director of Operations" is no grade
        ),
        (  # US spelling, "-" bullets with descriptions after a dash
            "cs_seo_us_spelling",
            "civil-service",
            ["managing-a-quality-service", "seeing-the-big-picture", "developing-self-and-others"],
            "3",  # (Senior Executive Officer): not "Executive Officer" inside it
        ),
        (  # semicolons and "and", "Success Profiles" wording; no grade
            "cs_no_grade",
            "civil-service",
            ["working-together", "developing-self-and-others", "delivering-at-pace"],
            None,
        ),
        (  # CVF competencies, one of them with a comma in its name; policing is one level
            "policing_superintendent",
            "policing-cvf",
            [
                "we-take-ownership",
                "we-are-collaborative",
                "we-deliver-support-and-inspire",
                "we-analyse-critically",
            ],
            "3",
        ),
        (  # DHS SES, "People Centred" in British spelling; its levels are performance levels
            "dhs_ses",
            "dhs-ses",
            [
                "principled",
                "people-centered",
                "highly-collaborative",
                "steward-of-public-resources",
            ],
            None,
        ),
    ],
)
def test_the_assessed_behaviours_and_the_grade_are_found(
    reader: AdvertReader,
    name: str,
    framework: str,
    behaviours: list[str],
    level: str | None,
) -> None:
    text = (ADVERTS / f"{name}.txt").read_text()
    assert read(reader, text) == (framework, behaviours, level, True)
    assert reader.pasted(text)  # pasted with no command, it is an advert all the same


def test_without_a_list_whole_names_written_as_names_count(reader: AdvertReader) -> None:
    text = (ADVERTS / "cs_names_in_text.txt").read_text()
    # "strong leadership skills", "deliver at pace", "see the big picture": not names
    assert read(reader, text) == (
        "civil-service",
        ["managing-a-quality-service", "leadership"],
        "2",  # (EO)
        False,
    )
    assert not reader.pasted(text)  # no "assess … behaviours" list: not taken as an advert


def test_an_advert_without_behaviours_has_none(reader: AdvertReader) -> None:
    text = (ADVERTS / "no_behaviours.txt").read_text()
    assert read(reader, text) == (None, [], None, False)
    assert not reader.pasted(text)


@pytest.mark.parametrize(
    ("text", "behaviours"),
    [
        (
            "You will be assessed against the following behaviours: Leadership and"
            " Working Together.",
            ["leadership", "working-together"],
        ),
        (
            "Behaviours\nWe will assess you against these behaviours:\nLeadership\n"
            "Delivering at Pace\n\nLeadership is also a theme of the role.",
            ["leadership", "delivering-at-pace"],
        ),
        (  # each once, in the advert's order
            "We'll assess you against these behaviours: Seeing the Big Picture, Leadership,"
            " Seeing the Big Picture",
            ["seeing-the-big-picture", "leadership"],
        ),
        (  # an alias as a whole item; a sentence under the list ends it
            "Behaviours we'll assess:\n* Teamwork\n* Changing and Improving\n"
            "Proven leadership of a team of ten in a busy office",
            ["working-together", "changing-and-improving"],
        ),
        (  # the Success Profiles shape: a sentence first, the list under "Behaviours",
            # then "Experience" whose "Leadership experience" is no behaviour
            "We'll assess you against these behaviours, experience and technical skills"
            " during the selection process.\n\nBehaviours\nWe'll assess you against these"
            " behaviours during the selection process:\nMaking Effective Decisions\n"
            "Leadership\nDelivering at Pace\n\nExperience\nLeadership experience in a large"
            " organisation, and Working Together with partners.\n",
            ["making-effective-decisions", "leadership", "delivering-at-pace"],
        ),
        (  # a sentence that mentions a behaviour is no list item
            "We'll assess you against these behaviours:\n"
            "- you will need proven leadership of a large and busy team\n",
            [],
        ),
    ],
)
def test_list_shapes(reader: AdvertReader, text: str, behaviours: list[str]) -> None:
    assert read(reader, text)[1] == behaviours


@pytest.mark.parametrize(
    ("grade", "level"),
    [
        ("Grade: Grade 7", "4"),
        ("Grade: G6", "4"),
        ("Band: SCS Pay Band 1", "5"),
        ("Grade: Executive Officer", "2"),
        ("Grade: AO", "1"),
        ("Grade/Band: HEO", "3"),
        ("Grade: Level 2", "2"),
        ("Senior Civil Service, SCS2: Director of Digital", "6"),
        ("Job title: Team Leader. Reporting to the Deputy Director.", None),
        ("Grade: EO or HEO", None),  # two grades: asked
    ],
)
def test_grades(reader: AdvertReader, grade: str, level: str | None) -> None:
    text = f"{grade}\nWe'll assess you against these behaviours: Leadership, Delivering at Pace"
    assert read(reader, text)[2] == level


def test_a_star_answer_is_not_an_advert(reader: AdvertReader) -> None:
    answer = (
        "Situation: our team was assessed against the department's behaviours last year."
        " Task: I had to improve our scores. Action: I coached each analyst on leadership"
        " and planned the work. Result: scores rose by 20%."
    )
    assert not reader.pasted(answer)


def test_any_input_is_read_without_error(reader: AdvertReader) -> None:
    for text in ("", "\n\n", "Behaviours:", "assess behaviours:" * 2000, "x" * 50_000):
        reader.read(text)
        reader.pasted(text)
