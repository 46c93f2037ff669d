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
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.clock import iso
from bot.commands import personal_words, routed_words
from bot.expectations import ExpectationFlow
from bot.feedback import FeedbackFlow
from bot.filling import FormFiller
from bot.frameworks import Framework
from bot.lookup import Lookup, strip_command_prefix
from bot.plans import PlanFlow
from bot.render import compose
from bot.star import StarFlow
from bot.storage import Busy, Store, is_busy
from bot.text import clean
from bot.types import Event, Outgoing, Reply, replies_from_json, replies_to_json, without

log = logging.getLogger("behaviourbot")

# What starts a flow, and the state entries of flows under way.
_VERBS = routed_words()
_FLOW_KEYS = ("star", "practice", "feedback", "answering", "filling")
Flow = StarFlow | FeedbackFlow | PlanFlow | ExpectationFlow | FormFiller

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

# A direct message taken for delivery is not taken again for this long (by this or
# another process), unless its sending is reported first.
DELIVERY_LEASE = timedelta(minutes=2)
# Passing failures: tried again after 30 s, 1 min, 2 min, … and given up on the eighth.
RETRY_PAUSE = timedelta(seconds=30)
MAX_ATTEMPTS = 8

# "2", "2.", "2)", "(2)", "#2", "no. 2", "-1": a number on its own picks a choice.
_CHOICE_NUMBER = re.compile(
    r"^(?:#|no\.?|number|option|choice)?\s*[(\[]?\s*(-?\d{1,4})\s*[.)\]]?$", re.I
)


class Bot:
    def __init__(self, frameworks: Sequence[Framework], store: Store):
        self.lookup = Lookup(frameworks)
        self.store = store
        self.star = StarFlow(self.lookup, store)
        self.feedback = FeedbackFlow(self.lookup, store)
        self.plans = PlanFlow(self.lookup, store, self.feedback)
        self.expectations = ExpectationFlow(self.lookup, store)
        self.filler = FormFiller(store.clock)
        # events whose replies this process is delivering now (until `settle`)
        self._sending: set[str] = set()

    def handle(self, event: Event) -> list[Reply]:
        started = time.perf_counter()
        try:
            self._note_speaker(event)
            read: dict[str, Any] | None = None
            if event.event_id is None:
                read = self.store.state(event.user, event.conversation)
                if self._flow(read, self._picked(read, event)) is not None:
                    read = None  # a flow that writes: all of it under the lock
                else:
                    new_state, replies, kind = self.step(read, event)
            if read is None or new_state != read:
                with self.store.transaction():
                    if event.event_id and not self.store.first_time(event.event_id):
                        return self._again(event)
                    state = self.store.state(event.user, event.conversation)
                    picked = self._picked(state, event)
                    if (flow := self._flow(state, picked)) is not None:
                        earlier = self._earlier(picked)
                        if earlier is not None:
                            new_state, replies, kind = state, earlier, "resubmitted"
                        else:
                            new_state, replies, kind = self._run(flow, state, picked)
                            new_state = _offering(new_state, replies[-1], event)
                            self._remember(picked, replies)
                    elif state != read:
                        new_state, replies, kind = self.step(state, event)
                    if new_state != state:
                        self.store.save_state(event.user, event.conversation, new_state)
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

    def _note_speaker(self, event: Event) -> None:
        """The speaker's time zone (and name), kept when the platform says something new
        of it, so that reminders and check-ins for them come in their working hours (a
        Teams roster peer's zone is known only from what they wrote from). A read, and a
        write only when something changed."""
        if not event.tz_name and event.tz_offset is None:
            return
        known = (event.user, event.name, event.tz_offset, event.tz_name)
        if not self.feedback.people.knows(*known):
            with self.store.transaction():
                self.feedback.people.seen(*known)

    def answer_at_once(self, event: Event) -> list[Reply] | None:
        """A lookup, answered from a plain read on the caller's thread (the web process's
        event loop): it writes nothing and waits for no lock. None when the event must go
        through `handle` (on the core's thread): it has an id to record, a flow takes it,
        the speaker's details may be news, or its state could not be read at once."""
        if event.event_id is not None or event.tz_name or event.tz_offset is not None:
            return None
        read = self.store.read_state(event.user, event.conversation)
        if read is None or self._flow(read, self._picked(read, event)) is not None:
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
            if verb.casefold().rstrip(".!") not in _VERBS:
                return None
        if self.filler.wants(state, event):
            return self.filler
        under_way = "feedback" in state or "answering" in state
        flows: tuple[Flow, ...] = (
            (self.feedback, self.star) if under_way else (self.star, self.feedback)
        )
        flows += (self.plans, self.expectations)
        return next((f for f in flows if f.wants(state, event)), None)

    def _run(
        self, flow: Flow, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply], str]:
        """One step of `flow`. Where the platform shows no forms (the terminal), a form
        in a plan's or an expectation's reply is asked one field at a time, and the
        filled-in form is handled as the platform's submission would be."""
        if flow is self.filler:
            new_state, out = self.filler.step(state, event)
            if isinstance(out, list):
                return new_state, out, "form"
            event, state = out, new_state
            found = self._flow(state, event)
            if found is None:  # never: a form's submit command names its flow
                return state, [compose("error.j2")], "form"
            flow = found
        left = None
        if flow is not self.filler and "filling" in state:  # a command came first
            left = compose("filling/left.j2", form=state["filling"]["form"])
            state = without(state, "filling")
        new_state, replies = flow.step(state, event)
        if left is not None:
            replies = [left, *replies]
        if (
            not event.forms
            and replies
            and replies[-1].form is not None
            and flow in (self.plans, self.expectations)
        ):
            new_state, replies = self.filler.begin(new_state, replies, event)
        return new_state, replies, flow.name

    # ---- direct messages and the schedule (360 feedback) ----------------------------

    def tick(self, at: datetime | None = None) -> int:
        """Run the reminders and closings that are due; how many ran."""
        moment = iso(at or self.store.now())
        if not self.feedback.db.due_tasks(moment, limit=1):
            return 0  # nothing due: no write lock taken
        with self.store.transaction():
            return self.feedback.tick(at, others=self._task)

    def _task(self, kind: str, number: int, at: datetime) -> None:
        """A task of the schedule that is not 360's: a development plan's check-in."""
        if kind == "checkin":
            # one that fails is logged and left, never blocking the rest of the schedule
            self.store.conn.execute("SAVEPOINT task")
            try:
                self.plans.run_checkin(number, at)
            except Exception:
                self.store.conn.execute("ROLLBACK TO task")
                log.exception("schedule: check-in %d failed", number)
            self.store.conn.execute("RELEASE task")
        else:
            log.warning("schedule: unknown task kind %r", kind)

    def outgoing(self, prefix: str, *, user: str | None = None, limit: int = 100) -> list[Outgoing]:
        """Direct messages due for users of one platform (`prefix`, e.g. "slack:"), or
        for one user, oldest first, taken for delivery (another process leaves them be,
        and they come back only if this one stops before reporting). The caller reports
        each one's fate: `sent`, `send_later`, `try_again` or `undeliverable`."""
        now = self.store.now()
        due = {"prefix": prefix, "at": now.isoformat(timespec="seconds"), "user": user}
        if not self.feedback.db.due_messages(**due, limit=1):
            return []  # the usual case, every few seconds: no write lock taken
        with self.store.transaction():  # read again under the lock, then take them
            rows = self.feedback.db.due_messages(**due, limit=limit)
            until = (now + DELIVERY_LEASE).isoformat(timespec="seconds")
            self.feedback.db.claim([row[0] for row in rows], until)
        return [
            Outgoing(i, u, replies_from_json(r), q, a, k, since) for i, u, r, q, a, k, since in rows
        ]

    def sent(self, message: Outgoing) -> None:
        with self.store.transaction():
            self._delivered(message.id, message.key)

    def _delivered(self, message_id: int, key: str) -> None:
        """A direct message reached its person (inside the caller's transaction): an
        expectation it carried has been communicated."""
        self.feedback.db.sent(message_id)
        self.expectations.delivered(key)

    def send_later(
        self, message: Outgoing, seconds: float, *, failed: bool = False, unsure: bool = False
    ) -> None:
        """The platform asked to slow down (Slack's 429): again after `seconds`, not
        counted as a failure unless `failed` (see try_again)."""
        due = self.store.now() + timedelta(seconds=max(1.0, seconds))
        with self.store.transaction():
            self.feedback.db.retry_later(
                message.id, due.isoformat(timespec="seconds"), failed=failed, unsure=unsure
            )

    def undeliverable(self, message: Outgoing, reason: str) -> None:
        """The person cannot be reached: never silently skipped, the requester is told."""
        with self.store.transaction():
            self.feedback.db.failed(message.id, reason)
            if message.key.startswith("ask-"):  # they were never asked (not a reminder)
                self.feedback.unreachable(message.request_id, message.user, reason)
            self.expectations.undelivered(message.key, reason)

    def try_again(self, message: Outgoing, reason: str, *, unsure: bool = False) -> None:
        """Sending failed for a passing reason (the platform had an error, the network
        was down): again after a growing pause, and given up after `MAX_ATTEMPTS`, when
        the requester is told. `unsure`: it may have arrived all the same (a timeout, a
        broken connection), so it is looked for before it is sent again."""
        if message.attempts + 1 >= MAX_ATTEMPTS:
            self.undeliverable(message, reason)
            return
        log.warning("outbox: message %d not sent (%s); trying again later", message.id, reason)
        pause = RETRY_PAUSE.total_seconds() * 2**message.attempts
        self.send_later(message, pause, failed=True, unsure=unsure)

    def inbox(self, user: str) -> list[Reply]:
        """For the terminal: run what is due, then take `user`'s direct messages."""
        self.tick()
        messages = self.outgoing(user.rsplit(":", 1)[0] + ":", user=user)
        replies = [reply for message in messages for reply in message.replies]
        with self.store.transaction():
            for message in messages:
                self._delivered(message.id, message.key)
            state = self.store.state(user, user)
            if replies and "filling" not in state:  # a number answers its choices (not
                # while a form's question is waiting for one)
                offered = _offering(state, replies[-1], Event(user=user, conversation=user))
                if offered != state:
                    self.store.save_state(user, user, offered)
        return replies

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

    @staticmethod
    def _picked(state: dict[str, Any], event: Event) -> Event:
        """The event as a picked choice when it is a bare number naming one on offer."""
        offered: list[str] = state.get("choices", [])
        if event.action is None and offered:
            picked = _CHOICE_NUMBER.match(strip_command_prefix(clean(event.text)))
            if picked and 1 <= int(picked.group(1)) <= len(offered):
                return replace(event, action=offered[int(picked.group(1)) - 1])
        return event

    def step(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply], str]:
        """(state, event) -> (state, replies, what kind of event it was, for the log)."""
        picked = self._picked(state, event)
        if event.action is not None:
            command, kind = event.action, "choice"
        elif picked.action is not None:
            command, kind = picked.action, "numbered-choice"
        else:
            offered: list[str] = state.get("choices", [])
            number = _CHOICE_NUMBER.match(strip_command_prefix(clean(event.text)))
            if number and offered:  # a number, but none of those on offer
                reply = compose(
                    "no_such_choice.j2", number=int(number.group(1)), count=len(offered)
                )
                return state, [reply], "bad-choice"
            command, kind = event.text, "message"
        reply = self.lookup.answer(command, platform=event.platform)
        replies = [reply]
        if "star" in state or "practice" in state:  # a lookup in the middle of a flow
            replies.append(self.star.still_going(state))
        return _offering(state, reply, event), replies, kind


def _offering(state: dict[str, Any], reply: Reply, event: Event) -> dict[str, Any]:
    """The state with `reply`'s choices remembered for a later bare number; where the
    platform shows buttons there is no number to pick by, and nothing is remembered."""
    if event.buttons:
        return (
            state if "choices" not in state else {k: v for k, v in state.items() if k != "choices"}
        )
    return dict(state, choices=[c.command for c in reply.choices])
