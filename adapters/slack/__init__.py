"""Slack: pure converters in (events, requests) and out (blocks), the people lookup
(people), the app manifest (manifest) and the listeners on slack-bolt (app)."""

from adapters.slack.app import UNREACHABLE_ERRORS, SlackAdapter, socket_mode
from adapters.slack.blocks import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_FIELD,
    MAX_TEXT,
    escape,
    messages_of,
    modal_of,
    split_text,
)
from adapters.slack.events import (
    event_from_action,
    event_from_command,
    event_from_message,
    event_from_view,
    unescaped,
)
from adapters.slack.manifest import manifest
from adapters.slack.people import People, person_of
from adapters.slack.requests import payload_problem, quoted, request_kind, signature_problem

__all__ = [
    "MAX_BLOCKS",
    "MAX_BUTTON_TEXT",
    "MAX_FIELD",
    "MAX_TEXT",
    "UNREACHABLE_ERRORS",
    "People",
    "SlackAdapter",
    "escape",
    "event_from_action",
    "event_from_command",
    "event_from_message",
    "event_from_view",
    "manifest",
    "messages_of",
    "modal_of",
    "payload_problem",
    "person_of",
    "quoted",
    "request_kind",
    "signature_problem",
    "socket_mode",
    "split_text",
    "unescaped",
]
