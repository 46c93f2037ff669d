"""SQLite storage through sqlite-utils: recorded migrations, conversation state, and
the ids of events already handled (so a retried delivery is handled once).

State is JSON, never pickles. Each unit of work runs in one `BEGIN IMMEDIATE`
transaction, so two processes sharing the file never interleave half-done work.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.clock import Clock, SystemClock, iso
from bot.outbox import Outbox
from bot.schedule import Schedule
from bot.types import Person

MIGRATIONS = Migrations("behaviourbot")
HANDLED_EVENTS_KEPT = timedelta(days=2)


@MIGRATIONS()
def m001_conversations_and_events(db: Database) -> None:
    db["conversations"].create(
        {"user": str, "conversation": str, "state": str, "updated_at": str},
        pk=("user", "conversation"),
    )
    db["handled_events"].create({"event_id": str, "handled_at": str}, pk="event_id")
    db["handled_events"].create_index(["handled_at"])


@MIGRATIONS()
def m002_teams_references(db: Database) -> None:
    """Where each Teams user can be reached: one row per (user, conversation)."""
    db["teams_references"].create(
        {
            "user": str,
            "conversation": str,
            "personal": int,
            "teams_id": str,
            "tenant": str,
            "reference": str,
            "updated_at": str,
        },
        pk=("user", "conversation"),
    )
    db["teams_references"].create_index(["user", "personal", "updated_at"])


@MIGRATIONS()
def m003_star_drafts(db: Database) -> None:
    """STAR examples in progress: numbered 1, 2, … per owner, the parts as JSON."""
    db["star_drafts"].create(
        {
            "id": int,
            "owner": str,
            "number": int,
            "framework": str,
            "behaviour": str,
            "level": str,
            "parts": str,
            "target": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["star_drafts"].create_index(["owner", "number"], unique=True)


@MIGRATIONS()
def m004_undelivered_replies(db: Database) -> None:
    """An event's replies until they are known to be delivered, and since when the
    latest attempt to deliver them has been under way (NULL once it failed)."""
    db["handled_events"].add_column("replies", str)
    db["handled_events"].add_column("sending_since", str)


@MIGRATIONS()
def m005_feedback(db: Database) -> None:
    """360 feedback: requests and their peers (with each peer's answers), the outbox of
    direct messages still to deliver, and the schedule of reminders and closings."""
    db["feedback_requests"].create(
        {
            "id": int,
            "requester": str,
            "framework": str,
            "level": str,
            "behaviours": str,  # JSON list of behaviour ids
            "self_ratings": str,  # JSON {behaviour: rating}
            "manager": str,  # an identity, or NULL
            "manager_name": str,
            "requester_name": str,
            "deadline": str,  # UTC ISO time
            "threshold": int,
            "seed": str,  # fixes the report's comment order
            "status": str,  # "open" or "closed"
            "created_at": str,
            "closed_at": str,
        },
        pk="id",
    )
    db["feedback_requests"].create_index(["requester"])
    db["feedback_peers"].create(
        {
            "request_id": int,
            "peer": str,  # an identity
            "name": str,  # as the requester named them
            "status": str,  # "asked", "answered", "declined", "unreachable"
            "ratings": str,  # JSON {behaviour: rating}
            "examples": str,  # JSON {behaviour: text}
            "keep": str,
            "develop": str,
            "asked_at": str,
            "reminded_at": str,
            "answered_at": str,
        },
        pk=("request_id", "peer"),
    )
    db["feedback_peers"].create_index(["peer"])
    db["outbox"].create(
        {
            "id": int,
            "user": str,  # whom to send it to, directly
            "key": str,  # unique: the same message is never queued twice
            "replies": str,  # JSON, as bot.types.replies_to_json
            "request_id": int,  # the 360 request it is about, if any
            "due_at": str,
            "attempts": int,
            "sent_at": str,
            "failed": str,  # why it could not be delivered, once given up
        },
        pk="id",
    )
    db["outbox"].create_index(["key"], unique=True)
    db["outbox"].create_index(["sent_at", "due_at"])
    db["schedule"].create(
        {"id": int, "kind": str, "request_id": int, "due_at": str, "done_at": str}, pk="id"
    )
    db["schedule"].create_index(["kind", "request_id"], unique=True)
    db["schedule"].create_index(["done_at", "due_at"])


@MIGRATIONS()
def m006_peer_time_zones(db: Database) -> None:
    """A peer's time zone (seconds east of UTC) where the platform gives one, so that
    their reminder comes in their working hours."""
    db["feedback_peers"].add_column("tz_offset", int)


@MIGRATIONS()
def m007_plans_and_expectations(db: Database) -> None:
    """Development plans (items, notes, check-ins), performance expectations (versions
    and what happened to each, append-only), and people's names and time zones."""
    db["people"].create(
        {"identity": str, "name": str, "tz_offset": int, "tz_name": str, "updated_at": str},
        pk="identity",
    )
    db["plans"].create(
        {
            "id": int,
            "owner": str,
            "owner_name": str,
            "mentor": str,  # an identity, or NULL
            "mentor_name": str,
            "every_days": int,  # check-ins: every so many days; NULL or 0 for none
            "created_at": str,
        },
        pk="id",
    )
    db["plans"].create_index(["owner"], unique=True)
    db["plans"].create_index(["mentor"])
    db["plan_items"].create(
        {
            "plan_id": int,
            "number": int,  # 1, 2, … within the plan
            "framework": str,
            "behaviour": str,
            "level": str,  # the target level
            "gap": str,
            "activity": str,  # "training", "assignment", "mentoring", "other"
            "starts": str,  # ISO dates, or ""
            "due": str,
            "status": str,  # "not started", "in progress", "done", "dropped"
            "source": str,  # e.g. "360 request 4"
            "created_at": str,
            "updated_at": str,
        },
        pk=("plan_id", "number"),
    )
    db["plan_checkins"].create(
        {
            "id": int,
            "plan_id": int,
            "due_at": str,
            "asked_at": str,
            "answered_at": str,
            "cancelled_at": str,
        },
        pk="id",
    )
    db["plan_checkins"].create_index(["plan_id"])
    db["plan_notes"].create(
        {
            "id": int,
            "plan_id": int,
            "item": int,  # the item's number; 0 for the plan as a whole
            "author": str,
            "author_name": str,
            "kind": str,  # "comment", "progress", "status"
            "text": str,
            "checkin_id": int,  # 0 outside a check-in
            "created_at": str,
        },
        pk="id",
    )
    # the same note twice at once (a retried or double-clicked submission) is recorded once
    db["plan_notes"].create_index(
        ["plan_id", "item", "author", "kind", "text", "checkin_id", "created_at"], unique=True
    )
    db["expectations"].create(
        {
            "id": int,
            "manager": str,
            "manager_name": str,
            "employee": str,
            "employee_name": str,
            "created_at": str,
        },
        pk="id",
    )
    db["expectations"].create_index(["manager"])
    db["expectations"].create_index(["employee"])
    db["expectation_versions"].create(
        {
            "expectation_id": int,
            "version": int,
            "kind": str,  # "goal", "requirement", "assignment", "competency", "other"
            "text": str,
            "standards": str,  # an assignment's quality, quantity, accuracy, timeliness
            "framework": str,  # a competency's behaviour and level
            "behaviour": str,
            "level": str,
            "starts": str,
            "due": str,
            "reason": str,  # why it changed (a later version)
            "set_by": str,
            "set_at": str,
        },
        pk=("expectation_id", "version"),
    )
    db["expectation_events"].create(
        {
            "id": int,
            "expectation_id": int,
            "version": int,
            "what": str,  # "communicated", "acknowledged", "comment", "proposal", "undelivered"
            "person": str,
            "text": str,
            "at": str,
        },
        pk="id",
    )
    db["expectation_events"].create_index(
        ["expectation_id", "version", "what", "person", "text", "at"], unique=True
    )
    # The record is the point: what was set, and what happened to it, is never changed
    # or removed afterwards, by this code or any other.
    for table in ("expectation_versions", "expectation_events"):
        for verb in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
                f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


@MIGRATIONS()
def m008_manager_confirmations(db: Database) -> None:
    """Whether an employee confirmed that someone who set them an expectation is their
    manager: asked, confirmed, refused ("not my manager") or withdrawn, in the order it
    happened. It decides whose expectations count, so it is a record: append-only."""
    db["manager_events"].create(
        {
            "id": int,
            "manager": str,  # the identity of whoever set the expectations
            "employee": str,
            "what": str,  # "asked", "confirmed", "refused", "withdrawn"
            "person": str,  # who did it
            "at": str,
        },
        pk="id",
    )
    db["manager_events"].create_index(["employee", "manager"])
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER manager_events_no_{verb.lower()} BEFORE {verb} ON manager_events"
            " BEGIN SELECT RAISE(ABORT, 'manager_events is append-only'); END"
        )


@MIGRATIONS()
def m009_who_is_sending(db: Database) -> None:
    """Which process is delivering an event's replies, so that a retry can tell an
    attempt still under way from one whose process stopped."""
    db["handled_events"].add_column("sending_by", str)


@MIGRATIONS()
def m010_submissions(db: Database) -> None:
    """Each person's latest click or form submission, with what it answered, so that a
    double click or a resubmitted form is answered with that instead of being handled
    again (each has its own event id: the platform sees two)."""
    db["submissions"].create({"user": str, "digest": str, "at": str, "replies": str}, pk="user")
    db["submissions"].create_index(["at"])


@MIGRATIONS()
def m011_outbox_attempts(db: Database) -> None:
    """When the latest attempt to send a direct message began (NULL once reported), when
    the first did, and whether one may have arrived unreported (a timeout, a broken
    connection, a process that stopped): then it is looked for before it is sent again."""
    db["outbox"].add_column("sending_since", str)
    db["outbox"].add_column("first_tried_at", str)
    db["outbox"].add_column("unsure", int)


@MIGRATIONS()
def m012_star_states(db: Database) -> None:
    """The STAR flows' states (`star`, `practice`, `practised`) as typed, versioned JSON
    (bot/star/state.py): rows stored before are converted once, here."""
    import bot.star.state  # noqa: F401  (registers the STAR upgrades)

    upgrade_flow_states(db)


@MIGRATIONS()
def m013_feedback_states(db: Database) -> None:
    """The 360 flow's state as typed, versioned values (bot/feedback/state.py): a
    request being built and a peer's answer in progress, converted once from the
    dictionaries kept before (people as identities, own ratings under their name)."""
    import bot.feedback.state  # noqa: F401  (registers its upgrades)

    upgrade_flow_states(db)


@MIGRATIONS()
def m014_form_states(db: Database) -> None:
    """A form being asked one field at a time (the terminal) kept as a typed, versioned
    state (`bot.forms.FormState`): those stored before are converted once."""
    import bot.forms  # noqa: F401  (registers its upgrades)

    upgrade_flow_states(db)


@MIGRATIONS()
def m015_people_in_states(db: Database) -> None:
    """People in flow states as `bot.types.Person`: the peers and manager of a 360
    request being built or paused (bot/feedback/state.py), kept before as dictionaries,
    and the people named in a form asked one field at a time (bot/forms.py), kept as a
    mapping of identity to name, are converted once."""
    # the flows register their upgrades when imported
    import bot.feedback.state
    import bot.forms  # noqa: F401

    upgrade_flow_states(db)


@MIGRATIONS()
def m016_feedback_history(db: Database) -> None:
    """Who was behind what a purged 360 report showed (bot/maintenance.py): identities
    only, no answers, so that the requester's later reports are still compared with it
    (the rule that no two reports single anyone out)."""
    db["feedback_history"].create(
        {
            "request_id": int,
            "requester": str,
            "closed_at": str,
            "shown": str,  # JSON, as bot.feedback.report.earlier_to_json
        },
        pk="request_id",
    )
    db["feedback_history"].create_index(["requester"])


@MIGRATIONS()
def m017_peer_consent(db: Database) -> None:
    """Whether a peer agreed that their examples may be shown to the person they answered
    about (never with their name), as material for that person's STAR examples: 1 for
    yes; an answer stored before (NULL) counts as no. A peer's answer in progress is
    converted once (bot/feedback/state.py): one not begun yet asks it first."""
    db["feedback_peers"].add_column("consent", int)
    import bot.feedback.state  # noqa: F401  (registers its upgrades)

    upgrade_flow_states(db)


@MIGRATIONS()
def m018_own_checkins(db: Database) -> None:
    """Whether a plan check-in was the owner's own (`plan progress` with none asked: 1),
    not one the schedule asked: the plan's picture counts only those asked. Rows stored
    before count as asked (the schedule's)."""
    db["plan_checkins"].add_column("own", int)


def upgrade_flow_states(db: Database) -> None:
    """Every conversation's flow states in their newest shapes, converted once (for a
    migration that follows a flow's new state version: see bot.engine.upgrade)."""
    from bot.engine import upgraded  # the flows register their upgrades when imported

    for user, conversation, text in list(
        db.execute("SELECT user, conversation, state FROM conversations").fetchall()
    ):
        state = json.loads(text)
        newer = upgraded(state)
        if newer != state:
            db.execute(
                "UPDATE conversations SET state = ? WHERE user = ? AND conversation = ?",
                [json.dumps(newer, sort_keys=True), user, conversation],
            )


try:  # to tell whether another process is still running (not on Windows)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def _create_private(path: Path) -> None:
    """The database holds people's 360 answers: a new file is made 0600 (SQLite gives
    its -wal and -shm the file's mode), in a 0700 directory when the directory is made
    for it. An existing file or directory keeps the mode its owner gave it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Busy(Exception):
    """The database stayed locked by another process for longer than the store waits:
    nothing was done, and the same call can be made again later."""


def is_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite's "the database is locked" (or busy)."""
    return isinstance(error, sqlite3.OperationalError) and any(
        word in str(error) for word in ("locked", "busy")
    )


class Store:
    def __init__(self, db: Database, clock: Clock | None = None):
        self.db = db
        self.clock: Clock = clock or SystemClock()
        # The per-event statements go straight to sqlite3: sqlite-utils' execute wrapper
        # doubles the cost of a short statement (7 µs against 14 µs for a state write).
        self.conn = db.conn
        # This process, as other processes on the same database see it: while it runs it
        # holds a lock on a file named after it, which the system lets go when it stops.
        self.process = uuid.uuid4().hex
        self._life: IO[bytes] | None = None
        self._lives: Path | None = None
        # A second connection, for plain reads on another thread than the one writing
        # (the web process's event loop): a read in WAL mode needs no lock, so it waits
        # at most a moment (SQLite can be busy for an instant while the WAL index moves);
        # should it still be busy, the caller takes the way that waits.
        self.reader: sqlite3.Connection | None = None

    def _live(self, path: Path) -> None:
        """Hold this process's life lock, beside the database at `path`."""
        if fcntl is None:
            return
        self._lives = path.parent / (path.name + ".processes")
        self._lives.mkdir(exist_ok=True)
        self._life = open(self._lives / self.process, "wb")  # noqa: SIM115 (held while open)
        fcntl.flock(self._life, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def running(self, process: str) -> bool:
        """Whether `process` (another Store's `process`) still runs; True when that cannot
        be told (no lock files: an in-memory database, or a system without flock)."""
        if process == self.process or self._lives is None or not process.isalnum():
            return True
        try:
            with open(self._lives / process, "rb") as life:
                fcntl.flock(life, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except FileNotFoundError:
            return False
        except BlockingIOError:
            return True
        (self._lives / process).unlink(missing_ok=True)  # it stopped without tidying up
        return False

    @classmethod
    def open(cls, path: str | Path, clock: Clock | None = None, *, wait: float = 10.0) -> Store:
        """Open (creating if needed) the database at `path`, or ":memory:", and migrate it.
        Every time the core reads comes from `clock` (the system's by default). A write
        waits up to `wait` seconds for another process's write lock (then `Busy`)."""
        if str(path) != ":memory:":
            _create_private(Path(path))
        conn = sqlite3.connect(str(path), timeout=wait, check_same_thread=False)
        db = Database(conn)
        if str(path) != ":memory:":
            with db.ensure_autocommit_on():
                db.execute("PRAGMA journal_mode=wal")
        # Under WAL, NORMAL keeps every commit atomic and durable across a crash of the
        # process; only an operating-system crash can lose the latest commits. It saves
        # an fsync per event (about 0.2 ms).
        db.execute("PRAGMA synchronous=NORMAL")
        store = cls(db, clock)
        with store.transaction():
            MIGRATIONS.apply(db)
        if str(path) != ":memory:":
            store._live(Path(path))
            store.reader = sqlite3.connect(
                f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=0.1,
                check_same_thread=False,
            )  # fmt: skip
        return store

    def close(self) -> None:
        self.db.close()
        if self.reader is not None:
            self.reader.close()
        if self._life is not None and self._lives is not None:
            (self._lives / self.process).unlink(missing_ok=True)
            self._life.close()
            self._life = None

    def now(self) -> datetime:
        return self.clock.now()

    def stamp(self) -> str:
        """Now, as stored (UTC, ISO 8601, to the second)."""
        return iso(self.clock.now())

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One unit of work: committed whole, or rolled back whole."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()

    def applied_migrations(self) -> list[str]:
        return [m.name for m in MIGRATIONS.applied(self.db)]

    def first_time(self, event_id: str) -> bool:
        """Record `event_id`; False when it was recorded before (a retry or duplicate)."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO handled_events (event_id, handled_at) VALUES (?, ?)",
            [event_id, self.stamp()],
        )
        return cursor.rowcount == 1

    def handled(self, event_id: str) -> bool:
        """Whether `event_id` was recorded (by `first_time`), without recording it."""
        row = self.conn.execute(
            "SELECT 1 FROM handled_events WHERE event_id = ?", [event_id]
        ).fetchone()
        return row is not None

    def keep_replies(self, event_id: str, replies: str) -> None:
        """Keep `event_id`'s replies (JSON) until `settle` says they were delivered."""
        self.conn.execute(
            "UPDATE handled_events SET replies = ?, sending_since = ? WHERE event_id = ?",
            [replies, self.stamp(), event_id],
        )
        self._sending_by_me(event_id)

    def _sending_by_me(self, event_id: str) -> None:
        self.conn.execute(
            "UPDATE handled_events SET sending_by = ? WHERE event_id = ?", [self.process, event_id]
        )

    def replies_to_send_again(
        self, event_id: str, stale_after: timedelta, *, sending_here: bool = False
    ) -> str | None:
        """The kept replies of a handled event when they are due again: the last attempt
        to deliver them failed, or it never ended: its process stopped (another process's
        is seen at once; this one's when it is not `sending_here`), or it began
        `stale_after` ago. None when they were delivered, or an attempt is under way."""
        row = self.conn.execute(
            "SELECT replies, sending_since, sending_by FROM handled_events WHERE event_id = ?",
            [event_id],
        ).fetchone()
        if row is None or row[0] is None:
            return None
        stale = (self.now() - stale_after).isoformat(timespec="seconds")
        if row[1] is not None and row[1] >= stale:
            by = row[2]
            if by is None or (sending_here if by == self.process else self.running(by)):
                return None
        self.conn.execute(
            "UPDATE handled_events SET sending_since = ? WHERE event_id = ?",
            [self.stamp(), event_id],
        )
        self._sending_by_me(event_id)
        return str(row[0])

    def settle(self, event_id: str, *, delivered: bool) -> None:
        """The end of an attempt to deliver `event_id`'s replies: once delivered they are
        forgotten; after a failure they wait for the platform's retry."""
        self.conn.execute(
            "UPDATE handled_events SET sending_since = NULL"
            + (", replies = NULL" if delivered else "")
            + " WHERE event_id = ?",
            [event_id],
        )

    def forget_old_events(self, kept: timedelta = HANDLED_EVENTS_KEPT) -> int:
        cutoff = (self.now() - kept).isoformat(timespec="seconds")
        self.db.execute("DELETE FROM submissions WHERE at < ?", [cutoff])
        return self.db.execute("DELETE FROM handled_events WHERE handled_at < ?", [cutoff]).rowcount

    def submitted(self, user: str, digest: str, within: timedelta) -> str | None:
        """The replies (JSON) to `user`'s click or submission `digest` when it is the
        latest they made, within the last `within`; else None."""
        since = iso(self.now() - within)
        row = self.conn.execute(
            "SELECT replies FROM submissions WHERE user = ? AND digest = ? AND at >= ?",
            [user, digest, since],
        ).fetchone()
        return str(row[0]) if row else None

    def keep_submission(self, user: str, digest: str, replies: str) -> None:
        """Keep `user`'s latest click or submission ("" for something else)."""
        self.conn.execute(
            "INSERT INTO submissions (user, digest, at, replies) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user) DO UPDATE SET digest = excluded.digest,"
            " at = excluded.at, replies = excluded.replies",
            [user, digest, self.stamp(), replies],
        )

    def read_state(self, user: str, conversation: str) -> dict[str, Any] | None:
        """The state by the reading connection; None where there is none to read by, or
        the read could not be made at once."""
        if self.reader is None:
            return None
        try:
            rows = self.reader.execute(
                "SELECT state FROM conversations WHERE user = ? AND conversation = ?",
                [user, conversation],
            ).fetchall()
        except sqlite3.Error:
            return None
        return json.loads(rows[0][0]) if rows else {}

    def state(self, user: str, conversation: str) -> dict[str, Any]:
        rows = self.conn.execute(
            "SELECT state FROM conversations WHERE user = ? AND conversation = ?",
            [user, conversation],
        ).fetchall()
        return json.loads(rows[0][0]) if rows else {}

    def states_of(self, user: str, key: str) -> list[tuple[str, dict[str, Any]]]:
        """`user`'s states, with their conversations, that hold `key` (a flow under way
        or paused), in whichever chat they are kept."""
        rows = self.conn.execute(
            "SELECT conversation, state FROM conversations WHERE user = ?"
            " AND json_extract(state, '$.' || json_quote(?)) IS NOT NULL ORDER BY conversation",
            [user, key],
        ).fetchall()
        return [(row[0], json.loads(row[1])) for row in rows]

    def save_state(self, user: str, conversation: str, state: dict[str, Any]) -> None:
        # Plain SQL: sqlite-utils' upsert inspects the table on every call (about 0.15 ms).
        self.conn.execute(
            "INSERT INTO conversations (user, conversation, state, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (user, conversation)"
            " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            [user, conversation, json.dumps(state, sort_keys=True), self.stamp()],
        )

    def save_reference(
        self,
        *,
        user: str,
        conversation: str,
        personal: bool,
        teams_id: str,
        tenant: str,
        reference: dict[str, Any],
    ) -> None:
        """Keep the latest conversation reference of `user` in `conversation`."""
        self.conn.execute(
            "INSERT INTO teams_references"
            " (user, conversation, personal, teams_id, tenant, reference, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user, conversation) DO UPDATE SET"
            " personal = excluded.personal, teams_id = excluded.teams_id,"
            " tenant = excluded.tenant, reference = excluded.reference,"
            " updated_at = excluded.updated_at",
            [
                user,
                conversation,
                int(personal),
                teams_id,
                tenant,
                json.dumps(reference),
                self.stamp(),
            ],
        )

    def shared_conversations(self, tenant: str) -> list[dict[str, Any]]:
        """The newest reference of each team or group chat the bot is in, in `tenant`."""
        rows = self.conn.execute(
            # SQLite takes the bare column from the row with the MAX
            "SELECT reference, MAX(updated_at) FROM teams_references"
            " WHERE tenant = ? AND personal = 0 GROUP BY conversation",
            [tenant],
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def reference(self, user: str, *, personal: bool) -> dict[str, Any] | None:
        """The newest stored reference of `user`: of their personal chat with the bot, or
        of any shared chat or team."""
        row = self.conn.execute(
            "SELECT reference FROM teams_references WHERE user = ? AND personal = ?"
            " ORDER BY updated_at DESC LIMIT 1",
            [user, int(personal)],
        ).fetchone()
        return json.loads(row[0]) if row else None

    # ---- STAR drafts ---------------------------------------------------------------
    # Every query names the owner: a person reaches only their own drafts, whatever id
    # a typed command or a crafted payload carries.

    def create_draft(
        self, owner: str, *, framework: str, behaviour: str, level: str, parts: dict[str, str]
    ) -> int:
        stamp = self.stamp()
        cursor = self.conn.execute(
            "INSERT INTO star_drafts (owner, number, framework, behaviour, level, parts,"
            " target, created_at, updated_at) VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1"
            " FROM star_drafts WHERE owner = ?), ?, ?, ?, ?, NULL, ?, ?)",
            [owner, owner, framework, behaviour, level, json.dumps(parts), stamp, stamp],
        )
        row = self.conn.execute(
            "SELECT number FROM star_drafts WHERE id = ?", [cursor.lastrowid]
        ).fetchone()
        return int(row[0])

    def draft(self, owner: str, number: int) -> dict[str, Any] | None:
        """The owner's draft by its number (1, 2, … per person), or None."""
        if not 0 < number < 2**63:  # SQLite's integers: a typed number may be larger
            return None
        row = self.conn.execute(
            "SELECT number, framework, behaviour, level, parts, target, created_at, updated_at"
            " FROM star_drafts WHERE owner = ? AND number = ?",
            [owner, number],
        ).fetchone()
        return _draft(row) if row else None

    def drafts(self, owner: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT number, framework, behaviour, level, parts, target, created_at, updated_at"
            " FROM star_drafts WHERE owner = ? ORDER BY updated_at DESC, number DESC",
            [owner],
        ).fetchall()
        return [_draft(row) for row in rows]

    def save_draft(
        self, owner: str, number: int, *, parts: dict[str, str], target: int | None = None
    ) -> None:
        self.conn.execute(
            "UPDATE star_drafts SET parts = ?, target = COALESCE(?, target), updated_at = ?"
            " WHERE owner = ? AND number = ?",
            [json.dumps(parts), target, self.stamp(), owner, number],
        )

    def delete_draft(self, owner: str, number: int) -> bool:
        cursor = self.conn.execute(
            "DELETE FROM star_drafts WHERE owner = ? AND number = ?", [owner, number]
        )
        return cursor.rowcount == 1


def _draft(row: Sequence[Any]) -> dict[str, Any]:
    keys = ("number", "framework", "behaviour", "level", "parts", "target", "created", "updated")
    draft = dict(zip(keys, row, strict=True))
    draft["parts"] = json.loads(draft["parts"])
    return draft


# ---- 360 feedback: requests, peers, the outbox and the schedule ------------------------
# Every query names whose row it is; the flow checks who may see what before it asks.


def _json(text: str | None, default: Any) -> Any:
    return json.loads(text) if text else default


_REQUEST_COLUMNS = (
    "id, requester, framework, level, behaviours, self_ratings, manager, manager_name,"
    " requester_name, deadline, threshold, seed, status, created_at, closed_at"
)


def _request(row: Sequence[Any]) -> dict[str, Any]:
    from bot.feedback.report import effective_threshold  # the package imports storage

    keys = [k.strip() for k in _REQUEST_COLUMNS.split(",")]
    request = dict(zip(keys, row, strict=True))
    request["behaviours"] = _json(request["behaviours"], [])
    request["self_ratings"] = _json(request["self_ratings"], {})
    request["threshold"] = effective_threshold(request["threshold"])  # never below 3
    return request


_PEER_COLUMNS = (
    "request_id, peer, name, status, ratings, examples, keep, develop, asked_at,"
    " reminded_at, answered_at, tz_offset, consent"
)


def _peer(row: Sequence[Any]) -> dict[str, Any]:
    keys = [k.strip() for k in _PEER_COLUMNS.split(",")]
    peer = dict(zip(keys, row, strict=True))
    peer["ratings"] = _json(peer["ratings"], {})
    peer["examples"] = _json(peer["examples"], {})
    peer["consent"] = bool(peer["consent"])  # NULL: answered before it was asked, so no
    return peer


class FeedbackStore:
    """The 360 tables, over the same connection and transactions as `Store`."""

    def __init__(self, store: Store):
        self.conn = store.conn
        self.stamp = store.stamp
        self.outbox = Outbox(store)
        self.tasks = Schedule(store)

    def create_request(
        self,
        *,
        requester: str,
        requester_name: str,
        framework: str,
        level: str,
        behaviours: list[str],
        self_ratings: dict[str, int],
        manager: Person | None,
        deadline: str,
        threshold: int,
        seed: str,
        peers: list[Person],
    ) -> int:
        stamp = self.stamp()
        cursor = self.conn.execute(
            f"INSERT INTO feedback_requests ({_REQUEST_COLUMNS}) VALUES"
            " (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, NULL)",
            [
                requester,
                framework,
                level,
                json.dumps(behaviours),
                json.dumps(self_ratings),
                manager.identity if manager else None,
                manager.name if manager else None,
                requester_name,
                deadline,
                threshold,
                seed,
                stamp,
            ],
        )
        request_id = int(cursor.lastrowid or 0)
        self.conn.executemany(
            "INSERT INTO feedback_peers (request_id, peer, name, status, ratings, examples,"
            " keep, develop, asked_at, tz_offset)"
            " VALUES (?, ?, ?, 'asked', '{}', '{}', '', '', ?, ?)",
            [(request_id, p.identity, p.name, stamp, p.tz_offset) for p in peers],
        )
        return request_id

    def request(self, request_id: int) -> dict[str, Any] | None:
        if not 0 < request_id < 2**63:
            return None
        row = self.conn.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM feedback_requests WHERE id = ?", [request_id]
        ).fetchone()
        return _request(row) if row else None

    def requests_of(self, requester: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM feedback_requests WHERE requester = ?"
            " ORDER BY id DESC",
            [requester],
        ).fetchall()
        return [_request(row) for row in rows]

    def requests_managed_by(self, manager: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            f"SELECT {_REQUEST_COLUMNS} FROM feedback_requests WHERE manager = ? ORDER BY id DESC",
            [manager],
        ).fetchall()
        return [_request(row) for row in rows]

    def peers(self, request_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            f"SELECT {_PEER_COLUMNS} FROM feedback_peers WHERE request_id = ? ORDER BY rowid",
            [request_id],
        ).fetchall()
        return [_peer(row) for row in rows]

    def peer(self, request_id: int, peer: str) -> dict[str, Any] | None:
        if not 0 < request_id < 2**63:
            return None
        row = self.conn.execute(
            f"SELECT {_PEER_COLUMNS} FROM feedback_peers WHERE request_id = ? AND peer = ?",
            [request_id, peer],
        ).fetchone()
        return _peer(row) if row else None

    def asked_of(self, peer: str) -> list[dict[str, Any]]:
        """The requests `peer` was asked to answer, newest first, with their own row."""
        rows = self.conn.execute(
            f"SELECT {_PEER_COLUMNS} FROM feedback_peers WHERE peer = ? ORDER BY request_id DESC",
            [peer],
        ).fetchall()
        return [_peer(row) for row in rows]

    def save_answer(
        self,
        request_id: int,
        peer: str,
        *,
        ratings: dict[str, int],
        examples: dict[str, str],
        keep: str,
        develop: str,
        consent: bool = False,
    ) -> None:
        """A peer's whole answer, replacing any before; `consent`: whether their examples
        may be shown to the requester, unnamed, as material for their STAR examples."""
        self.conn.execute(
            "UPDATE feedback_peers SET status = 'answered', ratings = ?, examples = ?,"
            " keep = ?, develop = ?, answered_at = ?, consent = ?"
            " WHERE request_id = ? AND peer = ?",
            [
                json.dumps(ratings),
                json.dumps(examples),
                keep,
                develop,
                self.stamp(),
                int(consent),
                request_id,
                peer,
            ],
        )
        self.drop_reminder(request_id, peer)

    def set_consent(self, request_id: int, peer: str, consent: bool) -> None:
        """Give or withdraw a peer's consent (while the request is open: the caller's check)."""
        self.conn.execute(
            "UPDATE feedback_peers SET consent = ? WHERE request_id = ? AND peer = ?",
            [int(consent), request_id, peer],
        )

    def drop_reminder(self, request_id: int, peer: str) -> None:
        """A reminder not sent yet (held for working hours) is not needed any more."""
        self.outbox.drop(f"remind-{request_id}-{peer}")

    def set_peer_status(self, request_id: int, peer: str, status: str) -> None:
        self.conn.execute(
            "UPDATE feedback_peers SET status = ? WHERE request_id = ? AND peer = ?",
            [status, request_id, peer],
        )
        if status != "asked":
            self.drop_reminder(request_id, peer)

    def mark_reminded(self, request_id: int, peer: str) -> None:
        self.conn.execute(
            "UPDATE feedback_peers SET reminded_at = ? WHERE request_id = ? AND peer = ?",
            [self.stamp(), request_id, peer],
        )

    def close(self, request_id: int) -> bool:
        """Close an open request; False when it was closed already."""
        cursor = self.conn.execute(
            "UPDATE feedback_requests SET status = 'closed', closed_at = ?"
            " WHERE id = ? AND status = 'open'",
            [self.stamp(), request_id],
        )
        return cursor.rowcount == 1

    def purged_history(self, requester: str) -> list[tuple[str, str]]:
        """(closed at, what it showed as JSON) of the requester's purged reports."""
        rows = self.conn.execute(
            "SELECT closed_at, shown FROM feedback_history WHERE requester = ?"
            " ORDER BY closed_at, request_id",
            [requester],
        ).fetchall()
        return [(str(row[0]), str(row[1])) for row in rows]

    def keep_history(self, request_id: int, requester: str, closed_at: str, shown: str) -> None:
        """Keep who was behind what a report showed, as its request is purged."""
        self.conn.execute(
            "INSERT OR REPLACE INTO feedback_history (request_id, requester, closed_at, shown)"
            " VALUES (?, ?, ?, ?)",
            [request_id, requester, closed_at, shown],
        )

    # ---- messages and reminders: the flows' way in to bot.outbox and bot.schedule --------

    def queue(
        self, user: str, key: str, replies: str, *, request_id: int | None = None, due: str = ""
    ) -> bool:
        """Queue a direct message (see bot.outbox.Outbox.queue)."""
        return self.outbox.queue(user, key, replies, request_id=request_id, due=due)

    def schedule(self, kind: str, reference: int, due: str) -> None:
        """Schedule work (see bot.schedule.Schedule.add)."""
        self.tasks.add(kind, reference, due)

    def delivery(self, request_id: int) -> tuple[int, int]:
        """(asks delivered, asks queued) for a request (see bot.outbox.Outbox.delivery)."""
        return self.outbox.delivery(request_id)

    def ever_unreachable(self, request_id: int) -> int:
        """How many of a request's peers could not be reached at some point: the notes
        the requester was sent, one for each (kept whatever the peer did since)."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE key LIKE ?",
            [f"unreachable-{request_id}-%"],
        ).fetchone()
        return int(row[0])
