"""Microsoft Teams: inbound Bot Framework activities as the core's Event, and the checks
of an activity before anything reads it (pure functions on plain JSON)."""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from adapters.teams.cards import CHOICE_INPUT
from bot.types import Event

log = logging.getLogger("behaviourbot.teams")

Json = dict[str, Any]


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
    mention as `<at>name</at>` in the text, with an entity naming who. Line breaks
    are kept: from the message's HTML copy when `text` runs its paragraphs together
    (its words are still the text's own, never the markup's)."""
    text = activity.get("text") or ""
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "mention":
            mention = entity.get("text")
            if isinstance(mention, str) and mention:
                text = text.replace(mention, " ")
    text = _MENTION.sub(" ", text)  # markup sent without its entity
    lines = html_lines(activity) if "\n" not in text.strip() else None
    same = lines is not None and "".join(lines.split()) == "".join(text.split())
    if same and _word_ends(text) <= _word_ends(lines or ""):  # may part words, never join
        text = lines or ""  # the same words, with the line breaks Teams left out of `text`
    return _tidy(text)


_BLOCKS = frozenset(
    ("blockquote", "div", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "p", "tr")
)
_HIDDEN = frozenset(("at", "script", "style", "template", "title"))


# A tag, or anything between < and > (a comment, a declaration): one pass, never back
# over what was read, so a crafted copy costs what its length does.
_TAG = re.compile(r"<[^<>]*>")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:-]*)")
MAX_HTML = 100_000  # characters of the HTML copy read at all (Teams sends at most 28 KB)


def _html_text(content: str) -> str:
    """The lines of an HTML fragment's text: a line ends at a <br> and at the edge of a
    block (a paragraph, a list item); mentions (<at>) and what is never shown are left out.
    Only text is kept: the markup, its attributes and its links are not read."""
    lines: list[str] = []
    line: list[str] | None = None
    hidden = 0

    def end() -> None:
        nonlocal line
        if line is not None:
            lines.append("".join(line))
        line = None

    def add(data: str) -> None:
        nonlocal line
        data = html.unescape(data)
        if hidden or (line is None and not data.strip(" \t\r\n\f")):
            return  # markup's own white space between blocks is no line
        line = [*(line or []), re.sub(r"[\t\r\n\f]", " ", data)]

    at = 0
    for found in _TAG.finditer(content):
        add(content[at : found.start()])
        at = found.end()
        named = _TAG_NAME.match(found.group(0))
        if named is None:
            continue  # a comment or a declaration: nothing shown
        closing, tag = named.group(1) == "/", named.group(2).casefold()
        if tag in _HIDDEN:
            hidden = max(0, hidden - 1) if closing else hidden + 1
        elif tag == "br":
            line = line or []
            end()
        elif tag in _BLOCKS:
            end()
    add(content[at:])
    end()
    return "\n".join(lines)


def html_lines(activity: Json) -> str | None:
    """The text of the message's text/html attachment (Teams' rich-text copy of what
    was typed), a line per line; None when there is none (or it is too long to be one)."""
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content")
        if attachment.get("contentType") == "text/html" and isinstance(content, str):
            return _html_text(content) if len(content) <= MAX_HTML else None
    return None


def _word_ends(text: str) -> set[int]:
    """Where the words of `text` end, counted in characters that are not white space."""
    ends, count = set(), 0
    for word in text.split():
        count += len(word)
        ends.add(count)
    return ends


def _tidy(text: str) -> str:
    """Spaces collapsed within each line, and blank lines at the ends dropped; the line
    breaks kept (a pasted advert lists its behaviours one a line, an answer has paragraphs)."""
    lines = [" ".join(line.split()) for line in text.replace("\u00a0", " ").splitlines()]
    return "\n".join(lines).strip("\n")


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
    for path in ("timestamp", "localTimestamp"):
        if not _is_time(activity.get(path)):
            return f"the activity's {path} is not a date and time"
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


def _is_time(value: Any) -> bool:
    """Absent, or an ISO 8601 date and time as the Bot Framework sends them."""
    if value is None:
        return True
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


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
