"""The tables of performance expectations, over the same connection and transactions as
`Store`.

Expectations are a record: `expectation_versions` and `expectation_events` take
inserts only (triggers refuse an UPDATE or DELETE), so a change is a new version and
every acknowledgement stays as it was made.
"""

from __future__ import annotations

from typing import Any

from bot.records import _dicts, _id_ok, _one
from bot.storage import Store
from bot.types import Person


class ExpectationStore:
    def __init__(self, store: Store):
        self.conn = store.conn
        self.stamp = store.stamp

    def create(self, *, manager: Person, employee: Person) -> int:
        cursor = self.conn.execute(
            "INSERT INTO expectations (manager, manager_name, employee, employee_name,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            [manager.identity, manager.name, employee.identity, employee.name, self.stamp()],
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
