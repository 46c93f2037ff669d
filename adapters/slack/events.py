"""Slack: inbound payloads (slash commands, button presses, submitted modals, message
events) as the core's Event (pure converters, no I/O)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.types import Event

Json = dict[str, Any]
COMMAND = "/behaviour"
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
MENTIONED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

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


def user_id(identity: str) -> str:
    """The Slack user id in one of our identities (slack:<team>:<user id>)."""
    return identity.rsplit(":", 1)[-1]


def is_direct(channel: str | None, channel_name: str | None = None) -> bool:
    """A direct message between the person and the bot: Slack's DM ids start with D."""
    return channel_name == "directmessage" or bool(channel and channel.startswith("D"))


def event_from_command(body: Json, *, text: str | None = None) -> Event:
    """A slash command, with `text` (when given) in place of the text as sent: the same
    text unescaped, say. Slack never retries one (an unanswered command shows the person
    an error instead) and each has its own trigger_id, so it needs no de-duplication."""
    team = body.get("team_id")
    return Event(
        user=identity(team, body["user_id"]),
        conversation=identity(team, body.get("channel_id") or body["user_id"]),
        text=(body.get("text") or "") if text is None else text,
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


def event_from_message(body: Json) -> Event:
    """A message event (a DM, a mention), its text as typed: mentions of people left
    out (the adapter puts back those a command needs), the rest unescaped as a slash
    command's is (`&amp;` as `&`)."""
    event = body["event"]
    team = body.get("team_id") or event.get("team")
    return Event(
        user=identity(team, event["user"]),
        conversation=identity(team, event["channel"]),
        text=unescaped(_MENTION.sub(" ", event.get("text") or "")).strip(),
        event_id=f"slack-event-{body.get('event_id') or event.get('ts')}",
        buttons=True,
        private=event.get("channel_type") == "im",
        forms=True,
        raw=body,
    )


def is_person_message(event: Json) -> bool:
    """A message a person wrote: not the bot's own, not an edit, join or deletion."""
    return not event.get("bot_id") and not event.get("subtype") and bool(event.get("user"))
