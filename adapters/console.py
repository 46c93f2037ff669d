"""The terminal chat: reads what a person types and prints the bot's replies.

Interactive with line editing and history when stdin is a terminal; otherwise it reads
one message per line and writes the replies to stdout, so it works in scripts:
`printf 'leadership level 4\\n' | behaviourbot chat`. Choices are numbered; typing the
number picks one (the core remembers what was offered, so this survives a restart).
`advert` on a line of its own takes the lines after it as one message, a job advert
over many lines: typed, up to an empty line (lines pasted together are one message
anyway); piped, up to two empty lines in a row or the end of the input, as an advert's
paragraphs are separated by one.
"""

from __future__ import annotations

import logging
import os
import re
import select
import shutil
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.clock import named_zone
from bot.commands import named
from bot.render import compose, phrase, words
from bot.types import Event, Outgoing, Reply, bar_line

log = logging.getLogger("behaviourbot.console")

QUIT_WORDS = frozenset({"quit", "exit", "bye", "/quit", "/exit"})
# `advert` alone: the lines that follow are the advert (see the module's docstring)
_ADVERT = re.compile(
    r"^\s*/?\s*(?:behaviou?r\s+)?(?:" + "|".join(named("advert").words) + r")\s*$", re.I
)
BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"


def format_reply(reply: Reply, *, width: int | None = None, styled: bool = False) -> str:
    """A reply as terminal text: wrapped to `width` when given, bold headings when styled."""

    def style(text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if styled else text

    def wrap(text: str, indent: str = "", hanging: str | None = None) -> str:
        if not width:
            return "\n".join(indent + line for line in text.split("\n"))
        rest = indent if hanging is None else hanging
        return "\n".join(
            textwrap.fill(line, width, initial_indent=indent, subsequent_indent=rest) or indent
            for line in text.split("\n")
        )

    if reply.copy:  # text to copy: the lines as they are, never wrapped
        width = None
    out: list[str] = []
    for block in reply.blocks:
        if block.kind == "title":
            out.append(style(block.text, BOLD))
        elif block.kind == "note":
            out.append(style(wrap(block.text), DIM))
        elif block.kind == "heading":
            out.append("\n" + style(block.text, BOLD))
        elif block.kind == "quote":
            out.append(wrap(block.text, "  "))
        elif block.kind == "bullets":
            out.append("\n".join(wrap(item, "  • ", "    ") for item in block.items))
        elif block.kind == "columns":
            for column in block.columns:
                out.append("\n" + style(column.heading, BOLD) + "\n" + wrap(column.text, "  "))
        elif block.chart is not None:  # text bars, each with its value in words
            out.append("\n" + style(wrap(block.chart.title), DIM))
            for group in block.chart.groups:
                out.append(style(group.label, BOLD))
                out += [wrap(bar_line(bar, block.chart.top), "  ", "    ") for bar in group.bars]
        else:
            out.append("\n" + wrap(block.text))
    if reply.choices:
        digits = len(str(len(reply.choices)))
        out.append("")
        for n, choice in enumerate(reply.choices, 1):
            out.append(wrap(choice.label, f"  {n:>{digits}}. ", " " * (digits + 4)))
    return "\n".join(out).strip("\n")


_AS = re.compile(r"^as\s+@?([A-Za-z0-9][A-Za-z0-9._-]{0,39})$", re.I)
PASTE_WAIT = 0.05  # seconds: lines arriving this close together were pasted together


def _waiting(stream: TextIO, seconds: float) -> bool:
    """Whether more input is already waiting on `stream` (a terminal), within `seconds`."""
    try:
        ready, _, _ = select.select([stream], [], [], seconds)
    except (OSError, ValueError):  # no file descriptor (a test's StringIO), or Windows
        return False
    return bool(ready)


def _up_to_two_empty(lines: Iterable[str]) -> Iterable[str]:
    """The lines up to two empty ones in a row, or to the end: an advert's paragraphs
    are separated by one (an empty line at its end is left out)."""
    empty = False
    for line in lines:
        if not line.strip():
            if empty:
                return
            empty = True
            continue
        if empty:
            yield ""
            empty = False
        yield line


def local_zone(env: Mapping[str, str] | None = None) -> tuple[str, int | None]:
    """This machine's time zone, the terminal's person's own: its IANA name where the
    machine says it ($TZ, or what /etc/localtime links to), and its offset now."""
    env = os.environ if env is None else env
    name = env.get("TZ", "").removeprefix(":")
    if not name:
        try:
            name = os.path.realpath("/etc/localtime").partition("zoneinfo/")[2]
        except OSError:
            name = ""
    offset = datetime.now().astimezone().utcoffset()
    return (
        name if named_zone(name) is not None else "",
        int(offset.total_seconds()) if offset is not None else None,
    )


class Console:
    """Drives `handle` (the core's Bot.handle) from a terminal or a pipe."""

    def __init__(
        self,
        handle: Callable[[Event], list[Reply]],
        *,
        user: str,
        stdin: TextIO,
        stdout: TextIO,
        interactive: bool,
        history: Path | None = None,
        completions: Iterable[str] = (),
        following: Callable[[str], Iterable[str]] | None = None,
        inbox: Callable[[str], list[Outgoing]] | None = None,
        waiting: Callable[[str], list[Reply]] | None = None,
    ):
        self.handle = handle
        # what the person was in the middle of, when the chat starts (Bot.waiting)
        self.waiting = waiting
        # the direct messages sent to everyone at this terminal (Bot.mail)
        self.inbox = inbox
        self.user = f"console:local:{user}"
        self.stdin, self.stdout = stdin, stdout
        self.interactive = interactive
        self.history = history
        self.completions = sorted(set(completions))
        # the words Tab offers after a first word (a command's sub-commands)
        self.following = following

    @property
    def speaker(self) -> str:
        """Who is speaking now: the name the prompt shows."""
        return self.user.rsplit(":", 1)[-1]

    def say(self, text: str) -> list[Reply]:
        """Send `text` as the current person; `as NAME` switches who is speaking (to try
        flows between people, such as 360 feedback). Direct messages waiting for the
        person follow the answer."""
        switch = _AS.match(text.strip())
        if text.strip().casefold() == "as":  # whom? never an answer to anything
            self.stdout.write(phrase("console/as_whom.j2") + "\n\n")
            return []
        if switch:
            self.user = f"console:local:{switch.group(1).casefold()}"
            self.stdout.write(
                phrase("console/speaking_as.j2", name=switch.group(1).casefold()) + "\n\n"
            )
            replies: list[Reply] = []
        else:
            # No event id: a terminal line is never delivered twice.
            zone, offset = local_zone()
            replies = self.handle(
                Event(
                    user=self.user,
                    conversation=self.user,
                    text=text,
                    tz_name=zone,
                    tz_offset=offset,
                )
            )
        for message in self.inbox(self.user) if self.inbox else []:
            mine = message.user == self.user
            name = message.user.rsplit(":", 1)[-1]
            to = compose("direct_message.j2", mine=mine, name=name).blocks
            replies += [replace(r, blocks=(*to, *r.blocks)) for r in message.replies]
        return replies

    def show(self, replies: list[Reply]) -> None:
        width = min(shutil.get_terminal_size((100, 24)).columns, 100) if self.interactive else None
        for reply in replies:
            self.stdout.write(format_reply(reply, width=width, styled=self.interactive) + "\n\n")
        if self.interactive and any(r.choices for r in replies):
            self.stdout.write(DIM + words("console/pick.j2") + RESET + "\n\n")
        self.stdout.flush()

    def run(self) -> int:
        try:
            if self.interactive:
                return self._run_interactive()
            lines = iter(self.stdin)
            for line in lines:
                if line.strip().casefold() in QUIT_WORDS:
                    break
                if _ADVERT.match(line):
                    advert = [line.strip()]
                    advert += (more.rstrip("\n") for more in _up_to_two_empty(lines))
                    line = "\n".join(advert)
                if line.strip():
                    self.show(self.say(line.rstrip("\n")))
        except BrokenPipeError:  # read by `head`, say, which has had enough: quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stdout.fileno())
        return 0

    def _run_interactive(self) -> int:
        readline = self._setup_line_editing()
        greeting = words("console/greeting.j2")
        self.stdout.write(f"{BOLD}{words('bot_name.j2')}{RESET}: {greeting}\n\n")
        if self.waiting is not None:  # back in the middle of something: say where
            self.show(self.waiting(self.user))
        try:
            while True:
                try:
                    line = input(f"{self.speaker}> ")
                    line = self._rest_of_paste(line)
                except KeyboardInterrupt:
                    self.stdout.write("\n")
                    continue
                if line.strip().casefold() in QUIT_WORDS:
                    break
                if _ADVERT.match(line):
                    line = self._advert(line)
                if line.strip():
                    self.stdout.write("\n")
                    self.show(self.say(line))
        except EOFError:
            self.stdout.write("\n")
        finally:
            if readline and self.history:
                try:
                    readline.write_history_file(str(self.history))
                except OSError:
                    log.warning("could not save the chat history to %s", self.history)
        return 0

    def _advert(self, line: str) -> str:
        """`advert` typed alone: the advert pasted after it, up to an empty line typed
        (the empty lines of a paste arrive with it and are kept)."""
        self.stdout.write(DIM + words("console/advert_paste.j2") + RESET + "\n")
        lines = [line.strip()]
        while True:
            try:
                more = self._rest_of_paste(input())
            except (EOFError, KeyboardInterrupt):
                break
            if not more.strip():
                break
            lines.append(more)
        return "\n".join(lines)

    def _rest_of_paste(self, line: str) -> str:
        """`line` and the lines pasted with it: text pasted in one go arrives faster than
        anyone types, so what is already waiting on the terminal joins the same message
        (a STAR part written over several lines is one answer, not several)."""
        lines = [line]
        while _waiting(self.stdin, PASTE_WAIT):
            try:
                lines.append(input())
            except EOFError:
                break
        return "\n".join(lines)

    def _setup_line_editing(self):  # type: ignore[no-untyped-def]
        try:
            import readline
        except ImportError:  # not on every platform; input() still works without it
            return None
        if self.history:
            self.history.parent.mkdir(parents=True, exist_ok=True)
        if self.history and self.history.exists():
            try:
                readline.read_history_file(str(self.history))
            except OSError:
                log.warning("could not read the chat history from %s", self.history)
        words = self.completions

        def complete(text: str, state: int) -> str | None:
            offered = words
            before = readline.get_line_buffer()[: readline.get_begidx()].split()
            if before and self.following is not None:  # after a command: its own words
                offered = sorted(self.following(before[0])) or words
            matches = [w for w in offered if w.startswith(text.lower())]
            if len(matches) == 1:  # the whole word, and a space for what follows it
                matches = [matches[0] + " "]
            return matches[state] if state < len(matches) else None

        readline.set_completer(complete)
        readline.set_completer_delims(" ")
        readline.parse_and_bind("tab: complete")
        return readline
