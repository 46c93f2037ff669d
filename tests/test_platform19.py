"""Issue 19's features tried in Slack and Teams as the platforms deliver them (tester
platform19): each test here shows a defect found, through the real protocol, and is
expected to fail until it is fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.frameworks import Framework

from .servers import wait_for
from .slack.test_advert import EVERY_BEHAVIOUR
from .slack.test_feedback import ALICE, Person, slack_server
from .teams.test_turn import Teams, teams, texts  # noqa: F401  (teams: the fixture)

# A job advert as people paste it: a title, a labelled grade, the behaviours one a line,
# and the rest of the advert after the list.
ADVERT = """Senior Policy Adviser
Grade: Grade 7

We'll assess you against these behaviours during the selection process:
- Leadership
- Delivering at Pace

Apply by the closing date on the website.
"""


@pytest.mark.xfail(
    strict=True,
    reason="the Teams adapter joins a message's lines into one (text_without_mention), so "
    "an advert whose behaviours are listed one a line, with more text after the list, is "
    "no longer seen as an advert and is answered as a failed lookup ('No match for …')",
)
def test_an_advert_pasted_in_a_teams_chat_with_text_after_its_list_is_read(
    teams: Teams,  # noqa: F811
) -> None:
    status, _ = teams.message(ADVERT, id="advert-with-more-1")
    assert status == 200
    lines = [line for card in teams.cards() for line in texts(card)]
    assert lines[0] == "From the advert: 2 behaviours at Level 4", lines[:2]
    assert "Leadership: Level 4" in lines and "Delivering at Pace: Level 4" in lines


@pytest.mark.xfail(
    strict=True,
    reason="an advert naming more than six behaviours offers a Mock interview button on "
    "all of them (prompts/star/advert.j2), which the mock refuses when pressed "
    "(star/mock_too_many.j2: up to 6): a button offered that cannot work",
)
def test_the_mock_interview_button_of_a_nine_behaviour_advert_starts_a_mock_in_slack(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _bot):
        alice = Person(url, fake, ALICE)
        alice.say(EVERY_BEHAVIOUR.replace("<", "&lt;").replace(">", "&gt;"))
        offered = wait_for(lambda: alice.buttons() if "Mock interview" in alice.buttons() else None)
        alice.press(offered["Mock interview"])
        answer = alice.last()
        assert answer["blocks"][0]["text"]["text"].startswith("Mock interview: "), answer["text"]
