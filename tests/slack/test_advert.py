"""Preparing from a job advert through Slack (signed requests into the real slack-bolt
app, the Web API a local fake): a pasted advert in a DM, `/behaviour advert …`, and the
matrix's buttons, within Slack's limits however many behaviours the advert names."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .test_app import button, command, event, fixture, interaction, post, slack  # noqa: F401

ADVERTS = Path(__file__).parent.parent / "lookup" / "adverts"
EVERY_BEHAVIOUR = """Deputy Head of Operations
Grade: Grade 7

We'll assess you against these behaviours during the selection process:
• Seeing the Big Picture
• Changing and Improving
• Making Effective Decisions
• Leadership
• Communicating and Influencing
• Working Together
• Developing Self and Others
• Managing a Quality Service
• Delivering at Pace

<!channel> Apply by <https://example.org|the closing date>.
"""


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["text"]["text"], e["value"])
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def within_limits(message: dict[str, Any]) -> None:
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        texts = [block.get("text") or {}, *(block.get("fields") or [])]
        assert all(len(t.get("text", "")) <= 3000 for t in texts)


def test_an_advert_pasted_in_a_dm_is_answered_within_slacks_limits(slack) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url, fake, _ = slack
    body = copy.deepcopy(fixture("slack_event_message_im.json"))
    body["event"]["text"] = EVERY_BEHAVIOUR.replace("<", "&lt;").replace(">", "&gt;")
    assert event(url, body)[0] == 200
    posted = [c.body for c in fake.to("/api/chat.postMessage")]
    assert len(posted) >= 2  # over 50 blocks: several messages, the buttons with the last
    assert posted and all(p["channel"] == body["event"]["channel"] for p in posted)
    assert posted[0]["blocks"][0]["text"]["text"] == "From the advert: 9 behaviours at Level 4"
    for message in posted:
        within_limits(message)
    every = json.dumps(posted)
    assert "Seeing the Big Picture: Level 4" in every and "Delivering at Pace: Level 4" in every
    assert "<!channel>" not in every and "example.org" not in every  # the advert not echoed
    offered = [b for p in posted for b in buttons(p)]
    assert ("Start Leadership", "prep civil-service/leadership/4") in offered
    mock = dict(offered)["Mock interview"]
    assert mock.startswith("mock civil-service/seeing-the-big-picture/4 ")
    # a mock interview takes six behaviours at most: the first six, the rest named
    assert len(mock.split()) == 7
    assert "leaves out Developing Self and Others, Managing a Quality Service" in every


def test_the_slash_command_in_a_dm_and_its_buttons_lead_to_prep(slack) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url, fake, store = slack
    advert = (ADVERTS / "cs_g7_bullets.txt").read_text()
    body = fixture("slack_slash_command.json") | {
        "command": "/behaviour",
        "text": "advert " + advert,
        "channel_id": "D024BE91L",
        "channel_name": "directmessage",
    }
    status, ack = post(url, urlencode(body), "application/x-www-form-urlencoded")
    assert status == 200
    answer = json.loads(ack)  # answered in the ack, to the asker only
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"] == "From the advert: 3 behaviours at Level 4"
    shown = json.dumps(answer)
    assert "prep civil-service/communicating-and-influencing/4" in shown
    # the button to start one, pressed in the DM: the draft begins
    pressed = button(fake, "prep civil-service/communicating-and-influencing/4")
    pressed["container"] |= {"channel_id": "D024BE91L", "is_ephemeral": False}
    pressed["channel"] = {"id": "D024BE91L", "name": "directmessage"}
    assert interaction(url, pressed)[0] == 200
    (started,) = fake.to("/response/one")
    assert "Prepare an example: Communicating and Influencing, Level 4" in json.dumps(started.body)
    user = f"slack:{body['team_id']}:{body['user_id']}"
    draft = store.draft(user, 1)
    assert draft is not None and draft["behaviour"] == "communicating-and-influencing"
