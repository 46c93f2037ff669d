"""The pure converters from Bot Framework activities to the core's Event: real activities
in, Events out."""

from __future__ import annotations

from adapters.teams.activities import event_from_activity, is_install
from bot.types import Event

from ..conftest import platform_fixture


def test_a_personal_message() -> None:
    activity = platform_fixture("teams_message_personal.json")
    event = event_from_activity(activity)
    assert event is not None
    assert event == Event(
        user=event.user,
        conversation=event.conversation,
        text=event.text,
        event_id=event.event_id,
        buttons=True,
        private=True,
        forms=True,
        name="Megan Bowen",
        tz_name=event.tz_name,
    )
    assert event.user.endswith(":7faf8ab2-3d56-4244-b585-20c8a42ed2b8")
    assert event.text.startswith("Hello Teams TestBot")
    assert event.event_id == f"teams-{activity['conversation']['id']}-1485983408511"


def test_a_card_button_carries_its_command_and_fields() -> None:
    activity = platform_fixture("teams_invoke_card_action.json")
    activity = {**activity, "value": {"command": "prep save", "situation": "x"}}
    event = event_from_activity(activity)
    assert event is not None
    assert event.user == "teams:72f988bf-86f1-41af-91ab-2d7cd011db47:" + activity["from"]["id"]
    assert (event.action, event.fields, event.text) == ("prep save", {"situation": "x"}, "")
    assert not event.private  # a team's channel


def test_a_card_button_without_a_command_is_nothing_to_do() -> None:
    assert event_from_activity(platform_fixture("teams_invoke_card_action.json")) is None


def test_an_install_is_not_an_event() -> None:
    activity = platform_fixture("teams_installation_update_add.json")
    assert is_install(activity)
    assert event_from_activity(activity) is None
