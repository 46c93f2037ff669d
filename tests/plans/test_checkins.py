"""A plan's check-ins: run from the persisted schedule across a restart, once each, in
the owner's working hours whatever the day and clock change, and the progress recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.frameworks import Framework
from bot.plans.store import PlanStore
from bot.router import Bot
from bot.schedule import Schedule
from bot.storage import Store
from bot.types import Event

from ..conftest import FakeAdapter, _ids
from ..feedback.test_request import text
from .test_flow import add_leadership


def test_check_ins_run_from_the_schedule_across_a_restart(
    frameworks: list[Framework], tmp_path: Path, clock: FixedClock
) -> None:
    store = Store.open(tmp_path / "bot.db", clock)
    bot = Bot(frameworks, store)
    alice, dan = FakeAdapter(bot, "alice"), FakeAdapter(bot, "dan")
    add_leadership(alice)
    alice.send(text="plan mentor dan")
    bot.inbox(dan.user)
    chosen = text(alice.send(text="plan checkins 2"))
    assert "I will ask about your open items every 2 weeks" in chosen
    (task,) = Schedule(store).due("9999")
    assert task[1] == "checkin"
    store.close()

    store = Store.open(tmp_path / "bot.db", clock)  # a restart: the schedule is in the database
    bot = Bot(frameworks, store)
    alice, dan = FakeAdapter(bot, "alice"), FakeAdapter(bot, "dan")
    now = clock.now()
    assert bot.schedule.run_due(now + timedelta(days=13)) == 0  # not yet
    assert bot.schedule.run_due(now + timedelta(days=14, minutes=1)) == 1
    assert bot.schedule.run_due(now + timedelta(days=14, minutes=1)) == 0  # once
    (ask,) = bot.inbox(alice.user)
    assert ask.title == "Check-in on your development plan"
    assert (
        "1. Leadership (Level 5 (Deputy Director or equivalent)): not started" in ask.plain_text()
    )
    # the next one is scheduled two weeks on
    (following,) = Schedule(store).due("9999")
    assert following[1] == "checkin" and following[2] == 2
    alice.send(action=ask.choices[0].command)  # Record progress
    alice.send(text="Shadowed the director at two boards")
    saved = text(alice.send(text="in progress"))
    assert "Progress recorded: dan gets a short summary." in saved
    progress = [n for n in PlanStore(store).notes(1) if n["kind"] == "progress"]
    assert [(n["text"], n["checkin_id"]) for n in progress] == [
        ("Shadowed the director at two boards", 1)
    ]
    assert PlanStore(store).item(1, 1)["status"] == "in progress"
    (summary,) = bot.inbox(dan.user)
    assert summary.title == "alice's check-in"
    assert "Shadowed the director at two boards" in summary.plain_text()
    assert "Status: not started → in progress" in summary.plain_text()
    # the same check-in again (a second press, a resubmission) records nothing more
    again = alice.send(action="plan progress 1 save", fields={"progress-1": "again"})
    assert "You recorded this check-in on" in text(again)
    assert len([n for n in PlanStore(store).notes(1) if n["kind"] == "progress"]) == 1
    assert bot.inbox(dan.user) == []
    # stopping them cancels the one scheduled
    alice.send(text="plan checkins off")
    assert bot.schedule.run_due(now + timedelta(days=40)) == 1  # the task runs, and asks nothing
    assert bot.inbox(alice.user) == []
    store.close()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "zone", "weeks", "due"),
    [
        # the suite once failed on a Sunday morning: two weeks on is a Sunday, and the
        # check-in waits for Monday 09:00
        (utc(2026, 3, 1, 8), "Europe/London", 2, utc(2026, 3, 16, 9)),
        # Friday 16:30 in New York; a week on, the clocks have gone forward (8 March):
        # 17:30 EDT is after hours, and Monday's 09:00 EDT is 13:00 UTC
        (utc(2026, 3, 6, 21, 30), "America/New_York", 1, utc(2026, 3, 16, 13)),
        # Saturday 23:00 UTC is Sunday 04:30 in Kolkata: Monday 09:00 IST
        (utc(2026, 3, 7, 23), "Asia/Kolkata", 2, utc(2026, 3, 23, 3, 30)),
        # Wednesday 17:30 GMT; a week on it is 18:30 BST (29 March): Thursday 09:00 BST
        (utc(2026, 3, 25, 17, 30), "Europe/London", 1, utc(2026, 4, 2, 8)),
        # in working hours already: on the hour it falls due
        (utc(2026, 10, 21, 11), "Europe/Paris", 1, utc(2026, 10, 28, 11)),
        # no zone known: exactly so many weeks on, whatever the hour
        (utc(2026, 3, 8, 2), "", 1, utc(2026, 3, 15, 2)),
    ],
)
def test_a_check_in_falls_due_in_working_hours_whatever_the_day_and_clock_change(
    frameworks: list[Framework], store: Store, clock: FixedClock, start, zone, weeks, due
) -> None:
    clock.set(start)
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    bot.handle(Event(alice.user, alice.user, "plan", event_id=f"z{next(_ids)}", tz_name=zone))
    add_leadership(alice)
    assert "every" in text(alice.send(text=f"plan checkins {weeks}"))
    (pending,) = store.conn.execute("SELECT due_at FROM schedule WHERE done_at IS NULL")
    assert datetime.fromisoformat(pending[0]) == due
    assert bot.schedule.run_due(due - timedelta(minutes=1)) == 0  # not yet
    clock.set(due)
    assert bot.schedule.run_due() == 1
    (ask,) = bot.inbox(alice.user)
    assert ask.title == "Check-in on your development plan"
    # the next one is `weeks` on from this one's due time, in working hours again
    (following,) = store.conn.execute("SELECT due_at FROM schedule WHERE done_at IS NULL")
    local = datetime.fromisoformat(following[0])
    assert local - due >= timedelta(weeks=weeks)
    if zone:
        local = local.astimezone(ZoneInfo(zone))
        assert local.weekday() < 5 and 9 <= local.hour < 17
