"""The router: choices picked however they are named, and nothing typed mid-flow lost in
a list that cannot be picked from (a new user's trial)."""

from __future__ import annotations

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store

from .conftest import FakeAdapter
from .feedback.test_request import request, text


def test_a_choice_by_its_number_word_or_its_label(
    frameworks: list[Framework], store: Store
) -> None:
    chat = FakeAdapter(Bot(frameworks, store), "alice")
    (shown,) = chat.send(text="leadership level 4")
    labels = [c.label for c in shown.choices]
    (second,) = chat.send(text="two")
    assert second.title == "Leadership: Level 2"
    chat.send(text="leadership level 4")
    prepare = next(label for label in labels if label.startswith("Prepare"))
    started = text(chat.send(text=prepare))  # the label typed in full
    assert "Prepare an example: Leadership, Level 4" in started


def test_yes_and_no_answer_a_question_with_two_choices(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    request(alice)
    asked = text(alice.send(text="360 close 1"))
    assert "Close request 1 now" in asked
    kept = text(alice.send(text="no"))  # Keep it open
    assert "Your requests" in kept
    alice.send(text="360 close 1")
    closed = text(alice.send(text="yes"))
    assert "closed" in closed.casefold() and "No match" not in closed


def test_a_lookup_typed_mid_draft_offers_only_the_questions_choices(
    frameworks: list[Framework], store: Store
) -> None:
    """In the terminal, a lookup answered in the middle of a draft comes without its
    numbered choices: the numbers pick from the question asked again after it."""
    chat = FakeAdapter(Bot(frameworks, store), "alice")
    chat.send(text="prep leadership level 4")
    lookup, again = chat.send(text="/behaviour leadership level 5")
    assert lookup.title == "Leadership: Level 5" and lookup.choices == ()
    assert again.choices and "Situation" in again.plain_text()
    refused, _ = chat.send(text="7")  # and the question again
    assert "not one of the choices" in refused.plain_text()


def test_a_lookup_of_a_level_that_does_not_exist_is_never_saved_as_an_answer(
    frameworks: list[Framework], store: Store
) -> None:
    chat = FakeAdapter(Bot(frameworks, store), "alice")
    chat.send(text="prep leadership level 4")
    (asked,) = chat.send(text="leadership level 9")
    assert "Save this as your answer, or look it up?" in asked.plain_text()
    assert store.draft(chat.user, 1)["parts"] == {}  # type: ignore[index]


def test_no_after_a_lookups_question_is_not_a_pick(
    frameworks: list[Framework], store: Store
) -> None:
    """ "Which one do you mean?" offers two entries, not yes and no."""
    chat = FakeAdapter(Bot(frameworks, store), "alice")
    (which,) = chat.send(text="collaborative")
    assert len(which.choices) == 2
    (answer,) = chat.send(text="no")
    assert "Highly Collaborative" not in answer.title


def test_a_question_asked_mid_flow_takes_the_answer_to_it(
    frameworks: list[Framework], store: Store
) -> None:
    """A second new user's trial: with a practice question open, `360 close 1` asked
    "Close request 1 now?" without its choices and the practice took the `yes`."""
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    request(alice)
    alice.send(text="practice leadership level 4")
    (asked,) = alice.send(text="360 close 1")
    assert "Close request 1 now" in asked.plain_text() and len(asked.choices) == 2
    closed = text(alice.send(text="yes"))
    assert "closed" in closed.casefold() and "Practice" not in closed
    again = text(alice.send(text="I led the team through a hard restructure."))
    assert "Practice" in again or "review" in again.casefold()  # the practice waited


def test_an_answer_to_nothing_says_so(frameworks: list[Framework], store: Store) -> None:
    """A second new user's trial: `back` with nothing open was looked up ("Did you mean
    Delivering at Pace?") and `yes` got "No match"."""
    chat = FakeAdapter(Bot(frameworks, store), "alice")
    for word in ("back", "yes", "no", "keep", "skip"):
        (reply,) = chat.send(text=word)
        assert f"Nothing is waiting for “{word}” just now" in reply.plain_text()


def test_a_commands_own_help_typed_mid_draft_is_never_saved(
    frameworks: list[Framework], store: Store
) -> None:
    """`360 help` typed at the Task was saved as the Task: `help` (and the other words of
    the engine) after a verb makes a command."""
    chat = FakeAdapter(Bot(frameworks, store), "alice")
    chat.send(text="prep leadership level 4")
    chat.send(text="The team had a backlog of 900 cases.")
    for command, answer in (("360 help", "360 feedback"), ("search wellbeing", "Search")):
        replies = chat.send(text=command)
        assert answer in replies[0].plain_text()
        assert "Step 2 of 5: Task" in replies[-1].plain_text()
        assert "task" not in store.draft(chat.user, 1)["parts"]  # type: ignore[operator]
