"""The mock interview through Slack: the slash command `/behaviour mock …` and direct
messages, signed into the real slack-bolt app, the Web API a local fake."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from adapters.web import create_app
from bot.frameworks import Framework
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store

from ..servers import FakeSlack, ServerThread
from ..star.test_mock import ADVERT, PACE, PACE_MORE, PICTURE, PICTURE_MORE
from .test_app import SECRET, event, fixture, header, post

BASE = fixture("slack_event_message_im.json")
USER = f"slack:{BASE['team_id']}:{BASE['event']['user']}"
DM = f"slack:{BASE['team_id']}:{BASE['event']['channel']}"
_ts = itertools.count(1)


@contextlib.contextmanager
def running(db: Path, frameworks: list[Framework]) -> Iterator[tuple[str, FakeSlack, Store]]:
    """The web app on `db`, its Web API a local fake (a second one on the same file is a
    restart)."""
    fake = FakeSlack()
    with ServerThread(fake.app()) as api:
        settings = Settings.from_env(
            {
                "BEHAVIOURBOT_DB": str(db),
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_API_URL": api.url + "api",
            }
        )
        store = Store.open(settings.db_path)
        with ServerThread(create_app(settings, Bot(frameworks, store))) as bot:
            fake.response_base = api.url + "response/"  # type: ignore[attr-defined]
            yield bot.url, fake, store
        store.close()


def dm(url: str, fake: FakeSlack, text: str, event_id: str) -> dict[str, Any]:
    """A direct message to the bot; what the bot posted back last."""
    body = copy.deepcopy(BASE)
    body["event_id"] = event_id
    body["event"] |= {"text": text, "ts": f"1355517600.{next(_ts):06d}"}
    assert event(url, body)[0] == 200
    return fake.to("/api/chat.postMessage")[-1].body


def slash(url: str, text: str) -> dict[str, Any]:
    """`/behaviour TEXT` typed in the person's DM with the app: answered in the ack."""
    body = fixture("slack_slash_command.json") | {
        "command": "/behaviour",
        "text": text,
        "team_id": BASE["team_id"],
        "user_id": BASE["event"]["user"],
        "channel_id": BASE["event"]["channel"],
        "channel_name": "directmessage",
    }
    status, ack = post(url, urlencode(body), "application/x-www-form-urlencoded")
    assert status == 200
    return json.loads(ack)  # type: ignore[no-any-return]


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["text"]["text"], e["value"])
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_a_whole_mock_from_the_slash_command_answered_in_the_dm(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with running(tmp_path / "bot.db", frameworks) as (url, fake, store):
        opening = slash(url, ADVERT)
        assert opening["response_type"] == "ephemeral"  # only the person sees it
        assert header(opening) == "Mock interview: 2 questions"
        assert "Question 1 of 2: Delivering at Pace, Level 3" in json.dumps(opening)
        assert ("Skip this question", "mock skip 1 interview 1") in buttons(opening)
        follow_up = dm(url, fake, PACE, "Ev-mock-1")
        assert header(follow_up) == "Mock interview, question 1 of 2: a follow-up"
        assert "How did you know it had worked?" in json.dumps(follow_up)
        second = dm(url, fake, PACE_MORE, "Ev-mock-2")
        assert header(second) == "Mock interview, question 2 of 2: Seeing the Big Picture, Level 3"
        assert "Review" not in json.dumps(second)  # no feedback mid-way
        dm(url, fake, PICTURE, "Ev-mock-3")
        summary = dm(url, fake, PICTURE_MORE, "Ev-mock-4")
        assert header(summary) == "Mock interview: your summary"
        said = json.dumps(summary)
        assert "Delivering at Pace, Level 3: band" in said
        assert "Seeing the Big Picture, Level 3: band" in said
        assert ("Run the mock again", "mock again interview 1") in buttons(summary)
        assert "mock" not in store.state(USER, DM) and "mocked" in store.state(USER, DM)


def test_a_restart_mid_interview_and_a_double_delivered_answer(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    db = tmp_path / "bot.db"
    with running(db, frameworks) as (url, fake, store):
        dm(url, fake, ADVERT, "Ev-r-0")
        dm(url, fake, PACE, "Ev-r-1")
        posted = len(fake.to("/api/chat.postMessage"))
        again = copy.deepcopy(BASE)  # Slack delivers the same event twice
        again["event_id"] = "Ev-r-1"
        again["event"] |= {"text": PACE, "ts": "1355517600.000001"}
        assert event(url, again)[0] == 200
        assert len(fake.to("/api/chat.postMessage")) == posted  # answered once
        assert len(store.state(USER, DM)["mock"]["answers"]) == 1
        second = dm(url, fake, PACE_MORE, "Ev-r-2")
    assert header(second) == "Mock interview, question 2 of 2: Seeing the Big Picture, Level 3"
    with running(db, frameworks) as (url, fake, store):  # the app started again
        repeated = slash(url, "mock")  # the question waiting, asked again
        assert header(repeated) == header(second)
        follow_up = dm(url, fake, PICTURE, "Ev-r-3")
        assert header(follow_up) == "Mock interview, question 2 of 2: a follow-up"
        summary = dm(url, fake, PICTURE_MORE, "Ev-r-4")
        assert "Seeing the Big Picture, Level 3: band" in json.dumps(summary)


def test_stop_mid_interview_in_a_dm(tmp_path: Path, frameworks: list[Framework]) -> None:
    with running(tmp_path / "bot.db", frameworks) as (url, fake, store):
        dm(url, fake, ADVERT, "Ev-s-0")
        dm(url, fake, PACE, "Ev-s-1")
        dm(url, fake, PACE_MORE, "Ev-s-2")
        stopped = dm(url, fake, "stop", "Ev-s-3")
        said = json.dumps(stopped)
        assert "You stopped the interview: the behaviour answered in full is kept below" in said
        assert "Delivering at Pace, Level 3: band" in said
        assert "Seeing the Big Picture" not in said
        save = ("Save answer 1 (Delivering at Pace) as a draft", "mock save 1 interview 1")
        assert save in buttons(stopped)
        assert "mock" not in store.state(USER, DM)
        saved = dm(url, fake, "mock save 1", "Ev-s-4")
        assert header(saved) == "Draft 1: Delivering at Pace, Level 3"
        assert store.draft(USER, 1)["parts"]["result"].endswith(PACE_MORE)
