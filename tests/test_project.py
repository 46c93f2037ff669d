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


def test_readme_documents_every_command() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("behaviourbot chat", "--user", "frameworks check", "frameworks list"):
        assert command in text
    for variable in ("BEHAVIOURBOT_DB", "BEHAVIOURBOT_FRAMEWORKS"):
        assert variable in text


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


def transcripts() -> list[list[tuple[str, str]]]:
    """The README's `you>` transcripts, as (what was typed, what the bot printed) pairs."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"^```text\n(.*?)\n```", text, flags=re.MULTILINE | re.DOTALL):
        if block.startswith("you> "):
            parts = re.split(r"^you> (.*)\n\n", block, flags=re.MULTILINE)[1:]
            found.append([(parts[i], parts[i + 1].rstrip()) for i in range(0, len(parts), 2)])
    return found


def test_the_readme_tour_is_real_output(frameworks, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from adapters.console import format_reply
    from bot.router import Bot
    from bot.storage import Store

    from .conftest import FakeAdapter

    tours = transcripts()
    assert len(tours) >= 4
    for n, tour in enumerate(tours):
        store = Store.open(tmp_path / f"tour{n}.db")
        chat = FakeAdapter(Bot(frameworks, store))
        for typed, printed in tour:
            replies = chat.send(text=typed)
            assert "\n\n".join(format_reply(r) for r in replies) == printed, typed
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
