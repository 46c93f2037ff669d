"""360 feedback: a person asks peers for quick feedback on chosen behaviours.

The requester builds a request step by step (`360`): framework, level, one to five
behaviours, peers, a deadline, optionally a manager, and their own ratings; `360 send`
stores it and queues a direct message to each peer in the outbox, in the same
transaction. A peer answers (`360 answer N`): a rating per behaviour, an optional
example, one thing to keep doing and one to develop; they can change it until the
request closes. One reminder and the closing are rows in the schedule, run by `tick`
whatever restarts happen in between; at the close the requester (and the manager) get
the anonymised report (bot/feedback_report.py).

Who sees what: a peer sees only their own answers; the requester and the manager see
the report, only once closed, and never who said what; nobody else sees anything.
Every command checks that before it reads a row.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.clock import parse_date, working_moment, zone_for
from bot.engine import Step, StepKind
from bot.feedback_report import (
    MIN_THRESHOLD,
    Earlier,
    PeerAnswer,
    Report,
    Scale,
    aggregates_csv,
    build_report,
    effective_threshold,
    scale_for,
)
from bot.frameworks import Behaviour, Framework, Level
from bot.lookup import Lookup, strip_command_prefix
from bot.records import PeopleStore, form_values, remember
from bot.render import compose, render
from bot.resolver import BehaviourView, resolve_query
from bot.review import indicators
from bot.storage import FeedbackStore, Store
from bot.text import clean, count_words
from bot.types import Choice, Event, Field, Form, Person, Reply, replies_to_json, without

VERBS = frozenset({"360", "feedback"})
MAX_BEHAVIOURS = 5
MAX_PEERS = 200
DEFAULT_DAYS = 7
MAX_DAYS = 90
MAX_COMMENT_WORDS = 300
STOP_WORDS = frozenset({"cancel", "stop", "quit", "exit"})
SKIP_WORDS = frozenset({"skip", "none", "no", "nobody", "-"})
CANNOT_SAY = (
    "i can't say",
    "can't say",
    "cannot say",
    "i cannot say",
    "i cant say",
    "cant say",
    "don't know",
    "dont know",
    "n/a",
)
_NAME = re.compile(r"^@?([A-Za-z0-9][A-Za-z0-9._-]{0,39})$")


@dataclass(frozen=True)
class Scope:
    """The framework and level a request is about."""

    framework: Framework
    level: Level

    def behaviours(self) -> list[Behaviour]:
        return [b for b in self.framework.behaviours if self.level.id in b.texts]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_deadline(text: str, today: date) -> date | str:
    """A deadline typed as any date the bot reads (`2 weeks`, `10 days`, `tomorrow`,
    `2026-12-01`, `31/03/2027`, `31 March 2027`: bot.clock.parse_date, as plans and
    expectations read theirs), or a week by default; or why not: "past", "far" or
    "unreadable"."""
    typed = text.strip().casefold().rstrip(".")
    if typed in ("", "default", "1 week", "a week", "one week"):
        return today + timedelta(days=DEFAULT_DAYS)
    read = parse_date(typed, today)
    if not read:  # unreadable, or a word for none: a request needs a deadline
        return "unreadable"
    day = date.fromisoformat(read)
    if day <= today:
        return "past"
    return day if (day - today).days <= MAX_DAYS else "far"


_BARE_NUMBER = re.compile(r"^[#(]?\d{1,2}[.)]?$")


def _back(answering: dict[str, Any]) -> dict[str, Any]:
    """The question before the current one of a peer's answer (the first stays put)."""
    part, index = answering["part"], answering["index"]
    if part == "example":
        return dict(answering, part="rate")
    if part == "rate" and index > 0:
        return dict(answering, part="example", index=index - 1)
    if part == "keep":
        return dict(answering, part="example", index=index)
    if part == "develop":
        return dict(answering, part="keep")
    return answering


def parse_names(text: str) -> tuple[list[str], list[str]]:
    """(names, what could not be read as a name) from `bob, carol and dan`."""
    pieces = re.split(r"[,;\n]+|\s+and\s+|\s+&\s+", text.strip())
    names, bad = [], []
    for piece in (p.strip() for p in pieces if p.strip()):
        # one word each: "delivering at pace" or "Bob Jones" is not three or two people,
        # and a bare number is a choice typed too late, not a person
        match = _NAME.match(piece)
        ok = match is not None and not piece.lstrip("@").isdigit()
        (names if ok else bad).append(match.group(1) if match and ok else piece)
    return names, bad


def identity_of(name: str, requester: str) -> str:
    """A named person's identity on the requester's platform and workspace."""
    return f"{requester.rsplit(':', 1)[0]}:{name.casefold()}"


def names_typed(user: str) -> bool:
    """Whether people may be named by typing, on `user`'s platform: in the terminal
    only. On Slack and Teams a peer, manager, mentor or employee is always someone the
    platform picked and described (`Event.people`): a typed name could reach anyone,
    or a channel."""
    return user.startswith("console:")


def reminder_time(sent: datetime, deadline: datetime) -> datetime:
    """One reminder: two days before the deadline, or halfway for a short request."""
    if deadline - sent > timedelta(days=4):
        return deadline - timedelta(days=2)
    return sent + (deadline - sent) / 2


def activity_for(result_mean: float, self_rating: int | None, scale: Scale) -> str:
    """A starter development activity for a gap: formal training for a wide gap, a
    mentor where the person rates themselves well above their peers (a blind spot), a
    developmental assignment otherwise. A template key."""
    if self_rating is not None and self_rating - result_mean >= 1:
        return "mentoring"
    if result_mean <= (scale.top + 1) / 2 - 0.5:
        return "training"
    return "assignment"


class FeedbackFlow:
    name = "360"

    def __init__(self, lookup: Lookup, store: Store):
        self.lookup = lookup
        self.store = store
        self.db = FeedbackStore(store)
        self.people = PeopleStore(store)

    # ---- routing --------------------------------------------------------------------

    def wants(self, state: dict[str, Any], event: Event) -> bool:
        command = event.action if event.action is not None else event.text
        verb = strip_command_prefix(clean(command)).partition(" ")[0].casefold()
        if verb in VERBS:
            return True
        if ("feedback" in state or "answering" in state) and event.action is None:
            text = clean(event.text)
            return not event.slash and strip_command_prefix(text) == text.strip()
        return False

    def step(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply]]:
        if "feedback" in state:  # people picked or typed: by the platform, never the draft
            draft = dict(_upgraded(state["feedback"], event.user), by=event.user)
            state = dict(state, feedback=dict(draft, forms=not names_typed(event.user)))
        command = event.action if event.action is not None else event.text
        text = strip_command_prefix(clean(command))
        verb, _, rest = text.partition(" ")
        if event.people:  # their time zones, for reminders in their working hours
            remember(self.people, event)
        if verb.casefold() in VERBS:
            if not event.private:
                return state, [compose("feedback/private_only.j2")]
            return self.command(state, event, rest.strip())
        typed = clean(event.text, keep_newlines=True, exact=True).strip()
        if "answering" in state:
            return self.answer_typed(state, event, typed)
        return self.build_typed(state, event, typed)

    def current(self, state: dict[str, Any]) -> Step | None:
        """The step waiting for an answer: a peer's rating or comment, or what a request
        being built still needs."""
        if (answering := state.get("answering")) is not None:
            part = answering.get("part", "rate")
            if part == "rate":
                return Step(part, kind="choice")
            label = render("feedback/_label.j2", part=part)
            return Step(part, kind="text", optional=True, label=label)
        if (draft := state.get("feedback")) is not None:
            step = draft.get("step", "framework")
            return Step(step, kind=_STEP_KINDS.get(step, "choice"), optional=step == "manager")
        return None

    def ask_again(self, state: dict[str, Any], event: Event) -> Reply | None:
        """The question waiting for an answer, asked again."""
        if "answering" in state:
            found = self._answering(state, event)
            return None if isinstance(found, Reply) else self._question(found[1], found[0])
        if "feedback" in state:
            return self.prompt(state["feedback"])
        return None

    def take_answer(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        """Typed text taken as the answer to the step waiting, whatever it reads as."""
        typed = clean(event.text, keep_newlines=True, exact=True).strip()
        if "answering" in state:
            return self.answer_typed(state, event, typed)
        return self.build_typed(state, event, typed)

    def command(
        self, state: dict[str, Any], event: Event, rest: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        words = rest.split()
        sub = words[0].casefold() if words else ""
        args = words[1:]
        number = int(args[0]) if args and args[0].isdigit() and len(args[0]) < 12 else None
        if sub in ("", "new", "start"):
            return self.start(state, event, " ".join(args))
        if sub in ("list", "status", "requests"):
            return state, [self.listing(event.user)]
        if sub in ("cancel", "stop"):
            return self.cancel(state)
        if sub in (
            "framework",
            "level",
            "add",
            "remove",
            "done",
            "deadline",
            "manager",
            "threshold",
        ):
            return self.build_command(state, event, sub, args)
        if sub in ("people", "boss") and not args:  # the people pickers (Slack, Teams)
            return self.picked(state, event, sub)
        if sub == "self" and len(args) == 2 and args[1].isdigit():
            return self.build_self(state, event, args[0], int(args[1]))
        if sub == "send":
            return self.send(state, event)
        if sub in ("answer", "decline", "later") and number is not None:
            return self.peer_command(state, event, sub, number)
        if sub == "submit" and number is not None:
            return self.submit(state, event, number)
        if sub == "rate" and number is not None and len(args) == 3 and args[2].isdigit():
            return self.rate(state, event, number, args[1], int(args[2]))
        if sub == "skip" and "answering" in state:
            return self.answer_typed(state, event, "skip")
        if sub in ("close", "report", "export", "plan") and number is not None:
            return self.requester_command(state, event, sub, number, args[1:])
        if sub not in ("", "help") and "feedback" not in state:
            # `360 leadership level 4`: start with a behaviour named
            return self.start(state, event, rest)
        return state, [compose("feedback/help.j2")]

    # ---- building a request ---------------------------------------------------------

    def _scope(self, draft: dict[str, Any]) -> Scope | None:
        fw = self.lookup.index.by_id.get(draft.get("framework", ""))
        level = fw.level(draft.get("level", "")) if fw else None
        return Scope(fw, level) if fw and level else None

    def start(
        self, state: dict[str, Any], event: Event, query: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        if "feedback" in state and not query:
            return state, [self.prompt(state["feedback"])]
        draft: dict[str, Any] = {"behaviours": [], "self": {}, "forms": not names_typed(event.user)}
        if query:
            found = resolve_query(self.lookup.index, query)
            if isinstance(found, BehaviourView):
                draft["framework"] = found.framework.id
                draft["behaviours"] = [found.behaviour.id]
                if found.level is not None:
                    draft["level"] = found.level.id
            else:
                # a framework, perhaps with a level: "policing", "civil service level 4"
                typed = " ".join(query.casefold().split())
                named = [
                    (len(name), fw, typed[len(name) :].strip())
                    for fw in self.lookup.index.frameworks
                    for name in _names(fw)
                    if typed == name or typed.startswith(name + " ")
                ]
                if not named:
                    reply = compose("feedback/not_understood.j2", query=query[:80])
                    return state, [reply]
                _, fw, rest = max(named, key=lambda found: found[0])
                draft["framework"] = fw.id
                scope = self._level_typed(draft, rest) if rest else None
                if rest and scope is None:
                    reply = compose("feedback/not_understood.j2", query=query[:80])
                    return state, [reply]
                if scope is not None:
                    draft["level"] = scope.level.id
        draft["step"] = _next_step(draft)
        new_state = without(without(state, "answering"), "star")
        new_state["feedback"] = draft
        return new_state, [self.prompt(draft)]

    def prompt(self, draft: dict[str, Any], problem: str | None = None, **values: Any) -> Reply:
        """The question for the request's current step (after `problem`, if any)."""
        step = draft["step"]
        scope = self._scope(draft)
        fw = self.lookup.index.by_id.get(draft.get("framework", ""))
        chosen = [fw.behaviour(b) for b in draft["behaviours"]] if fw else []
        behaviours = scope.behaviours() if scope else []
        unrated = [b for b in chosen if b and b.id not in draft["self"]]
        manager = draft.get("manager")
        before = self._asked_before(draft, chosen) if step == "confirm" else {}
        reply = compose(
            "feedback/build.j2",
            step=step,
            draft=draft,
            frameworks=self.lookup.index.frameworks,
            framework=fw,
            levels=[lv for lv in fw.levels if any(lv.id in b.texts for b in fw.behaviours)]
            if fw
            else [],
            scope=scope,
            chosen=[b for b in chosen if b],
            others=[b for b in behaviours if b.id not in draft["behaviours"]],
            most=MAX_BEHAVIOURS,
            threshold=effective_threshold(draft.get("threshold")),
            least=MIN_THRESHOLD,
            before=before,
            # a date that would do, for the example: two weeks on
            example_date=(self.store.now() + timedelta(days=14)).date().isoformat(),
            scale=scale_for(fw.id) if fw else None,
            rating=unrated[0] if unrated else None,
            problem=problem,
            forms=bool(draft.get("forms")),
            peer_names=[p["name"] for p in draft.get("peers", [])],
            manager_name=manager["name"] if manager else None,
            **values,
        )
        if draft.get("forms") and step in ("peers", "manager"):
            reply = replace(reply, form=self._picker(draft, step, problem, values.get("typed")))
        return reply

    def _asked_before(
        self, draft: dict[str, Any], chosen: list[Behaviour | None]
    ) -> dict[str, list[int]]:
        """The behaviours of a request being built that its requester asked about
        before (label: requests), in a report that showed them or in one still open:
        its results on them are compared with those when it closes."""
        if not draft.get("by"):
            return {}
        closed = self.history(draft["by"])
        still_open = [
            r
            for r in self.db.requests_of(draft["by"])
            if r["status"] == "open" and r["framework"] == draft.get("framework")
        ]
        before: dict[str, list[int]] = {}
        for b in chosen:
            if b is None:
                continue
            shown = [e.request_id for e in closed if b.id in e.behind]
            waiting = [r["id"] for r in still_open if b.id in r["behaviours"]]
            if shown or waiting:
                before[b.label] = sorted(shown + waiting)
        return before

    def _picker(
        self, draft: dict[str, Any], step: str, problem: str | None, typed: str | None
    ) -> Form:
        """The people picker of the peers or the manager step: a Slack user picker in a
        modal, the team's and chats' people in a Teams card."""
        error = {
            "not-people": f"{typed}: choose people who can answer.",
            "unchecked": f"I could not check {typed} with the platform just now: "
            "choose again in a moment.",
            "self-peer": "That includes you: you rate yourself separately, so choose only others.",
            "self-manager": "You cannot be your own manager here: choose someone else.",
            "too-many-peers": f"That is more than {MAX_PEERS} people: choose fewer.",
            "manager-peer": f"{typed} is asked as a peer: a manager sees the report, so "
            "choose someone who is not answering.",
        }.get(problem or "", "")
        if step == "peers":
            chosen = [p["id"] for p in draft.get("peers", [])]
            field = Field(
                "peers",
                "People to ask",
                value="\n".join(chosen),
                hint="Three or more colleagues who have seen your work",
                kind="people",
                most=MAX_PEERS,
                error=error,
            )
            return Form(
                "Choose people", (field,), "360 people", "360 people", "Choose", "Choose people"
            )
        field = Field(
            "manager",
            "Manager (optional)",
            kind="people",
            most=1,
            optional=True,
            error=error,
        )
        return Form(
            "Choose a manager", (field,), "360 boss", "360 boss", "Choose", "Choose a manager"
        )

    def build_command(
        self, state: dict[str, Any], event: Event, sub: str, args: list[str]
    ) -> tuple[dict[str, Any], list[Reply]]:
        if "feedback" not in state:
            return state, [compose("feedback/no_request.j2")]
        draft = dict(state["feedback"])
        value = " ".join(args)
        if sub == "framework" and value in self.lookup.index.by_id:
            draft = {"framework": value, "behaviours": [], "self": {}, "forms": draft.get("forms")}
        elif sub == "level" and (scope := self._scope(dict(draft, level=value))):
            draft["level"] = scope.level.id
            draft["behaviours"] = [b for b in draft["behaviours"] if value in _texts(scope, b)]
        elif sub == "add":
            return self._add(state, draft, value)
        elif sub == "remove":
            draft["behaviours"] = [b for b in draft["behaviours"] if b != value]
            draft["self"] = {k: v for k, v in draft["self"].items() if k != value}
            draft["done"] = False
        elif sub == "done" and draft.get("behaviours"):
            draft["done"] = True
        elif sub == "deadline":
            return self._deadline(state, draft, value)
        elif sub == "threshold":
            if not (
                value.isascii() and value.isdigit() and MIN_THRESHOLD <= int(value) <= MAX_PEERS
            ):
                return state, [self.prompt(draft, "bad-threshold", typed=value[:20])]
            draft["threshold"] = int(value)
            return dict(state, feedback=draft), [self.prompt(draft)]
        elif sub == "manager":
            return self._manager(state, event, draft, value)
        else:
            return state, [self.prompt(draft)]
        draft["step"] = _next_step(draft)
        return dict(state, feedback=draft), [self.prompt(draft)]

    def _add(
        self, state: dict[str, Any], draft: dict[str, Any], value: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        scope = self._scope(draft)
        if scope is None:
            return state, [self.prompt(draft)]
        behaviour = scope.framework.behaviour(value)
        if behaviour is None:
            found = resolve_query(self.lookup.index, f"{value} {scope.framework.short_name}")
            behaviour = found.behaviour if isinstance(found, BehaviourView) else None
            if behaviour is not None and behaviour.framework_id != scope.framework.id:
                behaviour = None
        if behaviour is None or scope.level.id not in behaviour.texts:
            return state, [self.prompt(draft, "unknown-behaviour", typed=value[:80])]
        if behaviour.id in draft["behaviours"]:
            return state, [self.prompt(draft, "already-chosen", typed=behaviour.label)]
        if len(draft["behaviours"]) >= MAX_BEHAVIOURS:
            return state, [self.prompt(draft, "too-many")]
        draft["behaviours"] = [*draft["behaviours"], behaviour.id]
        if len(draft["behaviours"]) == MAX_BEHAVIOURS:
            draft["done"] = True
        draft["step"] = _next_step(draft)
        return dict(state, feedback=draft), [self.prompt(draft)]

    def _deadline(
        self, state: dict[str, Any], draft: dict[str, Any], value: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        day = parse_deadline(value, self.store.now().date())
        if isinstance(day, str):
            return state, [self.prompt(draft, f"deadline-{day}", typed=value[:40])]
        draft["deadline"] = day.isoformat()
        draft["step"] = _next_step(draft)
        return dict(state, feedback=draft), [self.prompt(draft)]

    def _manager(
        self, state: dict[str, Any], event: Event, draft: dict[str, Any], value: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        if value.casefold() in SKIP_WORDS:
            draft["manager"] = None
        elif not names_typed(event.user):
            return state, [self.prompt(draft, "use-picker", typed=value[:80])]
        else:
            names, bad = parse_names(value)
            if bad or len(names) != 1:
                return state, [self.prompt(draft, "one-manager", typed=value[:80])]
            manager = identity_of(names[0], event.user)
            if manager == event.user:
                return state, [self.prompt(draft, "self-manager")]
            if manager in _peer_ids(draft):
                return state, [self.prompt(draft, "manager-peer", typed=names[0])]
            draft["manager"] = {"id": manager, "name": names[0]}
        draft["step"] = _next_step(draft)
        return dict(state, feedback=draft), [self.prompt(draft)]

    def _peers(
        self, state: dict[str, Any], event: Event, draft: dict[str, Any], value: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        if not names_typed(event.user):
            return state, [self.prompt(draft, "use-picker", typed=value[:80])]
        names, bad = parse_names(value)
        if bad:
            return state, [self.prompt(draft, "bad-names", typed=", ".join(bad)[:80])]
        if not names:
            return state, [self.prompt(draft)]
        identities = [identity_of(n, event.user) for n in names]
        if event.user in identities:
            return state, [self.prompt(draft, "self-peer")]
        seen: set[str] = set()
        repeated = [n for n, i in zip(names, identities, strict=True) if i in seen or seen.add(i)]
        if repeated:
            return state, [self.prompt(draft, "repeated", typed=", ".join(repeated)[:80])]
        if len(names) > MAX_PEERS:
            return state, [self.prompt(draft, "too-many-peers", limit=MAX_PEERS)]
        draft["peers"] = [
            {"id": i, "name": n, "tz": None} for n, i in zip(names, identities, strict=True)
        ]
        draft["step"] = _next_step(draft)
        return dict(state, feedback=draft), [self.prompt(draft)]

    def picked(
        self, state: dict[str, Any], event: Event, sub: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """People chosen in a picker: the peers (`people`) or the manager (`boss`). Who
        they are comes from the platform (`Event.people`), never from the payload: an
        id it does not know, an app or a deactivated account is refused by name."""
        if "feedback" not in state:
            return state, [compose("feedback/no_request.j2")]
        draft = dict(state["feedback"])
        step = "peers" if sub == "people" else "manager"
        reached = STEPS.index(draft.get("step", "framework")) >= STEPS.index(step)
        if event.fields is None or not reached:
            return state, [self.prompt(draft)]
        ids = [i for i in re.split(r"[\s,]+", event.fields.get(step) or "") if i]
        known = {p.identity: p for p in event.people}
        people: list[Person] = []
        for identity in dict.fromkeys(ids):  # a picker never repeats; a payload may
            person = known.get(identity)
            if (
                person is None
                or person.problem
                or not identity.startswith(event.user.rsplit(":", 1)[0] + ":")
            ):
                name = person.name if person else identity.rsplit(":", 1)[-1]
                problem = "unchecked" if person and person.problem == "unchecked" else "not-people"
                return state, [self.prompt(dict(draft, step=step), problem, typed=name[:80])]
            people.append(person)
        if any(p.identity == event.user for p in people):
            problem = "self-peer" if step == "peers" else "self-manager"
            return state, [self.prompt(dict(draft, step=step), problem)]
        if step == "manager" and people and people[0].identity in _peer_ids(draft):
            reply = self.prompt(dict(draft, step=step), "manager-peer", typed=people[0].name)
            return state, [reply]
        if event.name:
            draft["me"] = event.name
        if step == "manager":
            draft["manager"] = (
                {"id": people[0].identity, "name": people[0].name} if people else None
            )
        elif not people:
            return state, [self.prompt(dict(draft, step=step))]
        elif len(people) > MAX_PEERS:
            return state, [self.prompt(draft, "too-many-peers", limit=MAX_PEERS)]
        else:
            draft["peers"] = [{"id": p.identity, "name": p.name, "tz": p.tz_offset} for p in people]
        draft["step"] = _next_step(draft)
        return dict(state, feedback=draft), [self.prompt(draft)]

    def build_self(
        self, state: dict[str, Any], event: Event, behaviour: str, rating: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        if "feedback" not in state:
            return state, [compose("feedback/no_request.j2")]
        draft = dict(state["feedback"])
        fw = self.lookup.index.by_id.get(draft.get("framework", ""))
        if fw is None or behaviour not in draft["behaviours"]:
            return state, [self.prompt(draft)]
        if not 1 <= rating <= scale_for(fw.id).top:
            return state, [self.prompt(draft, "bad-rating")]
        draft["self"] = dict(draft["self"], **{behaviour: rating})
        draft["step"] = _next_step(draft)
        return dict(state, feedback=draft), [self.prompt(draft)]

    def build_typed(
        self, state: dict[str, Any], event: Event, typed: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        draft = dict(state["feedback"])
        word = typed.casefold().rstrip(".!")
        if word in STOP_WORDS:
            return self.cancel(state)
        step = draft["step"]
        if step == "behaviours" and word in ("done", "that's all", "that is all"):
            return self.build_command(state, event, "done", [])
        if step == "behaviours":
            return self._add(state, draft, typed)
        if step == "peers":
            return self._peers(state, event, draft, typed)
        if step == "deadline":
            return self._deadline(state, draft, typed)
        if step == "manager":
            return self._manager(state, event, draft, typed)
        if step == "self" and (fw := self.lookup.index.by_id.get(draft.get("framework", ""))):
            labels = {label.casefold(): n for n, label in enumerate(scale_for(fw.id).labels, 1)}
            unrated = [b for b in draft["behaviours"] if b not in draft["self"]]
            if word in labels and unrated:
                return self.build_self(state, event, unrated[0], labels[word])
        if step == "confirm" and word in ("send", "yes"):
            return self.send(state, event)
        if step == "framework":
            fw = next((f for f in self.lookup.index.frameworks if word in _names(f)), None)
            if fw is not None:
                return self.build_command(state, event, "framework", [fw.id])
        if step == "level" and (scope := self._level_typed(draft, typed)):
            return self.build_command(state, event, "level", [scope.level.id])
        return state, [self.prompt(draft, "not-understood", typed=typed[:80])]

    def _level_typed(self, draft: dict[str, Any], typed: str) -> Scope | None:
        fw = self.lookup.index.by_id.get(draft.get("framework", ""))
        if fw is None:
            return None
        found = resolve_query(self.lookup.index, f"{fw.short_name} {typed}")
        level = getattr(found, "level", None)
        if isinstance(level, Level) and fw.level(level.id):
            return Scope(fw, level)
        return next(
            (Scope(fw, lv) for lv in fw.levels if typed.casefold() in (lv.id, lv.name.casefold())),
            None,
        )

    def cancel(self, state: dict[str, Any]) -> tuple[dict[str, Any], list[Reply]]:
        if "answering" in state:
            return without(state, "answering"), [compose("feedback/answer_paused.j2")]
        if "feedback" not in state:
            return state, [compose("feedback/no_request.j2")]
        return without(state, "feedback"), [compose("feedback/cancelled.j2")]

    def send(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply]]:
        draft = state.get("feedback")
        if draft is None:
            return state, [compose("feedback/no_request.j2")]
        scope = self._scope(draft)
        if draft.get("step") != "confirm" or scope is None:
            return state, [self.prompt(draft, "not-ready")]
        deadline_day = date.fromisoformat(draft["deadline"])
        if deadline_day <= self.store.now().date():
            draft = dict(draft, step="deadline")
            draft.pop("deadline", None)
            return dict(state, feedback=draft), [self.prompt(draft, "deadline-past", typed="")]
        sent = self.store.now()
        deadline = datetime.combine(deadline_day, datetime.min.time(), UTC) + timedelta(hours=17)
        requester_name = draft.get("me") or event.name or event.user.rsplit(":", 1)[1]
        boss = draft.get("manager")
        peers = [(p["id"], p["name"], p.get("tz")) for p in draft["peers"]]
        request_id = self.db.create_request(
            requester=event.user,
            requester_name=requester_name,
            framework=scope.framework.id,
            level=scope.level.id,
            behaviours=list(draft["behaviours"]),
            self_ratings=dict(draft["self"]),
            manager=boss["id"] if boss else None,
            manager_name=boss["name"] if boss else None,
            deadline=_iso(deadline),
            threshold=effective_threshold(draft.get("threshold")),
            seed=secrets.token_hex(8),
            peers=peers,
        )
        request = self.db.request(request_id)
        assert request is not None
        for peer, name, _ in peers:
            ask = compose("feedback/ask.j2", **self._about(request), name=name)
            self.db.queue(
                peer, f"ask-{request_id}-{peer}", replies_to_json([ask]), request_id=request_id
            )
        self.db.schedule("remind", request_id, _iso(reminder_time(sent, deadline)))
        self.db.schedule("close", request_id, _iso(deadline))
        reply = compose("feedback/sent.j2", **self._about(request), peers=peers)
        return without(state, "feedback"), [reply]

    # ---- describing a request -------------------------------------------------------

    def _about(self, request: dict[str, Any]) -> dict[str, Any]:
        fw = self.lookup.index.by_id.get(request["framework"])
        level = fw.level(request["level"]) if fw else None
        behaviours = [fw.behaviour(b) for b in request["behaviours"]] if fw else []
        return {
            "request": request,
            "framework": fw,
            "level": level,
            "behaviours": [b for b in behaviours if b],
            "deadline": request["deadline"][:10],
            "scale": scale_for(request["framework"]),
        }

    def listing(self, user: str) -> Reply:
        mine = self.db.requests_of(user)
        progress = {r["id"]: self._progress(r["id"]) for r in mine}
        asked = [(p, self.db.request(p["request_id"])) for p in self.db.asked_of(user)]
        managed = self.db.requests_managed_by(user)
        return compose(
            "feedback/list.j2",
            mine=[self._about(r) for r in mine],
            progress=progress,
            asked=[(p, self._about(r)) for p, r in asked if r],
            managed=[self._about(r) for r in managed],
        )

    def _progress(self, request_id: int) -> dict[str, int]:
        """What the requester and the manager may see of an open request: how many were
        asked and could not be reached. Nothing of the answers, not even whether enough
        have come for a report: watched, that would tell when the one that made enough
        came (and with accomplices answering first, whose it was)."""
        peers = self.db.peers(request_id)
        delivered, queued = self.db.delivery(request_id)  # the asks only
        return {
            "unreachable": sum(p["status"] == "unreachable" for p in peers),
            "total": len(peers),
            "delivered": delivered,
            "queued": queued,
        }

    # ---- answering, as a peer -------------------------------------------------------

    def peer_command(
        self, state: dict[str, Any], event: Event, sub: str, number: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        peer = self.db.peer(number, event.user)
        request = self.db.request(number) if peer else None
        if peer is None or request is None:  # never say whether someone else's exists
            return state, [compose("feedback/not_yours.j2", number=number)]
        about = self._about(request)
        if request["status"] != "open":
            return state, [compose("feedback/closed.j2", **about)]
        if sub == "later":
            return state, [compose("feedback/later.j2", **about)]
        if sub == "decline":
            self.db.set_peer_status(number, event.user, "declined")
            return without(state, "answering"), [compose("feedback/declined.j2", **about)]
        if event.forms:  # the whole answer in one form: a Slack modal, a Teams card
            return without(state, "answering"), [self._answer_form(about, peer)]
        answering = {
            "request": number,
            "index": 0,
            "part": "rate",
            "ratings": {},
            "examples": {},
        }
        new_state = dict(without(without(state, "feedback"), "star"), answering=answering)
        return new_state, [self._question(about, answering, changing=peer["status"] == "answered")]

    def _answer_form(
        self,
        about: dict[str, Any],
        peer: dict[str, Any],
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Reply:
        """Every question of a request in one form, holding the peer's earlier answer
        (or what they just submitted, with why it was refused)."""
        request, scale = about["request"], about["scale"]
        errors = errors or {}
        if values is None:
            values = {f"rate-{b}": str(r) for b, r in peer["ratings"].items()}
            if peer["status"] == "answered":  # "I can't say" is an answer too
                for b in about["behaviours"]:
                    values.setdefault(f"rate-{b.id}", "0")
            values |= {f"example-{b}": t for b, t in peer["examples"].items()}
            values |= {"keep": peer["keep"] or "", "develop": peer["develop"] or ""}
        options = (
            *(Choice(label, str(n)) for n, label in enumerate(scale.labels, 1)),
            Choice("I can't say", "0"),
        )
        name = request["requester_name"]
        fields: list[Field] = []
        for b in about["behaviours"]:
            fields.append(
                Field(
                    f"rate-{b.id}",
                    b.label,
                    value=values.get(f"rate-{b.id}", ""),
                    kind="choice",
                    options=options,
                    error=errors.get(f"rate-{b.id}", ""),
                )
            )
            fields.append(
                Field(
                    f"example-{b.id}",
                    f"An example of {b.label} you have seen (optional)",
                    value=values.get(f"example-{b.id}", ""),
                    optional=True,
                    error=errors.get(f"example-{b.id}", ""),
                )
            )
        for key, label in (("keep", "keep doing"), ("develop", "develop")):
            fields.append(
                Field(
                    key,
                    f"One thing {name} should {label} (optional)"
                    if key == "keep"
                    else f"One thing {name} could {label} (optional)",
                    value=values.get(key, ""),
                    optional=True,
                    error=errors.get(key, ""),
                )
            )
        reply = compose(
            "feedback/answer_form.j2",
            **about,
            changing=peer["status"] == "answered",
            refused=bool(errors),
        )
        form = Form(
            title=f"Feedback for {name}"[:24],
            fields=tuple(fields),
            submit=f"360 submit {request['id']}",
            command=f"360 answer {request['id']}",
            submit_label="Send",
            open_label="Answer now",
        )
        return replace(reply, form=form)

    def submit(
        self, state: dict[str, Any], event: Event, number: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        """A submitted answer form: all of it checked first, then saved whole. A second
        submission (a double click, a resubmitted form) replaces the answer, never adds."""
        peer = self.db.peer(number, event.user)
        request = self.db.request(number) if peer else None
        if peer is None or request is None:
            return state, [compose("feedback/not_yours.j2", number=number)]
        about = self._about(request)
        if request["status"] != "open":
            return state, [compose("feedback/closed.j2", **about)]
        if event.fields is None:
            return state, [self._answer_form(about, peer)]
        values = form_values(event)
        errors: dict[str, str] = {}
        ratings: dict[str, int] = {}
        examples: dict[str, str] = {}
        top = about["scale"].top
        for b in about["behaviours"]:
            rating = values.get(f"rate-{b.id}", "")
            if not (rating.isascii() and rating.isdigit() and 0 <= int(rating) <= top):
                errors[f"rate-{b.id}"] = "Choose a rating, or I can't say."
            elif int(rating):
                ratings[b.id] = int(rating)
            if example := values.get(f"example-{b.id}", ""):
                examples[b.id] = example
        for key, text in values.items():
            if count_words(text) > MAX_COMMENT_WORDS:
                errors[key] = (
                    f"That is {count_words(text):,} words: keep it to {MAX_COMMENT_WORDS}."
                )
        if errors:
            return state, [self._answer_form(about, peer, values, errors)]
        self.db.save_answer(
            number,
            event.user,
            ratings=ratings,
            examples=examples,
            keep=values.get("keep", ""),
            develop=values.get("develop", ""),
        )
        return without(state, "answering"), [compose("feedback/thanks.j2", **about)]

    def _question(
        self, about: dict[str, Any], answering: dict[str, Any], changing: bool = False
    ) -> Reply:
        behaviours = about["behaviours"]
        index = answering["index"]
        behaviour = behaviours[index] if index < len(behaviours) else None
        return compose(
            "feedback/question.j2",
            **about,
            part=answering["part"],
            behaviour=behaviour,
            position=index + 1,
            text=behaviour.texts.get(about["level"].id) if behaviour and about["level"] else "",
            changing=changing,
        )

    def _answering(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], dict[str, Any]] | Reply:
        """(answering state, the request described) while the request is still open."""
        answering = state["answering"]
        request = self.db.request(answering["request"])
        peer = self.db.peer(answering["request"], event.user)
        if request is None or peer is None:
            return compose("feedback/not_yours.j2", number=answering["request"])
        if request["status"] != "open":
            return compose("feedback/closed.j2", **self._about(request))
        return answering, self._about(request)

    def rate(
        self, state: dict[str, Any], event: Event, number: int, behaviour: str, rating: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        current = state.get("answering")
        if current is None or current["request"] != number:
            return self.peer_command(state, event, "answer", number)
        found = self._answering(state, event)
        if isinstance(found, Reply):
            return without(state, "answering"), [found]
        answering, about = found
        ids = [b.id for b in about["behaviours"]]
        index = answering["index"]
        if answering["part"] != "rate" or index >= len(ids) or ids[index] != behaviour:
            return state, [self._question(about, answering)]  # a stale button
        if not 0 <= rating <= about["scale"].top:
            return state, [self._question(about, answering)]
        ratings = dict(answering["ratings"])
        if rating:
            ratings[behaviour] = rating  # 0: "I can't say"
        answering = dict(answering, ratings=ratings, part="example")
        return dict(state, answering=answering), [self._question(about, answering)]

    def answer_typed(
        self, state: dict[str, Any], event: Event, typed: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        found = self._answering(state, event)
        if isinstance(found, Reply):
            return without(state, "answering"), [found]
        answering, about = found
        word = typed.casefold().rstrip(".!")
        if word in STOP_WORDS:
            return self.cancel(state)
        part = answering["part"]
        if word == "back":
            answering = _back(answering)
            return dict(state, answering=answering), [self._question(about, answering)]
        if word == "help" or (part != "rate" and _BARE_NUMBER.match(word)):
            # a question, or a number pressed twice: never filed as an answer
            problem = "help" if word == "help" else "number"
            said = compose("feedback/answer_help.j2", problem=problem, typed=typed[:20])
            return state, [said, self._question(about, answering)]
        if part == "rate":
            scale: Scale = about["scale"]
            labels = {label.casefold(): n for n, label in enumerate(scale.labels, 1)}
            labels.update(dict.fromkeys(CANNOT_SAY, 0))
            word = word.replace("’", "'")
            behaviour = about["behaviours"][answering["index"]].id
            if word in labels:
                return self.rate(state, event, answering["request"], behaviour, labels[word])
            return state, [compose("feedback/pick_rating.j2"), self._question(about, answering)]
        if count_words(typed) > MAX_COMMENT_WORDS:
            reply = compose(
                "feedback/too_long.j2", words=count_words(typed), most=MAX_COMMENT_WORDS
            )
            return state, [reply]
        text = "" if word in SKIP_WORDS else typed
        if part == "example":
            behaviour = about["behaviours"][answering["index"]].id
            examples = dict(answering["examples"])
            if text:
                examples[behaviour] = text
            following = answering["index"] + 1
            if following < len(about["behaviours"]):
                answering = dict(answering, examples=examples, index=following, part="rate")
            else:
                answering = dict(answering, examples=examples, part="keep")
            return dict(state, answering=answering), [self._question(about, answering)]
        if part == "keep":
            answering = dict(answering, keep=text, part="develop")
            return dict(state, answering=answering), [self._question(about, answering)]
        self.db.save_answer(
            answering["request"],
            event.user,
            ratings=answering["ratings"],
            examples=answering["examples"],
            keep=answering.get("keep", ""),
            develop=text,
        )
        return without(state, "answering"), [compose("feedback/thanks.j2", **about)]

    # ---- the requester: closing, the report, exports -------------------------------

    def requester_command(
        self, state: dict[str, Any], event: Event, sub: str, number: int, args: list[str]
    ) -> tuple[dict[str, Any], list[Reply]]:
        request = self.db.request(number)
        may_see = request is not None and event.user in (request["requester"], request["manager"])
        if request is None or not may_see:
            return state, [compose("feedback/not_yours.j2", number=number)]
        about = self._about(request)
        if sub == "close":
            if request["requester"] != event.user:
                return state, [compose("feedback/not_yours.j2", number=number)]
            sure = [a.casefold() for a in args] == ["confirm"]
            # closing early is always asked first, the same whatever the answers so far:
            # a question asked only while too few had answered would tell when the
            # answer that made enough came
            if request["status"] == "open" and not sure:
                return state, [compose("feedback/close_early.j2", **about)]
            if not self.close(number, tell_requester=False):  # the reply is the report
                return state, [compose("feedback/closed.j2", **about)]
            request = self.db.request(number)
            assert request is not None
            return state, [self.report(request)]
        if request["status"] == "open":
            return state, [
                compose(
                    "feedback/still_open.j2",
                    **about,
                    progress=self._progress(number),
                    can_close=request["requester"] == event.user,
                )
            ]
        reader = "requester" if request["requester"] == event.user else "manager"
        if sub == "report":
            return state, [self.report(request, reader=reader)]
        if sub == "plan":
            return state, [self.report(request, kind="plan", reader=reader)]
        kind = args[0].casefold() if args else ""
        if kind in ("markdown", "md", "csv"):
            return state, [self.report(request, kind="csv" if kind == "csv" else "markdown")]
        if sub == "export":
            return state, [compose("feedback/export_which.j2", **about)]
        return state, [compose("feedback/help.j2")]

    def close(self, request_id: int, *, tell_requester: bool = True) -> bool:
        """Close the request and send its report to the requester and the manager."""
        if not self.db.close(request_id):
            return False
        request = self.db.request(request_id)
        assert request is not None
        told = [(request["requester"], "requester")] if tell_requester else []
        if request["manager"]:
            told.append((request["manager"], "manager"))
        for user, reader in told:
            self.db.queue(
                user,
                f"report-{request_id}-{user}",
                replies_to_json([self.report(request, reader=reader)]),
                request_id=request_id,
            )
        return True

    def built_report(self, request: dict[str, Any], earlier: list[Earlier] | None = None) -> Report:
        """The report of a closed request, compared with the requester's reports on the
        same framework that closed before it (`earlier`, or looked up)."""
        if earlier is None:
            earlier = self.history(request["requester"], before=request)
        peers = self.db.peers(request["id"])
        answered = [p for p in peers if p["status"] == "answered"]
        return build_report(
            request["behaviours"],
            request["self_ratings"],
            [
                PeerAnswer(
                    p["ratings"], p["examples"], p["keep"] or "", p["develop"] or "", p["peer"]
                )
                for p in answered
            ],
            asked=len(peers),
            scale=scale_for(request["framework"]),
            threshold=request["threshold"],
            seed=request["seed"],
            earlier=earlier,
        )

    def history(self, requester: str, before: dict[str, Any] | None = None) -> list[Earlier]:
        """What the requester's closed reports showed, in the order they closed (only
        those that closed before `before`), each compared with the ones before it: what
        a new report is compared with. Every framework's: the keep-doing and develop
        comments are the same questions whatever the framework (behaviours are compared
        by their ids, which are a framework's own)."""
        closed = sorted(
            (r for r in self.db.requests_of(requester) if r["status"] == "closed"),
            key=lambda r: (r["closed_at"] or "", r["id"]),
        )
        earlier: list[Earlier] = []
        for r in closed:
            if before is not None and (r["closed_at"] or "", r["id"]) >= (
                before["closed_at"] or "",
                before["id"],
            ):
                break
            earlier.append(self.built_report(r, list(earlier)).as_earlier(r["id"]))
        return earlier

    def report(
        self, request: dict[str, Any], kind: str = "report", reader: str = "requester"
    ) -> Reply:
        """The report, worded for its `reader`: the requester, or their "manager"."""
        about = self._about(request)
        result = self.built_report(request)
        names = {b.id: b.label for b in about["behaviours"]}
        fw: Framework | None = about["framework"]
        pointers = {}
        activities = {}
        for gap in result.gaps:
            behaviour = fw.behaviour(gap) if fw else None
            if behaviour and about["level"]:
                above = (
                    [lv for lv in fw.levels_of(behaviour) if lv.rank > about["level"].rank]
                    if fw
                    else []
                )
                target = above[0] if above else about["level"]
                pointers[gap] = (target, indicators(behaviour.texts[target.id])[:3])
            found = next(r for r in result.behaviours if r.behaviour == gap)
            activities[gap] = activity_for(found.mean or 0, found.self_rating, about["scale"])
        template = {
            "report": "feedback/report.j2",
            "plan": "feedback/plan.j2",
            "markdown": "feedback/report_markdown.j2",
            "csv": "feedback/report_csv.j2",
        }[kind]
        csv_text = aggregates_csv(result, names, about["scale"]) if kind == "csv" else ""
        return compose(
            template,
            **about,
            result=result,
            names=names,
            pointers=pointers,
            activities=activities,
            csv=csv_text,
            gap_names=[names.get(g, g) for g in result.gaps],
            reader=reader,
        )

    # ---- the schedule ---------------------------------------------------------------

    def tick(
        self, at: datetime | None = None, others: Callable[[str, int, datetime], None] | None = None
    ) -> int:
        """Run the reminders and closings that are due (inside the caller's
        transaction), and hand the schedule's other tasks to `others` (kind, id, time);
        how many ran."""
        moment = _iso(at or self.store.now())
        ran = 0
        for task_id, kind, request_id in self.db.due_tasks(moment):
            if not self.db.task_done(task_id):
                continue
            if kind not in ("close", "remind"):
                if others is not None:
                    others(kind, request_id, datetime.fromisoformat(moment))
                ran += 1
                continue
            request = self.db.request(request_id)
            if request is None or request["status"] != "open":
                continue
            if kind == "close":
                self.close(request_id)
            elif kind == "remind":
                about = self._about(request)
                deadline = datetime.fromisoformat(request["deadline"])
                for peer in self.db.peers(request_id):
                    if peer["status"] == "asked" and not peer["reminded_at"]:
                        reminder = compose("feedback/reminder.j2", **about, name=peer["name"])
                        ran_at = datetime.fromisoformat(moment)
                        known = self.people.get(peer["peer"]) or {}
                        zone = zone_for(known.get("tz_name"), peer["tz_offset"])
                        due = working_moment(ran_at, zone, deadline)
                        self.db.queue(
                            peer["peer"],
                            f"remind-{request_id}-{peer['peer']}",
                            replies_to_json([reminder]),
                            request_id=request_id,
                            due=_iso(due) if due > ran_at else "",  # "": now
                        )
                        self.db.mark_reminded(request_id, peer["peer"])
            ran += 1
        return ran

    def unreachable(self, request_id: int | None, user: str, reason: str) -> None:
        """A direct message to `user` could not be delivered: a peer of a request is
        marked unreachable, and the requester told who (inside the caller's transaction)."""
        if request_id is None:
            return
        request = self.db.request(request_id)
        peer = self.db.peer(request_id, user) if request else None
        if request is None or peer is None or peer["status"] != "asked":
            return
        self.db.set_peer_status(request_id, user, "unreachable")
        note = compose(
            "feedback/unreachable.j2", **self._about(request), name=peer["name"], reason=reason
        )
        self.db.queue(
            request["requester"],
            f"unreachable-{request_id}-{user}",
            replies_to_json([note]),
            request_id=None,
        )


def _upgraded(draft: dict[str, Any], user: str) -> dict[str, Any]:
    """A request being built before people carried identities (names alone, kept in a
    conversation's state across an upgrade), with the identities the names stand for;
    where names are never typed (Slack, Teams), without them, to be picked again."""
    peers, boss = draft.get("peers", []), draft.get("manager")
    if not any(isinstance(p, str) for p in peers) and not isinstance(boss, str):
        return draft
    upgraded = dict(draft)
    if not names_typed(user):
        upgraded["peers"] = [p for p in peers if not isinstance(p, str)]
        if isinstance(boss, str):
            del upgraded["manager"]
        upgraded["step"] = _next_step(upgraded)
        return upgraded
    upgraded["peers"] = [
        {"id": identity_of(p, user), "name": p, "tz": None} if isinstance(p, str) else p
        for p in peers
    ]
    if isinstance(boss, str):
        upgraded["manager"] = {"id": identity_of(boss, user), "name": boss}
    return upgraded


def _peer_ids(draft: dict[str, Any]) -> set[str]:
    """The identities of the people a request being built asks."""
    return {p["id"] for p in draft.get("peers", [])}


def _names(fw: Framework) -> set[str]:
    return {fw.id, fw.name.casefold(), fw.short_name.casefold(), *fw.id.split("-")}


def _texts(scope: Scope, behaviour_id: str) -> dict[str, Any]:
    behaviour = scope.framework.behaviour(behaviour_id)
    return behaviour.texts if behaviour else {}


STEPS = ("framework", "level", "behaviours", "peers", "deadline", "manager", "self", "confirm")
_STEP_KINDS: dict[str, StepKind] = {
    "behaviours": "choices",
    "peers": "people",
    "deadline": "date",
    "manager": "people",
    "confirm": "confirm",
}


def _next_step(draft: dict[str, Any]) -> str:
    """The first thing the request still needs."""
    if not draft.get("framework"):
        return "framework"
    if not draft.get("level"):
        return "level"
    if not draft.get("behaviours") or not draft.get("done"):
        return "behaviours"
    if not draft.get("peers"):
        return "peers"
    if not draft.get("deadline"):
        return "deadline"
    if "manager" not in draft:
        return "manager"
    if any(b not in draft.get("self", {}) for b in draft["behaviours"]):
        return "self"
    return "confirm"
