"""The conversation engine: the same words mean the same thing at every step."""

from __future__ import annotations

import pytest

from bot.engine import (
    Option,
    StaleState,
    Step,
    Typed,
    Word,
    following,
    number_of,
    numbers_of,
    pick,
    previous,
    read,
    upgrade,
    upgraded,
    upgrades,
    word_of,
)
from bot.storage import Store, upgrade_flow_states

LEVELS = [Option(f"Level {n}", str(n), (f"l{n}",)) for n in range(1, 7)]
BEHAVIOURS = [
    Option("Seeing the Big Picture", "big-picture"),
    Option("Changing and Improving", "changing"),
    Option("Making Effective Decisions", "decisions"),
    Option("Leadership", "leadership"),
    Option("Communicating and Influencing", "communicating"),
    Option("Working Together", "together", ("teamwork",)),
]


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("help", Word.HELP),
        ("Help!", Word.HELP),
        ("?", Word.HELP),
        ("back", Word.BACK),
        ("Go back.", Word.BACK),
        ("stop", Word.STOP),
        ("cancel", Word.STOP),
        ("PAUSE", Word.STOP),
        ("quit", Word.STOP),
        ("skip", Word.SKIP),
        ("-", Word.SKIP),
        ("n/a", Word.SKIP),
        ("yes", Word.YES),
        ("Yes!", Word.YES),
        ("ok", Word.YES),
        ("no", Word.NO),
        ("Nope.", Word.NO),
        ("keep", Word.KEEP),
        ("stop the project", None),
        ("help the team", None),
        ("yes, I led it", None),
        ("", None),
    ],
)
def test_the_universal_words(typed: str, word: Word | None) -> None:
    assert word_of(typed) == word


@pytest.mark.parametrize(
    ("typed", "number"),
    [("2", 2), ("2.", 2), ("(2)", 2), ("#2", 2), ("no. 2", 2), ("two", 2), ("second", 2)],
)
def test_a_number_however_it_is_typed(typed: str, number: int) -> None:
    assert number_of(typed) == number


def test_several_numbers_at_once() -> None:
    assert numbers_of("4, 9") == [4, 9]
    assert numbers_of("4 and 9") == [4, 9]
    assert numbers_of("#4 #9") == [4, 9]
    assert numbers_of("two, three") == [2, 3]
    assert numbers_of("4 people") is None
    assert numbers_of("31/03/2027") is None  # a date, not three choices
    assert numbers_of("31.03.2027") is None and numbers_of("2027-03-31") is None
    assert numbers_of("") is None


def test_a_choice_by_number_or_label() -> None:
    assert pick("4", LEVELS).values == ("4",)  # type: ignore[union-attr]
    assert pick("four", LEVELS).values == ("4",)  # type: ignore[union-attr]
    assert pick("level 4", LEVELS).values == ("4",)  # type: ignore[union-attr]
    assert pick("l4", LEVELS).values == ("4",)  # type: ignore[union-attr]
    assert pick("leader", BEHAVIOURS).values == ("leadership",)  # type: ignore[union-attr]
    assert pick("teamwork", BEHAVIOURS).values == ("together",)  # type: ignore[union-attr]
    assert pick("9", LEVELS) == pick("9", LEVELS)
    assert pick("9", LEVELS).problem == "not-offered"  # type: ignore[union-attr]
    assert pick("4, 5", LEVELS).problem == "one-only"  # type: ignore[union-attr]
    assert pick("level", LEVELS).problem == "unclear"  # type: ignore[union-attr]
    assert pick("I led the team through it", BEHAVIOURS) is None  # free text


def test_several_choices_at_once() -> None:
    assert pick("4, 6", BEHAVIOURS, many=True).values == ("leadership", "together")  # type: ignore[union-attr]
    assert pick("4 and 4", BEHAVIOURS, many=True).values == ("leadership",)  # type: ignore[union-attr]
    both = pick("leadership, teamwork", BEHAVIOURS, many=True)
    assert both is not None and both.values == ("leadership", "together")
    assert pick("4, 9", BEHAVIOURS, many=True).problem == "not-offered"  # type: ignore[union-attr]


TEXT = Step("action", kind="text", label="Action")
OPTIONAL = Step("learned", kind="text", optional=True)
CHOICE = Step("level", kind="choice")
MANY = Step("behaviours", kind="choices")
CONFIRM = Step("confirm", kind="confirm")


@pytest.mark.parametrize("step", [TEXT, OPTIONAL, CHOICE, MANY, CONFIRM])
@pytest.mark.parametrize("typed", ["help", "back", "stop", "cancel", "pause"])
def test_help_back_and_stop_mean_the_same_at_every_step(step: Step, typed: str) -> None:
    said = read(step, typed, options=LEVELS if step.kind != "text" else ())
    assert said.meaning == {"cancel": "stop", "pause": "stop"}.get(typed, typed)


def test_skip_only_where_a_step_is_optional() -> None:
    assert read(OPTIONAL, "skip").meaning == "skip"
    assert read(OPTIONAL, "no").meaning == "skip"
    refused = read(TEXT, "skip")
    assert refused.meaning == "refused" and refused.problem == "needed"


def test_yes_and_no_on_a_confirmation() -> None:
    assert read(CONFIRM, "yes").meaning == "yes"
    assert read(CONFIRM, "No.").meaning == "no"
    assert read(TEXT, "yes").meaning == "answer"  # an answer where text is asked


def test_keep_keeps_what_a_step_holds() -> None:
    kept = read(TEXT, "keep", current="I led it")
    assert kept.meaning == "keep" and kept.value == "I led it"
    assert read(TEXT, "keep").meaning == "refused"


def test_a_number_not_on_offer_is_never_stored_as_text() -> None:
    said = read(TEXT, "3")
    assert said.meaning == "refused" and said.problem == "not-offered"
    said = read(CHOICE, "#9", options=LEVELS)
    assert said.meaning == "refused" and said.problem == "not-offered" and said.numbers == (9,)


def test_choices_by_number_and_label_at_a_step() -> None:
    assert read(CHOICE, "two", options=LEVELS).values == ("2",)
    assert read(CHOICE, "Level 5", options=LEVELS).values == ("5",)
    assert read(MANY, "4, 6", options=BEHAVIOURS).values == ("leadership", "together")
    assert read(CHOICE, "a level", options=LEVELS).meaning == "refused"


def test_a_command_typed_for_an_answer_is_said_to_be_one() -> None:
    def looks_like(text: str) -> str | None:
        return "leadership level 4" if text == "leadership level 4" else None

    said = read(TEXT, "leadership level 4", looks_like=looks_like)
    assert said.meaning == "command" and said.command == "leadership level 4"
    assert read(TEXT, "I set the direction", looks_like=looks_like).meaning == "answer"


def test_steps_before_and_after() -> None:
    steps = [TEXT, OPTIONAL, CHOICE]
    assert previous(steps, "level") == OPTIONAL
    assert previous(steps, "level", lambda s: not s.optional) == TEXT
    assert following(steps, "action") == OPTIONAL
    assert following(steps, "level") is None


def test_typed_state_is_versioned_json() -> None:
    from dataclasses import dataclass

    @dataclass
    class Where(Typed):
        KEY = "where"
        VERSION = 2
        draft: int = 0
        part: str = "situation"

    stored = Where(3, "task").dump()
    assert stored == {"v": 2, "draft": 3, "part": "task"}
    assert Where.load(stored) == Where(3, "task")
    assert Where.of({"where": stored}) == Where(3, "task") and Where.of({}) is None
    with pytest.raises(StaleState):
        Where.load({"draft": 3, "part": "task"})  # an older shape: the migration's job


def test_older_shapes_are_upgraded_step_by_step() -> None:
    @upgrade("test-where", 0)
    def _first(data: dict[str, object]) -> dict[str, object]:
        return {"draft": data.pop("number"), **data}

    @upgrade("test-where", 1)
    def _second(data: dict[str, object]) -> dict[str, object]:
        return {**data, "part": str(data.get("part", "situation"))}

    try:
        state = {"test-where": {"number": 3}, "choices": ["a"]}
        assert upgraded(state) == {
            "test-where": {"draft": 3, "part": "situation", "v": 2},
            "choices": ["a"],
        }
    finally:
        del upgrades[("test-where", 0)], upgrades[("test-where", 1)]


def test_stored_conversations_are_upgraded_once(store: Store) -> None:
    @upgrade("test-answering", 0)
    def _first(data: dict[str, object]) -> dict[str, object]:
        return {"index": data.pop("position"), **data}

    try:
        with store.transaction():
            store.save_state("u", "c", {"test-answering": {"position": 2}, "choices": []})
            store.save_state("v", "c", {})
        with store.transaction():
            upgrade_flow_states(store.db)
        assert store.state("u", "c") == {"test-answering": {"index": 2, "v": 1}, "choices": []}
        assert store.state("v", "c") == {}
    finally:
        del upgrades[("test-answering", 0)]
