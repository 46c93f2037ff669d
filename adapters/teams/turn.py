"""Microsoft Teams: the handler of /api/messages (the token, then the activity), the turn
on the activity's JSON, conversation references and proactive messages.

The Bot Framework SDK for Python is archived upstream, so botbuilder is kept at the
edge: the token checks and the bot's own token are in adapters.teams.sdk, the only module
that imports it; the converters (adapters.teams.activities, adapters.teams.cards) and
the Bot Connector calls (adapters.teams.connector) work on plain JSON (dicts). Moving to
Microsoft's successor SDK should change adapters.teams.sdk alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from adapters.delivery import Handle, Refused, Settle, SlowDown, Unreachable, answer, patiently
from adapters.metrics import KIND
from adapters.teams.activities import (
    _fixed_part,
    activity_problem,
    channel_problem,
    conversation_of,
    event_from_activity,
    identity,
    is_install,
    is_personal,
    parse_body,
    people_in,
    quoted,
    tenant_of,
)
from adapters.teams.cards import CARD_CONTENT_TYPE, activities_of, card_for_update
from adapters.teams.connector import (
    CHANNEL_SCOPE,
    Connector,
    ConnectorError,
    Tokens,
    addressed,
    reference_of,
)
from adapters.teams.people import SEARCH_INVOKE, Roster
from adapters.teams.sdk import Authenticator, KeysUnavailable
from adapters.worker import Run, inline
from bot.home import Page
from bot.render import compose, words
from bot.settings import is_loopback
from bot.storage import Busy, Store
from bot.types import Event, Reply

log = logging.getLogger("behaviourbot.teams")

Json = dict[str, Any]

# ---- the handler -------------------------------------------------------------------

NOT_CONFIGURED = "teams is not configured on this server"
AUTH_ERRORS = {401: "invalid token", 503: "cannot check tokens now"}


def _toast(text: str) -> Json:
    """A Universal Actions answer that leaves the card as it is and shows a short note."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


@dataclass(frozen=True)
class Credentials:
    app_id: str | None
    password: str | None
    app_type: str | None
    tenant_id: str | None

    @property
    def complete(self) -> bool:
        return bool(self.app_id and self.password) and self.problem is None

    @property
    def problem(self) -> str | None:
        """What is wrong with a set of credentials, beyond a missing id or password."""
        kind = self.app_type or "MultiTenant"
        if kind not in APP_TYPES:
            # its value not repeated: /readyz shows this to anyone who can reach it
            return f"MicrosoftAppType is not one of {', '.join(APP_TYPES)}"
        if kind == "SingleTenant" and not self.tenant_id:
            return "MicrosoftAppType SingleTenant needs MicrosoftAppTenantId"
        return None


class _Turn:
    """One incoming activity's answers: replies posted to its conversation, its card
    replaced, and an invoke's response kept for the HTTP answer (what botbuilder's
    TurnContext did, on plain JSON)."""

    def __init__(self, activity: Json, connector: Connector, audience: str):
        self.activity = activity
        self.reference = reference_of(activity)
        self.connector = connector
        self.audience = audience
        self.invoke: tuple[int, Json | None] | None = None

    async def send(self, activities: list[Json]) -> None:
        for activity in activities:
            await self.connector.send(
                addressed(activity, self.reference, reply=True), self.audience
            )

    async def update(self, activity: Json) -> None:
        await self.connector.update(addressed(activity, self.reference, reply=True), self.audience)

    def respond(self, status: int, body: Json | None) -> None:
        self.invoke = (status, body)


TURN_PATIENCE = 10.0  # seconds a turn waits for a database another process holds
REFERENCE_KEPT = 600.0  # seconds an unchanged conversation reference is not written again


class TeamsAdapter:
    """Bot Framework activities on /api/messages.

    With credentials every request must carry a valid Bot Framework token (401
    otherwise), checked by botbuilder (adapters.teams.sdk). Without them every request
    is refused, unless `dev` is set: local development with the Bot Framework Emulator
    or tests, where requests carry no token. Replies go to the connector through one
    client for the process (adapters.teams.connector).
    """

    def __init__(
        self,
        handle: Handle,
        references: Store,
        *,
        settle: Settle,
        credentials: Credentials,
        dev: bool = False,
        welcome: Callable[[], Reply],
        home: Callable[[str], Page] | None = None,  # Bot.home.page, called through `run`
        openid_metadata_url: str | None = None,
        run: Run = inline,
        tokens: Tokens | None = None,
    ):
        self.handle = handle
        self.run = run  # how the stored references are read and written (off the loop)
        self.settle = settle  # settle(event, delivered=bool): see Bot.settle
        self.store = references
        self.credentials = credentials
        # Development mode only when no app id is set at all: an app id without its
        # password is a misconfiguration, refused like any other.
        self.dev = dev and not credentials.app_id
        self.welcome = welcome
        self.home = home
        self.open = credentials.complete or self.dev
        known = credentials if credentials.complete else Credentials("", "", None, None)
        self.auth = Authenticator(
            known.app_id or "",
            known.password or "",
            app_type=known.app_type or "MultiTenant",
            tenant_id=known.tenant_id or "",
            openid_metadata_url=openid_metadata_url,
        )
        # `tokens`: where the bot's own tokens come from, for tests; Microsoft's login
        # (through botbuilder's MSAL credentials) otherwise
        self.connector = Connector(tokens or self.auth.token, forget=self.auth.forget)
        self._kept: dict[tuple[str, str], tuple[Json, float]] = {}  # references written
        self.roster = Roster(
            references,
            run=run,
            connector=self.connector,
            best_effort=self._best_effort,
            dev=self.dev,
        )

    async def close(self) -> None:
        """Close the connector's connections (the web app's cleanup)."""
        await self.connector.close()

    async def dispatch(self, request: web.Request) -> web.Response:
        """One request, and one log line for it: the activity's kind, the status, the
        time taken and, when refused, why (the code's own words and quoted values)."""
        started = time.perf_counter()
        response, kind, refused = await self._dispatch(request)
        status = response.status
        level = logging.ERROR if status >= 500 else logging.WARNING if refused else logging.INFO
        log.log(
            level,
            "teams request=%s status=%d ms=%.1f%s",
            kind,
            status,
            (time.perf_counter() - started) * 1000,
            f" refused: {refused}" if refused else "",
        )
        return response

    async def _dispatch(self, request: web.Request) -> tuple[web.Response, str, str]:
        """(the response, the activity's kind, why it was refused or "")."""
        kind = "unknown"

        def refuse(status: int, error: str, why: str = "") -> tuple[web.Response, str, str]:
            return web.json_response({"error": error}, status=status), kind, why or error

        if not self.open:
            return refuse(401, NOT_CONFIGURED, "no MicrosoftAppId/MicrosoftAppPassword set")
        auth_header = request.headers.get("Authorization") or None
        # The token before the body: nobody without one makes the server read or parse
        # anything. Its signature, issuer, audience and expiry are checked here; that the
        # channel endorses the activity's channelId and that the token names its
        # serviceUrl, below, once the activity is read.
        _, status, why = await self._authenticate(auth_header)
        if status:
            return refuse(status, AUTH_ERRORS[status], why)
        if request.content_type != "application/json":  # the media type itself, exactly
            return refuse(415, "expected application/json")
        if self.dev and "Origin" in request.headers:
            # the Bot Framework never sends one; a web page the developer opens does (a
            # plain-text POST needs no preflight): --dev checks no token, so refused
            return refuse(403, "requests from web pages are refused in development mode")
        try:
            raw = await request.read()  # at most the app's client_max_size (1 MB)
        except web.HTTPRequestEntityTooLarge as too_large:
            return refuse(413, too_large.text)
        body, problem = parse_body(raw)
        problem = problem or activity_problem(body)
        if problem is not None:
            return refuse(400, problem)
        kind = quoted(body["type"]) + (f":{quoted(body['name'])}" if body.get("name") else "")
        request[KIND] = kind  # for the metrics (adapters.metrics)
        audience, status, why = await self._authenticate(
            auth_header, channel_id=body.get("channelId"), service_url=body.get("serviceUrl")
        )
        if status:
            return refuse(status, AUTH_ERRORS[status], why)
        refused = channel_problem(body, dev=self.dev)
        if refused is not None:  # answered, kept and handled nowhere: nobody to be here
            return refuse(403, "this bot answers in Microsoft Teams only", refused)
        if self.dev and not is_loopback(urlsplit(body.get("serviceUrl") or "").hostname or ""):
            # without a token nothing vouches for the serviceUrl: answers stay on this machine
            return refuse(403, "development mode answers only at a serviceUrl on this machine")
        failed: list[str] = []
        turn = _Turn(body, self.connector, audience)
        await self._turn(turn, failed)
        if failed:
            return web.json_response({"error": failed[0]}, status=502), kind, ""
        if body.get("type") == "invoke":  # as botbuilder: an invoke nobody answered is a 501
            status, answer_body = turn.invoke or (501, None)
            return web.json_response(answer_body, status=status), kind, ""
        return web.Response(status=200), kind, ""

    async def _authenticate(
        self, auth_header: str | None, **activity: str | None
    ) -> tuple[str, int, str]:
        """botbuilder's check of the request's token: (the audience of the bot's calls in
        answer, 0, "") or ("", the status to answer, why). Whatever a bad token makes
        botbuilder raise (PermissionError, jwt's errors, a bare Exception for an
        unendorsed key, an IndexError for an unknown key id) is a 401; only the fixed
        start of its message is logged, never the token's own values."""
        try:
            return await self.auth.check(auth_header, **activity), 0, ""
        except KeysUnavailable as exc:
            return "", 503, f"cannot fetch the Bot Framework signing keys ({exc})"
        except Exception as exc:
            return "", 401, f"invalid token ({type(exc).__name__}: {_fixed_part(exc)})"

    async def _turn(self, turn: _Turn, failed: list[str]) -> None:
        """The turn, with every failure answered: the person hears that something went
        wrong (a Universal Action shows it on the card); when even that cannot be said,
        because the connector is unreachable, the request answers 502."""
        activity = turn.activity
        try:
            await self.on_turn(turn, activity)
        except Exception as error:
            name = type(error).__name__
            log.error("teams turn failed: %s: %s", name, quoted(str(error), 200), exc_info=error)
            try:
                if activity.get("name") == "adaptiveCard/action":
                    turn.respond(
                        200,
                        {
                            "statusCode": 500,
                            "type": "application/vnd.microsoft.error",
                            "value": {"code": "InternalError", "message": words("teams/sorry.j2")},
                        },
                    )
                else:
                    sorry = {"type": "message", "text": words("teams/sorry.j2")}
                    await turn.send([sorry | {"textFormat": "plain"}])
                    if activity.get("type") == "invoke":
                        turn.respond(200, None)
            except Exception as again:
                name = type(again).__name__
                log.error("teams: cannot answer at all: %s: %s", name, quoted(str(again), 200))
                failed.append(f"cannot reach the connector at {activity.get('serviceUrl')}")

    async def on_turn(self, turn: _Turn, activity: Json) -> None:
        if activity.get("type") == "invoke" and activity.get("name") == SEARCH_INVOKE:
            # a people picker's typeahead: answered from the person's rosters (people.py)
            who = identity(activity, activity.get("from") or {})
            turn.respond(200, await self.roster.search(who, activity.get("value") or {}))
            return
        await self._remember(activity)
        if is_install(activity):
            await self._welcome(turn, activity)
            return
        event = event_from_activity(activity)
        if event is None:
            if activity.get("name") == "adaptiveCard/action":
                turn.respond(200, _toast(words("teams/nothing_to_do.j2")))
            elif activity.get("type") == "invoke":
                turn.respond(200, None)
            return
        if picked := people_in(event.fields):
            # who picked people are: from the rosters the person shares with the bot (what
            # the picker offers them), never from the payload alone
            colleagues, _ = await self.roster.colleagues(event.user)
            offered = {who for who, _ in colleagues} | {event.user}
            found = await self.run(self.roster.people, picked, offered)
            event = replace(event, people=tuple(found))
        if activity.get("type") == "invoke":
            answer_with = self._answer_invoke
        else:
            answer_with = self._answer_message

        async def send(replies: list[Reply]) -> None:
            replies = await self.roster.with_colleagues(event.user, replies)
            await answer_with(turn, activity, replies)

        async def handle(event: Event) -> list[Reply]:  # a card waits at most 15 s
            return await patiently(lambda: self.handle(event), seconds=TURN_PATIENCE)

        try:
            await answer(handle, self.settle, event, send)
        except Busy:  # another process kept the database: nothing done, and said so
            await send([compose("busy.j2")])

    async def _welcome(self, turn: _Turn, activity: Json) -> None:
        # Both a conversationUpdate and an installationUpdate arrive on an install:
        # welcome once per conversation.
        key = f"teams-welcome-{(activity.get('conversation') or {}).get('id')}"
        if await self._best_effort(self._first_time, key):
            await turn.send(activities_of(await self._home_or_welcome(activity)))

    async def _home_or_welcome(self, activity: Json) -> Reply:
        """In a personal install, the installing person's home when something waits for
        them (a 360 request that came before they had the app, say); else the welcome.
        What waits for a person is never shown in a team or group chat."""
        personal = (activity.get("conversation") or {}).get("conversationType") == "personal"
        home = self.home
        if home is None or not personal:
            return self.welcome()
        who = identity(activity, activity.get("from") or {})
        try:
            page = await patiently(lambda: self.run(home, who), seconds=TURN_PATIENCE)
        except Exception as error:  # the welcome all the same (a busy database, say)
            log.warning("teams: no home for the welcome: %s", type(error).__name__)
            return self.welcome()
        return page.reply if page.sections else self.welcome()

    async def _answer_message(self, turn: _Turn, activity: Json, replies: list[Reply]) -> None:
        outgoing = [a for reply in replies for a in activities_of(reply)]
        reply_to = activity.get("replyToId")
        # A card's Action.Submit: the answer replaces the card it came from.
        submitted = activity.get("value") is not None and reply_to and outgoing
        if submitted and await self._update(turn, reply_to, replies[0]):
            outgoing = outgoing[1:]
        await turn.send(outgoing)

    async def _answer_invoke(self, turn: _Turn, activity: Json, replies: list[Reply]) -> None:
        if not replies:  # a duplicate: the first delivery answered already
            body = (
                _toast(words("teams/already_done.j2"))
                if activity.get("name") == "adaptiveCard/action"
                else None
            )
            turn.respond(200, body)
            return
        if activity.get("name") == "adaptiveCard/action":
            # Universal Actions: the card in the response replaces the pressed one.
            body = {
                "statusCode": 200,
                "type": CARD_CONTENT_TYPE,
                "value": card_for_update(replies[0]),
            }
            turn.respond(200, body)
        else:  # a legacy card invoke: update the card by its id, then acknowledge
            reply_to = activity.get("replyToId")
            if not reply_to or not await self._update(turn, reply_to, replies[0]):
                await turn.send(activities_of(replies[0]))
            turn.respond(200, None)
        rest = [a for reply in replies for a in activities_of(reply)][1:]
        await turn.send(rest)

    async def _update(self, turn: _Turn, activity_id: str, reply: Reply) -> bool:
        """Replace the card of message `activity_id` with `reply`'s; False when Teams
        refuses (the message is gone, or too old), and the caller posts it anew."""
        attachment = {"contentType": CARD_CONTENT_TYPE, "content": card_for_update(reply)}
        try:
            await turn.update({"type": "message", "id": activity_id, "attachments": [attachment]})
        except ConnectorError as exc:
            if not exc.unsent:  # it may have been replaced: not posted again as well
                raise
            log.warning("teams: card update refused (HTTP %d); answering anew", exc.status)
            return False
        return True

    # ---- conversation references and proactive messages ----------------------------

    async def _best_effort(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """Bookkeeping of the adapter's own (where people can be reached, a welcome
        sent): waited for while another process holds the database, then let go (None)
        rather than failing the person's turn; it is kept again next time."""
        try:
            return await patiently(lambda: self.run(fn, *args), seconds=TURN_PATIENCE)
        except Busy:
            log.warning("teams: %s not kept now: the database is busy", fn.__name__.strip("_"))
            return None

    def _first_time(self, key: str) -> bool:
        with self.store.transaction():
            return self.store.first_time(key)

    async def _remember(self, activity: Json) -> None:
        """Keep where this person can be reached: the conversation reference of every
        activity they send, and of installs; written again only when it changed, or
        after REFERENCE_KEPT (another process may have written an older one)."""
        account = activity.get("from") or {}
        conversation = activity.get("conversation") or {}
        if not account.get("id") or not conversation.get("id") or not activity.get("serviceUrl"):
            return
        reference = reference_of(activity)
        team = ((activity.get("channelData") or {}).get("team") or {}).get("id")
        if isinstance(team, str) and team:
            reference["teamId"] = team  # whose roster the people pickers offer
        where = (identity(activity, account), conversation_of(activity))
        kept = self._kept.get(where)
        unchanged = {k: v for k, v in reference.items() if k != "activityId"}
        if kept is not None and kept[0] == unchanged and kept[1] > time.monotonic():
            return
        if await self._best_effort(self._keep_reference, activity, where, reference):
            self._kept[where] = (unchanged, time.monotonic() + REFERENCE_KEPT)

    def _keep_reference(self, activity: Json, where: tuple[str, str], reference: Json) -> bool:
        if self.dev:  # nothing vouched for who or where: never used with credentials
            reference = reference | {"unvouched": True}
        with self.store.transaction():
            self.store.save_reference(
                user=where[0],
                conversation=where[1],
                personal=is_personal(activity),
                teams_id=(activity.get("from") or {})["id"],
                tenant=tenant_of(activity),
                reference=reference,
            )
        return True

    def _reference(self, user: str, *, personal: bool) -> Json | None:
        """A stored conversation reference of `user`'s, if one may be used: one kept in
        development mode, where no token vouched for it, only in development mode (the
        bot's token must never go to a serviceUrl that the channel did not give)."""
        reference = self.store.reference(user, personal=personal)
        if reference is not None and reference.get("unvouched") and not self.dev:
            return None
        return reference

    async def send_direct(self, user: str, replies: list[Reply], tag: int | None = None) -> None:
        """Message `user` (teams:<tenant>:<object id>) in their personal chat with the bot:
        the stored 1:1 conversation, or a new one created through the connector from any
        chat or team they share with the bot. Raises Unreachable when there is neither.
        Teams has no way to find a message afterwards, so each part (activity) taken is
        noted, with the outbox id `tag`: when a later part fails, the outbox's next
        attempt sends only the rest."""
        activities = [a for reply in replies for a in activities_of(reply)]
        reference = await self.run(self._reference, user, personal=True)
        if reference is None:
            reference = await self._new_chat(user)
        for activity in activities:
            part = _part_key(user, tag, activity) if tag is not None else None
            if part is not None and await self.run(self.store.handled, part):
                continue  # taken in an earlier attempt
            try:
                message = addressed(activity, reference, reply=False)
                await self.connector.send(message, CHANNEL_SCOPE)
            except ConnectorError as exc:
                if (mapped := _as_delivery_error(exc)) is None:
                    raise
                raise mapped from exc
            if part is not None:
                await self._best_effort(self._first_time, part)

    async def _new_chat(self, user: str) -> Json:
        """A new personal chat with `user`, from a chat or team they share with the bot:
        its conversation reference."""
        shared = await self.run(self._reference, user, personal=False)
        if shared is None:
            raise Unreachable(user, words("teams/never_talked.j2"))
        tenant = user.split(":")[1]
        parameters = {
            "isGroup": False,
            "bot": shared["bot"],
            "members": [{"id": shared["user"]["id"]}],
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        }
        try:
            created = await self.connector.create_conversation(
                shared["serviceUrl"], parameters, CHANNEL_SCOPE
            )
        except ConnectorError as exc:
            if exc.status in (400, 401, 403, 404):  # a refusal, not a passing fault
                raise Unreachable(user, words("teams/refused_chat.j2")) from exc
            if (mapped := _as_delivery_error(exc)) is None:
                raise
            raise mapped from exc
        if not isinstance(created.get("id"), str) or not created["id"]:
            raise Refused("the connector created a chat without an id")
        return {
            "conversation": {"id": created["id"], "tenantId": tenant},
            "bot": shared["bot"],
            "user": shared["user"],
            "channelId": shared.get("channelId") or "msteams",
            "serviceUrl": shared["serviceUrl"],
        }


def _part_key(user: str, tag: int, activity: Json) -> str:
    """What marks one part of an outbox message as taken: its outbox id, for whom, and
    what it says (an id used again for another message never matches)."""
    digest = hashlib.sha256(json.dumps([user, activity], sort_keys=True).encode()).hexdigest()
    return f"teams-direct-{tag}-{digest[:32]}"


def _as_delivery_error(error: ConnectorError) -> Exception | None:
    """What the outbox makes of a failed send: a 429 waits; what certainly did not
    arrive (a refusal, no connection, no token) can be sent again without a double; None
    for the rest, which may have arrived."""
    if error.status == 429:
        return SlowDown(error.retry_after or 1.0)
    if error.unsent:
        return Refused(str(error))
    return None
