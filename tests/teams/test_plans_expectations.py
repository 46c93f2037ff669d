"""Development plans and performance expectations in Teams, end to end through its real
protocol: activities POSTed to /api/messages, people chosen from the team's roster
(pagedmembers at the fake connector), Adaptive Card forms submitted with Action.Execute,
direct messages sent by the web process's outbox as proactive messages, and the record
checked in SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import RunningClock
from bot.expectations.store import ExpectationStore
from bot.frameworks import Framework
from bot.plans.store import PlanStore
from bot.router import Bot

from ..servers import wait_for
from .test_feedback import PEOPLE, TEAM_ID, Chat, command, identity, inputs, install_in_team
from .test_turn import MEGAN, TEAMS_MESSAGE_LIMIT, Teams, fixture, teams_server, texts


@pytest.fixture
def teams(tmp_path: Path, frameworks: list[Framework]) -> Iterator[Teams]:
    with teams_server(tmp_path, frameworks) as running:
        yield running


def megan_chat(teams: Teams) -> Chat:
    message = fixture("teams_message_personal.json")
    return Chat(teams, message["from"], message["conversation"]["id"])


def chat_of(teams: Teams, aad: str) -> Chat:
    teams_id, name = PEOPLE[aad]
    return Chat(teams, {"id": teams_id, "name": name, "aadObjectId": aad}, f"a:{aad}-chat")


def sent_with(teams: Teams, words: str) -> list[Any]:
    return [s for s in teams.connector.sent() if words in json.dumps(s, ensure_ascii=False)]


def test_expectations_set_from_the_roster_acknowledged_and_private(teams: Teams) -> None:
    install_in_team(teams)
    megan = megan_chat(teams)
    assert teams.message("expectations")[0] == 200  # her time zone comes with it
    form = megan.execute({"command": "expectations new"})
    fields = inputs(form)
    assert [c["title"] for c in fields["employee"]["choices"]] == [
        "Bob Jones",
        "Carol White",
        "Dan Brown",
        "Dana Green",
    ]
    send = command(form, "Send")
    values = {
        "employee": identity("bob-aad"),
        "kind": "competency",
        "text": "Lead the team through the reorganisation",
        "competency": "leadership",
        "standards": "",
        "starts": "",
        "due": "",
    }
    refused = megan.execute(send | values)  # no level: refused, what was typed kept
    assert any("Name a behaviour and its level" in t for t in texts(refused))
    assert inputs(refused)["text"]["value"] == "Lead the team through the reorganisation"
    # a crafted id of someone the bot never saw is refused too
    crafted = megan.execute(send | values | {"employee": identity("mallory-aad")})
    assert any("Choose a person" in t for t in texts(crafted))
    saved = megan.execute(send | values | {"competency": "leadership level 4"})
    assert any("Expectation 1: for Bob Jones" in t for t in texts(saved))
    (version,) = ExpectationStore(teams.store).versions(1)
    assert (version["behaviour"], version["level"]) == ("leadership", "4")
    # the outbox opens a chat with Bob and asks whether Megan is his manager, with it
    asked = wait_for(lambda: sent_with(teams, "Megan Bowen says they are your manager"))
    assert "Leadership, Level 4" in json.dumps(asked[0])
    assert "expectations confirm 1" in json.dumps(asked[0])
    bob = chat_of(teams, "bob-aad")
    assert ExpectationStore(teams.store).when(1, 1, "communicated") is None  # held
    early = bob.execute({"command": "expectations ack 1 1"})  # not before he confirms
    assert any("says they are your manager" in t for t in texts(early))
    confirmed = bob.execute({"command": "expectations confirm 1"})
    assert any("Confirmed: Megan Bowen is your manager" in t for t in texts(confirmed))
    again = bob.execute({"command": "expectations confirm 1"})  # a double click: once
    assert any("Already done" in t for t in texts(again))
    teams.store.clock.advance(timedelta(minutes=1))
    later = bob.execute({"command": "expectations confirm 1"})  # pressed again, later
    assert any("You have confirmed Megan Bowen" in t for t in texts(later))
    assert ExpectationStore(teams.store).standing(MEGAN, identity("bob-aad")) == "confirmed"
    wait_for(lambda: sent_with(teams, "Bob Jones confirmed that you are their manager"))
    acked = bob.execute({"command": "expectations ack 1 1"})
    assert any("Acknowledged: Megan Bowen sees that you did" in t for t in texts(acked))
    told = wait_for(lambda: sent_with(teams, "Bob Jones acknowledged expectation 1"))
    assert "PST" in json.dumps(told[0]) or "PDT" in json.dumps(told[0])  # Megan's zone
    carol = chat_of(teams, "carol-aad")
    for data in ({"command": "expectations show 1"}, {"command": "expectations export 1"}):
        card = carol.execute(data)
        assert any("There is no expectation 1" in t for t in texts(card))
    assert [e["what"] for e in ExpectationStore(teams.store).events(1)] == [
        "awaiting-manager",
        "manager-confirmed",
        "communicated",
        "acknowledged",
    ]
    # a confirmed manager's next expectation goes straight to Bob
    form = megan.execute({"command": "expectations new"})
    megan.execute(command(form, "Send") | values | {"kind": "goal", "competency": ""})
    wait_for(lambda: sent_with(teams, "Megan Bowen set an expectation for you"))
    wait_for(lambda: ExpectationStore(teams.store).when(2, 1, "communicated"))
    assert [e["what"] for e in ExpectationStore(teams.store).events(2)] == ["communicated"]


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 1, 8, tzinfo=UTC),  # a Sunday morning: the day the suite failed
        datetime(2026, 3, 6, 23, 30, tzinfo=UTC),  # late on a Friday; clocks change on the 8th
    ],
)
def test_a_plan_with_a_mentor_from_the_roster_and_a_check_in(
    tmp_path: Path, frameworks: list[Framework], start: datetime
) -> None:
    clock = RunningClock(start)
    with teams_server(tmp_path, frameworks, clock) as teams:
        mentor_and_check_in(teams, frameworks, clock)


def mentor_and_check_in(teams: Teams, frameworks: list[Framework], clock: RunningClock) -> None:
    install_in_team(teams)
    megan = megan_chat(teams)
    teams.message("plan")
    add = megan.execute({"command": "plan add"})
    megan.execute(
        command(add, "Save")
        | {
            "behaviour": "leadership level 5",
            "gap": "I rarely set direction for the team",
            "activity": "training",
            "starts": "",
            "due": "",
        }
    )
    (item,) = PlanStore(teams.store).items(1)
    assert item["activity"] == "training"
    picker = megan.execute({"command": "plan mentor"})
    assert "Dan Brown" in [c["title"] for c in inputs(picker)["mentor"]["choices"]]
    named = megan.execute(command(picker, "Save") | {"mentor": identity("dan-aad")})
    assert any("Dan Brown is your mentor now" in t for t in texts(named))
    wait_for(lambda: sent_with(teams, "Megan Bowen has named you as their mentor"))
    dan = chat_of(teams, "dan-aad")
    opened = dan.execute({"command": "plan open 1"})
    assert any("I rarely set direction for the team" in t for t in texts(opened))
    stranger = chat_of(teams, "carol-aad").execute({"command": "plan open 1"})
    assert any("There is no plan 1 for you" in t for t in texts(stranger))
    megan.execute({"command": "plan checkins 2"})
    (due,) = teams.store.conn.execute("SELECT due_at FROM schedule WHERE done_at IS NULL")
    due_at = datetime.fromisoformat(due[0])
    # two weeks on, in Megan's working hours (America/Los_Angeles, from clientInfo)
    local = due_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert due_at >= clock.at + timedelta(days=14) and local.weekday() < 5
    assert 9 <= local.hour < 17
    assert (
        Bot(frameworks, teams.store).schedule.run_due(due_at - timedelta(minutes=1)) == 0
    )  # not yet
    assert not sent_with(teams, "Check-in on your development plan")
    clock.advance(due_at - clock.now())  # the web process's schedule runs it
    wait_for(lambda: sent_with(teams, "Check-in on your development plan"))
    form = megan.execute({"command": "plan progress 1"})
    assert inputs(form)["status-1"]["value"] == "not started"
    megan.execute(
        command(form, "Save") | {"progress-1": "Booked the course", "status-1": "in progress"}
    )
    summary = wait_for(lambda: sent_with(teams, "Megan Bowen's check-in"))
    assert "Booked the course" in json.dumps(summary[0])
    assert PlanStore(teams.store).item(1, 1)["status"] == "in progress"
    assert PlanStore(teams.store).plan(1)["owner"] == MEGAN


def big_roster(count: int) -> list[dict[str, str]]:
    """`count` more people, with ids and names as long as Teams' own."""
    return [
        {
            "id": f"29:1{n:04d}XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Z",
            "name": f"Siân-Éowyn Llewellyn-Ó Briain {n:03d}",
            "aadObjectId": f"{n:08x}-3d56-4244-b585-20c8a42ed2b8",
        }
        for n in range(count)
    ]


def test_a_form_shown_again_with_150_people_to_choose_from_is_within_teams_limit(
    teams: Teams,
) -> None:
    """The expectations form, refused and shown again with what was typed, for a manager
    whose team has 150 people besides her: every activity, as the connector receives it
    and as an invoke's answer, is within Teams' message size."""
    install_in_team(teams)
    teams.connector.members[TEAM_ID] += big_roster(150 - len(PEOPLE))
    megan = megan_chat(teams)
    teams.message("expectations")
    form = megan.execute({"command": "expectations new"})
    values = {
        "employee": identity("bob-aad"),
        "kind": "competency",
        "text": " ".join(["Lead the team’s reorganisation – step by step, with “care”."] * 32),
        "competency": "leadership",  # no level: refused, and the form shown again
        "standards": "",
        "starts": "",
        "due": "",
    }
    refused = megan.execute(command(form, "Send") | values)
    assert any("Name a behaviour and its level" in t for t in texts(refused))
    assert inputs(refused)["text"]["value"] == values["text"]
    assert inputs(refused)["employee"]["value"] == identity("bob-aad")
    # the same through the connector: typed, then sent with a card's Action.Submit,
    # whose answer replaces the card (a PUT of the whole activity)
    teams.message("expectations new", id="typed-form")
    submit = fixture("teams_message_personal.json") | {
        "id": "submitted-form",
        "value": command(form, "Send") | values,
        "replyToId": "1575667808184",
    }
    submit.pop("attachments")
    assert teams.post(submit)[0] == 200
    (update,) = teams.connector.updated()
    assert "Name a behaviour and its level" in json.dumps(update.body)
    sizes = teams.sizes()
    assert max(sizes) <= TEAMS_MESSAGE_LIMIT, sorted(sizes)[-3:]
