"""Development plans and performance expectations in Slack, end to end through its real
protocol: signed slash commands, button presses and modal submissions into the real
app; direct messages delivered by the web process's outbox to a local fake Slack Web
API, whose users.info gives names and time zones; the record checked in SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.expectations.store import ExpectationStore
from bot.frameworks import Framework
from bot.plans.store import PlanStore
from bot.router import Bot

from ..servers import FakeSlack, slack_user, wait_for
from .test_app import fixture, post
from .test_feedback import NAMES, TEAM, Person, slack_server, text_of

ALICE, BOB, CAROL, DAN = "U0ALICE", "U0BOB", "U0CAROL", "U0DAN"


@pytest.fixture
def slack(tmp_path: Path, frameworks: list[Framework]) -> Iterator[tuple[str, FakeSlack, Bot]]:
    new_york = {BOB: slack_user(BOB, NAMES[BOB], tz_offset=-18000)}  # Bob works there
    with slack_server(tmp_path, frameworks, new_york) as running:
        yield running


def slash(url: str, user: str, text: str) -> tuple[int, str]:
    """`/behaviour <text>` typed in the person's DM with the app."""
    body = fixture("slack_slash_command.json") | {
        "command": "/behaviour",
        "text": text,
        "team_id": TEAM,
        "user_id": user,
        "channel_id": "D" + user,
        "channel_name": "directmessage",
        "trigger_id": f"trigger-{user}-{text}",
    }
    return post(url, urlencode(body), "application/x-www-form-urlencoded")


def dms(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    """Messages posted to `user` by the app (their DM), oldest first."""
    return [
        c.body
        for c in fake.to("/api/chat.postMessage")
        if c.body.get("channel") in (user, "D" + user)
    ]


def fields_of(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def option(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


def typed(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def day(value: str) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": value or None}


def user(value: str) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": value}


def test_expectations_set_acknowledged_and_changed_in_slack(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    dan, bob, carol = Person(url, fake, DAN), Person(url, fake, BOB), Person(url, fake, CAROL)
    # the slash command names Bob by mention: the modal opens with him chosen
    assert slash(url, DAN, f"expectations <@{BOB}|bob>")[0] == 200
    view = dan.opened()
    inputs = fields_of(view)
    assert inputs["employee"] == {
        "type": "users_select",
        "action_id": "value",
        "initial_user": BOB,
    }
    assert [o["value"] for o in inputs["kind"]["options"]] == [
        "goal",
        "requirement",
        "assignment",
        "competency",
        "other",
    ]
    values = {
        "employee": user(BOB),
        "kind": option("assignment"),
        "text": typed("Write the Q1 casework report"),
        "competency": typed(""),
        "standards": typed(""),
        "starts": day(""),
        "due": day("2027-03-31"),
    }
    refused = dan.submit(view, values)
    assert refused["response_action"] == "errors"
    assert refused["errors"] == {
        "standards": "Say what quality, quantity, accuracy or timeliness is expected."
    }
    assert ExpectationStore(bot.store).between(f"slack:{TEAM}:{DAN}") == []
    dan.submit(view, values | {"standards": typed("Every case within 20 working days")})
    saved = wait_for(lambda: [m for m in dms(fake, DAN) if "Expectation 1" in text_of(m)])
    assert "for Bob Jones" in text_of(saved[-1])
    (row,) = ExpectationStore(bot.store).between(f"slack:{TEAM}:{DAN}")
    assert (row["employee"], row["employee_name"], row["manager_name"]) == (
        f"slack:{TEAM}:{BOB}",
        "Bob Jones",
        "Dan Brown",
    )
    # the outbox asks Bob whether Dan is his manager, with the expectation
    asked = wait_for(lambda: [m for m in dms(fake, BOB) if "your manager" in text_of(m)])
    assert "Dan Brown says they are your manager" in text_of(asked[0])
    assert " EST" in text_of(asked[0])  # Bob's time zone (America/New_York), from users.info
    assert bob.buttons(asked[0]) == {
        "Confirm": "expectations confirm 1",
        "Not my manager": "expectations refuse 1",
    }
    assert ExpectationStore(bot.store).when(1, 1, "communicated") is None  # held
    # Carol presses crafted buttons: nothing recorded, nothing said about it
    for crafted in ("expectations confirm 1", "expectations ack 1 1"):
        carol.press(crafted)
        assert "There is no expectation 1" in text_of(carol.last())
    bob.press("expectations confirm 1")
    assert "Confirmed: Dan Brown is your manager" in text_of(bob.last())
    bob.press("expectations confirm 1")  # a double click: recorded once
    assert "Already done" in text_of(bob.last())
    bot.store.clock.advance(timedelta(minutes=1))
    bob.press("expectations confirm 1")  # pressed again, later
    assert "You have confirmed Dan Brown" in text_of(bob.last())
    told = wait_for(lambda: [m for m in dms(fake, DAN) if "confirmed that" in text_of(m)])
    assert "Bob Jones confirmed that you are their manager" in text_of(told[0])
    bob.press("expectations ack 1 1")
    assert "Acknowledged: Dan Brown sees that you did" in text_of(bob.last())
    bob.press("expectations ack 1 1")  # a double click: recorded once
    events = [e["what"] for e in ExpectationStore(bot.store).events(1)]
    assert events == ["awaiting-manager", "manager-confirmed", "communicated", "acknowledged"]
    told = wait_for(lambda: [m for m in dms(fake, DAN) if "acknowledged expectation" in text_of(m)])
    assert "Bob Jones acknowledged expectation 1" in text_of(told[0])
    assert " CET" in text_of(told[0])  # Dan's time zone (Europe/Paris)
    # a change is a new version, sent again; the first stays as it was
    dan.press("expectations change 1")
    change = dan.opened()
    assert "employee" not in fields_of(change)
    assert fields_of(change)["due"] == {
        "type": "datepicker",
        "action_id": "value",
        "initial_date": "2027-03-31",
    }
    dan.submit(
        change,
        {
            "kind": option("assignment"),
            "text": typed("Write the Q1 casework report"),
            "standards": typed("Every case within 20 working days"),
            "due": day("2027-04-30"),
            "reason": typed("Moved after the audit"),
        },
    )
    wait_for(lambda: [m for m in dms(fake, BOB) if "changed an expectation" in text_of(m)])
    v1, v2 = ExpectationStore(bot.store).versions(1)
    assert (v1["due"], v2["due"], v2["reason"]) == (
        "2027-03-31",
        "2027-04-30",
        "Moved after the audit",
    )
    wait_for(lambda: ExpectationStore(bot.store).when(1, 2, "communicated"))
    assert ExpectationStore(bot.store).when(1, 2, "acknowledged") is None


def test_a_plan_with_a_mentor_and_a_check_in_in_slack(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    alice, dan, carol = Person(url, fake, ALICE), Person(url, fake, DAN), Person(url, fake, CAROL)
    alice.say("plan")
    assert "Your development plan" in text_of(alice.last())
    alice.press("plan add")
    form = alice.opened()
    assert set(fields_of(form)) == {
        "behaviour",
        "gap",
        "activity",
        "activity_other",
        "starts",
        "due",
    }
    alice.submit(
        form,
        {
            "behaviour": typed("leadership level 5"),
            "gap": typed("I rarely set direction for the team"),
            "activity": option("assignment"),
            "starts": day(""),
            "due": day("2027-02-22"),
        },
    )
    wait_for(lambda: PlanStore(bot.store).items(1))
    alice.press("plan mentor")
    picker = alice.opened()
    assert fields_of(picker)["mentor"]["type"] == "users_select"
    alice.submit(picker, {"mentor": user(DAN)})
    named = wait_for(
        lambda: [m for m in dms(fake, DAN) if "named you as their mentor" in text_of(m)]
    )
    assert "Alice Smith has named you as their mentor" in text_of(named[0])
    assert PlanStore(bot.store).plan(1)["mentor"] == f"slack:{TEAM}:{DAN}"
    dan.press("plan open 1")
    assert "I rarely set direction for the team" in text_of(dan.last())
    carol.press("plan open 1")  # not hers to see
    assert "There is no plan 1 for you" in text_of(carol.last())
    assert "I rarely set direction" not in text_of(carol.last())
    # check-ins: chosen with a button, run by the schedule, answered in a modal
    alice.press("plan checkins 1")
    assert "I will ask about your open items every week" in text_of(alice.last())
    assert bot.schedule.run_due(bot.store.now() + timedelta(days=10)) == 1
    ask = wait_for(lambda: [m for m in dms(fake, ALICE) if "Check-in on your" in text_of(m)])
    assert "plan progress 1" in text_of(ask[0])
    alice.press("plan progress 1")
    progress = alice.opened()
    assert fields_of(progress)["status-1"]["initial_option"]["value"] == "not started"
    alice.submit(
        progress,
        {"progress-1": typed("Led the planning day"), "status-1": option("in progress")},
    )
    summary = wait_for(lambda: [m for m in dms(fake, DAN) if "check-in" in text_of(m)])
    assert "Alice Smith's check-in" in text_of(summary[0])
    assert "Led the planning day" in text_of(summary[0])
    notes = PlanStore(bot.store).notes(1)
    assert [(n["kind"], n["text"]) for n in notes] == [
        ("progress", "Led the planning day"),
        ("status", "not started → in progress"),
    ]


def test_people_in_a_submitted_form_are_looked_up_together(slack) -> None:  # type: ignore[no-untyped-def]
    """A picker submitted by someone Slack has not told us about yet: the speaker and the
    person picked are looked up at once, not one after the other (each lookup may take
    up to two seconds when Slack is slow, and the modal must be answered in three)."""
    url, fake, bot = slack
    alice, carol = Person(url, fake, ALICE), Person(url, fake, CAROL)
    alice.press("plan mentor")
    picker = alice.opened()
    fake.slow["users.info"] = 0.6
    before = len(fake.to("/api/users.info"))
    carol.submit(picker, {"mentor": user(DAN)})  # Carol and Dan are not known yet
    asked = fake.to("/api/users.info")[before:]
    assert sorted(c.body["user"] for c in asked) == [CAROL, DAN]
    assert abs(asked[0].at - asked[1].at) < 0.4  # together, not 0.6 s apart
    named = wait_for(
        lambda: [m for m in dms(fake, DAN) if "named you as their mentor" in text_of(m)]
    )
    assert "Carol White has named you as their mentor" in text_of(named[0])
    mentors = bot.store.conn.execute("SELECT owner, mentor FROM plans WHERE mentor IS NOT NULL")
    assert list(mentors) == [(f"slack:{TEAM}:{CAROL}", f"slack:{TEAM}:{DAN}")]


def test_a_typed_mentor_is_refused_and_a_mentioned_one_resolved_in_slack(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    alice = Person(url, fake, ALICE)
    alice.say("plan mentor u0dan")  # typed: refused, the picker offered
    assert "cannot tell who" in text_of(alice.last())
    assert alice.buttons()["Choose"] == "plan mentor"
    assert PlanStore(bot.store).plan(1)["mentor"] is None
    assert slash(url, ALICE, f"plan mentor <@{DAN}|dan>")[0] == 200  # a mention Slack resolves
    assert PlanStore(bot.store).plan(1)["mentor"] == f"slack:{TEAM}:{DAN}"
    assert wait_for(lambda: [m for m in dms(fake, DAN) if "named you as" in text_of(m)])


def test_not_my_manager_in_slack_voids_it_and_stops_more(slack) -> None:  # type: ignore[no-untyped-def]
    """Carol is not Bob's manager: he says so with the button in his DM (twice: once on
    the record), she is told, and her next expectation for him never reaches him."""
    url, fake, bot = slack
    carol, bob = Person(url, fake, CAROL), Person(url, fake, BOB)
    values = {
        "employee": user(BOB),
        "kind": option("goal"),
        "text": typed("Report to me every Friday"),
        "competency": typed(""),
        "standards": typed(""),
        "starts": day(""),
        "due": day(""),
    }
    assert slash(url, CAROL, "expectations new")[0] == 200
    assert carol.submit(carol.opened(), values) is None
    asked = wait_for(lambda: [m for m in dms(fake, BOB) if "your manager" in text_of(m)])
    assert "Carol White says they are your manager" in text_of(asked[0])
    bob.press(bob.buttons(asked[0])["Not my manager"])
    assert "Recorded: Carol White is not your manager" in text_of(bob.last())
    bob.press("expectations refuse 1")  # a double click
    db = ExpectationStore(bot.store)
    assert [e["what"] for e in db.events(1)] == ["awaiting-manager", "manager-refused"]
    assert db.standing(f"slack:{TEAM}:{CAROL}", f"slack:{TEAM}:{BOB}") == "refused"
    told = wait_for(lambda: [m for m in dms(fake, CAROL) if "not their manager" in text_of(m)])
    assert "Bob Jones says you are not their manager" in text_of(told[0])
    # her next one: refused, nothing sent to Bob
    assert slash(url, CAROL, "expectations new")[0] == 200
    assert carol.submit(carol.opened(), values | {"text": typed("And on Mondays")}) is None
    assert "you cannot set expectations for them" in text_of(carol.last())
    assert len(db.between(f"slack:{TEAM}:{BOB}")) == 1
    assert len([m for m in dms(fake, BOB) if "Carol White" in text_of(m)]) == 1


def test_a_name_or_a_link_someone_chose_stays_text_in_slack(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """A display name that is a mention (`<!channel>`) and a link typed in a form: the
    notification text is escaped like the blocks, and every mrkdwn text is verbatim, so
    Slack neither notifies a channel nor makes a link of what a person wrote."""
    mallory = {CAROL: slack_user(CAROL, "<!channel> Mallory")}
    with slack_server(tmp_path, frameworks, mallory) as (url, fake, _bot):
        carol = Person(url, fake, CAROL)
        assert slash(url, CAROL, "expectations new")[0] == 200
        values = {
            "employee": user(BOB),
            "kind": option("goal"),
            "text": typed("Read http://evil.example/login and #general today"),
            "competency": typed(""),
            "standards": typed(""),
            "starts": day(""),
            "due": day(""),
        }
        assert carol.submit(carol.opened(), values) is None
        (asked,) = wait_for(lambda: [m for m in dms(fake, BOB) if "your manager" in text_of(m)])
        assert asked["text"].startswith("&lt;!channel&gt; Mallory says they are your manager")
        texts = [
            t
            for b in asked["blocks"]
            for t in [b.get("text"), *b.get("elements", []), *b.get("fields", [])]
            if isinstance(t, dict) and t.get("type") == "mrkdwn"
        ]
        assert any("http://evil.example/login" in t["text"] for t in texts)
        assert all(t["verbatim"] is True for t in texts)
        # a header is plain text, which Slack shows as written: the name, not a mention
        assert asked["blocks"][0]["text"]["type"] == "plain_text"
        assert not any("<!channel>" in t["text"] for t in texts)


def test_something_else_and_an_end_date_from_the_start_in_a_slack_modal(slack) -> None:  # type: ignore[no-untyped-def]
    """Issue 16: the modal checks its fields as the terminal does at each step: what
    "something else" is, and `in 3 months` counted from the start date."""
    url, fake, bot = slack
    alice = Person(url, fake, ALICE)
    alice.say("plan")
    alice.press("plan add")
    form = alice.opened()
    values = {
        "behaviour": typed("leadership level 5"),
        "gap": typed("I rarely set direction for the team"),
        "activity": option("other"),
        "activity_other": typed(""),
        "starts": day("2027-01-04"),
        "due": typed("in 3 months"),
    }
    refused = alice.submit(form, values)
    assert refused["response_action"] == "errors"
    assert refused["errors"] == {"activity_other": "This one is needed."}
    alice.submit(form, values | {"activity_other": typed("Shadow the regional director")})
    (item,) = wait_for(lambda: PlanStore(bot.store).items(1))
    assert (item["activity"], item["starts"], item["due"]) == (
        "Shadow the regional director",
        "2027-01-04",
        "2027-04-04",
    )
