"""Microsoft Teams: one handler on botbuilder's CloudAdapter (authentication, the turn,
the connector client, proactive messages).

The Bot Framework SDK for Python is archived upstream, so botbuilder is kept at the
edge: the converters (adapters.teams.activities, adapters.teams.cards) work on plain JSON
(dicts), and only this module touches the SDK. Moving to Microsoft's successor SDK
should change this module alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests  # what botbuilder fetches the channel's signing keys with
from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.auth import AuthenticationConstants, ConnectorFactory
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata

from adapters.delivery import Handle, Settle, Unreachable, answer, patiently
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
from adapters.teams.people import Roster
from adapters.worker import Run, inline
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
            return f"MicrosoftAppType {kind!r} is not one of {', '.join(APP_TYPES)}"
        if kind == "SingleTenant" and not self.tenant_id:
            return "MicrosoftAppType SingleTenant needs MicrosoftAppTenantId"
        return None


KEY_FETCH_TIMEOUT = 10.0  # seconds for each of the two requests that fetch signing keys
KEY_FETCH_RETRY_AFTER = 30.0  # after a failed fetch, answer 503 at once for this long


class KeysUnavailable(Exception):
    """The channel's signing keys cannot be fetched now, so no token can be checked."""


class _SigningKeys(_OpenIdMetadata):
    """botbuilder's cache of the channel's signing keys, fetched off the event loop.

    botbuilder fetches them with a blocking `requests.get` without a timeout, inside its
    async token check: a slow key endpoint would stop every request the process serves.
    Here the fetch runs in a worker thread with a timeout, one at a time (concurrent
    requests wait for the same fetch), and a failure is remembered for a while so that
    requests get a quick 503 instead of each waiting for another timeout."""

    def __init__(self, url: str):
        super().__init__(url)
        self._lock: asyncio.Lock | None = None
        self._failed_at = -KEY_FETCH_RETRY_AFTER
        self._refreshed_at = -1.0

    async def _refresh(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        started = time.monotonic()
        async with self._lock:
            if self._refreshed_at >= started:  # another request fetched them meanwhile
                return
            if time.monotonic() - self._failed_at < KEY_FETCH_RETRY_AFTER:
                raise KeysUnavailable(f"fetching {self.url} failed moments ago")
            try:
                self.keys = await asyncio.to_thread(self._fetch)
            except Exception as exc:
                self._failed_at = time.monotonic()
                raise KeysUnavailable(f"{type(exc).__name__}: {exc}") from exc
            self.last_updated = datetime.now()
            self._refreshed_at = time.monotonic()

    def _fetch(self) -> list[Json]:
        metadata = requests.get(self.url, timeout=KEY_FETCH_TIMEOUT)
        metadata.raise_for_status()
        keys = requests.get(metadata.json()["jwks_uri"], timeout=KEY_FETCH_TIMEOUT)
        keys.raise_for_status()
        return keys.json()["keys"]


def _signing_keys(url: str) -> _OpenIdMetadata:
    cache = JwtTokenExtractor.metadataCache
    if not isinstance(cache.get(url), _SigningKeys):
        cache[url] = _SigningKeys(url)
    return cache[url]


# Every token check in botbuilder looks its keys up here (one cache per metadata URL).
JwtTokenExtractor.get_open_id_metadata = staticmethod(_signing_keys)


CONNECTOR_RETRIES = 1  # msrest's 3, with back-off, wait ~5 s on a dead connector
CONNECTOR_TIMEOUT = 5  # seconds for each call (msrest's default is 100; Teams waits 15)


class _QuickRetries(ConnectorFactory):
    """Connector clients that give up on an unreachable connector within about a second.
    msrest retries three times with a growing back-off: two sends in a turn (a reply and
    the apology for it failing) would outlast the 15 seconds Teams waits."""

    def __init__(self, inner: ConnectorFactory):
        self.inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        client = await self.inner.create(service_url, audience)
        client.config.retry_policy.retries = CONNECTOR_RETRIES
        client.config.retry_policy.backoff_factor = 0.2
        client.config.connection.timeout = CONNECTOR_TIMEOUT
        return client


class _Authentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's authentication, handing out connector clients with quick retries."""

    async def authenticate_request(self, activity: Activity, auth_header: str) -> Any:
        result = await super().authenticate_request(activity, auth_header)
        result.connector_factory = _QuickRetries(result.connector_factory)
        return result

    def create_connector_factory(self, claims_identity: Any) -> ConnectorFactory:
        return _QuickRetries(super().create_connector_factory(claims_identity))


class _Config:
    """What ConfigurationBotFrameworkAuthentication reads, by attribute."""

    def __init__(self, credentials: Credentials):
        self.APP_ID = credentials.app_id or ""
        self.APP_PASSWORD = credentials.password or ""
        self.APP_TYPE = credentials.app_type or "MultiTenant"
        self.APP_TENANTID = credentials.tenant_id or ""

    def use_metadata_url(self, url: str) -> None:
        """Fetch the channel's signing keys from `url`. Setting any one endpoint switches
        botbuilder to its parameterised mode, where every endpoint must be given, so the
        others are the public cloud's own."""
        self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = url
        for name in (
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
            "TO_CHANNEL_FROM_BOT_LOGIN_URL",
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
            "OAUTH_URL",
            "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
        ):
            setattr(self, name, getattr(AuthenticationConstants, name))


TURN_PATIENCE = 10.0  # seconds a turn waits for a database another process holds


class TeamsAdapter:
    """Bot Framework activities on /api/messages, through botbuilder's CloudAdapter.

    With credentials every request must carry a valid Bot Framework token (401
    otherwise). Without them every request is refused, unless `dev` is set: local
    development with the Bot Framework Emulator or tests, where requests carry no token.
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
        openid_metadata_url: str | None = None,
        run: Run = inline,
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
        self.open = credentials.complete or self.dev
        config = _Config(
            credentials if credentials.complete else Credentials(None, None, None, None)
        )
        if openid_metadata_url:  # where the channel's signing keys are published
            config.use_metadata_url(openid_metadata_url)
        self.adapter = CloudAdapter(_Authentication(config))
        self.roster = Roster(
            references,
            run=run,
            connector=self.adapter,
            app_id=credentials.app_id or "",
            best_effort=self._best_effort,
        )

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
        _, status, why = await self._authenticate(Activity(), auth_header)
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
        if problem is None:
            try:
                activity = Activity().deserialize(body)
            except (ValueError, TypeError, AttributeError):
                problem = "not a Bot Framework activity"
        if problem is not None:
            return refuse(400, problem)
        kind = quoted(body["type"]) + (f":{quoted(body['name'])}" if body.get("name") else "")
        request[KIND] = kind  # for the metrics (adapters.metrics)
        authenticated, status, why = await self._authenticate(activity, auth_header)
        if status:
            return refuse(status, AUTH_ERRORS[status], why)
        refused = channel_problem(body, dev=self.dev)
        if refused is not None:  # answered, kept and handled nowhere: nobody to be here
            return refuse(403, "this bot answers in Microsoft Teams only", refused)
        if self.dev and not is_loopback(urlsplit(body.get("serviceUrl") or "").hostname or ""):
            # without a token nothing vouches for the serviceUrl: answers stay on this machine
            return refuse(403, "development mode answers only at a serviceUrl on this machine")
        # process_activity, not CloudAdapter.process: in botbuilder 4.17.1 the latter
        # answers 500 to every invoke that returns a body (Action.Execute among them).
        failed: list[str] = []
        invoke = await self.adapter.process_activity(
            authenticated, activity, lambda context: self._turn(context, body, failed)
        )
        if failed:
            return web.json_response({"error": failed[0]}, status=502), kind, ""
        if invoke is not None:
            return web.json_response(invoke.body, status=invoke.status), kind, ""
        return web.Response(status=200), kind, ""

    async def _authenticate(
        self, activity: Activity, auth_header: str | None
    ) -> tuple[Any, int, str]:
        """botbuilder's check of the request's token: (its result, 0, "") or (None, the
        status to answer, why). Whatever a bad token makes botbuilder raise
        (PermissionError, jwt's errors, a bare Exception for an unendorsed key, an
        IndexError for an unknown key id) is a 401; only the fixed start of its message
        is logged, never the token's own values."""
        authentication = self.adapter.bot_framework_authentication
        try:
            return await authentication.authenticate_request(activity, auth_header), 0, ""
        except KeysUnavailable as exc:
            return None, 503, f"cannot fetch the Bot Framework signing keys ({exc})"
        except Exception as exc:
            return None, 401, f"invalid token ({type(exc).__name__}: {_fixed_part(exc)})"

    async def _turn(self, context: Any, activity: Json, failed: list[str]) -> None:
        """The turn, with every failure answered: the person hears that something went
        wrong (a Universal Action shows it on the card); when even that cannot be said,
        because the connector is unreachable, the request answers 502."""
        try:
            await self.on_turn(context, activity)
        except Exception as error:
            name = type(error).__name__
            log.error("teams turn failed: %s: %s", name, quoted(str(error), 200), exc_info=error)
            try:
                if activity.get("name") == "adaptiveCard/action":
                    error_body = {
                        "statusCode": 500,
                        "type": "application/vnd.microsoft.error",
                        "value": {"code": "InternalError", "message": words("teams/sorry.j2")},
                    }
                    await self._invoke_response(context, 200, error_body)
                else:
                    await context.send_activity(
                        Activity(type="message", text=words("teams/sorry.j2"), text_format="plain")
                    )
                    if activity.get("type") == "invoke":
                        await self._invoke_response(context, 200, None)
            except Exception as again:
                name = type(again).__name__
                log.error("teams: cannot answer at all: %s: %s", name, quoted(str(again), 200))
                failed.append(f"cannot reach the connector at {activity.get('serviceUrl')}")

    async def on_turn(self, context: Any, activity: Json) -> None:
        await self._best_effort(self.remember, activity)
        if is_install(activity):
            await self._welcome(context, activity)
            return
        event = event_from_activity(activity)
        if event is None:
            if activity.get("name") == "adaptiveCard/action":
                await self._invoke_response(context, 200, _toast(words("teams/nothing_to_do.j2")))
            elif activity.get("type") == "invoke":
                await self._invoke_response(context, 200, None)
            return
        if event.fields:  # who picked people are: from the stored rosters, never the payload
            found = await self.run(self.roster.people, people_in(event.fields))
            event = replace(event, people=tuple(found))
        if activity.get("type") == "invoke":
            answer_with = self._answer_invoke
        else:
            answer_with = self._answer_message

        async def send(replies: list[Reply]) -> None:
            replies = await self.roster.with_colleagues(event.user, replies)
            await answer_with(context, activity, replies)

        async def handle(event: Event) -> list[Reply]:  # a card waits at most 15 s
            return await patiently(lambda: self.handle(event), seconds=TURN_PATIENCE)

        try:
            await answer(handle, self.settle, event, send)
        except Busy:  # another process kept the database: nothing done, and said so
            await send([compose("busy.j2")])

    async def _welcome(self, context: Any, activity: Json) -> None:
        # Both a conversationUpdate and an installationUpdate arrive on an install:
        # welcome once per conversation.
        key = f"teams-welcome-{(activity.get('conversation') or {}).get('id')}"
        if await self._best_effort(self._first_time, key):
            await self._send(context, activities_of(self.welcome()))

    async def _answer_message(self, context: Any, activity: Json, replies: list[Reply]) -> None:
        outgoing = [a for reply in replies for a in activities_of(reply)]
        reply_to = activity.get("replyToId")
        # A card's Action.Submit: the answer replaces the card it came from.
        submitted = activity.get("value") is not None and reply_to and outgoing
        if submitted and await self._update(context, reply_to, replies[0]):
            outgoing = outgoing[1:]
        await self._send(context, outgoing)

    async def _answer_invoke(self, context: Any, activity: Json, replies: list[Reply]) -> None:
        if not replies:  # a duplicate: the first delivery answered already
            body = (
                _toast(words("teams/already_done.j2"))
                if activity.get("name") == "adaptiveCard/action"
                else None
            )
            await self._invoke_response(context, 200, body)
            return
        if activity.get("name") == "adaptiveCard/action":
            # Universal Actions: the card in the response replaces the pressed one.
            body = {
                "statusCode": 200,
                "type": CARD_CONTENT_TYPE,
                "value": card_for_update(replies[0]),
            }
            await self._invoke_response(context, 200, body)
        else:  # a legacy card invoke: update the card by its id, then acknowledge
            reply_to = activity.get("replyToId")
            if not reply_to or not await self._update(context, reply_to, replies[0]):
                await self._send(context, activities_of(replies[0]))
            await self._invoke_response(context, 200, None)
        rest = [a for reply in replies for a in activities_of(reply)][1:]
        await self._send(context, rest)

    async def _invoke_response(self, context: Any, status: int, body: Json | None) -> None:
        await context.send_activity(
            Activity(type="invokeResponse", value=InvokeResponse(status=status, body=body))
        )

    async def _send(self, context: Any, activities: list[Json]) -> None:
        if activities:
            await context.send_activities([Activity().deserialize(a) for a in activities])

    async def _update(self, context: Any, activity_id: str, reply: Reply) -> bool:
        """Replace the card of message `activity_id` with `reply`'s; False when Teams
        refuses (the message is gone, or too old), and the caller posts it anew."""
        attachment = {"contentType": CARD_CONTENT_TYPE, "content": card_for_update(reply)}
        update = {"type": "message", "id": activity_id, "attachments": [attachment]}
        try:
            await context.update_activity(Activity().deserialize(update))
        except Exception as exc:  # msrest's ErrorResponseException and kin
            log.warning("teams: card update refused (%s); answering anew", type(exc).__name__)
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

    def remember(self, activity: Json) -> None:
        """Keep where this person can be reached: the conversation reference of every
        activity they send, and of installs."""
        account = activity.get("from") or {}
        conversation = activity.get("conversation") or {}
        if not account.get("id") or not conversation.get("id") or not activity.get("serviceUrl"):
            return
        reference = {
            "activityId": activity.get("id"),
            "user": account,
            "bot": activity.get("recipient") or {},
            "conversation": conversation,
            "channelId": activity.get("channelId") or "msteams",
            "serviceUrl": activity["serviceUrl"],
            "locale": activity.get("locale"),
        }
        team = ((activity.get("channelData") or {}).get("team") or {}).get("id")
        if isinstance(team, str) and team:
            reference["teamId"] = team  # whose roster the people pickers offer
        personal = is_personal(activity)
        with self.store.transaction():
            self.store.save_reference(
                user=identity(activity, account),
                conversation=conversation_of(activity),
                personal=personal,
                teams_id=account["id"],
                tenant=tenant_of(activity),
                reference=reference,
            )

    async def send_direct(self, user: str, replies: list[Reply], tag: int | None = None) -> None:
        """Message `user` (teams:<tenant>:<object id>) in their personal chat with the bot:
        the stored 1:1 conversation, or a new one created through the connector from any
        chat or team they share with the bot. Raises Unreachable when there is neither.
        (`tag`, the outbox id, is not kept: Teams has no way to find a message by it.)"""
        activities = [a for reply in replies for a in activities_of(reply)]
        personal = await self.run(self.store.reference, user, personal=True)
        app_id = self.credentials.app_id or ""

        async def send(context: Any) -> None:
            # A new message in the conversation, not a reply to the continuation event.
            reference = TurnContext.get_conversation_reference(context.activity)
            outgoing = []
            for activity in activities:
                message = TurnContext.apply_conversation_reference(
                    Activity().deserialize(activity), reference
                )
                message.reply_to_id = None
                outgoing.append(message)
            if outgoing:
                await context.adapter.send_activities(context, outgoing)

        if personal is not None:
            reference = ConversationReference().deserialize(personal)
            await self.adapter.continue_conversation(reference, send, app_id)
            return
        shared = await self.run(self.store.reference, user, personal=False)
        if shared is None:
            raise Unreachable(user, words("teams/never_talked.j2"))
        tenant = user.split(":")[1]
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount().deserialize(shared["bot"]),
            members=[ChannelAccount(id=shared["user"]["id"])],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        try:
            await self.adapter.create_conversation(
                app_id, send, parameters, shared["channelId"], shared["serviceUrl"], None
            )
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (400, 401, 403, 404):  # a refusal, not a passing fault
                raise Unreachable(user, words("teams/refused_chat.j2")) from exc
            raise
