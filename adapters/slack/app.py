"""Slack: the listeners on one slack-bolt AsyncApp, and the direct messages the outbox
sends. Each listener converts (adapters.slack.events), asks the core, and converts the
replies back (adapters.slack.blocks)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.delivery import (
    BUSY_PATIENCE,
    Handle,
    Refused,
    Settle,
    SlowDown,
    Unreachable,
    answer,
    patiently,
)
from adapters.metrics import KIND
from adapters.slack.blocks import (
    CHOICE_ACTION,
    FORM_CALLBACK,
    SHARE_ACTION,
    home_view,
    messages_of,
    modal_of,
    shareable,
)
from adapters.slack.events import (
    COMMAND,
    MENTIONED,
    event_from_action,
    event_from_command,
    event_from_message,
    event_from_view,
    identity,
    is_person_message,
    picked_users,
    unescaped,
    user_id,
)
from adapters.slack.people import People
from adapters.slack.requests import (
    payload_problem,
    quoted,
    read_payload,
    request_kind,
    signature_problem,
)
from bot.home import Page
from bot.render import compose, phrase
from bot.router import wants_people
from bot.storage import Busy
from bot.types import Event, Reply

log = logging.getLogger("behaviourbot.slack")


class _DropClientTokenWarning(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself and warns that it goes unused because we pass a
    client (built with that token and SLACK_API_URL): true, and not worth an operator's
    attention."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:  # the request log: not worth formatting twice
            return True
        return "As you gave `client` as well" not in record.getMessage()


log.addFilter(_DropClientTokenWarning())

# The message metadata a direct message from the outbox carries: its outbox id, by which
# it is looked for after an attempt whose outcome is unknown.
OUTBOX_EVENT = "behaviourbot_outbox"

Json = dict[str, Any]


# Errors of chat.postMessage that mean the person cannot be messaged (not a passing fault).
UNREACHABLE_ERRORS = {
    "user_not_found": "slack/not_a_user.j2",
    "channel_not_found": "slack/not_a_user.j2",
    "account_inactive": "slack/deactivated.j2",
    "user_disabled": "slack/deactivated.j2",
    "cannot_dm_bot": "slack/an_app.j2",
    "messages_tab_disabled": "slack/messages_off.j2",
    "restricted_action": "slack/not_allowed.j2",
    "not_allowed_token_type": "slack/not_allowed.j2",
}
REPLAY_KEY = "behaviourbot_replay_key"  # in bolt's context: a command's signature key
RETRIED = "behaviourbot_retried"  # in bolt's context: Slack's retry of an event
AT_ONCE = "behaviourbot_at_once"  # in bolt's context: a command's event and lookup, made
# The message metadata of an event's reply in a DM: the event's id, by which a retry of
# the event finds whether an earlier attempt's reply reached Slack after all.
REPLY_EVENT = "behaviourbot_reply"
ACK_WITHIN = 2.0  # seconds: Slack waits 3 for an answer to a command or a form
PART_TRIES = 5  # tries for each later part of a direct message split in several


def signature_of(request: web.Request) -> str:
    """A verified request's signature, which stands for its timestamp and body."""
    return request.headers.get("X-Slack-Signature", "").removeprefix("v0=")


def _refused(status: int, reason: str) -> web.Response:
    """A request refused before anything handles it, in one log line; `reason` is
    ours, never the request's."""
    log.warning("slack request refused (%d): %s", status, reason)
    return web.json_response({"error": reason}, status=status)


async def _remember_nothing(key: str) -> bool:
    return True


class SlackAdapter:
    """Slack events, commands and interactivity, through one slack-bolt AsyncApp.

    Slash commands are answered in the ack itself (ephemeral, with a Share button);
    buttons answer by replacing the message they are on; direct messages get replies in
    the DM and mentions in a thread; the App Home tab shows the person's home, brought up
    to date after a turn of theirs that changed something and after each direct message
    delivered to them. Retried deliveries carry the same ids, which the core handles once.
    """

    def __init__(
        self,
        handle: Handle,
        *,
        settle: Settle,
        signing_secret: str | None,
        token: str | None,
        api_url: str,
        home: Callable[[str], Awaitable[Page]] | None = None,  # Bot.home.page
        homes_changed: Callable[[str], Awaitable[list[tuple[str, Page]]]] | None = None,
        home_not_shown: Callable[[str], Awaitable[None]] | None = None,
        first_time: Callable[[str], Awaitable[bool]] | None = None,  # None: nothing remembered
        at_once: Callable[[Event], list[Reply] | None] | None = None,
    ):
        # The core's calls are awaited: the web process runs them on its worker thread.
        self.handle = self._then_home(handle)
        self.settle = settle  # settle(event, delivered=bool): see Bot.settle
        self.home = home
        self.homes_changed = homes_changed  # Bot.homes_changed
        self.home_not_shown = home_not_shown  # Bot.home_not_shown: published next time
        self.signing_secret = signing_secret
        # first_time(key): False once key was seen (stored)
        self.first_time = first_time or _remember_nothing
        # Bot.answer_at_once: a lookup answered on the event loop from a plain read, which
        # never waits; anything else goes to the core's thread (`handle`)
        self.at_once = at_once
        self._rendered: dict[tuple[int, bool], tuple[Reply, list[Json], str]] = {}
        self.people = People()  # users.info, each kept for an hour
        self._later: set[asyncio.Future[None]] = set()  # answers that follow their ack
        self._pending: Counter[str] = Counter()  # each person's commands with the core
        # bolt's authorization (auth.test with the bot token, once a process) has let a
        # command through: lookups may be answered without bolt from then on
        self._authorized = False
        self._turns: dict[str, asyncio.Lock] = {}  # whose late answers are being posted
        # No retry of slack_sdk's own after a dropped connection: a post Slack may have
        # taken is not sent again blindly (the outbox looks for it first; an event's
        # reply goes again only on Slack's retry of the event).
        client = AsyncWebClient(token=token, base_url=api_url, retry_handlers=[])
        # Over HTTP, `dispatch` verifies each request before bolt sees it (bolt's own
        # check would parse first, and log a refused request's body). Socket Mode needs
        # none: its requests arrive over the WebSocket Slack opened with the app token.
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret or "",
            request_verification_enabled=False,
            process_before_response=True,
            logger=log,
            # bolt's own warning for these quotes the request's ids raw, over several lines
            raise_error_for_unhandled_request=True,
        )
        self.app.error(self.on_error)
        self.app.command(COMMAND)(self.on_command)
        self.app.action(re.compile(rf"^{CHOICE_ACTION}-\d+$"))(self.on_choice)
        self.app.action(SHARE_ACTION)(self.on_share)
        self.app.event("app_mention")(self.on_mention)
        self.app.event("message")(self.on_message)
        self.app.event("app_home_opened")(self.on_home)
        self.app.view(FORM_CALLBACK)(self.on_form)

    async def dispatch(self, request: web.Request) -> web.Response:
        """An HTTP request from Slack: its signature is checked on the bytes received,
        before anything reads them; then the payload, before slack-bolt does."""
        started = time.perf_counter()
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge as too_large:
            return _refused(413, too_large.text)
        headers = build_normalized_headers(request.headers)  # as bolt will see them
        unsigned = signature_problem(
            self.signing_secret or "",
            raw,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
            now=time.time(),
        )
        if not self.signing_secret or unsigned:
            return _refused(401, unsigned or "no signing secret")
        body = read_payload(raw, extract_content_type(headers))
        if isinstance(body, str):
            return _refused(400, body)
        request[KIND] = request_kind(body)  # for the metrics (adapters.metrics)
        if problem := payload_problem(body):
            return _refused(400, f"{problem} (request={request_kind(body)})")
        # A signed request sent again as it was: handled once. Slack's own retries of an
        # event say so (and the core handles each event id once); nothing else is resent.
        # (Slack signs the body, not this header: only a small number counts, and only a
        # number is logged)
        retries = request.headers.get("X-Slack-Retry-Num", "0")
        retries = retries if retries.isdigit() and len(retries) <= 2 else "not a number"
        retry = body.get("type") == "event_callback" and retries not in ("0", "not a number")
        key = f"slack-request-{signature_of(request)}"
        context: Json = {RETRIED: retry}
        if "command" in body:  # checked with the command, within Slack's three seconds
            context[REPLAY_KEY] = key
        elif not retry:
            try:
                first = await patiently(lambda: self.first_time(key), seconds=ACK_WITHIN)
            except Busy:  # another process holds the database: Slack may send it again
                return _refused(503, f"the database is busy (request={request_kind(body)})")
            if not first:
                log.warning("slack request=%s ignored: a replay of one handled", request_kind(body))
                return web.Response(status=200)
        lookup = body.get("command") == COMMAND and not wants_people(body.get("text") or "")
        if lookup and self._authorized:
            _, quick = context[AT_ONCE] = self._at_once(body)
            if quick and len(quick) == 1 and quick[0].form is None:
                messages, first = self._render(quick[0], share=True)
                if len(messages) == 1:
                    # A lookup: one message, nothing written and nothing to open. Answered
                    # here with the ack bolt's listener would make, after the same checks,
                    # without bolt's own work for a request (about 100 µs of CPU).
                    self._log(body, 200, retries, started)
                    return web.Response(text=first, content_type="application/json")
        # bolt is handed the payload as checked, not the text to parse again (what it
        # reads is what was checked). It takes a parsed body in its "socket_mode" only,
        # a mode that otherwise just skips bolt's own signature check (off: see above).
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=headers,
            context=context,
            mode="socket_mode",
        )
        response = await self.app.async_dispatch(bolt_request)
        self._log(body, response.status, retries, started)
        return await to_aiohttp_response(response)

    @staticmethod
    def _log(body: Json, status: int, retries: str, started: float) -> None:
        """A request's one log line: its kind, the status, Slack's retry number and the
        time taken."""
        log.info(
            "slack request=%s status=%d retry=%s ms=%.1f",
            request_kind(body),
            status,
            retries,
            (time.perf_counter() - started) * 1000,
        )

    async def on_error(self, error: Exception, body: Json) -> None:
        """What bolt could not hand to a listener, or a listener that failed: one log
        line naming the kind of request, quoted (the response stays bolt's: 404, 500)."""
        if isinstance(error, BoltUnhandledRequestError):
            log.info("slack request=%s: nothing here handles it", request_kind(body))
            return
        if isinstance(error, Busy):  # answered 500: Slack sends the event again later
            log.warning(
                "slack request=%s: the database is busy; left to Slack's retry", request_kind(body)
            )
            return
        log.error(
            "slack request=%s failed (%s)", request_kind(body), type(error).__name__, exc_info=error
        )

    def _render(self, reply: Reply, *, share: bool) -> tuple[list[Json], str]:
        """Block Kit for a reply, and the JSON of its first message as an ephemeral ack,
        kept for replies the core serves from its cache (the same object for the same
        text). Callers must not change what it returns."""
        key = (id(reply), share)
        cached = self._rendered.get(key)
        if cached is not None and cached[0] is reply:
            return cached[1], cached[2]
        messages = messages_of(reply, extra=shareable(reply) if share else None)
        # bolt sends a string body that starts with "{" as application/json, unchanged.
        ack = json.dumps({"response_type": "ephemeral", **messages[0]}, ensure_ascii=False)
        if len(self._rendered) >= 4096:
            self._rendered.clear()
        self._rendered[key] = (reply, messages, ack)
        return messages, ack

    def _messages(self, reply: Reply, *, share: bool) -> list[Json]:
        return self._render(reply, share=share)[0]

    async def on_command(self, ack: Any, body: Json, context: Any, client: AsyncWebClient) -> None:
        self._authorized = True  # bolt's authorization let it through
        key = context.get(REPLAY_KEY)
        text = body.get("text") or ""
        if wants_people(text):  # the people looked up within the same 2 s
            event = event_from_command(body)
            handling = asyncio.ensure_future(self._with_people_then(event, client, key))
        else:
            event, quick = context[AT_ONCE] if AT_ONCE in context else self._at_once(body)
            if quick is not None:
                await self._acknowledge(quick, ack, body, context, client)
                return
            handling = asyncio.ensure_future(self._unless_replayed(key, event))
        self._pending[event.user] += 1
        handling.add_done_callback(lambda _: self._pending.subtract([event.user]))
        if not (await asyncio.wait({handling}, timeout=ACK_WITHIN))[0]:
            # the database is slow to answer (another process holds it): Slack is told
            # in time, and the answer follows by the command's response_url
            await ack(self._render(compose("working.j2"), share=False)[1])
            later = asyncio.ensure_future(self._answer_later(handling, context, event.user))
            self._later.add(later)  # kept until done (the loop holds tasks weakly)
            later.add_done_callback(self._later.discard)
            return
        await self._acknowledge(handling.result(), ack, body, context, client)

    def _at_once(self, body: Json) -> tuple[Event, list[Reply] | None]:
        """A command's event, and its replies when it is a lookup answered at once (public
        text, nothing changed); a replay of one shows nothing of anyone's, so only what
        goes further is checked. Not while an earlier command of theirs is still with the
        core: it may change what this one answers, and answers keep the order asked in.
        The command escapes mentions, channels and links: plain text for the rest."""
        event = event_from_command(body, text=unescaped(body.get("text") or ""))
        quick = self.at_once(event) if self.at_once and not self._pending[event.user] else None
        return event, quick

    async def _acknowledge(
        self, replies: list[Reply], ack: Any, body: Json, context: Any, client: AsyncWebClient
    ) -> None:
        """A command's replies: the first in the ack, a form as a modal, the rest by the
        command's response_url."""
        if not replies:
            await ack()
            return
        form = replies[0].form
        if form is not None and body.get("trigger_id"):  # a form opens as a modal at once
            await ack()
            view = modal_of(replies[0], form, body.get("channel_id"))
            await client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        messages, first = self._render(replies[0], share=True)
        await ack(first)
        rest = messages[1:] + [m for r in replies[1:] for m in self._messages(r, share=True)]
        for message in rest:
            await context.respond(response_type="ephemeral", replace_original=False, **message)

    async def on_choice(self, ack: Any, body: Json, respond: Any, client: AsyncWebClient) -> None:
        await ack()
        container = body.get("container") or {}

        async def send(replies: list[Reply]) -> None:
            forms = [r for r in replies if r.form is not None]
            for reply in forms[:1]:  # the button opens the form as a modal...
                assert reply.form is not None
                channel = container.get("channel_id")
                view = modal_of(reply, reply.form, channel)
                await client.views_open(trigger_id=body["trigger_id"], view=view)
            # ...and the message shows where things are, with a button to open it again
            # (the modal may be closed without an answer)
            if container.get("type") == "view":  # a button on the App Home tab: the DM
                for reply in replies:
                    for message in self._messages(reply, share=False):
                        await client.chat_postMessage(channel=dm or body["user"]["id"], **message)
                return
            ephemeral = bool(container.get("is_ephemeral"))
            for reply in replies:
                for n, message in enumerate(self._messages(reply, share=ephemeral)):
                    await respond(replace_original=n == 0, **message)

        event = event_from_action(body)
        dm = await self._direct_channel(client, body) if container.get("type") == "view" else None
        if dm is not None:  # the person's own Home tab: answered in their DM, as if there
            where = event.user.rsplit(":", 1)[0]  # slack:<team>
            event = replace(event, conversation=f"{where}:{dm}", private=True)
        event = await self.people.with_people(event, client)
        await self._answer_patiently(event, send)

    async def _direct_channel(self, client: AsyncWebClient, body: Json) -> str | None:
        """The person's DM with the app, for a button on their Home tab (its payload has
        no channel): None when Slack does not say."""
        if (body.get("view") or {}).get("type") != "home":
            return None
        try:
            opened = await client.conversations_open(users=body["user"]["id"])
        except SlackApiError as error:
            log.warning(
                "slack: no DM for a Home tab button (%s)", quoted(str(error.response.get("error")))
            )
            return None
        channel = (opened.get("channel") or {}).get("id")
        return channel if isinstance(channel, str) and channel.startswith("D") else None

    async def on_share(self, ack: Any, body: Json, respond: Any) -> None:
        await ack()

        async def send(replies: list[Reply]) -> None:
            for reply in replies:
                if not reply.shareable:  # a flow's question that follows it, say: not shared
                    continue
                shared = Reply(blocks=reply.blocks)  # the answer without its buttons
                for message in messages_of(shared):
                    message["blocks"].append(
                        {
                            "type": "context",
                            "elements": [
                                {
                                    "type": "mrkdwn",
                                    "text": phrase(
                                        "slack/shared_by.j2", who=f"<@{body['user']['id']}>"
                                    ),
                                }
                            ],
                        }
                    )
                    await respond(
                        response_type="in_channel",
                        replace_original=False,
                        delete_original=True,
                        **message,
                    )

        await self._answer_patiently(event_from_action(body), send)

    async def _answer_later(
        self, handling: asyncio.Future[list[Reply]], context: Any, user: str
    ) -> None:
        """A command's answer, once it is ready, by its response_url; a person's answers
        in the order of their commands (each waits for the one before to be posted)."""
        async with self._turns.setdefault(user, asyncio.Lock()):
            await self._post_later(handling, context)

    async def _post_later(self, handling: asyncio.Future[list[Reply]], context: Any) -> None:
        try:
            replies = await handling
        except Busy:
            replies = [compose("busy.j2")]
        for reply in replies:
            for message in self._messages(reply, share=True):
                await context.respond(response_type="ephemeral", replace_original=False, **message)

    async def _unless_replayed(self, key: str | None, event: Event) -> list[Reply]:
        """A slash command's replies, unless the very request was handled before (a
        replay of its signed body: nothing again)."""
        if key is not None and not await patiently(lambda: self.first_time(key)):
            log.warning("slack request=command ignored: a replay of one handled")
            return []
        return await self._patient(event)

    async def _with_people_then(
        self, event: Event, client: AsyncWebClient, key: str | None
    ) -> list[Reply]:
        event = await self.people.with_people(event, client, event.text)
        return await self._unless_replayed(key, event)

    async def _patient(self, event: Event, seconds: float = BUSY_PATIENCE) -> list[Reply]:
        """The core's replies, waiting (a while) for a database another process holds."""
        return await patiently(lambda: self.handle(event), seconds=seconds)

    async def _answer_patiently(
        self, event: Event, send: Callable[[list[Reply]], Awaitable[None]]
    ) -> None:
        """For a button (Slack never sends one again): answered once the database is
        free, within Slack's three seconds, or told plainly that nothing was done."""

        async def handle(event: Event) -> list[Reply]:  # Slack waits 3 s for the answer
            return await self._patient(event, seconds=ACK_WITHIN)

        try:
            await answer(handle, self.settle, event, send)
        except Busy:
            await send([compose("busy.j2")])

    async def on_form(self, ack: Any, body: Json, client: AsyncWebClient) -> None:
        """A submitted form: refused fields are shown in the modal, which stays open with
        what was typed; otherwise the modal closes and the answer comes in the DM."""
        started = time.monotonic()
        # who the picked people are comes from Slack itself, never from the payload
        event = await self.people.with_people(
            event_from_view(body), client, picked=picked_users(body)
        )
        left = max(0.5, ACK_WITHIN - (time.monotonic() - started))  # of Slack's 3 s

        async def send(replies: list[Reply]) -> None:
            refused = replies[0].form if replies and replies[0].form else None
            errors = {f.name: f.error for f in refused.fields if f.error} if refused else {}
            if errors:
                await ack(response_action="errors", errors=errors)
                return
            await ack()
            # To the person's own DM with the bot (a user id as the channel), which is
            # where the modal was opened from, or at least where the bot may post.
            for reply in replies:
                for message in self._messages(reply, share=False):
                    await client.chat_postMessage(channel=body["user"]["id"], **message)

        async def handle(event: Event) -> list[Reply]:  # within Slack's three seconds
            return await patiently(lambda: self.handle(event), seconds=left)

        try:
            await answer(handle, self.settle, event, send)
        except Busy:  # the modal stays open with what was typed, saying why
            fields = list(((body.get("view") or {}).get("state") or {}).get("values") or {})
            busy = " ".join(compose("busy.j2").plain_text().split())[:150]
            await ack(response_action="errors", errors={fields[0]: busy} if fields else {})

    async def send_direct(self, user: str, replies: list[Reply], tag: int | None = None) -> None:
        """A direct message to `user` (slack:<team>:<user id>) from the app, carrying
        `tag` (its outbox id) in its metadata. Raises SlowDown on a 429 (with its
        Retry-After), Unreachable when the person cannot be messaged, Refused when Slack
        answered that it did not take it; any other failure (a timeout, a broken
        connection, a server error) leaves it unknown whether it arrived (see arrived)."""
        channel = user_id(user)
        messages = [m for reply in replies for m in self._messages(reply, share=False)]
        metadata = {} if tag is None else {"event_type": OUTBOX_EVENT, "event_payload": {"id": tag}}
        try:
            await self.app.client.chat_postMessage(
                channel=channel, **messages[0], **({"metadata": metadata} if metadata else {})
            )
        except SlackApiError as error:
            response = error.response
            if response.status_code == 429:
                raise SlowDown(float(response.headers.get("Retry-After", 1))) from error
            code = str(response.get("error"))
            if code in UNREACHABLE_ERRORS:
                raise Unreachable(user, phrase(UNREACHABLE_ERRORS[code])) from error
            if response.status_code < 500:
                raise Refused(code) from error
            raise
        # The first part is out: the rest are sent here, waiting as Slack asks, and never
        # by sending the whole message again (which would repeat the first part).
        for message in messages[1:]:
            for attempt in range(PART_TRIES):
                try:
                    await self.app.client.chat_postMessage(channel=channel, **message)
                    break
                except SlackApiError as error:
                    wait = float(error.response.headers.get("Retry-After", 2**attempt))
                    log.warning(
                        "slack: part of a message not sent (%s)", error.response.get("error")
                    )
                    await asyncio.sleep(min(wait, 30.0))
            else:
                log.error("slack: gave up on part of a direct message to %s", user)
        if self.home is not None:  # what it brought shows on their Home tab too
            self._soon(self._published_home(user))

    async def arrived(self, user: str, tag: int, since: str) -> bool:
        """Whether the direct message to `user` tagged `tag` (see send_direct) is in
        their conversation with the app, posted since `since` (an ISO time, less a
        minute for clocks that differ)."""
        client = self.app.client
        oldest = f"{datetime.fromisoformat(since).timestamp() - 60:.6f}"
        cursor = None
        try:
            opened = await client.conversations_open(users=user_id(user))
            channel = opened["channel"]["id"]
        except SlackApiError as error:
            if error.response.status_code == 429:  # asked to wait: looked for later
                raise SlowDown(float(error.response.headers.get("Retry-After", 1))) from error
            if error.response.status_code < 500:  # refused (a missing scope, say)
                raise Refused(str(error.response.get("error"))) from error
            raise
        while True:
            page = await client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
            )
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                if (
                    metadata.get("event_type") == OUTBOX_EVENT
                    and (metadata.get("event_payload") or {}).get("id") == tag
                ):
                    return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False

    async def on_message(
        self, body: Json, event: Json, client: AsyncWebClient, context: Any
    ) -> None:
        if event.get("channel_type") != "im" or not is_person_message(event):
            return
        await self._post(body, client, retried=bool(context.get(RETRIED)), channel=event["channel"])

    async def on_mention(self, body: Json, event: Json, client: AsyncWebClient) -> None:
        if not is_person_message(event):
            return
        thread = event.get("thread_ts") or event["ts"]
        await self._post(body, client, channel=event["channel"], thread_ts=thread)

    async def _post(
        self, body: Json, client: AsyncWebClient, *, retried: bool = False, **where: str
    ) -> None:
        """Answer a message event with chat.postMessage; when that fails, the event
        answers 500 and Slack's retry gets the same replies (see adapters.delivery). In
        a DM the reply carries the event's id in its metadata, and a retry whose earlier
        attempt ended in doubt (a crash, a dropped connection) looks for it first."""
        event_id = str(body.get("event_id") or "")
        direct = "thread_ts" not in where and bool(event_id)

        async def send(replies: list[Reply]) -> None:
            messages = [m for reply in replies for m in self._messages(reply, share=False)]
            there = (
                await self._replied(client, body, event_id)
                if messages and retried and direct
                else set()
            )
            if there:
                log.info("slack: %d part(s) of a retried event's reply had arrived", len(there))
            for part, message in enumerate(messages):
                if part in there:
                    continue  # each part once: only those that never arrived are sent
                tag = {
                    "event_type": REPLY_EVENT,
                    "event_payload": {"event": event_id, "part": part},
                }
                await client.chat_postMessage(
                    **where, **message, **({"metadata": tag} if direct else {})
                )

        event = event_from_message(body)
        bots = {a.get("user_id") for a in body.get("authorizations") or [] if isinstance(a, dict)}
        raw = str(body["event"].get("text") or "")
        event = await self.people.with_people(
            event,
            client,
            MENTIONED.sub(lambda m: " " if m.group(1) in bots else m.group(0), raw).strip(),
        )
        await answer(self.handle, self.settle, event, send)

    async def _replied(self, client: AsyncWebClient, body: Json, event_id: str) -> set[int]:
        """The parts of the reply to `event_id` in the event's DM already, since it."""
        event = body.get("event") or {}
        try:
            page = await client.conversations_history(
                channel=event["channel"], oldest=str(event.get("ts") or "0"),
                include_all_metadata=True, limit=200,
            )  # fmt: skip
        except SlackApiError as error:  # not to be looked for: sent again rather than never
            log.warning(
                "slack: a reply not looked for (%s)", quoted(str(error.response.get("error")))
            )
            return set()
        found = set()
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == REPLY_EVENT and payload.get("event") == event_id:
                found.add(payload.get("part", 0))
        return found

    async def on_home(self, body: Json, event: Json, client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home" or self.home is None:
            return
        who = identity(body.get("team_id"), event["user"])
        await client.views_publish(user_id=event["user"], view=home_view(await self.home(who)))

    # ---- the Home tab, brought up to date -------------------------------------------

    def _then_home(self, handle: Handle) -> Handle:
        """`handle`, then (in the background) the speaker's Home tab published again when
        their turn changed something."""

        async def handled(event: Event) -> list[Reply]:
            replies = await handle(event)
            if self.homes_changed is not None:
                self._soon(self._refresh(event.user))
            return replies

        return handled

    def _soon(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._later.add(task)  # kept until done (the loop holds tasks weakly)
        task.add_done_callback(self._later.discard)

    async def _refresh(self, user: str, *, but: str = "") -> None:
        """The Home tabs of `user` and of others whose homes changed, published again
        (`but` that person's: theirs is published already)."""
        assert self.homes_changed is not None
        try:
            changed = await self.homes_changed(user)
        except Exception as error:  # the tabs stay as they were; the turn itself is done
            log.warning("slack: the Home tab not brought up to date: %s", type(error).__name__)
            return
        for who, page in changed:
            if who == but:
                continue
            try:
                await self._publish(who, page)
            except Exception as error:  # each person's tab on its own: the rest go on
                log.warning("slack: a Home tab not brought up to date: %s", type(error).__name__)
                if self.home_not_shown is not None:
                    await self.home_not_shown(who)

    async def _publish(self, user: str, page: Page) -> None:
        await self.app.client.views_publish(user_id=user_id(user), view=home_view(page))

    async def _published_home(self, user: str) -> None:
        """After a direct message to `user`: their Home tab shows what it brought."""
        assert self.home is not None
        try:
            await self._publish(user, await self.home(user))
        except Exception as error:  # the message is delivered whatever the tab shows
            log.warning("slack: the Home tab not brought up to date: %s", type(error).__name__)
        if self.homes_changed is not None:  # others' too (a request closed on time)
            await self._refresh(user, but=user)


def socket_mode(adapter: SlackAdapter, app_token: str) -> AsyncSocketModeHandler:
    """Slack Socket Mode for `adapter`: no public URL needed."""
    return AsyncSocketModeHandler(adapter.app, app_token, logger=log)
