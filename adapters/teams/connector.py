"""The Bot Framework connector (Teams' `serviceUrl`), spoken directly over one aiohttp
session for the whole process.

botbuilder builds a new msrest client, with its own HTTP session and retry settings, for
every turn: about 9 ms of CPU a turn. Here one session (its connections kept per service
URL) and one cached token serve every turn and every proactive message, each call has a
short timeout, and only what cannot have arrived is tried again. Nothing here imports
the SDK: the token comes from a `Tokens` (adapters.teams.sdk in the product).

The REST calls are the Bot Connector API's v3 ones:
https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

Json = dict[str, Any]

# An outgoing call's token, for an audience (the channel's OAuth scope); None in local
# development mode, where no token is asked for or sent.
Tokens = Callable[[str], Awaitable[str | None]]

CHANNEL_SCOPE = "https://api.botframework.com"  # the audience of the bot's calls to Teams
CALL_TIMEOUT = 5.0  # seconds for each call (Teams waits 15 for the whole turn)
RETRY_PAUSE = 0.2  # seconds before the one retry of a call that cannot have arrived
RETRY_AFTER_MOST = 2.0  # a 429's Retry-After is waited for within a turn only up to this
RETRY_AFTER_CAP = 3600.0  # the longest wait a connector's Retry-After can ask for
CONNECTIONS = 64  # open connections at most, over every service URL
MAX_PAGES = 100  # of a roster (500 people each): a connector repeating itself is stopped


class ConnectorError(Exception):
    """The connector answered with an error `status` (or 0: it could not be reached).
    `unsent`: the call certainly did not arrive (refused before it was taken: the
    connection, the token, or an answer of 4xx), so sending it again cannot repeat it."""

    def __init__(
        self, status: int, what: str, retry_after: float | None = None, *, unsent: bool = False
    ):
        super().__init__(f"{what}: HTTP {status}" if status else what)
        self.status = status
        self.retry_after = retry_after
        self.unsent = unsent or 400 <= status < 500


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(max(0.0, seconds), RETRY_AFTER_CAP) if seconds == seconds else None


def conversation_path(conversation_id: str, *rest: str) -> str:
    """v3/conversations/{id}/… with every id escaped whole: Teams' ids hold ':', ';' and
    '@', and a thread's id holds ';messageid=…'."""
    parts = (quote(p, safe="") for p in (conversation_id, *rest))
    # "." and ".." would be read as the path's own steps: their dots are escaped too
    return "v3/conversations/" + "/".join(
        p.replace(".", "%2E") if p in (".", "..") else p for p in parts
    )


class Connector:
    """Calls to Bot Framework connectors. The session is made on first use, on the
    running event loop, and closed by `close`."""

    def __init__(
        self,
        tokens: Tokens,
        *,
        forget: Callable[[str], None] | None = None,
        timeout: float = CALL_TIMEOUT,
    ):
        self.tokens = tokens
        self.forget = forget  # drops a token the connector refused (a 401)
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ConnectorError(0, "the connector client is closed", unsent=True)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=CONNECTIONS),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                json_serialize=json.dumps,
            )
        return self._session

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self, method: str, service_url: str, path: str, audience: str, body: Json | None = None
    ) -> Json:
        """One call; tried again once, shortly, only when it cannot have arrived (the
        connection was refused, the token was refused, or a 429 or 503 asked to wait a
        moment): a reply sent twice is worse than one reported as failed."""
        url = URL(service_url.rstrip("/") + "/" + path, encoded=True)
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        for attempt in (1, 2):
            headers = {"Content-Type": "application/json"} if data is not None else {}
            try:  # MSAL's own HTTP has no time limit: the turn's is kept here
                token = await asyncio.wait_for(self.tokens(audience), self.timeout)
            except Exception as exc:  # no token, so nothing was sent; not tried again
                raise ConnectorError(0, f"no token ({type(exc).__name__})", unsent=True) from exc
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                async with self._open().request(method, url, data=data, headers=headers) as r:
                    if r.status < 300:
                        return _json_object(await r.read())
                    await r.read()
                    error = ConnectorError(r.status, f"{method} {path}", _retry_after(r))
            except aiohttp.ClientConnectorError as exc:  # nothing was sent
                error = ConnectorError(0, f"cannot connect ({type(exc).__name__})", unsent=True)
            except (TimeoutError, aiohttp.ClientError) as exc:  # it may have arrived
                raise ConnectorError(0, f"{method} {path}: {type(exc).__name__}") from exc
            pause = RETRY_PAUSE
            if error.status in (429, 503) and error.retry_after is not None:
                pause = error.retry_after
            elif error.status == 401 and self.forget is not None:
                self.forget(audience)  # expired early, or revoked: the next is fetched anew
                pause = 0.0
            again = error.status in (0, 429, 503) or (error.status == 401 and self.forget)
            if attempt == 2 or not again or pause > RETRY_AFTER_MOST:
                raise error
            await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    # ---- the calls the bot makes ------------------------------------------------------

    async def send(self, activity: Json, audience: str) -> Json:
        """Post `activity` to its conversation: as a reply to `replyToId` when it has
        one, else as a new message."""
        conversation = activity["conversation"]["id"]
        reply_to = activity.get("replyToId")
        path = conversation_path(conversation, "activities", *([reply_to] if reply_to else []))
        return await self.call("POST", activity["serviceUrl"], path, audience, activity)

    async def update(self, activity: Json, audience: str) -> Json:
        path = conversation_path(activity["conversation"]["id"], "activities", activity["id"])
        return await self.call("PUT", activity["serviceUrl"], path, audience, activity)

    async def create_conversation(self, service_url: str, parameters: Json, audience: str) -> Json:
        return await self.call("POST", service_url, "v3/conversations", audience, parameters)

    async def members(self, service_url: str, conversation: str, audience: str) -> list[Json]:
        """Every member of a team or chat (pagedmembers, page after page)."""
        members: list[Json] = []
        token = None
        for _ in range(MAX_PAGES):
            path = conversation_path(conversation, "pagedmembers") + "?pageSize=500"
            if token:
                path += "&continuationToken=" + quote(token, safe="")
            page = await self.call("GET", service_url, path, audience)
            members.extend(m for m in page.get("members") or [] if isinstance(m, dict))
            token = page.get("continuationToken")
            if not token or not isinstance(token, str):
                break
        return members


def _json_object(raw: bytes) -> Json:
    """A connector's answer, as an object: {} for an empty or unreadable one (the call
    was taken all the same: its 2xx says so)."""
    try:
        answer = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def addressed(activity: Json, reference: Json, *, reply: bool) -> Json:
    """`activity` addressed by a conversation reference, as botbuilder's
    TurnContext.apply_conversation_reference does: from the bot to the person, in the
    reference's conversation; a reply to the reference's activity when `reply`."""
    out = {k: v for k, v in activity.items() if v is not None}
    out.setdefault("type", "message")
    out |= {
        "channelId": reference.get("channelId") or "msteams",
        "serviceUrl": reference["serviceUrl"],
        "conversation": reference["conversation"],
        "from": reference.get("bot") or {},
        "recipient": reference.get("user") or {},
    }
    if reference.get("locale"):
        out["locale"] = reference["locale"]
    out.pop("replyToId", None)
    if reply and reference.get("activityId"):
        out["replyToId"] = reference["activityId"]
    return out


def reference_of(activity: Json) -> Json:
    """An incoming activity's conversation reference (botbuilder's
    TurnContext.get_conversation_reference)."""
    return {
        "activityId": activity.get("id"),
        "user": activity.get("from") or {},
        "bot": activity.get("recipient") or {},
        "conversation": activity.get("conversation") or {},
        "channelId": activity.get("channelId") or "msteams",
        "serviceUrl": activity.get("serviceUrl"),
        "locale": activity.get("locale"),
    }
