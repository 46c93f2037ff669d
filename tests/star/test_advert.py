"""Preparing from a job advert, through the real core (the fake adapter): each behaviour at
the advert's grade, the person's own drafts against them, and what to do next."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FixedClock
from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store

from ..conftest import FakeAdapter, text_of

ADVERTS = Path(__file__).parent.parent / "lookup" / "adverts"
HEO = (ADVERTS / "cs_heo_inline.txt").read_text()
NO_GRADE = (ADVERTS / "cs_no_grade.txt").read_text()
LEADERSHIP = {
    "situation": "Our data team of six was moving to a new case system in three months.",
    "task": "I was asked to keep the service running through the move.",
    "action": "I set out a plan with clear priorities, I explained to each colleague what the"
    " change meant for their work, I listened to their concerns and I coached two new"
    " analysts so that the whole team could adapt and deliver the change on time.",
    "result": "We moved two weeks early; 95% of users rated the service good, and the"
    " director adopted the plan for two other teams.",
    "learned": "",
}


def draft(store: Store, owner: str, behaviour: str, level: str, parts: dict[str, str]) -> int:
    with store.transaction():
        return store.create_draft(
            owner, framework="civil-service", behaviour=behaviour, level=level, parts=parts
        )


def test_an_advert_shows_each_behaviour_at_its_grade_with_the_mock_interview(
    chat: FakeAdapter,
) -> None:
    reply = chat.say("advert " + HEO)
    body = text_of(reply)
    assert reply.title == "From the advert: 4 behaviours at Level 3"
    for name in ("Delivering at Pace", "Seeing the Big Picture", "Making Effective Decisions"):
        assert f"{name}: Level 3" in body  # the lookup's own heading, at the grade's level
    assert "Take responsibility for delivering timely and quality results" in body
    assert "Level 3 (HEO and SEO or equivalent)" in body
    assert "Leadership" not in body.split("Your drafts")[1]  # only the advert's behaviours
    assert "Working Together: no draft yet" in body
    commands = [c.command for c in reply.choices]
    assert commands[:4] == [
        "prep civil-service/delivering-at-pace/3",
        "prep civil-service/seeing-the-big-picture/3",
        "prep civil-service/making-effective-decisions/3",
        "prep civil-service/working-together/3",
    ]
    assert reply.choices[-1].label == "Mock interview"
    assert reply.choices[-1].command == (
        "mock civil-service/delivering-at-pace/3 civil-service/seeing-the-big-picture/3"
        " civil-service/making-effective-decisions/3 civil-service/working-together/3"
    )
    assert "Policy Adviser" not in body and "£36,400" not in body  # never the advert echoed


def test_the_matrix_reviews_only_the_persons_own_drafts_at_the_grade(
    frameworks: list[Framework], store: Store
) -> None:
    alice, bob = (
        FakeAdapter(Bot(frameworks, store), "alice"),
        FakeAdapter(Bot(frameworks, store), "bob"),
    )
    draft(store, bob.user, "delivering-at-pace", "3", LEADERSHIP)  # bob's: never alice's
    mine = draft(store, alice.user, "leadership", "4", LEADERSHIP)
    started = draft(store, alice.user, "working-together", "3", {"situation": "A move."})
    reply = alice.say(
        "advert Grade: SEO\nWe'll assess you against these behaviours:\n"
        "• Leadership\n• Working Together\n• Changing and Improving\n• Delivering at Pace"
    )
    rows = next(b for b in reply.blocks if b.kind == "bullets").items
    assert rows[0].startswith(f"Leadership: draft {mine} (written for Level 4), band ")
    assert rows[1] == (f"Working Together: draft {started}, not written yet: next, the Task")
    # no draft for it, but alice's leadership example shows some of it: to adapt
    assert rows[2].startswith(
        f"Changing and Improving: no draft yet; draft {mine} (written for Leadership) reads"
        " against it as band "
    )
    assert rows[3].startswith("Delivering at Pace: no draft yet")  # bob's draft is his
    commands = {c.label: c.command for c in reply.choices}
    assert commands[f"Adapt draft {mine} to Changing and Improving"] == (
        f"draft {mine} duplicate civil-service/changing-and-improving/3"
    )
    assert "Start Leadership" not in commands and "Start Working Together" not in commands
    adapted = alice.send(action=commands[f"Adapt draft {mine} to Changing and Improving"])
    assert f"Copied draft {mine} to draft 3, for Changing and Improving at Level 3" in text_of(
        adapted[0]
    )
    copied = store.draft(alice.user, 3)
    assert copied is not None and copied["behaviour"] == "changing-and-improving"
    assert copied["parts"] == store.draft(alice.user, mine)["parts"]  # type: ignore[index]


def test_an_advert_without_a_grade_asks_and_a_restart_keeps_its_behaviours(
    frameworks: list[Framework], tmp_path: Path, clock: FixedClock
) -> None:
    store = Store.open(tmp_path / "bot.db", clock)
    chat = FakeAdapter(Bot(frameworks, store))
    asked = chat.say("advert " + NO_GRADE)
    assert asked.title == "Which grade is the job?"
    assert "Working Together, Developing Self and Others, Delivering at Pace" in text_of(asked)
    assert [c.command for c in asked.choices] == [
        f"advert level civil-service/{n}" for n in range(1, 7)
    ]
    state = store.state(chat.user, chat.user)
    assert state["advert"]["behaviours"] == [
        "working-together",
        "developing-self-and-others",
        "delivering-at-pace",
    ]
    store.close()
    # the process starts again: the advert and the question are still there
    store = Store.open(tmp_path / "bot.db", clock)
    chat = FakeAdapter(Bot(frameworks, store))
    shown = chat.say("2")
    assert shown.title == "From the advert: 3 behaviours at Level 2"
    assert "advert" not in store.state(chat.user, chat.user)
    again = chat.say("advert level 2")  # answered already: the advert has gone
    assert again.title == "That advert has gone"
    store.close()


def test_the_grade_may_be_typed_and_a_wrong_one_asks_again(chat: FakeAdapter) -> None:
    chat.say("advert " + NO_GRADE)
    wrong = chat.say("advert level grade 99")
    assert "“grade 99” is not one of the levels below" in text_of(wrong)
    assert chat.say("advert level HEO").title == "From the advert: 3 behaviours at Level 3"


def test_a_dhs_advert_asks_for_the_level_of_performance(chat: FakeAdapter) -> None:
    asked = chat.say("advert " + (ADVERTS / "dhs_ses.txt").read_text())
    assert asked.title == "Which level of performance?"
    assert [c.label for c in asked.choices] == ["Achieved Excellence", "Achieved Expectations"]
    shown = chat.pick("Achieved Expectations")
    assert shown.title == "From the advert: 4 competencies at Achieved Expectations"
    assert shown.choices[-1].command.startswith("mock dhs-ses/principled/expectations ")


def test_no_behaviour_found_says_what_was_looked_for(chat: FakeAdapter) -> None:
    reply = chat.say("advert " + (ADVERTS / "no_behaviours.txt").read_text())
    assert reply.title == "No behaviours found in the advert"
    assert "We'll assess you against these behaviours" in text_of(reply)
    assert "prep leadership level 4" in text_of(reply)
    assert "Forklift" not in text_of(reply)
    assert chat.say("advert").title == "Prepare from a job advert"


def test_a_pasted_advert_is_an_advert_without_the_command(chat: FakeAdapter) -> None:
    assert chat.say(HEO).title == "From the advert: 4 behaviours at Level 3"


def test_an_advert_pasted_while_drafting_is_never_filed_as_the_answer(
    chat: FakeAdapter, store: Store
) -> None:
    chat.say("prep leadership level 4")
    # a Situation may quote an assessment list: asked about (not echoed), never filed
    asked = chat.say(HEO)
    assert text_of(asked).startswith("Save this as your answer, or read it as a job advert?")
    assert "Seeing the Big Picture" not in text_of(asked)
    assert store.draft(chat.user, 1)["parts"] == {}  # type: ignore[index]
    replies = chat.send(text="no")  # read it as the advert
    assert replies[0].title == "From the advert: 4 behaviours at Level 3"
    assert "Situation" in text_of(replies[-1])  # the draft's question again
    assert store.draft(chat.user, 1)["parts"] == {}  # type: ignore[index]
    assert store.state(chat.user, chat.user)["star"]["part"] == "situation"


def test_an_advert_is_answered_in_private_only(chat: FakeAdapter) -> None:
    from bot.types import Event

    event = Event(user="slack:T1:U1", conversation="slack:T1:C1", text=HEO, private=False)
    (reply,) = chat.bot.handle(event)
    assert reply.title == "Let's prepare in private"


def test_an_advert_pasted_while_a_360_request_is_built_asks_its_question_again(
    chat: FakeAdapter, store: Store
) -> None:
    asked = chat.say("360")
    replies = chat.send(text=HEO)
    assert replies[0].title == "From the advert: 4 behaviours at Level 3"
    assert replies[-1].title == asked.title  # the 360's question, waiting as it was
    assert "feedback" in store.state(chat.user, chat.user)


def test_a_grade_typed_alone_answers_which_grade_and_a_lookup_stays_one(
    chat: FakeAdapter,
) -> None:
    assert chat.say("advert " + NO_GRADE).title == "Which grade is the job?"
    assert chat.say("leadership").title.startswith("Leadership")  # a lookup, as ever
    assert chat.say("Grade 7").title == "From the advert: 3 behaviours at Level 4"
    assert chat.say("Grade 7").title != "From the advert: 3 behaviours at Level 4"  # gone
