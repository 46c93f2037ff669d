"""`behaviourbot backup` and `behaviourbot purge` (bot/maintenance.py), through the
command line where its output and exit codes matter, and on the real database."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import main
from bot.clock import FixedClock, iso
from bot.expectations.store import ExpectationStore
from bot.feedback.report import Earlier
from bot.frameworks import Framework
from bot.maintenance import MaintenanceError, backup, purge
from bot.outbox import Outbox
from bot.plans.store import PlanStore
from bot.records import PeopleStore
from bot.router import Bot
from bot.storage import FeedbackStore, Store
from bot.types import Person

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


# ---- purge -------------------------------------------------------------------------

ANN = "slack:T1:UANN"  # the person who asks for her data to go
BOB, CAT, DAN, EVE, MEG = (f"slack:T1:U{n}" for n in ("BOB", "CAT", "DAN", "EVE", "MEG"))
BEHAVIOUR = "seeing-the-big-picture"
TABLES = (
    "feedback_requests",
    "feedback_peers",
    "feedback_history",
    "outbox",
    "schedule",
    "star_drafts",
    "conversations",
    "submissions",
    "teams_references",
    "people",
    "plans",
    "plan_items",
    "plan_checkins",
    "plan_notes",
    "expectations",
    "expectation_versions",
    "expectation_events",
    "manager_events",
)


def _request(
    store: Store,
    requester: str,
    peers: dict[str, int | None],
    *,
    closed: datetime | None,
    manager: str | None = None,
) -> int:
    """A 360 request with its asks, reminder and closing scheduled; the peers with a
    rating answered (None: asked, not answered); closed at `closed` with its reports."""
    feedback = FeedbackStore(store)
    with store.transaction():
        number = feedback.create_request(
            requester=requester,
            requester_name=requester[-3:],
            framework="civil-service",
            level="3",
            behaviours=[BEHAVIOUR],
            self_ratings={BEHAVIOUR: 3},
            manager=Person(manager, manager[-3:]) if manager else None,
            deadline=iso(store.now() + timedelta(days=14)),
            threshold=3,
            seed="s",
            peers=[Person(p, p[-3:]) for p in peers],
        )
        for peer, rating in peers.items():
            feedback.queue(peer, f"ask-{number}-{peer}", "[]", request_id=number)
            if rating is not None:
                feedback.save_answer(
                    number,
                    peer,
                    ratings={BEHAVIOUR: rating},
                    examples={BEHAVIOUR: f"{peer[-3:]} saw it"},
                    keep=f"keep {peer[-3:]}",
                    develop=f"develop {peer[-3:]}",
                    consent=True,  # their examples may be offered to the requester
                )
        feedback.queue(requester, f"unreachable-{number}-{EVE}", "[]")
        feedback.schedule("remind", number, iso(store.now() + timedelta(days=7)))
        feedback.schedule("close", number, iso(store.now() + timedelta(days=14)))
    if closed is not None:
        store.clock.set(closed)  # type: ignore[attr-defined]
        with store.transaction():
            feedback.close(number)
            for reader in filter(None, (requester, manager)):
                feedback.queue(reader, f"report-{number}-{reader}", "[]", request_id=number)
    return number


@pytest.fixture
def world(store: Store, clock: FixedClock) -> dict[str, int]:
    """Requests, plans, drafts, expectations and the rest, for ANN and the others."""
    now = clock.now()
    clock.set(now - timedelta(days=500))
    found = {
        # BOB's, answered by ANN, CAT and DAN, closed 400 days ago
        "bob_old": _request(
            store, BOB, {ANN: 2, CAT: 3, DAN: 3}, closed=now - timedelta(days=400), manager=MEG
        ),
        # ANN's own, closed 400 days ago
        "ann_old": _request(store, ANN, {BOB: 1, CAT: 2, DAN: 4}, closed=now - timedelta(days=400)),
        # BOB's again, with EVE too: compared with bob_old, EVE alone would be the difference
        "bob_new": _request(
            store,
            BOB,
            {ANN: 2, CAT: 3, DAN: 3, EVE: 4},
            closed=now - timedelta(days=364),
            manager=ANN,
        ),
        # CAT's, asked long ago and still open
        "cat_open": _request(store, CAT, {ANN: 4, BOB: None, DAN: 2}, closed=None),
    }
    clock.set(now)
    plans = PlanStore(store)
    expectations = ExpectationStore(store)
    people = PeopleStore(store)
    with store.transaction():
        for owner, mentor in ((ANN, BOB), (BOB, ANN)):
            plan = plans.create(Person(owner, owner[-3:]))
            plans.set_mentor(plan["id"], Person(mentor, mentor[-3:]))
            plans.add_item(
                plan["id"], framework="civil-service", behaviour=BEHAVIOUR, level="4",
                gap="1", activity="training",
            )  # fmt: skip
            for author in (owner, mentor):
                plans.note(
                    plan["id"], item=1, author=author, author_name=author[-3:],
                    kind="comment", text=f"{author[-3:]} on {owner[-3:]}'s plan",
                )  # fmt: skip
            checkin = plans.add_checkin(plan["id"], iso(now + timedelta(days=7)))
            store.conn.execute(
                "INSERT INTO schedule (kind, request_id, due_at) VALUES ('checkin', ?, ?)",
                [checkin, iso(now + timedelta(days=7))],
            )
            Outbox(store).queue(owner, f"checkin-{checkin}", "[]")
            Outbox(store).queue(mentor, f"checkin-{checkin}-summary", "[]")
            found[f"plan_{owner[-3:].lower()}"] = plan["id"]
        for who in (ANN, BOB):
            store.create_draft(who, framework="civil-service", behaviour=BEHAVIOUR, level="3",
                               parts={"situation": f"{who[-3:]}'s draft"})  # fmt: skip
            store.save_state(who, who, {"star": {"v": 1}})
            store.keep_submission(who, "digest", "[]")
            store.save_reference(
                user=who, conversation=f"a:{who}", personal=True, teams_id="29:x",
                tenant="t", reference={"user": who},
            )  # fmt: skip
            people.seen(Person(who, who[-3:], 3600))
        expectation = expectations.create(manager=Person(MEG, "MEG"), employee=Person(ANN, "ANN"))
        expectations.add_version(expectation, set_by=MEG, kind="goal", text="ship it")
        expectations.record(expectation, 1, "communicated", ANN)
        expectations.manager_event(MEG, ANN, "confirmed", ANN)
    return found


def _tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: store.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def _ids(store: Store, sql: str, *args: Any) -> list[Any]:
    return [row[0] for row in store.conn.execute(sql, args).fetchall()]


def _of_kept_requests(store: Store) -> list[list[tuple[Any, ...]]]:
    """Every row of the requests kept by a purge after 365 days (3 and 4)."""
    return [
        store.conn.execute(sql, [3, 4]).fetchall()
        for sql in (
            "SELECT * FROM feedback_requests WHERE id IN (?, ?)",
            "SELECT * FROM feedback_peers WHERE request_id IN (?, ?)",
            "SELECT * FROM outbox WHERE request_id IN (?, ?)"
            " OR key LIKE 'unreachable-3-%' OR key LIKE 'unreachable-4-%'",
            "SELECT * FROM schedule WHERE kind != 'checkin' AND request_id IN (?, ?)",
        )
    ]


def _history(store: Store, frameworks: list[Framework]) -> Callable[[str], list[Earlier]]:
    return Bot(frameworks, store).feedback.history


def _shown(store: Store, frameworks: list[Framework], number: int) -> tuple[Any, ...]:
    """What the report of request `number` shows: results, comments, and what withheld."""
    flow = Bot(frameworks, store).feedback
    request = flow.db.request(number)
    assert request is not None
    report = flow.built_report(request)
    return report.behaviours, report.keep, report.develop, report.comments_withheld_by


def test_closed_requests_go_after_the_retention_period_with_what_hangs_off_them(
    store: Store, world: dict[str, int], frameworks: list[Framework]
) -> None:
    bob_old, ann_old, bob_new, cat_open = (
        world[k] for k in ("bob_old", "ann_old", "bob_new", "cat_open")
    )
    before = _tables(store)
    of_kept = _of_kept_requests(store)
    shown = _shown(store, frameworks, bob_new)
    assert shown[0][0].withheld_by == (bob_old,)  # EVE would be the difference

    purged = purge(store, closed_before=365, history=_history(store, frameworks))

    assert _ids(store, "SELECT id FROM feedback_requests ORDER BY id") == [bob_new, cat_open]
    assert _ids(store, "SELECT DISTINCT request_id FROM feedback_peers") == [bob_new, cat_open]
    # the asks, the reports and the note that EVE could not be reached: all of them
    keys = _ids(store, "SELECT key FROM outbox")
    gone = tuple(f"{kind}-{n}-" for kind in ("ask", "report", "unreachable") for n in (1, 2))
    assert [k for k in keys if k.startswith(gone)] == []
    assert _ids(store, "SELECT DISTINCT request_id FROM schedule WHERE kind != 'checkin'") == [
        bob_new,
        cat_open,
    ]
    # closed one day too recently, and open for 500 days: kept, every row of them
    after = _tables(store)
    assert _of_kept_requests(store) == of_kept
    # everything else untouched
    for table in TABLES:
        if table not in ("feedback_requests", "feedback_peers", "feedback_history", "outbox",
                         "schedule"):  # fmt: skip
            assert after[table] == before[table], table
    assert purged.deleted == {
        "360 requests": 2,
        "360 peers asked, with their answers": 6,
        "direct messages": 6 + 2 + 2 + 1,  # asks, unreachable notes, reports (BOB's, MEG's; ANN's)
        "scheduled reminders, closings and check-ins": 4,
    }
    # the later report is still compared with the purged one: EVE is not singled out
    assert _shown(store, frameworks, bob_new) == shown
    assert purged.kept == {"who answered earlier 360s": 2}
    kept = store.conn.execute(
        "SELECT request_id, requester, shown FROM feedback_history"
    ).fetchall()
    assert [(n, who) for n, who, _ in kept] == [(bob_old, BOB), (ann_old, ANN)]
    assert all("saw it" not in text and '"2"' not in text for _, _, text in kept)  # no answers


def test_a_dry_run_counts_the_same_and_deletes_nothing(
    store: Store, world: dict[str, int], frameworks: list[Framework]
) -> None:
    before = _tables(store)
    dry = purge(store, closed_before=365, person=ANN, history=_history(store, frameworks),
                dry_run=True)  # fmt: skip
    assert _tables(store) == before
    real = purge(store, closed_before=365, person=ANN, history=_history(store, frameworks))
    assert dry == real
    assert _tables(store) != before


def test_a_person_s_data_goes_and_the_record_of_expectations_stays(
    store: Store, world: dict[str, int], frameworks: list[Framework]
) -> None:
    before = _tables(store)
    shown = {n: _shown(store, frameworks, n) for n in (world["bob_old"], world["bob_new"])}

    purged = purge(store, person=ANN, history=_history(store, frameworks))

    everything = json.dumps(_tables(store))
    # her own: request, drafts, plan, states, references, name, messages to her
    assert world["ann_old"] not in _ids(store, "SELECT id FROM feedback_requests")
    assert _ids(store, "SELECT owner FROM plans") == [BOB]
    for table, column in (
        ("star_drafts", "owner"), ("conversations", "user"), ("submissions", "user"),
        ("teams_references", "user"), ("people", "identity"), ("outbox", "user"),
        ("plan_notes", "author"), ("feedback_peers", "peer"), ("plans", "mentor"),
        ("feedback_requests", "manager"),
    ):  # fmt: skip
        assert _ids(store, f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", ANN) == [0], table
    assert _ids(store, "SELECT COUNT(*) FROM plan_items") == [1]  # BOB's
    assert _ids(store, "SELECT COUNT(*) FROM schedule WHERE kind = 'checkin'") == [1]
    assert "ANN's plan" not in everything and "ANN on BOB" not in everything
    # her answer to CAT's open request is gone; to BOB's closed ones, kept under a stand-in
    assert _ids(store, "SELECT COUNT(*) FROM feedback_peers WHERE request_id = ?",
                world["cat_open"]) == [2]  # fmt: skip
    stand_ins = _ids(store, "SELECT DISTINCT peer FROM feedback_peers WHERE peer LIKE 'erased:%'")
    assert len(stand_ins) == 1  # one for BOB's requests, so they are compared as before
    # her consent stays as she gave it: her words are in BOB's reports anyway, and
    # withdrawing only hers would show BOB which of the quotes offered to him were hers
    assert _ids(store, "SELECT DISTINCT consent FROM feedback_peers WHERE peer = ?",
                stand_ins[0]) == [1]  # fmt: skip
    assert {n: _shown(store, frameworks, n) for n in shown} == shown
    # the record of expectations, with her in it, stays whole
    after = _tables(store)
    for table in ("expectations", "expectation_versions", "expectation_events", "manager_events"):
        assert after[table] == before[table]
    assert purged.kept["expectations and their record"] == 1
    assert purged.kept["manager confirmations"] == 1
    # BOB's data is his: only where ANN was in it did anything change
    assert [r for r in after["star_drafts"] if BOB in r] == [
        r for r in before["star_drafts"] if BOB in r
    ]
    for table in ("conversations", "submissions", "teams_references", "people"):
        assert [r for r in after[table] if BOB in r] == [r for r in before[table] if BOB in r]
    assert _ids(store, "SELECT mentor FROM plans WHERE owner = ?", BOB) == [None]
    assert _ids(store, "SELECT author FROM plan_notes") == [BOB]
    assert purged.deleted["STAR drafts"] == 1
    assert purged.changed == {
        "their places in others' closed 360 requests (answers kept): de-identified": 2,
        "others' 360 requests they were manager of: manager removed": 1,
        "others' plans they mentored: mentor removed": 1,
    }


def test_a_person_whose_answers_were_purged_is_erased_from_what_is_kept(
    store: Store, world: dict[str, int], frameworks: list[Framework]
) -> None:
    purge(store, closed_before=365, history=_history(store, frameworks))
    shown = _shown(store, frameworks, world["bob_new"])
    purge(store, person=ANN, history=_history(store, frameworks))
    assert ANN not in json.dumps(_tables(store)["feedback_history"])
    assert _shown(store, frameworks, world["bob_new"]) == shown


def test_the_purge_command_prints_counts_and_what_is_kept(
    store: Store,
    world: dict[str, int],
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("bot.storage.SystemClock", lambda: clock)  # the command's clock
    database = str(store.db.conn.execute("PRAGMA database_list").fetchone()[2])
    monkeypatch.setenv("BEHAVIOURBOT_RETENTION_DAYS", "365")
    assert main(["purge", "--db", database, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "would purge (dry run: nothing deleted) 360 requests closed more than 365 days ago\n"
    )
    assert "  would delete 360 requests: 2\n" in out
    assert _ids(store, "SELECT COUNT(*) FROM feedback_requests") == [4]
    assert main(["purge", "--db", database, "--closed-before", "500", "--person", ANN]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"purged 360 requests closed more than 500 days ago and the data of {ANN}\n"
    )
    assert "  deleted 360 requests: 1\n" in out  # her own; none closed 500 days ago
    assert "  kept expectations and their record: 1 (the record of performance" in out
    assert _ids(store, "SELECT COUNT(*) FROM feedback_requests WHERE requester = ?", ANN) == [0]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--person", "ann"], "is not a user id as the bot stores them"),
        (["--person", "slack:T1"], "is not a user id"),
        (["--person", "slack:T1:U2 "], "is not a user id"),
        (["--person", "email:x:ann@example.org"], "is not a user id"),
        (["--person", "console:local:\x1b[2Jann"], "is not a user id"),
        ([], "nothing to purge: give --closed-before DAYS or --person ID"),
    ],
)
def test_bad_purges_are_refused(
    store: Store,
    world: dict[str, int],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    reason: str,
) -> None:
    before = _tables(store)
    database = str(store.db.conn.execute("PRAGMA database_list").fetchone()[2])
    assert main(["purge", "--db", database, *args]) == 2
    err = capsys.readouterr().err
    assert reason in err and "\x1b" not in err
    assert _tables(store) == before


def test_bad_retention_days_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["purge", "--closed-before", "-1", "--db", str(tmp_path / "x.db")])
    assert exited.value.code == 2
    monkeypatch.setenv("BEHAVIOURBOT_RETENTION_DAYS", "a year")
    assert main(["purge", "--db", str(tmp_path / "x.db")]) == 2
    assert "BEHAVIOURBOT_RETENTION_DAYS 'a year' is not a number of days" in capsys.readouterr().err


def test_a_purge_waits_for_a_server_s_lock_then_gives_up_saying_so(
    tmp_path: Path, clock: FixedClock, frameworks: list[Framework]
) -> None:
    store = Store.open(tmp_path / "bot.db", clock, wait=0.2)
    with store.transaction():
        store.create_draft(ANN, framework="f", behaviour="b", level="1", parts={})
    server = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    server.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(MaintenanceError, match="kept the database locked: nothing was"):
            purge(store, person=ANN, history=_history(store, frameworks))
    finally:
        server.execute("ROLLBACK")
        server.close()
    assert _ids(store, "SELECT owner FROM star_drafts") == [ANN]
    store.close()
