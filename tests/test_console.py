"""The terminal chat through the real command, in its non-interactive (pipe) mode."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from adapters.console import format_reply
from bot.frameworks import Framework
from bot.render import parse_blocks
from bot.router import Bot
from bot.storage import Store
from bot.types import Event


def chat(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BEHAVIOURBOT_DB": str(tmp_path / "chat.db")}
    env.pop("BEHAVIOURBOT_FRAMEWORKS", None)
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "chat", *args],
        input=text,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_piped_lines_get_replies_on_stdout(tmp_path: Path) -> None:
    result = chat(tmp_path, "/behaviour leadership level 4\n\nsearch wellbeing\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Leadership: Level 4\nCivil Service Behaviours · Level 4: Grade 7 and 6")
    assert "  Promote diversity, inclusion and equality of opportunity" in out
    assert "  1. Level 1 (AA and AO or equivalent)" in out
    assert "Search: “wellbeing”" in out
    assert "\x1b[" not in out  # no terminal styling when piped
    assert result.stderr == ""


def test_numbers_answer_choices_even_across_runs(tmp_path: Path) -> None:
    first = chat(tmp_path, "leadership\n")
    assert "  4. Level 4 (Grade 7 and 6 or equivalent)" in first.stdout
    second = chat(tmp_path, "4\n")  # a new process: the choices came from the database
    assert second.stdout.startswith("Leadership: Level 4\n")


def test_user_option_keeps_people_apart(tmp_path: Path) -> None:
    chat(tmp_path, "leadership\n", "--user", "alice")
    bob = chat(tmp_path, "4\n", "--user", "bob")
    assert bob.stdout.startswith("Civil Service Behaviours: Level 4\n")


def test_hostile_input_gets_an_answer(tmp_path: Path) -> None:
    lines = ["\x1b[31mred\x1b[0m", "\u202eevil", "领导力", "x" * 5000, "\x00\x07", "1.4.5.6"]
    result = chat(tmp_path, "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n\n\n") == 0
    assert "\x1b[31m" not in result.stdout
    assert result.stdout.count("No match for") == 4  # red, evil, 领导力, 1.4.5.6
    assert "\nbehaviourbot\n" in result.stdout  # control characters only: help
    assert "That is longer than a lookup needs" in result.stdout


def test_format_reply_wraps_and_numbers() -> None:
    reply = parse_blocks("# T\n> " + "word " * 40 + "\n=> a/b | One\n=> c/d | Two")
    text = format_reply(reply, width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert text.splitlines()[-2:] == ["  1. One", "  2. Two"]


def test_a_draft_as_plain_text_is_never_wrapped(frameworks: list[Framework], store: Store) -> None:
    """Text to copy comes out as written: a long paragraph stays one line, however wide
    the terminal, so that pasting it into an application form adds no line breaks."""
    bot, user = Bot(frameworks, store), "console:local:alice"
    long = "I set out the plan to the team and " * 10
    for text in ("prep leadership level 4", long, long, long, long, "skip"):
        bot.handle(Event(user=user, conversation=user, text=text))
    (exported,) = bot.handle(Event(user=user, conversation=user, action="draft 1 export text"))
    assert exported.copy
    shown = format_reply(exported, width=40).splitlines()
    assert long.strip() in shown  # whole, on one line
    wrapped = format_reply(replace(exported, copy=False), width=40).splitlines()
    assert long.strip() not in wrapped  # what it would have been


def test_quit_ends_a_piped_chat_too(tmp_path: Path) -> None:
    result = chat(tmp_path, "help\nquit\nleadership\n")
    assert result.returncode == 0
    assert result.stdout.startswith("behaviourbot\n")
    assert "Leadership" not in result.stdout.split("Frameworks I know")[0]
    assert "Show pride and passion" not in result.stdout


class _Terminal:
    """`behaviourbot chat` in a pseudo-terminal (interactive, as a person types), for
    `with`: what it has shown so far is `seen`; the chat is ended on leaving."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        import pty

        self.main, child = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "chat", *args],
            stdin=child,
            stdout=child,
            stderr=child,
            env={**os.environ, "TERM": "dumb", "HOME": str(tmp_path), "USER": "sam"},
        )
        os.close(child)
        self.seen = b""

    def __enter__(self) -> _Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait(10)
        os.close(self.main)

    def type(self, keys: bytes) -> None:
        os.write(self.main, keys)

    def wait_for(self, text: bytes) -> None:
        import select
        import time

        deadline = time.monotonic() + 20
        while text not in self.seen:
            assert time.monotonic() < deadline, self.seen[-500:]
            if select.select([self.main], [], [], 0.2)[0]:
                self.seen += os.read(self.main, 65536)


def test_lines_pasted_together_in_a_terminal_are_one_answer(tmp_path: Path) -> None:
    """In a terminal (a pseudo-terminal here), a STAR part pasted over several lines is
    saved as one part; lines typed one at a time stay separate messages."""
    import time

    from bot.storage import Store

    db = tmp_path / "bot.db"
    with _Terminal(tmp_path, "--db", str(db), "--user", "sam") as chat:
        chat.wait_for(b"sam> ")
        chat.type(b"prep leadership level 4\r")
        chat.wait_for(b"Step 1 of 5")
        chat.type(b"Line one of the scene.\rLine two of the scene.\r")
        chat.wait_for(b"Step 2 of 5")
        time.sleep(0.3)
        chat.type(b"stop\r")
        chat.wait_for(b"Stopped.")
    seen = chat.seen
    assert seen.count(b"Saved your ") == 1
    store = Store.open(db)
    draft = store.draft("console:local:sam", 1)
    assert draft is not None
    assert draft["parts"] == {"situation": "Line one of the scene.\nLine two of the scene."}
    store.close()


def test_advert_alone_in_a_terminal_takes_a_paste_with_its_empty_lines(tmp_path: Path) -> None:
    """Interactively, `advert` asks for the paste; the paste's own empty lines arrive with
    it and are kept, and an empty line typed after it ends the advert."""
    import time

    with _Terminal(tmp_path, "--db", str(tmp_path / "bot.db")) as chat:
        chat.wait_for(b"sam> ")
        chat.type(b"advert\r")
        chat.wait_for(b"Paste the advert, then an empty line to end it.")
        chat.type(b"Grade: HEO\r\rWe'll assess you against these behaviours:\r")
        chat.type(b"- Leadership\r- Working Together\r")
        time.sleep(0.5)
        chat.type(b"\r")
        chat.wait_for(b"From the advert: 2 behaviours at Level 3")
        chat.wait_for(b"sam> ")
    seen = chat.seen
    assert b"No match for" not in seen


def test_360_feedback_end_to_end_switching_who_is_speaking(tmp_path: Path) -> None:
    typed = """as alice
360 leadership level 4
done
bob, carol, dan
1 week
none
3
send
as bob
1
yes
4
Ran the restructure calmly.
skip
skip
as carol
360 answer 1
skip
3
skip
skip
More delegation
as dan
360 answer 1
no
2
skip
skip
skip
as alice
360 close 1
1
"""
    done = chat(tmp_path, typed)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "(now speaking as bob)" in out and "A direct message for bob:" in out
    assert "alice asks for your feedback" in out
    report = out[out.rindex("360 feedback: request 1") :]
    assert "3 of 3 answered" in report
    assert "Leadership: peers Usually (3) on average, 3 rated" in report
    assert "Ran the restructure calmly." in report and "More delegation" in report
    assert "bob" not in report and "carol" not in report and "dan" not in report


def test_consent_and_the_evidence_bank_through_the_terminal(tmp_path: Path) -> None:
    """Piped into `behaviourbot chat`: a peer is asked for consent before any example,
    one withdraws it before the close, and alice's `prep` offers only what was agreed,
    only after the close (three still agree, and none who did not wrote an example)."""
    typed = """as alice
360 leadership level 4
done
bob, carol, dan, erin
1 week
none
3
send
as bob
360 answer 1
yes
4
Ran the restructure calmly.
skip
skip
as carol
360 answer 1
yes
3
skip
skip
skip
as dan
360 answer 1
yes
2
Dan's words
skip
skip
as erin
360 answer 1
yes
3
skip
skip
skip
as carol
360 consent 1 no
as alice
prep leadership level 4
stop
360 close 1 confirm
prep leadership level 4
"""
    done = chat(tmp_path, typed)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    asked = out.split("(now speaking as bob)", 1)[1]
    assert asked.index("Before you write any example") < asked.index("How often does alice")
    assert "No: your examples for request 1 stay in the report alone" in out
    before, after = out.split("360 feedback: request 1", 1)
    assert "Peers said you" not in before  # open: nothing
    offered = after.split("Peers said you …", 1)[1].split("Step 1 of 5", 1)[0]
    assert "“Ran the restructure calmly.”" in offered and "“Dan's words”" in offered
    with sqlite3.connect(tmp_path / "chat.db") as db:
        rows = db.execute("SELECT peer, consent FROM feedback_peers ORDER BY peer").fetchall()
    assert rows == [
        ("console:local:bob", 1),
        ("console:local:carol", 0),
        ("console:local:dan", 1),
        ("console:local:erin", 1),
    ]


def test_invalid_utf8_on_a_strict_terminal_loses_nothing(tmp_path: Path) -> None:
    """A stray byte that is not UTF-8 (a Latin-1 'é' pasted in) under a strict UTF-8
    locale: the chat goes on, the line is read with U+FFFD in its place, and what was
    typed before and after it is answered."""
    typed = b"leadership level 4\nr\xe9sum\xe9 \xff\xfe level 2\nstop\nframeworks\n"
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "chat", "--db", str(tmp_path / "bot.db")],
        input=typed,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"},
    )
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode == 0, err
    assert "Traceback" not in err
    assert "Leadership: Level 4" in out
    assert "There is nothing to stop" in out  # the line after the bad one was read
    assert "UK Policing" in out or "Policing" in out  # and the last one


def test_help_in_the_terminal_says_how_to_speak_as_someone_else(tmp_path: Path) -> None:
    result = chat(tmp_path, "help\n")
    assert "as alice: speak as someone else" in result.stdout


def test_help_360_in_the_terminal_lists_the_360_commands(tmp_path: Path) -> None:
    result = chat(tmp_path, "help 360\n")
    assert result.returncode == 0, result.stderr
    assert "No match for" not in result.stdout
    assert "360 close 1: close your request N early" in result.stdout


def _prompts(tmp_path: Path, *args: str, typed: bytes = b"") -> bytes:
    """What an interactive terminal chat shows, up to its second prompt after `typed`."""
    import pty
    import select
    import time

    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "chat", "--db", str(tmp_path / "bot.db"), *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env={**os.environ, "TERM": "dumb", "HOME": str(tmp_path), "USER": "sam"},
    )
    os.close(child)
    seen = b""
    try:
        os.write(main, typed)
        deadline = time.monotonic() + 20
        while seen.count(b"> ") < typed.count(b"\r") + 1:
            assert time.monotonic() < deadline, seen[-500:]
            if select.select([main], [], [], 0.2)[0]:
                seen += os.read(main, 65536)
    finally:
        process.kill()
        process.wait(10)
        os.close(main)
    return seen


def test_the_prompt_shows_who_is_speaking(tmp_path: Path) -> None:
    assert b"\nsam> " in _prompts(tmp_path)
    assert b"\nalice> " in _prompts(tmp_path, "--user", "alice")
    switched = _prompts(tmp_path, "--user", "alice", typed=b"as bob\r")
    assert b"\nbob> " in switched
    assert b"you> " not in switched


def test_tab_completes_the_registrys_words_in_the_terminal(tmp_path: Path) -> None:
    """Tab completion is made from the command registry: sub-commands too."""
    seen = _prompts(tmp_path, typed=b"expecta\t\r")  # a lookup of "expecta" without it
    assert b"No match for" not in seen
    assert b"expectations " in seen
    after = _prompts(tmp_path, typed=b"360 rep\t1\r")  # after 360: its own words
    assert b"360 report 1" in after
    assert b"No match for" not in after


def test_after_a_command_tab_offers_only_its_own_words() -> None:
    from bot.commands import following_words

    assert {"list", "close", "report"} <= following_words("360")
    assert "leadership" not in following_words("360")
    assert following_words("leadership") == frozenset()


def test_the_terminal_counts_as_delivered_whom_it_sent_a_message(tmp_path: Path) -> None:
    """Issue 16: in the terminal, `360 list` said "0 of 3 messages delivered" until each
    peer had spoken: it counted who spoke, not who was sent a message. One screen shows
    every direct message when it is sent, saying whom it is for."""
    typed = """360 leadership level 4
done
bob, carol, dan
2 weeks
none
3
send
360 list
as bob
360 answer 1
"""
    done = chat(tmp_path, typed, "--user", "alice")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    listed = out[out.index("Your requests") :]
    assert "asked 3 · open until" in listed and "delivered so far" not in listed
    sent = out[out.index("Request 1 is on its way") : out.index("Your requests")]
    for name in ("bob", "carol", "dan"):
        assert f"A direct message for {name}:" in sent
    assert sent.count("alice asks for your feedback") == 3
    assert "A direct message for you:" not in out[out.index("(now speaking as bob)") :]


def test_back_in_the_chat_the_question_waiting_is_asked_again(tmp_path: Path) -> None:
    """A new user's finding: after leaving in the middle of a draft, a new chat greeted
    as if nothing were open, and the next line was saved as the Task unawares."""
    db = str(tmp_path / "bot.db")
    chat(
        tmp_path, "prep leadership level 4\nThe team had a backlog.\n", "--db", db, "--user", "sam"
    )
    seen = _prompts(tmp_path).decode()
    assert "You were in the middle of this" in seen and "Step 2 of 5: Task" in seen
    assert "You were in the middle" not in _prompts(tmp_path, "--user", "ann").decode()


def test_as_on_its_own_asks_whom_and_is_never_an_answer(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.db")
    result = chat(tmp_path, "prep leadership level 4\nas\n", "--db", db, "--user", "sam")
    assert "As whom? Type as and a name" in result.stdout
    assert "Saved your Situation" not in result.stdout


def test_a_reader_that_stops_early_ends_the_chat_quietly(tmp_path: Path) -> None:
    """`behaviourbot chat | head`: no traceback when the reader has had enough."""
    env = {**os.environ, "BEHAVIOURBOT_DB": str(tmp_path / "chat.db")}
    lines = "".join("leadership level 4\n" for _ in range(200))
    result = subprocess.run(
        f"{sys.executable} -m adapters.cli chat | head -1",
        shell=True,
        input=lines,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.stdout.startswith("Leadership: Level 4")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_advert_alone_takes_the_lines_after_it_to_two_empty_lines(tmp_path: Path) -> None:
    advert = (
        "advert\n"
        "Casework Manager, Grade: SEO\n"
        "We'll assess you against these behaviours during the selection process:\n"
        "• Leadership\n"
        "• Working Together\n"
        "\n"
        "\n"
        "drafts\n"
    )
    result = chat(tmp_path, advert)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("From the advert: 2 behaviours at Level 3\n")
    assert "Leadership: no draft yet" in out and "Working Together: no draft yet" in out
    assert "No match for" not in out  # no line of the advert was taken as a lookup
    assert "Your drafts\n" in out  # the line after the empty ones is a message again


def test_a_piped_advert_keeps_its_paragraphs_to_the_end_of_input(tmp_path: Path) -> None:
    """An advert's paragraphs are separated by one empty line: piped in, it is one
    message to two empty lines in a row, or to the end of the input."""
    advert = (
        "advert\n"
        "Casework Manager\n"
        "\n"
        "Grade: SEO\n"
        "\n"
        "We'll assess you against these behaviours during the selection process:\n"
        "• Leadership\n"
        "• Working Together\n"
    )
    result = chat(tmp_path, advert)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("From the advert: 2 behaviours at Level 3\n")
    assert "No match for" not in result.stdout  # no paragraph was taken as a lookup
