"""Preparing from a job advert through Teams: a Bot Framework message activity with a
pasted advert POSTed to /api/messages, the cards captured at a local fake connector (and
kept under Teams' message size), and the card's choice that starts a missing behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.teams.cards import CHOICE_INPUT
from bot.frameworks import Framework
from bot.lookup.advert import AdvertReader
from bot.lookup.resolver import Index

from .test_turn import Teams, fixture, teams, texts  # noqa: F401  (teams: the fixture)

ADVERT = """Head of Service Improvement (Grade 7)

About the role: you will lead a team of twelve and improve how the service works.

We'll assess you against these behaviours during the selection process:
- Seeing the Big Picture
- Changing and Improving
- Making Effective Decisions
- Leadership
- Communicating and Influencing
- Working Together
- Developing Self and Others
- Managing a Quality Service
- Delivering at Pace
"""


def test_a_pasted_advert_is_answered_in_cards_and_its_choice_starts_a_draft(
    teams: Teams,  # noqa: F811
) -> None:
    status, _ = teams.message(ADVERT)
    assert status == 200
    cards = teams.cards()
    lines = [line for card in cards for line in texts(card)]
    assert lines[0] == "From the advert: 9 behaviours at Level 4"
    assert "Delivering at Pace: Level 4" in lines
    assert "Working Together: no draft yet" in "\n".join(lines)
    teams.check_sizes()  # every card within Teams' 28 KB
    (select,) = [e for card in cards for e in card["body"] if e["type"] == "Input.ChoiceSet"]
    offered = {c["title"]: c["value"] for c in select["choices"]}
    assert offered["Start Leadership"] == "prep civil-service/leadership/4"
    assert offered["Mock interview"].startswith("mock civil-service/seeing-the-big-picture/4 ")
    assert len(offered["Mock interview"].split()) == 7  # the first six: a mock's most
    assert any("leaves out Developing Self and Others" in line for line in lines)
    # picking "Start Leadership" in the personal chat's card: the draft begins
    picked = fixture("teams_message_personal.json") | {
        "id": "advert-choice-1",  # another activity than the advert's
        "text": "",
        "value": {CHOICE_INPUT: offered["Start Leadership"]},
    }
    picked.pop("attachments")
    assert teams.post(picked)[0] == 200
    started = [line for card in teams.cards()[len(cards) :] for line in texts(card)]
    assert "Prepare an example: Leadership, Level 4" in started, started[:3]
    user = teams.store.db["star_drafts"].rows_where("number = 1")
    assert [row["behaviour"] for row in user] == ["leadership"]


SAMPLES = Path(__file__).parent.parent / "lookup" / "adverts"


@pytest.mark.parametrize(
    "name",  # the samples that name a grade (the others are asked for one)
    ["cs_heo_inline", "cs_g7_bullets", "cs_seo_us_spelling", "policing_superintendent"],
)
def test_a_sample_advert_pasted_in_teams_is_read_as_in_the_terminal(
    teams: Teams,  # noqa: F811
    frameworks: list[Framework],
    name: str,
) -> None:
    """The message's line breaks reach the core: the advert's list is read as listed."""
    text = (SAMPLES / f"{name}.txt").read_text()
    found = AdvertReader(Index(frameworks)).read(text)
    status, _ = teams.message(text, id=f"sample-{name}")
    assert status == 200
    lines = [line for card in teams.cards() for line in texts(card)]
    assert lines[0].startswith(f"From the advert: {len(found.behaviours)} "), lines[:2]
    shown = "\n".join(lines).lower()
    assert all(behaviour.label.lower() in shown for behaviour in found.behaviours), shown


def test_an_advert_whose_text_teams_ran_together_is_read_from_its_html(
    teams: Teams,  # noqa: F811
) -> None:
    """Teams' `text` can run paragraphs together (the fixture's "TestBot.Sending"): the
    rich-text copy gives the lines back; its markup and links are not taken."""
    lines = [
        "Senior Policy Adviser",
        "Grade: Grade 7",
        "We'll assess you against these behaviours during the selection process:",
        "Leadership",
        "Delivering at Pace",
        "Apply by the closing date on the website.",
    ]
    html = "".join(
        f"<p>{line.replace(chr(39), '&#39;')}</p>" if n != 5 else f'<p><a href="x">{line}</a></p>'
        for n, line in enumerate(lines)
    )
    activity = fixture("teams_message_personal.json") | {
        "id": "advert-html-1",
        "text": "".join(lines),
        "attachments": [{"contentType": "text/html", "content": f"<div>{html}</div>\n"}],
    }
    assert teams.post(activity)[0] == 200
    shown = [line for card in teams.cards() for line in texts(card)]
    assert shown[0] == "From the advert: 2 behaviours at Level 4", shown[:2]
