"""The command line's own errors: each a one-line message and exit status 2, no
traceback."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from bot.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_a_port_already_in_use_is_said_plainly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("serve", "--dev", "--port", str(port), "--db", str(tmp_path / "bot.db"))
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_port_variable_is_said_plainly(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PORT", "http")
    assert main(["serve"]) == 2
    assert "PORT 'http' is not a port number (1 to 65535)" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["0", "65536", "web"])
def test_a_bad_port_option_is_refused_by_argparse(capsys, port: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit:
        main(["serve", "--port", port])
    assert exit.value.code == 2
    assert f"'{port}' is not a port number" in capsys.readouterr().err


def test_a_bad_port_variable_does_not_stop_the_terminal_chat(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--db", str(tmp_path / "bot.db")],
        input="frameworks\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "PORT": "http"},
    )
    assert done.returncode == 0, done.stderr
    assert "Civil Service" in done.stdout


APP_ID = "5f2f1f60-35b7-4fd5-8b5c-3e3f3c0ad1c0"


def test_the_teams_package_can_go_to_standard_output(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io
    import zipfile

    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "manifest", "teams", "--out", "-", "--app-id", APP_ID],
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    names = zipfile.ZipFile(io.BytesIO(done.stdout)).namelist()
    assert names == ["manifest.json", "color.png", "outline.png"]
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_a_draft_is_exported_to_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .test_review import STRONG

    db = str(tmp_path / "bot.db")
    typed = ["prep leadership level 4", *(STRONG[p] for p in ("situation", "task", "action"))]
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--db", db, "--user", "sam"],
        input="\n".join([*typed, STRONG["result"], "skip"]) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = tmp_path / "draft.txt"
    done = run("export", "1", "--db", db, "--user", "sam", "--out", str(out))
    assert done.returncode == 0 and "wrote draft 1" in done.stderr and "(191 words)" in done.stderr
    parts = [STRONG[p] for p in ("situation", "task", "action", "result")]
    assert out.read_text(encoding="utf-8") == "\n\n".join(parts) + "\n"
    markdown = run("export", "1", "--markdown", "--db", db, "--user", "sam")
    assert markdown.stdout.startswith("# Leadership, Level 4\n") and "## Review" in markdown.stdout
    missing = run("export", "2", "--db", db, "--user", "sam")
    assert missing.returncode == 1 and "you have no draft 2" in missing.stderr
    other = run("export", "1", "--db", db, "--user", "alex")  # someone else's: not there
    assert other.returncode == 1
