"""The schedule: work due at a time (360 reminders and closings, plan check-ins), kept in
SQLite rather than in timers in memory, so a restart loses none and two processes run
each once. Work is registered by kind (`handles`); `run_due` runs what is due, each task
in a savepoint of its own: one that fails is logged and left, never blocking the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import iso

if TYPE_CHECKING:  # the store opens the outbox and the schedule for the flows
    from bot.storage import Store

log = logging.getLogger("behaviourbot")

Task = Callable[[int, datetime], None]  # (what it is about: a request, a check-in; when)


class Schedule:
    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn
        self._kinds: dict[str, Task] = {}

    def handles(self, kind: str, task: Task) -> None:
        """Run `task(reference, at)` for each due task of `kind`."""
        self._kinds[kind] = task

    def add(self, kind: str, reference: int, due: str) -> None:
        """Schedule `kind` for `reference` at `due` (inside the caller's transaction);
        once only: the same kind for the same reference again is ignored."""
        self.conn.execute(
            "INSERT OR IGNORE INTO schedule (kind, request_id, due_at) VALUES (?, ?, ?)",
            [kind, reference, due],
        )

    def due(self, at: str, limit: int = 100) -> list[tuple[int, str, int]]:
        """(id, kind, reference) of the tasks due at `at` (an ISO time), oldest first."""
        rows = self.conn.execute(
            "SELECT id, kind, request_id FROM schedule WHERE done_at IS NULL AND due_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            [at, limit],
        ).fetchall()
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    def waiting(self, at: str) -> int:
        """How many tasks are due at `at` (an ISO time) and not run yet."""
        sql = "SELECT COUNT(*) FROM schedule WHERE done_at IS NULL AND due_at <= ?"
        return int(self.conn.execute(sql, [at]).fetchone()[0])

    def run_due(self, at: datetime | None = None) -> int:
        """Run the work that is due; how many tasks ran."""
        moment = at or self.store.now()
        if not self.due(iso(moment), 1):
            return 0  # nothing due (the usual case): no write lock taken
        ran = 0
        with self.store.transaction():
            for task_id, kind, reference in self.due(iso(moment), 100):
                done = self.conn.execute(
                    "UPDATE schedule SET done_at = ? WHERE id = ? AND done_at IS NULL",
                    [self.store.stamp(), task_id],
                )
                if done.rowcount != 1:
                    continue
                task = self._kinds.get(kind)
                if task is None:
                    log.warning("schedule: no work of kind %r is known", kind)
                    continue
                self.conn.execute("SAVEPOINT task")
                try:
                    task(reference, moment)
                except Exception:
                    self.conn.execute("ROLLBACK TO task")
                    log.exception("schedule: %s %d failed", kind, reference)
                self.conn.execute("RELEASE task")
                ran += 1
        return ran
