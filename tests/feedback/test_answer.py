"""360 feedback, a peer's side: answering a request one question at a time."""

from __future__ import annotations

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import FeedbackStore, Store, upgrade_flow_states

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
    bob.send(text="no")
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
    for typed in ("skip", "4", "Ran the review", "2"):
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


# ---- consent: may the peer's examples be shown to the requester as material ----------


def consent_of(store: Store, peer: str, number: int = 1) -> bool:
    return FeedbackStore(store).peer(number, peer)["consent"]


def test_consent_is_asked_before_any_example_and_stored_with_the_answer(
    frameworks: list[Framework], store: Store
) -> None:
    """The first question, before any rating or example: yes or no (no when skipped),
    stored as part of the peer's answer; the rules peers read first say so."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    (ask,) = bot.inbox(who["bob"].user)
    assert "you are asked whether alice may also see your examples" in ask.plain_text()
    assert "no unless you say yes, and you can withdraw it until it closes" in ask.plain_text()
    for name, said in (("bob", "yes"), ("carol", "skip"), ("dan", "2")):
        peer = who[name]
        (first,) = peer.send(text="360 answer 1")
        assert first.title == "Before you write any example"
        assert "never with your name" in first.plain_text()
        assert [c.command for c in first.choices] == ["360 consent 1 yes", "360 consent 1 no"]
        (rating,) = peer.send(text=said)
        assert "How often does alice show this?" in rating.plain_text()
        assert consent_of(store, peer.user) is False  # nothing counts until the last answer
        for typed in ("3", "An example", "skip", "skip", "skip", "skip"):
            thanks = text(peer.send(text=typed))
        assert "your answer to request 1 is recorded" in thanks
    assert consent_of(store, who["bob"].user) is True
    assert consent_of(store, who["carol"].user) is False  # skipped: no
    assert consent_of(store, who["dan"].user) is False  # the second choice: No


def test_consent_can_be_changed_until_the_close_and_never_after(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    for typed in ("360 answer 1", "yes", "3", "Ran the review", "skip", "skip", "skip", "skip"):
        thanks = text(bob.send(text=typed))
    assert "`360 consent 1 no` withdraws it until then" in thanks
    shown = text(bob.send(text="360 consent 1"))  # the direct way: what holds now
    assert "your examples may be shown to alice, never with your name" in shown
    assert consent_of(store, bob.user) is True
    withdrawn = text(bob.send(text="360 consent 1 no"))
    assert "No: your examples for request 1 stay in the report alone" in withdrawn
    assert consent_of(store, bob.user) is False
    again = text(bob.send(text="360 answer 1"))  # changing the answer shows it too
    assert "You said no before." in again
    rating = text(bob.send(text="360 consent 1 yes"))  # the answer to that question
    assert "How often does alice show this?" in rating
    assert consent_of(store, bob.user) is False  # nothing counts until the last answer
    bob.send(text="stop")
    assert "Yes: once request 1 closes" in text(bob.send(text="360 consent 1 yes"))
    assert consent_of(store, bob.user) is True  # the direct way counts at once
    bob.send(text="360 consent 1 no")  # withdrawn again, also in the paused answer
    for typed in ("360 answer 1", "3", "Ran the review", *["skip"] * 4):
        bob.send(text=typed)  # taken up where it was, and finished: still withdrawn
    assert consent_of(store, bob.user) is False
    for name in ("carol", "dan"):
        for typed in ("360 answer 1", "no", "2", *["skip"] * 5):
            who[name].send(text=typed)
    who["alice"].send(text="360 close 1 confirm")
    late = text(bob.send(text="360 consent 1 yes"))
    assert "closed on" in late and "can no longer change" in late and "no, they stay" in late
    assert consent_of(store, bob.user) is False
    assert "There is no request 1 for you" in text(who["alice"].send(text="360 consent 1 yes"))


def test_consent_given_while_answering_is_kept_with_the_answer(
    frameworks: list[Framework], store: Store
) -> None:
    """`360 consent 1 yes` pressed at the first question answers it; typed later in the
    answer it changes what will be saved with it."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    early = text(bob.send(text="360 consent 1 yes"))  # before answering: kept for it
    assert "Your answer itself is not recorded yet: `360 answer 1`" in early
    assert "You said yes before." in text(bob.send(text="360 answer 1"))
    (rating,) = bob.send(action="360 consent 1 yes")  # the button
    assert "How often does alice show this?" in rating.plain_text()
    bob.send(text="3")
    told, again = bob.send(text="360 consent 1 no")
    assert "It is kept with the answer you are writing." in told.plain_text()
    assert told.choices == ()  # numbers answer the question waiting, shown again
    assert "An example of Leadership" in again.plain_text()
    for typed in ("skip", "skip", "skip", "skip", "skip"):
        bob.send(text=typed)
    row = FeedbackStore(store).peer(1, bob.user)
    assert row["status"] == "answered" and row["consent"] is False


def test_no_at_the_first_question_of_a_changed_answer_withdraws_at_once(
    frameworks: list[Framework], store: Store
) -> None:
    """Changing an answer already recorded, "no" typed at the first question withdraws
    the consent at once (as `360 consent N no` does), even if the change is never
    finished; "yes" there waits for the answer, as before."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    for typed in ("360 answer 1", "yes", "3", "Ran the review", *["skip"] * 4):
        bob.send(text=typed)
    assert consent_of(store, bob.user) is True
    assert "You said yes before." in text(bob.send(text="360 answer 1"))
    said = text(bob.send(text="no"))
    assert "No: your examples for request 1 stay in the report alone" in said
    assert "How often does alice show this?" in said  # and on to the first rating
    assert consent_of(store, bob.user) is False
    bob.send(text="stop")
    assert consent_of(store, bob.user) is False


def test_answers_from_before_consent_count_as_no_and_one_begun_is_asked_it_first(
    frameworks: list[Framework], store: Store
) -> None:
    """m017_peer_consent: an answer stored before (NULL) is no consent; an answer in
    progress at its first rating is asked for consent first, one further on keeps its
    place with no consent."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob, carol = who["bob"], who["carol"]
    for typed in ("360 answer 1", "yes", "3", "Ran it", *["skip"] * 4):
        bob.send(text=typed)
    begun = {"v": 1, "request": 1, "index": 0, "part": "rate", "ratings": {}, "examples": {}}
    further = dict(begun, part="example", ratings={"leadership": 2})
    with store.transaction():
        store.conn.execute("UPDATE feedback_peers SET consent = NULL")
        store.save_state(carol.user, carol.user, {"answering": begun})
        store.save_state(who["dan"].user, who["dan"].user, {"answering-paused": further})
        upgrade_flow_states(store.db)
    assert consent_of(store, bob.user) is False
    assert store.state(carol.user, carol.user)["answering"]["part"] == "consent"
    paused = store.state(who["dan"].user, who["dan"].user)["answering-paused"]
    assert (paused["v"], paused["part"], paused["consent"]) == (2, "example", False)
    assert "Before you write any example" in text(carol.send(text="help"))
