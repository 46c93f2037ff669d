"""`home` in Teams, through Bot Framework activities: answered with a card whose
Action.Execute buttons go to each item, and shown in the welcome of a personal install
when something waits for the installing person (the welcome otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.teams.activities import identity
from adapters.teams.cards import CARD_CONTENT_TYPE
from bot.clock import FixedClock
from bot.frameworks import Framework
from bot.storage import Store

from ..conftest import START, platform_fixture
from .test_turn import Teams, teams_server, texts, validate_card

fixture = platform_fixture
PERSONAL = fixture("teams_message_personal.json")
MEGAN = identity(PERSONAL, PERSONAL["from"])


@pytest.fixture
def teams(tmp_path: Path, frameworks: list[Framework]) -> Iterator[Teams]:
    with teams_server(tmp_path, frameworks) as running:
        yield running


def draft(path: Path, user: str, situation: str = "We moved offices in a fortnight.") -> None:
    """A draft written as far as its Situation, by another connection (another process)."""
    store = Store.open(path, FixedClock(START))
    with store.transaction():
        store.create_draft(
            user,
            framework="civil-service",
            behaviour="leadership",
            level="4",
            parts={"situation": situation},
        )
    store.close()


def actions(card: dict[str, object]) -> dict[str, str]:
    return {
        a["title"]: a["data"]["command"]  # type: ignore[index]
        for a in card.get("actions") or []  # type: ignore[union-attr]
        if a.get("type") == "Action.Execute"  # type: ignore[union-attr]
    }


def test_home_is_a_card_whose_buttons_go_to_the_item(teams: Teams, tmp_path: Path) -> None:
    draft(tmp_path / "bot.db", MEGAN)
    draft(tmp_path / "bot.db", MEGAN.rsplit(":", 1)[0] + ":someone-else", "Not Megan's.")
    assert teams.message("home")[0] == 200
    (card,) = teams.cards()
    shown = texts(card)
    assert shown[0] == "Your home"
    assert any("Draft 1: Leadership, Level 4; next: task" in t for t in shown)
    assert not any("Not Megan's" in t for t in shown)
    assert actions(card) == {"Carry on with draft 1": "draft 1 continue"}
    press = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    press |= {"from": PERSONAL["from"], "conversation": PERSONAL["conversation"]}
    press["channelData"] = PERSONAL["channelData"]
    press["value"]["action"]["data"] = {"command": "draft 1 continue"}
    status, body = teams.post(press)
    assert status == 200 and body["type"] == CARD_CONTENT_TYPE
    validate_card(body["value"])
    assert any("Step 2 of 5: Task" in t for t in texts(body["value"]))


def test_a_personal_install_welcomes_with_the_home_when_something_waits(
    teams: Teams, tmp_path: Path
) -> None:
    draft(tmp_path / "bot.db", MEGAN)
    install = fixture("teams_installation_update_add.json")
    install |= {"from": PERSONAL["from"], "conversation": PERSONAL["conversation"]}
    install["channelData"] = PERSONAL["channelData"]
    assert teams.post(install)[0] == 200
    (card,) = teams.cards()
    assert texts(card)[0] == "Your home"
    assert actions(card) == {"Carry on with draft 1": "draft 1 continue"}


def test_with_nothing_waiting_the_welcome_is_as_before(teams: Teams, tmp_path: Path) -> None:
    draft(tmp_path / "bot.db", MEGAN.rsplit(":", 1)[0] + ":someone-else")
    install = fixture("teams_installation_update_add.json")
    install |= {"from": PERSONAL["from"], "conversation": PERSONAL["conversation"]}
    install["channelData"] = PERSONAL["channelData"]
    assert teams.post(install)[0] == 200
    (card,) = teams.cards()
    assert texts(card)[0] == "behaviourbot"  # someone else's draft is not Megan's home
