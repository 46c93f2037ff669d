"""360 feedback, a peer's side: answering a request one question at a time."""

from __future__ import annotations

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import FeedbackStore, Store

from .test_request import PEERS, people, request, text


def test_a_number_not_on_offer_is_never_stored_as_an_example(
    frameworks: list[Framework], store: Store
) -> None:
    """`3` where only `1. Skip` was offered is refused at that step, and said so."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    bob.send(text="360 answer 1")
    bob.send(text="4")
    for typed in ("3", "#3", "three"):
        refused = text(bob.send(text=typed))
        assert "There is no choice 3" in refused or "not on offer" in refused, refused
        assert "An example of Leadership you have seen" in refused
    bob.send(text="skip")
    bob.send(text="2")
    bob.send(text="skip")
    bob.send(text="skip")
    bob.send(text="skip")
    row = FeedbackStore(store).peer(1, bob.user)
    assert row["examples"] == {} and row["status"] == "answered"


def test_stop_keeps_what_a_peer_typed_and_360_answer_takes_it_up(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    bob.send(text="360 answer 1")
    for typed in ("4", "Ran the review", "2"):
        bob.send(text=typed)
    paused = text(bob.send(text="pause"))
    assert "Paused: nothing of this answer is recorded yet" in paused
    assert "`360 answer 1` takes it up" in paused
    assert FeedbackStore(store).peer(1, bob.user)["status"] == "asked"
    again = text(bob.send(text="360 answer 1"))
    assert "An example of Delivering at Pace" in again  # where it was left
    assert "How often does alice show this?" in text(bob.send(text="back"))  # the rating
    held = text(bob.send(text="back"))  # Leadership's example, as typed
    assert "You wrote: “Ran the review”. Type keep to keep it." in held
    for typed in ("keep", "2", "skip", "skip", "skip"):
        bob.send(text=typed)
    row = FeedbackStore(store).peer(1, bob.user)
    assert row["examples"] == {"leadership": "Ran the review"}
    assert row["ratings"] == {"leadership": 4, "delivering-at-pace": 2}
