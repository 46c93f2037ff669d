"""Slack: converters between Slack payloads and the core's Event and Reply.

This part renders a Reply as Block Kit messages. All block text from the core is plain
text, so every piece is escaped (`&`, `<`, `>`) before it goes into mrkdwn: nothing a
person typed can become a mention (`<!channel>`, `<@U123>`) or a link. Slack's limits
are kept by splitting, never by silently cutting content: a text object over 3,000
characters becomes several sections, side-by-side fields fall back to stacked sections
when a column is too long for a field, and a reply over 50 blocks becomes several
messages, the choices going with the last one.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type, parse_body
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
from bot.render import compose
from bot.router import wants_people
from bot.storage import Busy
from bot.types import Block, Choice, Event, Field, Form, Person, Reply

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

MAX_TEXT = 3000  # characters in a section's text object
MAX_FIELD = 2000  # characters in one section field
MAX_FIELDS = 10
MAX_BLOCKS = 50  # blocks in one message
MAX_HEADER = 150  # characters in a header block
MAX_BUTTON_TEXT = 75
MAX_BUTTONS = 25  # elements in one actions block
CHOICE_ACTION = "choice"  # action_id prefix of choice buttons
# The message metadata a direct message from the outbox carries: its outbox id, by which
# it is looked for after an attempt whose outcome is unknown.
OUTBOX_EVENT = "behaviourbot_outbox"

Json = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters, so that text can never form a mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line, sentence or word
    boundary where one exists; nothing is dropped."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for pattern in (r"\n\n", r"\n", r"(?<=[.!?])\s", r"\s"):
            found = [m.end() for m in re.finditer(pattern, window) if 0 < m.start() < limit]
            if found:
                cut = found[-1]
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def mrkdwn(text: str) -> Json:
    """A mrkdwn text object that Slack shows as written: `verbatim`, so a URL or a
    channel name someone typed is not made into a link (escaping stops the rest)."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _mrkdwn_sections(text: str) -> list[Json]:
    # Escaping can lengthen text, so split the escaped form.
    return [{"type": "section", "text": mrkdwn(piece)} for piece in split_text(text, MAX_TEXT)]


def _quote(text: str) -> str:
    return "\n".join("&gt; " + line if line else "&gt;" for line in escape(text).split("\n"))


def blocks_of(block: Block) -> list[Json]:
    """The Block Kit blocks for one block of a reply."""
    if block.kind == "title":
        if len(block.text) <= MAX_HEADER:
            return [{"type": "header", "text": {"type": "plain_text", "text": block.text}}]
        return _mrkdwn_sections(f"*{escape(block.text)}*")
    if block.kind == "note":
        return [
            {"type": "context", "elements": [mrkdwn(piece)]}
            for piece in split_text(escape(block.text), MAX_TEXT)
        ]
    if block.kind == "heading":
        return _mrkdwn_sections(f"*{escape(block.text)}*")
    if block.kind == "quote":
        return _mrkdwn_sections(_quote(block.text))
    if block.kind == "bullets":
        return _mrkdwn_sections("\n".join(f"• {escape(item)}" for item in block.items))
    if block.kind == "columns":
        fields = [mrkdwn(f"*{escape(c.heading)}*\n{escape(c.text)}") for c in block.columns]
        if len(fields) <= MAX_FIELDS and all(len(f["text"]) <= MAX_FIELD for f in fields):
            return [{"type": "section", "fields": fields}]
        out: list[Json] = []
        for column in block.columns:
            out += _mrkdwn_sections(f"*{escape(column.heading)}*")
            out += _mrkdwn_sections(escape(column.text))
        return out
    return _mrkdwn_sections(escape(block.text))


def _button_label(label: str) -> str:
    return label if len(label) <= MAX_BUTTON_TEXT else label[: MAX_BUTTON_TEXT - 1] + "…"


def choice_blocks(reply: Reply) -> list[Json]:
    """Buttons for the reply's choices, at most 25 to an actions block; a form that
    cannot open by itself (a modal needs a button press or a slash command) comes first,
    as a button that opens it."""
    choices = list(reply.choices)
    if reply.form is not None:
        choices.insert(0, Choice(reply.form.open_label, reply.form.command))
    buttons = [
        {
            "type": "button",
            "action_id": f"{CHOICE_ACTION}-{n}",
            "text": {"type": "plain_text", "text": _button_label(choice.label)},
            "value": choice.command,
        }
        for n, choice in enumerate(choices, 1)
    ]
    if reply.form is not None:
        buttons[0]["style"] = "primary"
    return [
        {"type": "actions", "elements": buttons[i : i + MAX_BUTTONS]}
        for i in range(0, len(buttons), MAX_BUTTONS)
    ]


def messages_of(reply: Reply, *, extra: list[Json] | None = None) -> list[Json]:
    """One or more chat messages ({"text", "blocks"}) for a reply; `extra` blocks (such as
    a Share button) go after the choices, in the last message."""
    body = [b for block in reply.blocks for b in blocks_of(block)]
    tail = choice_blocks(reply) + (extra or [])
    chunks: list[list[Json]] = []
    for block in body:
        if not chunks or len(chunks[-1]) == MAX_BLOCKS:
            chunks.append([])
        chunks[-1].append(block)
    if not chunks:
        chunks.append([])
    for block in tail:
        if len(chunks[-1]) == MAX_BLOCKS:
            chunks.append([])
        chunks[-1].append(block)
    # the notification's text: escaped like the rest, so a name can never be a mention
    fallback = escape(reply.title or (reply.plain_text()[:150] if reply.blocks else "behaviourbot"))
    return [
        {"text": fallback if i == 0 else f"{fallback} (continued)", "blocks": chunk}
        for i, chunk in enumerate(chunks)
    ]


FORM_CALLBACK = "star-form"
MAX_MODAL_TITLE = 24  # characters in a modal's title and its buttons
MAX_PLACEHOLDER = 150
MAX_INPUT = 3000  # characters in a plain_text_input


def modal_of(reply: Reply, form: Form, channel: str | None) -> Json:
    """A modal for `form`: the reply's text (its title is the modal's), then one
    multi-line input per field. `private_metadata` carries the command to submit with
    and the conversation it belongs to."""

    def plain(text: str, limit: int) -> Json:
        return {
            "type": "plain_text",
            "text": text if len(text) <= limit else text[: limit - 1] + "…",
        }

    blocks = [b for block in reply.blocks if block.kind != "title" for b in blocks_of(block)]
    for field in form.fields:
        element = _input_element(field)
        if field.hint and field.kind not in ("choice", "date"):
            element["placeholder"] = plain(field.hint, MAX_PLACEHOLDER)
        blocks.append(
            {
                "type": "input",
                "block_id": field.name,
                "optional": field.optional,
                "label": plain(field.label, MAX_PLACEHOLDER),
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": plain(form.title, MAX_MODAL_TITLE),
        "submit": plain(form.submit_label, MAX_MODAL_TITLE),
        "close": plain("Cancel", MAX_MODAL_TITLE),
        "private_metadata": json.dumps({"submit": form.submit, "channel": channel}),
        "blocks": blocks,
    }


MAX_OPTION_TEXT = 75  # characters in an option's text
MAX_RADIO = 10  # options in radio buttons; more go in a menu


def _user_id(identity: str) -> str:
    return identity.rsplit(":", 1)[-1]


def _input_element(field: Field) -> Json:
    """The input of one form field: text, one choice of a few, or people of the workspace
    (a user picker). Every element's action_id is "value", where `event_from_view`
    looks for it."""
    if field.kind == "people":
        chosen = [_user_id(i) for i in field.value.split() if i]
        if field.most == 1:
            element: Json = {"type": "users_select", "action_id": "value"}
            if chosen:
                element["initial_user"] = chosen[0]
            return element
        element = {"type": "multi_users_select", "action_id": "value"}
        if field.most:
            element["max_selected_items"] = field.most
        if chosen:
            element["initial_users"] = chosen
        return element
    if field.kind == "date":
        element = {"type": "datepicker", "action_id": "value"}
        if re.match(r"^\d{4}-\d{2}-\d{2}$", field.value):
            element["initial_date"] = field.value
        return element
    if field.kind == "choice":
        options = [
            {
                "text": {"type": "plain_text", "text": _button_label(o.label)[:MAX_OPTION_TEXT]},
                "value": o.command,
            }
            for o in field.options
        ]
        kind = "radio_buttons" if len(options) <= MAX_RADIO else "static_select"
        element = {"type": kind, "action_id": "value", "options": options}
        initial = next((o for o in options if o["value"] == field.value), None)
        if initial is not None:
            element["initial_option"] = initial
        return element
    element = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": MAX_INPUT,
    }
    if field.value:
        element["initial_value"] = field.value
    return element


def _submitted(value: Any, team: str | None) -> tuple[str, list[str]]:
    """(the core's value, the user ids picked) of one input in a view's state."""
    if not isinstance(value, dict):
        return "", []
    if isinstance(value.get("selected_users"), list):
        users = [u for u in value["selected_users"] if isinstance(u, str)]
        return "\n".join(identity(team, u) for u in users), users
    if "selected_user" in value:
        user = value["selected_user"]
        return (identity(team, user), [user]) if isinstance(user, str) else ("", [])
    if "selected_date" in value:
        day = value["selected_date"]
        return (day if isinstance(day, str) else ""), []
    if "selected_option" in value:
        option = value["selected_option"]
        chosen = option.get("value") if isinstance(option, dict) else None
        return (chosen if isinstance(chosen, str) else ""), []
    text = value.get("value")
    return (text if isinstance(text, str) else ""), []


# ---- from Slack to the core, and back ----------------------------------------------

SHARE_ACTION = "share"
COMMAND = "/behaviour"
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_MENTIONED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


_ESCAPED = re.compile(r"<([@#!]?)([^<>|]+)(?:\|([^<>]*))?>")


def unescaped(text: str) -> str:
    """Slack's escaped command text as typed: `<@U1|bob>` as @bob, `<#C1|general>` as
    #general, a link as its label or address."""

    def plain(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil in ("@", "#"):
            return sigil + (label or target)
        return label or ("" if sigil == "!" else target)

    return _ESCAPED.sub(plain, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def identity(team: str | None, user: str) -> str:
    return f"slack:{team or '-'}:{user}"


def is_direct(channel: str | None, channel_name: str | None = None) -> bool:
    """A direct message between the person and the bot: Slack's DM ids start with D."""
    return channel_name == "directmessage" or bool(channel and channel.startswith("D"))


def event_from_command(body: Json) -> Event:
    """A slash command. Slack never retries one (an unanswered command shows the person an
    error instead) and each has its own trigger_id, so it needs no de-duplication."""
    team = body.get("team_id")
    return Event(
        user=identity(team, body["user_id"]),
        conversation=identity(team, body.get("channel_id") or body["user_id"]),
        text=body.get("text") or "",
        buttons=True,
        private=is_direct(body.get("channel_id"), body.get("channel_name")),
        slash=True,
        forms=True,
        raw=body,
    )


def _team_of(body: Json) -> str | None:
    return (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")


def event_from_action(body: Json) -> Event:
    team = _team_of(body)
    action = body["actions"][0]
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return Event(
        user=identity(team, user),
        conversation=identity(team, channel or user),
        action=action.get("value") or "",
        event_id=f"slack-action-{user}-{action.get('action_ts') or body.get('trigger_id')}",
        buttons=True,
        private=is_direct(channel),
        forms=True,
        raw=body,
    )


def event_from_view(body: Json) -> Event:
    """A submitted form (a modal's view_submission): its values by field name. The
    modal was opened from a direct message, whose conversation it belongs to."""
    view = body["view"]
    team = _team_of(body) or view.get("team_id")
    user = body["user"]["id"]
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, TypeError, RecursionError):
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    channel = meta.get("channel") if isinstance(meta.get("channel"), str) else None
    submit = meta.get("submit") if isinstance(meta.get("submit"), str) else ""
    values = (view.get("state") or {}).get("values") or {}
    fields = {}
    for name, inputs in values.items() if isinstance(values, dict) else ():
        value = inputs.get("value") if isinstance(inputs, dict) else None
        fields[str(name)] = _submitted(value, team)[0]
    return Event(
        user=identity(team, user),
        conversation=identity(team, channel if is_direct(channel) else user),
        action=submit,
        fields=fields,
        # Slack does not retry a view_submission; each submission has its own trigger_id,
        # so a corrected form after a refusal is a new event, not a duplicate.
        event_id=f"slack-view-{view.get('id')}-{body.get('trigger_id')}",
        buttons=True,
        private=True,  # a modal is seen by the one person who opened it
        forms=True,
        raw=body,
    )


def picked_users(body: Json) -> list[str]:
    """The user ids picked in a submitted view's user pickers, in order, once each."""
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    picked: list[str] = []
    for inputs in values.values() if isinstance(values, dict) else ():
        value = inputs.get("value") if isinstance(inputs, dict) else None
        picked += _submitted(value, None)[1]
    return list(dict.fromkeys(picked))


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


# Errors of chat.postMessage that mean the person cannot be messaged (not a passing fault).
UNREACHABLE_ERRORS = {
    "user_not_found": "not a user of this workspace",
    "channel_not_found": "not a user of this workspace",
    "account_inactive": "their account is deactivated",
    "user_disabled": "their account is deactivated",
    "cannot_dm_bot": "an app, not a person",
    "messages_tab_disabled": "direct messages to the app are turned off",
    "restricted_action": "the workspace does not allow it",
    "not_allowed_token_type": "the workspace does not allow it",
}
REPLAY_KEY = "behaviourbot_replay_key"  # in bolt's context: a command's signature key
RETRIED = "behaviourbot_retried"  # in bolt's context: Slack's retry of an event
# The message metadata of an event's reply in a DM: the event's id, by which a retry of
# the event finds whether an earlier attempt's reply reached Slack after all.
REPLY_EVENT = "behaviourbot_reply"
ACK_WITHIN = 2.0  # seconds: Slack waits 3 for an answer to a command or a form
LOOKUP_SECONDS = 2.0  # for names of picked people: a modal must be answered in 3 s
PART_TRIES = 5  # tries for each later part of a direct message split in several
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # a person's id; C…, G…, D… are conversations


async def _unknown(team: str, user: str) -> Person:
    return Person(identity(team, user), user, problem="unknown")


def event_from_message(body: Json) -> Event:
    event = body["event"]
    team = body.get("team_id") or event.get("team")
    return Event(
        user=identity(team, event["user"]),
        conversation=identity(team, event["channel"]),
        text=_MENTION.sub(" ", event.get("text") or "").strip(),
        event_id=f"slack-event-{body.get('event_id') or event.get('ts')}",
        buttons=True,
        private=event.get("channel_type") == "im",
        forms=True,
        raw=body,
    )


def request_kind(body: Json) -> str:
    """What a Slack request is, for the log (never its contents)."""
    if "command" in body:
        return "command"
    if body.get("type") == "event_callback":
        event = body.get("event")
        return "event:" + quoted(event.get("type") if isinstance(event, dict) else None)
    return quoted(body.get("type") or "unknown")


MAX_LOGGED = 40  # characters of a value from a request in a log line


def quoted(value: object) -> str:
    """A value a request chose, fit for a log line: quoted and escaped (a newline cannot
    start a line of its own) and at most MAX_LOGGED characters."""
    text = repr(value)
    return text if len(text) <= MAX_LOGGED else text[: MAX_LOGGED - 1] + "…"


SIGNATURE_WINDOW = 5 * 60  # seconds either side of now, as Slack's documentation asks


def signature_problem(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float
) -> str | None:
    """Why a request is not signed by Slack with `secret` (None when it is): Slack's v0
    signature, an HMAC-SHA256 of `v0:<timestamp>:<body>` on the bytes as received,
    compared in constant time, with a timestamp within five minutes of `now`."""
    if not timestamp or not signature:
        return "not signed"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "a timestamp that is not one"
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        return "a timestamp more than five minutes away"
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "a wrong signature"
    return None


def read_payload(raw: bytes, content_type: str | None) -> Json | str:
    """A signed request's payload, read the way slack-bolt reads it; or, as a string, why
    it cannot be read."""
    try:
        body = parse_body(raw.decode("utf-8"), content_type)
    except UnicodeDecodeError:
        return "a body that is not UTF-8"
    except (ValueError, RecursionError):
        return "a body that is not JSON"
    return body if isinstance(body, dict) else "a body that is not a JSON object"


# ---- payloads Slack would never send ------------------------------------------------
# Pure checks of a signed payload, before slack-bolt reads it: its context extraction
# (slack_bolt.request.internals) and our converters take these fields to have the
# types Slack gives them. Each answer is our own text, never the payload's.


def _wrong(obj: Json, key: str, *types: type, required: bool = False) -> bool:
    """`obj[key]` is missing when `required`, or present (not null) with another type."""
    value = obj.get(key)
    return required if value is None else not isinstance(value, types)


def _not_objects(value: Any) -> bool:
    return value is not None and not (
        isinstance(value, list) and all(isinstance(item, dict) for item in value)
    )


_ID_OR_OBJECT = ("enterprise", "team", "user", "channel")
_TEXT = ("type", "team_id", "user_id", "channel_id", "enterprise_id", "response_url")
_NESTED = ("event", "message", "previous_message", "item", "assistant_thread")
_OBJECTS = (*_NESTED, "view", "container")


def _context_problem(obj: Json, depth: int = 0) -> str | None:
    """What bolt's reading of ids, channels and response URLs would trip on."""
    for key in _ID_OR_OBJECT:
        if _wrong(obj, key, str, dict):
            return f"{key} is neither an id nor an object"
    for key in _TEXT:
        if _wrong(obj, key, str):
            return f"{key} is not text"
    for key in _OBJECTS:
        if (
            key in obj
            and not isinstance(obj[key], dict)
            and (obj[key] is not None or key == "event")
        ):
            return f"{key} is not an object"
    for key in ("authorizations", "response_urls"):
        if _not_objects(obj.get(key)):
            return f"{key} is not a list of objects"
    nested = [*(obj.get("authorizations") or [])[:1], *(obj.get(k) for k in _NESTED)]
    for inner in (n for n in nested if isinstance(n, dict)):
        if depth >= 3:
            return "objects nested too deep"
        if problem := _context_problem(inner, depth + 1):
            return problem
    return None


def _person_problem(body: Json) -> str | None:
    user = body.get("user")
    if not isinstance(user, dict) or _wrong(user, "id", str, required=True):
        return "no user"
    if _wrong(user, "team_id", str):
        return "a user whose team is not text"
    for key in ("team", "channel"):
        if _wrong(body, key, dict) or _wrong(body.get(key) or {}, "id", str):
            return f"a {key} that is not an object with an id"
    return None


def _command_problem(body: Json) -> str | None:
    if _wrong(body, "user_id", str, required=True):
        return "a command without a user"
    for key in ("command", "text", "channel_name", "trigger_id"):
        if _wrong(body, key, str):
            return f"a command whose {key} is not text"
    return None


def _action_problem(body: Json) -> str | None:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        return "block actions without an action"
    if _wrong(actions[0], "action_id", str, required=True):
        return "an action without an action id"
    for key in ("value", "block_id", "action_ts"):
        if _wrong(actions[0], key, str):
            return f"an action whose {key} is not text"
    container = body.get("container") or {}
    if _wrong(container, "channel_id", str) or _wrong(container, "type", str):
        return "an action whose container is not one"
    if _wrong(body, "trigger_id", str, required=True):
        return "an action without a trigger id"
    if container.get("type") != "view" and _wrong(body, "response_url", str, required=True):
        return "an action with nowhere to answer"  # only the App Home has no response_url
    return _person_problem(body)


def _view_problem(body: Json) -> str | None:
    view = body.get("view")
    if not isinstance(view, dict) or _wrong(view, "callback_id", str, required=True):
        return "a view payload without its view"
    for key in ("id", "team_id", "private_metadata"):
        if _wrong(view, key, str):
            return f"a view whose {key} is not text"
    if _wrong(view, "state", dict) or _wrong(view.get("state") or {}, "values", dict):
        return "a view whose state is not an object of values"
    if _wrong(body, "trigger_id", str):
        return "a view whose trigger id is not text"
    return _person_problem(body)


_EVENT_NEEDS = {  # event type -> the fields our listeners read, which must be text
    "message": ("channel", "ts"),
    "app_mention": ("channel", "ts", "user"),
    "app_home_opened": ("user",),
}
_EVENT_TEXT = ("user", "text", "ts", "thread_ts", "channel_type", "subtype", "bot_id", "tab")


def _event_problem(body: Json) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict) or _wrong(event, "type", str, required=True):
        return "an event callback without its event"
    if _wrong(body, "event_id", str):
        return "an event id that is not text"
    needs = _EVENT_NEEDS.get(event["type"])
    if needs is None:
        return None  # not ours to read
    for key in needs:
        if _wrong(event, key, str, required=True):
            return f"an event without its {key}"
    for key in _EVENT_TEXT:
        if _wrong(event, key, str):
            return f"an event whose {key} is not text"
    return None


def payload_problem(body: Json) -> str | None:
    """Why a signed payload is not one Slack sends (None when it could be): the fields
    bolt and this adapter read, for commands, block actions, views and the events we
    answer, are there and have Slack's types."""
    if problem := _context_problem(body):
        return problem
    if "command" in body:  # bolt's is_slash_command
        return _command_problem(body)
    kind = body.get("type")
    if kind == "block_actions":
        return _action_problem(body)
    if kind in ("view_submission", "view_closed"):
        return _view_problem(body)
    if kind == "event_callback":
        return _event_problem(body)
    return None


def signature_of(request: web.Request) -> str:
    """A verified request's signature, which stands for its timestamp and body."""
    return request.headers.get("X-Slack-Signature", "").removeprefix("v0=")


def _refused(status: int, reason: str) -> web.Response:
    """A request refused before anything handles it, in one log line; `reason` is
    ours, never the request's."""
    log.warning("slack request refused (%d): %s", status, reason)
    return web.json_response({"error": reason}, status=status)


def is_person_message(event: Json) -> bool:
    """A message a person wrote: not the bot's own, not an edit, join or deletion."""
    return not event.get("bot_id") and not event.get("subtype") and bool(event.get("user"))


def share_block(command: str) -> Json:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION,
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": command[:2000],
            }
        ],
    }


def shareable(reply: Reply) -> list[Json]:
    """A Share button for replies that serve framework text (not questions or errors)."""
    serves = any(b.kind in ("quote", "bullets", "columns") for b in reply.blocks)
    return [share_block(reply.command)] if reply.command and serves else []


async def _remember_nothing(key: str) -> bool:
    return True


async def _ready(replies: list[Reply]) -> list[Reply]:
    return replies


class SlackAdapter:
    """Slack events, commands and interactivity, through one slack-bolt AsyncApp.

    Slash commands are answered in the ack itself (ephemeral, with a Share button);
    buttons answer by replacing the message they are on; direct messages get replies in
    the DM and mentions in a thread; the App Home tab shows the help. Retried deliveries
    carry the same ids, which the core handles once.
    """

    def __init__(
        self,
        handle: Handle,
        *,
        settle: Settle,
        signing_secret: str | None,
        token: str | None,
        api_url: str,
        home: Callable[[], Reply],
        first_time: Callable[[str], Awaitable[bool]] | None = None,  # None: nothing remembered
        at_once: Callable[[Event], list[Reply] | None] | None = None,
    ):
        # The core's calls are awaited: the web process runs them on its worker thread.
        self.handle = handle
        self.settle = settle  # settle(event, delivered=bool): see Bot.settle
        self.home = home
        self.signing_secret = signing_secret
        # first_time(key): False once key was seen (stored)
        self.first_time = first_time or _remember_nothing
        # Bot.answer_at_once: a lookup answered on the event loop from a plain read, which
        # never waits; anything else goes to the core's thread (`handle`)
        self.at_once = at_once
        self._rendered: dict[tuple[int, bool], tuple[Reply, list[Json], str]] = {}
        self._people: dict[tuple[str, str], tuple[float, Person]] = {}  # users.info, 1 hour
        self._later: set[asyncio.Future[None]] = set()  # answers that follow their ack
        self._pending: Counter[str] = Counter()  # each person's commands with the core
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
        if problem := payload_problem(body):
            return _refused(400, f"{problem} (request={request_kind(body)})")
        # A signed request sent again as it was: handled once. Slack's own retries of an
        # event say so (and the core handles each event id once); nothing else is resent.
        retry = body.get("type") == "event_callback" and "X-Slack-Retry-Num" in request.headers
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
        bolt_request = AsyncBoltRequest(
            body=raw.decode("utf-8"), query=request.query_string, headers=headers, context=context
        )
        response = await self.app.async_dispatch(bolt_request)
        log.info(
            "slack request=%s status=%d retry=%s ms=%.1f",
            request_kind(body),
            response.status,
            quoted(request.headers.get("X-Slack-Retry-Num", "0")),
            (time.perf_counter() - started) * 1000,
        )
        return await to_aiohttp_response(response)

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
        team, me = event.user.split(":")[1], _user_id(event.user)
        mentioned = [m for m in _MENTIONED.findall(text) if m != me] if personal else []
        found = await self.people(client, team, [me, *mentioned, *picked])
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
            plain = _MENTIONED.sub(lambda m: "@" + named.get(m.group(1), "someone"), text)
            event = replace(event, text=plain, people=(*event.people, *others))
        return event

    async def on_command(self, ack: Any, body: Json, context: Any, client: AsyncWebClient) -> None:
        event = event_from_command(body)
        key = context.get(REPLAY_KEY)
        quick = None
        if wants_people(event.text):  # the people looked up within the same 2 s
            handling = asyncio.ensure_future(self._with_people_then(event, client, key))
        else:  # the command escapes mentions, channels and links: plain text for the rest
            event = replace(event, text=unescaped(event.text))
            # a lookup (public text, nothing changed) is answered at once; a replay of
            # one shows nothing of anyone's, so only what goes further is checked
            # (not while an earlier command of theirs is still with the core: it may
            # change what this one answers, and answers keep the order asked in)
            at_once = self.at_once if not self._pending[event.user] else None
            quick = at_once(event) if at_once is not None else None
            handling = asyncio.ensure_future(
                _ready(quick) if quick is not None else self._unless_replayed(key, event)
            )
        if quick is None:
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
        replies = handling.result()
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
                        await client.chat_postMessage(channel=body["user"]["id"], **message)
                return
            ephemeral = bool(container.get("is_ephemeral"))
            for reply in replies:
                for n, message in enumerate(self._messages(reply, share=ephemeral)):
                    await respond(replace_original=n == 0, **message)

        event = await self.with_people(event_from_action(body), client)
        await self._answer_patiently(event, send)

    async def on_share(self, ack: Any, body: Json, respond: Any) -> None:
        await ack()

        async def send(replies: list[Reply]) -> None:
            for reply in replies:
                shared = Reply(blocks=reply.blocks)  # the answer without its buttons
                for message in messages_of(shared):
                    message["blocks"].append(
                        {
                            "type": "context",
                            "elements": [
                                {"type": "mrkdwn", "text": f"Shared by <@{body['user']['id']}>"}
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
        event = await self.with_people(event, client, event.text)
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
        event = await self.with_people(event_from_view(body), client, picked=picked_users(body))
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

    async def people(self, client: AsyncWebClient, team: str, users: list[str]) -> list[Person]:
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

    async def send_direct(self, user: str, replies: list[Reply], tag: int | None = None) -> None:
        """A direct message to `user` (slack:<team>:<user id>) from the app, carrying
        `tag` (its outbox id) in its metadata. Raises SlowDown on a 429 (with its
        Retry-After), Unreachable when the person cannot be messaged, Refused when Slack
        answered that it did not take it; any other failure (a timeout, a broken
        connection, a server error) leaves it unknown whether it arrived (see arrived)."""
        channel = _user_id(user)
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
                raise Unreachable(user, UNREACHABLE_ERRORS[code]) from error
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

    async def arrived(self, user: str, tag: int, since: str) -> bool:
        """Whether the direct message to `user` tagged `tag` (see send_direct) is in
        their conversation with the app, posted since `since` (an ISO time, less a
        minute for clocks that differ)."""
        client = self.app.client
        oldest = f"{datetime.fromisoformat(since).timestamp() - 60:.6f}"
        cursor = None
        try:
            opened = await client.conversations_open(users=_user_id(user))
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
        event = await self.with_people(
            event,
            client,
            _MENTIONED.sub(lambda m: " " if m.group(1) in bots else m.group(0), raw).strip(),
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

    async def on_home(self, event: Json, client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        (message,) = messages_of(self.home())[:1]
        blocks = message["blocks"][:100]  # a Home tab view holds up to 100 blocks
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": blocks})


def socket_mode(adapter: SlackAdapter, app_token: str) -> AsyncSocketModeHandler:
    """Slack Socket Mode for `adapter`: no public URL needed."""
    return AsyncSocketModeHandler(adapter.app, app_token, logger=log)


def manifest(*, url: str | None) -> Json:
    """A Slack app manifest: HTTP mode with `url`, Socket Mode without. The slash
    command's description and usage hint are made from the command registry."""
    from bot import commands

    events_url = url.rstrip("/") + "/slack/events" if url else None
    jobs = list(dict.fromkeys(c.job for c in commands.for_platform("slack")))
    hint = compose("commands/usage_hint.j2", examples=commands.usage("slack"))
    command: Json = {
        "command": COMMAND,
        "description": compose("commands/slack_description.j2", jobs=jobs).plain_text(),
        "usage_hint": hint.plain_text(),
        # mentions arrive as <@U123|name>: `/behaviour expectations @bob` names a person
        "should_escape": True,
    }
    events: Json = {"bot_events": ["app_home_opened", "app_mention", "message.im"]}
    interactivity: Json = {"is_enabled": True}
    if events_url:
        command["url"] = events_url
        events["request_url"] = events_url
        interactivity["request_url"] = events_url
    return {
        "display_information": {
            "name": "behaviourbot",
            "description": "Behaviour and competency definitions, from their source frameworks",
            "background_color": "#1d3a5f",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "behaviourbot", "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {
            "scopes": {
                "bot": [
                    "app_mentions:read",
                    "chat:write",
                    "commands",
                    "im:history",
                    "im:read",
                    "im:write",
                    "users:read",
                ]
            }
        },
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": events_url is None,
            "token_rotation_enabled": False,
        },
    }
