"""The web process while another process holds the database's write lock (a second
`serve`, a backup, a migration): the event loop stays free, Slack hears in time, and
nothing is lost or done twice. Through signed Slack HTTP into the real app, the lock
held by a second SQLite connection, as another process would."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.frameworks import Framework

from .servers import FakeSlack, wait_for
from .slack.test_app import event, fixture, post
from .slack.test_feedback import ALICE, TEAM, slack_server, text_of

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}


@contextmanager
def locked(db: Path) -> Iterator[None]:
    """The database's write lock, held by another connection until the block ends."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def direct_message(text: str, n: int) -> dict[str, Any]:
    body = fixture("slack_event_message_im.json")
    body["team_id"] = TEAM
    body["event"] |= {"user": ALICE, "channel": "D" + ALICE, "text": text, "ts": f"{n}.0"}
    body["event_id"] = f"Ev-lock-{n}"
    return body


def slash(url: str, fake: FakeSlack, text: str) -> tuple[int, str]:
    body = fixture("slack_slash_command.json") | {
        "command": "/behaviour",
        "text": text,
        "team_id": TEAM,
        "user_id": ALICE,
        "channel_id": "D" + ALICE,
        "channel_name": "directmessage",
        "trigger_id": f"trigger-{text}",
        "response_url": fake.response_base + ALICE,  # type: ignore[attr-defined]
    }
    return post(url, urlencode(body), "application/x-www-form-urlencoded")


def posted(fake: FakeSlack, words: str) -> list[dict[str, Any]]:
    return [c.body for c in fake.to("/api/chat.postMessage") if words in text_of(c.body)]


def drafts(store: Any) -> list[str]:
    return [d["level"] for d in store.drafts(f"slack:{TEAM}:{ALICE}")]


def test_healthz_and_a_command_are_answered_while_the_database_is_locked(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """A direct message waits for the lock on the core's thread, not on the event loop:
    /healthz answers at once, a slash command is answered within Slack's three seconds
    (saying that the answer follows), and once the lock is let go both are done, once
    (the message on Slack's retry, when its first delivery was refused for want of time)."""
    with slack_server(tmp_path, frameworks, wait=6.0) as (url, fake, bot):
        done: list[tuple[int, str]] = []
        body = direct_message("prep leadership level 4", 1)
        with locked(tmp_path / "bot.db"):

            def deliver() -> None:
                try:
                    done.append(event(url, body))
                except OSError:  # no answer in time: Slack (which waits 3 s) sends it again
                    done.append((0, "timed out"))

            waiting = threading.Thread(target=deliver)
            waiting.start()
            time.sleep(0.3)  # the message is waiting for the lock now
            with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                assert json.load(response) == {"ok": True}
            # a lookup writes nothing: answered at once from a plain read, not queued
            status, ack = slash(url, fake, "leadership level 4")
            assert status == 200 and "Leadership: Level 4" in ack
            status, ack = slash(url, fake, "prep leadership level 3")
            assert status == 200
            assert "One moment" in ack and "no need to send it again" in ack
            # her next lookup waits its turn behind it: answers keep the order asked in
            status, ack = slash(url, fake, "leadership level 2")
            assert status == 200 and "One moment" in ack
            assert drafts(bot.store) == []  # nothing could be written yet
        waiting.join(60)  # it waits for the lock (up to 6 s), then is answered: slowly
        assert not waiting.is_alive()  # on a loaded machine, but always
        assert done[0][0] in (0, 200) or done[0][0] >= 500  # 5xx or none: Slack sends it again
        assert event(url, body, headers=RETRY)[0] == 200
        question = wait_for(lambda: posted(fake, "Situation"), 30)
        assert len(question) == 1  # the message's answer, once
        wanted = ("Prepare an example: Leadership, Level 3", "Leadership: Level 2")

        def responses() -> str:
            return " ".join(json.dumps(c.body) for c in fake.to(f"/response/{ALICE}"))

        said = wait_for(lambda: all(w in responses() for w in wanted) and responses(), 30)
        assert said.index(wanted[0]) < said.index(wanted[1])  # by response_url, in order
        assert sorted(drafts(bot.store)) == ["3", "4"]


def test_a_message_the_database_was_too_busy_for_is_handled_on_slacks_retry(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """Locked for longer than the store waits: the event answers 500 with nothing said
    or stored (not "Sorry, something went wrong" and a 200, which Slack never sends
    again: the message was lost), and Slack's retry is handled, once."""
    with slack_server(tmp_path, frameworks, wait=0.3) as (url, fake, bot):
        body = direct_message("prep leadership level 4", 2)
        with locked(tmp_path / "bot.db"):
            assert event(url, body)[0] >= 500  # Slack sends it again
        assert fake.to("/api/chat.postMessage") == [] and drafts(bot.store) == []
        assert event(url, body, headers=RETRY)[0] == 200
        assert event(url, body, headers=RETRY | {"X-Slack-Retry-Num": "2"})[0] == 200
        assert len(posted(fake, "Situation")) == 1
        assert not posted(fake, "Sorry")
        assert drafts(bot.store) == ["4"]


def test_a_teams_message_waits_for_a_short_lock_instead_of_failing(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """Another process holds the database for longer than one write waits, but less than
    a turn does: the message is answered and stored, with no "something went wrong"
    (the reference kept for the person waited too, instead of failing the turn)."""
    from .conftest import platform_fixture
    from .teams.test_turn import teams_server

    platform_fixture("teams_message_personal.json")  # without ../shared: skip here, not in a thread
    with teams_server(tmp_path, frameworks, wait=0.3) as teams:
        with locked(tmp_path / "bot.db"):
            sent: list[tuple[int, Any]] = []
            thread = threading.Thread(
                target=lambda: sent.append(teams.message("prep leadership level 4"))
            )
            thread.start()
            time.sleep(1.5)
        thread.join(15)
        assert sent and sent[0][0] == 200
        said = json.dumps([c.body for c in teams.connector.calls])
        assert "Situation" in said and "went wrong" not in said
        owner = teams.store.conn.execute("SELECT owner FROM star_drafts").fetchall()
        assert len(owner) == 1


def test_a_retry_sends_only_the_parts_of_a_reply_that_never_arrived(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """A lookup in the middle of a draft is answered in two messages; the first reaches
    Slack, the second fails: the event answers 500, and Slack's retry sends the second,
    not the first again (each part carries its number with the event's id)."""
    with slack_server(tmp_path, frameworks) as (url, fake, _bot):
        assert event(url, direct_message("prep leadership level 4", 1))[0] == 200
        fake.break_posts = ["", "before"]  # the first post taken, the second refused
        body = direct_message("behaviour leadership level 3", 2)
        assert event(url, body)[0] == 500
        assert event(url, body, headers=RETRY)[0] == 200
        seen = [m["text"] for messages in fake.stored.values() for m in messages]
        assert sum("Leadership: Level 3" in t for t in seen) == 1
        assert sum("Step 1 of 5: Situation" in t for t in seen) == 1  # the second part, once
