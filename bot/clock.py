"""The clock the core reads, times as a reader sees them, and dates as people type them.

The core never reads the system clock itself: the Store carries a `Clock` (the system's
in production, a `FixedClock` in tests), so no test depends on today's date.

Every time is stored in UTC (ISO 8601). It is shown in the reader's time zone where a
platform told us it (Teams and Slack give the zone's IANA name, the terminal the
machine's; an offset alone where that is all we have); otherwise in UTC, saying so.
Working hours are found in the named zone, so a reminder weeks ahead keeps its hour
across a daylight-saving change.
"""

from __future__ import annotations

import re
import time
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.engine import Word, word_of
from bot.types import Person

_RELATIVE = re.compile(r"^(?:in\s+)?(\d{1,3})\s*(day|days|week|weeks|month|months|d|w|m)$", re.I)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_WORDS_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\s+(\d{4})$")
_MONTHS = {
    m: n
    for n, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


class Clock(Protocol):
    def now(self) -> datetime:
        """The time now, aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock: production's."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to (tests, benchmarks, replays)."""

    def __init__(self, at: datetime):
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self.at += delta
        return self.at


class RunningClock(FixedClock):
    """A clock set to a chosen time that then runs at the machine's pace: for servers in
    tests, where waits are real but the date must not be today's."""

    def __init__(self, at: datetime):
        super().__init__(at)
        self.started = time.monotonic()

    def now(self) -> datetime:
        return self.at + timedelta(seconds=time.monotonic() - self.started)

    def set(self, at: datetime) -> None:
        super().set(at)
        self.started = time.monotonic()

    def advance(self, delta: timedelta) -> datetime:
        self.at += delta
        return self.now()


def iso(moment: datetime) -> str:
    """A moment as stored: UTC, ISO 8601, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def named_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone called `name` ("Europe/London"), or None when it is no zone."""
    if not name:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # not a zone: a directory…
        return None


def zone_for(tz_name: str | None, tz_offset: int | None) -> tzinfo | None:
    """A person's zone: the named one where known, else a fixed offset, else None."""
    named = named_zone(tz_name)
    if named is not None:
        return named
    if isinstance(tz_offset, int) and -18 * 3600 < tz_offset < 18 * 3600:
        return timezone(timedelta(seconds=tz_offset))
    return None


def working_moment(moment: datetime, zone: tzinfo | None, deadline: datetime) -> datetime:
    """`moment`, or the next start of working hours (09:00 to 17:00, Monday to Friday)
    in the person's time zone when it falls outside them; never later than an hour
    before the deadline. Without a time zone, `moment` itself."""
    if zone is None:
        return moment
    local = moment.astimezone(zone)
    if local.weekday() < 5 and 9 <= local.hour < 17:
        return moment
    day = local.date() + timedelta(days=1 if local.hour >= 9 else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    # 09:00 on that day as the zone has it then (its offset may differ from today's)
    start = datetime(day.year, day.month, day.day, 9, tzinfo=zone).astimezone(UTC)
    return max(moment, min(start, deadline - timedelta(hours=1)))


@dataclass(frozen=True)
class Zone:
    """A reader's time zone: a named zone, an offset, or unknown (UTC)."""

    zone: tzinfo | None = None
    label: str = "UTC"

    def at(self, moment: datetime) -> tuple[datetime, str]:
        if self.zone is None:
            return moment.astimezone(UTC), "UTC"
        local = moment.astimezone(self.zone)
        return local, local.tzname() if self.label == "name" else self.label

    def show(self, iso: str | None) -> str:
        """`2026-11-22T14:03:00+00:00` as "22 Nov 2026, 14:03 UTC" (or in the zone)."""
        if not iso:
            return ""
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            return iso
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local, label = self.at(moment)
        return f"{local.day} {local:%b %Y, %H:%M} {label}"

    def today(self, now: datetime) -> date:
        """The date it is in this zone at `now`."""
        return self.at(now)[0].date()


def zone_of(person: Person | None) -> Zone:
    """The zone of a person, as the platform gave it (see bot.records.PeopleStore)."""
    if person is None:
        return Zone()
    named = named_zone(person.tz_name)
    if named is not None:
        return Zone(named, "name")
    offset = person.tz_offset
    if isinstance(offset, int) and -18 * 3600 < offset < 18 * 3600:
        if offset == 0:
            return Zone(UTC, "UTC")
        hours, rest = divmod(abs(offset), 3600)
        sign = "+" if offset > 0 else "-"
        label = f"UTC{sign}{hours}" + (f":{rest // 60:02d}" if rest else "")
        return Zone(timezone(timedelta(seconds=offset)), label)
    return Zone()


def show_date(iso: str) -> str:
    """`2027-03-31` as "31 Mar 2027"."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day.day} {day:%b %Y}"


def parse_date(text: str, today: date, *, since: date | None = None) -> str | None:
    """A date typed as `2027-03-31`, `31/03/2027`, `31 March 2027`, `today`, `tomorrow`,
    `in 6 weeks` or `3 months`, as an ISO date; "" for none (skip); None when it cannot
    be read. A span (`in 3 months`) counts from `since` when given (an end date from its
    start date), else from `today`."""
    typed = " ".join(text.strip().casefold().rstrip(".").split())
    if not typed or word_of(typed) in (Word.SKIP, Word.NO):
        return ""
    if typed == "today":
        return today.isoformat()
    if typed == "tomorrow":
        return (today + timedelta(days=1)).isoformat()
    if match := _RELATIVE.match(typed):
        count, unit = int(match.group(1)), match.group(2)[0]
        today = since or today
        if unit == "m":
            months = today.month - 1 + count
            year, month = today.year + months // 12, months % 12 + 1
            return date(year, month, min(today.day, monthrange(year, month)[1])).isoformat()
        return (today + timedelta(days=count * (7 if unit == "w" else 1))).isoformat()
    if match := _UK_DATE.match(typed):  # 31/03/2027: day first, as written in the UK
        typed = f"{match.group(3)}-{match.group(2)}-{match.group(1)}"
    elif match := _WORDS_DATE.match(typed):  # 31 march 2027, 31 mar 2027
        month = _MONTHS.get(match.group(2)[:3])
        if month is None:
            return None
        typed = f"{match.group(3)}-{month}-{match.group(1)}"
    if match := _ISO_DATE.match(typed):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
        except ValueError:
            return None
    return None
