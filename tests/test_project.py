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


def module_map() -> set[str]:
    """The module paths named in docs/architecture.md's module map."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("\n## Module map\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`((?:bot|adapters)/[\w/]+\.py)`", section))


def test_the_module_map_names_every_module() -> None:
    """Every module under bot/ and adapters/ (package __init__.py files aside) is in the
    module map of docs/architecture.md, and every module the map names exists."""
    modules = {
        path.relative_to(ROOT).as_posix()
        for package in ("bot", "adapters")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "__init__.py"
    }
    named = module_map()
    add = sorted(modules - named)
    remove = sorted(path for path in named if not (ROOT / path).is_file())
    assert (add, remove) == ([], []), (
        "docs/architecture.md's module map is out of date:"
        + "".join(f"\n  add a row for {path}" for path in add)
        + "".join(f"\n  remove {path} (no such file)" for path in remove)
    )


def anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for a page's headings (outside code blocks)."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} (.+?)\s*$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return found


@pytest.mark.parametrize("document", DOCUMENTS)
def test_relative_links_point_at_what_exists(document: str) -> None:
    """Every relative link of the README and docs/ names a file that exists and, into a
    Markdown page, a heading that it has."""
    page = ROOT / document
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target} (no such heading)")
    assert broken == [], f"{document}: broken links {broken}"


def test_the_teams_app_pages_links_land_on_headings() -> None:
    """The Teams app package links its privacy and terms pages to the README's headings."""
    from adapters.teams.package import PRIVACY_URL, TERMS_URL

    for url in (PRIVACY_URL, TERMS_URL):
        page, _, anchor = url.partition("/blob/main/")[2].partition("#")
        assert anchor in anchors(ROOT / page), url


@pytest.mark.parametrize("document", DOCUMENTS)
def test_example_commands_write_into_a_folder_of_their_own(document: str) -> None:
    """An example that writes a file writes it into `dir=$(mktemp -d)`, never a fixed
    name in /tmp, where it would meet another user's or another run's file."""
    text = (ROOT / document).read_text(encoding="utf-8")
    assert re.findall(r"/tmp/\S*", text) == []


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
