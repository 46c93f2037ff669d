"""The clock the core reads, and working hours in a person's time zone: fixed offsets,
named zones, and the days the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from bot.clock import FixedClock, RunningClock, Zone, iso, working_moment, zone_for, zone_of
from bot.types import Person


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours(n: float) -> timezone:
    return timezone(timedelta(hours=n))


def test_reminders_come_in_working_hours_where_the_zone_is_known() -> None:
    deadline = at(2026, 12, 4, 17)  # a Friday
    tuesday_night = at(2026, 12, 1, 22)
    assert working_moment(tuesday_night, None, deadline) == tuesday_night
    assert working_moment(tuesday_night, UTC, deadline) == at(2026, 12, 2, 9)
    # 22:00 UTC is 09:00 on Wednesday in Sydney (UTC+11): now
    assert working_moment(tuesday_night, hours(11), deadline) == tuesday_night
    saturday = at(2026, 11, 28, 12)
    assert working_moment(saturday, hours(-5), at(2026, 12, 11, 17)) == at(2026, 11, 30, 14)
    # never later than an hour before the deadline
    assert working_moment(at(2026, 12, 4, 16, 30), UTC, deadline) == at(2026, 12, 4, 16, 30)
    assert working_moment(at(2026, 12, 3, 18), UTC, deadline) == at(2026, 12, 4, 9)


def test_working_hours_follow_a_named_zone_across_its_clock_change() -> None:
    far = at(2027, 12, 31)
    new_york = zone_for("America/New_York", -5 * 3600)
    # Friday 12 March 2027, 17:30 EST; the clocks go forward on Sunday 14 March, so
    # Monday's 09:00 is 13:00 UTC (the winter offset would make it 10:00 local)
    assert working_moment(at(2027, 3, 12, 22, 30), new_york, far) == at(2027, 3, 15, 13)
    assert working_moment(at(2027, 3, 12, 22, 30), hours(-5), far) == at(2027, 3, 15, 14)
    london = zone_for("Europe/London", 0)
    # Saturday 27 March 2027 in GMT; Monday 29 March begins in BST: 09:00 is 08:00 UTC
    assert working_moment(at(2027, 3, 27, 12), london, far) == at(2027, 3, 29, 8)
    # and back in the autumn: Saturday 30 October 2027 in BST, Monday in GMT
    assert working_moment(at(2027, 10, 30, 12), london, far) == at(2027, 11, 1, 9)
    # 17:30 BST on a weekday is after hours, though 16:30 UTC
    assert working_moment(at(2027, 4, 1, 16, 30), london, far) == at(2027, 4, 2, 8)


def test_a_named_zone_wins_over_an_offset_and_a_bad_name_falls_back() -> None:
    assert str(zone_for("Asia/Kolkata", 0)) == "Asia/Kolkata"
    assert zone_for("Not/AZone", 3600) == hours(1)
    assert zone_for("../etc", None) is None
    assert zone_for("", 99 * 3600) is None
    assert (
        zone_of(Person("x", "X", 0, tz_name="Europe/Paris")).show("2027-07-01T12:00:00+00:00")
        == "1 Jul 2027, 14:00 CEST"
    )


def test_today_is_the_readers_date_at_the_clocks_time() -> None:
    clock = FixedClock(at(2027, 1, 1, 23, 30))
    assert Zone().today(clock.now()) == date(2027, 1, 1)
    assert zone_of(Person("x", "X", tz_name="Asia/Tokyo")).today(clock.now()) == date(2027, 1, 2)
    clock.advance(timedelta(hours=1))
    assert iso(clock.now()) == "2027-01-02T00:30:00+00:00"
    clock.set(datetime(2027, 6, 1, 12, tzinfo=hours(2)))
    assert clock.now() == at(2027, 6, 1, 10)


def test_a_running_clock_starts_where_it_is_set_and_moves_on() -> None:
    clock = RunningClock(at(2027, 3, 14, 6))
    first = clock.now()
    assert at(2027, 3, 14, 6) <= first < at(2027, 3, 14, 6, 1)
    assert clock.now() >= first
    assert clock.advance(timedelta(days=2)) >= at(2027, 3, 16, 6)
