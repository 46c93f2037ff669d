"""The outbox: direct messages to people (360 asks, reminders, reports, check-ins,
expectations), each queued in the same transaction as the change that causes it and
delivered afterwards by the web process (or the terminal), once.

The queue's policy is here and nowhere else:
- a message taken for delivery is leased (`DELIVERY_LEASE`): another process leaves it
  be, and it comes back only if this one stops before reporting;
- a passing failure is tried again after a growing pause (`RETRY_PAUSE`, doubling), and
  given up on at the `MAX_ATTEMPTS`th, when whoever waits on it is told;
- a slow-down asked for by the platform (Slack's 429) is not a failure;
- a delivery that may have arrived unreported (a timeout, a broken connection, a process
  that stopped) is marked `unsure`, so that the adapter looks for it before sending again.

Flows queue with `queue(user, key, replies)`; the key makes a message once only. What a
delivery or a give-up means to a flow is registered with `when_sent` and `when_given_up`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.types import Outgoing, replies_from_json

if TYPE_CHECKING:  # the store opens the outbox and the schedule for the flows
    from bot.storage import Store

log = logging.getLogger("behaviourbot")

# A direct message taken for delivery is not taken again for this long (by this or
# another process), unless its sending is reported first.
DELIVERY_LEASE = timedelta(minutes=2)
# Passing failures: tried again after 30 s, 1 min, 2 min, … and given up on the eighth.
RETRY_PAUSE = timedelta(seconds=30)
MAX_ATTEMPTS = 8

Sent = Callable[[Outgoing], None]
GivenUp = Callable[[Outgoing, str], None]


class Outbox:
    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn
        self._sent: list[Sent] = []
        self._given_up: list[GivenUp] = []

    def when_sent(self, then: Sent) -> None:
        """Call `then(message)` inside the transaction that records a delivery."""
        self._sent.append(then)

    def when_given_up(self, then: GivenUp) -> None:
        """Call `then(message, reason)` inside the transaction that gives one up."""
        self._given_up.append(then)

    # ---- the queue (inside the caller's transaction) ----------------------------------

    def queue(
        self, user: str, key: str, replies: str, *, request_id: int | None = None, due: str = ""
    ) -> bool:
        """Queue a direct message (`replies` as bot.types.replies_to_json), due at once or
        at `due`; False when one with this key was queued before."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO outbox (user, key, replies, request_id, due_at, attempts)"
            " VALUES (?, ?, ?, ?, ?, 0)",
            [user, key, replies, request_id, due or self.store.stamp()],
        )
        return cursor.rowcount == 1

    def drop(self, key: str) -> None:
        """A message not sent yet (held for working hours) is not needed any more."""
        self.conn.execute("DELETE FROM outbox WHERE key = ? AND sent_at IS NULL", [key])

    def delivery(self, request_id: int) -> tuple[int, int]:
        """(asks delivered, asks queued) for a 360 request: its delivery progress. Only
        the asks: reminders go only to those who have not answered (and are dropped when
        they do), so counting them would count the answers."""
        row = self.conn.execute(
            "SELECT COUNT(sent_at), COUNT(*) FROM outbox WHERE request_id = ? AND key LIKE 'ask-%'",
            [request_id],
        ).fetchone()
        return int(row[0]), int(row[1])

    def waiting(self) -> dict[str, tuple[int, float]]:
        """Direct messages due and not delivered, by platform (a user's first part:
        "slack", "teams"): how many, and how long the oldest has waited, in seconds,
        since it fell due or, once tried, since its first attempt (a retry or a lease
        moves its due time on). One held for later (working hours) is not waiting."""
        now = self.store.now()
        rows = self.conn.execute(
            "SELECT substr(user, 1, instr(user, ':') - 1), COUNT(*),"
            " MIN(COALESCE(first_tried_at, due_at)) FROM outbox"
            " WHERE sent_at IS NULL AND failed IS NULL"
            " AND COALESCE(first_tried_at, due_at) <= ? GROUP BY 1",
            [now.isoformat(timespec="seconds")],
        ).fetchall()
        ages = {str(p): (now - datetime.fromisoformat(o)).total_seconds() for p, _, o in rows}
        return {str(p): (int(count), max(0.0, ages[str(p)])) for p, count, _ in rows}

    def _due(self, *, prefix: str, at: str, limit: int, user: str | None) -> list[tuple[Any, ...]]:
        """(id, user, replies, request id, attempts, key, since) of messages due for users
        whose identity starts with `prefix` (a platform), oldest first; `since` is when
        the first attempt began, when one may have arrived (else None)."""
        sql = (
            "SELECT id, user, replies, request_id, attempts, key, CASE WHEN unsure"
            " OR sending_since IS NOT NULL THEN first_tried_at END FROM outbox"
            " WHERE sent_at IS NULL"
            " AND failed IS NULL AND due_at <= ? AND user LIKE ? ESCAPE '\\'"
        )
        args: list[Any] = [at, prefix.replace("%", "\\%").replace("_", "\\_") + "%"]
        if user is not None:
            sql += " AND user = ?"
            args.append(user)
        return self.conn.execute(sql + " ORDER BY due_at, id LIMIT ?", [*args, limit]).fetchall()

    # ---- delivery: each takes its own transaction ---------------------------------------

    def take(self, prefix: str, *, user: str | None = None, limit: int = 100) -> list[Outgoing]:
        """Direct messages due for users of one platform (`prefix`, e.g. "slack:"), or
        for one user, oldest first, taken for delivery. The caller reports each one's
        fate: `sent`, `send_later`, `try_again` or `undeliverable`."""
        now = self.store.now()
        due = {"prefix": prefix, "at": now.isoformat(timespec="seconds"), "user": user}
        if not self._due(**due, limit=1):
            return []  # the usual case, every few seconds: no write lock taken
        with self.store.transaction():  # read again under the lock, then take them
            rows = self._due(**due, limit=limit)
            until = (now + DELIVERY_LEASE).isoformat(timespec="seconds")
            ids = [row[0] for row in rows]
            self.conn.executemany(
                "UPDATE outbox SET due_at = ? WHERE id = ?", [(until, i) for i in ids]
            )
            # the attempt begins, on the record before anything is sent: one never
            # reported (the process stopped) may have arrived
            stamp = self.store.stamp()
            self.conn.executemany(
                "UPDATE outbox SET unsure = COALESCE(unsure, 0) OR sending_since IS NOT NULL,"
                " sending_since = ?, first_tried_at = COALESCE(first_tried_at, ?) WHERE id = ?",
                [(stamp, stamp, i) for i in ids],
            )
        return [
            Outgoing(int(i), str(u), replies_from_json(r), q, int(a), str(k), since)
            for i, u, r, q, a, k, since in rows
        ]

    def sent(self, message: Outgoing) -> None:
        with self.store.transaction():
            self.delivered(message)

    def delivered(self, message: Outgoing) -> None:
        """A direct message reached its person (inside the caller's transaction)."""
        self.conn.execute(
            "UPDATE outbox SET sent_at = ?, sending_since = NULL WHERE id = ?",
            [self.store.stamp(), message.id],
        )
        for then in self._sent:
            then(message)

    def send_later(
        self, message: Outgoing, seconds: float, *, failed: bool = False, unsure: bool = False
    ) -> None:
        """The platform asked to slow down (Slack's 429): again after `seconds`, not
        counted as a failure unless `failed` (see try_again); `unsure`: it may have
        arrived all the same."""
        due = self.store.now() + timedelta(seconds=max(1.0, seconds))
        with self.store.transaction():
            self.conn.execute(
                "UPDATE outbox SET due_at = ?, attempts = attempts + ?, sending_since = NULL,"
                " unsure = COALESCE(unsure, 0) OR ? WHERE id = ?",
                [due.isoformat(timespec="seconds"), int(failed), int(unsure), message.id],
            )

    def undeliverable(self, message: Outgoing, reason: str) -> None:
        """The person cannot be reached: never silently skipped, whoever waits is told."""
        with self.store.transaction():
            self.conn.execute(
                "UPDATE outbox SET failed = ?, attempts = attempts + 1, sending_since = NULL"
                " WHERE id = ?",
                [reason, message.id],
            )
            for then in self._given_up:
                then(message, reason)

    def try_again(self, message: Outgoing, reason: str, *, unsure: bool = False) -> None:
        """Sending failed for a passing reason (the platform had an error, the network
        was down): again after a growing pause, and given up after `MAX_ATTEMPTS`.
        `unsure`: it may have arrived all the same (a timeout, a broken connection), so
        it is looked for before it is sent again."""
        if message.attempts + 1 >= MAX_ATTEMPTS:
            self.undeliverable(message, reason)
            return
        log.warning("outbox: message %d not sent (%s); trying again later", message.id, reason)
        pause = RETRY_PAUSE.total_seconds() * 2**message.attempts
        self.send_later(message, pause, failed=True, unsure=unsure)
