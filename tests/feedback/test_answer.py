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
