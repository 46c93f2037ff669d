"""Slack: the app manifest (`behaviourbot manifest slack`)."""

from __future__ import annotations

from typing import Any

from adapters.slack.events import COMMAND
from bot import commands
from bot.render import compose, words

Json = dict[str, Any]


def manifest(*, url: str | None) -> Json:
    """A Slack app manifest: HTTP mode with `url`, Socket Mode without. The slash
    command's description and usage hint are made from the command registry."""
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
            "description": words("app/slack_display.j2"),
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
