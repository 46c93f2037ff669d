"""Attack and trial of issue 19's mock interview, report pictures and home additions:
each test here shows a defect found, and is expected to fail until it is fixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store

from .conftest import FakeAdapter
from .feedback.test_request import PEERS, answer, people, request
from .plans.test_flow import add_leadership
from .servers import wait_for
from .slack.test_feedback import ALICE, TEAM, Person, slack_server
from .star.test_mock import ADVERT, PACE, PACE_MORE, PICTURE, PICTURE_MORE

SLACK_ALICE = f"slack:{TEAM}:{ALICE}"
SLACK_DM = f"slack:{TEAM}:D{ALICE}"


def wait_for_reply(alice: Person, before: int) -> None:
    """Until the app has answered one more time (a DM is answered after Slack's ack)."""

    def answered() -> bool:
        return len(alice.fake.calls) > before

    wait_for(answered)


def said(alice: Person, text: str) -> dict:  # type: ignore[type-arg]
    before = len(alice.fake.calls)
    alice.say(text)
    wait_for_reply(alice, before)
    return alice.last()


def pressed(alice: Person, value: str) -> dict:  # type: ignore[type-arg]
    before = len(alice.fake.calls)
    alice.press(value)
    wait_for_reply(alice, before)
    return alice.last()


def test_an_old_summarys_save_button_never_saves_a_newer_interviews_answer(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, bot):
        alice = Person(url, fake, ALICE)
        said(alice, "mock civil-service/delivering-at-pace/3")
        said(alice, PACE)
        first = said(alice, PACE_MORE)
        save = alice.buttons(first)["Save answer 1 (Delivering at Pace) as a draft"]
        # a new interview, typed (the first summary stays in the DM with its buttons)
        said(alice, "mock civil-service/seeing-the-big-picture/3")
        said(alice, PICTURE)
        second = said(alice, PICTURE_MORE)
        assert "Seeing the Big Picture, Level 3: band" in str(second)
        pressed(alice, save)  # the first summary's button, labelled Delivering at Pace
        drafts = bot.store.drafts(SLACK_ALICE)
        # whatever it does (save the first answer, or say the button is old), it never
        # files the Seeing the Big Picture answer under a Delivering at Pace button
        assert all(d["behaviour"] != "seeing-the-big-picture" for d in drafts), drafts


def test_an_old_run_again_button_keeps_the_interview_under_way(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, bot):
        alice = Person(url, fake, ALICE)
        said(alice, "mock civil-service/delivering-at-pace/3")
        said(alice, PACE)
        first = said(alice, PACE_MORE)
        again = alice.buttons(first)["Run the mock again"]
        said(
            alice,
            "mock civil-service/seeing-the-big-picture/3 civil-service/delivering-at-pace/3",
        )
        said(alice, PICTURE)
        said(alice, PICTURE_MORE)  # question 1 and its follow-up answered: 2 waits
        assert len(bot.store.state(SLACK_ALICE, SLACK_DM)["mock"]["follow_answers"]) == 1
        pressed(alice, again)  # the first summary's button, still in the DM
        kept = bot.store.state(SLACK_ALICE, SLACK_DM)["mock"]
        assert kept["follow_answers"] == [PICTURE_MORE], kept


def test_progress_recorded_unasked_is_not_drawn_as_a_check_in_asked(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    add_leadership(alice)  # check-ins never turned on
    alice.send(text="plan progress")
    alice.send(text="Led the January planning day")
    alice.send(text="in progress")
    (view,) = alice.send(text="plan")
    said = view.plain_text()
    assert "In progress: 1 of 1" in said
    assert "asked so far" not in said and "Answered: 1 of 1" not in said, said


def test_i_do_not_know_gets_a_hint_in_a_mock_interview(chat: FakeAdapter) -> None:
    chat.send(text="mock leadership level 4")
    replies = chat.send(text="I do not know")
    body = "\n".join(r.plain_text() for r in replies)
    assert "a follow-up" not in body
    assert "Take a moment" in body  # the hint, and the question again


@pytest.mark.parametrize(
    "typed",
    ["I do not know", "do not know.", "I really don't know", "I have no clue", "I am not sure"],
)
@pytest.mark.parametrize("command", ["prep", "practice", "mock"])
def test_a_non_answer_in_other_words_is_never_taken_as_the_answer(
    chat: FakeAdapter, store: Store, command: str, typed: str
) -> None:
    """Drafting, practice and the mock share one reading of a non-answer: a hint and the
    question again, nothing saved or reviewed."""
    chat.send(text=f"{command} leadership level 4")
    replies = chat.send(text=typed)
    body = "\n".join(r.plain_text() for r in replies)
    assert "Nothing was saved" in body or "Take a moment" in body, body
    asked = replies[-1].plain_text()  # the question again
    assert "Situation" in asked or "Give me an example" in asked, asked
    assert typed not in json.dumps(store.state(chat.user, chat.user))
    assert typed not in json.dumps(store.drafts(chat.user))


def test_the_managers_markdown_export_is_worded_for_the_manager(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "dana")
    request(who["alice"], manager="dana")
    answer(who["bob"], "4", "2", "skip", "skip", "skip")
    answer(who["carol"], "3", "2", "skip", "skip", "skip")
    answer(who["dan"], "3", "2", "skip", "skip", "skip")
    who["alice"].send(text="360 close 1 confirm")
    (export,) = who["dana"].send(text="360 export 1 markdown")
    said = export.plain_text()
    assert "Picture\\: the peers' average" in said  # the manager's own picture
    assert "| You |" not in said and "your own rating" not in said, said


STORY = "I led a team of eight through a reorganisation and I held weekly drop-ins."


def test_a_mock_started_mid_360_answer_never_files_its_answer_in_the_360(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    bob.send(text="360 answer 1")
    bob.send(text="skip")  # consent: not given
    bob.send(text="4")  # Leadership rated: the example waits
    opening = bob.send(text="mock leadership level 4")
    assert opening[-1].title == "Mock interview: 1 question"
    bob.send(text=STORY)  # the answer to the interview question just shown
    answering = json.dumps(bot.store.state(bob.user, bob.user).get("answering", {}))
    assert STORY not in answering, answering


@pytest.mark.parametrize(
    ("command", "taken"),
    [
        ("mock leadership level 4", "a follow-up"),
        ("practice leadership level 4", "Your answer: Leadership"),
        ("prep leadership level 4", "Task"),
    ],
)
def test_a_draft_practice_or_mock_started_mid_360_answer_pauses_the_answer(
    frameworks: list[Framework], store: Store, command: str, taken: str
) -> None:
    """One question waits at a time: the 360 answer is paused as `stop` pauses it (said
    so), what is typed next answers the new question, and `360 answer 1` carries on."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    bob.send(text="360 answer 1")
    bob.send(text="skip")  # consent: not given
    bob.send(text="4")  # Leadership rated: the example waits
    started = "\n".join(r.plain_text() for r in bob.send(text=command))
    assert "Your answer to request 1 is paused" in started and "360 answer 1" in started
    assert "Request 1 from alice" not in started  # its question is not asked as well
    state = bot.store.state(bob.user, bob.user)
    assert "answering" not in state and "answering-paused" in state
    answered = "\n".join(r.plain_text() for r in bob.send(text=STORY))
    assert taken in answered, answered
    after = bot.store.state(bob.user, bob.user)
    assert STORY not in json.dumps(after["answering-paused"]), "filed in the 360"
    again = "\n".join(r.plain_text() for r in bob.send(text="360 answer 1"))
    assert "Leadership" in again and "example" in again.casefold(), again
    kept = bot.store.state(bob.user, bob.user)["answering"]
    assert kept["ratings"] == {"leadership": 4}, kept  # the rating given before is kept


def test_a_draft_started_while_a_360_request_is_built_pauses_the_request(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    alice.send(text="360 leadership level 4")
    alice.send(text="done")  # the people are asked for next
    started = "\n".join(r.plain_text() for r in alice.send(text="prep leadership level 4"))
    assert "Your 360 request is paused" in started and "`360`" in started, started
    state = bot.store.state(alice.user, alice.user)
    assert "feedback" not in state and "feedback-paused" in state
    alice.send(text=STORY)  # the Situation, never taken for people's names
    assert STORY in json.dumps(bot.store.drafts(alice.user))
    resumed = alice.send(text="360")
    assert "Whom should I ask?" in resumed[0].plain_text()  # taken up where it was


def test_practice_started_in_slack_while_a_360_request_is_built_pauses_it(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, bot):
        alice = Person(url, fake, ALICE)
        said(alice, "360 leadership level 4")
        before = len(alice.messages())
        alice.say("practice leadership level 4")
        wait_for(lambda: "Practice question" in str(alice.messages()[before:]))
        started = str(alice.messages()[before:])
        assert "Your 360 request is paused" in started, started
        state = bot.store.state(SLACK_ALICE, SLACK_DM)
        assert "feedback" not in state and "feedback-paused" in state
        answered = str(said(alice, STORY))
        assert "Your answer: Leadership" in answered, answered
        assert "practice" in bot.store.state(SLACK_ALICE, SLACK_DM)


def test_the_svg_stays_well_formed_whatever_a_frameworks_names_hold(tmp_path: Path) -> None:
    from xml.etree import ElementTree

    from bot.frameworks import load_file
    from bot.render import chart_svg
    from bot.types import Bar, BarGroup, Chart

    source = (Path(__file__).parent.parent / "frameworks" / "civil-service.toml").read_text()
    named = source.replace('name = "Leadership"', 'name = "Lead\\u000bership"', 1)
    assert named != source
    path = tmp_path / "civil-service.toml"
    path.write_text(named)
    name = next(b.name for b in load_file(path).behaviours if b.id == "leadership")
    assert name == "Lead\u000bership"  # the loader takes it
    drawn = Chart("Picture", 4, (BarGroup(name, (Bar("Peers", 3, "Usually (3)"),)),))
    ElementTree.fromstring(chart_svg(drawn))


def test_mock_again_typed_mid_interview_asks_before_starting_afresh(chat: FakeAdapter) -> None:
    chat.send(text=ADVERT)
    chat.send(text=PACE)
    chat.send(text=PACE_MORE)  # question 1 and its follow-up answered: 2 waits
    kept = chat.bot.store.state(chat.user, chat.user)["mock"]
    (asked,) = chat.send(text="mock again")
    assert asked.title == "Run the mock again?"
    assert "1 of 2 behaviours answered in full" in asked.plain_text()
    assert chat.bot.store.state(chat.user, chat.user)["mock"] == kept
    (carry_on,) = chat.send(text="no")
    assert carry_on.title == "Mock interview, question 2 of 2: Seeing the Big Picture, Level 3"
    chat.send(text="mock again")
    (afresh,) = chat.send(text="yes")
    assert afresh.title == "Mock interview: 2 questions"
    assert chat.bot.store.state(chat.user, chat.user)["mock"]["answers"] == []


def test_an_old_stop_button_never_stops_a_newer_interview(chat: FakeAdapter) -> None:
    (opening,) = chat.send(text="mock civil-service/delivering-at-pace/3")
    stop = next(c.command for c in opening.choices if c.label == "Stop the interview")
    chat.send(text=PACE)
    chat.send(text=PACE_MORE)  # the first interview is over
    chat.send(text=ADVERT)
    chat.send(text=PACE)
    old, again = chat.send(action=stop)
    assert "earlier mock interview, so nothing was done" in old.plain_text()
    assert again.title == "Mock interview, question 1 of 2: a follow-up"
    assert len(chat.bot.store.state(chat.user, chat.user)["mock"]["answers"]) == 1


SENTENCES = (
    "Drafts of the policy were late, so I rewrote the timetable with the two leads.",
    "Practice in our team was to wait for sign-off, which held every case for weeks.",
    "Prep for the audit took three weeks, and I was the one who had to lead it.",
    "Mock exams for the new starters had lapsed, so I set up a rota to run them again.",
)


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize("command", ["prep", "practice", "mock"])
def test_a_sentence_opening_with_a_command_word_is_the_answer_to_the_question_waiting(
    chat: FakeAdapter, store: Store, command: str, sentence: str
) -> None:
    """A sentence is not a command: longer than any command, it answers the question
    waiting (a Situation, a practice or mock question), as `Evidence showed …` does."""
    chat.send(text=f"{command} leadership level 4")
    replies = chat.send(text=sentence)
    said = "\n".join(r.plain_text() for r in replies)
    assert "Your drafts" not in said and "I could not tell which behaviour" not in said, said
    if command == "prep":
        assert store.draft(chat.user, 1)["parts"]["situation"] == sentence  # type: ignore[index]
        assert "Step 2 of 5: Task" in said
    elif command == "practice":
        assert replies[0].title == "Your answer: Leadership, Level 4", said
    else:
        assert replies[-1].title == "Mock interview, question 1 of 1: a follow-up", said
