"""Slack: who people are, from users.info: the speaker's name and time zone, the people
mentioned in a command and those picked in a form. The one cache of the Slack adapter:
each person found is kept for an hour."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.events import MENTIONED, identity, unescaped, user_id
from bot.render import words
from bot.router import wants_people
from bot.types import Event, Person

log = logging.getLogger("behaviourbot.slack")

Json = dict[str, Any]
LOOKUP_SECONDS = 2.0  # for names of picked people: a modal must be answered in 3 s
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # a person's id; C…, G…, D… are conversations


async def _unknown(team: str, user: str) -> Person:
    return Person(identity(team, user), user, problem="unknown")


def person_of(team: str | None, user: Json) -> Person:
    """A Slack user (users.info's `user`) as the core's Person: the name people know
    them by, their time zone, and whether they can answer at all."""
    profile = user.get("profile") or {}
    name = next(
        (
            n
            for n in (
                profile.get("real_name"),
                user.get("real_name"),
                profile.get("display_name"),
                user.get("name"),
            )
            if isinstance(n, str) and n.strip()
        ),
        str(user.get("id")),
    )
    problem = ""
    if user.get("is_bot") or user.get("is_app_user") or user.get("id") == "USLACKBOT":
        problem = "bot"
    elif user.get("deleted"):
        problem = "deleted"
    offset, zone = user.get("tz_offset"), user.get("tz")
    return Person(
        identity(team, str(user.get("id"))),
        name.strip(),
        offset if isinstance(offset, int) else None,
        problem,
        zone if isinstance(zone, str) and len(zone) < 64 else "",
    )


class People:
    """users.info lookups, looked up together within one deadline and kept for an hour."""

    def __init__(self) -> None:
        self._people: dict[tuple[str, str], tuple[float, Person]] = {}

    async def with_people(
        self, event: Event, client: AsyncWebClient, text: str = "", picked: Sequence[str] = ()
    ) -> Event:
        """Who the people are, from Slack (looked up together, within one deadline, and
        kept for an hour): those `picked` in a form's people fields, as `Event.people`
        with the speaker; and for a command about people (plans, expectations), the
        speaker's name and time zone and the people mentioned in `text` (`<@U123|name>`)."""
        command = event.action if event.action is not None else event.text
        personal = wants_people(command)
        if not personal and not picked:
            return event
        team, me = event.user.split(":")[1], user_id(event.user)
        mentioned = [m for m in MENTIONED.findall(text) if m != me] if personal else []
        found = await self.lookup(client, team, [me, *mentioned, *picked])
        speaker, others = found[0], found[1 : 1 + len(mentioned)]
        if picked:
            event = replace(event, people=(*found[1 + len(mentioned) :], speaker))
        if not speaker.problem:
            event = replace(
                event,
                name=event.name or speaker.name,
                tz_offset=speaker.tz_offset,
                tz_name=speaker.tz_name,
            )
        if others:
            named = {p.identity.rsplit(":", 1)[-1]: p.name for p in others}
            # the mentions by name, and the text between them unescaped (`&amp;` as `&`)
            pieces = MENTIONED.split(text)  # text, a user id, text, …
            plain = "".join(
                unescaped(piece) if i % 2 == 0 else "@" + named.get(piece, words("someone.j2"))
                for i, piece in enumerate(pieces)
            )
            event = replace(event, text=plain, people=(*event.people, *others))
        return event

    async def lookup(self, client: AsyncWebClient, team: str, users: list[str]) -> list[Person]:
        """Each user as a Person, looked up with users.info (at most ten at a time, and
        within LOOKUP_SECONDS: one not found in time keeps their id for a name)."""
        limit = asyncio.Semaphore(20)

        async def one(user: str) -> Person:
            cached = self._people.get((team, user))
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
            async with limit:
                try:
                    found = await client.users_info(user=user)
                except SlackApiError as error:
                    if error.response.get("error") == "user_not_found":
                        return Person(identity(team, user), user, problem="unknown")
                    log.warning("slack: users.info failed (%s)", error.response.get("error"))
                    return Person(identity(team, user), user, problem="unchecked")
            person = person_of(team, found.get("user") or {"id": user})
            self._people[(team, user)] = (time.monotonic() + 3600, person)
            return person

        tasks = [
            asyncio.ensure_future(one(u))
            if _USER_ID.match(u)
            else asyncio.ensure_future(_unknown(team, u))
            for u in users
        ]
        await asyncio.wait(tasks, timeout=LOOKUP_SECONDS)
        out = []
        for user, task in zip(users, tasks, strict=True):
            if task.done() and not task.exception():
                out.append(task.result())
            else:  # not checked in time: refused, never taken on trust
                task.cancel()
                out.append(Person(identity(team, user), user, problem="unchecked"))
        return out
