"""A double click or a resubmitted form is recorded once: each platform delivery has its
own event id, so it is the core that sees the same click or submission from the same
person again, and answers it with the earlier result. Through signed Slack HTTP (the Web
API at a local fake) and Teams activities (a local fake connector); the second delivery
comes 1.2 s later, by the core's clock, in another second than the first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import RunningClock
from bot.expectations.store import ExpectationStore
from bot.frameworks import Framework
from bot.plans.store import PlanStore
from bot.router import Bot
from bot.storage import Store

from .conftest import START
from .servers import FakeSlack, wait_for
from .slack.test_feedback import TEAM, Person, slack_server, text_of
from .slack.test_plans_expectations import ALICE, BOB, DAN, dms, fields_of, option, typed, user
from .teams.test_feedback import Chat, command, identity, install_in_team
from .teams.test_plans_expectations import chat_of, megan_chat, sent_with
from .teams.test_turn import Teams, teams_server, texts

LEADERSHIP = "civil-service/leadership/3"


@pytest.fixture
def clock() -> RunningClock:
    """The servers' clock (the tests' START, running), which `later` moves on."""
    return RunningClock(START)


@pytest.fixture
def slack(
    tmp_path: Path, frameworks: list[Framework], clock: RunningClock
) -> Iterator[tuple[str, FakeSlack, Bot]]:
    with slack_server(tmp_path, frameworks, clock=clock) as running:
        yield running


@pytest.fixture
def teams(tmp_path: Path, frameworks: list[Framework], clock: RunningClock) -> Iterator[Teams]:
    with teams_server(tmp_path, frameworks, clock) as running:
        yield running


@pytest.fixture
def later(clock: RunningClock) -> Any:
    """Move the core's clock on by `seconds` (what it stores as now, from then on)."""
    return lambda seconds: clock.advance(timedelta(seconds=seconds))


def quiet(bot: Bot) -> None:
    """Wait until the outbox has sent everything that is due."""
    wait_for(
        lambda: (
            not bot.store.conn.execute(
                "SELECT 1 FROM outbox WHERE sent_at IS NULL AND failed IS NULL"
            ).fetchone()
        )
    )


def drafts(store: Store, person: str) -> list[dict[str, Any]]:
    return store.drafts(f"slack:{TEAM}:{person}")


def set_expectation(url: str, fake: FakeSlack, bot: Bot) -> None:
    """Dan sets Bob an expectation (number 1), which the outbox delivers."""
    dan = Person(url, fake, DAN)
    dan.press("expectations new")
    dan.submit(
        dan.opened(),
        {
            "employee": user(BOB),
            "kind": option("goal"),
            "text": typed("Answer every case within 20 working days"),
            "competency": typed(""),
            "standards": typed(""),
            "starts": {"type": "datepicker", "selected_date": None},
            "due": {"type": "datepicker", "selected_date": None},
        },
    )
    bob = Person(url, fake, BOB)
    bob.n = 1000  # its ids apart from those of the tests' own Bob
    wait_for(lambda: [m for m in dms(fake, BOB) if "your manager" in text_of(m)])
    bob.press("expectations confirm 1")  # the first from Dan: Bob confirms his manager
    wait_for(lambda: ExpectationStore(bot.store).when(1, 1, "communicated"))


def test_a_resubmitted_expectation_comment_is_recorded_and_told_once(slack, later) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    set_expectation(url, fake, bot)
    bob = Person(url, fake, BOB)
    bob.press("expectations comment 1")
    form = bob.opened()
    bob.submit(form, {"text": typed("Could it be April?")})
    later(1.2)
    bob.submit(form, {"text": typed("Could it be April?")})  # another trigger id
    comments = [e for e in ExpectationStore(bot.store).events(1) if e["what"] == "comment"]
    assert [e["text"] for e in comments] == ["Could it be April?"]
    answers = [m for m in dms(fake, BOB) if "Expectation 1: from Dan Brown" in text_of(m)]
    assert "Already done" in text_of(answers[-1]) and "Already done" not in text_of(answers[0])
    quiet(bot)
    assert len([m for m in dms(fake, DAN) if "Could it be April?" in text_of(m)]) == 1


def named_mentor(url: str, fake: FakeSlack, bot: Bot) -> Person:
    alice = Person(url, fake, ALICE)
    alice.press("plan add")
    alice.submit(
        alice.opened(),
        {
            "behaviour": typed("leadership level 5"),
            "gap": typed("I rarely set direction for the team"),
            "activity": option("assignment"),
            "starts": {"type": "datepicker", "selected_date": None},
            "due": {"type": "datepicker", "selected_date": None},
        },
    )
    alice.press("plan mentor")
    alice.submit(alice.opened(), {"mentor": user(DAN)})
    wait_for(lambda: PlanStore(bot.store).plan(1)["mentor"])
    return alice


def test_a_resubmitted_plan_comment_is_recorded_and_told_once(slack, later) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    alice = named_mentor(url, fake, bot)
    alice.press("plan comment 1")
    form = alice.opened()
    alice.submit(form, {"comment": typed("The planning day went well")})
    later(1.2)
    alice.submit(form, {"comment": typed("The planning day went well")})
    notes = [n for n in PlanStore(bot.store).notes(1) if n["kind"] == "comment"]
    assert len(notes) == 1
    quiet(bot)
    assert len([m for m in dms(fake, DAN) if "The planning day went well" in text_of(m)]) == 1


def test_record_progress_clicked_twice_is_one_check_in(slack, later) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    alice = named_mentor(url, fake, bot)
    alice.press("plan progress")
    first = alice.opened()
    later(1.2)
    alice.press("plan progress")  # a double click: the same form, no second check-in
    second = alice.opened()
    assert json.loads(second["private_metadata"]) == json.loads(first["private_metadata"])
    checkins = bot.store.conn.execute("SELECT id FROM plan_checkins").fetchall()
    assert len(checkins) == 1
    progress = {"progress-1": typed("Led the planning day"), "status-1": option("in progress")}
    alice.submit(first, progress)
    alice.submit(second, progress)
    assert [n["kind"] for n in PlanStore(bot.store).notes(1)] == ["progress", "status"]
    quiet(bot)
    assert len([m for m in dms(fake, DAN) if "Led the planning day" in text_of(m)]) == 1
    assert "progress-1" in fields_of(first)


def test_prepare_an_example_clicked_twice_starts_one_draft(slack, later) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    alice = Person(url, fake, ALICE)
    alice.press(f"prep {LEADERSHIP}")
    started = text_of(alice.last())
    later(1.2)
    alice.press(f"prep {LEADERSHIP}")
    assert len(drafts(bot.store, ALICE)) == 1
    assert "Already done" in text_of(alice.last())
    assert "draft 1" in started.casefold() and "draft 2" not in text_of(alice.last()).casefold()


def test_duplicate_clicked_twice_makes_one_copy(slack, later) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    alice = Person(url, fake, ALICE)
    alice.press(f"prep {LEADERSHIP}")
    alice.say("I led a team through a reorganisation with no budget for it.")
    alice.press("draft 1 duplicate civil-service/seeing-the-big-picture/3")
    later(1.2)
    alice.press("draft 1 duplicate civil-service/seeing-the-big-picture/3")
    assert len(drafts(bot.store, ALICE)) == 2
    later(20)  # a deliberate second copy, later on, is a second copy
    alice.press("draft 1 duplicate civil-service/seeing-the-big-picture/3")
    assert len(drafts(bot.store, ALICE)) == 3


def test_a_resubmitted_expectation_comment_in_teams_is_recorded_once(
    teams: Teams, later: Any
) -> None:
    install_in_team(teams)
    megan = megan_chat(teams)
    teams.message("expectations")
    form = megan.execute({"command": "expectations new"})
    megan.execute(
        command(form, "Send")
        | {
            "employee": identity("bob-aad"),
            "kind": "goal",
            "text": "Answer every case within 20 working days",
            "competency": "",
            "standards": "",
            "starts": "",
            "due": "",
        }
    )
    bob = chat_of(teams, "bob-aad")
    wait_for(lambda: sent_with(teams, "Megan Bowen says they are your manager"))
    bob.execute({"command": "expectations confirm 1"})  # the first from Megan: confirmed
    later(30)  # then, a while later, a comment
    comment = bob.execute({"command": "expectations comment 1"})
    send = command(comment, "Send") | {"text": "Could it be April?"}
    bob.execute(send)
    later(1.2)
    again = bob.execute(send)  # another activity id
    assert any("Already done" in t for t in texts(again))
    comments = [e for e in ExpectationStore(teams.store).events(1) if e["what"] == "comment"]
    assert len(comments) == 1
    wait_for(lambda: sent_with(teams, "Could it be April?"))
    wait_for(
        lambda: (
            not teams.store.conn.execute(
                "SELECT 1 FROM outbox WHERE sent_at IS NULL AND failed IS NULL"
            ).fetchone()
        )
    )
    assert len(sent_with(teams, "Could it be April?")) == 1


def test_prepare_an_example_clicked_twice_in_teams_starts_one_draft(
    teams: Teams, later: Any
) -> None:
    megan: Chat = megan_chat(teams)
    megan.execute({"command": f"prep {LEADERSHIP}"})
    later(1.2)
    megan.execute({"command": f"prep {LEADERSHIP}"})
    count = teams.store.conn.execute("SELECT COUNT(*) FROM star_drafts").fetchone()[0]
    assert count == 1


def test_save_it_as_my_answer_clicked_twice_is_already_done(slack, later) -> None:  # type: ignore[no-untyped-def]
    url, fake, bot = slack
    bob = Person(url, fake, BOB)
    bob.say("prep leadership level 4")
    bob.say("A backlog of 900 cases at a new job, with the audit due in a month.")
    bob.say("leadership level 5")  # reads as a lookup: held, and asked about
    assert "Save this as your answer, or look it up?" in text_of(bob.last())
    save = bob.buttons()["Save it as my answer"]
    bob.press(save)
    draft = bot.store.draft(f"slack:{TEAM}:{BOB}", 1)
    assert draft is not None and draft["parts"]["task"] == "leadership level 5"
    before = len(fake.calls)
    later(1.2)
    bob.press(save)  # the same button again: a double click
    again = " ".join(text_of(c.body) for c in fake.calls[before:] if c.path == f"/response/{BOB}")
    assert "No match" not in again
    assert "Already done" in again
