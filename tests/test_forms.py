"""Forms asked one field at a time (the terminal), on the conversation engine: every
universal word at every step of a plan item and of an expectation, each answer checked
at its step, and a form stored before states were versioned, converted once."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from bot.expectations.store import ExpectationStore
from bot.forms import FormState
from bot.frameworks import Framework
from bot.plans.store import PlanStore
from bot.router import Bot
from bot.storage import Store, m015_people_in_states
from bot.types import Person

from .conftest import FakeAdapter
from .feedback.test_request import text

WORDS = ("help", "back", "stop", "cancel", "pause", "skip", "yes", "no", "keep")
NUMBERS = ("9", "2", "#2", "two")  # 9 is never on offer; 2 is, where there are choices
ALL = (*WORDS, *NUMBERS, "Mentoring")  # and a label of the plan's activities

# A plan item's steps, with an answer that passes each.
PLAN = (
    ("behaviour", "leadership level 5"),
    ("gap", "I rarely set direction for the team"),
    ("activity", "something else"),
    ("activity_other", "Shadow the regional director"),
    ("starts", "2027-01-04"),
    ("due", "2027-03-31"),
)
NEEDED = "This one is needed."
NOT_A_DATE = "I could not read that as a date"
NO_NUMBER = "A number on its own is not an answer here"
SAVED = "Added item 1."
STOPPED = "Nothing from that form is saved yet, but what you typed is kept"


def plan_outcome(step: str, said: str) -> tuple[str, str | None]:
    """What `said` at `step` of a plan item does: a phrase of the reply, and the step
    the form is at afterwards (None: the form is over)."""
    names = [name for name, _ in PLAN]
    following = names[names.index(step) + 1] if step != "due" else None
    if said == "help":
        return "You are answering a form", step
    if said == "back":
        if step == "behaviour":
            return "This is the first question", step
        return "Type keep to keep it", names[names.index(step) - 1]
    if said in ("stop", "cancel", "pause"):
        return STOPPED, None
    number = said in NUMBERS
    if step == "behaviour":
        if said in ("skip", "keep"):
            return NEEDED, step
        return (NO_NUMBER if number else "I could not tell which behaviour"), step
    if step == "gap":
        if said in ("skip", "keep"):
            return NEEDED, step
        return (NO_NUMBER, step) if number else ("How you will develop it", following)
    if step == "activity":
        if said in ("skip", "keep"):
            return NEEDED, step
        if said in ("yes", "no"):
            return "Pick one of these", step
        if said == "9":
            return "That number is not one of these", step
        return "Start date", "starts"  # 2, #2, two (an assignment) or a label: picked
    if step == "activity_other":
        if said in ("skip", "keep", "no"):
            return NEEDED, step  # optional on a form on screen, needed for something else
        return (NO_NUMBER, step) if number else ("Start date", following)
    if said in ("skip", "keep", "no"):  # the dates are optional
        return (SAVED, None) if step == "due" else ("Review or end date", following)
    return NOT_A_DATE, step


def at_plan_step(alice: FakeAdapter, step: str) -> None:
    alice.send(text="plan add")
    for name, answer in PLAN:
        if name == step:
            return
        alice.send(text=answer)


def form_of(store: Store, who: FakeAdapter) -> FormState | None:
    return FormState.of(store.state(who.user, who.user))


@pytest.mark.parametrize("said", ALL)
@pytest.mark.parametrize("step", [name for name, _ in PLAN])
def test_every_word_at_every_step_of_a_plan_item(
    frameworks: list[Framework], store: Store, step: str, said: str
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    at_plan_step(alice, step)
    before = form_of(store, alice)
    assert before is not None and before.ask[before.at] == step
    reply = text(alice.send(text=said))
    phrase, then = plan_outcome(step, said)
    assert phrase in reply
    after = form_of(store, alice)
    if then is None:
        assert after is None
        assert len(PlanStore(store).items(1)) == (1 if phrase == SAVED else 0)
        return
    assert after is not None and after.ask[after.at] == then
    answered = {k: v for k, v in before.values.items() if k != step}
    assert {k: after.values[k] for k in answered} == answered  # nothing typed is lost
    if then == step and said not in ("help", "back"):
        assert after.typed == said  # refused: what was typed is kept, and shown
        assert f"You typed: {said}" in reply
    if said in ("2", "#2", "two") and step == "activity":
        assert after.values["activity"] == "assignment"
    if said == "Mentoring" and step == "activity":
        assert after.values["activity"] == "mentoring"


# An expectation's steps (dan for bob, whom he has named with the command).
EXPECTATION = (
    ("kind", "competency"),
    ("text", "Lead the team through the reorganisation"),
    ("competency", "leadership level 4"),
    ("starts", "2027-01-04"),
    ("due", "in 3 months"),
)


def expectation_outcome(step: str, said: str) -> tuple[str, str | None]:
    names = [name for name, _ in EXPECTATION]
    following = names[names.index(step) + 1] if step != "due" else None
    if said == "help":
        return "You are answering a form", step
    if said == "back":  # before the kind: whom it is for, given with the command
        return "Type keep to keep it", names[names.index(step) - 1] if names.index(
            step
        ) else "employee"
    if said in ("stop", "cancel", "pause"):
        return STOPPED, None
    number = said in NUMBERS
    if step == "kind":
        if said in ("skip", "keep"):
            return NEEDED, step
        if said in ("yes", "no", "Mentoring"):
            return "Pick one of these", step
        if said == "9":
            return "That number is not one of these", step
        return "What is expected", "text"  # a work requirement
    if step == "text":
        if said in ("skip", "keep"):
            return NEEDED, step
        return (NO_NUMBER, step) if number else ("For a competency", "competency")
    if step == "competency":
        if said in ("skip", "keep", "no"):
            return "Name the behaviour and level to demonstrate", step
        if number:
            return NO_NUMBER, step
        return "Name a behaviour and its level", step
    if said in ("skip", "keep", "no"):
        return ("Expectation 1: for bob", None) if step == "due" else ("By (optional)", following)
    return NOT_A_DATE, step


@pytest.mark.parametrize("said", ALL)
@pytest.mark.parametrize("step", [name for name, _ in EXPECTATION])
def test_every_word_at_every_step_of_an_expectation(
    frameworks: list[Framework], store: Store, step: str, said: str
) -> None:
    bot = Bot(frameworks, store)
    dan, bob = FakeAdapter(bot, "dan"), FakeAdapter(bot, "bob")
    with store.transaction():
        ExpectationStore(store).manager_event(dan.user, bob.user, "confirmed", bob.user)
    dan.send(text="expectations bob")
    for name, answer in EXPECTATION:
        if name == step:
            break
        dan.send(text=answer)
    before = form_of(store, dan)
    assert before is not None and before.ask[before.at] == step
    reply = text(dan.send(text=said))
    phrase, then = expectation_outcome(step, said)
    assert phrase in reply
    after = form_of(store, dan)
    if then is None:
        assert after is None
        assert len(ExpectationStore(store).between(dan.user)) == (phrase != STOPPED)
        return
    assert after is not None and after.ask[after.at] == then
    assert after.values["employee"] == bob.user  # named with the command, and kept


def test_a_wrong_answer_is_refused_at_its_step_with_what_was_typed(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="plan add")
    refused = text(alice.send(text="leadership level 9"))
    assert "Add to your plan: 1 of 5" in refused
    assert "Please check:" in refused and "You typed: leadership level 9" in refused
    # keep: a refused answer is never kept (nor taken on to the end of the form)
    assert "This one is needed." in text(alice.send(text="keep"))
    asked = text(alice.send(text="leadership level 5"))
    assert "Add to your plan: 2 of 5" in asked
    # back keeps what was typed: it is offered to keep
    again = text(alice.send(text="back"))
    assert "Now: leadership level 5. Type keep to keep it." in again
    assert "Add to your plan: 2 of 5" in text(alice.send(text="keep"))


def test_dates_are_read_in_the_speakers_zone(frameworks: list[Framework], store: Store) -> None:
    """10:00 UTC on 4 March is already 5 March in Auckland: `today` is the 5th there."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    with store.transaction():
        store.conn.execute(
            "INSERT INTO people (identity, name, tz_name, updated_at) VALUES (?, ?, ?, ?)",
            [alice.user, "alice", "Pacific/Kiritimati", store.stamp()],
        )
    alice.send(text="plan add leadership level 5")
    for typed in ("I rarely set direction", "training", "today"):
        alice.send(text=typed)
    alice.send(text="skip")
    (item,) = PlanStore(store).items(1)
    assert item["starts"] == "2026-03-05"


def test_a_form_stored_before_versions_is_converted_once(
    frameworks: list[Framework], store: Store, tmp_path: Path
) -> None:
    """A form stored in the old shape (no version, no refused answer) is converted by
    the migration, and goes on from where it was."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="plan add leadership level 5")
    stored = store.state(alice.user, alice.user)
    old = {k: v for k, v in stored["filling"].items() if k not in ("v", "typed", "why")}
    with store.transaction():
        store.save_state(alice.user, alice.user, dict(stored, filling=old))
        store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm014_form_states'")
    reopened = Store.open(tmp_path / "bot.db", store.clock)
    try:
        assert "m014_form_states" in reopened.applied_migrations()
        filling = reopened.state(alice.user, alice.user)["filling"]
        assert filling["v"] == FormState.VERSION and filling["typed"] == ""
        row = reopened.conn.execute("SELECT state FROM conversations").fetchone()
        assert json.loads(row[0])["filling"]["ask"] == old["ask"]
        bob = FakeAdapter(Bot(frameworks, reopened), "alice")
        assert "How you will develop it" in text(bob.send(text="I rarely set direction"))
    finally:
        reopened.close()


def test_a_form_kept_with_its_people_as_a_mapping_is_converted_once(
    frameworks: list[Framework], store: Store
) -> None:
    """A form kept at version 1 named its people in a mapping of identity to name: the
    migration m015_people_in_states makes them `Person`s, and the form goes on with the
    names it was given."""
    bot = Bot(frameworks, store)
    dan, bob = FakeAdapter(bot, "dan"), FakeAdapter(bot, "bob")
    with store.transaction():
        ExpectationStore(store).manager_event(dan.user, bob.user, "confirmed", bob.user)
    dan.send(text="expectations bob")
    for _, answer in EXPECTATION[:-1]:
        dan.send(text=answer)
    stored = store.state(dan.user, dan.user)
    old = dict(stored["filling"], v=1, people={bob.user: "Bob Smith"})
    with store.transaction():
        store.save_state(dan.user, dan.user, dict(stored, filling=old))
        m015_people_in_states(store.db)
        m015_people_in_states(store.db)  # once converted, a row is left as it is
    converted = store.state(dan.user, dan.user)["filling"]
    assert converted["v"] == FormState.VERSION == 2
    assert converted["people"] == [asdict(Person(bob.user, "Bob Smith"))]
    filling = form_of(store, dan)
    assert filling is not None and filling.people == [Person(bob.user, "Bob Smith")]
    assert "Expectation 1: for Bob Smith" in text(dan.send(text="skip"))
    (kept,) = ExpectationStore(store).between(dan.user)
    assert kept["employee_name"] == "Bob Smith"


def test_a_name_typed_for_a_person_is_kept_as_a_person(
    frameworks: list[Framework], store: Store
) -> None:
    """Someone named in the terminal is kept in the form's state as a `Person`, and
    shown by that name when the field is asked again."""
    bot = Bot(frameworks, store)
    dan, bob = FakeAdapter(bot, "dan"), FakeAdapter(bot, "bob")
    with store.transaction():
        ExpectationStore(store).manager_event(dan.user, bob.user, "confirmed", bob.user)
    dan.send(text="expectations bob")
    dan.send(text="back")
    dan.send(text="bob")
    filling = form_of(store, dan)
    assert filling is not None and filling.people == [Person(bob.user, "bob")]
    assert "bob" in text(dan.send(text="back"))


def test_a_command_typed_as_an_answer_is_asked_about_and_yes_saves_it(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="plan add leadership level 5")
    asked = text(alice.send(text="leadership level 4"))
    assert "Save this as your answer, or look it up?" in asked
    assert "your answer to “The gap, in a sentence”" in asked
    assert "How you will develop it" in text(alice.send(text="yes"))
    filling = form_of(store, alice)
    assert filling is not None and filling.values["gap"] == "leadership level 4"
    # a command of its own is answered, and the form waits with its question again
    answered = text(alice.send(text="plan item 1"))
    assert "Your plan has no item 1" in answered and "How you will develop it" in answered
    assert form_of(store, alice) is not None
    # another form instead leaves this one, saying so
    left = text(alice.send(text="expectations @bob"))
    assert "was left unfinished, and nothing from it was saved" in left


@pytest.mark.parametrize("said", ALL)
@pytest.mark.parametrize(
    "command", ["plan mentor", "plan comment", "plan progress", "plan progress+status"]
)
def test_every_word_at_the_other_forms_of_a_plan(
    frameworks: list[Framework], store: Store, command: str, said: str
) -> None:
    """The mentor, a comment, a check-in's progress and its status: each word means the
    same as in an item's form, and nothing ends in an error."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    for typed in ("plan add leadership level 5", "I rarely set direction", "training"):
        alice.send(text=typed)
    alice.send(text="skip")
    alice.send(text="skip")
    alice.send(text=command.partition("+")[0])
    if command.endswith("+status"):
        alice.send(text="Led the planning day")  # on to the status
    before = form_of(store, alice)
    assert before is not None
    step = before.ask[before.at]
    reply = text(alice.send(text=said))
    assert "went wrong" not in reply
    after = form_of(store, alice)
    if said == "help":
        assert "You are answering a form" in reply and after == before
    elif said in ("stop", "cancel", "pause"):
        assert STOPPED in reply and after is None
    elif said == "back" and before.at == 0:
        assert "This is the first question" in reply and after is not None
    elif command == "plan mentor" and said in ("yes", "no"):
        assert "Name one person" in reply and after is not None  # never a name
        assert after.typed == said
    elif after is not None and after.ask[after.at] == step and said != "back":
        assert after.typed == said and f"You typed: {said}" in reply  # refused, and shown


def test_a_field_asked_only_for_another_answer_is_never_called_optional(
    frameworks: list[Framework], store: Store
) -> None:
    """A second new user's trial: an assignment's standard said "Optional: type skip"
    and then refused the skip. Asked only for an assignment, it is needed there."""
    bot = Bot(frameworks, store)
    dan, bob = FakeAdapter(bot, "dan"), FakeAdapter(bot, "bob")
    with store.transaction():
        ExpectationStore(store).manager_event(dan.user, bob.user, "confirmed", bob.user)
    dan.send(text="expectations bob")
    asked = text(dan.send(text="A particular assignment"))
    asked = text(dan.send(text="Clear the appeals backlog"))
    assert "For an assignment" in asked and "Optional" not in asked


def test_a_stopped_form_carries_on_where_it_was_left(
    frameworks: list[Framework], store: Store
) -> None:
    """`stop` keeps what was typed (nothing is saved until the last answer): the form's
    command carries on with it; a form for something else starts afresh."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="plan add leadership level 5")
    alice.send(text="I rarely set direction")
    stopped = text(alice.send(text="stop"))
    assert "plan add carries on where you left it" in stopped
    plan = PlanStore(store).plan_of(alice.user)
    assert form_of(store, alice) is None and (
        plan is None or not PlanStore(store).items(plan["id"])
    )
    carried = text(alice.send(text="plan add"))
    assert "where you left it" in carried and "How you will develop it" in carried
    filling = form_of(store, alice)
    assert filling is not None and filling.values["gap"] == "I rarely set direction"
    alice.send(text="stop")
    fresh = text(alice.send(text="plan add delivering at pace level 4"))
    assert "where you left it" not in fresh  # another behaviour: a new form
