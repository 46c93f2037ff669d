"""What development plans and performance expectations share: people's names and time
zones (`PeopleStore`), over the same connection and transactions as `Store`, and the
flow they are both built on (`PersonalFlow`). Their own tables are in
`bot/plans/store.py` and `bot/expectations/store.py`.
"""

from __future__ import annotations

import re
import sqlite3
from abc import ABC, abstractmethod
from datetime import date
from typing import Any

from bot import engine
from bot.clock import Zone, parse_date, zone_of
from bot.lookup import Lookup, strip_command_prefix
from bot.render import compose
from bot.storage import FeedbackStore, Store
from bot.text import clean, count_words
from bot.types import Event, Person, Reply


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _one(cursor: sqlite3.Cursor) -> dict[str, Any] | None:
    rows = _dicts(cursor)
    return rows[0] if rows else None


def _id_ok(number: int) -> bool:
    return 0 < number < 2**63


class PeopleStore:
    """Who people are, as far as a platform told us: a name and a time zone, given
    back as a `Person`."""

    def __init__(self, store: Store):
        self.conn = store.conn
        self.stamp = store.stamp

    def get(self, identity: str) -> Person | None:
        known = _one(
            self.conn.execute(
                "SELECT identity, name, tz_offset, tz_name FROM people WHERE identity = ?",
                [identity],
            )
        )
        return None if known is None else Person(**known)

    def knows(self, person: Person) -> bool:
        """Whether all that is given of `person` is known already (a read: nothing to
        write)."""
        known = self.get(person.identity)
        return known is not None and (
            (not person.name or person.name == known.name)
            and (person.tz_offset is None or person.tz_offset == known.tz_offset)
            and (not person.tz_name or person.tz_name == known.tz_name)
        )

    def seen(self, person: Person) -> None:
        """Remember what is known; what is not given keeps its earlier value."""
        if self.knows(person):
            return  # nothing new: no write
        self.conn.execute(
            "INSERT INTO people (identity, name, tz_offset, tz_name, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (identity) DO UPDATE SET"
            " name = COALESCE(NULLIF(excluded.name, ''), name),"
            " tz_offset = COALESCE(excluded.tz_offset, tz_offset),"
            " tz_name = COALESCE(NULLIF(excluded.tz_name, ''), tz_name),"
            " updated_at = excluded.updated_at",
            [person.identity, person.name, person.tz_offset, person.tz_name, self.stamp()],
        )


def picked_person(event: Event, field: str) -> Person | str | None:
    """The one person chosen in a form's people `field`: who they are comes from the
    platform (`Event.people`), never from the payload. None when nobody was chosen;
    why not, as a word, when the choice cannot be a person who can answer."""
    ids = [i for i in re.split(r"[\s,]+", (event.fields or {}).get(field) or "") if i]
    if not ids:
        return None
    if len(ids) > 1:
        return "one"
    known = {p.identity: p for p in event.people}
    person = known.get(ids[0])
    if person is None or not ids[0].startswith(event.user.rsplit(":", 1)[0] + ":"):
        return "not-people"
    if person.problem:
        return "unchecked" if person.problem == "unchecked" else "not-people"
    if person.identity == event.user:
        return "self"
    return person


def remember(people: PeopleStore, event: Event) -> None:
    """Keep what the platform told us of the speaker and of the people they chose."""
    if event.name or event.tz_name or event.tz_offset is not None:
        people.seen(event.speaker)
    for person in event.people:
        if not person.problem:
            people.seen(person)


# A form field's value as checked, and why it is refused ("" when it is not).
Checked = tuple[str, str]


def why(template: str, problem: str, **values: Any) -> str:
    """Why a form's field is refused, as its flow's template words it (a field's error
    is one sentence of plain text)."""
    return compose(template, problem=problem, **values).plain_text()


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def number_of(text: str) -> int | None:
    """A number given with a command (`plan item 3`, `#3`, `three`): the engine's reading
    of a number, never below 0 (nor, the engine sees to it, too long to be an id)."""
    number = engine.number_of(text)
    return number if number is not None and number >= 0 else None


def form_values(event: Event) -> dict[str, str]:
    """A submitted form's values, cleaned as typed text is."""
    return {
        k: clean(str(v), keep_newlines=True, exact=True).strip()
        for k, v in (event.fields or {}).items()
    }


class PersonalFlow(ABC):
    """What plans and expectations share: routed by their verb; in private
    conversations only; what the platform says of the speaker kept; people's names and
    time zones; direct messages through the outbox. Their records are tables, so they
    keep nothing in the conversation: a subclass answers `command(event, words)`."""

    name = ""
    verbs: frozenset[str] = frozenset()
    private_only = ""  # the template that asks for a direct message instead

    def __init__(self, lookup: Lookup, store: Store):
        self.lookup = lookup
        self.store = store
        self.people = PeopleStore(store)
        self.outbox = FeedbackStore(store)

    def wants(self, state: dict[str, Any], event: Event) -> bool:
        command = event.action if event.action is not None else event.text
        return strip_command_prefix(clean(command)).partition(" ")[0].casefold() in self.verbs

    def step(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply]]:
        if not event.private:
            return state, [compose(self.private_only)]
        remember(self.people, event)
        command = event.action if event.action is not None else event.text
        return state, [self.command(event, strip_command_prefix(clean(command)).split()[1:])]

    @abstractmethod
    def command(self, event: Event, words: list[str]) -> Reply:
        """The reply to one of the flow's commands (`words` after the verb)."""

    def check(self, event: Event, submit: str, name: str, values: dict[str, str]) -> Checked:
        """Field `name` of the form whose submission is `submit`, checked at its step
        (`values`: the fields before it, as checked, and its own as given): the value to
        keep, and why it is refused ("" when it is not). A submitted form is checked
        field by field the same way."""
        return values.get(name, ""), ""

    def date_of(self, event: Event, name: str, values: dict[str, str]) -> Checked:
        """A form's `starts` or `due` as an ISO date ("" for none), read in the speaker's
        time zone; an end date `in 3 months` counts from the start date, and is refused
        when it is before it."""
        today = self.zone(event.user).today(self.store.now())
        starts = values.get("starts", "") if name == "due" else ""
        since = _iso_day(starts)
        day = parse_date(values.get(name, ""), today, since=since)
        if day is None:
            return values.get(name, ""), why("forms/why.j2", "date")
        if day and since is not None and day < starts:
            return day, why("forms/why.j2", "before-start")
        return day, ""

    def words_within(self, name: str, values: dict[str, str], most: int, needed: bool) -> Checked:
        """A text field: given when `needed`, and at most `most` words."""
        text = values.get(name, "")
        if needed and not text:
            return text, why("forms/why.j2", "needed")
        if count_words(text) > most:
            return text, why("forms/why.j2", "too-long", count=count_words(text), most=most)
        return text, ""

    def name_of(self, identity: str) -> str:
        known = self.people.get(identity)
        return known.name if known and known.name else identity.rsplit(":", 1)[-1]

    def zone(self, identity: str) -> Zone:
        return zone_of(self.people.get(identity))
