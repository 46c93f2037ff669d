"""Microsoft Teams: who people are, from the rosters of the teams and group chats the bot
is in (fetched through the connector, each kept ten minutes) and from the conversation
references stored for everyone who wrote to the bot."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from adapters.teams.activities import quoted
from adapters.teams.cards import PEOPLE_DATASET, literal
from adapters.teams.connector import CHANNEL_SCOPE, Connector
from adapters.worker import Run
from bot.render import phrase, words
from bot.storage import Store
from bot.types import Choice, Field, Person, Reply

log = logging.getLogger("behaviourbot.teams")

Json = dict[str, Any]

ROSTER_KEPT = 600.0  # seconds a team's or chat's member list is reused
# People a picker holds on the card (and a search answers with at once): Teams' typeahead
# drop-down shows 15; the others are found by typing (see Roster.search).
SHOWN = 15
SEARCH_INVOKE = "application/search"
SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"
MAX_QUERY = 100  # characters of a typeahead's text that are searched for


class Roster:
    """The people a person can pick: the members of the teams and chats they share with
    the bot. `best_effort` runs the adapter's own bookkeeping (see TeamsAdapter)."""

    def __init__(
        self,
        store: Store,
        *,
        run: Run,
        connector: Connector,
        best_effort: Callable[..., Awaitable[Any]],
        dev: bool = False,
    ):
        self.store = store
        self.run = run
        self.connector = connector
        self.best_effort = best_effort
        self.dev = dev  # references kept without a token are used in development only
        self._rosters: dict[str, tuple[float, list[Json]]] = {}
        self._keeping: set[asyncio.Future[Any]] = set()  # members being kept as reachable

    def people(self, identities: list[str], offered: set[str]) -> list[Person]:
        """Who these identities are, from the stored references (the rosters fetched
        for pickers, and everyone who wrote to the bot); unknown ones say so, and so do
        those not `offered` (not in a team or chat the picking person shares with the
        bot: another team's, or another organisation's)."""
        found = []
        for identity in identities:
            reference = None
            if identity in offered:
                reference = self.store.reference(identity, personal=False) or self.store.reference(
                    identity, personal=True
                )
            name = ((reference or {}).get("user") or {}).get("name")
            if reference is None:
                found.append(Person(identity, identity.rsplit(":", 1)[-1], problem="unknown"))
            else:
                found.append(Person(identity, name or words("someone.j2")))
        return found

    async def with_colleagues(self, user: str, replies: list[Reply]) -> list[Reply]:
        """Replies whose forms pick people, with people to pick from filled in: those
        already chosen, then the first by name, SHOWN in all; the card's picker finds the
        others as the person types (`search`), so the card stays small however many
        there are."""
        wanted = [r for r in replies if r.form and any(f.kind == "people" for f in r.form.fields)]
        if not wanted:
            return replies
        found, failed = await self.colleagues(user)
        error = words("teams/roster_failed.j2") if failed and not found else ""
        more = (
            " " + phrase("teams/type_to_find.j2", shown=SHOWN, count=len(found))
            if len(found) > SHOWN
            else ""
        )

        def filled_in(field: Field) -> Field:
            chosen = {v for v in re.split(r"[\s,]+", field.value) if v}
            first = [p for p in found if p[0] in chosen] + [p for p in found if p[0] not in chosen]
            options = tuple(Choice(name, who) for who, name in first[: max(SHOWN, len(chosen))])
            return replace(
                field, options=options, label=field.label + more, error=field.error or error
            )

        filled = []
        for reply in replies:
            if reply in wanted and reply.form is not None:
                fields = tuple(filled_in(f) if f.kind == "people" else f for f in reply.form.fields)
                reply = replace(reply, form=replace(reply.form, fields=fields))
            filled.append(reply)
        return filled

    async def search(self, user: str, query: Json) -> Json:
        """The answer to a people picker's typeahead (an `application/search` invoke):
        the people of `user`'s own rosters, in their tenant, whose names hold every word
        typed, a page at a time; nobody else, whatever the query says."""
        results: list[Json] = []
        if query.get("dataset") == PEOPLE_DATASET:
            typed = str(query.get("queryText") or "")[:MAX_QUERY].casefold().split()
            options = query.get("queryOptions")
            options = options if isinstance(options, dict) else {}
            skip, top = (
                _count(options.get("skip"), 0),
                min(_count(options.get("top"), SHOWN), SHOWN),
            )
            found, _ = await self.colleagues(user)
            matches = [
                (who, name) for who, name in found if all(w in name.casefold() for w in typed)
            ]
            results = [
                {"title": literal(name), "value": who} for who, name in matches[skip : skip + top]
            ]
        return {"type": SEARCH_RESPONSE, "value": {"results": results}}

    async def colleagues(self, user: str) -> tuple[list[tuple[str, str]], bool]:
        """(identity, name) of the people who share a team or group chat with `user` and
        the bot, by name, and whether a roster could not be fetched; each is kept as
        reachable there, so that a direct message can open a chat with them later."""
        tenant = user.split(":")[1]
        me = user.rsplit(":", 1)[-1]
        found: dict[str, str] = {}
        failed = False
        for reference in await self.run(self.store.shared_conversations, tenant):
            if reference.get("unvouched") and not self.dev:
                continue  # kept in development mode: its serviceUrl gets no token
            try:
                members, fresh = await self._members(reference)
            except Exception as exc:  # one team's roster failing leaves the others
                name = type(exc).__name__
                log.warning("teams: roster unavailable (%s: %s)", name, quoted(str(exc), 200))
                failed = True
                continue
            if not any(me in (m.get("aadObjectId"), m.get("id")) for m in members):
                continue
            bot_id = (reference.get("bot") or {}).get("id")
            everyone = {
                f"teams:{tenant}:{member.get('aadObjectId') or member.get('id')}": member
                for member in members
                if member.get("id") and member.get("id") != bot_id
            }
            found |= {
                who: member.get("name") or words("someone.j2")
                for who, member in everyone.items()
                if who != user
            }
            if fresh:  # kept once a fetch, in the background: a picker never waits for it
                keep = self.best_effort(self._keep_members, tenant, reference, everyone)
                task = asyncio.ensure_future(keep)
                self._keeping.add(task)  # kept until done (the loop holds tasks weakly)
                task.add_done_callback(self._keeping.discard)
        ordered = sorted(found.items(), key=lambda item: (item[1].casefold(), item[0]))
        return ordered, failed

    def _keep_members(self, tenant: str, reference: Json, members: dict[str, Json]) -> None:
        """Each member as reachable in that team or chat, for a direct message later."""
        with self.store.transaction():
            for who, member in members.items():
                self.store.save_reference(
                    user=who,
                    conversation=f"teams:{tenant}:{reference['conversation']['id']}",
                    personal=False,
                    teams_id=member["id"],
                    tenant=tenant,
                    reference=dict(reference, user=member, activityId=None),
                )

    async def _members(self, reference: Json) -> tuple[list[Json], bool]:
        """A team's or chat's members (pagedmembers, every page), kept ten minutes, and
        whether they were fetched now."""
        conversation = reference.get("teamId") or str(reference["conversation"]["id"]).split(";")[0]
        cached = self._rosters.get(conversation)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], False
        members = await self.connector.members(reference["serviceUrl"], conversation, CHANNEL_SCOPE)
        self._rosters[conversation] = (time.monotonic() + ROSTER_KEPT, members)
        return members, True


def _count(value: Any, default: int) -> int:
    """A whole number from a request (a typeahead's skip or top), or `default`."""
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    )
