"""The 360 report's picture in Teams, through its real protocol: Adaptive Card elements
(a row per bar: the bar drawn in a narrow column, its label and value beside it), valid
against the Adaptive Card 1.5 schema, in the card that answers the close and in the
report the outbox sends the manager; never a bar for what the anonymity rules hide."""

from __future__ import annotations

import json
from typing import Any

from ..servers import wait_for
from .test_feedback import PEOPLE, Chat, command, fixture, identity, install_in_team, teams
from .test_turn import Teams, validate_card

__all__ = ["teams"]  # the fixture, shared


def bar_rows(card: dict[str, Any]) -> dict[str, list[str]]:
    """Per behaviour (a bold TextBlock after the chart's caption), its bars: each row's
    column texts joined by " | "."""
    body = card["body"]
    (start,) = [
        n
        for n, e in enumerate(body)
        if e["type"] == "TextBlock" and e["text"].startswith("Picture: ")
    ]
    rows: dict[str, list[str]] = {}
    for element in body[start + 1 :]:
        if element["type"] == "TextBlock" and element.get("weight") == "Bolder":
            if element.get("spacing") != "Small":
                break
            rows[element["text"]] = []
        elif element["type"] == "ColumnSet" and rows:
            texts = [c["items"][0]["text"] for c in element["columns"]]
            rows[list(rows)[-1]].append(" | ".join(texts))
        else:
            break
    return rows


def test_the_report_in_teams_draws_self_against_peers_in_a_valid_card(teams: Teams) -> None:
    install_in_team(teams)
    megan_account = fixture("teams_message_personal.json")["from"]
    conversation = fixture("teams_message_personal.json")["conversation"]["id"]
    assert teams.message("360 leadership level 4")[0] == 200
    megan = Chat(teams, megan_account, conversation)
    megan.execute({"command": "360 add delivering-at-pace"})
    picker = megan.execute({"command": "360 done"})
    chosen = ",".join(identity(a) for a in ("bob-aad", "carol-aad", "dan-aad"))
    megan.execute(command(picker, "Choose") | {"peers": chosen})
    manager = megan.execute({"command": "360 deadline 2 weeks"})
    megan.execute(command(manager, "Choose") | {"manager": identity("dana-aad")})
    megan.execute({"command": "360 self leadership 2"})
    megan.execute({"command": "360 self delivering-at-pace 4"})
    assert "on its way" in json.dumps(megan.execute({"command": "360 send"}))
    wait_for(lambda: len([s for s in teams.connector.sent() if "asks for" in json.dumps(s)]) >= 3)
    # Leadership 4, 3, 3: average 3; Delivering at Pace rated by one: not shown
    for aad, lead, pace in (("bob-aad", "4", "1"), ("carol-aad", "3", "0"), ("dan-aad", "3", "0")):
        teams_id, name = PEOPLE[aad]
        peer = Chat(teams, {"id": teams_id, "name": name, "aadObjectId": aad}, f"a:{aad}-chat")
        form = peer.execute({"command": "360 answer 1"})
        values = {
            "rate-leadership": lead,
            "example-leadership": "",
            "rate-delivering-at-pace": pace,
            "example-delivering-at-pace": "",
            "keep": "",
            "develop": "",
        }
        peer.execute(command(form, "Send") | values)

    report = megan.execute({"command": "360 close 1 confirm"})  # validated on the way
    assert bar_rows(report) == {
        "Leadership": ["▇▇▇▇▇▇▁▁ | Peers: Usually (3) on average", "▇▇▇▇▁▁▁▁ | You: Sometimes (2)"],
        "Delivering at Pace": ["Peers: not enough answers", "▇▇▇▇▇▇▇▇ | You: Consistently (4)"],
    }
    bars = [
        c["items"][0]
        for e in report["body"]
        if e["type"] == "ColumnSet"
        for c in e["columns"]
        if c["width"] == "auto"
    ]
    assert bars and all(b["fontType"] == "Monospace" for b in bars)

    def to_dana() -> list[dict[str, Any]]:
        """The report sent by the outbox: only Dana's (Megan had hers as the reply)."""
        return [
            a["content"]
            for s in teams.connector.sent()
            if "360 feedback: request 1" in json.dumps(s)
            for a in s.get("attachments", [])
        ]

    (manager_card,) = wait_for(to_dana)
    validate_card(manager_card)
    assert bar_rows(manager_card) == {
        "Leadership": ["▇▇▇▇▇▇▁▁ | Peers: Usually (3) on average"],
        "Delivering at Pace": ["Peers: not enough answers"],
    }


def test_a_plans_progress_in_teams_is_drawn_in_a_valid_card(teams: Teams) -> None:
    install_in_team(teams)
    message = fixture("teams_message_personal.json")
    megan = Chat(teams, message["from"], message["conversation"]["id"])
    assert teams.message("plan")[0] == 200
    for behaviour in ("leadership level 5", "delivering at pace level 5"):
        add = megan.execute({"command": "plan add"})
        values = {"behaviour": behaviour, "gap": "A gap", "activity": "training"}
        megan.execute(command(add, "Save") | values | {"starts": "", "due": ""})
    megan.execute({"command": "plan status 2 done"})
    view = megan.execute({"command": "plan"})  # validated on the way
    assert bar_rows(view) == {
        "Items": [
            "▇▇▇▇▁▁▁▁ | Not started: 1 of 2",
            "▁▁▁▁▁▁▁▁ | In progress: 0 of 2",
            "▇▇▇▇▁▁▁▁ | Done: 1 of 2",
        ]
    }
