"""A home for each person: what is waiting for them, in one view (`home`).

The 360 requests they were asked to answer, their own open requests (with what the
anonymity rules let a requester see while a request is open: how many were asked and
could not be reached, never who answered nor how many have), STAR drafts in progress,
plan check-ins waiting for their progress, and expectations to acknowledge or answer.
Each item carries the command that goes straight to it: a button, or a number in the
terminal. Everything is read through the flows' own stores, for the speaker only.

The chat shows it as a Reply; Slack's App Home tab builds its view from the sections
(`page`), each item with its button beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.commands import words_of
from bot.expectations.flow import _status
from bot.feedback.state import RequestDraft
from bot.lookup import strip_command_prefix
from bot.plans.checkins import OPEN
from bot.render import compose, phrase
from bot.star.drafting import next_part
from bot.text import clean
from bot.types import Choice, Event, Reply

if TYPE_CHECKING:
    from bot.expectations import ExpectationFlow
    from bot.feedback import FeedbackFlow
    from bot.plans import PlanFlow
    from bot.star import StarFlow

VERBS = words_of("home")


@dataclass(frozen=True)
class Item:
    text: str
    choice: Choice


@dataclass(frozen=True)
class Section:
    kind: str  # "answer", "requests", "paused", "drafts", "checkins", "expectations"
    heading: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Page:
    """A person's home: its sections (none empty), and the same as a chat reply."""

    sections: tuple[Section, ...]
    reply: Reply

    @property
    def count(self) -> int:
        return sum(len(s.items) for s in self.sections)


def _item(kind: str, command: str, **values: Any) -> Item:
    text = phrase("home/item.j2", kind=kind, part="text", **values)
    label = phrase("home/item.j2", kind=kind, part="label", **values)
    return Item(text, Choice(label, command))


class Home:
    """The `home` command, and the page adapters show elsewhere (Slack's Home tab, the
    Teams welcome)."""

    name = "home"

    def __init__(
        self,
        feedback: FeedbackFlow,
        star: StarFlow,
        plans: PlanFlow,
        expectations: ExpectationFlow,
    ):
        self.feedback = feedback
        self.star = star
        self.plans = plans
        self.expectations = expectations

    def wants(self, state: dict[str, Any], event: Event) -> bool:
        command = event.action if event.action is not None else event.text
        return strip_command_prefix(clean(command)).partition(" ")[0].casefold() in VERBS

    def step(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply]]:
        if not event.private:  # what waits for a person is theirs alone
            return state, [compose("home/private_only.j2")]
        return state, [self.page(event.user).reply]

    def page(self, user: str) -> Page:
        """`user`'s home, read from the stores (inside or outside a transaction)."""
        found = (
            ("answer", self._to_answer(user)),
            ("requests", self._requests(user)),
            ("paused", self._paused(user)),
            ("drafts", self._drafts(user)),
            ("checkins", self._checkins(user)),
            ("expectations", self._expectations(user)),
        )
        sections = tuple(
            Section(kind, phrase("home/heading.j2", kind=kind), tuple(items))
            for kind, items in found
            if items
        )
        return Page(sections, compose("home/home.j2", sections=sections))

    def _to_answer(self, user: str) -> list[Item]:
        feedback = self.feedback
        items = []
        for peer in feedback.db.asked_of(user):
            request = feedback.db.request(peer["request_id"])
            if request is None or request["status"] != "open" or peer["status"] == "declined":
                continue
            if peer["status"] == "answered":
                continue
            about = feedback._about(request) | {"deadline": self._when(user, request)}
            items.append(_item("answer", f"360 answer {request['id']}", **about))
        return items

    def _when(self, user: str, request: dict[str, Any]) -> str:
        """A request's closing, as the person's other times are shown: in their zone,
        with the time of day (it closes at a time, not at midnight UTC)."""
        return self.plans.zone(user).show(request["deadline"])

    def _requests(self, user: str) -> list[Item]:
        feedback = self.feedback
        return [
            _item(
                "request",
                f"360 report {request['id']}",
                **feedback._about(request) | {"deadline": self._when(user, request)},
                progress=feedback._progress(request["id"]),
            )
            for request in feedback.db.requests_of(user)
            if request["status"] == "open"
        ]

    def _paused(self, user: str) -> list[Item]:
        """Requests the person put together and paused, nothing sent: `360` takes one up
        in the chat it is kept in (their direct chat with the bot: 360 is private)."""
        items = []
        for _conversation, state in self.feedback.store.states_of(user, "feedback-paused"):
            draft = RequestDraft.paused(state)
            if draft is None:
                continue
            fw = self.feedback.lookup.index.by_id.get(draft.framework)
            chosen = [fw.behaviour(b) for b in draft.behaviours] if fw else []
            items.append(_item("paused", "360", behaviours=[b for b in chosen if b]))
        return items

    def _drafts(self, user: str) -> list[Item]:
        items = []
        for draft in self.star.store.drafts(user):
            left = next_part(draft["parts"])
            if left is None or left == "learned":  # complete: the lesson is optional
                continue
            target = self.star.target_of(draft)
            command = f"draft {draft['number']} continue"
            items.append(_item("draft", command, draft=draft, t=target, left=left))
        return items

    def _checkins(self, user: str) -> list[Item]:
        db = self.plans.db
        plan = db.plan_of(user)
        if plan is None or not any(i["status"] in OPEN for i in db.items(plan["id"])):
            return []
        when = self.plans.zone(user).show
        return [
            _item("checkin", f"plan progress {c['id']}", checkin=c, due=when(c["due_at"]))
            for c in db.checkins_waiting(plan["id"])
        ]

    def _expectations(self, user: str) -> list[Item]:
        flow = self.expectations
        items = []
        for expectation in flow.db.between(user):
            if expectation["manager"] == user:
                items += self._proposed(expectation)
                continue
            status = _status(flow.db.events(expectation["id"]))
            if status == "void":
                continue
            versions = flow.db.versions(expectation["id"])
            if not versions:
                continue
            latest = versions[-1]["version"]
            if not status and flow.db.when(expectation["id"], latest, "acknowledged"):
                continue
            items.append(
                _item(
                    "expectation",
                    f"expectations show {expectation['id']}",
                    e=expectation,
                    version=latest,
                    pending=status == "pending",
                )
            )
        return items

    def _proposed(self, expectation: dict[str, Any]) -> list[Item]:
        """For the manager who set it: the employee's proposed change to the version in
        force, until the manager answers it (a comment or a new version)."""
        flow = self.expectations
        events = flow.db.events(expectation["id"])
        versions = flow.db.versions(expectation["id"])
        if not versions or _status(events) == "void":
            return []
        latest = versions[-1]["version"]
        waiting = False
        for event in events:
            if event["version"] != latest:
                continue
            if event["what"] == "proposal":
                waiting = True
            elif event["what"] == "comment" and event["person"] == expectation["manager"]:
                waiting = False
        if not waiting:
            return []
        command = f"expectations show {expectation['id']}"
        return [_item("proposal", command, e=expectation, version=latest)]
