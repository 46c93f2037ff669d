"""Times as a reader sees them, and dates as people type them.

Every time is stored in UTC (ISO 8601). It is shown in the reader's time zone where a
platform told us it (Teams gives the zone's name, Slack its offset, the terminal the
machine's); otherwise in UTC, saying so.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
SKIP = frozenset({"", "skip", "none", "no", "-", "n/a"})


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

    def today(self) -> date:
        return self.at(datetime.now(UTC))[0].date()


def zone_of(person: dict[str, Any] | None) -> Zone:
    """The zone of a `people` row (see bot.records.PeopleStore)."""
    if person is None:
        return Zone()
    if person.get("tz_name"):
        try:
            return Zone(ZoneInfo(str(person["tz_name"])), "name")
        except (ZoneInfoNotFoundError, ValueError, OSError):  # not a zone: a directory…
            pass
    offset = person.get("tz_offset")
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


def parse_date(text: str, today: date) -> str | None:
    """A date typed as `2027-03-31`, `31/03/2027`, `31 March 2027`, `today`, `tomorrow`,
    `in 6 weeks` or `3 months`, as an ISO date; "" for none (skip); None when it cannot
    be read."""
    typed = " ".join(text.strip().casefold().rstrip(".").split())
    if typed in SKIP:
        return ""
    if typed == "today":
        return today.isoformat()
    if typed == "tomorrow":
        return (today + timedelta(days=1)).isoformat()
    if match := _RELATIVE.match(typed):
        count, unit = int(match.group(1)), match.group(2)[0]
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
