"""Choosing people in Teams through its real protocol: the picker on a form card offers a
few people and finds the rest as the person types, through the bot (an
`application/search` invoke POSTed to /api/messages), only ever among the people of the
teams and chats the person shares with the bot, in their own tenant."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.teams.cards import PEOPLE_DATASET
from bot.expectations.store import ExpectationStore
from bot.frameworks import Framework

from ..servers import wait_for
from .test_feedback import PEOPLE, TEAM_ID, command, identity, inputs, install_in_team
from .test_plans_expectations import big_roster, megan_chat
from .test_turn import TENANT, Teams, fixture, teams_server, texts

OTHER_TENANT = "0c5e7f1a-2b3d-4e5f-8a9b-1c2d3e4f5a6b"
SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"


@pytest.fixture
def teams(tmp_path: Path, frameworks: list[Framework]) -> Iterator[Teams]:
    with teams_server(tmp_path, frameworks) as running:
        yield running


def add_to_team(teams: Teams, team: str, tenant: str, members: list[dict[str, Any]]) -> None:
    """The bot is added to another team, whose roster is `members`."""
    added = fixture("teams_conversation_update_bot_added_to_team.json")
    added["id"] = f"added-{team}"
    added["conversation"] = dict(added["conversation"], id=f"{team}-general", tenantId=tenant)
    added["channelData"]["team"]["id"] = team
    added["channelData"]["tenant"]["id"] = tenant
    assert teams.post(added)[0] == 200
    teams.connector.members[team] = members


def search(
    teams: Teams,
    typed: str,
    *,
    who: dict[str, Any] | None = None,
    tenant: str = TENANT,
    dataset: str = PEOPLE_DATASET,
    skip: int = 0,
    top: int = 15,
) -> list[dict[str, str]]:
    """What the bot answers to a picker's typeahead: the results, each a title and value."""
    megan = fixture("teams_message_personal.json")
    activity = fixture("teams_invoke_adaptive_card_action_COMPOSED.json") | {
        "name": "application/search",
        "id": f"search-{typed}-{skip}",
        "from": who or megan["from"],
        "conversation": megan["conversation"],
        "channelData": {"tenant": {"id": tenant}},
        "value": {
            "queryText": typed,
            "queryOptions": {"skip": skip, "top": top},
            "dataset": dataset,
        },
    }
    activity.pop("replyToId")
    status, body = teams.post(activity)
    assert status == 200, body
    assert body["type"] == SEARCH_RESPONSE
    return body["value"]["results"]


def names(results: list[dict[str, str]]) -> list[str]:
    return [r["title"] for r in results]


def test_the_typeahead_finds_people_of_the_persons_own_teams_only(teams: Teams) -> None:
    install_in_team(teams)
    stranger = {"id": "29:eve", "name": "Eve Black", "aadObjectId": "eve-aad"}
    add_to_team(teams, "19:other-team@thread.tacv2", TENANT, [stranger])  # Megan is not in it
    megan = fixture("teams_message_personal.json")["from"]
    elsewhere = {"id": "29:bobby", "name": "Bobby Tables", "aadObjectId": "bobby-aad"}
    add_to_team(teams, "19:abroad@thread.tacv2", OTHER_TENANT, [megan, elsewhere])

    everyone = search(teams, "")
    assert names(everyone) == ["Bob Jones", "Carol White", "Dan Brown", "Dana Green"]
    assert [r["value"] for r in everyone] == [
        identity(a) for a in ("bob-aad", "carol-aad", "dan-aad", "dana-aad")
    ]
    assert names(search(teams, "bo")) == ["Bob Jones"]
    assert names(search(teams, "DAN")) == ["Dan Brown", "Dana Green"]
    assert names(search(teams, "dan gr")) == ["Dana Green"]  # every word typed
    assert search(teams, "eve") == []  # a team of the tenant that Megan is not in
    assert search(teams, "bobby") == []  # her own id, but another tenant's team
    assert search(teams, "bob", dataset="graph.microsoft.com/users") == []  # not ours
    # in the other tenant, the same person finds that tenant's people, and only them
    abroad = search(teams, "", tenant=OTHER_TENANT)
    assert [(r["title"], r["value"]) for r in abroad] == [
        ("Bobby Tables", f"teams:{OTHER_TENANT}:bobby-aad")
    ]


def test_the_typeahead_pages_through_a_large_roster(teams: Teams) -> None:
    install_in_team(teams)
    teams.connector.members[TEAM_ID] += big_roster(150 - len(PEOPLE))
    first = search(teams, "")
    assert len(first) == 15  # at most what Teams shows
    second = search(teams, "", skip=15)
    assert len(second) == 15 and not {r["value"] for r in first} & {r["value"] for r in second}
    assert len(search(teams, "", top=500)) == 15
    assert names(search(teams, "briain 145")) == ["Siân-Éowyn Llewellyn-Ó Briain 145"]


def test_a_person_found_by_typing_can_be_chosen_and_one_never_offered_cannot(
    teams: Teams,
) -> None:
    install_in_team(teams)
    teams.connector.members[TEAM_ID] += big_roster(150 - len(PEOPLE))
    megan = megan_chat(teams)
    teams.message("expectations")
    form = megan.execute({"command": "expectations new"})
    picker = inputs(form)["employee"]
    assert picker["choices.data"] == {"type": "Data.Query", "dataset": PEOPLE_DATASET}
    assert picker["style"] == "filtered" and picker["isMultiSelect"] is False
    shown = [c["value"] for c in picker["choices"]]
    assert len(shown) == 15  # a few to start with; the rest are found by typing
    (found,) = search(teams, "briain 145")
    assert found["value"] not in shown
    values = {
        "kind": "goal",
        "text": "Lead the team through the reorganisation",
        "competency": "",
        "standards": "",
        "starts": "",
        "due": "",
    }
    stranger = f"teams:{TENANT}:eve-aad"  # never in a roster the bot has seen
    refused = megan.execute(command(form, "Send") | values | {"employee": stranger})
    assert any("Choose a person" in t for t in texts(refused))
    saved = megan.execute(command(form, "Send") | values | {"employee": found["value"]})
    assert any("Expectation 1: for Siân-Éowyn Llewellyn-Ó Briain 145" in t for t in texts(saved))
    assert ExpectationStore(teams.store).versions(1)


def test_a_chosen_person_stays_on_the_form_shown_again(teams: Teams) -> None:
    install_in_team(teams)
    teams.connector.members[TEAM_ID] += big_roster(150 - len(PEOPLE))
    megan = megan_chat(teams)
    teams.message("expectations")
    form = megan.execute({"command": "expectations new"})
    (found,) = search(teams, "briain 145")
    values = {"employee": found["value"], "kind": "competency", "text": "Lead the team"}
    values |= {"competency": "leadership", "standards": "", "starts": "", "due": ""}
    again = megan.execute(command(form, "Send") | values)  # no level: shown again
    picker = inputs(again)["employee"]
    assert picker["value"] == found["value"]
    # the chosen person is among the choices, so the picker shows their name
    assert {"title": found["title"], "value": found["value"]} in picker["choices"]


def test_a_typeahead_with_nothing_to_search_answers_nobody(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    """A search from someone who shares no team with the bot finds nobody; what was
    typed is never logged."""
    caplog.set_level(logging.DEBUG)
    assert search(teams, "bob") == []
    assert search(teams, "Zanzibar-Quimby") == []
    assert "invoke:application/search" in caplog.text
    assert "zanzibar" not in caplog.text.casefold()
    someone = {"id": "29:zed", "name": "Zed", "aadObjectId": "zed-aad"}
    assert search(teams, "", who=someone) == []


@pytest.mark.parametrize("where", ["another team", "another organisation"])
def test_a_person_the_picker_never_offered_cannot_be_chosen_even_if_the_bot_knows_them(
    teams: Teams, where: str
) -> None:
    """Someone the bot has a roster entry for, but not in a team or chat Megan shares
    with it: another team of her organisation (whose roster the bot fetched for someone
    else), or another organisation where she is a guest. A form sent with their id,
    made by hand, is refused: the picker never offers them, and only it says who can
    be chosen."""
    install_in_team(teams)
    megan_from = fixture("teams_message_personal.json")["from"]
    eve = {"id": "29:eve", "name": "Eve Black", "aadObjectId": "eve-aad"}
    frank = {"id": "29:frank", "name": "Frank Grey", "aadObjectId": "frank-aad"}
    if where == "another team":
        tenant = TENANT
        add_to_team(teams, "19:other-team@thread.tacv2", TENANT, [eve, frank])
        search(teams, "", who=eve)  # Eve's search: the bot keeps Frank as reachable
    else:
        tenant = OTHER_TENANT
        add_to_team(teams, "19:abroad@thread.tacv2", OTHER_TENANT, [megan_from, frank])
        search(teams, "", tenant=OTHER_TENANT)  # as a guest there, Megan finds Frank
    stranger = f"teams:{tenant}:frank-aad"
    # the bot knows Frank (kept in the background, once the roster was fetched)
    wait_for(lambda: teams.store.reference(stranger, personal=False) is not None)
    megan = megan_chat(teams)
    teams.message("expectations")
    form = megan.execute({"command": "expectations new"})
    values = {"kind": "goal", "text": "Lead the reorganisation", "competency": ""}
    values |= {"standards": "", "starts": "", "due": ""}
    refused = megan.execute(command(form, "Send") | values | {"employee": stranger})
    assert any("Choose a person" in t for t in texts(refused))
    assert not ExpectationStore(teams.store).versions(1)
