"""The 360 flow's typed state: a request being built (`RequestDraft`, kept under
"feedback") and a peer's answer in progress (`AnswerDraft`, under "answering"), each
stored as versioned JSON in the conversation's state. A flow paused with `stop` keeps
its state under "<key>-paused" until it is taken up again.

People (peers, the manager) are `bot.types.Person`s. Rows in an older shape are
converted once, by the migrations `m013_feedback_states` (before versions were kept)
and `m015_people_in_states` (people as dictionaries) in bot/storage.py, through the
upgrades registered here."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from bot.engine import StaleState, Typed, upgrade
from bot.types import Person


def identity_of(name: str, requester: str) -> str:
    """A named person's identity on the requester's platform and workspace: a name of
    several words is joined with dots (`Bob Smith` is `bob.smith`)."""
    return f"{requester.rsplit(':', 1)[0]}:{'.'.join(name.casefold().split())}"


def names_typed(user: str) -> bool:
    """Whether people may be named by typing, on `user`'s platform: in the terminal
    only. On Slack and Teams a peer, manager, mentor or employee is always someone the
    platform picked and described (`Event.people`): a typed name could reach anyone,
    or a channel."""
    return user.startswith("console:")


class _State(Typed):
    """Loaded as a copy: changing a loaded state never changes the stored one."""

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> Self | None:
        data = state.get(cls.KEY)
        return None if data is None else cls.load(copy.deepcopy(data))

    @classmethod
    def paused(cls, state: Mapping[str, Any]) -> Self | None:
        """The state kept by `stop`, when it is still readable."""
        try:
            data = state.get(f"{cls.KEY}-paused")
            return None if data is None else cls.load(copy.deepcopy(data))
        except StaleState:
            return None


@dataclass
class RequestDraft(_State):
    """A 360 request being built: what each step has given so far, and the step
    waiting for an answer."""

    KEY = "feedback"
    VERSION = 2

    step: str = "framework"
    framework: str = ""
    level: str = ""
    behaviours: list[str] = field(default_factory=list)
    done: bool = False  # no more behaviours to add
    peers: list[Person] = field(default_factory=list)  # named as typed or as picked
    deadline: str = ""  # an ISO date
    manager: Person | None = None
    manager_asked: bool = False  # None above is an answer ("No manager") once asked
    ratings: dict[str, int] = field(default_factory=dict)  # the requester's own
    forms: bool = False  # people are picked in a form (Slack, Teams), never typed
    by: str = ""  # the requester
    me: str = ""  # the requester's name, as the platform gave it
    threshold: int | None = None

    @classmethod
    def load(cls, data: Any) -> Self:
        draft = super().load(data)
        draft.peers = [Person(**p) for p in draft.peers]  # stored as dictionaries
        draft.manager = None if draft.manager is None else Person(**draft.manager)
        return draft

    def peer_ids(self) -> set[str]:
        return {p.identity for p in self.peers}

    def peer_names(self) -> list[str]:
        return [p.name for p in self.peers]


@dataclass
class AnswerDraft(_State):
    """A peer's answer to request `request`, one question at a time: first whether their
    examples may be shown to the requester ("consent"), then `part` of the `index`-th
    behaviour ("rate", "example"), then "keep" and "develop"."""

    KEY = "answering"
    VERSION = 2

    request: int = 0
    index: int = 0
    part: str = "consent"
    consent: bool = False  # no, until the peer says yes
    ratings: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)
    keep: str = ""


@upgrade(RequestDraft.KEY, 0)
def _request_from_dicts(data: dict[str, Any]) -> dict[str, Any]:
    """A request being built, as it was kept before versions: own ratings under
    "self", no manager key until asked, and (before people carried identities) peers
    and a manager as bare names, which stand for identities where names are typed (the
    terminal) and are dropped, to be picked again, where they are not."""
    by = data.get("by", "")
    typed = names_typed(by) if by else False
    peers = []
    for peer in data.get("peers", []):
        if not isinstance(peer, str):
            peers.append(peer)
        elif typed:
            peers.append({"id": identity_of(peer, by), "name": peer, "tz": None})
    boss = data.get("manager")
    asked = "manager" in data
    if isinstance(boss, str):
        known = {"id": identity_of(boss, by), "name": boss}
        boss, asked = (known, True) if typed else (None, False)
    draft = {
        key: data[key]
        for key in ("framework", "level", "behaviours", "done", "deadline", "forms", "by", "me")
        if data.get(key) is not None
    }
    draft |= {
        "peers": peers,
        "manager": boss,
        "manager_asked": asked,
        "ratings": dict(data.get("self", {})),
        "threshold": data.get("threshold"),
        "step": data.get("step", "framework"),
    }
    dropped = len(peers) < len(data.get("peers", [])) or (asked is False and "manager" in data)
    if dropped:  # picked again, from the first thing now missing
        draft["step"] = "peers" if not peers else "manager"
    return draft


@upgrade(RequestDraft.KEY, 1)
@upgrade(f"{RequestDraft.KEY}-paused", 1)
def _request_with_persons(data: dict[str, Any]) -> dict[str, Any]:
    """People kept as dictionaries ({"id", "name", "tz"} for a peer, {"id", "name"} for
    the manager) become `Person`s, stored as their fields."""

    def person(kept: dict[str, Any]) -> dict[str, Any]:
        return asdict(Person(kept["id"], kept["name"], kept.get("tz")))

    boss = data.get("manager")
    return data | {
        "peers": [person(p) for p in data.get("peers", [])],
        "manager": None if boss is None else person(boss),
    }


@upgrade(AnswerDraft.KEY, 0)
def _answer_from_dicts(data: dict[str, Any]) -> dict[str, Any]:
    """A peer's answer in progress: the same fields, now versioned."""
    return {key: value for key, value in data.items() if key != "v"}


@upgrade(AnswerDraft.KEY, 1)
@upgrade(f"{AnswerDraft.KEY}-paused", 1)
def _answer_with_consent(data: dict[str, Any]) -> dict[str, Any]:
    """An answer in progress from before consent was asked: no consent; one still at its
    first question is asked it first, before any example is written."""
    first = data.get("part") == "rate" and not data.get("index") and not data.get("examples")
    return data | {"consent": False, "part": "consent" if first else data.get("part", "rate")}
