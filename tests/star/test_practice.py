"""Practice through the core: a question, an answer, its review and follow-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store
from bot.types import Event

from ..conftest import FakeAdapter
from .test_drafting import texts
from .test_review import STRONG


def test_practice_a_question_answer_follow_up_and_save(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    path = tmp_path / "bot.db"
    store = Store.open(path)
    chat = FakeAdapter(Bot(frameworks, store))
    (question,) = chat.send(text="/behaviour practice leadership level 4")
    assert question.title == "Practice question: Leadership, Level 4"
    assert "Give me an example of a time when you had to promote diversity" in question.plain_text()
    store.close()

    store = Store.open(path)  # a restart between the question and the answer
    chat = FakeAdapter(Bot(frameworks, store))
    spoken = " ".join(STRONG[p] for p in ("situation", "task", "action"))
    (answer,) = chat.send(text=spoken)
    body = answer.plain_text()
    assert "Not found: the Result. End with what changed, and how you know." in body
    assert f"• Action: {STRONG['action']}" in body
    assert "There is no Result yet: end with what changed, and how you know." in body
    assert "A follow-up question\n\nHow did you know it had worked?" in body
    assert store.drafts(chat.user) == []  # a practice answer is not saved unless asked
    (more,) = chat.send(text=STRONG["result"])  # answering the follow-up: the Result
    assert more.title.startswith("Your answer, with what you added")
    assert f"• Result: {STRONG['result']}" in more.plain_text()
    saved, opened = chat.send(action="practice save")
    assert "Saved your practice answer as draft 1" in saved.plain_text()
    assert opened.title == "Draft 1: Leadership, Level 4"
    assert store.draft(chat.user, 1)["parts"] == {
        p: STRONG[p] for p in ("situation", "task", "action", "result")
    }
    assert "practice" not in store.state(chat.user, chat.user)
    (again,) = chat.send(text="practice leadership level 4")  # the next indicator
    assert "welcome and respond to views and challenges" in again.plain_text()
    (stopped,) = chat.send(text="stop")
    assert stopped.plain_text().startswith("Stopped practising")
    store.close()


def test_practice_quotes_indicators_that_describe(chat: FakeAdapter) -> None:
    (question,) = chat.send(text="practice ses 1.4 excellence")
    assert (
        'Tell me about a time when your work showed this: "The executive' in question.plain_text()
    )


def test_practice_bad_input_and_privacy(chat: FakeAdapter) -> None:
    (nothing,) = chat.send(text="practice save")
    assert "You are not practising a question now" in nothing.plain_text()
    chat.send(text="practice leadership level 4")
    (long,) = chat.send(text="word " * 2500)
    assert "2,500 words" in long.plain_text() and "up to 2,000" in long.plain_text()
    help_, again = chat.send(text="help")  # and the question again
    assert "Practice question" in again.plain_text()
    assert "Answer the question in one message" in help_.plain_text()
    lookup, again = chat.send(text="/behaviour leadership level 5")  # mid-practice
    assert lookup.title == "Leadership: Level 5"
    assert "Practice question: Leadership, Level 4" in again.plain_text()
    event = Event(
        user=chat.user,
        conversation="console:local:channel",
        text="practice leadership 4",
        private=False,
    )
    (refused,) = chat.bot.handle(event)
    assert "in private" in refused.plain_text()


def test_practice_questions_turn_per_behaviour(chat: FakeAdapter) -> None:
    first = chat.send(text="practice leadership level 4")[0].plain_text()
    chat.send(text="practice ses 1.4 excellence")
    again = chat.send(text="practice leadership level 4")[0].plain_text()
    assert "question 1 of 5" in first and "question 2 of 5" in again
    (stopped,) = chat.send(text="stop")
    assert "another question on Leadership" in stopped.plain_text()
    assert stopped.choices[0].command == "practice civil-service/leadership/4"


# ---- defects found by a new user (issue 16) ---------------------------------------------


def test_another_question_typed_is_a_pick_never_the_answer(chat: FakeAdapter) -> None:
    """`another question` typed six times became the saved answer: it is the choice
    "Another question" (an option's label, or an alias of it, is a pick)."""
    chat.send(text="practice leadership level 4")
    for _ in range(6):
        (asked,) = chat.send(text="another question")
        assert asked.title == "Practice question: Leadership, Level 4"
    assert chat.bot.store.state(chat.user, chat.user)["practice"]["answer"] is None
    (nothing,) = chat.send(text="practice save")
    assert "Answer the question" in nothing.plain_text()
    (answer,) = chat.send(text=" ".join(STRONG[p] for p in ("situation", "task", "action")))
    assert answer.title.startswith("Your answer")
    (again,) = chat.send(text="answer the question again")  # another choice, by its label
    assert again.title == "Practice question: Leadership, Level 4"


@pytest.mark.parametrize(
    "typed",
    [
        "I don't know",
        "I don’t know.",
        "pass",
        "no idea",
        "not sure",
        "skip",
        "Sorry, I can't think of one right now",
        "I don't have an example of that",
    ],
)
def test_a_non_answer_gets_a_hint_and_the_question_again(chat: FakeAdapter, typed: str) -> None:
    """`I don't know` got a full review and a band."""
    (question,) = chat.send(text="practice leadership level 4")
    replies = chat.send(text=typed)
    said = texts(replies)
    assert "Indicative band" not in said and "Your answer" not in said
    assert "Take a moment" in said
    assert replies[-1].title == question.title  # the question again
    assert chat.bot.store.state(chat.user, chat.user)["practice"]["answer"] is None


def test_a_free_answer_is_read_sentence_by_sentence(chat: FakeAdapter) -> None:
    """Defect: "I introduced a triage system that cleared the backlog" gave no Action and
    no Result, and the review said "The Action never says 'I'"."""
    chat.send(text="practice leadership level 4")
    (answer,) = chat.send(
        text="Our team had a backlog of 900 appeals. I introduced a triage system that"
        " cleared the backlog in three weeks."
    )
    body = answer.plain_text()
    assert "• Action: I introduced a triage system" in body
    assert "• Result: that cleared the backlog in three weeks." in body
    assert "never says" not in body
    assert "Figures: three weeks" in body
