"""The schedule: work registered by kind, each task run once when due, one that fails
logged and left without stopping the rest."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import FixedClock, iso
from bot.schedule import Schedule
from bot.storage import Store


def test_work_runs_once_when_due_by_its_kind(store: Store, clock: FixedClock) -> None:
    schedule = Schedule(store)
    ran: list[tuple[str, int, datetime]] = []
    schedule.handles("remind", lambda ref, at: ran.append(("remind", ref, at)))
    schedule.handles("close", lambda ref, at: ran.append(("close", ref, at)))
    later = clock.now() + timedelta(days=1)
    with store.transaction():
        schedule.add("remind", 7, iso(later))
        schedule.add("close", 7, iso(later + timedelta(days=1)))
        schedule.add("remind", 7, iso(later))  # the same again: once only
    assert schedule.run_due() == 0  # nothing due yet
    assert schedule.run_due(later) == 1
    assert schedule.run_due(later) == 0  # once
    assert schedule.run_due(later + timedelta(days=2)) == 1
    assert [(kind, ref) for kind, ref, _ in ran] == [("remind", 7), ("close", 7)]


def test_a_failing_task_is_rolled_back_alone(
    store: Store, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    schedule = Schedule(store)

    def failing(ref: int, at: datetime) -> None:
        store.conn.execute("INSERT INTO handled_events VALUES ('half-done', 'x')")
        raise RuntimeError("boom")

    schedule.handles("bad", failing)
    schedule.handles("good", lambda ref, at: None)
    with store.transaction():
        schedule.add("bad", 1, iso(clock.now()))
        schedule.add("good", 2, iso(clock.now()))
        schedule.add("unknown", 3, iso(clock.now()))
    assert schedule.run_due() == 2
    assert "schedule: bad 1 failed" in caplog.text
    assert "no work of kind 'unknown'" in caplog.text
    half = store.conn.execute("SELECT COUNT(*) FROM handled_events WHERE event_id = 'half-done'")
    assert half.fetchone()[0] == 0
    assert schedule.due(iso(clock.now() + timedelta(days=1))) == []  # none left waiting
