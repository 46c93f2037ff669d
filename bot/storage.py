"""SQLite storage through sqlite-utils: recorded migrations, conversation state, and
the ids of events already handled (so a retried delivery is handled once).

State is JSON, never pickles. Each unit of work runs in one `BEGIN IMMEDIATE`
transaction, so two processes sharing the file never interleave half-done work.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

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


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, db: Database):
        self.db = db
        # The per-event statements go straight to sqlite3: sqlite-utils' execute wrapper
        # doubles the cost of a short statement (7 µs against 14 µs for a state write).
        self.conn = db.conn

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) the database at `path`, or ":memory:", and migrate it."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        db = Database(conn)
        if str(path) != ":memory:":
            with db.ensure_autocommit_on():
                db.execute("PRAGMA journal_mode=wal")
        # Under WAL, NORMAL keeps every commit atomic and durable across a crash of the
        # process; only an operating-system crash can lose the latest commits. It saves
        # an fsync per event (about 0.2 ms).
        db.execute("PRAGMA synchronous=NORMAL")
        store = cls(db)
        with store.transaction():
            MIGRATIONS.apply(db)
        return store

    def close(self) -> None:
        self.db.close()

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
            [event_id, now()],
        )
        return cursor.rowcount == 1

    def keep_replies(self, event_id: str, replies: str) -> None:
        """Keep `event_id`'s replies (JSON) until `settle` says they were delivered."""
        self.conn.execute(
            "UPDATE handled_events SET replies = ?, sending_since = ? WHERE event_id = ?",
            [replies, now(), event_id],
        )

    def replies_to_send_again(self, event_id: str, stale_after: timedelta) -> str | None:
        """The kept replies of a handled event when they are due again: the last attempt
        to deliver them failed, or it began `stale_after` ago and never ended (the process
        stopped). None when they were delivered, or an attempt is still under way."""
        row = self.conn.execute(
            "SELECT replies, sending_since FROM handled_events WHERE event_id = ?", [event_id]
        ).fetchone()
        if row is None or row[0] is None:
            return None
        stale = (datetime.now(UTC) - stale_after).isoformat(timespec="seconds")
        if row[1] is not None and row[1] >= stale:
            return None
        self.conn.execute(
            "UPDATE handled_events SET sending_since = ? WHERE event_id = ?", [now(), event_id]
        )
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
        cutoff = (datetime.now(UTC) - kept).isoformat(timespec="seconds")
        return self.db.execute("DELETE FROM handled_events WHERE handled_at < ?", [cutoff]).rowcount

    def state(self, user: str, conversation: str) -> dict[str, Any]:
        rows = self.conn.execute(
            "SELECT state FROM conversations WHERE user = ? AND conversation = ?",
            [user, conversation],
        ).fetchall()
        return json.loads(rows[0][0]) if rows else {}

    def save_state(self, user: str, conversation: str, state: dict[str, Any]) -> None:
        # Plain SQL: sqlite-utils' upsert inspects the table on every call (about 0.15 ms).
        self.conn.execute(
            "INSERT INTO conversations (user, conversation, state, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (user, conversation)"
            " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            [user, conversation, json.dumps(state, sort_keys=True), now()],
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
            [user, conversation, int(personal), teams_id, tenant, json.dumps(reference), now()],
        )

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
        stamp = now()
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
            [json.dumps(parts), target, now(), owner, number],
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
