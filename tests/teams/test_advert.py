"""Preparing from a job advert through Teams: a Bot Framework message activity with a
pasted advert POSTed to /api/messages, the cards captured at a local fake connector (and
kept under Teams' message size), and the card's choice that starts a missing behaviour."""

from __future__ import annotations

from adapters.teams.cards import CHOICE_INPUT

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
