"""The core's front door: `Bot.handle(event) -> replies`, the same for every adapter.

`step` is pure: (state, event) -> (new state, replies), never writing. `handle` does the
writing, in one transaction: the event id is recorded (a retried or duplicated delivery
is not handled again) and the new state is saved before the replies go back. The replies
are kept with the event until the adapter reports them delivered (`settle`): a retry of
an event whose replies could not be delivered gets those same replies, never a second
handling. A double click or a resubmitted form comes with an id of its own: the same
click or submission from the same person just after the first is answered with what the
first did, said to be so, and not handled again. A bare number answers the choices last
offered in that conversation, even after a restart.

Most events are lookups that change nothing; one without an id (a slash command) is
answered from a plain read of the state, and takes the write lock only when the state
moves on. Then the state is read again under the lock: when another process changed it
in between, the step runs again on what is stored, so no change is ever lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.commands import COMMANDS, MAX_COMMAND_REST, job_of, personal_words, routed_words
from bot.engine import Word, normalised, number_of, numbers_of, word_of
from bot.expectations import ExpectationFlow
from bot.feedback import FeedbackFlow
from bot.forms import FormFiller
from bot.frameworks import Framework
from bot.home import Home, Page
from bot.lookup import Lookup, strip_command_prefix
from bot.lookup.resolver import (
    Ambiguous,
    BehaviourView,
    ClusterView,
    FrameworkView,
    LevelNotFound,
    SeveralLevels,
    resolve_query,
)
from bot.outbox import Outbox
from bot.plans import PlanFlow
from bot.plans.store import PlanStore
from bot.records import Checked, PersonalFlow
from bot.render import compose
from bot.schedule import Schedule
from bot.star import ADVERT_VERBS, StarFlow
from bot.star.bank import Bank
from bot.storage import Busy, Store, is_busy
from bot.text import clean
from bot.types import Event, Form, Outgoing, Reply, replies_from_json, replies_to_json, without

log = logging.getLogger("behaviourbot")

# What starts a flow, and the state entries of flows under way.
_VERBS = routed_words()
_FLOW_KEYS = ("star", "practice", "mock", "feedback", "answering", "filling")
# The commands by their words (not the chat's own: help, stop, as; but home): typed with
# a command's shape while a flow waits for an answer, they are run, never filed as one.
_BY_WORD = {w: c for c in COMMANDS if c.job != "chat" or c.name == "home" for w in c.words}
# The engine's words that a flow takes even when sent as a command (`/behaviour stop`).
_COMMAND_WORDS = (Word.STOP, Word.SKIP, Word.BACK, Word.HELP)
# A lookup typed where an answer is expected is at most this many words.
_LOOKUP_WORDS = MAX_COMMAND_REST
Flow = StarFlow | FeedbackFlow | PlanFlow | ExpectationFlow | Home | FormFiller
WaitingFlow = StarFlow | FeedbackFlow | FormFiller  # flows that keep a question waiting

# Commands about people (plans, expectations): an adapter tells the core who the speaker
# is (name, time zone) and whom they mention, where the platform has to be asked.
PERSONAL_VERBS = personal_words()


def wants_people(command: str) -> bool:
    """Whether `command` (typed or a button's) is one the core needs people's details for."""
    verb = strip_command_prefix(clean(command or "")).partition(" ")[0]
    return verb.casefold() in PERSONAL_VERBS


# A delivery still under way after this long was cut short: a retry of its event sends
# the replies again. A shorter one is left to finish while its process runs (one that
# stopped is seen at once: see Store.running).
SEND_AGAIN_AFTER = timedelta(seconds=60)

# The same click or form submission from the same person again within this long is a
# double click or a resubmission (each has its own event id): it is answered with what
# the first one did, unless that offered the very same command again (the next of
# several ratings, say), when it is taken as meant.
RESUBMITTED_WITHIN = timedelta(seconds=10)


class Bot:
    def __init__(self, frameworks: Sequence[Framework], store: Store):
        self.lookup = Lookup(frameworks)
        self.store = store
        self.feedback = FeedbackFlow(self.lookup, store, looks_like=self.reads_as_command)
        self.feedback.home_changed = self._home_changed
        self.star = StarFlow(self.lookup, store, Bank(self.feedback, PlanStore(store)))
        self.plans = PlanFlow(self.lookup, store, self.feedback)
        self.expectations = ExpectationFlow(self.lookup, store)
        self.home = Home(self.feedback, self.star, self.plans, self.expectations)
        self.filler = FormFiller(self._check_field)
        self.outbox = Outbox(store)
        self.outbox.when_sent(lambda message: self.expectations.delivered(message.key))
        self.outbox.when_given_up(self._given_up)
        self.schedule = Schedule(store)
        self.schedule.handles("remind", self.feedback.remind_due)
        self.schedule.handles("close", self.feedback.close_due)
        self.schedule.handles("checkin", self.plans.checkins.run)
        # events whose replies this process is delivering now (until `settle`)
        self._sending: set[str] = set()
        # people whose last turn changed something stored: their home may have changed
        # (kept only for the platforms whose adapter shows homes: `follow_homes`)
        self._changed: set[str] = set()
        self._homes_on: set[str] = set()
        # a digest of each person's home as last published (or found before their first
        # turn): a home published again only when it differs
        self._shown: dict[str, str] = {}

    def _check_field(self, event: Event, form: Form, name: str, values: dict[str, str]) -> Checked:
        """A field of a form asked one at a time, checked at its step by the form's flow."""
        flow = self._flow({}, replace(event, text="", action=form.submit))
        if isinstance(flow, PersonalFlow):
            return flow.check(event, form.submit, name, values)
        return values.get(name, ""), ""

    def handle(self, event: Event) -> list[Reply]:
        started = time.perf_counter()
        try:
            self._note_speaker(event)
            if event.platform in self._homes_on and event.user not in self._shown:
                self._shown[event.user] = _digest(self.home.page(event.user))
            read: dict[str, Any] | None = None
            if event.event_id is None:
                read = self.store.state(event.user, event.conversation)
                if self._under_way(read) or self._flow(read, self._picked(read, event)):
                    read = None  # a flow that writes: all of it under the lock
                else:
                    new_state, replies, kind = self.step(read, event)
            if read is None or new_state != read:
                with self.store.transaction():
                    if event.event_id and not self.store.first_time(event.event_id):
                        return self._again(event)
                    changes = self.store.conn.total_changes
                    state = self.store.state(event.user, event.conversation)
                    picked = self._picked(state, self._engine_word(state, event))
                    stored, clicked = state, picked
                    state = without(state, "over_flow")  # it was for this event only
                    state, picked, pending, confirmed = self._held(state, picked)
                    under = self._under_way(state)
                    flow = under[1] if confirmed and under else self._flow(state, picked)
                    earlier = self._earlier(clicked)  # the same click again, just after
                    if earlier is not None:
                        new_state, replies, kind = stored, earlier, "resubmitted"
                    elif flow is None and under is not None:
                        # a lookup while a flow waits for an answer: then its question
                        new_state, replies, kind = self._command_mid_flow(*under, state, picked)
                        new_state = _offering(new_state, replies[-1], event)
                    elif flow is not None:
                        new_state, replies, kind = self._run(
                            flow, state, picked, pending, confirmed=confirmed
                        )
                        new_state = _offering(new_state, replies[-1], event)
                        self._remember(clicked, replies)
                    elif state != read:
                        new_state, replies, kind = self.step(state, event)
                    if new_state != stored:
                        self.store.save_state(event.user, event.conversation, new_state)
                    if (
                        self.store.conn.total_changes != changes
                        and event.platform in self._homes_on
                    ):
                        self._changed.add(event.user)
                    if event.event_id and replies:
                        self.store.keep_replies(event.event_id, replies_to_json(replies))
            if event.event_id and replies:
                self._sending.add(event.event_id)
        except Exception as error:
            # Rolled back whole: nothing half-done is stored, and a retry can succeed.
            if is_busy(error):  # another process held the write lock too long: not a
                # failure to apologise for, but work to do again (the adapter decides when)
                log.warning("event=busy platform=%s (the database is locked)", event.platform)
                raise Busy from error
            log.exception("event=failed platform=%s", event.platform)
            return [compose("error.j2")]
        elapsed = (time.perf_counter() - started) * 1000
        log.debug(
            "event=%s platform=%s replies=%d ms=%.1f", kind, event.platform, len(replies), elapsed
        )
        return replies

    def follow_homes(self, platform: str) -> None:
        """Note whose turns change something on `platform`, whose adapter shows each
        person's home and asks `homes_changed` after their turns (Slack's Home tab);
        nobody else's are kept."""
        self._homes_on.add(platform)

    def homes_changed(self, user: str) -> list[tuple[str, Page]]:
        """The homes that changed since this was last asked (for Slack's Home
        tab, brought up to date): `user`'s when a turn of theirs changed something
        stored, and those of the others a turn or the schedule changed (the peers of a
        request that closed), each once."""
        changed = sorted(self._changed, key=lambda who: who != user)
        self._changed.difference_update(changed)
        pages = []
        for who in changed:
            page = self.home.page(who)
            digest = _digest(page)
            if self._shown.get(who) != digest:  # what it shows now is not what it showed
                self._shown[who] = digest
                pages.append((who, page))
        return pages

    def home_not_shown(self, user: str) -> None:
        """`user`'s home could not be published (Slack refused or failed): noted as
        changed again, so that the next turn or delivery publishes it."""
        self._shown.pop(user, None)
        self._home_changed(user)

    def _home_changed(self, user: str) -> None:
        """Note that `user`'s home changed, when their platform shows it."""
        if user.partition(":")[0] in self._homes_on:
            self._changed.add(user)

    def _note_speaker(self, event: Event) -> None:
        """The speaker's time zone (and name), kept when the platform says something new
        of it, so that reminders and check-ins for them come in their working hours (a
        Teams roster peer's zone is known only from what they wrote from). A read, and a
        write only when something changed."""
        if not event.tz_name and event.tz_offset is None:
            return
        if not self.feedback.people.knows(event.speaker):
            with self.store.transaction():
                self.feedback.people.seen(event.speaker)

    def waiting(self, user: str, conversation: str) -> list[Reply]:
        """What `user` was in the middle of in `conversation`, when they come back (the
        terminal chat started again): a note and the question waiting; nothing when no
        flow waits for them."""
        state = self.store.state(user, conversation)
        under = self._under_way(state)
        asked = under[1].ask_again(state, Event(user, conversation)) if under else None
        return [compose("engine/waiting.j2"), asked] if asked is not None else []

    def answer_at_once(self, event: Event) -> list[Reply] | None:
        """A lookup, answered from a plain read on the caller's thread (the web process's
        event loop): it writes nothing and waits for no lock. None when the event must go
        through `handle` (on the core's thread): it has an id to record, a flow takes it,
        the speaker's details may be news, or its state could not be read at once."""
        if event.event_id is not None or event.tz_name or event.tz_offset is not None:
            return None
        read = self.store.read_state(event.user, event.conversation)
        if read is None or self._under_way(read) or self._flow(read, self._picked(read, event)):
            return None
        new_state, replies, kind = self.step(read, event)
        if new_state != read:
            return None
        log.debug("event=%s platform=%s replies=%d (at once)", kind, event.platform, len(replies))
        return replies

    @staticmethod
    def _submission(event: Event) -> str | None:
        """What a click or a form submission acts on, as a digest: where, the command
        and the values sent; None for typed text."""
        if event.action is None:
            return None
        what = [event.conversation, event.action, sorted((event.fields or {}).items())]
        return hashlib.sha256(json.dumps(what).encode()).hexdigest()

    def _earlier(self, event: Event) -> list[Reply] | None:
        """The replies to the same click or submission just before, said to be so."""
        digest = self._submission(event)
        kept = digest and self.store.submitted(event.user, digest, RESUBMITTED_WITHIN)
        if not kept:
            return None
        first, *rest = replies_from_json(kept)
        note = compose("already_done.j2")
        return [replace(first, blocks=(*note.blocks, *first.blocks)), *rest]

    def _remember(self, event: Event, replies: list[Reply]) -> None:
        """Keep what a click or submission answered, as the person's latest (anything
        else they do in a flow afterwards ends it: the same click then is meant)."""
        digest = self._submission(event)
        offered = {c.command for r in replies for c in r.choices} | {
            r.form.submit for r in replies if r.form is not None
        }
        if digest and event.action not in offered:
            self.store.keep_submission(event.user, digest, replies_to_json(replies))
        else:
            self.store.keep_submission(event.user, "", "")

    def _flow(self, state: dict[str, Any], event: Event) -> Flow | None:
        """The flow this event belongs to: a form being filled in, then the one under
        way, then by its verb. Most events are lookups with no flow under way: their
        verb alone settles it."""
        if not any(key in state for key in _FLOW_KEYS):
            command = event.action if event.action is not None else event.text
            verb = strip_command_prefix(clean(command)).partition(" ")[0]
            if (
                verb.casefold().rstrip(".!") not in _VERBS
                and not self._advert(event)
                and self.star.grade_typed(state, event) is None  # an advert's grade, asked
            ):
                return None
        if self.filler.wants(state, event):
            return self.filler
        under_way = "feedback" in state or "answering" in state
        flows: tuple[Flow, ...] = (
            (self.feedback, self.star) if under_way else (self.star, self.feedback)
        )
        flows += (self.plans, self.expectations, self.home)
        return next((f for f in flows if f.wants(state, event)), None)

    def _advert(self, event: Event) -> bool:
        """A job advert pasted with no command: the advert command's (bot/star/advert.py)."""
        return event.action is None and self.lookup.adverts.pasted(event.text)

    def _under_way(self, state: dict[str, Any]) -> tuple[str, WaitingFlow] | None:
        """The flow whose question is waiting for an answer, with its state's key: a
        form being filled in, then a 360 answer, a 360 request, a mock interview, a
        practice, a draft."""
        flows: dict[str, WaitingFlow] = {
            "filling": self.filler,
            "answering": self.feedback,
            "feedback": self.feedback,
            "mock": self.star,
            "practice": self.star,
            "star": self.star,
        }
        return next(((k, f) for k, f in flows.items() if k in state), None)

    def looks_like(self, text: str) -> str | None:
        """A lookup that `text` reads as (a behaviour, a framework, a cluster): None for
        anything else."""
        typed = strip_command_prefix(clean(text))
        words = typed.split()
        if not words or len(words) > _LOOKUP_WORDS or word_of(typed) is not None:
            return None
        if numbers_of(typed) is not None or "\n" in text.strip():
            return None
        found = resolve_query(self.lookup.index, typed)
        if isinstance(found, BehaviourView) and not found.ignored and not found.also:
            return typed
        if isinstance(found, FrameworkView | ClusterView):
            return typed
        if isinstance(found, LevelNotFound | SeveralLevels | Ambiguous) and len(words) <= 4:
            return typed  # a lookup all the same: `leadership level 9`, `communicating`
        return None

    def reads_as_command(self, text: str) -> str | None:
        """The command or the lookup `text` reads as: never a person's name."""
        return self.command_in(text) or self.looks_like(text)

    def command_in(self, text: str) -> str | None:
        """The command `text` is, when it has a command's shape: a verb of the registry
        alone, or with one of its sub-commands, a number or a lookup (`drafts`, `360
        list`, `draft 2`, `prep leadership level 4`, `help 360`). "Feedback from my
        manager was glowing" starts with a verb but is no command."""
        typed = strip_command_prefix(clean(text))
        first, *rest = typed.split() or [""]
        if first.casefold() not in _BY_WORD and self.lookup.adverts.pasted(text):
            return "advert " + clean(text, keep_newlines=True, exact=True)  # a pasted advert
        if first.casefold() == "help":
            return typed if len(rest) == 1 and job_of(rest[0]) else None
        command = _BY_WORD.get(first.casefold())
        if command is None or len(rest) > _LOOKUP_WORDS:
            return None
        if not rest or rest[0].casefold() in command.sub_words or rest[0].isdigit():
            return typed
        if len(rest) == 1 and word_of(rest[0]) is not None:  # `360 help`, `practice stop`
            return typed
        if first.casefold() in ("search", "compare"):  # what follows is its query
            return typed
        if command.personal and rest[0].startswith("@"):  # `expectations @bob`
            return typed
        return typed if self.looks_like(" ".join(rest)) is not None else None

    def _mid_flow(
        self, state: dict[str, Any], event: Event, pending: dict[str, str] | None
    ) -> tuple[dict[str, Any], list[Reply], str] | tuple[dict[str, Any], Event]:
        """Typed text while a flow waits for an answer: never filed as the answer when it
        reads as a command or a lookup. A command is run, or (where an answer is typed)
        asked about first (`pending`: the text asked about last, which typed again is
        the command), and the flow's question is asked again after it. Otherwise
        (state, event) to go on with."""
        under = self._under_way(state)
        if under is None or event.action is not None or event.slash:
            return state, event
        key, flow = under
        again = pending is not None and clean(event.text) == clean(pending["text"])
        command = pending["command"] if again else self.command_in(event.text)
        step = flow.current(state)
        free_text = step is not None and step.kind == "text" and not step.names_behaviour
        if command is not None and not again and free_text and _pasted_advert(event, command):
            # an example may quote an assessment list: asked about, not echoed whole
            held = {"text": event.text, "command": command, "advert": "yes"}
            question = compose("engine/misfiled_advert.j2", step=step)
            return dict(state, pending=held), [question], "misfiled"
        if command is not None:  # run, then the question again
            return self._command_mid_flow(key, flow, state, replace(event, action=command))
        command = self.looks_like(event.text)
        if command is None or not free_text:
            return state, event  # a name where names are picked, a behaviour where asked
        held = {"text": event.text, "command": command}
        question = compose(
            "engine/misfiled.j2", step=step, typed=event.text, command=strip_command_prefix(command)
        )
        return dict(state, pending=held), [question], "misfiled"

    def _command_mid_flow(
        self, key: str, flow: WaitingFlow, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply], str]:
        """A command typed while `flow` waits for an answer: its reply, then (when it
        was another flow's, or a lookup, and left `flow` where it was) the question
        again."""
        other = self._flow(state, event)
        if other is None:
            new_state, replies, kind = self.step(state, event)
        else:
            new_state, replies, kind = self._run(other, state, event)
        if replies and _is_question(replies[-1]):
            # another job's question (360 close: yes or no?): it is answered next, by
            # number, label, yes or no, and the flow's question waits
            return dict(new_state, over_flow=True), replies, kind
        # a flow's own commands say where they leave it (an advert is no step of a draft)
        own = other is flow and not _is_advert(event)
        if (
            not own
            and new_state.get(key) == state.get(key)
            and (asked := flow.ask_again(new_state, event))
        ):
            if not event.buttons:  # numbers pick from the question's choices only: the
                # lookup's would be numbered too, and could not be picked; they are
                # shown as what to type instead
                replies = [_typed_choices(r) for r in replies]
            replies = [*replies, asked]
        return new_state, replies, kind

    @staticmethod
    def _held(
        state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], Event, dict[str, str] | None, bool]:
        """The text held back last as reading like a command, taken out of the state:
        `yes` (typed or its button) saves it as the answer after all (the event becomes
        that text, True); `no` to a pasted advert reads it as one (the event becomes that
        text again); anything else drops it."""
        pending = state.get("pending")
        if pending is None:
            return state, event, None, False
        state = without(state, "pending")
        said = event.action if event.action is not None else event.text
        if word_of(said) is Word.YES and not event.slash:
            return state, replace(event, text=pending["text"], action=None), None, True
        if word_of(said) is Word.NO and pending.get("advert") and not event.slash:
            # not the answer: read as the advert, as if pasted again
            return state, replace(event, text=pending["text"], action=None), pending, False
        return state, event, pending, False

    def _run(
        self,
        flow: Flow,
        state: dict[str, Any],
        event: Event,
        pending: dict[str, str] | None = None,
        *,
        confirmed: bool = False,
    ) -> tuple[dict[str, Any], list[Reply], str]:
        """One step of `flow`. Where the platform shows no forms (the terminal), a form
        in a plan's or an expectation's reply is asked one field at a time, and the
        filled-in form is handled as the platform's submission would be."""
        if not confirmed:
            checked = self._mid_flow(state, event, pending)
            if len(checked) == 3:
                return checked
            state, event = checked
        if flow is self.filler:
            new_state, out = self.filler.step(state, event)
            if isinstance(out, list):
                return new_state, out, "form"
            event, state = out, new_state
            found = self._flow(state, event)
            if found is None:  # never: a form's submit command names its flow
                return state, [compose("error.j2")], "form"
            flow = found
        filling = state.get("filling") if flow is not self.filler else None
        if filling is not None:  # a command typed while a form is asked: the form waits
            state = without(state, "filling")
        if confirmed and flow is not self.filler and isinstance(flow, StarFlow | FeedbackFlow):
            new_state, replies = flow.take_answer(state, event)
        else:
            new_state, replies = flow.step(state, event)
        if flow is self.star:
            new_state, replies = self._set_aside(state, new_state, replies)
        if (
            not event.forms
            and replies
            and replies[-1].form is not None
            and flow in (self.plans, self.expectations)
        ):
            if filling is not None:  # another form instead: the one waiting is left
                replies = [compose("forms/left.j2", form=filling["form"]), *replies]
            new_state, replies = self.filler.begin(new_state, replies, event)
        elif filling is not None:
            new_state = dict(new_state, filling=filling)
        return new_state, replies, flow.name

    def _set_aside(
        self, before: dict[str, Any], new_state: dict[str, Any], replies: list[Reply]
    ) -> tuple[dict[str, Any], list[Reply]]:
        """A draft, a practice or a mock interview started while a 360 answer or request
        waits: the 360 one is paused (as `stop` pauses it), so that what is typed next
        answers the question just asked, never the 360's; a note first says so."""
        started = any(
            new_state.get(k) not in (None, before.get(k)) for k in ("star", "practice", "mock")
        )
        if not started or not ("answering" in new_state or "feedback" in new_state):
            return new_state, replies
        paused, note = self.feedback.set_aside(new_state)
        return paused, [note, *replies]

    # ---- what the outbox and the schedule mean to the flows ---------------------------

    def _given_up(self, message: Outgoing, reason: str) -> None:
        """A direct message that cannot be delivered: never silently skipped, whoever
        waits on it is told (inside the outbox's transaction)."""
        if message.key.startswith("ask-"):  # a peer never asked (not a reminder)
            self.feedback.unreachable(message.request_id, message.user, reason)
        self.expectations.undelivered(message.key, reason)

    def inbox(self, user: str) -> list[Reply]:
        """For the terminal: run what is due, then take `user`'s direct messages."""
        return [reply for message in self.mail(user) for reply in message.replies]

    def mail(self, user: str, *, everyone: bool = False) -> list[Outgoing]:
        """For the terminal: run what is due, then take the direct messages of `user`,
        or (`everyone`) of every person of their workspace: one screen shows them all,
        so a message is delivered when it is sent. A number its person types next picks
        from its choices."""
        self.schedule.run_due()
        workspace = user.rsplit(":", 1)[0] + ":"
        messages = self.outbox.take(workspace, user=None if everyone else user)
        with self.store.transaction():
            for message in messages:
                self.outbox.delivered(message)
            for person in dict.fromkeys(m.user for m in messages):
                last = [r for m in messages if m.user == person for r in m.replies][-1]
                state = self.store.state(person, person)
                if "filling" not in state:  # a number answers its choices (not while a
                    # form's question is waiting for one)
                    offered = _offering(state, last, Event(user=person, conversation=person))
                    if offered != state:
                        self.store.save_state(person, person, offered)
        return messages

    def _again(self, event: Event) -> list[Reply]:
        """A retried or duplicated event: handled once, but its replies are sent again
        when the first attempt could not deliver them."""
        assert event.event_id is not None
        kept = self.store.replies_to_send_again(
            event.event_id, SEND_AGAIN_AFTER, sending_here=event.event_id in self._sending
        )
        if kept is None:
            log.info("event=duplicate platform=%s (a retry: not handled again)", event.platform)
            return []
        log.info("event=redelivery platform=%s (a retry of undelivered replies)", event.platform)
        self._sending.add(event.event_id)
        return replies_from_json(kept)

    def settle(self, event: Event, *, delivered: bool) -> None:
        """The adapter's word on `event`'s replies: delivered (forget them), or not (keep
        them for the platform's retry of the event)."""
        if event.event_id is None:
            return
        self._sending.discard(event.event_id)
        try:
            with self.store.transaction():
                self.store.settle(event.event_id, delivered=delivered)
        except Exception:  # the replies stay kept: at worst a retry sends them twice
            log.exception("event=settle-failed platform=%s", event.platform)

    def _engine_word(self, state: dict[str, Any], event: Event) -> Event:
        """`stop`, `skip`, `back` or `help` sent as a command (`/behaviour stop`, a
        Slack slash command) while a flow's question waits: the engine's word, typed to
        that flow, as it would be without the command's prefix."""
        if event.action is not None or self._under_way(state) is None:
            return event
        typed = strip_command_prefix(clean(event.text))
        if word_of(typed) not in _COMMAND_WORDS:
            return event
        return replace(event, text=typed, slash=False)

    @staticmethod
    def _picked(state: dict[str, Any], event: Event) -> Event:
        """The event as a picked choice when it names one on offer: by its number (`2`,
        `#2`, `two`, `second`) anywhere; outside a flow also by its label typed in full,
        and, where the last reply asked a question with two choices, by `yes` (the
        first) or `no` (the second)."""
        offered: list[str] = state.get("choices", [])
        if event.action is not None or not offered:
            return event
        typed = strip_command_prefix(clean(event.text))
        number = number_of(typed)
        if number is not None:
            ok = 1 <= number <= len(offered)
            return replace(event, action=offered[number - 1]) if ok else event
        if any(key in state for key in _FLOW_KEYS) and not state.get("over_flow"):
            return event  # typed text is the flow's to read
        labels: list[str] = state.get("choice_labels", [])
        said = word_of(typed)
        if state.get("asked") and len(offered) == 2 and said in (Word.YES, Word.NO):
            return replace(event, action=offered[0 if said is Word.YES else 1])
        named = [i for i, label in enumerate(labels) if normalised(label) == normalised(typed)]
        return replace(event, action=offered[named[0]]) if len(named) == 1 else event

    def step(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply], str]:
        """(state, event) -> (state, replies, what kind of event it was, for the log)."""
        picked = self._picked(state, event)
        if event.action is not None:
            command, kind = event.action, "choice"
        elif picked.action is not None:
            command, kind = picked.action, "numbered-choice"
        else:
            offered: list[str] = state.get("choices", [])
            typed = strip_command_prefix(clean(event.text))
            number = number_of(typed)
            if number is not None and offered:  # a number, but none of those on offer
                reply = compose("no_such_choice.j2", number=number, count=len(offered))
                return state, [reply], "bad-choice"
            said = word_of(typed)
            if said in (Word.BACK, Word.YES, Word.NO, Word.KEEP, Word.SKIP):
                # an answer to nothing: no flow waits, and no question was asked
                return state, [compose("engine/nothing_waiting.j2", word=said.value)], "stray"
            command, kind = event.text, "message"
        reply = self.lookup.answer(command, platform=event.platform)
        return _offering(state, reply, event), [reply], kind


def _digest(page: Page) -> str:
    """What a home shows, as a digest: the same for the same page."""
    return hashlib.sha256(replies_to_json([page.reply]).encode()).hexdigest()


def _offering(state: dict[str, Any], reply: Reply, event: Event) -> dict[str, Any]:
    """The state with `reply`'s choices remembered for a later bare number; where the
    platform shows buttons there is no number to pick by, and nothing is remembered."""
    if event.buttons:
        return {
            k: v
            for k, v in state.items()
            if k not in ("choices", "choice_labels", "asked", "over_flow")
        }
    return dict(
        without(state, "asked"),
        choices=[c.command for c in reply.choices],
        choice_labels=[c.label for c in reply.choices],
        **({"asked": True} if _is_question(reply) else {}),
    )


def _is_advert(event: Event) -> bool:
    """The advert command (typed, or a pasted advert read as one)."""
    command = event.action if event.action is not None else event.text
    return strip_command_prefix(clean(command)).partition(" ")[0].casefold() in ADVERT_VERBS


def _pasted_advert(event: Event, command: str) -> bool:
    """`command` is the advert that `event`'s text, typed with no command, reads as."""
    return not _is_advert(event) and _is_advert(replace(event, action=command))


def _is_question(reply: Reply) -> bool:
    """A flow's question with two choices (360 close, "is dan your manager?"), not a
    lookup's ("which framework?"): yes picks the first, no the second."""
    return (
        reply.command is None
        and len(reply.choices) == 2
        and any(
            b.text.rstrip().endswith("?") or "? " in b.text
            for b in reply.blocks
            if b.kind in ("title", "heading", "paragraph")
        )
    )


def _typed_choices(reply: Reply) -> Reply:
    """`reply` without numbered choices, each shown as the command to type instead."""
    if not reply.choices:
        return reply
    typed = compose("engine/typed_choices.j2", choices=reply.choices)
    return replace(reply, blocks=(*reply.blocks, *typed.blocks), choices=())
