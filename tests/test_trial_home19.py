"""Trial of `home` (issue 19, part 1) as a new user and as an attacker: each test here
shows a defect found, and is expected to fail until it is fixed."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FixedClock
from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import FeedbackStore, Store

from .feedback.test_request import answer, people, request
from .test_home import bob_in_the_terminal


def test_an_unreachable_peer_answering_changes_nothing_in_the_requesters_home(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob", "carol", "dan")
    request(who["alice"])
    (to_carol,) = bot.outbox.take("console:", user=who["carol"].user)
    bot.outbox.undeliverable(to_carol, "they have not installed the app")
    (told,) = bot.outbox.take("console:", user=who["alice"].user)
    assert "I could not reach carol" in told.replies[0].plain_text()  # by name
    before = who["alice"].say("home")
    assert "1 could not be reached" in before.plain_text()
    # carol installs the app later: her home offers the request, and she answers it
    offered = who["carol"].say("home")
    assert [c.command for c in offered.choices] == ["360 answer 1"]
    answer(who["carol"], "3", "4", "She ran the weekly review.", "Clear plans", "Delegate")
    assert FeedbackStore(store).peer(1, who["carol"].user)["status"] == "answered"
    after = who["alice"].say("home")
    assert after == before  # nothing of carol's answer shows, not even that it came


def test_home_typed_mid_answer_says_what_to_type_for_each_item(
    frameworks: list[Framework], tmp_path: Path, clock: FixedClock
) -> None:
    """In the terminal, in the middle of answering a 360, numbers answer the question
    asked again: each of home's items shows the command that goes straight to it."""
    said = bob_in_the_terminal(frameworks, tmp_path, clock, "360 answer 1\nhome\n")
    assert "Your home" in said
    home = said.split("Your home", 1)[1]
    assert "alice asks for your feedback" in home
    assert "360 answer 1: Answer request 1" in home  # what to type, since numbers answer
