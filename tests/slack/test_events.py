"""The pure converters from Slack payloads to the core's Event: real payloads in, Events out."""

from __future__ import annotations

import json

from adapters.slack.events import (
    event_from_action,
    event_from_command,
    event_from_message,
    event_from_view,
    is_person_message,
    unescaped,
)
from bot.types import Event

from ..conftest import platform_fixture


def test_a_slash_command_in_a_channel() -> None:
    body = platform_fixture("slack_slash_command.json")
    assert event_from_command(body) == Event(
        user="slack:T111:W111",
        conversation="slack:T111:C111",
        text="Hi",
        buttons=True,
        private=False,
        slash=True,
        forms=True,
    )


def test_a_slash_command_in_a_direct_message_is_private() -> None:
    body = {**platform_fixture("slack_slash_command.json"), "channel_id": "D111"}
    assert event_from_command(body).private


def test_a_button_press() -> None:
    body = platform_fixture("slack_block_actions.json")
    assert event_from_action(body) == Event(
        user="slack:T111:W111",
        conversation="slack:T111:C111",
        action="click_me_123",
        event_id="slack-action-W111-1596530385.194939",
        buttons=True,
        private=False,
        forms=True,
    )


def test_a_direct_message_event() -> None:
    body = platform_fixture("slack_event_message_im.json")
    assert is_person_message(body["event"])
    assert event_from_message(body) == Event(
        user="slack:T123ABC456:U2147483697",
        conversation="slack:T123ABC456:D024BE91L",
        text="Hello hello can you hear me?",
        event_id="slack-event-Ev0PV52K21",
        buttons=True,
        private=True,
        forms=True,
    )


def test_a_submitted_modal_gives_its_values_by_field_and_its_command() -> None:
    body = platform_fixture("slack_view_submission.json")
    view = dict(body["view"])
    view["private_metadata"] = json.dumps({"submit": "prep save", "channel": "D111"})
    view["state"] = {"values": {"situation": {"value": {"type": "plain_text_input", "value": "x"}}}}
    event = event_from_view({**body, "view": view})
    assert (event.user, event.conversation) == ("slack:T111:W111", "slack:T111:D111")
    assert (event.action, event.fields) == ("prep save", {"situation": "x"})
    assert event.event_id == "slack-view-V111-111.222.valid"


def test_a_modal_with_metadata_not_ours_submits_nothing() -> None:
    event = event_from_view(platform_fixture("slack_view_submission.json"))
    assert event.action == ""
    assert event.conversation == "slack:T111:W111"  # not a DM: the person's own


def test_escaped_command_text_reads_as_typed() -> None:
    assert unescaped("ask <@U1|bob> in <#C1|general> &lt;3 &amp;") == "ask @bob in #general <3 &"
