"""The conversation engine: what is the same in every flow.

Every flow (STAR drafting and practice, building a 360 request and answering one, a
form asked one field at a time) is a table of declared `Step`s over a typed state. The
engine reads what a person typed at a step, the same way everywhere:

- `help` (this step, then the flow), `back` (the previous step, keeping what was typed),
  `stop` / `cancel` / `pause` (keeps what is saved, and says how to come back), `skip`
  where a step is optional, `yes` / `no` on a confirmation, `keep` on a value already
  given;
- a choice by its number (`2`, `#2`, `(2)`, `two`, `second`) or by its label, and
  several at once where several can be picked (`4, 9`, `4 and 9`);
- a number that is not on offer is refused, never taken as text;
- a command or a lookup typed where an answer is expected is asked about, never filed
  as the answer (`looks_like` says what it would do instead).

A flow turns the `Said` into its own action; what it says back for the universal words
is in the templates under `prompts/engine/`.

Flow states are typed values (`Typed` dataclasses), stored as versioned JSON inside the
conversation's state; a row in an older shape is converted once, by a migration that
runs the upgrades registered here (`upgrades`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self

from bot.text import NUMBER_WORDS, clean


class Word(StrEnum):
    HELP = "help"
    BACK = "back"
    STOP = "stop"
    SKIP = "skip"
    YES = "yes"
    NO = "no"
    KEEP = "keep"


# The one vocabulary: every flow, every step. A message is one of these only when it is
# nothing else (`stop` is a word; `stop the project` is an answer).
VOCABULARY: Mapping[Word, frozenset[str]] = {
    Word.HELP: frozenset({"help", "?", "help me", "what now", "what do i do", "how"}),
    Word.BACK: frozenset({"back", "go back", "previous", "undo", "change the last"}),
    Word.STOP: frozenset(
        {"stop", "cancel", "pause", "quit", "exit", "later", "leave", "not now", "abort"}
    ),
    Word.SKIP: frozenset({"skip", "-", "n/a", "na", "none", "nothing", "skip it", "no one"}),
    Word.YES: frozenset(
        {"yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "confirm", "go ahead", "do it"}
    ),
    Word.NO: frozenset({"no", "n", "nope", "no thanks", "don't"}),
    Word.KEEP: frozenset({"keep", "same", "unchanged", "keep it", "as it is"}),
}
_WORD_OF = {said: word for word, saids in VOCABULARY.items() for said in saids}
_EDGES = re.compile(r"^[\s\"'“”‘’]+|[\s.!?,;:\"'“”‘’]+$")


def normalised(text: str) -> str:
    """`text` as a word of the vocabulary is compared: clean, folded, without quotes
    and trailing punctuation, white space single."""
    folded = " ".join(clean(text).casefold().split())
    return folded if folded in _WORD_OF else _EDGES.sub("", folded)


def word_of(text: str) -> Word | None:
    """The universal word `text` is, when it is one and nothing more."""
    return _WORD_OF.get(normalised(text))


# ---- numbers and choices ----------------------------------------------------------------

ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_MORE_NUMBERS = {"ten": 10, "eleven": 11, "twelve": 12}
_NUMBER_WORDS = {**NUMBER_WORDS, **_MORE_NUMBERS, **ORDINALS}
_ONE_NUMBER = re.compile(
    r"^(?:(?:no\.?|number|option|choice|#)\s*)?[(\[]?\s*(-?\d{1,11}|[a-z]+)\s*[.)\]]?$"
)
# (not "/", "-" or "." : 31/03/2027, 2027-03-31 and 31.03.2027 are dates, not choices)
_SEPARATORS = re.compile(r"\s*(?:,|;|&|\+|\band\b|\s)\s*")


def number_of(text: str) -> int | None:
    """The one number `text` is (`2`, `2.`, `(2)`, `#2`, `no. 2`, `two`, `second`)."""
    found = _ONE_NUMBER.match(normalised(text))
    if not found:
        return None
    token = found.group(1)
    if token.lstrip("-").isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token)


def numbers_of(text: str) -> list[int] | None:
    """The numbers `text` is made of (`4, 9`, `4 and 9`, `#4 #9`, `two, three`), or None
    when it is anything more than numbers."""
    pieces = [p for p in _SEPARATORS.split(normalised(text)) if p]
    if not pieces:
        return None
    numbers = [number_of(p) for p in pieces]
    if any(n is None for n in numbers):
        return None
    return [n for n in numbers if n is not None]


@dataclass(frozen=True)
class Option:
    """One thing a step offers: shown as `label`, stored as `value`; also picked by any
    of its `aliases` (a behaviour's short name, a framework's id)."""

    label: str
    value: str
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return tuple(normalised(n) for n in (self.label, self.value, *self.aliases) if n)


PickProblem = Literal["", "not-offered", "unclear", "one-only"]


@dataclass(frozen=True)
class Pick:
    """What a message picked from the options on offer: their values, in the order
    typed; or why nothing was (a number not on offer, a name that fits several or none,
    several where one is wanted)."""

    values: tuple[str, ...] = ()
    problem: PickProblem = ""
    numbers: tuple[int, ...] = ()  # the numbers typed, when they were numbers


def _by_name(typed: str, options: Sequence[Option]) -> list[int]:
    """The options `typed` names: exactly, else as the start of a name (three letters
    or more), else as a whole word of one."""
    exact = [i for i, o in enumerate(options) if typed in o.names()]
    if exact or len(typed) < 3:
        return exact
    starts = [i for i, o in enumerate(options) if any(n.startswith(typed) for n in o.names())]
    if starts:
        return starts
    pattern = re.compile(rf"\b{re.escape(typed)}\b")
    return [i for i, o in enumerate(options) if any(pattern.search(n) for n in o.names())]


def pick(text: str, options: Sequence[Option], *, many: bool = False) -> Pick | None:
    """The options `text` picks, by number or by label; None when it is not a pick at
    all (free text where a step also takes text)."""
    numbers = numbers_of(text)
    if numbers is not None:
        if not many and len(numbers) > 1:
            return Pick(problem="one-only", numbers=tuple(numbers))
        if any(not 1 <= n <= len(options) for n in numbers):
            return Pick(problem="not-offered", numbers=tuple(numbers))
        chosen = list(dict.fromkeys(options[n - 1].value for n in numbers))
        return Pick(values=tuple(chosen), numbers=tuple(numbers))
    typed = normalised(text)
    if not typed or not options:
        return None
    whole = _by_name(typed, options)
    if len(whole) == 1:
        return Pick(values=(options[whole[0]].value,))
    if many and not whole:
        pieces = [p.strip() for p in re.split(r"\s*(?:,|;|\band\b)\s*", typed) if p.strip()]
        found = [_by_name(p, options) for p in pieces]
        if len(pieces) > 1 and all(len(f) == 1 for f in found):
            chosen = list(dict.fromkeys(options[f[0]].value for f in found))
            return Pick(values=tuple(chosen))
    if len(whole) > 1:
        return Pick(problem="unclear")
    return None


# ---- steps ------------------------------------------------------------------------------

StepKind = Literal["text", "choice", "choices", "people", "date", "confirm"]


@dataclass(frozen=True)
class Step:
    """One question of a flow: its name, the template that asks it, what kind of answer
    it takes, whether it may be skipped, and (for choices) what it offers. How an answer
    is checked and stored is the flow's, per step name."""

    name: str
    asks: str = ""  # the template under prompts/ that asks it
    kind: StepKind = "text"
    label: str = ""  # what its answer is called, in "save this as your …"
    optional: bool = False
    # a choice step that also takes free text (a name, a query) beside its options
    open: bool = False
    # its answer names a behaviour and a level: a lookup typed here is the answer
    names_behaviour: bool = False


Meaning = Literal[
    "help", "back", "stop", "skip", "yes", "no", "keep", "picked", "answer", "refused", "command"
]


@dataclass(frozen=True)
class Said:
    """What a message means at a step."""

    meaning: Meaning
    values: tuple[str, ...] = ()  # what was picked ("picked")
    text: str = ""  # the answer, cleaned ("answer"), or what was typed ("refused", "command")
    problem: str = ""  # why it was refused: "needed", "not-offered", "unclear", "one-only", …
    command: str = ""  # what it reads as, when that is a command or a lookup ("command")
    numbers: tuple[int, ...] = ()

    @property
    def value(self) -> str:
        return self.values[0] if self.values else self.text


def read(
    step: Step,
    text: str,
    *,
    options: Sequence[Option] = (),
    looks_like: Callable[[str], str | None] | None = None,
    current: str = "",
) -> Said:
    """What `text`, typed at `step`, means. `looks_like` says what a message would do as
    a command or a lookup (None when it is not one); `current` is the value the step
    holds already (then `keep` keeps it)."""
    typed = clean(text, keep_newlines=True, exact=True).strip()
    word = word_of(typed)
    if word is Word.HELP or word is Word.BACK or word is Word.STOP:
        return Said(word.value)
    if step.kind == "confirm" and word in (Word.YES, Word.NO):
        return Said(word.value)
    if word is Word.KEEP:
        if current:
            return Said("keep", text=current)
        return Said("skip") if step.optional else Said("refused", text=typed, problem="needed")
    if word is Word.SKIP or (step.optional and word is Word.NO and step.kind != "confirm"):
        if step.optional:
            return Said("skip")
        return Said("refused", text=typed, problem="needed")
    if not typed:
        return Said("refused", problem="needed")
    if step.kind in ("choice", "choices", "confirm") or options:
        chosen = pick(typed, options, many=step.kind == "choices")
        if chosen is not None and not chosen.problem:
            return Said("picked", values=chosen.values, numbers=chosen.numbers)
        if chosen is not None and (chosen.numbers or not step.open):
            return Said("refused", text=typed, problem=chosen.problem, numbers=chosen.numbers)
        if not step.open:
            return Said("refused", text=typed, problem="pick")
    elif numbers_of(typed) is not None and step.kind == "text":
        # a bare number where text is asked: a choice that is not on offer
        return Said("refused", text=typed, problem="not-offered")
    if looks_like is not None and (command := looks_like(typed)):
        return Said("command", text=typed, command=command)
    return Said("answer", text=typed)


def previous(steps: Sequence[Step], name: str, asked: Callable[[Step], bool] = bool) -> Step | None:
    """The step before `name` that is asked (given the answers so far)."""
    at = [s.name for s in steps].index(name)
    return next((s for s in reversed(steps[:at]) if asked(s)), None)


def following(
    steps: Sequence[Step], name: str, asked: Callable[[Step], bool] = bool
) -> Step | None:
    """The step after `name` that is asked."""
    at = [s.name for s in steps].index(name)
    return next((s for s in steps[at + 1 :] if asked(s)), None)


# ---- typed, versioned state ---------------------------------------------------------------


class StaleState(ValueError):
    """A flow's stored state in a shape this code does not read (never after the
    migrations have run; a flow meeting one starts afresh)."""


@dataclass
class Typed:
    """A flow's state: a dataclass stored as JSON with its `VERSION` under "v". A flow
    loads its entry at the start of a step and dumps it at the end; conversions between
    versions are registered in `upgrades` and run once, by a migration."""

    KEY: ClassVar[str] = ""  # the entry of the conversation's state it is kept under
    VERSION: ClassVar[int] = 1

    def dump(self) -> dict[str, Any]:
        return {"v": self.VERSION, **asdict(self)}

    @classmethod
    def load(cls, data: Any) -> Self:
        if not isinstance(data, dict) or data.get("v") != cls.VERSION:
            raise StaleState(f"{cls.KEY or cls.__name__}: version {data.get('v')!r}")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> Self | None:
        """The flow's entry in a conversation's state, or None when it has none."""
        data = state.get(cls.KEY)
        return None if data is None else cls.load(data)


# (key, version it converts from) -> the conversion to the next version
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]
upgrades: dict[tuple[str, int], Upgrade] = {}


def upgrade(key: str, since: int) -> Callable[[Upgrade], Upgrade]:
    """Register the conversion of `key`'s entries from version `since` to the next one
    (entries stored before versions were kept count as version 0)."""

    def register(convert: Upgrade) -> Upgrade:
        upgrades[(key, since)] = convert
        return convert

    return register


def upgraded(state: dict[str, Any]) -> dict[str, Any]:
    """A conversation's state with every entry converted to its newest version."""
    result = dict(state)
    for key, data in state.items():
        if not isinstance(data, dict):
            continue
        version = data.get("v", 0)
        while (key, version) in upgrades:
            data = upgrades[(key, version)](dict(data))
            version = data["v"] = version + 1
        result[key] = data
    return result
