"""The command registry: every verb the bot knows, declared once.

Each command has its words (the first is its name, the rest aliases), the job it belongs
to, its sub-commands, a one-line help, an example that works as typed, and where it
applies. The flows' verb sets, the router's, the form filler's command pattern, `help`
and `help JOB`, the terminal's Tab completion, the Slack manifest's slash command and the
Teams command lists are all made from it (tests check each example is understood and
each routed verb is declared here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine import VOCABULARY, Word

# The jobs, in the order help shows them: (name, the words that name it in `help WORD`).
JOBS: dict[str, frozenset[str]] = {
    "lookup": frozenset({"lookup", "look", "definitions", "definition", "behaviours"}),
    "prepare": frozenset({"prepare", "interview", "interviews"}),
    "360": frozenset({"360", "feedback"}),
    "develop": frozenset({"develop", "development"}),
    "chat": frozenset({"chat", "words"}),
}
ALL = frozenset({"console", "slack", "teams"})
# A command typed is its verb and at most this many words more (a lookup, a number, a
# sub-command): typed text longer than that, opening with a verb, is a sentence.
MAX_COMMAND_REST = 8


@dataclass(frozen=True)
class Subcommand:
    words: tuple[str, ...]  # the first is the sub-command's name, the rest aliases
    help: str
    example: str


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # the first is the command's name, the rest aliases
    job: str
    help: str
    example: str
    subcommands: tuple[Subcommand, ...] = ()
    platforms: frozenset[str] = ALL
    private: bool = False  # only in a direct chat with the bot
    personal: bool = False  # about people: the adapter looks up who is named
    forms: bool = False  # answered with forms (asked field by field in the terminal)
    routed: bool = True  # the router hands it to a flow (not a lookup, not the terminal's)
    menu: bool = True  # offered in the platforms' command menus (Teams' command lists)

    @property
    def name(self) -> str:
        return self.words[0]

    @property
    def all_words(self) -> frozenset[str]:
        return frozenset(self.words)

    @property
    def sub_words(self) -> frozenset[str]:
        return frozenset(w for s in self.subcommands for w in s.words)


def _sub(words: str, help: str, example: str) -> Subcommand:
    return Subcommand(tuple(words.split()), help, example)


COMMANDS: tuple[Command, ...] = (
    Command(
        ("help", "?", "start", "hi", "hello", "hey", "menu", "commands", "usage"),
        "chat",
        "what I can do; help 360, help plan, help prep … for one job",
        "help",
        routed=False,
    ),
    Command(
        ("show",),
        "lookup",
        "a behaviour at one level",
        "leadership level 4",
        routed=False,
    ),
    Command(
        ("frameworks", "framework", "list"),
        "lookup",
        "the frameworks I know, or the behaviours of one",
        "frameworks",
        routed=False,
        menu=False,  # help offers each framework's list
    ),
    Command(
        ("compare", "comparison", "diff"),
        "lookup",
        "what a higher level of a behaviour adds",
        "compare leadership 3 4",
        routed=False,
    ),
    Command(
        ("search",),
        "lookup",
        "every definition and level that mentions a word",
        "search wellbeing",
        routed=False,
    ),
    Command(
        ("prep", "prepare", "star"),
        "prepare",
        "draft a STAR example for an interview, step by step, with a review",
        "prep leadership level 4",
        private=True,
    ),
    Command(
        ("practice", "practise"),
        "prepare",
        "answer an interview question and get a review and a follow-up",
        "practice leadership level 4",
        private=True,
    ),
    Command(
        ("mock",),
        "prepare",
        "a mock interview, one question per behaviour in turn, each followed up, then a summary",
        "mock leadership level 4",
        (
            _sub("again", "run your last mock interview again", "mock again"),
            _sub("save", "save answer N of your last mock interview as a draft", "mock save 1"),
        ),
        private=True,
        menu=False,  # Teams' command lists hold ten; help offers it, and a job advert's reply
    ),
    Command(
        ("advert", "advertisement", "vacancy"),
        "prepare",
        "then a job advert (or paste one on its own): the behaviours it assesses at its"
        " grade, and your drafts against them",
        "advert",
        private=True,
        menu=False,  # Teams' command lists hold ten; a pasted advert needs no command
    ),
    Command(
        ("drafts", "draft"),
        "prepare",
        "the examples you have drafted (only you see them)",
        "drafts",
        (
            _sub("open", "pick draft N up again", "draft 1"),
            _sub("export", "draft N as text or Markdown", "draft 1 export markdown"),
            _sub("delete", "delete draft N", "draft 1 delete"),
        ),
        private=True,
    ),
    Command(
        ("evidence",),
        "prepare",
        "what peers shared and your plan notes say about a behaviour, to draw on",
        "evidence leadership",
        private=True,
        menu=False,  # Teams' command lists hold ten; prep shows it beside a draft
    ),
    Command(
        ("360", "feedback"),
        "360",
        "ask peers for quick, anonymised feedback on up to five behaviours",
        "360",
        (
            _sub("new start", "put a request together, naming a behaviour", "360 leadership"),
            _sub("list status requests", "your requests, and those waiting for you", "360 list"),
            _sub("threshold", "how many must answer before anything is shown", "360 threshold 4"),
            _sub("answer", "answer request N", "360 answer 1"),
            _sub("decline", "decline request N", "360 decline 1"),
            _sub(
                "consent",
                "whether your examples for request N may be shown, unnamed, to whoever asked",
                "360 consent 1 no",
            ),
            _sub("close", "close your request N early and get the report", "360 close 1"),
            _sub("report", "the report of a closed request", "360 report 1"),
            _sub("plan", "a starter development plan from a report", "360 plan 1"),
            _sub("export", "a report as Markdown or CSV", "360 export 1 markdown"),
        ),
        private=True,
        forms=True,
    ),
    Command(
        ("plan", "plans"),
        "develop",
        "your development plan, with a mentor and check-ins (only the two of you see it)",
        "plan",
        (
            _sub("open show view", "open your plan, or as a mentor plan N", "plan open"),
            _sub("from", "add the gaps a closed 360 report points at", "plan from 360"),
            _sub("add new", "add an item", "plan add leadership level 5"),
            _sub("item", "look at item N", "plan item 1"),
            _sub("edit", "change item N", "plan edit 1"),
            _sub("status", "move item N on", "plan status 1 done"),
            _sub("mentor", "name a mentor (plan mentor none to remove)", "plan mentor"),
            _sub("checkins checkin check-ins check-in", "regular check-ins", "plan checkins 2"),
            _sub("progress", "record progress now", "plan progress"),
            _sub("comment", "comment on a plan", "plan comment"),
            _sub("export markdown", "your plan as Markdown", "plan export"),
        ),
        private=True,
        personal=True,
        forms=True,
    ),
    Command(
        ("expectations", "expectation", "expect"),
        "develop",
        "set performance expectations for someone, who acknowledges them",
        "expectations",
        (
            _sub("new for", "set an expectation for someone", "expectations new"),
            _sub("list", "the expectations between you and others", "expectations list"),
            _sub("show open", "look at expectation N", "expectations show 1"),
            _sub("change", "change expectation N (a new version)", "expectations change 1"),
            _sub("ack acknowledge", "acknowledge version V of N", "expectations ack 1 1"),
            _sub("comment", "comment on expectation N", "expectations comment 1"),
            _sub("propose", "propose a change to N", "expectations propose 1"),
            _sub("confirm", "confirm that whoever set N is your manager", "expectations confirm 1"),
            _sub("refuse", "say they are not your manager", "expectations refuse 1"),
            _sub("withdraw", "withdraw a confirmation", "expectations withdraw 1"),
            _sub("export markdown", "all of them as Markdown", "expectations export"),
        ),
        private=True,
        personal=True,
        forms=True,
    ),
    Command(
        ("home",),
        "chat",
        "what is waiting for you: feedback to give, your requests, drafts, check-ins, expectations",
        "home",
        private=True,
        menu=False,  # Teams' command lists hold ten; help and the Slack Home tab offer it
    ),
    Command(
        ("stop", *sorted(VOCABULARY[Word.STOP] - {"stop"})),  # the engine's words
        "chat",
        "stop what you are doing; what is saved is kept",
        "stop",
        menu=False,
    ),
    Command(
        ("as",),
        "chat",
        "speak as someone else, to try 360 feedback or expectations between people",
        "as alice",
        platforms=frozenset({"console"}),
        routed=False,
    ),
)

BY_WORD: dict[str, Command] = {w: c for c in COMMANDS for w in c.words}


def named(name: str) -> Command:
    """The command whose name is `name` (a KeyError for a name not declared)."""
    return next(c for c in COMMANDS if c.name == name)


def words_of(*names: str) -> frozenset[str]:
    """The words of the commands named `names`: the flows' verb sets."""
    return frozenset(w for n in names for w in named(n).words)


def for_platform(platform: str) -> tuple[Command, ...]:
    return tuple(c for c in COMMANDS if platform in c.platforms)


def routed_words() -> frozenset[str]:
    """Every word the router hands to a flow."""
    return frozenset(w for c in COMMANDS if c.routed for w in c.words)


def personal_words() -> frozenset[str]:
    return frozenset(w for c in COMMANDS if c.personal for w in c.words)


def job_of(word: str) -> str | None:
    """The job `word` names in `help WORD`: a job's name or word, or a command's word."""
    word = word.casefold()
    for job, words in JOBS.items():
        if word == job or word in words:
            return job
    command = BY_WORD.get(word)
    return command.job if command is not None else None


def form_command_pattern() -> re.Pattern[str]:
    """A command of a flow with forms (`plan item 2`, `expectations`, `360 list`): typed
    while a form is open, it leaves the form. Text that merely starts with such a word
    (`plan the day`) is still an answer."""
    forms = [c for c in COMMANDS if c.forms]
    verbs = "|".join(sorted((re.escape(w) for c in forms for w in c.words), key=len, reverse=True))
    subs = sorted({w for c in forms for w in (*c.sub_words, "help")}, key=len, reverse=True)
    alternatives = "|".join([*(re.escape(s) for s in subs), r"@\S+", r"\d+"])
    return re.compile(rf"^/?(?:behaviour\s+)?(?:{verbs})(?:\s+(?:{alternatives})\b.*)?$", re.I)


def menu(platform: str, *, private: bool) -> tuple[Command, ...]:
    """The commands a platform's command menu offers: in a direct chat with the bot
    (`private`) every job's, elsewhere those that work in a channel."""
    return tuple(c for c in for_platform(platform) if c.menu and (private or not c.private))


def usage(platform: str) -> tuple[str, ...]:
    """An example of each job, the first command of each, for a one-line usage hint."""
    firsts = {c.job: c for c in reversed(for_platform(platform)) if c.menu}
    return tuple(firsts[job].example for job in JOBS if job in firsts)


def completions(platform: str = "console") -> frozenset[str]:
    """The words Tab completes in the terminal: every command and sub-command word."""
    return frozenset(
        w
        for c in for_platform(platform)
        for w in (*c.words, *c.sub_words)
        if w.isalnum() or "-" in w
    )


def following_words(first: str, platform: str = "console") -> frozenset[str]:
    """The words Tab completes after `first`: the sub-commands of the command it names
    (`360 ` offers list, close, report …); none after anything else."""
    first = first.casefold()
    return frozenset(
        w
        for c in for_platform(platform)
        if first in c.words
        for w in c.sub_words
        if w.isalnum() or "-" in w
    )
