"""Project hygiene: the README's commands are the ones CI runs, and the code is lint-clean."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```sh\n(.+?)\n```", text, flags=re.MULTILINE)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = readme_commands()
    assert len(commands) >= 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_every_command_and_variable_is_documented() -> None:
    """docs/operating.md names every `behaviourbot` command and every environment variable
    the settings read; the README gives the command that starts the chat."""
    import argparse

    from adapters.cli import _parser

    assert "behaviourbot chat" in (ROOT / "README.md").read_text(encoding="utf-8")
    text = (ROOT / "docs" / "operating.md").read_text(encoding="utf-8")

    def commands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found += [f"{prefix} {name}", *commands(sub, f"{prefix} {name}")]
            elif action.option_strings and action.dest != "help":
                found += [max(action.option_strings, key=len)]
        return found

    settings = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    variables = re.findall(r'env\.get\("(\w+)"', settings)
    assert "BEHAVIOURBOT_DB" in variables
    missing = [
        name for name in [*commands(_parser(), "behaviourbot"), *variables] if name not in text
    ]
    assert missing == [], f"docs/operating.md does not mention {missing}"


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]])
def test_ruff_is_clean(args: list[str]) -> None:
    ruff = shutil.which("ruff") or str(Path(__import__("sys").executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    result = subprocess.run(
        [ruff, *args, "bot", "adapters", "tests", "bench"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def documents() -> list[Path]:
    """The README and every page of docs/: the project's documentation."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


DOCUMENTS = [path.relative_to(ROOT).as_posix() for path in documents()]


def transcripts(path: Path) -> list[list[tuple[str, str]]]:
    """A page's `you>` transcripts, as (what was typed, what the bot printed) pairs."""
    text = path.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"^```text\n(.*?)\n```", text, flags=re.MULTILINE | re.DOTALL):
        if block.startswith("you> "):
            parts = re.split(r"^you> (.*)\n\n", block, flags=re.MULTILINE)[1:]
            found.append([(parts[i], parts[i + 1].rstrip()) for i in range(0, len(parts), 2)])
    return found


def test_the_transcripts_are_found() -> None:
    """A change of format that hid the transcripts from the replay would pass it silently."""
    assert len(transcripts(ROOT / "README.md")) >= 2
    assert len(transcripts(ROOT / "docs" / "using.md")) >= 6


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_transcripts_are_real_output(document: str, frameworks, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from adapters.console import format_reply
    from bot.router import Bot
    from bot.storage import Store

    from .conftest import FakeAdapter

    for n, tour in enumerate(transcripts(ROOT / document)):
        store = Store.open(tmp_path / f"tour{n}.db")
        chat = FakeAdapter(Bot(frameworks, store))
        for typed, printed in tour:
            replies = chat.send(text=typed)
            assert "\n\n".join(format_reply(r) for r in replies) == printed, f"{document}: {typed}"
        store.close()


PLATFORMS = ("adapters", "slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp")


def test_the_core_imports_no_platform_and_no_adapter() -> None:
    """bot/ is the platform-neutral core (DESIGN.md): no module of it imports an adapter
    or a platform's library, at the top or inside a function. The command line, which
    wires everything together, lives with the adapters."""
    import ast

    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                for name in names
                if name.split(".")[0] in PLATFORMS
            ]
    assert found == []
