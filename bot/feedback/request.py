"""360 feedback: a person asks peers for quick feedback on chosen behaviours.

The requester builds a request step by step (`360`): framework, level, one to five
behaviours, peers, a deadline, optionally a manager, and their own ratings; `360 send`
stores it and queues a direct message to each peer in the outbox, in the same
transaction. A peer answers (`360 answer N`): a rating per behaviour, an optional
example, one thing to keep doing and one to develop; they can change it until the
request closes. One reminder and the closing are rows in the schedule, run by `tick`
whatever restarts happen in between; at the close the requester (and the manager) get
the anonymised report (bot/feedback/report.py). A peer's answer is in bot/feedback/answer.py.

Who sees what: a peer sees only their own answers; the requester and the manager see
the report, only once closed, and never who said what; nobody else sees anything.
Every command checks that before it reads a row.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.clock import iso, parse_date
from bot.commands import words_of
from bot.engine import Option, StaleState, Step, Word, numbers_of, previous, read, word_of
from bot.feedback.answer import ANSWER_STEP, Answering, form_text
from bot.feedback.report import (
    MIN_THRESHOLD,
    effective_threshold,
    scale_for,
)
from bot.feedback.results import Results
from bot.feedback.state import AnswerDraft, RequestDraft, identity_of, names_typed
from bot.frameworks import Behaviour, Framework, Level
from bot.lookup import BehaviourView, Lookup, resolve_query, strip_command_prefix
from bot.records import PeopleStore, remember
from bot.render import compose, render
from bot.storage import FeedbackStore, Store
from bot.text import clean
from bot.types import Event, Field, Form, Person, Reply, replies_to_json, without

VERBS = words_of("360")
MAX_BEHAVIOURS = 5
MAX_PEERS = 200
DEFAULT_DAYS = 7
MAX_DAYS = 90


@dataclass(frozen=True)
class Scope:
    """The framework and level a request is about."""

    framework: Framework
    level: Level

    def behaviours(self) -> list[Behaviour]:
        return [b for b in self.framework.behaviours if self.level.id in b.texts]


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


_NAME_WORD = re.compile(r"^@?[A-Za-z0-9][A-Za-z0-9._'’-]{0,39}$")
_BETWEEN_NAMES = re.compile(r"[,;\n]+|\s+and\s+|\s+&\s+")


def parse_names(text: str, *, one: bool = False) -> tuple[list[str], list[str]]:
    """(names, what could not be read as a name) from `bob, carol and dan` or `Bob
    Smith, Carol Jones, Dan`: a name of up to three words where names are separated
    (or where `one` person is named), else of one word, so that `bob carol dan` is not
    taken for one person; a bare number is a choice typed too late, not a person."""
    pieces = [p.strip() for p in _BETWEEN_NAMES.split(text.strip()) if p.strip()]
    most = 3 if one or len(pieces) > 1 else 1
    names, bad = [], []
    for piece in pieces:
        words = piece.split()
        ok = (
            len(words) <= most
            and all(_NAME_WORD.match(w) for w in words)
            and not piece.lstrip("@").isdigit()
        )
        (names if ok else bad).append(" ".join(w.lstrip("@") for w in words) if ok else piece)
    return names, bad


def reminder_time(sent: datetime, deadline: datetime) -> datetime:
    """One reminder: two days before the deadline, or halfway for a short request."""
    if deadline - sent > timedelta(days=4):
        return deadline - timedelta(days=2)
    return sent + (deadline - sent) / 2


class FeedbackFlow(Results, Answering):
    name = "360"

    def __init__(
        self, lookup: Lookup, store: Store, looks_like: Callable[[str], str | None] | None = None
    ):
        self.lookup = lookup
        self.store = store
        self.db = FeedbackStore(store)
        self.people = PeopleStore(store)
        # what a message reads as when it is a command or a lookup (the router's)
        self.looks_like = looks_like or (lambda text: None)
        # told of people other than the speaker whose homes change (the router's)
        self.home_changed: Callable[[str], None] = lambda user: None

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
        command = event.action if event.action is not None else event.text
        text = strip_command_prefix(clean(command))
        verb, _, rest = text.partition(" ")
        if event.people:  # their time zones, for reminders in their working hours
            remember(self.people, event)
        if verb.casefold() in VERBS:
            if not event.private:
                return state, [compose("feedback/private_only.j2")]
            return self.command(state, event, rest.strip())
        return self.take_answer(state, event)

    def current(self, state: dict[str, Any]) -> Step | None:
        """The step waiting for an answer: a peer's rating or comment, or what a request
        being built still needs."""
        try:
            answer, draft = AnswerDraft.of(state), RequestDraft.of(state)
        except StaleState:
            return None
        if answer is not None:
            step = ANSWER_STEP[answer.part]
            if step.kind == "text":
                return replace(step, label=render("feedback/_label.j2", part=step.name))
            return step
        return REQUEST_STEP.get(draft.step) if draft is not None else None

    def ask_again(self, state: dict[str, Any], event: Event) -> Reply | None:
        """The question waiting for an answer, asked again."""
        if "answering" in state:
            found = self._answering(state, event)
            return None if isinstance(found, Reply) else self._question(found[1], found[0])
        if (draft := self._draft(state, event)) is not None:
            return self.prompt(draft)
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
            return self.start(state, event, " ".join(args), afresh=sub != "")
        if sub in ("list", "status", "requests"):
            building = "feedback" in state or "feedback-paused" in state
            return state, [self.listing(event.user, building)]
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
            "peers",
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
        if sub == "consent" and number is not None:
            return self.consent_command(state, event, number, args[1] if len(args) > 1 else "")
        if sub == "submit" and number is not None:
            return self.submit(state, event, number)
        if sub == "rate" and number is not None and len(args) == 3 and args[2].isdigit():
            return self.rate(state, event, number, args[1], int(args[2]))
        if sub == "skip" and "answering" in state:
            return self.answer_typed(state, event, "skip")
        if sub in ("close", "report", "export", "plan") and number is not None:
            return self.requester_command(state, event, sub, number, args[1:])
        if sub not in ("", "help"):
            # `360 leadership level 4`: a new request, with a behaviour named (one being
            # built is replaced: the command says what is wanted now)
            return self.start(state, event, rest, afresh=True)
        return state, [self.lookup.help("console", "360")]

    # ---- building a request ---------------------------------------------------------

    def _draft(self, state: dict[str, Any], event: Event) -> RequestDraft | None:
        """The request being built, for `event`'s sender: people picked where the
        platform has pickers, typed in the terminal, never taken from the draft."""
        try:
            draft = RequestDraft.of(state)
        except StaleState:  # never after the migrations: started again
            return None
        if draft is not None:
            draft.by, draft.forms = event.user, not names_typed(event.user)
        return draft

    @staticmethod
    def _kept(state: dict[str, Any], draft: RequestDraft) -> dict[str, Any]:
        return dict(state, feedback=draft.dump())

    def _moved(
        self, state: dict[str, Any], draft: RequestDraft
    ) -> tuple[dict[str, Any], list[Reply]]:
        """The draft kept, and the question of the first thing it still needs."""
        draft.step = self._next(draft)
        return self._kept(state, draft), [self.prompt(draft)]

    def _scope(self, draft: RequestDraft) -> Scope | None:
        fw = self.lookup.index.by_id.get(draft.framework)
        level = fw.level(draft.level) if fw else None
        return Scope(fw, level) if fw and level else None

    @staticmethod
    def _levels(fw: Framework) -> list[Level]:
        """The levels a request on `fw` can be about: those its behaviours have text for."""
        return [lv for lv in fw.levels if any(lv.id in b.texts for b in fw.behaviours)]

    def _only_level(self, fw: Framework) -> Level | None:
        """The level of `fw` when there is no real choice: it has one, or its levels are
        its rating scale (the DHS competencies are rated Achieved Expectations or
        Achieved Excellence, so asking which to judge against asks the same twice: the
        highest is shown, and peers rate against it)."""
        levels = self._levels(fw)
        if len(levels) == 1:
            return levels[0]
        if levels and {lv.name for lv in levels} <= set(scale_for(fw.id).labels):
            return max(levels, key=lambda lv: lv.rank)
        return None

    def _next(self, draft: RequestDraft) -> str:
        """The first thing the request still needs (a level with no real choice is
        filled in on the way)."""
        fw = self.lookup.index.by_id.get(draft.framework)
        if fw is None:
            return "framework"
        if not draft.level:
            only = self._only_level(fw)
            if only is None:
                return "level"
            draft.level = only.id
        if not draft.behaviours or not draft.done:
            return "behaviours"
        if not draft.peers:
            return "peers"
        if not draft.deadline:
            return "deadline"
        if not draft.manager_asked:
            return "manager"
        if any(b not in draft.ratings for b in draft.behaviours):
            return "self"
        return "confirm"

    def start(
        self, state: dict[str, Any], event: Event, query: str, *, afresh: bool = False
    ) -> tuple[dict[str, Any], list[Reply]]:
        if not query and not afresh:
            draft = self._draft(state, event)
            if draft is None and (paused := RequestDraft.paused(state)) is not None:
                draft, state = paused, without(state, "feedback-paused")
                draft.by, draft.forms = event.user, not names_typed(event.user)
            if draft is not None:
                return self._kept(state, draft), [self.prompt(draft)]
        draft = RequestDraft(by=event.user, forms=not names_typed(event.user))
        if query:
            found = resolve_query(self.lookup.index, query)
            if isinstance(found, BehaviourView):
                draft.framework = found.framework.id
                draft.behaviours = [found.behaviour.id]
                if found.level is not None:
                    draft.level = found.level.id
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
                draft.framework = fw.id
                scope = self._level_typed(draft, rest) if rest else None
                if rest and scope is None:
                    reply = compose("feedback/not_understood.j2", query=query[:80])
                    return state, [reply]
                if scope is not None:
                    draft.level = scope.level.id
        new_state = without(without(without(state, "answering"), "star"), "feedback-paused")
        return self._moved(new_state, draft)

    def prompt(self, draft: RequestDraft, problem: str | None = None, **values: Any) -> Reply:
        """The question for the request's current step (after `problem`, if any)."""
        step = draft.step
        scope = self._scope(draft)
        fw = self.lookup.index.by_id.get(draft.framework)
        chosen = [fw.behaviour(b) for b in draft.behaviours] if fw else []
        behaviours = scope.behaviours() if scope else []
        unrated = [b for b in chosen if b and b.id not in draft.ratings]
        before = self._asked_before(draft, chosen) if step == "confirm" else {}
        values.setdefault("typed", "")
        reply = compose(
            "feedback/build.j2",
            step=step,
            draft=draft,
            frameworks=self.lookup.index.frameworks,
            framework=fw,
            levels=self._levels(fw) if fw else [],
            scope=scope,
            chosen=[b for b in chosen if b],
            others=[b for b in behaviours if b.id not in draft.behaviours],
            most=MAX_BEHAVIOURS,
            threshold=effective_threshold(draft.threshold),
            least=MIN_THRESHOLD,
            before=before,
            # a date that would do, for the example: two weeks on
            example_date=(self.store.now() + timedelta(days=14)).date().isoformat(),
            scale=scale_for(fw.id) if fw else None,
            rating=unrated[0] if unrated else None,
            problem=problem,
            forms=draft.forms,
            peer_names=draft.peer_names(),
            manager_name=draft.manager.name if draft.manager else None,
            **values,
        )
        if draft.forms and step in ("peers", "manager"):
            reply = replace(reply, form=self._picker(draft, step, problem, values["typed"]))
        return reply

    def _options(self, draft: RequestDraft) -> list[Option]:
        """What the current step offers: the choices its question shows, in their order
        (a number or a label picks one; its command does what the button would)."""
        return [Option(c.label, c.command) for c in self.prompt(draft).choices]

    def _held(self, draft: RequestDraft) -> str:
        """What the current step holds already (`keep` keeps it)."""
        if draft.step == "peers":
            return ", ".join(draft.peer_names())
        if draft.step == "deadline":
            return draft.deadline
        if draft.step == "manager" and draft.manager_asked:
            return draft.manager.name if draft.manager else NO_MANAGER
        return ""

    def _asked_before(
        self, draft: RequestDraft, chosen: list[Behaviour | None]
    ) -> dict[str, list[int]]:
        """The behaviours of a request being built that its requester asked about
        before (label: requests), in a report that showed them or in one still open:
        its results on them are compared with those when it closes."""
        if not draft.by:
            return {}
        closed = self.history(draft.by)
        still_open = [
            r
            for r in self.db.requests_of(draft.by)
            if r["status"] == "open" and r["framework"] == draft.framework
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

    def _picker(self, draft: RequestDraft, step: str, problem: str | None, typed: str) -> Form:
        """The people picker of the peers or the manager step: a Slack user picker in a
        modal, the team's and chats' people in a Teams card."""
        error = compose(
            "feedback/_picker_error.j2",
            problem=problem or "",
            typed=typed,
            most=MAX_PEERS,
            threshold=effective_threshold(draft.threshold),
        ).plain_text()
        if step == "peers":
            field = Field(
                "peers",
                form_text("peers-label"),
                value="\n".join(p.identity for p in draft.peers),
                hint=form_text("peers-hint", threshold=effective_threshold(draft.threshold)),
                kind="people",
                most=MAX_PEERS,
                error=error,
            )
            title = form_text("peers-title")
            return Form(title, (field,), "360 people", "360 people", form_text("choose"), title)
        field = Field(
            "manager",
            form_text("manager-label"),
            kind="people",
            most=1,
            optional=True,
            error=error,
        )
        title = form_text("manager-title")
        return Form(title, (field,), "360 boss", "360 boss", form_text("choose"), title)

    def build_command(
        self, state: dict[str, Any], event: Event, sub: str, args: list[str]
    ) -> tuple[dict[str, Any], list[Reply]]:
        draft = self._draft(state, event)
        if draft is None:
            return state, [compose("feedback/no_request.j2")]
        value = " ".join(args)
        if sub == "framework" and value in self.lookup.index.by_id:
            draft = RequestDraft(framework=value, forms=draft.forms, by=draft.by)
        elif sub == "level" and (scope := self._scope(replace(draft, level=value))):
            draft.level = scope.level.id
            draft.behaviours = [b for b in draft.behaviours if value in _texts(scope, b)]
        elif sub == "add":
            return self._add(state, draft, [value])
        elif sub == "remove":
            draft.behaviours = [b for b in draft.behaviours if b != value]
            draft.ratings.pop(value, None)
            draft.done = False
        elif sub == "done" and draft.behaviours:
            draft.done = True
        elif sub == "deadline":
            return self._deadline(state, draft, value)
        elif sub == "threshold":
            if not (
                value.isascii() and value.isdigit() and MIN_THRESHOLD <= int(value) <= MAX_PEERS
            ):
                return state, [self.prompt(draft, "bad-threshold", typed=value[:20])]
            draft.threshold = int(value)
            return self._kept(state, draft), [self.prompt(draft)]
        elif sub == "manager":
            return self._manager(state, event, draft, value)
        elif sub == "peers" and draft.peers:  # "Change the peers", at the confirmation
            draft.step = "peers"
            return self._kept(state, draft), [self.prompt(draft)]
        else:
            return state, [self.prompt(draft)]
        return self._moved(state, draft)

    def _add(
        self, state: dict[str, Any], draft: RequestDraft, values: Sequence[str]
    ) -> tuple[dict[str, Any], list[Reply]]:
        """Behaviours added (several at once: `2, 4` or `leadership, teamwork`)."""
        scope = self._scope(draft)
        if scope is None:
            return state, [self.prompt(draft)]
        chosen: list[str] = []
        for value in values:
            behaviour = scope.framework.behaviour(value)
            if behaviour is None:
                found = resolve_query(self.lookup.index, f"{value} {scope.framework.short_name}")
                behaviour = found.behaviour if isinstance(found, BehaviourView) else None
                if behaviour is not None and behaviour.framework_id != scope.framework.id:
                    behaviour = None
            if behaviour is None or scope.level.id not in behaviour.texts:
                return state, [self.prompt(draft, "unknown-behaviour", typed=value[:80])]
            if behaviour.id in draft.behaviours:
                return state, [self.prompt(draft, "already-chosen", typed=behaviour.label)]
            chosen.append(behaviour.id)
        if len(draft.behaviours) + len(chosen) > MAX_BEHAVIOURS:  # none dropped unsaid
            return state, [self.prompt(draft, "too-many")]
        draft.behaviours = [*draft.behaviours, *chosen]
        if len(draft.behaviours) == MAX_BEHAVIOURS:
            draft.done = True
        return self._moved(state, draft)

    def _deadline(
        self, state: dict[str, Any], draft: RequestDraft, value: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        day = parse_deadline(value, self.store.now().date())
        if isinstance(day, str):
            return state, [self.prompt(draft, f"deadline-{day}", typed=value[:40])]
        draft.deadline = day.isoformat()
        return self._moved(state, draft)

    def _manager(
        self, state: dict[str, Any], event: Event, draft: RequestDraft, value: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        if value.casefold() == NO_MANAGER or word_of(value) in (Word.SKIP, Word.NO):
            draft.manager = None
        elif not names_typed(event.user):
            return state, [self.prompt(draft, "use-picker", typed=value[:80])]
        else:
            names, bad = parse_names(value, one=True)
            if bad or len(names) != 1:
                return state, [self.prompt(draft, "one-manager", typed=value[:80])]
            if (refused := self._not_a_name(names)) is not None:
                return state, [self.prompt(draft, "not-a-name", typed=refused[:80])]
            manager = identity_of(names[0], event.user)
            if manager == event.user:
                return state, [self.prompt(draft, "self-manager")]
            if manager in draft.peer_ids():
                return state, [self.prompt(draft, "manager-peer", typed=names[0])]
            draft.manager = Person(manager, names[0])
        draft.manager_asked = True
        return self._moved(state, draft)

    def _not_a_name(self, names: Sequence[str]) -> str | None:
        """The first of `names` that is no name but a word of the bot's (`help`,
        `skip`), one of its commands (`drafts`) or a lookup (`delivering at pace`)."""
        return next(
            (
                n
                for n in names
                if word_of(n) is not None
                or numbers_of(n) is not None
                or self.looks_like(n) is not None
            ),
            None,
        )

    def _peers(
        self, state: dict[str, Any], event: Event, draft: RequestDraft, value: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        if not names_typed(event.user):
            return state, [self.prompt(draft, "use-picker", typed=value[:80])]
        names, bad = parse_names(value)
        if bad:
            return state, [self.prompt(draft, "bad-names", typed=", ".join(bad)[:80])]
        if not names:
            return state, [self.prompt(draft)]
        if (refused := self._not_a_name(names)) is not None:
            return state, [self.prompt(draft, "not-a-name", typed=refused[:80])]
        identities = [identity_of(n, event.user) for n in names]
        if event.user in identities:
            return state, [self.prompt(draft, "self-peer")]
        seen: set[str] = set()
        repeated = [n for n, i in zip(names, identities, strict=True) if i in seen or seen.add(i)]
        if repeated:
            return state, [self.prompt(draft, "repeated", typed=", ".join(repeated)[:80])]
        if len(names) > MAX_PEERS:
            return state, [self.prompt(draft, "too-many-peers", limit=MAX_PEERS)]
        if draft.manager is not None and draft.manager.identity in identities:
            return state, [self.prompt(draft, "peer-manager", typed=draft.manager.name)]
        if len(names) < effective_threshold(draft.threshold):
            typed = ", ".join(names)[:80]
            return state, [self.prompt(draft, "too-few-peers", typed=typed, count=len(names))]
        draft.peers = [Person(i, n) for n, i in zip(names, identities, strict=True)]
        return self._moved(state, draft)

    def picked(
        self, state: dict[str, Any], event: Event, sub: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """People chosen in a picker: the peers (`people`) or the manager (`boss`). Who
        they are comes from the platform (`Event.people`), never from the payload: an
        id it does not know, an app or a deactivated account is refused by name."""
        draft = self._draft(state, event)
        if draft is None:
            return state, [compose("feedback/no_request.j2")]
        step = "peers" if sub == "people" else "manager"
        reached = STEPS.index(draft.step) >= STEPS.index(step)
        if event.fields is None or not reached:
            return state, [self.prompt(draft)]
        ids = [i for i in re.split(r"[\s,]+", event.fields.get(step) or "") if i]
        known = {p.identity: p for p in event.people}
        people: list[Person] = []
        asked = replace(draft, step=step)
        for identity in dict.fromkeys(ids):  # a picker never repeats; a payload may
            person = known.get(identity)
            if (
                person is None
                or person.problem
                or not identity.startswith(event.user.rsplit(":", 1)[0] + ":")
            ):
                name = person.name if person else identity.rsplit(":", 1)[-1]
                problem = "unchecked" if person and person.problem == "unchecked" else "not-people"
                return state, [self.prompt(asked, problem, typed=name[:80])]
            people.append(person)
        if any(p.identity == event.user for p in people):
            problem = "self-peer" if step == "peers" else "self-manager"
            return state, [self.prompt(asked, problem)]
        if step == "manager" and people and people[0].identity in draft.peer_ids():
            return state, [self.prompt(asked, "manager-peer", typed=people[0].name)]
        manager = draft.manager
        if step == "peers" and manager and manager.identity in {p.identity for p in people}:
            return state, [self.prompt(asked, "peer-manager", typed=manager.name)]
        if event.name:
            draft.me = event.name
        if step == "manager":
            draft.manager = people[0] if people else None
            draft.manager_asked = True
        elif not people:
            return state, [self.prompt(asked)]
        elif len(people) > MAX_PEERS:
            return state, [self.prompt(draft, "too-many-peers", limit=MAX_PEERS)]
        elif len(people) < effective_threshold(draft.threshold):
            names = ", ".join(p.name for p in people)[:80]
            reply = self.prompt(asked, "too-few-peers", typed=names, count=len(people))
            return state, [reply]
        else:
            draft.peers = people
        return self._moved(state, draft)

    def build_self(
        self, state: dict[str, Any], event: Event, behaviour: str, rating: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        draft = self._draft(state, event)
        if draft is None:
            return state, [compose("feedback/no_request.j2")]
        fw = self.lookup.index.by_id.get(draft.framework)
        if fw is None or behaviour not in draft.behaviours:
            return state, [self.prompt(draft)]
        if not 1 <= rating <= scale_for(fw.id).top:
            return state, [self.prompt(draft, "bad-rating")]
        draft.ratings[behaviour] = rating
        return self._moved(state, draft)

    def build_typed(
        self, state: dict[str, Any], event: Event, typed: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """Typed text at the step waiting, read the engine's way: the universal words
        first, then a choice by number or label, then the step's own answer."""
        draft = self._draft(state, event)
        if draft is None:
            return without(state, "feedback"), [compose("feedback/no_request.j2")]
        step = REQUEST_STEP[draft.step]
        said = read(step, typed, options=self._options(draft), current=self._held(draft))
        shown = said.text[:80]
        match said.meaning:
            case "help":
                return state, [self.prompt(draft, "help")]
            case "back":
                return self._back(state, draft)
            case "stop":
                return self.pause(state, draft)
            case "keep":
                return self._moved(state, draft)
            case "skip":  # the manager, the one step that may be skipped
                return self._manager(state, event, draft, NO_MANAGER)
            case "yes":
                return self.send(state, event)
            case "no":
                return state, [self.prompt(draft, "not-sent")]
            case "refused":
                number = said.numbers[0] if said.numbers else None
                return state, [self.prompt(draft, said.problem, typed=shown, number=number)]
            case "picked":
                return self._picked(state, event, said.values)
        if draft.step == "behaviours":
            return self._add(state, draft, [typed])
        if draft.step == "peers":
            return self._peers(state, event, draft, typed)
        if draft.step == "deadline":
            return self._deadline(state, draft, typed)
        if draft.step == "manager":
            return self._manager(state, event, draft, typed)
        if draft.step == "level" and (scope := self._level_typed(draft, typed)):
            return self.build_command(state, event, "level", [scope.level.id])
        return state, [self.prompt(draft, "not-understood", typed=shown)]

    def _picked(
        self, state: dict[str, Any], event: Event, commands: Sequence[str]
    ) -> tuple[dict[str, Any], list[Reply]]:
        """Choices of the step waiting, picked by number or label: each does what its
        button does (several at once where several can be picked)."""
        draft = self._draft(state, event)
        adding = [c for c in commands if c.startswith("360 add ")]
        if draft is not None and len(draft.behaviours) + len(adding) > MAX_BEHAVIOURS:
            return state, [self.prompt(draft, "too-many")]  # all or none: none dropped
        replies: list[Reply] = []
        for command in commands:
            state, replies = self.step(state, replace(event, action=command))
        return state, replies

    def _back(
        self, state: dict[str, Any], draft: RequestDraft
    ) -> tuple[dict[str, Any], list[Reply]]:
        """The step before the current one, with what it holds kept and shown: an own
        rating is asked again, the behaviours may be added to again."""
        rated = [b for b in draft.behaviours if b in draft.ratings]
        if draft.step in ("self", "confirm") and rated:
            del draft.ratings[rated[-1]]  # asked again
            draft.step = "self"
            return self._kept(state, draft), [self.prompt(draft)]
        fw = self.lookup.index.by_id.get(draft.framework)

        def asked(step: Step) -> bool:
            if step.name == "level":
                return fw is not None and self._only_level(fw) is None
            return step.name != "self"

        before = previous(REQUEST_STEPS, draft.step, asked)
        if before is None:
            return state, [self.prompt(draft, "first-step")]
        draft.step = before.name
        if before.name == "behaviours":
            draft.done = False
        return self._kept(state, draft), [self.prompt(draft)]

    def _level_typed(self, draft: RequestDraft, typed: str) -> Scope | None:
        fw = self.lookup.index.by_id.get(draft.framework)
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

    def pause(
        self, state: dict[str, Any], draft: RequestDraft
    ) -> tuple[dict[str, Any], list[Reply]]:
        """`stop`, `cancel` or `pause` while building: nothing is sent, what was chosen
        is kept, and `360` takes it up again."""
        paused = dict(without(state, "feedback"), **{"feedback-paused": draft.dump()})
        return paused, [compose("feedback/paused.j2")]

    def set_aside(self, state: dict[str, Any]) -> tuple[dict[str, Any], Reply]:
        """A draft, a practice or a mock interview started while a 360 answer or request
        waits: that one is paused as `stop` pauses it (one question waits at a time), and
        a note says how to carry on."""
        if "answering" in state:
            paused, _ = self.pause_answer(state)
            answer = AnswerDraft.paused(paused)
            number = answer.request if answer is not None else 0
            return paused, compose("feedback/set_aside.j2", number=number)
        try:
            draft = RequestDraft.of(state)
        except StaleState:  # never after the migrations: nothing to keep
            draft = None
        paused = without(state, "feedback")
        if draft is not None:
            paused["feedback-paused"] = draft.dump()
        return paused, compose("feedback/set_aside.j2", number=0)

    def cancel(self, state: dict[str, Any]) -> tuple[dict[str, Any], list[Reply]]:
        if "answering" in state:
            return self.pause_answer(state)
        if "feedback" not in state and "feedback-paused" not in state:
            return state, [compose("feedback/no_request.j2")]
        dropped = without(without(state, "feedback"), "feedback-paused")
        return dropped, [compose("feedback/cancelled.j2")]

    def send(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply]]:
        draft = self._draft(state, event)
        if draft is None:
            return state, [compose("feedback/no_request.j2")]
        scope = self._scope(draft)
        if draft.step != "confirm" or scope is None:
            return state, [self.prompt(draft, "not-ready")]
        if draft.manager is not None and draft.manager.identity in draft.peer_ids():
            draft.step = "peers"  # never sent so: the manager's report would show them
            reply = self.prompt(draft, "peer-manager", typed=draft.manager.name)
            return self._kept(state, draft), [reply]
        deadline_day = date.fromisoformat(draft.deadline)
        if deadline_day <= self.store.now().date():
            draft.step, draft.deadline = "deadline", ""
            return self._kept(state, draft), [self.prompt(draft, "deadline-past")]
        sent = self.store.now()
        deadline = datetime.combine(deadline_day, datetime.min.time(), UTC) + timedelta(hours=17)
        requester_name = draft.me or event.name or event.user.rsplit(":", 1)[1]
        request_id = self.db.create_request(
            requester=event.user,
            requester_name=requester_name,
            framework=scope.framework.id,
            level=scope.level.id,
            behaviours=list(draft.behaviours),
            self_ratings=dict(draft.ratings),
            manager=draft.manager,
            deadline=iso(deadline),
            threshold=effective_threshold(draft.threshold),
            seed=secrets.token_hex(8),
            peers=draft.peers,
        )
        request = self.db.request(request_id)
        assert request is not None
        for peer in draft.peers:
            ask = compose("feedback/ask.j2", **self._about(request), name=peer.name)
            self.db.queue(
                peer.identity,
                f"ask-{request_id}-{peer.identity}",
                replies_to_json([ask]),
                request_id=request_id,
            )
        self.db.schedule("remind", request_id, iso(reminder_time(sent, deadline)))
        self.db.schedule("close", request_id, iso(deadline))
        reply = compose("feedback/sent.j2", **self._about(request), peers=draft.peers)
        return without(state, "feedback"), [reply]


def _names(fw: Framework) -> set[str]:
    return {fw.id, fw.name.casefold(), fw.short_name.casefold(), *fw.id.split("-")}


def _texts(scope: Scope, behaviour_id: str) -> dict[str, Any]:
    behaviour = scope.framework.behaviour(behaviour_id)
    return behaviour.texts if behaviour else {}


# The steps of building a request, in order: what each asks (a template), what kind of
# answer it takes. How an answer is read is the engine's (`read`); what each stores is
# `FeedbackFlow`'s, per step name.
REQUEST_STEPS: tuple[Step, ...] = (
    Step("framework", "feedback/build.j2", "choice", open=True),
    Step("level", "feedback/build.j2", "choice", open=True),
    Step("behaviours", "feedback/build.j2", "choices", open=True, names_behaviour=True),
    Step("peers", "feedback/build.j2", "people"),
    Step("deadline", "feedback/build.j2", "date", open=True),
    Step("manager", "feedback/build.j2", "people", optional=True, open=True),
    Step("self", "feedback/build.j2", "choice"),
    Step("confirm", "feedback/build.j2", "confirm"),
)
REQUEST_STEP = {s.name: s for s in REQUEST_STEPS}
STEPS = tuple(REQUEST_STEP)
NO_MANAGER = "none"
