"""Senior review of issue 18's whole change (50db1c0..): the defects found, each shown by
a test that fails until it is fixed (xfail, strict). Through the real protocols: Teams
activities POSTed to /api/messages with a local fake connector, and /readyz and
/metrics over HTTP, as tests/teams/test_people.py and tests/test_trial18.py do."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest

import adapters.teams.turn
from bot.clock import iso
from bot.frameworks import Framework

from .conftest import START
from .servers import wait_for
from .teams.test_feedback import identity, install_in_team
from .teams.test_people import names, search
from .teams.test_turn import teams_server
from .test_trial18 import _app, _get

# ---- the people picker's typeahead and another process's write lock --------------------


def test_a_typeahead_keystroke_does_not_wait_for_the_write_lock(
    tmp_path: Path, frameworks: list[Framework], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Megan types in a people picker. The roster was fetched (and kept as reachable) a
    moment ago; now another process holds the database's write lock (two `serve`
    processes on one file, or a purge). A keystroke reads the rosters only: it should
    be answered at once, not after the turn's wait for the lock."""
    monkeypatch.setattr(adapters.teams.turn, "TURN_PATIENCE", 1.5)  # the test's own time
    with teams_server(tmp_path, frameworks, wait=0.5) as teams:
        install_in_team(teams)
        assert names(search(teams, "bo")) == ["Bob Jones"]  # the roster fetched...
        bob = identity("bob-aad")
        wait_for(lambda: teams.store.reference(bob, personal=False) is not None)  # ...kept
        holder = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's write lock
        try:
            started = time.monotonic()
            found = names(search(teams, "dan"))
            took = time.monotonic() - started
        finally:
            holder.rollback()
            holder.close()
    assert found == ["Dan Brown", "Dana Green"]
    assert took < 0.4, f"a keystroke's answer took {took:.2f} s behind the write lock"


# ---- /readyz and /metrics: direct messages this process does not deliver ---------------


def _queue_for(tmp_path: Path, user: str, key: str, *, due_ago: timedelta) -> None:
    """A direct message to `user`, due `due_ago` before START, written as the terminal
    chat (`behaviourbot chat`, the same database by default) would queue it."""
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    try:
        other.execute(
            "INSERT INTO outbox (user, key, replies, due_at, attempts) VALUES (?, ?, '[]', ?, 0)",
            [user, key, iso(START - due_ago)],
        )
    finally:
        other.close()


def _sent(tmp_path: Path, key: str) -> None:
    other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    try:
        other.execute("UPDATE outbox SET sent_at = ? WHERE key = ?", [iso(START), key])
    finally:
        other.close()


def test_a_message_for_the_terminal_does_not_make_the_web_process_unready(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """A person at the terminal chat (same database, the default path) asked a
    colleague at the terminal for 360 feedback an hour ago; the colleague has not
    opened the chat since. The web process cannot deliver that message and never
    will: its readiness (what a load balancer takes it out of service for) should not
    depend on it."""
    with _app(tmp_path, frameworks) as (url, _):
        _queue_for(
            tmp_path, "console:local:ben", "ask-1-console:local:ben", due_ago=timedelta(hours=1)
        )
        status, _, body = _get(url + "readyz")
    assert status == 200, body


def _gauge(body: bytes, name: str, platform: str) -> float | None:
    prefix = f'{name}{{platform="{platform}"}} '
    for line in body.decode().splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return None


def test_the_outbox_gauges_of_every_platform_follow_the_outbox(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """A message for the terminal waits, and /metrics says so; once it is delivered
    (the person opened the chat), the next scrape should say nothing waits, or an alert
    on the oldest message's age never clears."""
    with _app(tmp_path, frameworks) as (url, _):
        _queue_for(tmp_path, "console:local:ben", "note-1", due_ago=timedelta(minutes=5))
        status, _, before = _get(url + "metrics")
        assert status == 200
        assert _gauge(before, "behaviourbot_outbox_waiting", "console") == 1.0
        assert (_gauge(before, "behaviourbot_outbox_oldest_seconds", "console") or 0) >= 300
        _sent(tmp_path, "note-1")
        _, _, after = _get(url + "metrics")
    assert _gauge(after, "behaviourbot_outbox_waiting", "console") in (None, 0.0)
    assert _gauge(after, "behaviourbot_outbox_oldest_seconds", "console") in (None, 0.0)
