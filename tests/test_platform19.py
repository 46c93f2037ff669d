"""Issue 19's features tried in Slack and Teams as the platforms deliver them (tester
platform19): each test here shows a defect found, through the real protocol, and is
expected to fail until it is fixed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.frameworks import Framework

from .servers import FakeSlack, wait_for
from .slack.test_advert import EVERY_BEHAVIOUR
from .slack.test_app import command as slack_command
from .slack.test_app import fixture as slack_fixture
from .slack.test_app import post as slack_post
from .slack.test_app import slack  # noqa: F401  (the fixture)
from .slack.test_feedback import (
    ALICE,
    BOB,
    TEAM,
    Person,
    slack_server,
    text_of,
)
from .slack.test_home import published, sent_and_in_bobs_home
from .teams.test_feedback import (
    PEOPLE,
    TEAM_ID,
    Chat,
    command,
    identity,
    install_in_team,
    peer_chat,
    teams_request,
)
from .teams.test_turn import Teams, fixture, teams, texts  # noqa: F401  (teams: the fixture)

# A job advert as people paste it: a title, a labelled grade, the behaviours one a line,
# and the rest of the advert after the list.
ADVERT = """Senior Policy Adviser
Grade: Grade 7

We'll assess you against these behaviours during the selection process:
- Leadership
- Delivering at Pace

Apply by the closing date on the website.
"""


def test_an_advert_pasted_in_a_teams_chat_with_text_after_its_list_is_read(
    teams: Teams,  # noqa: F811
) -> None:
    status, _ = teams.message(ADVERT, id="advert-with-more-1")
    assert status == 200
    lines = [line for card in teams.cards() for line in texts(card)]
    assert lines[0] == "From the advert: 2 behaviours at Level 4", lines[:2]
    assert "Leadership: Level 4" in lines and "Delivering at Pace: Level 4" in lines


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


def slack_escaped(text: str) -> str:
    """Message text as Slack sends it in an event: its three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_a_mock_answer_typed_in_slack_with_an_ampersand_is_saved_as_typed(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, bot):
        alice = Person(url, fake, ALICE)
        alice.say("mock leadership level 4")
        answer = "As team leader I ran the Q&A sessions for 40 staff & cut complaints by 30%."
        assert "follow-up" in alice.answer_to(slack_escaped(answer))
        assert "summary" in alice.answer_to(slack_escaped("Complaints fell from 60 to 42."))
        alice.press("mock save 1")
        draft = bot.store.draft(f"slack:{TEAM}:{ALICE}", 1)
        assert draft is not None
        assert "Q&A sessions for 40 staff & cut" in " ".join(draft["parts"].values())
        shown = text_of(
            wait_for(lambda: [m for m in alice.messages() if "Draft 1" in text_of(m)])[-1]
        )
        assert "&amp;amp;" not in shown


def test_evidence_for_an_unknown_behaviour_offers_its_suggestions_as_buttons_in_teams(
    teams: Teams,  # noqa: F811
) -> None:
    status, _ = teams.message("evidence nonsense words here", id="evidence-unknown-1")
    assert status == 200
    sent = teams.connector.sent()
    said = json.dumps(sent, ensure_ascii=False)
    assert "Search the texts for" in said  # the suggestions are in the answer...
    assert "\\n1. " not in said  # ...not as numbers Teams cannot pick
    pressable = [
        action["data"]["command"]
        for activity in sent
        for attachment in activity.get("attachments") or []
        for action in attachment["content"].get("actions") or []
        if action.get("type") == "Action.Execute"
    ]
    assert any(command.startswith("search ") for command in pressable), pressable


def test_a_peers_home_tab_drops_a_request_once_it_closes(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _bot):
        alice = Person(url, fake, ALICE)
        sent_and_in_bobs_home(url, fake, alice)
        alice.press("360 close 1 confirm")
        assert "360 feedback: request 1" in text_of(alice.last())  # closed: the report

        def current() -> dict[str, Any] | None:
            latest = published(fake, BOB)[-1]
            return None if "360 answer 1" in json.dumps(latest) else latest

        wait_for(current, 5)


def test_the_markdown_export_card_in_teams_keeps_the_markdown_as_exported(
    teams: Teams,  # noqa: F811
) -> None:
    megan = teams_request(teams)
    for aad in ("bob-aad", "carol-aad", "dan-aad"):
        peer = peer_chat(teams, aad)
        form = peer.execute({"command": "360 answer 1"})
        peer.execute(command(form, "Send") | {"rate-leadership": "3", "example-leadership": ""})
    megan.execute({"command": "360 close 1 confirm"})
    exported = megan.execute({"command": "360 export 1 markdown"})
    shown = "\n\n".join(texts(exported))
    assert "| Behaviour | Peers | Rated by | You |\n|---|---|---|---|" in shown, shown[:600]
    assert "-\u200b" not in shown


def test_a_mock_asked_for_in_a_slack_channel_says_to_type_mock_in_the_dm(
    slack: tuple[str, FakeSlack, Any],  # noqa: F811
) -> None:
    url, _fake, _store = slack
    status, body = slack_command(url, "mock leadership level 4")  # in a channel
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    said = json.dumps(answer)
    assert "`mock leadership level 4`" in said and "`prep " not in said, said


def test_read_only_turns_do_not_publish_the_home_tab_again(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _bot):
        alice = Person(url, fake, ALICE)
        alice.answer_to("leadership level 4")  # a lookup: nothing published
        for n, text in enumerate(("drafts", "360 list", "plan", "evidence leadership")):
            alice.answer_to(text)
            alice.answer_to(f"leadership level {n + 1}")  # a later turn: the publish is done
        assert published(fake, ALICE) == []


BEHAVIOURS = (
    "leadership",
    "delivering-at-pace",
    "working-together",
    "seeing-the-big-picture",
    "changing-and-improving",
)


def test_a_long_report_in_teams_keeps_each_behaviours_bars_with_its_name(
    teams: Teams,  # noqa: F811
) -> None:
    install_in_team(teams)
    others = {f"p{i}-aad": (f"29:p{i}", f"Person {i}") for i in range(6)}
    teams.connector.members[TEAM_ID] += [
        {"id": i, "name": n, "aadObjectId": a} for a, (i, n) in others.items()
    ]
    people = {**PEOPLE, **others}
    peers = ["bob-aad", "carol-aad", "dan-aad", *others]
    personal = fixture("teams_message_personal.json")
    megan = Chat(teams, personal["from"], personal["conversation"]["id"])
    assert teams.message("360 leadership level 4", id="long-report-1")[0] == 200
    for behaviour in BEHAVIOURS[1:]:
        megan.execute({"command": f"360 add {behaviour}"})
    picker = megan.execute({"command": "360 done"})
    megan.execute(command(picker, "Choose") | {"peers": ",".join(identity(a) for a in peers)})
    megan.execute({"command": "360 deadline 1 week"})
    megan.execute({"command": "360 manager none"})
    for behaviour in BEHAVIOURS:
        megan.execute({"command": f"360 self {behaviour} 3"})
    megan.execute({"command": "360 send"})
    wait_for(lambda: len([s for s in teams.connector.sent() if "asks for" in json.dumps(s)]) == 9)
    words = " ".join(["Chaired the weekly review and kept the minutes for everyone."] * 28)
    for aad in peers:
        teams_id, name = people[aad]
        peer = Chat(teams, {"id": teams_id, "name": name, "aadObjectId": aad}, f"a:{aad}-chat")
        form = peer.execute({"command": "360 answer 1"})
        values = {"keep": words, "develop": words}
        for behaviour in BEHAVIOURS:
            values |= {f"rate-{behaviour}": "3", f"example-{behaviour}": words}
        peer.execute(command(form, "Send") | values)
    before = len(teams.connector.calls)
    first = megan.execute({"command": "360 close 1 confirm"})

    def posted() -> list[dict[str, Any]]:
        """The cards posted after the first, once the last (with the buttons) is there."""
        found = [
            a["content"]
            for call in teams.connector.calls[before:]
            for a in call.body.get("attachments") or []
        ]
        return found if found and "Starter development plan" in json.dumps(found[-1]) else []

    cards = [first, *wait_for(posted)]
    assert len(cards) > 1  # too long for one card: several
    for card in cards:
        body = card["body"]
        assert body and body[0]["type"] != "ColumnSet", [e.get("text") for e in body[:2]]


def test_the_slash_command_stop_ends_a_mock_interview_in_the_dm(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _bot):

        def slash(text: str) -> str:
            body = slack_fixture("slack_slash_command.json") | {
                "command": "/behaviour",
                "text": text,
                "team_id": TEAM,
                "user_id": ALICE,
                "channel_id": "D" + ALICE,
                "channel_name": "directmessage",
                "response_url": fake.response_base + ALICE,  # type: ignore[attr-defined]
            }
            status, ack = slack_post(url, urlencode(body), "application/x-www-form-urlencoded")
            assert status == 200
            return str(json.loads(ack)["text"])

        assert slash("mock leadership level 4") == "Mock interview: 1 question"
        stopped = slash("stop")
        assert stopped.startswith("Stopped the mock interview"), stopped
