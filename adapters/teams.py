"""Microsoft Teams: converters between Bot Framework activities and the core, and one
handler on botbuilder's CloudAdapter.

The Bot Framework SDK for Python is archived upstream, so botbuilder is kept at the
edge: the converters work on plain JSON (dicts), and only `TeamsAdapter` touches the
SDK (authentication, the connector client, proactive messages). Moving to Microsoft's
successor SDK should change that class alone.

Replies become Adaptive Cards where cards help (framework text, side-by-side columns,
choices as buttons) and plain text where they do not. All text is plain: in cards it
is escaped for Adaptive Cards' markdown, and text messages are sent as `plain`, so
nothing a person typed can become a link, a mention or formatting, and the card JSON is
always built by `json`, never by pasting strings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests  # what botbuilder fetches the channel's signing keys with
from aiohttp import web
from botbuilder.core import BotAdapter, InvokeResponse, TurnContext
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
from adapters.worker import Run, inline
from bot.render import compose
from bot.settings import is_loopback
from bot.storage import Busy, Store
from bot.types import Block, Choice, Event, Field, Form, Person, Reply

log = logging.getLogger("behaviourbot.teams")

Json = dict[str, Any]

CARD_VERSION = "1.4"  # Action.Execute needs 1.4; Teams renders 1.4 on every client
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_ACTIONS = 6  # Teams shows at most six buttons on a card; more become a drop-down
MAX_CARD_CHARS = 24_000  # Teams refuses messages over about 28 KB; keep a margin
VERB = "behaviour"  # the Action.Execute verb of every choice
CHOICE_INPUT = "choice"  # the id of the drop-down when the choices are many


# ---- from the core to Teams ------------------------------------------------------

_EMPHASIS = re.compile(r"([\\*_])")
_LINK = re.compile(r"\]\(")
_LIST_START = re.compile(r"^(\s*)(-|\d+\.)(\s)", re.M)


_CODE = re.compile(r"`([^`\n]+)`")
_FUNCTION = re.compile(r"\{(?=\{)")  # {{DATE(…)}} and {{TIME(…)}} start so


def literal(text: str) -> str:
    """Text that Teams shows as it is, not as a date: it replaces {{DATE(…)}} and
    {{TIME(…)}} in card text with the reader's local date or time (the renderers match
    the two braces together), so an invisible zero-width space goes between them."""
    return _FUNCTION.sub("{\u200b", text)


def escape(text: str) -> str:
    """Plain text for an Adaptive Card TextBlock. Its markdown knows emphasis (escaped
    with a backslash, which Teams shows as nothing), links and lists (broken with an
    invisible zero-width space, as a backslash there would show); a single line break
    would be joined to the line before, so it becomes a paragraph break. Date and time
    functions are broken too (see `literal`)."""
    text = literal(text)
    text = _EMPHASIS.sub(r"\\\1", text)
    text = _LINK.sub("]\u200b(", text)
    text = _LIST_START.sub(lambda m: f"{m.group(1)}{m.group(2)}\u200b{m.group(3)}", text)
    text = _CODE.sub(r"**\1**", text)  # cards show backticks as they are: bold instead
    return re.sub(r"(?<!\n)\n(?!\n)", "\n\n", text)


def _text_block(text: str, **style: Any) -> Json:
    return {"type": "TextBlock", "text": escape(text), "wrap": True, **style}


def elements_of(block: Block) -> list[Json]:
    """Adaptive Card elements for one block."""
    if block.kind == "title":
        return [_text_block(block.text, size="Large", weight="Bolder")]
    if block.kind == "note":
        return [_text_block(block.text, size="Small", isSubtle=True)]
    if block.kind == "heading":
        return [_text_block(block.text, weight="Bolder", spacing="Medium")]
    if block.kind == "paragraph":
        return [_text_block(block.text)]
    if block.kind == "quote":  # framework text, verbatim: set apart
        return [{"type": "Container", "style": "emphasis", "items": [_text_block(block.text)]}]
    if block.kind == "bullets":
        return [_text_block("\u2022 " + item, spacing="Small") for item in block.items]
    if block.kind == "columns":
        return [
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            _text_block(column.heading, weight="Bolder"),
                            _text_block(column.text),
                        ],
                    }
                    for column in block.columns
                ],
            }
        ]
    raise ValueError(f"unknown block kind {block.kind!r}")


def choice_elements(reply: Reply) -> tuple[list[Json], list[Json]]:
    """(body elements, actions) for the reply's choices: buttons, or a drop-down and one
    button when there are more than Teams shows."""
    if not reply.choices:
        return [], []
    if len(reply.choices) <= MAX_ACTIONS:
        actions = [
            {
                "type": "Action.Execute",
                "title": literal(choice.label),
                "verb": VERB,
                "data": {"command": choice.command},
            }
            for choice in reply.choices
        ]
        return [], actions
    select = {
        "type": "Input.ChoiceSet",
        "id": CHOICE_INPUT,
        "style": "compact",
        "label": "Choose one",
        "placeholder": "Choose one",
        "isRequired": True,
        "errorMessage": "Choose one first",
        "choices": [{"title": literal(c.label), "value": c.command} for c in reply.choices],
    }
    show = {"type": "Action.Execute", "title": "Show", "verb": VERB, "data": {}}
    return [select], [show]


MAX_INPUT = 3000  # characters in a form's text input (the core's limit for a field)


def form_elements(form: Form) -> tuple[list[Json], list[Json]]:
    """(body elements, actions) for a form: a multi-line input per field, with its
    error above it, and a button that submits them all with the form's command."""
    body: list[Json] = []
    for field in form.fields:
        if field.error:
            body.append(_text_block(field.error, color="Attention", spacing="Medium"))
        body += _input(field)
    submit = {
        "type": "Action.Execute",
        "title": form.submit_label,
        "verb": VERB,
        "data": {"command": form.submit},
        "style": "positive",
    }
    return body, [submit]


NO_COLLEAGUES = (
    "I found nobody to choose from: I can offer the people of the teams and group chats "
    "that you and I are both in. Add me to one of yours, then choose again."
)


def _input(field: Field) -> list[Json]:
    """The card input of one form field: multi-line text; one choice of a few, as
    radio buttons; or people (the options the adapter filled in from the rosters), as a
    drop-down to tick several in. Their values: text, the option's command, commands
    separated by commas."""
    if field.kind == "text":
        return [
            {
                "type": "Input.Text",
                "id": field.name,
                "label": field.label,
                "isMultiline": True,
                "isRequired": False,
                "maxLength": MAX_INPUT,
                "placeholder": field.hint,
                "value": field.value,
            }
        ]
    if field.kind == "date":
        date_input: Json = {"type": "Input.Date", "id": field.name, "label": field.label}
        if re.match(r"^\d{4}-\d{2}-\d{2}$", field.value):
            date_input["value"] = field.value
        return [date_input]
    if field.kind == "people" and not field.options:  # nobody, or the rosters failed
        return [_text_block(field.label, weight="Bolder")] + (
            [] if field.error else [_text_block(NO_COLLEAGUES)]
        )
    # people: identities, any of several; a choice: one option's command, spaces and all
    chosen = [v for v in re.split(r"[\s,]+", field.value) if v] if field.kind == "people" else []
    chosen = chosen or ([field.value] if field.value else [])
    element: Json = {
        "type": "Input.ChoiceSet",
        "id": field.name,
        "label": field.label,
        "style": "expanded" if field.kind == "choice" else "compact",
        "isRequired": False,
        "choices": [{"title": literal(o.label), "value": o.command} for o in field.options],
        "value": ",".join(chosen),
    }
    if field.kind == "people":
        element["isMultiSelect"] = field.most != 1
        element["placeholder"] = field.hint or "Choose"
    return [element]


def card(elements: list[Json], actions: list[Json] | None = None) -> Json:
    content: Json = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": elements,
    }
    if actions:
        content["actions"] = actions
    return content


def cards_of(reply: Reply) -> list[Json]:
    """One or more cards for a reply, each under Teams' message size; the choices go
    with the last. Nothing is cut: a reply too long for one card becomes several."""
    choice_body, actions = choice_elements(reply)
    if reply.form is not None:  # the inputs and their button go first, in the last card
        form_body, submit = form_elements(reply.form)
        choice_body, actions = form_body + choice_body, submit + actions
    elements = [e for block in reply.blocks for e in elements_of(block)]
    chunks: list[list[Json]] = [[]]
    size = 0
    for element in elements:
        element_size = len(json.dumps(element))
        if chunks[-1] and size + element_size > MAX_CARD_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(element)
        size += element_size
    chunks[-1].extend(choice_body)
    return [
        card(chunk, actions if i == len(chunks) - 1 else None) for i, chunk in enumerate(chunks)
    ]


def wants_card(reply: Reply) -> bool:
    """Framework text, columns and choices are cards; a sentence or two is plain text."""
    return (
        bool(reply.choices)
        or reply.form is not None
        or any(b.kind in ("quote", "bullets", "columns") for b in reply.blocks)
    )


def activities_of(reply: Reply) -> list[Json]:
    """The message activities (as JSON) for a reply."""
    if not wants_card(reply):
        return [{"type": "message", "text": literal(reply.plain_text()), "textFormat": "plain"}]
    summary = reply.title or "behaviourbot"
    return [
        {
            "type": "message",
            "summary": summary,
            "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": content}],
        }
        for content in cards_of(reply)
    ]


def card_for_update(reply: Reply) -> Json:
    """The card that replaces the one whose button was pressed (always a card)."""
    return cards_of(reply)[0]


# ---- from Teams to the core --------------------------------------------------------


def tenant_of(activity: Json) -> str:
    channel_data = activity.get("channelData") or {}
    tenant = (channel_data.get("tenant") or {}).get("id")
    return tenant or (activity.get("conversation") or {}).get("tenantId") or "none"


def identity(activity: Json, account: Json) -> str:
    """teams:<tenant>:<Entra object id>, the same person in every chat and team; the
    Teams user id when the object id is missing (a guest or the Bot Framework Emulator)."""
    person = account.get("aadObjectId") or account.get("id") or "unknown"
    return f"teams:{tenant_of(activity)}:{person}"


def conversation_of(activity: Json) -> str:
    return f"teams:{tenant_of(activity)}:{(activity.get('conversation') or {}).get('id')}"


_MENTION = re.compile(r"<at>[^<]*</at>")  # no nested markup: linear on any input


def text_without_mention(activity: Json) -> str:
    """The message text without @mentions: the bot's (how channels and group chats
    address it) and anyone else's, which are not part of a command. Teams marks a
    mention as `<at>name</at>` in the text, with an entity naming who."""
    text = activity.get("text") or ""
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "mention":
            mention = entity.get("text")
            if isinstance(mention, str) and mention:
                text = text.replace(mention, " ")
    text = _MENTION.sub(" ", text)  # markup sent without its entity
    return " ".join(text.replace("\u00a0", " ").split())


def button_data(value: Any) -> Json | None:
    """What a card's button sent: Action.Execute's `data` (inside an adaptiveCard/action
    invoke's `action`), or Action.Submit's and messageBack's `value`, with the card's
    inputs merged in; None when it is not an object."""
    if isinstance(value, dict) and isinstance(value.get("action"), dict):
        value = value["action"].get("data") or {}
    return value if isinstance(value, dict) else None


def command_of(value: Any) -> str | None:
    """The command a button carries; the drop-down's choice when the button is "Show"."""
    data = button_data(value)
    command = data.get("command") or data.get(CHOICE_INPUT) if data else None
    return command if isinstance(command, str) and command.strip() else None


def fields_of(value: Any) -> dict[str, str] | None:
    """A submitted form's values: the card's text inputs, sent with the button's data."""
    data = button_data(value) or {}
    fields = {
        k: v for k, v in data.items() if k not in ("command", CHOICE_INPUT) and isinstance(v, str)
    }
    return fields or None


def people_in(fields: dict[str, str] | None) -> list[str]:
    """The Teams identities among a submitted form's values (a people field's value is
    identities separated by commas), once each."""
    found = [
        token
        for value in (fields or {}).values()
        for token in re.split(r"[\s,]+", value)
        if token.startswith("teams:")
    ]
    return list(dict.fromkeys(found))


def event_from_activity(activity: Json) -> Event | None:
    """A person's message or button press as an Event; None for anything else."""
    kind = activity.get("type")
    account = activity.get("from") or {}
    action = None
    if kind == "invoke":
        action = command_of(activity.get("value"))
        if action is None:
            return None
    elif kind == "message":
        if activity.get("value") is not None:
            action = command_of(activity.get("value"))
            if action is None:
                return None
    else:
        return None
    conversation = (activity.get("conversation") or {}).get("id")
    return Event(
        user=identity(activity, account),
        conversation=conversation_of(activity),
        text="" if action is not None else text_without_mention(activity),
        action=action,
        event_id=f"teams-{conversation}-{activity.get('id')}" if activity.get("id") else None,
        buttons=True,
        private=is_personal(activity),
        forms=True,
        fields=fields_of(activity.get("value")) if action is not None else None,
        name=account.get("name") if isinstance(account.get("name"), str) else "",
        tz_name=time_zone_of(activity),
        raw=activity,
    )


def time_zone_of(activity: Json) -> str:
    """The speaker's time zone, as Teams' clientInfo entity names it (an IANA name such
    as America/Los_Angeles), or ""."""
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "clientInfo":
            zone = entity.get("timezone")
            if isinstance(zone, str) and 0 < len(zone) <= 64:
                return zone
    return ""


def is_personal(activity: Json) -> bool:
    """A 1:1 chat between the person and the bot (not a channel or group chat)."""
    conversation = activity.get("conversation") or {}
    return conversation.get("conversationType") == "personal" or (
        not conversation.get("conversationType")
        and not conversation.get("isGroup")
        and not (activity.get("channelData") or {}).get("team")
    )


def is_install(activity: Json) -> bool:
    """The bot was added: to a personal chat, a group chat or a team."""
    kind = activity.get("type")
    if kind == "installationUpdate":
        return activity.get("action") in ("add", "add-upgrade")
    if kind == "conversationUpdate":
        bot_id = (activity.get("recipient") or {}).get("id")
        return any(m.get("id") == bot_id for m in activity.get("membersAdded") or [])
    return False


_ANSWERED = ("message", "invoke", "conversationUpdate", "installationUpdate")

TEAMS_CHANNEL = "msteams"
EMULATOR_CHANNEL = "emulator"  # the Bot Framework Emulator, for local development


_PLAIN = re.compile(r"[\w/.:-]{1,60}")  # message, adaptiveCard/action, msteams


def quoted(value: Any, limit: int = 40) -> str:
    """A request-controlled value as a log line may show it: a short plain word as it
    is; anything else quoted by repr (so a line break is written as \\n and cannot start
    a forged line) and cut to `limit` characters."""
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    if _PLAIN.fullmatch(value):
        return value
    return repr(value[:limit]) + ("..." if len(value) > limit else "")


def channel_problem(activity: Json, *, dev: bool) -> str | None:
    """Why an activity may not act as anyone; None when it comes from Teams. Only Teams
    vouches for who `from` is: on Web Chat and Direct Line the client chooses `from.id`,
    whatever the token, so their activities would let anyone claim a Teams person's id.
    In development mode (no credentials), the Bot Framework Emulator's are taken too."""
    accepted = (TEAMS_CHANNEL, EMULATOR_CHANNEL) if dev else (TEAMS_CHANNEL,)
    if activity.get("channelId") in accepted:
        return None
    return f"channel {quoted(activity.get('channelId'))} is not Microsoft Teams"


# The parts of an activity the adapter reads, and what each must be when it is there
# (null counts as absent): objects (a parent before its children), strings, lists of
# objects, and the strings that become part of an identity (printable, and bounded).
_OBJECTS = ("from", "conversation", "recipient", "value", "channelData")
_OBJECTS_IN_OBJECTS = ("channelData.tenant", "channelData.team")
_STRINGS = (
    "id",
    "name",
    "text",
    "replyToId",
    "locale",
    "channelId",
    "from.id",
    "from.name",
    "from.aadObjectId",
    "recipient.id",
    "conversation.id",
    "conversation.conversationType",
    "conversation.tenantId",
    "channelData.tenant.id",
    "channelData.team.id",
)
_LISTS = ("entities", "membersAdded", "membersRemoved", "attachments")
_IDENTIFIERS = (
    "from.id",
    "from.aadObjectId",
    "conversation.id",
    "conversation.tenantId",
    "channelData.tenant.id",
)
MAX_IDENTIFIER = 1000  # characters; Teams' longest conversation ids are a few hundred


def _field(activity: Json, path: str) -> Any:
    node: Any = activity
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def activity_problem(activity: Any) -> str | None:
    """Why a request body is not an activity the bot can answer; None when it is. A pure
    check of every part the adapter reads, so that what follows can trust their types."""
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        return "not a Bot Framework activity (no type)"
    for path in _OBJECTS + _OBJECTS_IN_OBJECTS:
        if not isinstance(_field(activity, path) or {}, dict):
            return f"the activity's {path} is not an object"
    for path in _STRINGS:
        if not isinstance(_field(activity, path), str | None):
            return f"the activity's {path} is not a string"
    for path in _IDENTIFIERS:
        value = _field(activity, path) or ""
        if len(value) > MAX_IDENTIFIER or not value.isprintable():
            return f"the activity's {path} is not a plain identifier"
    for path in _LISTS:
        items = activity.get(path) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return f"the activity's {path} is not a list of objects"
    if activity["type"] not in _ANSWERED:
        return None  # typing, reactions and the like: acknowledged, nothing to answer
    for path in ("conversation", "from"):
        if not _field(activity, f"{path}.id"):
            return f"the activity has no {path}.id"
    service_url = activity.get("serviceUrl")
    try:
        address = urlsplit(service_url) if isinstance(service_url, str) else None
        valid = bool(address and address.scheme in ("https", "http") and address.hostname)
    except ValueError:
        valid = False
    if not valid:
        return "the activity has no serviceUrl to answer at"
    return None


MAX_DEPTH = 64  # levels of nesting in a request body; Teams' own activities have under 15


def parse_body(raw: bytes) -> tuple[Any, str | None]:
    """A request body's JSON, or why there is none: not UTF-8, not JSON, or nested deeper
    than MAX_DEPTH (which the parser, or code after it, would meet with RecursionError)."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "the body is not UTF-8"
    except ValueError:
        return None, "the body is not JSON"
    except RecursionError:
        return None, f"the body is nested more than {MAX_DEPTH} levels deep"
    if too_deep(body, MAX_DEPTH):
        return None, f"the body is nested more than {MAX_DEPTH} levels deep"
    return body, None


def too_deep(value: Any, most: int) -> bool:
    """Whether lists and objects in `value` nest more than `most` levels (no recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > most:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def _fixed_part(error: Exception) -> str:
    """The start of an error's message, before any value it quotes (botbuilder's and
    jwt's messages put them after a colon: "Invalid AppId passed on token: <id>")."""
    return quoted(str(error).split(":")[0], 60)


# ---- the handler -------------------------------------------------------------------

NOT_CONFIGURED = "teams is not configured on this server"
AUTH_ERRORS = {401: "invalid token", 503: "cannot check tokens now"}

NOTHING_TO_DO = "Nothing to do: choose an option first."
ALREADY_DONE = "Done already."


def _toast(text: str) -> Json:
    """A Universal Actions answer that leaves the card as it is and shows a short note."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


SORRY = "Sorry, something went wrong on my side and it has been logged. Please try again."


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


ROSTER_KEPT = 600.0  # seconds a team's or chat's member list is reused
TURN_PATIENCE = 10.0  # seconds a turn waits for a database another process holds
MAX_PEOPLE_CHOICES = 150  # keeps the picker card well under Teams' message size
ROSTER_FAILED = (
    "I could not fetch the members of your teams and chats just now (Teams did not "
    "answer): try again in a minute."
)


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
        self._rosters: dict[str, tuple[float, list[Json]]] = {}

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
                        "value": {"code": "InternalError", "message": SORRY},
                    }
                    await self._invoke_response(context, 200, error_body)
                else:
                    await context.send_activity(
                        Activity(type="message", text=SORRY, text_format="plain")
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
                await self._invoke_response(context, 200, _toast(NOTHING_TO_DO))
            elif activity.get("type") == "invoke":
                await self._invoke_response(context, 200, None)
            return
        if event.fields:  # who picked people are: from the stored rosters, never the payload
            found = await self.run(self.people, people_in(event.fields))
            event = replace(event, people=tuple(found))
        if activity.get("type") == "invoke":
            answer_with = self._answer_invoke
        else:
            answer_with = self._answer_message

        async def send(replies: list[Reply]) -> None:
            replies = await self.with_colleagues(event.user, replies)
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
            body = _toast(ALREADY_DONE) if activity.get("name") == "adaptiveCard/action" else None
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

    # ---- people: the rosters of the teams and chats the bot is in ------------------

    def people(self, identities: list[str]) -> list[Person]:
        """Who these identities are, from the stored references (the rosters fetched
        for pickers, and everyone who wrote to the bot); unknown ones say so."""
        found = []
        for identity in identities:
            reference = self.store.reference(identity, personal=False) or self.store.reference(
                identity, personal=True
            )
            name = ((reference or {}).get("user") or {}).get("name")
            if reference is None:
                found.append(Person(identity, identity.rsplit(":", 1)[-1], problem="unknown"))
            else:
                found.append(Person(identity, name or "someone"))
        return found

    async def with_colleagues(self, user: str, replies: list[Reply]) -> list[Reply]:
        """Replies whose forms pick people, with the people to pick from filled in."""
        wanted = [r for r in replies if r.form and any(f.kind == "people" for f in r.form.fields)]
        if not wanted:
            return replies
        found, failed = await self.colleagues(user)
        options = tuple(Choice(name, identity) for identity, name in found[:MAX_PEOPLE_CHOICES])
        label = (
            f" (the first {MAX_PEOPLE_CHOICES} of {len(found)}, by name)"
            if len(found) > len(options)
            else ""
        )
        error = ROSTER_FAILED if failed and not options else ""
        filled = []
        for reply in replies:
            if reply in wanted and reply.form is not None:
                fields = tuple(
                    replace(f, options=options, label=f.label + label, error=f.error or error)
                    if f.kind == "people"
                    else f
                    for f in reply.form.fields
                )
                reply = replace(reply, form=replace(reply.form, fields=fields))
            filled.append(reply)
        return filled

    async def colleagues(self, user: str) -> tuple[list[tuple[str, str]], bool]:
        """(identity, name) of the people who share a team or group chat with `user` and
        the bot, by name, and whether a roster could not be fetched; each is kept as
        reachable there, so that a direct message can open a chat with them later."""
        tenant = user.split(":")[1]
        me = user.rsplit(":", 1)[-1]
        found: dict[str, str] = {}
        failed = False
        for reference in await self.run(self.store.shared_conversations, tenant):
            try:
                members = await self._members(reference)
            except Exception as exc:  # one team's roster failing leaves the others
                name = type(exc).__name__
                log.warning("teams: roster unavailable (%s: %s)", name, quoted(str(exc), 200))
                failed = True
                continue
            if not any(me in (m.get("aadObjectId"), m.get("id")) for m in members):
                continue
            bot_id = (reference.get("bot") or {}).get("id")
            chosen = {
                f"teams:{tenant}:{member.get('aadObjectId') or member.get('id')}": member
                for member in members
                if member.get("id") and member.get("id") != bot_id
            }
            chosen.pop(user, None)
            found |= {who: member.get("name") or "someone" for who, member in chosen.items()}
            await self._best_effort(self._keep_members, tenant, reference, chosen)
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

    async def _members(self, reference: Json) -> list[Json]:
        """A team's or chat's members (pagedmembers, every page), kept ten minutes."""
        conversation = reference.get("teamId") or str(reference["conversation"]["id"]).split(";")[0]
        cached = self._rosters.get(conversation)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        members: list[Json] = []

        async def fetch(context: Any) -> None:
            client = context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
            token = None
            while True:
                page = await client.conversations.get_conversation_paged_members(
                    conversation, page_size=500, continuation_token=token
                )
                members.extend(m.serialize() for m in page.members or [])
                token = page.continuation_token
                if not token:
                    break

        await self.adapter.continue_conversation(
            ConversationReference().deserialize(reference), fetch, self.credentials.app_id or ""
        )
        self._rosters[conversation] = (time.monotonic() + ROSTER_KEPT, members)
        return members

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
            raise Unreachable(user, "has never talked to the bot or shared a chat or team with it")
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
                raise Unreachable(user, "Teams refused to open a chat with them") from exc
            raise
