"""360 feedback in Teams, end to end through its real protocol: activities POSTed to
/api/messages, people picked from the team's roster (pagedmembers at the fake
connector), direct messages opened by the web process's outbox (proactive messages),
answers in Adaptive Cards, the report checked against the stored answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.frameworks import Framework
from bot.storage import FeedbackStore

from ..servers import wait_for
from .test_turn import TENANT, Teams, fixture, teams_server, texts, validate_card

TEAM_ID = "19:team-general@thread.tacv2"
PEOPLE = {  # aadObjectId -> (Teams user id, name)
    "bob-aad": ("29:bob", "Bob Jones"),
    "carol-aad": ("29:carol", "Carol White"),
    "dan-aad": ("29:dan", "Dan Brown"),
    "dana-aad": ("29:dana", "Dana Green"),
}


def identity(aad: str) -> str:
    return f"teams:{TENANT}:{aad}"


@pytest.fixture
def teams(tmp_path: Path, frameworks: list[Framework]) -> Iterator[Teams]:
    with teams_server(tmp_path, frameworks) as running:
        yield running


def install_in_team(teams: Teams) -> None:
    """The bot is added to a team that Megan and the others are in."""
    added = fixture("teams_conversation_update_bot_added_to_team.json")
    added["channelData"]["team"]["id"] = TEAM_ID
    added["channelData"]["tenant"]["id"] = added["conversation"]["tenantId"] = TENANT
    assert teams.post(added)[0] == 200
    megan = fixture("teams_message_personal.json")["from"]
    bot = {"id": added["recipient"]["id"], "name": "behaviourbot"}
    teams.connector.members[TEAM_ID] = [
        megan,
        *({"id": i, "name": n, "aadObjectId": a} for a, (i, n) in PEOPLE.items()),
        bot,
    ]


class Chat:
    """A person's personal chat with the bot: Action.Execute presses answered in place."""

    def __init__(self, teams: Teams, account: dict[str, Any], conversation: str):
        self.teams, self.account, self.conversation = teams, account, conversation
        self.n = 0

    def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        press = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
        press["from"] = self.account
        press["conversation"] = {"conversationType": "personal", "id": self.conversation}
        press["channelData"] = {"tenant": {"id": TENANT}}
        self.n += 1
        press["id"] = f"{self.account['id']}-{self.n}"
        press["value"]["action"]["data"] = data
        status, body = self.teams.post(press)
        assert status == 200 and body["statusCode"] == 200, body
        validate_card(body["value"])
        return body["value"]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


def command(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(a["data"] for a in card.get("actions", []) if a["title"] == title)


def test_a_whole_360_in_teams(teams: Teams) -> None:
    install_in_team(teams)
    megan_account = fixture("teams_message_personal.json")["from"]
    megan_chat = fixture("teams_message_personal.json")["conversation"]["id"]
    assert teams.message("360 leadership level 4")[0] == 200
    megan = Chat(teams, megan_account, megan_chat)
    picker = megan.execute({"command": "360 done"})
    people = inputs(picker)["peers"]
    assert people["type"] == "Input.ChoiceSet" and people["isMultiSelect"]
    assert [c["title"] for c in people["choices"]] == [
        "Bob Jones",
        "Carol White",
        "Dan Brown",
        "Dana Green",
    ]  # the team's people, by name: not Megan herself, not the bot
    assert any("pagedmembers" in c.path and TEAM_ID in c.path for c in teams.connector.calls)
    choose = command(picker, "Choose")

    # an id that is nobody the bot knows (a crafted payload) is refused on the card
    refused = megan.execute(choose | {"peers": f"{identity('bob-aad')},{identity('mallory')}"})
    assert "mallory: choose people who can answer." in texts(refused)

    chosen = ",".join(identity(a) for a in ("bob-aad", "carol-aad", "dan-aad"))
    deadline = megan.execute(choose | {"peers": chosen})
    assert "Asking: Bob Jones, Carol White, Dan Brown" in texts(deadline)
    manager = megan.execute({"command": "360 deadline 2 weeks"})
    assert inputs(manager)["manager"]["isMultiSelect"] is False
    megan.execute(command(manager, "Choose") | {"manager": identity("dana-aad")})
    ready = megan.execute({"command": "360 self leadership 4"})
    assert any("Manager: Dana Green" in t for t in texts(ready))
    sent = megan.execute({"command": "360 send"})
    assert "Request 1 is on its way" in texts(sent)

    # the web process opens a chat with each peer (they never wrote to the bot)
    def created() -> list[Any]:
        found = [c for c in teams.connector.calls if c.path == "POST /v3/conversations"]
        return found if len(found) >= 3 else []

    creates = wait_for(created)
    assert sorted(c.body["members"][0]["id"] for c in creates) == ["29:bob", "29:carol", "29:dan"]

    def asked() -> list[Any]:
        found = [s for s in teams.connector.sent() if "Megan Bowen asks for" in json.dumps(s)]
        return found if len(found) >= 3 else []

    asks = wait_for(asked)
    assert len(asks) == 3

    for aad, rating in (("bob-aad", "3"), ("carol-aad", "2"), ("dan-aad", "2")):
        teams_id, name = PEOPLE[aad]
        peer = Chat(teams, {"id": teams_id, "name": name, "aadObjectId": aad}, f"a:{aad}-chat")
        form = peer.execute({"command": "360 answer 1"})
        fields = inputs(form)
        assert fields["rate-leadership"]["style"] == "expanded"
        assert [c["title"] for c in fields["rate-leadership"]["choices"]][-1] == "I can't say"
        submit = command(form, "Send")
        values = {
            "rate-leadership": rating,
            "example-leadership": f"seen by {name}",
            "keep": "",
            "develop": "delegate more",
        }
        if aad == "bob-aad":  # no rating: refused on the card, with what was typed
            again = peer.execute(submit | dict(values, **{"rate-leadership": ""}))
            assert "Choose a rating, or I can't say." in texts(again)
            assert inputs(again)["develop"]["value"] == "delegate more"
        thanks = peer.execute(submit | values)
        assert any("your answer to request 1 is recorded" in t for t in texts(thanks))

    db = FeedbackStore(teams.store)
    stored = db.peers(1)
    assert [p["status"] for p in stored] == ["answered"] * 3
    ratings = [p["ratings"]["leadership"] for p in stored]
    assert sorted(ratings) == [2, 2, 3]

    report = megan.execute({"command": "360 close 1 confirm"})
    body = " ".join(texts(report))
    assert "peers Sometimes (2) on average, 3 rated" in body  # 2.33, rounded
    assert "3 of 3 answered" in body and "seen by Bob Jones" in body
    assert "Bob Jones" not in body.replace("seen by Bob Jones", "")  # never attributed
    to_dana = wait_for(
        lambda: [
            c
            for c in teams.connector.calls
            if c.path == "POST /v3/conversations" and c.body["members"][0]["id"] == "29:dana"
        ]
    )
    assert to_dana
    assert db.request(1)["manager"] == identity("dana-aad")


def test_a_peer_teams_will_not_open_a_chat_with_is_named(teams: Teams) -> None:
    install_in_team(teams)
    megan_account = fixture("teams_message_personal.json")["from"]
    megan_chat = fixture("teams_message_personal.json")["conversation"]["id"]
    teams.message("360 leadership level 4")
    megan = Chat(teams, megan_account, megan_chat)
    choose = command(megan.execute({"command": "360 done"}), "Choose")
    two = megan.execute(choose | {"peers": ",".join(identity(a) for a in ("bob-aad", "carol-aad"))})
    assert "Choose at least 3" in json.dumps(two)  # refused at the peers step, on the card
    chosen = ",".join(identity(a) for a in ("bob-aad", "carol-aad", "dan-aad"))
    megan.execute(command(two, "Choose") | {"peers": chosen})
    megan.execute({"command": "360 deadline 1 week"})
    megan.execute({"command": "360 manager none"})
    megan.execute({"command": "360 self leadership 2"})
    teams.connector.refuse_new_conversations = True
    megan.execute({"command": "360 send"})
    told = wait_for(
        lambda: [
            s for s in teams.connector.sent() if "could not reach Carol White" in json.dumps(s)
        ]
    )
    assert "Teams refused to open a chat with them" in json.dumps(told[0])
    assert {p["status"] for p in FeedbackStore(teams.store).peers(1)} == {"unreachable"}


def test_with_nobody_to_choose_from_the_card_says_what_to_do(teams: Teams) -> None:
    teams.message("360 leadership level 4")
    megan = Chat(
        teams,
        fixture("teams_message_personal.json")["from"],
        fixture("teams_message_personal.json")["conversation"]["id"],
    )
    card = megan.execute({"command": "360 done"})
    assert any("Add me to one of yours" in t for t in texts(card))
    assert "peers" not in inputs(card)


def test_typed_names_are_never_taken_for_people_in_teams(teams: Teams) -> None:
    """After the framework button (which starts the request afresh), names typed for
    the peers or the manager are refused, and the card offers the roster's picker."""
    install_in_team(teams)
    megan = Chat(
        teams,
        fixture("teams_message_personal.json")["from"],
        fixture("teams_message_personal.json")["conversation"]["id"],
    )
    teams.message("360")
    megan.execute({"command": "360 framework civil-service"})
    megan.execute({"command": "360 level 4"})
    megan.execute({"command": "360 add leadership"})
    megan.execute({"command": "360 done"})
    for n, typed in enumerate(("bob, carol, dan", "360 manager dana")):
        assert teams.message(typed, id=f"typed-{n}")[0] == 200
        card = teams.cards()[-1]
        assert any("cannot tell who" in t for t in texts(card)), texts(card)
        assert inputs(card)["peers"]["isMultiSelect"]  # the picker, on the card
    chosen = ",".join(identity(a) for a in ("bob-aad", "carol-aad", "dan-aad"))
    megan.execute({"command": "360 people", "peers": chosen})
    megan.execute({"command": "360 deadline 2 weeks"})
    assert teams.message("dana", id="typed-manager")[0] == 200
    card = teams.cards()[-1]
    assert any("cannot tell who" in t for t in texts(card))
    assert inputs(card)["manager"]["isMultiSelect"] is False
    megan.execute({"command": "360 manager none"})
    megan.execute({"command": "360 self leadership 3"})
    assert "Request 1 is on its way" in texts(megan.execute({"command": "360 send"}))
    db = FeedbackStore(teams.store)
    assert {p["peer"] for p in db.peers(1)} == {
        identity(a) for a in ("bob-aad", "carol-aad", "dan-aad")
    }
    assert db.request(1)["manager"] is None


def teams_request(teams: Teams) -> Chat:
    """Megan asks Bob, Carol and Dan about Leadership at Level 4; her chat."""
    install_in_team(teams)
    personal = fixture("teams_message_personal.json")
    assert teams.message("360 leadership level 4")[0] == 200
    megan = Chat(teams, personal["from"], personal["conversation"]["id"])
    choose = command(megan.execute({"command": "360 done"}), "Choose")
    megan.execute(
        choose | {"peers": ",".join(identity(a) for a in ("bob-aad", "carol-aad", "dan-aad"))}
    )
    for value in ("360 deadline 1 week", "360 manager none", "360 self leadership 2"):
        megan.execute({"command": value})
    assert "Request 1 is on its way" in texts(megan.execute({"command": "360 send"}))
    return megan


def peer_chat(teams: Teams, aad: str) -> Chat:
    teams_id, name = PEOPLE[aad]
    return Chat(teams, {"id": teams_id, "name": name, "aadObjectId": aad}, f"a:{aad}-chat")


def test_consent_on_the_teams_card_is_asked_stored_and_withdrawn(teams: Teams) -> None:
    """The answer card asks for consent first (no unless changed), Send stores it, a
    message `360 consent 1 no` withdraws it, and after the close it cannot change."""
    megan = teams_request(teams)
    chats = {}
    for aad, consent in (("bob-aad", "yes"), ("carol-aad", "no"), ("dan-aad", "")):
        peer = chats[aad] = peer_chat(teams, aad)
        form = peer.execute({"command": "360 answer 1"})
        ids = [e["id"] for e in form["body"] if e["type"].startswith("Input.")]
        assert ids[0] == "consent" and ids.index("consent") < ids.index("example-leadership")
        field = inputs(form)["consent"]
        assert field["value"] == "no" and [c["value"] for c in field["choices"]] == ["yes", "no"]
        values = {
            "rate-leadership": "3",
            "example-leadership": f"seen by {aad}",
            "consent": consent,
        }
        thanks = peer.execute(command(form, "Send") | values)
        assert any("your answer to request 1 is recorded" in t for t in texts(thanks))
    db = FeedbackStore(teams.store)
    consents = {p["peer"]: p["consent"] for p in db.peers(1)}
    assert consents == {
        identity("bob-aad"): True,
        identity("carol-aad"): False,
        identity("dan-aad"): False,
    }
    bob = {"id": "29:bob", "name": "Bob Jones", "aadObjectId": "bob-aad"}
    chat = {"conversationType": "personal", "id": "a:bob-aad-chat", "tenantId": TENANT}
    typed = teams.message("360 consent 1 no", id="bob-typed-1", conversation=chat, **{"from": bob})
    assert typed[0] == 200
    assert db.peer(1, identity("bob-aad"))["consent"] is False
    told = wait_for(
        lambda: [s for s in teams.connector.sent() if "stay in the report alone" in json.dumps(s)]
    )
    assert told
    megan.execute({"command": "360 close 1 confirm"})
    late = chats["bob-aad"].execute({"command": "360 consent 1 yes"})
    assert any("can no longer change" in t for t in texts(late))
    assert db.peer(1, identity("bob-aad"))["consent"] is False


def test_prep_in_teams_offers_what_peers_shared_only_after_the_close(teams: Teams) -> None:
    megan = teams_request(teams)
    for aad in ("bob-aad", "carol-aad", "dan-aad"):  # all three agree (the threshold)
        peer = peer_chat(teams, aad)
        form = peer.execute({"command": "360 answer 1"})
        example = {"bob-aad": "Ran the **offsite**", "carol-aad": "Carol kept it"}.get(aad, "")
        consent = "yes"
        values = {"consent": consent, "rate-leadership": "3", "example-leadership": example}
        peer.execute(command(form, "Send") | values)
    before = megan.execute({"command": "prep leadership level 4"})
    assert not any("Peers said you" in t for t in texts(before))
    megan.execute({"command": "360 close 1 confirm"})
    assert teams.message("prep leadership level 4", id="prep-after")[0] == 200
    started = " ".join(texts(teams.cards()[-1]))
    assert "Peers said you" in started
    assert "Ran the \\*\\*offsite\\*\\*" in started  # escaped: shown as written
    assert "Carol kept it" in started and "Bob Jones" not in started
