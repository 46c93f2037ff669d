"""Every universal word at every step of the STAR flows, through the core: the draft's
five parts, the practice answer and the confirmation of a deletion. Each is asserted on
what the bot says and on what is stored (the step waiting after it, the draft's parts)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.storage import Store

from ..conftest import FakeAdapter
from .test_drafting import texts, write_example
from .test_review import STRONG

PARTS = ("situation", "task", "action", "result", "learned")
WORDS = ("help", "back", "stop", "cancel", "pause", "skip", "yes", "no", "keep")
NUMBERS = ("9", "2", "#2", "two")  # 9 is on offer nowhere; 2, #2 and two are the same

PAUSED = "Stopped. Draft 1 is saved"
NOT_OFFERED = '"{typed}" is not one of the choices here, so nothing was saved'
NOT_AN_ANSWER = "is not an answer to this step"
CANNOT_SKIP = "cannot be skipped"
HINT = "Take a moment"
KEPT = "Kept draft 1: nothing was deleted."
ASK_YES_NO = "Type `yes` to delete draft 1, or `no` to keep it."


def at_part(chat: FakeAdapter, part: str) -> None:
    """Draft 1 written up to `part`, which waits for an answer."""
    chat.send(text="prep leadership level 4")
    for before in PARTS[: PARTS.index(part)]:
        chat.send(text=STRONG[before])


def waiting(store: Store, chat: FakeAdapter) -> str | None:
    """The step waiting for an answer, as stored."""
    state: dict[str, Any] = store.state(chat.user, chat.user)
    if "practice" in state:
        return "answer"
    star = state.get("star")
    if star is None:
        return None
    return star["confirm"] or star["part"]


def part_outcome(part: str, typed: str) -> tuple[str, str | None]:
    """What the bot says first when `typed` answers `part`, and the step waiting after."""
    earlier = PARTS[PARTS.index(part) - 1] if part != "situation" else None
    last = part == "learned"
    outcomes: dict[str, tuple[str, str | None]] = {
        "help": ("You are writing draft 1, one part at a time", part),
        "back": (
            ("This is the first part of draft 1", part)
            if earlier is None
            else (f"so far:\n\n{STRONG[earlier]}", earlier)
        ),
        "stop": (PAUSED, None),
        "cancel": (PAUSED, None),
        "pause": (PAUSED, None),
        "skip": ("Skipped the lesson learned", None) if last else (CANNOT_SKIP, part),
        "yes": (NOT_AN_ANSWER, part),
        "no": ("Skipped the lesson learned", None) if last else (NOT_AN_ANSWER, part),
        "keep": ("Skipped the lesson learned", None) if last else (CANNOT_SKIP, part),
        "9": (NOT_OFFERED.format(typed="9"), part),
        "Stop for now": (PAUSED, None),  # a choice's label
    }
    if typed in outcomes:
        return outcomes[typed]
    # 2, #2, two: the second choice under the question
    if part == "situation":  # only "Stop for now" is offered
        return NOT_OFFERED.format(typed=typed), part
    if last:  # Rewrite the Result, Skip, Stop for now
        return "Skipped the lesson learned", None
    return PAUSED, None  # Rewrite the part before, Stop for now


@pytest.mark.parametrize("typed", [*WORDS, *NUMBERS, "Stop for now"])
@pytest.mark.parametrize("part", PARTS)
def test_every_word_at_every_part(chat: FakeAdapter, store: Store, part: str, typed: str) -> None:
    at_part(chat, part)
    before = store.draft(chat.user, 1)
    assert before is not None
    replies = chat.send(text=typed)
    said, after = part_outcome(part, typed)
    assert said in texts(replies)
    assert waiting(store, chat) == after
    parts = store.draft(chat.user, 1)["parts"]  # type: ignore[index]
    if said.startswith("Skipped"):
        assert parts == dict(before["parts"], learned="")
    else:  # nothing typed here is ever filed as the part
        assert parts == before["parts"]


PRACTICE: dict[str, tuple[str, str | None]] = {
    "help": ("Answer the question in one message", "answer"),
    "back": ("There is nothing before this question", "answer"),
    "stop": ("Stopped practising; nothing was saved", None),
    "cancel": ("Stopped practising; nothing was saved", None),
    "pause": ("Stopped practising; nothing was saved", None),
    "skip": (HINT, "answer"),
    "yes": (HINT, "answer"),
    "no": (HINT, "answer"),
    "keep": (HINT, "answer"),
    "9": (NOT_OFFERED.format(typed="9"), "answer"),
    # Another question, Stop practising
    "2": ("Stopped practising; nothing was saved", None),
    "#2": ("Stopped practising; nothing was saved", None),
    "two": ("Stopped practising; nothing was saved", None),
    "Another question": ("Practice question: Leadership, Level 4", "answer"),
}


@pytest.mark.parametrize("typed", PRACTICE)
def test_every_word_at_the_practice_answer(chat: FakeAdapter, store: Store, typed: str) -> None:
    chat.send(text="practice leadership level 4")
    replies = chat.send(text=typed)
    said, after = PRACTICE[typed]
    assert said in texts(replies)
    assert waiting(store, chat) == after
    if after is not None:  # never filed as the answer, never reviewed
        assert store.state(chat.user, chat.user)["practice"]["answer"] is None
        assert "Indicative band" not in texts(replies)


CONFIRM: dict[str, tuple[str, bool]] = {  # what is said, whether the draft is kept
    "help": (ASK_YES_NO, True),
    "back": (KEPT, True),
    "stop": (KEPT, True),
    "cancel": (KEPT, True),
    "pause": (KEPT, True),
    "skip": (ASK_YES_NO, True),
    "yes": ("Deleted draft 1", False),
    "no": (KEPT, True),
    "keep": (KEPT, True),
    "9": (ASK_YES_NO, True),
    # Delete it, Keep it
    "2": (KEPT, True),
    "#2": (KEPT, True),
    "two": (KEPT, True),
    "Delete it": ("Deleted draft 1", False),
}


@pytest.mark.parametrize("typed", CONFIRM)
def test_every_word_at_the_delete_confirmation(chat: FakeAdapter, store: Store, typed: str) -> None:
    write_example(chat)
    (asked,) = chat.send(text="draft 1 delete")
    assert waiting(store, chat) == "delete"
    replies = chat.send(text=typed)
    said, kept = CONFIRM[typed]
    assert said in texts(replies)
    assert (store.draft(chat.user, 1) is not None) is kept
    # still waiting only where neither yes nor no was said
    assert waiting(store, chat) == ("delete" if said == ASK_YES_NO else None)
    if said == ASK_YES_NO:
        assert replies[-1].plain_text() == asked.plain_text()  # the question again


def test_back_keeps_what_was_typed_and_keep_goes_on(chat: FakeAdapter, store: Store) -> None:
    """`back` shows the part before as it was; `keep` there keeps it and goes on."""
    at_part(chat, "action")
    edit, _ = chat.send(text="back")
    assert STRONG["task"] in edit.plain_text()
    assert waiting(store, chat) == "task"
    saved, ask = chat.send(text="keep")
    assert saved.plain_text().startswith("Kept your Task in draft 1 as it was")
    assert "Step 3 of 5: Action" in ask.plain_text()
    assert store.draft(chat.user, 1)["parts"]["task"] == STRONG["task"]  # type: ignore[index]
