"""The Slack app manifest: the scopes it asks for are the ones the app's calls and
events need, and its descriptions name every job."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.slack import manifest

SLACK_ADAPTER = Path(__file__).resolve().parents[2] / "adapters" / "slack"

# The bot scope each Web API method the app calls needs, from Slack's method reference
# (docs.slack.dev/reference/methods/<method>): in a DM, conversations.open needs im:write
# and conversations.history im:history; views.* need no scope.
METHOD_SCOPES = {
    "chat_postMessage": "chat:write",
    "conversations_open": "im:write",
    "conversations_history": "im:history",
    "users_info": "users:read",
    "views_open": None,
    "views_publish": None,
}
# ... and each event the manifest subscribes to (Slack's event reference).
EVENT_SCOPES = {
    "app_home_opened": None,
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
}

JOBS = {  # every job, by a word each description must use for it
    "look up": ("look up", "behaviour"),
    "interview preparation": ("interview",),
    "360 feedback": ("360",),
    "plans": ("plan",),
    "expectations": ("expectation",),
}


def names_every_job(text: str) -> list[str]:
    """The jobs `text` does not mention."""
    text = text.casefold()
    return [job for job, words in JOBS.items() if not any(w in text for w in words)]


def called_methods() -> set[str]:
    """Every Web API method the Slack adapter calls (`client.<method>(`)."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in SLACK_ADAPTER.glob("*.py"))
    return set(re.findall(r"client\.(\w+)\(", source))


def test_the_manifest_asks_for_exactly_the_scopes_the_app_uses() -> None:
    m = manifest(url="https://bot.example.org")
    methods = called_methods()
    assert methods, "no Web API calls found"
    assert methods <= set(METHOD_SCOPES), methods - set(METHOD_SCOPES)  # a new call: map it
    events = m["settings"]["event_subscriptions"]["bot_events"]
    needed = {METHOD_SCOPES[m] for m in methods} | {EVENT_SCOPES[e] for e in events}
    needed = (needed - {None}) | {"commands"}  # the slash command
    assert sorted(m["oauth_config"]["scopes"]["bot"]) == sorted(needed)
    assert "im:read" not in m["oauth_config"]["scopes"]["bot"]  # nothing lists or reads DMs


def test_the_app_description_names_every_job_within_slacks_limit() -> None:
    description = manifest(url=None)["display_information"]["description"]
    assert names_every_job(description) == [], description
    assert 0 < len(description) <= 140  # Slack's limit for display_information.description


def test_the_slash_command_description_names_every_job() -> None:
    [command] = manifest(url=None)["features"]["slash_commands"]
    assert names_every_job(command["description"]) == [], command["description"]
    assert len(command["description"]) <= 100
