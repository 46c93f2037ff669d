"""Slack: checks of a request before anything reads it (its signature, then its payload),
and how a request is named in a log line. Pure functions."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from slack_bolt.request.internals import parse_body

Json = dict[str, Any]


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
    expected = "v0=" + hmac.digest(secret.encode(), base, hashlib.sha256).hex()
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
