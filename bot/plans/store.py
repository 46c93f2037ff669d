"""The tables of development plans: plans, their items, notes (progress, status changes,
comments) and check-ins, over the same connection and transactions as `Store`."""

from __future__ import annotations

from typing import Any

from bot.records import _dicts, _id_ok, _one
from bot.storage import Store
from bot.types import Person


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

    def create(self, owner: Person) -> dict[str, Any]:
        self.conn.execute(
            "INSERT OR IGNORE INTO plans (owner, owner_name, every_days, created_at)"
            " VALUES (?, ?, 0, ?)",
            [owner.identity, owner.name, self.stamp()],
        )
        plan = self.plan_of(owner.identity)
        assert plan is not None
        return plan

    def mentored_by(self, mentor: str) -> list[dict[str, Any]]:
        return _dicts(
            self.conn.execute("SELECT * FROM plans WHERE mentor = ? ORDER BY id", [mentor])
        )

    def set_mentor(self, plan_id: int, mentor: Person | None) -> None:
        self.conn.execute(
            "UPDATE plans SET mentor = ?, mentor_name = ? WHERE id = ?",
            [mentor.identity if mentor else None, mentor.name if mentor else None, plan_id],
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

    def own_progress(self, owner: str, framework: str, behaviour: str) -> list[str]:
        """What `owner` recorded themselves as progress (at check-ins, or `plan progress`)
        on the items of their own plan for `behaviour`, at any level, oldest first: never
        a note someone else wrote (a mentor's comments are theirs)."""
        rows = self.conn.execute(
            "SELECT n.text FROM plan_notes n JOIN plans p ON p.id = n.plan_id"
            " JOIN plan_items i ON i.plan_id = n.plan_id AND i.number = n.item"
            " WHERE p.owner = ? AND n.author = p.owner AND n.kind = 'progress'"
            " AND i.framework = ? AND i.behaviour = ? AND n.text != '' ORDER BY n.id",
            [owner, framework, behaviour],
        ).fetchall()
        return [str(row[0]) for row in rows]

    # ---- check-ins ------------------------------------------------------------------

    def add_checkin(self, plan_id: int, due: str, *, own: bool = False) -> int:
        """A check-in the schedule will ask on `due`, or (`own`) one the owner makes of
        their own accord, asked at once."""
        cursor = self.conn.execute(
            "INSERT INTO plan_checkins (plan_id, due_at, asked_at, own) VALUES (?, ?, ?, ?)",
            [plan_id, due, self.stamp() if own else None, 1 if own else None],
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

    def checkins_waiting(self, plan_id: int) -> list[dict[str, Any]]:
        """The check-ins the owner was asked and has not answered, oldest first."""
        return _dicts(
            self.conn.execute(
                "SELECT * FROM plan_checkins WHERE plan_id = ? AND asked_at IS NOT NULL"
                " AND answered_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id",
                [plan_id],
            )
        )

    def checkins_answered(self, plan_id: int) -> tuple[int, int]:
        """(answered, asked): of the check-ins the owner has been asked, how many they
        answered; for the plan's picture of its progress."""
        row = self.conn.execute(
            "SELECT COUNT(answered_at), COUNT(*) FROM plan_checkins WHERE plan_id = ?"
            " AND asked_at IS NOT NULL AND own IS NULL",
            [plan_id],
        ).fetchone()
        return int(row[0]), int(row[1])

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
