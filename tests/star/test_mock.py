"""The mock interview through the core: one question per behaviour in turn, one probing
follow-up each, no review until a summary per behaviour, and its choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store
from bot.types import Event, Reply

from ..conftest import FakeAdapter
from .test_drafting import texts

# The command a job advert's reply offers (issue 19), exactly.
ADVERT = "mock civil-service/delivering-at-pace/3 civil-service/seeing-the-big-picture/3"
PACE = (
    "In 2023 my team of 12 caseworkers faced a backlog of 900 appeals after a system change."
    " As team leader I had to clear it within three months. I set weekly priorities for the"
    " team, I reviewed progress every Friday and I moved two people onto the hardest cases."
)
PACE_MORE = "We cleared the backlog in 10 weeks, two weeks early, and the director praised us."
PICTURE = (
    "I was asked to plan how our office would move to a new case system. I read the"
    " department's digital strategy and I spoke with the policy team so that our plan"
    " fitted the wider goals."
)
Q1 = "Mock interview, question 1 of 2: Delivering at Pace, Level 3"
PICTURE_MORE = "We all worked on it together and it went well."


def state(chat: FakeAdapter) -> dict:  # type: ignore[type-arg]
    return chat.bot.store.state(chat.user, chat.user)


def question_of(reply: Reply) -> str:
    """The interview question a reply asks."""
    return next(b.text for b in reply.blocks if b.text.startswith(("Give me", "Tell me")))


def test_a_whole_mock_interview_of_two_behaviours(chat: FakeAdapter) -> None:
    (opening,) = chat.send(text=ADVERT)
    said = opening.plain_text()
    assert opening.title == "Mock interview: 2 questions"
    assert "Delivering at Pace (Level 3) and Seeing the Big Picture (Level 3)" in said
    assert "one probing follow-up" in said and "skip" in said and "stop" in said
    assert "Question 1 of 2: Delivering at Pace, Level 3" in said
    assert "Give me an example of a time when you had to" in said
    (follow_up,) = chat.send(text=PACE)
    body = follow_up.plain_text()
    assert follow_up.title == "Mock interview, question 1 of 2: a follow-up"
    # the answer has no Result: the probing follow-up asks for its evidence
    assert "How did you know it had worked? What changed, and by how much?" in body
    assert "Review" not in body and "band" not in body.casefold()  # no feedback mid-way
    (second,) = chat.send(text=PACE_MORE)
    assert second.title == "Mock interview, question 2 of 2: Seeing the Big Picture, Level 3"
    assert "Review" not in second.plain_text()
    (follow_up,) = chat.send(text=PICTURE)
    assert "How did you know it had worked?" in follow_up.plain_text()
    (summary,) = chat.send(text=PICTURE_MORE)
    body = summary.plain_text()
    assert summary.title == "Mock interview: your summary"
    assert "1. Delivering at Pace, Level 3: band " in body
    assert "2. Seeing the Big Picture, Level 3: band " in body
    # the review of the answer with its follow-up: the Result found in the follow-up
    assert "Strong: evidence in the Result (10 weeks, two weeks early" in body
    assert "Biggest gap: no evidence in the Result." in body  # "it went well"
    assert "what the question asked about, is shown only in part" in body
    assert [(c.label, c.command) for c in summary.choices] == [
        ("Save answer 1 (Delivering at Pace) as a draft", "mock save 1 interview 1"),
        ("Save answer 2 (Seeing the Big Picture) as a draft", "mock save 2 interview 1"),
        (
            "Practise Seeing the Big Picture again",
            "practice civil-service/seeing-the-big-picture/3",
        ),
        ("Run the mock again", "mock again interview 1"),
    ]
    assert "mock" not in state(chat)  # over: typed text is no answer any more
    assert state(chat)["mocked"]["follow_answers"] == [PACE_MORE, PICTURE_MORE]


def test_the_summary_uses_the_review_of_the_answer_and_its_follow_up(chat: FakeAdapter) -> None:
    """The verdict is the review's (bot/star/review.py `analyse`) of the answer with the
    follow-up's answer added where it belongs (the Result, for "how did you know?")."""
    from bot.star.review import analyse

    chat.send(text="mock civil-service/delivering-at-pace/3")
    chat.send(text=PACE)
    (summary,) = chat.send(text=PACE_MORE)
    target = chat.bot.star.lookup.index.by_id["civil-service"]
    behaviour, level = target.behaviour("delivering-at-pace"), target.level("3")
    from bot.star.drafting import Target

    parts = dict(analyse(PACE).parts)
    parts["result"] = (parts.get("result", "") + " " + PACE_MORE).strip()
    review = analyse(parts, Target(target, behaviour, level).standard)
    assert review.judgement is not None
    expected = f"1. Delivering at Pace, Level 3: band {review.judgement.value} of 7"
    assert expected in summary.plain_text()


def test_a_restart_in_the_middle_resumes_at_the_same_question(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    path = tmp_path / "bot.db"
    store = Store.open(path)
    chat = FakeAdapter(Bot(frameworks, store))
    chat.send(text=ADVERT)
    chat.send(text=PACE)
    (asked,) = chat.send(text=PACE_MORE)
    store.close()

    store = Store.open(path)  # a restart before the second answer
    bot = Bot(frameworks, store)
    note, again = bot.waiting(chat.user, chat.user)  # the terminal's "you were here"
    assert "You were in the middle of this" in note.plain_text()
    assert again.plain_text() == asked.plain_text()
    chat = FakeAdapter(bot)
    (follow_up,) = chat.send(text=PICTURE)  # answers the same question
    assert follow_up.title == "Mock interview, question 2 of 2: a follow-up"
    (summary,) = chat.send(text=PICTURE_MORE)
    assert "2. Seeing the Big Picture, Level 3" in summary.plain_text()
    store.close()


def test_stop_keeps_the_behaviours_answered_whole_and_says_so(chat: FakeAdapter) -> None:
    chat.send(text=ADVERT)
    chat.send(text=PACE)
    chat.send(text=PACE_MORE)
    chat.send(text=PICTURE)  # the second answer, its follow-up not answered: half-said
    (stopped,) = chat.send(text="stop")
    body = stopped.plain_text()
    assert "You stopped the interview: the behaviour answered in full is kept below" in body
    assert "an answer in progress was not kept" in body
    assert "1 of 2 behaviours answered" in body
    assert "1. Delivering at Pace, Level 3: band" in body
    assert "Seeing the Big Picture, Level 3:" not in body
    assert "mock" not in state(chat)
    kept = state(chat)["mocked"]
    assert kept["answers"][0] and len(kept["answers"]) == 1 and kept["follow_ups"][1:] == []
    (nothing,) = chat.send(text=PICTURE_MORE)  # no question waits: not an answer
    assert "mocked" in state(chat) and not nothing.title.startswith("Mock interview")


def test_stop_before_any_whole_answer_keeps_nothing(chat: FakeAdapter) -> None:
    chat.send(text=ADVERT)
    chat.send(text=PACE)
    (stopped,) = chat.send(text="mock stop")
    assert "nothing was kept" in stopped.plain_text()
    assert [c.command for c in stopped.choices] == ["mock again interview 1", "drafts"]
    (again,) = chat.send(action="mock again interview 1")
    assert again.title == "Mock interview: 2 questions"


def test_skip_back_help_and_non_answers(chat: FakeAdapter) -> None:
    chat.send(text=ADVERT)
    hint, again = chat.send(text="back")
    assert "nothing before this question" in hint.plain_text()
    assert "Answer in one message, as you would aloud to the panel." in again.plain_text()
    help_, again = chat.send(text="help")
    assert "mock interview" in help_.plain_text() and again.title == Q1
    for typed in ("I don't know", "pass", "Sorry, I can't think of one right now"):
        hint, again = chat.send(text=typed)
        assert "Take a moment" in hint.plain_text() and again.title == Q1
    (long,) = chat.send(text="word " * 2001)
    assert "2,001 words" in long.plain_text() and "up to 2,000" in long.plain_text()
    assert state(chat)["mock"]["answers"] == []  # nothing filed
    (second,) = chat.send(text="skip")  # no answer, so no follow-up: the next question
    assert second.title.startswith("Mock interview, question 2 of 2")
    chat.send(text=PICTURE)
    hint, again = chat.send(text="back")  # the question again, to answer anew
    assert "replaces the one before" in hint.plain_text()
    assert again.title.startswith("Mock interview, question 2 of 2: Seeing")
    chat.send(text=PICTURE)
    (long,) = chat.send(text="word " * 1980)  # with the answer, over the limit
    assert (
        "your answer would be 2,01" in long.plain_text() and "did not take it" in long.plain_text()
    )
    (summary,) = chat.send(text="skip")  # the follow-up passed
    body = summary.plain_text()
    assert "1. Delivering at Pace, Level 3: skipped" in body and "No answer was given." in body
    assert "2. Seeing the Big Picture, Level 3: band" in body
    # the weakest to practise again is the one skipped
    assert "practice civil-service/delivering-at-pace/3" in [c.command for c in summary.choices]
    assert "mock save 1" not in [c.command for c in summary.choices]


def test_a_lookup_or_a_command_typed_mid_interview_is_never_the_answer(
    chat: FakeAdapter,
) -> None:
    chat.send(text=ADVERT)
    (asked,) = chat.send(text="seeing the big picture")
    assert asked.plain_text().startswith("Save this as your answer, or look it up?")
    assert "your answer to “the question”" in asked.plain_text()
    lookup, again = chat.send(text="/behaviour leadership level 5")
    assert lookup.title == "Leadership: Level 5"
    assert again.title == Q1
    listed, again = chat.send(text="drafts")
    assert listed.title == "Your drafts" and again.title == Q1
    (again,) = chat.send(text="mock")  # the question waiting, again
    assert again.title == Q1
    assert state(chat)["mock"]["answers"] == []
    chat.send(text=PACE)
    left, practice = chat.send(text="practice leadership level 4")  # another job instead
    assert "The mock interview has stopped" in left.plain_text()
    assert practice.title == "Practice question: Leadership, Level 4"
    assert "mock" not in state(chat) and "practice" in state(chat)


def test_what_read_as_a_lookup_is_the_answer_after_all_on_yes(chat: FakeAdapter) -> None:
    chat.send(text=ADVERT)
    chat.send(text="seeing the big picture")  # asked about first
    (follow_up,) = chat.send(text="yes")
    assert follow_up.title == "Mock interview, question 1 of 2: a follow-up"
    assert state(chat)["mock"]["answers"][0]


def test_one_behaviour_in_free_words_none_and_too_many(chat: FakeAdapter) -> None:
    (which,) = chat.send(text="mock")
    assert which.title == "A mock interview"
    assert "mock civil-service/delivering-at-pace/3" in which.plain_text()
    (level,) = chat.send(text="mock leadership")
    assert level.title == "A mock interview: Leadership"
    assert level.choices[3].command == "mock civil-service/leadership/4"
    (one,) = chat.send(action=level.choices[3].command)
    assert one.title == "Mock interview: 1 question"
    assert "a question on Leadership (Level 4)" in one.plain_text()
    (free,) = chat.send(text="mock leadership level 4")
    assert free.title == "Mock interview: 1 question"
    behaviours = chat.bot.lookup.index.by_id["civil-service"].behaviours
    paths = [f"civil-service/{b.id}/3" for b in behaviours]
    (many,) = chat.send(text="mock " + " ".join(paths[:7]))
    assert "up to 6 behaviours, and that names 7" in many.plain_text()
    (twice,) = chat.send(text=f"mock {paths[0]} {paths[1]} {paths[0]}")  # duplicates once
    assert twice.title == "Mock interview: 2 questions"
    (unknown,) = chat.send(text="mock civil-service/nonsense/3 civil-service/leadership/3")
    assert "I could not tell which behaviour and level" in unknown.plain_text()
    assert "no question was asked" in unknown.plain_text()


def test_save_an_answer_as_a_draft_once_and_run_it_again(chat: FakeAdapter) -> None:
    store = chat.bot.store
    (opening,) = chat.send(text=ADVERT)
    chat.send(text=PACE)
    chat.send(text=PACE_MORE)
    chat.send(text=PICTURE)
    chat.send(text=PICTURE_MORE)
    saved, opened = chat.send(action="mock save 1")
    assert saved.plain_text().startswith("Saved your mock interview answer as draft 1")
    assert opened.title == "Draft 1: Delivering at Pace, Level 3"
    parts = store.draft(chat.user, 1)["parts"]
    assert parts["result"].endswith(PACE_MORE)  # with what the follow-up added
    assert "I set weekly priorities" in parts["action"]
    (again,) = chat.send(text="mock save 1")  # typed again: no second draft
    assert "saved already, as draft 1" in again.plain_text()
    assert [d["number"] for d in store.drafts(chat.user)] == [1]
    (asked,) = chat.send(text="mock again")  # answer 2 is not saved: asked first
    assert asked.title == "Run the mock again?"
    assert "Answer 2 (Seeing the Big Picture) of your last mock interview is not saved" in (
        asked.plain_text()
    )
    assert [c.command for c in asked.choices] == [
        "mock again confirm interview 1",
        "mock save 2 interview 1",
    ]
    assert "mocked" in state(chat) and "mock" not in state(chat)  # nothing thrown away yet
    (rerun,) = chat.send(text="1")
    assert rerun.title == "Mock interview: 2 questions"
    # the next of each level's indicators: another question than the first time
    assert question_of(rerun) != question_of(opening)


def test_an_old_skip_button_skips_nothing_newer(chat: FakeAdapter) -> None:
    (opening,) = chat.send(text=ADVERT)
    skip = opening.choices[0].command
    assert skip == "mock skip 1 interview 1"
    chat.send(text=PACE)
    old, again = chat.send(action=skip)
    assert "nothing was skipped" in old.plain_text()
    assert again.title == "Mock interview, question 1 of 2: a follow-up"
    assert len(state(chat)["mock"]["answers"]) == 1


def test_a_double_delivered_answer_is_recorded_once(chat: FakeAdapter) -> None:
    chat.send(text=ADVERT)
    (follow_up,) = chat.send(text=PACE, event_id="answer-1")
    assert follow_up.title == "Mock interview, question 1 of 2: a follow-up"
    assert chat.send(text=PACE, event_id="answer-1") == []  # delivered: not again
    assert len(state(chat)["mock"]["answers"]) == 1
    (next_,) = chat.send(text=PACE_MORE)
    assert next_.title.startswith("Mock interview, question 2 of 2")


def test_only_in_private(chat: FakeAdapter) -> None:
    event = Event(user=chat.user, conversation="console:local:channel", text=ADVERT, private=False)
    (refused,) = chat.bot.handle(event)
    assert "in private" in refused.plain_text()


@pytest.mark.parametrize("typed", ["no", "n/a", "-"])
def test_words_that_pass_a_question_pass_it(chat: FakeAdapter, typed: str) -> None:
    chat.send(text=ADVERT)
    (second,) = chat.send(text=typed)
    assert second.title.startswith("Mock interview, question 2 of 2")
    assert texts([second]).count("Review") == 0


# ---- in the terminal: `behaviourbot chat`, its lines piped -------------------------------


def test_a_whole_mock_in_the_terminal_chat(tmp_path: Path) -> None:
    from ..test_console import chat as terminal

    done = terminal(tmp_path, "\n".join([ADVERT, PACE, PACE_MORE, PICTURE, PICTURE_MORE, ""]))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Mock interview: 2 questions\n")
    assert "  1. Skip this question\n  2. How the mock interview works\n" in out
    assert out.count("Mock interview, question 1 of 2: a follow-up") == 1
    assert out.count("Mock interview, question 2 of 2: a follow-up") == 1
    summary = out.split("Mock interview: your summary\n", 1)[1]
    assert "1. Delivering at Pace, Level 3: band" in summary
    assert "2. Seeing the Big Picture, Level 3: band" in summary
    assert "  4. Run the mock again" in summary
    assert "Review:" not in out  # no review, only the summary


def test_a_restart_and_stop_in_the_terminal_chat(tmp_path: Path) -> None:
    from ..test_console import chat as terminal

    first = terminal(tmp_path, "\n".join([ADVERT, PACE, PACE_MORE, ""]))
    assert first.stdout.rstrip().endswith("3. Stop the interview")
    # a new process: the next line answers the question the last one asked
    second = terminal(tmp_path, "\n".join([PICTURE, "stop", ""]))
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("Mock interview, question 2 of 2: a follow-up\n")
    stopped = second.stdout.split("Mock interview: your summary\n", 1)[1]
    assert "You stopped the interview: the behaviour answered in full is kept below" in stopped
    assert "1. Delivering at Pace, Level 3: band" in stopped
    assert "Seeing the Big Picture" not in stopped
    third = terminal(tmp_path, "1\n")  # the summary's first choice, by its number
    assert third.stdout.startswith("Saved your mock interview answer as draft 1")
