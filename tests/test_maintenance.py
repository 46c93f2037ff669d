"""`behaviourbot backup` and `behaviourbot purge` (bot/maintenance.py), through the
command line where its output and exit codes matter, and on the real database."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest

from adapters.cli import main
from bot.clock import FixedClock
from bot.maintenance import MaintenanceError, backup
from bot.storage import Store

# ---- backup ------------------------------------------------------------------------


def _ledger(db: Path) -> None:
    """A table where each transaction writes five rows and the running total together."""
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE ledger (tx INTEGER, n INTEGER, pad BLOB);"
        "CREATE TABLE total (committed INTEGER); INSERT INTO total VALUES (0);"
    )
    conn.close()


def test_a_backup_taken_during_writes_restores_to_one_committed_state(
    tmp_path: Path, clock: FixedClock
) -> None:
    db = tmp_path / "bot.db"
    store = Store.open(db, clock)
    migrations = store.applied_migrations()
    _ledger(db)
    committed = [0]
    stop = threading.Event()

    def write() -> None:  # another connection, as a running server is
        conn = sqlite3.connect(db, timeout=10, isolation_level=None)
        while not stop.is_set():
            tx = committed[0] + 1
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO ledger VALUES (?, ?, randomblob(2000))", [(tx, n) for n in range(5)]
            )
            conn.execute("UPDATE total SET committed = ?", [tx])
            conn.execute("COMMIT")
            committed[0] = tx
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while committed[0] < 100:  # a database of a few hundred pages
            time.sleep(0.01)
        before = committed[0]
        done = backup(db, tmp_path / "copy.db", pages=4, pause=0.001, stepping=1.0)
        after = committed[0]
    finally:
        stop.set()
        writer.join()
    store.close()
    assert after > before, "the writes went on while the backup ran"
    assert done.pages > 100

    restored = tmp_path / "restored" / "bot.db"
    restored.parent.mkdir()
    shutil.copy(done.path, restored)
    again = Store.open(restored, clock)
    try:
        assert again.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert again.applied_migrations() == migrations
        rows = dict(again.conn.execute("SELECT tx, COUNT(*) FROM ledger GROUP BY tx").fetchall())
        total = again.conn.execute("SELECT committed FROM total").fetchone()[0]
    finally:
        again.close()
    # every transaction wholly there or wholly absent, with no gap, and the total written
    # with them: one committed state, from while the backup ran
    assert set(rows.values()) == {5}
    assert sorted(rows) == list(range(1, total + 1))
    # `committed` is set just after each commit: the last one may be a step ahead
    assert before <= total <= after + 1


def test_a_write_lock_held_by_a_server_does_not_stop_the_backup(
    tmp_path: Path, clock: FixedClock
) -> None:
    db = tmp_path / "bot.db"
    Store.open(db, clock).close()
    _ledger(db)
    server = sqlite3.connect(db, isolation_level=None)
    server.execute("BEGIN IMMEDIATE")  # as `serve` holds it while it handles an event
    server.execute("INSERT INTO ledger VALUES (1, 0, NULL)")
    try:
        done = backup(db, tmp_path / "copy.db", wait=2.0)
    finally:
        server.execute("ROLLBACK")
        server.close()
    copy = sqlite3.connect(done.path)
    assert copy.execute("SELECT COUNT(*) FROM ledger").fetchone() == (0,)  # never uncommitted
    copy.close()


def _locked_rollback_database(path: Path) -> sqlite3.Connection:
    """A database not in WAL mode (an older file, or one made by another tool), with
    another connection holding its exclusive lock: readers must wait."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("CREATE TABLE ledger (tx INTEGER)")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("INSERT INTO ledger VALUES (1)")
    return conn


def test_a_locked_database_is_waited_for_then_backed_up(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    holder = _locked_rollback_database(db)
    threading.Timer(0.5, lambda: holder.execute("COMMIT")).start()
    done = backup(db, tmp_path / "copy.db", wait=10.0)
    holder.close()
    copy = sqlite3.connect(done.path)
    assert copy.execute("SELECT tx FROM ledger").fetchall() == [(1,)]
    copy.close()


def test_a_database_locked_for_too_long_is_reported_and_leaves_nothing(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    holder = _locked_rollback_database(db)
    try:
        with pytest.raises(MaintenanceError, match="stayed locked"):
            backup(db, tmp_path / "copy.db", wait=0.2)
    finally:
        holder.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.db"]


@pytest.fixture
def database(tmp_path: Path, clock: FixedClock) -> Path:
    db = tmp_path / "data" / "bot.db"
    store = Store.open(db, clock)
    with store.transaction():
        store.create_draft("console:local:ann", framework="f", behaviour="b", level="1", parts={})
    store.close()
    return db


def test_the_backup_command_writes_a_private_checked_copy(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "backup.db"
    assert main(["backup", str(target), "--db", str(database)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"backed up {database} to {target}: ")
    assert " pages, in " in out and out.count("\n") == 1
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.db", "data"]  # no leftovers
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT owner FROM star_drafts").fetchall() == [("console:local:ann",)]
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()


def test_the_backup_command_reads_behaviourbot_db(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEHAVIOURBOT_DB", str(database))
    assert main(["backup", str(tmp_path / "b.db")]) == 0
    assert (tmp_path / "b.db").is_file()


def test_an_existing_file_is_kept_unless_forced(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "backup.db"
    target.write_text("yesterday's")
    assert main(["backup", str(target), "--db", str(database)]) == 2
    assert "exists: name a new file, or give --force" in capsys.readouterr().err
    assert target.read_text() == "yesterday's"
    assert main(["backup", str(target), "--db", str(database), "--force"]) == 0
    assert target.read_bytes().startswith(b"SQLite format 3\0")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("{db}", "is the database itself"),
        ("{db}-wal", "is the database itself"),
        ("{data}/../data/bot.db", "is the database itself"),
        ("{data}", "is a directory"),
        ("{tmp}/nowhere/b.db", "there is no directory"),
    ],
)
def test_bad_targets_are_refused(
    database: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    target: str,
    reason: str,
) -> None:
    before = database.read_bytes()
    named = target.format(db=database, data=database.parent, tmp=tmp_path)
    assert main(["backup", named, "--db", str(database), "--force"]) == 2
    assert reason in capsys.readouterr().err
    assert database.read_bytes() == before


def test_a_missing_or_foreign_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "b.db"), "--db", str(tmp_path / "none.db")]) == 2
    assert "there is no database at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()  # never created by a backup
    text = tmp_path / "notes.txt"
    text.write_text("not a database, but long enough to be read as one " * 20)
    assert main(["backup", str(tmp_path / "b.db"), "--db", str(text)]) == 2
    assert "cannot back up the database" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
