"""The mock interview through Teams: message activities POSTed to /api/messages on the
real app, every reply captured at a local fake connector as the card Teams shows."""

from __future__ import annotations

import json
from pathlib import Path

from bot.frameworks import Framework

from ..conftest import platform_fixture
from ..star.test_mock import ADVERT, PACE, PACE_MORE, PICTURE, PICTURE_MORE
from .test_turn import MEGAN, TENANT, Teams, teams, teams_server, texts  # noqa: F401

CHAT = f"teams:{TENANT}:{platform_fixture('teams_message_personal.json')['conversation']['id']}"


def said(teams: Teams, text: str, id: str) -> dict:  # type: ignore[type-arg]  # noqa: F811
    """A message from Megan in her chat with the bot; the card it was answered with."""
    assert teams.message(text, id=id)[0] == 200
    return teams.cards()[-1]


def shown(card: dict) -> list[str]:  # type: ignore[type-arg]
    """A card's texts as read (Teams' cards keep "1." from starting a list with a
    zero-width space)."""
    return [t.replace("\u200b", "") for t in texts(card)]


def actions(card: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(a["title"], a["data"]["command"]) for a in card.get("actions", [])]


def test_a_whole_mock_interview_of_two_behaviours(teams: Teams) -> None:  # noqa: F811
    opening = said(teams, ADVERT, "m-0")
    assert texts(opening)[0] == "Mock interview: 2 questions"
    assert "Question 1 of 2: Delivering at Pace, Level 3" in texts(opening)
    assert ("Skip this question", "mock skip 1 interview 1") in actions(opening)
    follow_up = said(teams, PACE, "m-1")
    assert texts(follow_up)[0] == "Mock interview, question 1 of 2: a follow-up"
    assert "How did you know it had worked?" in " ".join(texts(follow_up))
    second = said(teams, PACE_MORE, "m-2")
    assert texts(second)[0] == "Mock interview, question 2 of 2: Seeing the Big Picture, Level 3"
    assert not any("Review" in t for t in texts(second))  # no feedback mid-way
    said(teams, PICTURE, "m-3")
    summary = said(teams, PICTURE_MORE, "m-4")
    lines = shown(summary)
    assert lines[0] == "Mock interview: your summary"
    assert any(t.startswith("1. Delivering at Pace, Level 3: band") for t in lines)
    assert any(t.startswith("2. Seeing the Big Picture, Level 3: band") for t in lines)
    assert ("Run the mock again", "mock again interview 1") in actions(summary)
    assert "mocked" in teams.store.state(MEGAN, CHAT)


def test_a_double_delivered_answer_is_recorded_once(teams: Teams) -> None:  # noqa: F811
    said(teams, ADVERT, "d-0")
    said(teams, PACE, "d-1")
    before = len(teams.connector.sent())
    assert teams.message(PACE, id="d-1")[0] == 200  # the same activity again
    assert len(teams.connector.sent()) == before
    assert len(teams.store.state(MEGAN, CHAT)["mock"]["answers"]) == 1


def test_a_restart_mid_interview_then_stop(tmp_path: Path, frameworks: list[Framework]) -> None:
    with teams_server(tmp_path, frameworks) as running:
        said(running, ADVERT, "r-0")
        said(running, PACE, "r-1")
        said(running, PACE_MORE, "r-2")
        asked = said(running, PICTURE, "r-3")
    with teams_server(tmp_path, frameworks) as running:  # the app started again
        again = said(running, "mock", "r-4")  # the question waiting, asked again
        assert texts(again) == texts(asked)
        stopped = said(running, "stop", "r-5")  # its answer half-said: not kept
        lines = " ".join(shown(stopped))
        assert "You stopped the interview: the behaviour answered in full is kept below" in lines
        assert "1. Delivering at Pace, Level 3: band" in lines
        assert "Seeing the Big Picture" not in json.dumps(stopped)
        assert "mock" not in running.store.state(MEGAN, CHAT)
