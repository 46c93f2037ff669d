"""A non-editable install finds frameworks/ and prompts/ and answers from them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_plain_install_works_outside_the_checkout(tmp_path: Path) -> None:
    target = tmp_path / "site"
    build = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
            "--target", str(target), str(ROOT),
        ],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert (target / "frameworks" / "civil-service.toml").is_file()
    assert (target / "prompts" / "lookup" / "behaviour.j2").is_file()
    assert (target / "frameworks" / "sources" / "002_5209a7d02a15c2fb.txt").is_file()
    script = (
        "import bot, sys; from adapters.cli import main;"
        f"assert bot.__file__.startswith({str(target)!r}), bot.__file__;"
        "sys.exit(main(['chat']))"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "BEHAVIOURBOT_DB": str(tmp_path / "x.db")}
    run = subprocess.run(
        [sys.executable, "-c", script],
        input="leadership level 4\n", capture_output=True, text=True, cwd=tmp_path, env=env,
        check=False, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Leadership: Level 4")
