"""Looking after the database: a consistent backup taken while the server runs, and
purging what is no longer to be kept (closed 360 requests after a retention period, and a
person's data on request).

The command line (adapters/cli.py) parses the options and prints; the work is here.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

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
