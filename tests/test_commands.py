"""The command registry: every example is understood as typed, every routed verb is declared,
and help, `help JOB`, Tab completion and the platforms' command lists come from it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console import Console
from bot import commands, expectations, feedback, plans, star
from bot.clock import FixedClock
from bot.commands import COMMANDS, JOBS
from bot.frameworks import Framework
from bot.router import _VERBS, PERSONAL_VERBS, Bot
from bot.storage import Store
from bot.types import Event
from tests.conftest import text_of

EXAMPLES = [c.example for c in COMMANDS] + [s.example for c in COMMANDS for s in c.subcommands]
# What the bot says when it did not understand what was typed as a command.
NOT_UNDERSTOOD = ("No match for", "That choice is out of date", "I could not tell which")


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_typed_in_the_terminal_is_understood(
    frameworks: list[Framework], tmp_path: Path, clock: FixedClock, example: str
) -> None:
    store = Store.open(tmp_path / "bot.db", clock)
    bot = Bot(frameworks, store)
    out = io.StringIO()
    console = Console(
        bot.handle,
        user="sam",
        stdin=io.StringIO(example + "\n"),
        stdout=out,
        interactive=False,
        inbox=bot.inbox,
    )
    assert console.run() == 0
    store.close()
    said = out.getvalue()
    assert said.strip(), example
    for phrase in NOT_UNDERSTOOD:
        assert phrase not in said, (example, said)


def test_every_verb_the_router_routes_is_in_the_registry(
    frameworks: list[Framework], store: Store
) -> None:
    declared = {w for c in COMMANDS for w in c.words}
    flows = (
        star.START_VERBS
        | star.DRAFT_VERBS
        | star.PRACTICE_VERBS
        | star.STOP_WORDS
        | feedback.VERBS
        | plans.VERBS
        | expectations.VERBS
    )
    assert flows <= declared
    assert declared >= _VERBS | PERSONAL_VERBS
    # and, asked word by word, the router hands a flow only a declared verb
    bot = Bot(frameworks, store)
    vocabulary = (
        declared
        | {s for c in COMMANDS for s in c.sub_words}
        | {
            "leadership",
            "search",
            "compare",
            "help",
            "goals",
            "360s",
            "plan-b",
            "report",
        }
    )
    for word in sorted(vocabulary):
        event = Event(user="console:local:sam", conversation="console:local:sam", text=word)
        if bot._flow({}, event) is not None:
            assert word in declared and commands.BY_WORD[word].routed, word


def test_each_verb_is_declared_once() -> None:
    words = [w for c in COMMANDS for w in c.words]
    assert len(words) == len(set(words))
    assert {c.job for c in COMMANDS} <= set(JOBS)
    assert all(c.example and c.help for c in COMMANDS)


def test_help_names_every_job_and_every_command(chat) -> None:  # type: ignore[no-untyped-def]
    body = text_of(chat.say("help"))
    for command in COMMANDS:
        if "console" in command.platforms and command.name != "help":
            assert f"{command.example}: {command.help}" in body, command.name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("help 360", "360 list"),
        ("help feedback", "360 close 1"),
        ("help plan", "plan checkins 2"),
        ("help prep", "practice leadership level 4"),
        ("help drafts", "draft 1 export markdown"),
        ("help expectations", "expectations ack 1 1"),
        ("help lookup", "compare leadership 3 4"),
        ("/behaviour help 360 list", "360 close 1"),
        ("help look up", "search wellbeing"),
    ],
)
def test_help_for_one_job(chat, typed: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    reply = chat.say(typed)
    assert not reply.title.startswith("No match"), text_of(reply)
    assert expected in text_of(reply)


def test_tab_completion_offers_every_command_word_in_the_terminal() -> None:
    words = commands.completions("console")
    assert {"prep", "practice", "drafts", "360", "plan", "expectations", "as", "search"} <= words
    assert {"checkins", "export", "acknowledge"} <= words
    assert "as" not in commands.completions("slack")


def test_the_slack_manifest_command_describes_every_job() -> None:
    from adapters.slack import manifest

    [command] = manifest(url=None)["features"]["slash_commands"]
    assert command["command"] == "/behaviour"
    hint, description = command["usage_hint"], command["description"]
    for example in ("leadership level 4", "prep leadership level 4", "360", "plan", "help"):
        assert example in hint.split(" | "), hint
    for job in ("Look up", "interview", "360", "development"):
        assert job in description, description
    assert 0 < len(description) <= 100 and 0 < len(hint) <= 100


def test_help_on_slack_and_teams_leaves_out_the_terminals_commands(chat) -> None:  # type: ignore[no-untyped-def]
    for platform in ("slack", "teams"):
        body = text_of(chat.bot.lookup.help(platform))
        assert "as alice" not in body
        assert "prep leadership level 4: draft a STAR example" in body
