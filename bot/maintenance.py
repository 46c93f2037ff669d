"""Looking after the database: a consistent backup taken while the server runs, and
purging what is no longer to be kept (closed 360 requests after a retention period, and a
person's data on request).

The command line (adapters/cli.py) parses the options and prints; the work is here.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.clock import iso
from bot.feedback.report import Earlier, earlier_from_json, earlier_to_json
from bot.storage import FeedbackStore, Store, is_busy

# The backup copies this many pages (4 KiB each by default) at a time, and pauses between
# steps, so that a running server's own reads and writes are not starved.
BACKUP_PAGES = 256
BACKUP_PAUSE = 0.005
# Each write by another connection restarts a stepped backup. After this long without
# finishing, the rest is copied in one step: in WAL mode that is one read snapshot, which
# never blocks the server's writes.
BACKUP_STEPPING = 10.0
# How long the backup waits, in all, for a database another connection keeps locked
# (only a database not in WAL mode can lock readers out).
BACKUP_WAIT = 30.0


class MaintenanceError(Exception):
    """What was asked cannot be done, and why (for the person who asked)."""


class Locked(MaintenanceError):
    """Another process kept the database locked: nothing was done; trying again later
    may succeed."""

    def __init__(self) -> None:
        super().__init__("another process kept the database locked: nothing was deleted; try again")


class DamagedCopy(MaintenanceError):
    """The copy failed its integrity check (and was removed): the database itself may be
    damaged; `PRAGMA integrity_check` on it says."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int  # bytes
    pages: int
    seconds: float


def _companions(path: Path) -> set[Path]:
    """The database and the files SQLite keeps beside it."""
    return {path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))}


def _check_backup_paths(database: Path, target: Path, *, force: bool) -> None:
    if not database.is_file():
        raise MaintenanceError(f"there is no database at {database}")
    same = target.exists() and target.samefile(database)
    if same or target.resolve() in {p.resolve() for p in _companions(database)}:
        raise MaintenanceError(f"{target} is the database itself: name another file")
    if target.is_dir():
        raise MaintenanceError(f"{target} is a directory: name a file in it")
    if target.exists() and not force:
        raise MaintenanceError(f"{target} exists: name a new file, or give --force to replace it")
    if target.exists() and not target.is_file():
        raise MaintenanceError(f"{target} is not a regular file")
    if not target.parent.is_dir():
        raise MaintenanceError(f"there is no directory {target.parent}")


def backup(
    database: Path,
    target: Path,
    *,
    force: bool = False,
    pages: int = BACKUP_PAGES,
    pause: float = BACKUP_PAUSE,
    stepping: float = BACKUP_STEPPING,
    wait: float = BACKUP_WAIT,
) -> Backup:
    """Copy `database` to `target` with SQLite's online backup, while other processes may
    be writing to it: the copy is one committed state of the database. It is written to a
    temporary file beside `target` (readable by its owner only: it holds people's
    answers), checked, and only then renamed into place. `MaintenanceError` says why
    when the paths cannot be used, the database stays locked or the copy is damaged."""
    _check_backup_paths(database, target, force=force)
    started = time.monotonic()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise MaintenanceError(f"cannot write in {target.parent}: {exc.strerror}") from exc
    try:
        copied = _copy(database, temporary, pages=pages, pause=pause, stepping=stepping, wait=wait)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        for path in _companions(temporary):
            path.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)
    return Backup(target, target.stat().st_size, copied, time.monotonic() - started)


def _copy(
    database: Path, temporary: Path, *, pages: int, pause: float, stepping: float, wait: float
) -> int:
    """Back `database` up into `temporary` and check the copy; how many pages it has."""
    try:
        # each step waits up to a second for a lock; `progress` bounds the whole wait
        source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error as exc:
        raise MaintenanceError(f"cannot open the database {database}: {exc}") from exc
    copy = sqlite3.connect(temporary)
    try:
        _backup_steps(source, copy, pages=pages, pause=pause, stepping=stepping, wait=wait)
        check = copy.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            raise DamagedCopy(f"the copy failed its integrity check: {check[0][0]}")
        # a copy made by itself, with no -wal beside it to go astray
        copy.execute("PRAGMA journal_mode=delete")
        return int(copy.execute("PRAGMA page_count").fetchone()[0])
    finally:
        copy.close()
        source.close()


class _Restart(Exception):
    """Stepping took too long (other writes kept restarting it): copy the rest at once."""


def _backup_steps(
    source: sqlite3.Connection,
    copy: sqlite3.Connection,
    *,
    pages: int,
    pause: float,
    stepping: float,
    wait: float,
) -> None:
    started = time.monotonic()
    busy_since: list[float] = []

    def progress(status: int, remaining: int, total: int) -> None:
        now = time.monotonic()
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            busy_since[:] = busy_since or [now]
            if now - busy_since[0] > wait:
                raise MaintenanceError(
                    f"the database stayed locked by another process for {wait:g} s: try again later"
                )
            return
        busy_since.clear()
        if remaining and now - started > stepping:
            raise _Restart
        if remaining:
            time.sleep(pause)

    try:
        try:
            source.backup(copy, pages=pages, progress=progress, sleep=0.05)
        except _Restart:
            source.backup(copy, pages=-1, progress=progress, sleep=0.05)
    except sqlite3.DatabaseError as exc:
        raise MaintenanceError(f"cannot back up the database: {exc}") from exc


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (where the system allows opening a directory)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with suppress(OSError):  # some file systems cannot sync a directory: nothing lost
            os.fsync(handle)
    finally:
        os.close(handle)


# ---- purge ---------------------------------------------------------------------------

# A person as the bot stores them: platform, workspace or tenant, and the platform's own
# id (a Teams id may hold colons), e.g. slack:T123:U456 or console:local:ann.
_IDENTITY = re.compile(r"(slack|teams|console):[^:\s]+:\S+")
_PLATFORMS = "slack:TEAM:USER, teams:TENANT:OBJECT-ID or console:local:NAME"
MAX_RETENTION_DAYS = 36_500


def check_person(identity: str) -> str:
    """`identity` when it has the shape of the bot's user ids; else MaintenanceError."""
    if len(identity) > 300 or not _IDENTITY.fullmatch(identity) or not identity.isprintable():
        shown = ascii(identity[:80])
        raise MaintenanceError(f"{shown} is not a user id as the bot stores them ({_PLATFORMS})")
    return identity


@dataclass
class Purged:
    """What a purge deleted (or, in a dry run, would delete), changed and kept, by kind,
    in the order they are printed."""

    deleted: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    compacted: bool = True  # with `vacuum`: False when another process kept the lock

    def count(self, into: dict[str, int], kind: str, rows: int) -> None:
        into[kind] = into.get(kind, 0) + max(rows, 0)


# What is kept, and why: printed by the command beside the counts.
KEPT_WHY = {
    "expectations and their record": "the record of performance expectations (what was set,"
    " when it was communicated and acknowledged) is append-only by design: the database"
    " refuses any change to it, so that nobody is held to an expectation that was never"
    " communicated and no record of one can be rewritten",
    "manager confirmations": "who confirmed or refused someone as their manager decides"
    " whose expectations count: append-only, like the record",
    "who answered earlier 360s": "the identities behind what each purged 360 report showed"
    " (no answers): the requester's later reports are still compared with it, so that no"
    " two reports single anyone out",
}


def purge(
    store: Store,
    *,
    closed_before: int | None = None,
    person: str | None = None,
    history: Callable[[str], list[Earlier]],
    dry_run: bool = False,
    vacuum: bool = False,
) -> Purged:
    """Delete, in one transaction, 360 requests closed more than `closed_before` days
    ago (by the store's clock) with everything hanging off them, and everything stored
    about `person` (see docs/operating.md for what exactly, and what is kept). `history`
    is the 360 flow's (bot.feedback.results): what each report showed. A dry run counts
    the same and rolls back. Deleted rows are overwritten (secure_delete); `vacuum`
    also gives the space back to the file system."""
    if person is not None:
        check_person(person)
    if closed_before is not None and not 0 <= closed_before <= MAX_RETENTION_DAYS:
        raise MaintenanceError(f"--closed-before is 0 to {MAX_RETENTION_DAYS} days")
    purged = Purged()
    conn = store.conn
    conn.execute("PRAGMA secure_delete = ON")
    try:
        conn.execute("BEGIN IMMEDIATE")  # waits as long as the store waits for a lock
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        raise Locked() from exc
    try:
        if closed_before is not None:
            cutoff = iso(store.now() - timedelta(days=closed_before))
            old = [
                int(row[0])
                for row in conn.execute(
                    "SELECT id FROM feedback_requests WHERE status = 'closed' AND closed_at < ?",
                    [cutoff],
                )
            ]
            _keep_what_was_shown(store, old, history)
            _delete_requests(conn, old, purged)
        if person is not None:
            _erase(conn, person, purged)
        purged.count(purged.kept, "who answered earlier 360s", _rows(conn, "feedback_history"))
    except BaseException:
        conn.rollback()
        raise
    if dry_run:
        conn.rollback()
        return purged
    conn.commit()
    # the deleted pages were zeroed; the WAL's older copies of them go at a checkpoint
    # (a partial one while a server reads: the rest at its own next checkpoint)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    if vacuum:
        try:
            conn.execute("VACUUM")
        except sqlite3.OperationalError as exc:  # the purge itself is done: said so
            if not is_busy(exc):
                raise
            purged.compacted = False
    return purged


def _rows(conn: sqlite3.Connection, table: str, where: str = "1", args: Sequence[Any] = ()) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", args).fetchone()[0])


def _keep_what_was_shown(
    store: Store, request_ids: list[int], history: Callable[[str], list[Earlier]]
) -> None:
    """Before closed requests go, keep who was behind what their reports showed."""
    feedback = FeedbackStore(store)
    requests = [r for r in map(feedback.request, request_ids) if r is not None]
    for requester in sorted({r["requester"] for r in requests}):
        shown = {e.request_id: e for e in history(requester)}
        for r in requests:
            if r["requester"] == requester and r["id"] in shown:
                feedback.keep_history(
                    r["id"], requester, r["closed_at"] or "", earlier_to_json(shown[r["id"]])
                )


def _delete_requests(conn: sqlite3.Connection, request_ids: list[int], purged: Purged) -> None:
    """360 requests with their peers and answers, their direct messages (asks,
    reminders, reports, a peer who could not be reached) and their schedule."""
    peers = outbox = tasks = 0
    for number in request_ids:
        peers += conn.execute("DELETE FROM feedback_peers WHERE request_id = ?", [number]).rowcount
        outbox += conn.execute(
            "DELETE FROM outbox WHERE request_id = ? OR (request_id IS NULL AND key LIKE ?)",
            [number, f"unreachable-{number}-%"],
        ).rowcount
        tasks += conn.execute(
            "DELETE FROM schedule WHERE kind IN ('remind', 'close') AND request_id = ?", [number]
        ).rowcount
        conn.execute("DELETE FROM feedback_requests WHERE id = ?", [number])
    purged.count(purged.deleted, "360 requests", len(request_ids))
    purged.count(purged.deleted, "360 peers asked, with their answers", peers)
    purged.count(purged.deleted, "direct messages", outbox)
    purged.count(purged.deleted, "scheduled reminders, closings and check-ins", tasks)


def _erase(conn: sqlite3.Connection, person: str, purged: Purged) -> None:
    """Everything stored about `person`, but the record of expectations."""
    deleted = purged.deleted

    def delete(kind: str, sql: str, *args: Any) -> None:
        purged.count(deleted, kind, conn.execute(sql, [person, *args]).rowcount)

    # their own 360 requests, whole, and what their purged reports showed
    own = [
        int(row[0])
        for row in conn.execute("SELECT id FROM feedback_requests WHERE requester = ?", [person])
    ]
    _delete_requests(conn, own, purged)
    conn.execute("DELETE FROM feedback_history WHERE requester = ?", [person])
    # their answers to others' 360s: see _deidentify
    _deidentify(conn, person, purged)
    purged.count(
        purged.changed,
        "others' 360 requests they were manager of: manager removed",
        conn.execute(
            "UPDATE feedback_requests SET manager = NULL, manager_name = NULL WHERE manager = ?",
            [person],
        ).rowcount,
    )
    # their development plan, whole; their part in others' plans
    plans = [int(r[0]) for r in conn.execute("SELECT id FROM plans WHERE owner = ?", [person])]
    checkins = [
        int(r[0])
        for number in plans
        for r in conn.execute("SELECT id FROM plan_checkins WHERE plan_id = ?", [number])
    ]
    for checkin in checkins:
        purged.count(
            deleted,
            "scheduled reminders, closings and check-ins",
            conn.execute(
                "DELETE FROM schedule WHERE kind = 'checkin' AND request_id = ?", [checkin]
            ).rowcount,
        )
        purged.count(
            deleted,
            "direct messages",
            conn.execute(
                "DELETE FROM outbox WHERE key IN (?, ?)",
                [f"checkin-{checkin}", f"checkin-{checkin}-summary"],
            ).rowcount,
        )
    for table, kind in (
        ("plan_items", "plan items"),
        ("plan_checkins", "plan check-ins"),
        ("plan_notes", "plan notes (progress, status, comments)"),
    ):
        for number in plans:
            purged.count(
                deleted,
                kind,
                conn.execute(f"DELETE FROM {table} WHERE plan_id = ?", [number]).rowcount,
            )
    delete("development plans", "DELETE FROM plans WHERE owner = ?")
    delete("plan notes (progress, status, comments)", "DELETE FROM plan_notes WHERE author = ?")
    purged.count(
        purged.changed,
        "others' plans they mentored: mentor removed",
        conn.execute(
            "UPDATE plans SET mentor = NULL, mentor_name = NULL WHERE mentor = ?", [person]
        ).rowcount,
    )
    # what they keep in the bot, and where the platforms reach them
    delete("STAR drafts", "DELETE FROM star_drafts WHERE owner = ?")
    delete("conversation states", "DELETE FROM conversations WHERE user = ?")
    delete("latest clicks and form submissions", "DELETE FROM submissions WHERE user = ?")
    delete("Teams conversation references", "DELETE FROM teams_references WHERE user = ?")
    delete("names and time zones", "DELETE FROM people WHERE identity = ?")
    delete("direct messages", "DELETE FROM outbox WHERE user = ?")
    purged.count(
        purged.kept,
        "expectations and their record",
        _rows(conn, "expectations", "manager = ? OR employee = ?", [person, person]),
    )
    purged.count(
        purged.kept,
        "manager confirmations",
        _rows(conn, "manager_events", "manager = ? OR employee = ?", [person, person]),
    )


def _deidentify(conn: sqlite3.Connection, person: str, purged: Purged) -> None:
    """The person's answers to other people's 360 requests. In a request still open,
    nothing of the answers has been shown: their row goes, answer and all. In a closed
    one the report has been sent: taking their answer out would change it, and the
    difference between the two reports would be exactly their answer, so it stays,
    with their identity and name replaced by a stand-in (one per requester, so the
    requester's reports are still compared as before, and nothing links them across
    requesters). Their consent to their examples being offered to the requester as
    material (bot/star/bank.py) is left as it was: the words are in the report the
    requester holds anyway, and withdrawing only theirs would shrink the material by
    exactly their examples, naming which quotes were theirs."""
    purged.count(
        purged.deleted,
        "their answers to others' open 360 requests",
        conn.execute(
            "DELETE FROM feedback_peers WHERE peer = ? AND request_id IN"
            " (SELECT id FROM feedback_requests WHERE status = 'open')",
            [person],
        ).rowcount,
    )
    requesters = [
        str(row[0])
        for row in conn.execute(
            "SELECT DISTINCT r.requester FROM feedback_peers p JOIN feedback_requests r"
            " ON r.id = p.request_id WHERE p.peer = ?",
            [person],
        )
    ]
    kept = {str(row[0]) for row in conn.execute("SELECT requester FROM feedback_history")}
    for requester in sorted({*requesters, *kept}):
        stand_in = f"erased:-:{secrets.token_hex(8)}"
        purged.count(
            purged.changed,
            "their places in others' closed 360 requests (answers kept): de-identified",
            conn.execute(
                "UPDATE feedback_peers SET peer = ?, name = '' WHERE peer = ?"
                " AND request_id IN (SELECT id FROM feedback_requests WHERE requester = ?)",
                [stand_in, person, requester],
            ).rowcount,
        )
        for number, shown in conn.execute(
            "SELECT request_id, shown FROM feedback_history WHERE requester = ?", [requester]
        ).fetchall():
            earlier = earlier_from_json(shown)
            again = replace(
                earlier,
                answered=_renamed(earlier.answered, person, stand_in),
                behind={b: _renamed(w, person, stand_in) for b, w in earlier.behind.items()},
                rated={b: _renamed(w, person, stand_in) for b, w in earlier.rated.items()},
            )
            conn.execute(
                "UPDATE feedback_history SET shown = ? WHERE request_id = ?",
                [earlier_to_json(again), number],
            )


def _renamed(who: frozenset[str] | None, person: str, stand_in: str) -> Any:
    """`who` with `person` replaced by `stand_in` (None stays None)."""
    if who is None:
        return None
    return frozenset(stand_in if one == person else one for one in who)
