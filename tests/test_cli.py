"""The command line's own errors: each a one-line message and exit status 2, no
traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli import main


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
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
        [sys.executable, "-m", "adapters.cli", "chat", "--db", str(tmp_path / "bot.db")],
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
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "manifest",
            "teams",
            "--out",
            "-",
            "--app-id",
            APP_ID,
        ],
        capture_output=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    names = zipfile.ZipFile(io.BytesIO(done.stdout)).namelist()
    assert names == ["manifest.json", "color.png", "outline.png"]
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_a_draft_is_exported_to_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .star.test_review import STRONG

    db = str(tmp_path / "bot.db")
    typed = ["prep leadership level 4", *(STRONG[p] for p in ("situation", "task", "action"))]
    subprocess.run(
        [sys.executable, "-m", "adapters.cli", "chat", "--db", db, "--user", "sam"],
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


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7", "bot.example.org"])
def test_dev_mode_on_a_public_address_is_refused(tmp_path, host: str) -> None:  # type: ignore[no-untyped-def]
    """--dev takes Teams requests without authentication: never on an address others
    can reach."""
    from .servers import free_port

    args = ["serve", "--dev", "--host", host, "--port", str(free_port())]
    done = run(*args, "--db", str(tmp_path / "bot.db"), env={"MicrosoftAppId": ""}, timeout=10)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "--dev" in line and "without authentication" in line and "127.0.0.1" in line


def test_unsafe_slack_settings_are_warned_about_at_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Plain http to a Slack Web API that is not on this machine, and a signing secret
    too short to be Slack's: the server starts, saying plainly what is wrong."""

    from .servers import serve_process

    env = {
        "SLACK_API_URL": "http://slack.example.org/api/",
        "SLACK_SIGNING_SECRET": "hunter2",
        "SLACK_BOT_TOKEN": "xoxb-test",
    }
    with serve_process(tmp_path, "--host", "127.0.0.1", env=env, dev=False) as (_, log, _):
        pass
    lines = log.read_text().splitlines()
    assert any("serving on" in line for line in lines)
    (http,) = [line for line in lines if "SLACK_API_URL" in line]
    assert "WARNING" in http and "not https" in http and "bot token" in http
    (secret,) = [line for line in lines if "SLACK_SIGNING_SECRET" in line]
    assert "WARNING" in secret and "7 characters" in secret and "hunter2" not in secret


def test_a_local_slack_api_over_http_is_not_warned_about(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from adapters.web import slack_warnings
    from bot.settings import Settings

    def warnings(**env: str) -> list[str]:
        return slack_warnings(Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-t"} | env))

    assert warnings(SLACK_API_URL="http://127.0.0.1:9/api/") == []
    assert warnings(SLACK_API_URL="http://localhost:9/api/") == []
    assert warnings(SLACK_API_URL="http://[::1]:9/api/") == []
    assert warnings(SLACK_SIGNING_SECRET="8f742231b10e8888abcd99yyyzzz85a5") == []
    assert len(warnings(SLACK_API_URL="http://10.0.0.1/api/")) == 1


def test_an_advert_file_is_read_against_the_terminal_persons_drafts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .star.test_review import STRONG

    db = str(tmp_path / "bot.db")
    typed = ["prep leadership level 3", *(STRONG[p] for p in ("situation", "task", "action"))]
    subprocess.run(
        [sys.executable, "-m", "adapters.cli", "chat", "--db", db, "--user", "sam"],
        input="\n".join([*typed, STRONG["result"], "skip"]) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    adverts = Path(__file__).parent / "lookup" / "adverts"
    advert = str(adverts / "cs_g7_bullets.txt")
    shown = run("advert", advert, "--db", db, "--user", "sam")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert out.startswith("From the advert: 3 behaviours at Level 4\n")
    assert "Leadership: draft 1 (written for Level 3), band " in out
    assert "prep civil-service/communicating-and-influencing/4: Start Communicating" in out
    assert "mock civil-service/leadership/4 civil-service/communicating-and-influencing/4" in out
    other = run("advert", advert, "--db", db, "--user", "alex")  # sam's drafts are sam's
    assert "Leadership: no draft yet" in other.stdout and "draft 1" not in other.stdout
    # no grade in the advert: --grade gives it, and without it the levels to give are said
    no_grade = str(adverts / "cs_no_grade.txt")
    asked = run("advert", no_grade, "--db", db, "--user", "sam")
    assert asked.returncode == 1 and asked.stdout.startswith("Which grade is the job?")
    assert "--grade, one of: Level 1 (AA and AO or equivalent);" in asked.stderr
    assert "  • Level 3 (HEO and SEO or equivalent)\n" in asked.stdout  # the levels it names
    graded = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "advert", "-", "--grade", "HEO", "--db", db],
        input=(adverts / "cs_no_grade.txt").read_text(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert graded.stdout.startswith("From the advert: 3 behaviours at Level 3\n")


@pytest.mark.parametrize("name", ["missing.txt", "."])
def test_an_advert_that_cannot_be_read_is_said_plainly(tmp_path, name: str) -> None:  # type: ignore[no-untyped-def]
    done = run("advert", str(tmp_path / name), "--db", str(tmp_path / "bot.db"))
    assert done.returncode == 2
    assert done.stderr.startswith("behaviourbot: ") and done.stdout == ""
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    assert run("advert", str(empty)).returncode == 2


def test_an_advert_too_long_on_the_standard_input_is_named_as_such(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "advert", "-", "--db", str(tmp_path / "bot.db")],
        input="a" * 300_000,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == "behaviourbot: the standard input is over 200 kB: give one advert\n"
