"""The tables of development plans and performance expectations, and people's names
and time zones, over the same connection and transactions as `Store`.

Expectations are a record: `expectation_versions` and `expectation_events` take
inserts only (triggers refuse an UPDATE or DELETE), so a change is a new version and
every acknowledgement stays as it was made.
"""

from __future__ import annotations

import re
import sqlite3
from abc import ABC, abstractmethod
from typing import Any

from bot.clock import Zone, parse_date, zone_of
from bot.lookup import Lookup, strip_command_prefix
from bot.render import compose
from bot.storage import FeedbackStore, Store
from bot.text import clean
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
    """Who people are, as far as a platform told us: a name and a time zone."""

    def __init__(self, store: Store):
        self.conn = store.conn
        self.stamp = store.stamp

    def get(self, identity: str) -> dict[str, Any] | None:
        return _one(
            self.conn.execute(
                "SELECT identity, name, tz_offset, tz_name FROM people WHERE identity = ?",
                [identity],
            )
        )

    def knows(
        self, identity: str, name: str = "", tz_offset: int | None = None, tz_name: str = ""
    ) -> bool:
        """Whether all of that is known already (a read: nothing to write)."""
        known = self.get(identity)
        return known is not None and (
            (not name or name == known["name"])
            and (tz_offset is None or tz_offset == known["tz_offset"])
            and (not tz_name or tz_name == known["tz_name"])
        )

    def seen(
        self, identity: str, name: str = "", tz_offset: int | None = None, tz_name: str = ""
    ) -> None:
        """Remember what is known; what is not given keeps its earlier value."""
        if self.knows(identity, name, tz_offset, tz_name):
            return  # nothing new: no write
        self.conn.execute(
            "INSERT INTO people (identity, name, tz_offset, tz_name, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (identity) DO UPDATE SET"
            " name = COALESCE(NULLIF(excluded.name, ''), name),"
            " tz_offset = COALESCE(excluded.tz_offset, tz_offset),"
            " tz_name = COALESCE(NULLIF(excluded.tz_name, ''), tz_name),"
            " updated_at = excluded.updated_at",
            [identity, name, tz_offset, tz_name, self.stamp()],
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
        people.seen(event.user, event.name, event.tz_offset, event.tz_name)
    for person in event.people:
        if not person.problem:
            people.seen(person.identity, person.name, person.tz_offset, person.tz_name)


def number_of(text: str) -> int | None:
    """A number typed as `3` or `#3` (never one too long to be an id)."""
    text = text.lstrip("#")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


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

    def dates(self, event: Event, values: dict[str, str], errors: dict[str, str]) -> dict[str, str]:
        """A form's `starts` and `due` dates as ISO dates ("" for none), read in the
        speaker's time zone; what cannot be read, or ends before it starts, in `errors`."""
        today = self.zone(event.user).today(self.store.now())
        dates: dict[str, str] = {}
        for key in ("starts", "due"):
            day = parse_date(values.get(key, ""), today)
            if day is None:
                errors[key] = "Type a date as 2027-03-31, or as in 6 weeks, or skip."
            else:
                dates[key] = day
        if dates.get("starts") and dates.get("due") and dates["due"] < dates["starts"]:
            errors["due"] = "That is before the start date."
        return dates

    def name_of(self, identity: str) -> str:
        known = self.people.get(identity)
        return known["name"] if known and known["name"] else identity.rsplit(":", 1)[-1]

    def zone(self, identity: str) -> Zone:
        return zone_of(self.people.get(identity))


class PlanStore:
    def __init__(self, store: Store):
        self.conn = store.conn
        self.stamp = store.stamp

    # ---- plans ----------------------------------------------------------------------

    def plan_of(self, owner: str) -> dict[str, Any] | None:
        return _one(self.conn.execute("SELECT * FROM plans WHERE owner = ?", [owner]))

    def plan(self, plan_id: int) -> dict[str, Any] | None:
        if not _id_ok(plan_id):
            return None
        return _one(self.conn.execute("SELECT * FROM plans WHERE id = ?", [plan_id]))

    def create(self, owner: str, owner_name: str) -> dict[str, Any]:
        self.conn.execute(
            "INSERT OR IGNORE INTO plans (owner, owner_name, every_days, created_at)"
            " VALUES (?, ?, 0, ?)",
            [owner, owner_name, self.stamp()],
        )
        plan = self.plan_of(owner)
        assert plan is not None
        return plan

    def mentored_by(self, mentor: str) -> list[dict[str, Any]]:
        return _dicts(
            self.conn.execute("SELECT * FROM plans WHERE mentor = ? ORDER BY id", [mentor])
        )

    def set_mentor(self, plan_id: int, mentor: str | None, name: str | None) -> None:
        self.conn.execute(
            "UPDATE plans SET mentor = ?, mentor_name = ? WHERE id = ?", [mentor, name, plan_id]
        )

    def set_every(self, plan_id: int, days: int) -> None:
        self.conn.execute("UPDATE plans SET every_days = ? WHERE id = ?", [days, plan_id])

    # ---- items ----------------------------------------------------------------------

    def items(self, plan_id: int) -> list[dict[str, Any]]:
        return _dicts(
            self.conn.execute(
                "SELECT * FROM plan_items WHERE plan_id = ? ORDER BY number", [plan_id]
            )
        )

    def item(self, plan_id: int, number: int) -> dict[str, Any] | None:
        if not _id_ok(number):
            return None
        return _one(
            self.conn.execute(
                "SELECT * FROM plan_items WHERE plan_id = ? AND number = ?", [plan_id, number]
            )
        )

    def add_item(self, plan_id: int, **values: str) -> int:
        stamp = self.stamp()
        row = self.conn.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM plan_items WHERE plan_id = ?", [plan_id]
        ).fetchone()
        number = int(row[0])
        self.conn.execute(
            "INSERT INTO plan_items (plan_id, number, framework, behaviour, level, gap,"
            " activity, starts, due, status, source, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                plan_id,
                number,
                values["framework"],
                values["behaviour"],
                values["level"],
                values["gap"],
                values["activity"],
                values.get("starts", ""),
                values.get("due", ""),
                values.get("status", "not started"),
                values.get("source", ""),
                stamp,
                stamp,
            ],
        )
        return number

    def update_item(self, plan_id: int, number: int, **values: str) -> None:
        columns = ("framework", "behaviour", "level", "gap", "activity", "starts", "due", "status")
        chosen = {k: v for k, v in values.items() if k in columns}
        if not chosen:
            return
        sets = ", ".join(f"{k} = ?" for k in chosen)
        self.conn.execute(
            f"UPDATE plan_items SET {sets}, updated_at = ? WHERE plan_id = ? AND number = ?",
            [*chosen.values(), self.stamp(), plan_id, number],
        )

    # ---- notes: comments, progress, status changes ------------------------------------

    def note(
        self,
        plan_id: int,
        *,
        item: int,
        author: str,
        author_name: str,
        kind: str,
        text: str,
        checkin_id: int = 0,
    ) -> bool:
        """Record a note; False when the very same note was recorded before."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO plan_notes (plan_id, item, author, author_name, kind, text,"
            " checkin_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [plan_id, item, author, author_name, kind, text, checkin_id, self.stamp()],
        )
        return cursor.rowcount == 1

    def notes(self, plan_id: int, *, item: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM plan_notes WHERE plan_id = ?"
        args: list[Any] = [plan_id]
        if item is not None:
            sql += " AND item = ?"
            args.append(item)
        return _dicts(self.conn.execute(sql + " ORDER BY id", args))

    # ---- check-ins ------------------------------------------------------------------

    def add_checkin(self, plan_id: int, due: str, *, asked: bool = False) -> int:
        cursor = self.conn.execute(
            "INSERT INTO plan_checkins (plan_id, due_at, asked_at) VALUES (?, ?, ?)",
            [plan_id, due, self.stamp() if asked else None],
        )
        return int(cursor.lastrowid or 0)

    def checkin(self, checkin_id: int) -> dict[str, Any] | None:
        if not _id_ok(checkin_id):
            return None
        return _one(self.conn.execute("SELECT * FROM plan_checkins WHERE id = ?", [checkin_id]))

    def next_checkin(self, plan_id: int) -> dict[str, Any] | None:
        return _one(
            self.conn.execute(
                "SELECT * FROM plan_checkins WHERE plan_id = ? AND asked_at IS NULL"
                " AND cancelled_at IS NULL ORDER BY due_at LIMIT 1",
                [plan_id],
            )
        )

    def cancel_checkins(self, plan_id: int) -> None:
        self.conn.execute(
            "UPDATE plan_checkins SET cancelled_at = ? WHERE plan_id = ? AND asked_at IS NULL"
            " AND cancelled_at IS NULL",
            [self.stamp(), plan_id],
        )

    def mark_asked(self, checkin_id: int) -> None:
        self.conn.execute(
            "UPDATE plan_checkins SET asked_at = ? WHERE id = ?", [self.stamp(), checkin_id]
        )

    def mark_answered(self, checkin_id: int) -> bool:
        cursor = self.conn.execute(
            "UPDATE plan_checkins SET answered_at = ? WHERE id = ? AND answered_at IS NULL",
            [self.stamp(), checkin_id],
        )
        return cursor.rowcount == 1


class ExpectationStore:
    def __init__(self, store: Store):
        self.conn = store.conn
        self.stamp = store.stamp

    def create(self, *, manager: str, manager_name: str, employee: str, employee_name: str) -> int:
        cursor = self.conn.execute(
            "INSERT INTO expectations (manager, manager_name, employee, employee_name,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            [manager, manager_name, employee, employee_name, self.stamp()],
        )
        return int(cursor.lastrowid or 0)

    def expectation(self, expectation_id: int) -> dict[str, Any] | None:
        if not _id_ok(expectation_id):
            return None
        return _one(self.conn.execute("SELECT * FROM expectations WHERE id = ?", [expectation_id]))

    def between(self, person: str) -> list[dict[str, Any]]:
        """Every expectation `person` set or was set, newest first."""
        return _dicts(
            self.conn.execute(
                "SELECT * FROM expectations WHERE manager = ? OR employee = ? ORDER BY id DESC",
                [person, person],
            )
        )

    def add_version(self, expectation_id: int, *, set_by: str, **values: str) -> int:
        row = self.conn.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM expectation_versions"
            " WHERE expectation_id = ?",
            [expectation_id],
        ).fetchone()
        version = int(row[0])
        self.conn.execute(
            "INSERT INTO expectation_versions (expectation_id, version, kind, text, standards,"
            " framework, behaviour, level, starts, due, reason, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                expectation_id,
                version,
                values["kind"],
                values["text"],
                values.get("standards", ""),
                values.get("framework", ""),
                values.get("behaviour", ""),
                values.get("level", ""),
                values.get("starts", ""),
                values.get("due", ""),
                values.get("reason", ""),
                set_by,
                self.stamp(),
            ],
        )
        return version

    def same_since(
        self, manager: str, employee: str, content: dict[str, str], since: str
    ) -> int | None:
        """An expectation from `manager` to `employee` whose latest version, set since
        `since`, has this kind, text, standard and due date."""
        row = self.conn.execute(
            "SELECT e.id FROM expectations e JOIN expectation_versions v"
            " ON v.expectation_id = e.id AND v.version = (SELECT MAX(version)"
            " FROM expectation_versions WHERE expectation_id = e.id)"
            " WHERE e.manager = ? AND e.employee = ? AND v.set_at >= ? AND v.kind = ?"
            " AND v.text = ? AND v.standards = ? AND v.due = ? ORDER BY e.id DESC LIMIT 1",
            [
                manager,
                employee,
                since,
                *(content.get(k, "") for k in ("kind", "text", "standards", "due")),
            ],
        ).fetchone()
        return int(row[0]) if row else None

    def versions(self, expectation_id: int) -> list[dict[str, Any]]:
        return _dicts(
            self.conn.execute(
                "SELECT * FROM expectation_versions WHERE expectation_id = ? ORDER BY version",
                [expectation_id],
            )
        )

    def record(
        self, expectation_id: int, version: int, what: str, person: str, text: str = ""
    ) -> bool:
        """Append what happened; False when it was recorded before (a retry, a double
        click, a second delivery): it is never recorded twice."""
        if what in ("communicated", "acknowledged") and self.when(expectation_id, version, what):
            return False
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO expectation_events (expectation_id, version, what, person,"
            " text, at) VALUES (?, ?, ?, ?, ?, ?)",
            [expectation_id, version, what, person, text, self.stamp()],
        )
        return cursor.rowcount == 1

    def when(self, expectation_id: int, version: int, what: str) -> str | None:
        row = self.conn.execute(
            "SELECT MIN(at) FROM expectation_events WHERE expectation_id = ? AND version = ?"
            " AND what = ?",
            [expectation_id, version, what],
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def events(self, expectation_id: int) -> list[dict[str, Any]]:
        return _dicts(
            self.conn.execute(
                "SELECT * FROM expectation_events WHERE expectation_id = ? ORDER BY id",
                [expectation_id],
            )
        )

    # ---- whether the person who sets them is the employee's manager -----------------

    def standing(self, manager: str, employee: str) -> str:
        """What `employee` last said of `manager` being their manager: "asked" (no
        answer yet), "confirmed", "refused" or "withdrawn"; "" when never asked."""
        row = self.conn.execute(
            "SELECT what FROM manager_events WHERE employee = ? AND manager = ?"
            " ORDER BY id DESC LIMIT 1",
            [employee, manager],
        ).fetchone()
        return str(row[0]) if row else ""

    def manager_event(self, manager: str, employee: str, what: str, person: str) -> int:
        """Append what was asked or answered; its id."""
        cursor = self.conn.execute(
            "INSERT INTO manager_events (manager, employee, what, person, at)"
            " VALUES (?, ?, ?, ?, ?)",
            [manager, employee, what, person, self.stamp()],
        )
        return int(cursor.lastrowid or 0)
