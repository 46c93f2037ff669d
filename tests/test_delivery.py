"""Nothing twice, nothing lost: a reply whose delivery was cut short (the process was
killed mid-post) reaches the person on the platform's retry, once; an attempt still under
way in a running process is not duplicated. Through signed Slack HTTP, the Web API at a
local fake."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.web import create_app
from bot.frameworks import Framework
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store

from .conftest import platform_fixture
from .servers import FakeSlack, ServerThread, free_port, wait_for
from .test_slack import SECRET, event, header

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@pytest.fixture
def api() -> Iterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    with ServerThread(fake.app()) as server:
        yield fake, server.url + "api"


def environment(db: Path, api_url: str) -> dict[str, str]:
    return {
        "BEHAVIOURBOT_DB": str(db),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": api_url,
    }


def serving(db: Path, api_url: str, frameworks: list[Framework]) -> tuple[ServerThread, Store]:
    """A web process (in this one) over the database at `db`."""
    store = Store.open(db)
    app = create_app(Settings.from_env(environment(db, api_url)), Bot(frameworks, store))
    return ServerThread(app), store


def in_background(url: str, body: dict[str, object]) -> threading.Thread:
    """Deliver `body` without waiting for the answer (the answering process may die)."""

    def deliver() -> None:
        with contextlib.suppress(OSError):  # the connection broke: the process was killed
            event(url, body)

    thread = threading.Thread(target=deliver, daemon=True)
    thread.start()
    return thread


def message(text: str) -> dict[str, object]:
    body = platform_fixture("slack_event_message_im.json")
    body["event"]["text"] = text
    return body


def test_a_reply_cut_short_by_a_killed_process_is_sent_on_slacks_retry(
    tmp_path: Path, api: tuple[FakeSlack, str], frameworks: list[Framework]
) -> None:
    """The process answering an event is killed while it posts the reply; Slack's retry a
    few seconds later (well within a minute) reaches another process, which posts it."""
    fake, api_url = api
    db, port = tmp_path / "bot.db", free_port()
    first = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=os.environ | environment(db, api_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"

        def up() -> bool:
            try:
                with urllib.request.urlopen(url + "healthz", timeout=1) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(up, 30)
        fake.post_delay = 30.0  # the post hangs: the process is killed in the middle
        body = message("principled")
        in_background(url, body)
        wait_for(lambda: fake.to("/api/chat.postMessage"))
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    fake.post_delay = 0.0
    second, store = serving(db, api_url, frameworks)
    with second:
        assert event(second.url, body, headers=RETRY)[0] == 200
        cut, posted = fake.to("/api/chat.postMessage")
        assert posted.body == cut.body and header(posted.body) == "1.1 Principled"
        again = RETRY | {"X-Slack-Retry-Num": "2"}
        assert event(second.url, body, headers=again)[0] == 200
        assert len(fake.to("/api/chat.postMessage")) == 2  # delivered now: not again
        (row,) = store.db["handled_events"].rows
        assert row["replies"] is None
    store.close()


def test_a_retry_while_another_process_is_still_posting_is_not_answered_twice(
    tmp_path: Path, api: tuple[FakeSlack, str], frameworks: list[Framework]
) -> None:
    """Two processes on one database: the first is still posting (Slack is slow) when
    the retry reaches the second, which leaves the reply to the first."""
    fake, api_url = api
    one, store_one = serving(tmp_path / "bot.db", api_url, frameworks)
    two, store_two = serving(tmp_path / "bot.db", api_url, frameworks)
    with one, two:
        fake.post_delay = 1.5
        body = message("principled")
        sending = in_background(one.url, body)
        wait_for(lambda: fake.to("/api/chat.postMessage"))
        assert event(two.url, body, headers=RETRY)[0] == 200
        sending.join(10)
        assert len(fake.to("/api/chat.postMessage")) == 1
        (row,) = store_one.db["handled_events"].rows
        assert row["replies"] is None  # the first delivered it
    store_one.close()
    store_two.close()
