"""`home`: what is waiting for a person, through the core and the terminal. Each item
goes straight to it; a person sees only their own; a 360 requester's home never says
who answered, nor shows any answer."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from adapters.console import Console
from bot.clock import FixedClock
from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store

from .conftest import FakeAdapter
from .expectations.test_flow import set_assignment
from .feedback.test_request import answer, people, request, text
from .plans.test_flow import add_leadership


def test_nothing_waiting_says_so_and_offers_the_main_jobs(
    frameworks: list[Framework], store: Store
) -> None:
    home = FakeAdapter(Bot(frameworks, store), "sam").say("home")
    assert home.title == "Your home"
    assert "Nothing is waiting for you just now." in home.plain_text()
    assert [c.command for c in home.choices] == ["prep", "360", "plan", "help"]


def test_a_peer_sees_the_request_with_its_deadline_and_the_button_opens_the_answer(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob", "carol", "dan", "erin")
    request(who["alice"])
    home = who["bob"].say("home")
    said = home.plain_text()
    assert "Feedback you have been asked for" in said
    assert (
        "alice asks for your feedback on Leadership, Delivering at Pace (request 1),"
        " by 18 Mar 2026, 17:00 UTC" in said
    )
    assert [c.command for c in home.choices] == ["360 answer 1"]
    opened = who["bob"].pick("Answer request 1")
    # the first question: may the examples be shown (before any is written)
    assert "Before you write any example" in opened.plain_text() and opened.choices
    # erin was not asked: nothing of alice's request is in her home
    assert "Nothing is waiting for you just now." in who["erin"].say("home").plain_text()
    # answered or declined, it is no longer waiting
    answer(who["carol"], "3", "4", "She ran the weekly review.", "Clear plans", "Delegate")
    who["dan"].send(text="360 decline 1")
    for peer in ("carol", "dan"):
        assert "request 1" not in who[peer].say("home").plain_text()


def test_a_requesters_home_never_names_who_answered_nor_shows_an_answer(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob", "carol", "dan")
    request(who["alice"])
    before = who["alice"].say("home")
    assert "Your open 360 requests" in before.plain_text()
    assert "Your request 1 on Leadership, Delivering at Pace: asked 3" in before.plain_text()
    answer(who["bob"], "3", "4", "Bob-only example of the weekly review.", "Zanzibar", "Quokka")
    answer(who["carol"], "2", "4", "Carol ran the incident call.", "Kept calm", "Writes more")
    after = who["alice"].say("home")
    assert after == before  # nothing of the answers shows, not even how many came
    said = after.plain_text()
    for leaked in ("bob", "carol", "Bob-only", "Zanzibar", "Quokka", "answered"):
        assert leaked not in said
    assert [c.command for c in after.choices] == ["360 report 1"]
    opened = who["alice"].pick("Request 1")
    assert "Request 1 is open until 2026-03-18: asked 3." in opened.plain_text()


def test_drafts_in_progress_are_the_owners_only_and_the_button_resumes_the_draft(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob")
    who["alice"].send(text="prep leadership level 4")
    who["alice"].send(text="Our team had to move offices in a fortnight.")
    who["alice"].send(text="stop")
    home = who["alice"].say("home")
    assert "Draft 1: Leadership, Level 4; next: task" in home.plain_text()
    resumed = who["alice"].pick("Carry on with draft 1")
    assert "Task" in resumed.plain_text()
    # bob's home shows nothing of alice's draft
    bobs = who["bob"].say("home").plain_text()
    assert "Nothing is waiting for you just now." in bobs and "Draft" not in bobs


def test_check_ins_and_expectations_waiting_and_their_buttons(
    frameworks: list[Framework], store: Store, clock: FixedClock
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "dan", "bob")
    add_leadership(who["alice"])
    who["alice"].send(text="plan checkins 2")
    bot.schedule.run_due(clock.now() + timedelta(days=14, minutes=1))
    bot.inbox(who["alice"].user)
    home = who["alice"].say("home")
    assert "A check-in on your development plan, due" in home.plain_text()
    progress = who["alice"].send(action=home.choices[0].command)
    assert home.choices[0].command.startswith("plan progress ")
    assert "Leadership" in text(progress)
    set_assignment(who["dan"], "bob")
    bot.inbox(who["bob"].user)
    home = who["bob"].say("home")
    assert "Expectations to acknowledge or answer" in home.plain_text()
    # dan has not been confirmed as bob's manager: that is what bob answers first
    assert "dan set expectation 1 for you: say whether they are your manager" in text([home])
    assert [c.command for c in home.choices] == ["expectations show 1"]
    assert "Expectation 1" in who["bob"].pick("Expectation 1").plain_text()
    who["bob"].send(text="expectations confirm 1")
    home = who["bob"].say("home")
    assert "Expectation 1 from dan, version 1: to acknowledge" in home.plain_text()
    who["bob"].send(text="expectations ack 1 1")
    assert "Nothing is waiting for you just now." in who["bob"].say("home").plain_text()
    # dan set it: nothing waits for him; alice's check-in was never in bob's home
    assert "Nothing is waiting for you just now." in who["dan"].say("home").plain_text()


def test_home_in_a_channel_is_refused(frameworks: list[Framework], store: Store) -> None:
    from bot.types import Event

    bot = Bot(frameworks, store)
    request(FakeAdapter(bot, "alice"))
    bob = "console:local:bob"
    (reply,) = bot.handle(Event(bob, "console:local:room", text="home", private=False))
    assert "direct message" in reply.plain_text() and "alice" not in reply.plain_text()


def bob_in_the_terminal(
    frameworks: list[Framework], tmp_path: Path, clock: FixedClock, typed: str
) -> str:
    """alice asks bob (and others) for feedback, the ask is delivered, and bob types
    `typed` in the terminal chat: what the chat printed."""
    store = Store.open(tmp_path / "bot.db", clock)
    bot = Bot(frameworks, store)
    request(FakeAdapter(bot, "alice"))
    bot.mail("console:local:bob")  # the ask delivered before
    out = io.StringIO()
    console = Console(
        bot.handle,
        user="bob",
        stdin=io.StringIO(typed),
        stdout=out,
        interactive=False,
        inbox=bot.mail,
    )
    assert console.run() == 0
    store.close()
    return out.getvalue()


def test_numbers_pick_home_items_in_the_terminal(
    frameworks: list[Framework], tmp_path: Path, clock: FixedClock
) -> None:
    # the ask was delivered before: "1" can only pick from home
    said = bob_in_the_terminal(frameworks, tmp_path, clock, "home\n1\n")
    assert "1. Answer request 1" in said
    after = said.split("1. Answer request 1", 1)[1]
    assert "A direct message" not in after
    assert "Before you write any example" in after  # the first question: consent
    assert "Request 1 from alice" in after and "1. Yes, they may" in after


def test_a_paused_360_request_waits_in_home_and_its_button_takes_it_up(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob")
    who["alice"].send(text="360 leadership level 4")
    who["alice"].send(text="delivering at pace")
    assert "Paused: nothing was sent" in text(who["alice"].send(text="stop"))
    home = who["alice"].say("home")
    assert "360 requests not sent yet" in home.plain_text()
    assert "Your open 360 requests" not in home.plain_text()
    assert (
        "A 360 request you paused, on Leadership, Delivering at Pace: nothing has been sent,"
        " and nobody asked yet" in home.plain_text()
    )
    assert [c.command for c in home.choices] == ["360"]
    taken_up = who["alice"].pick("Carry on with it")
    assert "Delivering at Pace" in taken_up.plain_text()
    # taken up, it is under way in the chat, no longer paused; bob never sees it
    assert "paused" not in text(who["alice"].send(text="home"))
    assert "Nothing is waiting for you just now." in who["bob"].say("home").plain_text()


def test_a_proposed_change_waits_in_the_managers_home_until_answered(
    frameworks: list[Framework], store: Store
) -> None:
    from .expectations.test_flow import confirmed

    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob", "erin")
    confirmed(store, who["dan"], who["bob"])
    set_assignment(who["dan"])
    bot.inbox(who["bob"].user)
    assert "Nothing is waiting for you just now." in who["dan"].say("home").plain_text()
    who["bob"].send(text="expectations propose 1")
    who["bob"].send(text="Could it be April? The audit is in March.")
    home = who["dan"].say("home")
    assert (
        "bob proposed a change to expectation 1, version 1: change it, or answer with a comment"
        in home.plain_text()
    )
    assert [c.command for c in home.choices] == ["expectations show 1"]
    assert "Expectation 1" in who["dan"].pick("Expectation 1").plain_text()
    # the proposer's own home and a stranger's do not show it
    assert "proposed" not in who["bob"].say("home").plain_text()
    assert "Nothing is waiting for you just now." in who["erin"].say("home").plain_text()
    # a comment from the manager answers it
    who["dan"].send(text="expectations comment 1")
    who["dan"].send(text="Let us talk on Monday.")
    assert "proposed" not in who["dan"].say("home").plain_text()
    # a new proposal waits again; a new version answers it
    who["bob"].send(text="expectations propose 1")
    who["bob"].send(text="Or May, then?")
    assert "proposed a change" in who["dan"].say("home").plain_text()
    who["dan"].send(text="expectations change 1")
    for typed in ("keep", "keep", "keep", "skip", "2027-04-30"):
        who["dan"].send(text=typed)
    who["dan"].send(text="Moved after the audit")
    assert "proposed" not in who["dan"].say("home").plain_text()


def test_changes_are_noted_only_for_the_platforms_that_show_homes(
    frameworks: list[Framework], store: Store
) -> None:
    """Slack's adapter asks after each turn whether a person's home changed; the others
    never ask, so nothing of their people is kept (it would only grow)."""
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    alice.send(text="prep leadership level 4")
    assert bot.homes_changed(alice.user) == []
    bot.follow_homes(alice.user.split(":")[0])
    alice.send(text="Our team had to move offices in a fortnight.")
    ((who, page),) = bot.homes_changed(alice.user)
    assert who == alice.user and "Draft 1" in page.reply.plain_text()
    assert bot.homes_changed(alice.user) == []  # told once
