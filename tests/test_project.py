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
