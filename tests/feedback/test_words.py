"""Every universal word of the engine through every step of the 360 flows: building a
request and answering one. Each case starts afresh at its step, sends one word and
checks the reply and what is stored."""

from __future__ import annotations

import pytest

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import FeedbackStore, Store

from ..conftest import FakeAdapter
from .test_request import text

WORDS = ("help", "back", "stop", "cancel", "pause", "skip", "yes", "no", "keep")
WORDS += ("99", "2", "#2", "two", "label")

# How to reach each step of building a request, from nothing.
TO_STEP = {
    "framework": ["360"],
    "level": ["360 civil service"],
    "behaviours": ["360 civil service level 4"],
    "peers": ["360 leadership level 4", "done"],
    "deadline": ["360 leadership level 4", "done", "bob, carol, dan"],
    "manager": ["360 leadership level 4", "done", "bob, carol, dan", "2 weeks"],
    "self": ["360 leadership level 4", "done", "bob, carol, dan", "2 weeks", "none"],
    "confirm": ["360 leadership level 4", "done", "bob, carol, dan", "2 weeks", "none", "3"],
}
LABEL = {  # a choice of each step typed by its label
    "framework": "Policing CVF",
    "level": "Level 5",
    "behaviours": "Leadership",
    "deadline": "In two weeks",
    "manager": "No manager",
    "self": "Usually",
    "confirm": "Change the peers",
}
BEFORE = {
    "level": "framework",
    "behaviours": "level",
    "peers": "behaviours",
    "deadline": "peers",
    "manager": "deadline",
    "self": "manager",
    "confirm": "self",
}
REFUSED = "refused"  # the step stays, and the reply says why
SENT = "sent"
PAUSED = "paused"

# What each word does at each step: the step it leads to (or REFUSED, SENT, PAUSED).
SECOND = {  # `2`, `#2`, `two`: the second choice on offer
    "framework": "behaviours",  # DHS SES: its level is its scale, so none is asked
    "level": "behaviours",
    "behaviours": "behaviours",  # Changing and Improving added; more may follow
    "peers": REFUSED,  # nothing on offer: a number is no name
    "deadline": "manager",  # in two weeks
    "manager": REFUSED,  # only "No manager" is on offer
    "self": "confirm",  # Sometimes
    "confirm": "peers",  # Change the peers
}


def build_expected(step: str, word: str) -> str:
    if word == "help":
        return step
    if word == "back":
        return BEFORE.get(step, step)
    if word in ("stop", "cancel", "pause"):
        return PAUSED
    if word in ("2", "#2", "two"):
        return SECOND[step]
    if word == "label":
        return {"framework": "behaviours", "level": "behaviours", "behaviours": "behaviours"}.get(
            step, {"deadline": "manager", "manager": "self", "self": "confirm"}.get(step, "peers")
        )
    if step == "manager" and word in ("skip", "no", "keep"):
        return "self"  # no manager: the one step that may be skipped
    if step == "confirm" and word == "yes":
        return SENT
    return REFUSED


CASES = [
    (step, word)
    for step in TO_STEP
    for word in WORDS
    if not (word == "label" and step not in LABEL)
]


@pytest.mark.parametrize(("step", "word"), CASES)
def test_every_word_at_every_step_of_building_a_request(
    frameworks: list[Framework], store: Store, step: str, word: str
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    for typed in TO_STEP[step]:
        alice.send(text=typed)
    before = store.state(alice.user, alice.user)["feedback"]
    assert before["step"] == step
    said = LABEL[step] if word == "label" else word
    reply = text(alice.send(text=said))
    state = store.state(alice.user, alice.user)
    expected = build_expected(step, word)
    assert "Sorry" not in reply
    if expected == PAUSED:
        assert "feedback" not in state and state["feedback-paused"]["step"] == step
        assert "Paused: nothing was sent" in reply and "`360` takes it up" in reply
        return
    if expected == SENT:
        assert "feedback" not in state and "Request 1 is on its way" in reply
        return
    assert FeedbackStore(store).requests_of(alice.user) == []  # nothing sent
    draft = state["feedback"]
    if expected == REFUSED:
        assert {k: v for k, v in draft.items() if k != "by"} == {
            k: v for k, v in before.items() if k != "by"
        }  # nothing stored
        if word in ("99", "2", "#2", "two") or word not in ("yes", "no", "skip", "keep"):
            assert said.lstrip("#") in reply or "2" in reply
        if word in ("skip", "keep") and step != "confirm":
            assert "cannot be skipped" in reply or said in reply
        return
    assert draft["step"] == expected, reply
    if word == "help":
        assert "Type back for the question before" in reply
    if word == "back" and step == "framework":
        assert "This is the first question" in reply
    if word == "back" and step == "deadline":
        assert "Asking now: bob, carol, dan" in reply and draft["peers"]  # kept, shown


# ---- answering ------------------------------------------------------------------------

TO_PART = {
    "consent": [],  # may the examples be shown? asked first (skip: no)
    "rate": ["skip"],
    "example": ["skip", "3"],
    "keep": ["skip", "3", "skip"],
    "develop": ["skip", "3", "skip", "skip"],
}
PART_BEFORE = {"rate": "consent", "example": "rate", "keep": "example", "develop": "keep"}
PART_AFTER = {
    "consent": "rate",
    "rate": "example",
    "example": "keep",
    "keep": "develop",
    "develop": None,
}
PART_LABEL = {
    "consent": "No",
    "rate": "Usually",
    "example": "Skip",
    "keep": "Skip",
    "develop": "Skip",
}


def answer_expected(part: str, word: str) -> str | None:
    if word == "help":
        return part
    if word == "back":
        return PART_BEFORE.get(part, part)
    if word in ("stop", "cancel", "pause"):
        return PAUSED
    if word in ("skip", "no", "keep", "label"):
        return PART_AFTER[part]  # optional: left out (a rating: I can't say)
    if word in ("2", "#2", "two"):
        return PART_AFTER[part] if part in ("consent", "rate") else REFUSED
    if word == "yes":
        return REFUSED if part == "rate" else PART_AFTER[part]  # text where text is asked
    return REFUSED


@pytest.mark.parametrize(("part", "word"), [(p, w) for p in TO_PART for w in WORDS])
def test_every_word_at_every_question_of_an_answer(
    frameworks: list[Framework], store: Store, part: str, word: str
) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    for typed in TO_STEP["confirm"]:
        alice.send(text=typed)
    alice.send(text="send")  # Leadership only
    bob = FakeAdapter(bot, "bob")
    bob.send(text="360 answer 1")
    for typed in TO_PART[part]:
        bob.send(text=typed)
    before = store.state(bob.user, bob.user)["answering"]
    assert before["part"] == part
    said = PART_LABEL[part] if word == "label" else word
    reply = text(bob.send(text=said))
    state = store.state(bob.user, bob.user)
    row = FeedbackStore(store).peer(1, bob.user)
    expected = answer_expected(part, word)
    assert "Sorry" not in reply
    if expected == PAUSED:
        assert "answering" not in state and state["answering-paused"]["part"] == part
        assert "Paused: nothing of this answer is recorded yet" in reply
        assert row["status"] == "asked"
        return
    if expected is None:  # the last question answered: recorded
        assert "answering" not in state and row["status"] == "answered"
        assert row["develop"] == ("yes" if word == "yes" else "")
        return
    assert row["status"] == "asked"
    if expected == REFUSED:
        assert state["answering"] == before
        assert said.lstrip("#") in reply or "There is no choice 2" in reply
        return
    answering = state["answering"]
    assert answering["part"] == expected, reply
    if word == "help" and part != "consent":
        assert "Type back for the question before" in reply
    if word == "help" and part == "consent":  # the first: no question before it
        assert "Skip means no. Type stop to leave it" in reply
    if part == "rate" and expected == "example":
        rated = {"label": 3, "2": 2, "#2": 2, "two": 2}.get(word)
        assert answering["ratings"] == ({"leadership": rated} if rated else {})
    if part == "consent":  # yes alone gives it; anything else that moves on is no
        assert answering["consent"] is (word == "yes")
    if part == "example" and word == "yes":
        assert answering["examples"] == {"leadership": "yes"}
