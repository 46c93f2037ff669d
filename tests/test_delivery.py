"""Nothing twice, nothing lost: a reply whose delivery was cut short (the process was
killed mid-post) reaches the person on the platform's retry, once; an attempt still under
way in a running process is not duplicated. A direct message from the outbox whose post
ended in doubt (a timeout, a 500, a process that stopped before reporting) is looked for
in the conversation before it is posted again. Through signed Slack HTTP and the real
Web API client, the Web API at a local fake that keeps what was posted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from adapters.outbox import Outbox
from adapters.slack import SlackAdapter
from adapters.web import create_app
from adapters.worker import inline
from bot.frameworks import Framework
from bot.render import compose
from bot.router import Bot
from bot.settings import Settings
from bot.storage import FeedbackStore, Store
from bot.types import replies_to_json

from .conftest import platform_fixture
from .servers import FakeSlack, ServerThread, free_port, wait_for
from .slack.test_app import SECRET, event, header

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


@pytest.mark.parametrize("reached", [False, True])
def test_a_reply_cut_short_by_a_killed_process_is_sent_on_slacks_retry(
    tmp_path: Path, api: tuple[FakeSlack, str], frameworks: list[Framework], reached: bool
) -> None:
    """The process answering an event is killed while it posts the reply; Slack's retry a
    few seconds later (well within a minute) reaches another process, which posts it,
    unless the post had reached Slack after all (its metadata names the event): the
    person sees it once either way."""
    fake, api_url = api
    fake.delay_before_keeping = not reached
    db, port = tmp_path / "bot.db", free_port()
    first = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
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
        posts = fake.to("/api/chat.postMessage")
        assert len(posts) == (1 if reached else 2)  # looked for first: there, or not
        assert header(posts[-1].body) == "1.1 Principled"
        again = RETRY | {"X-Slack-Retry-Num": "2"}
        assert event(second.url, body, headers=again)[0] == 200
        assert len(fake.to("/api/chat.postMessage")) == len(posts)  # delivered: not again
        assert len([m for messages in fake.stored.values() for m in messages]) == 1  # seen once
        (row,) = store.db["handled_events"].rows_where("event_id LIKE 'slack-event-%'")
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
        (row,) = store_one.db["handled_events"].rows_where("event_id LIKE 'slack-event-%'")
        assert row["replies"] is None  # the first delivered it
    store_one.close()
    store_two.close()


# ---- the outbox: a direct message whose sending ended in doubt is looked for in the
# conversation before it is sent again ----------------------------------------------------

PEER = "slack:T123ABC456:U0BOB"


@dataclass
class Delivering:
    bot: Bot
    adapter: SlackAdapter
    outbox: Outbox
    fake: FakeSlack

    def queue(self) -> int:
        with self.bot.store.transaction():
            FeedbackStore(self.bot.store).queue(
                PEER, "note-1", replies_to_json([compose("thanks.j2")])
            )
        (row,) = self.bot.store.conn.execute("SELECT id FROM outbox").fetchall()
        return int(row[0])

    def deliver(self) -> int:
        return asyncio.run(self.outbox.deliver("slack:"))

    def expire(self) -> None:
        """As if the pause before trying again (or the lease) had run out."""
        with self.bot.store.transaction():
            self.bot.store.conn.execute("UPDATE outbox SET due_at = '2000-01-01'")

    def row(self) -> dict[str, Any]:
        return next(iter(self.bot.store.db["outbox"].rows))

    def posts(self) -> list[Any]:
        return self.fake.to("/api/chat.postMessage")

    def kept(self) -> list[dict[str, Any]]:
        """The messages Slack has in the person's DM."""
        return self.fake.stored.get("DU0BOB", [])


@pytest.fixture
def delivering(
    tmp_path: Path, api: tuple[FakeSlack, str], frameworks: list[Framework]
) -> Iterator[Delivering]:
    fake, api_url = api
    store = Store.open(tmp_path / "bot.db")
    bot = Bot(frameworks, store)
    adapter = SlackAdapter(
        partial(inline, bot.handle),
        settle=partial(inline, bot.settle),
        signing_secret=SECRET,
        token="xoxb-test",
        api_url=api_url + "/",
    )
    adapter.app.client.timeout = 1  # seconds: Slack's answer is waited for this long
    outbox = Outbox(bot, {"slack:": adapter.send_direct}, arrived={"slack:": adapter.arrived})
    yield Delivering(bot, adapter, outbox, fake)
    store.close()


def test_a_post_that_timed_out_but_arrived_is_not_sent_again(delivering: Delivering) -> None:
    d = delivering
    number = d.queue()
    d.fake.post_delay = 2.0  # Slack takes the message, and answers too late
    assert d.deliver() == 0
    assert d.row()["sent_at"] is None and d.row()["unsure"] == 1
    d.fake.post_delay = 0.0
    d.expire()
    assert d.deliver() == 1  # found in the conversation: sent, without a second post
    assert len(d.posts()) == 1 and len(d.kept()) == 1
    assert d.kept()[0]["metadata"] == {
        "event_type": "behaviourbot_outbox",
        "event_payload": {"id": number},
    }
    (looked,) = d.fake.to("/api/conversations.history")
    assert looked.body["channel"] == "DU0BOB" and looked.body["include_all_metadata"] in (
        "1",
        "true",
        True,
    )
    assert d.row()["sent_at"] is not None
    d.expire()
    assert d.deliver() == 0 and len(d.posts()) == 1


def test_a_post_whose_process_stopped_before_reporting_is_not_sent_again(
    delivering: Delivering,
) -> None:
    """Taken, posted, and the process killed before it reported: after the lease, the
    next process finds it in the conversation."""
    d = delivering
    d.queue()
    (taken,) = d.bot.outbox.take("slack:", limit=1)
    asyncio.run(d.adapter.send_direct(taken.user, taken.replies, tag=taken.id))
    d.expire()  # the lease ran out with no report
    assert d.deliver() == 1
    assert len(d.posts()) == 1 and len(d.kept()) == 1
    assert d.row()["sent_at"] is not None


def test_a_post_that_failed_after_slack_took_it_is_not_sent_again(
    delivering: Delivering,
) -> None:
    d = delivering
    d.queue()
    d.fake.break_posts = ["after"]
    assert d.deliver() == 0
    d.expire()
    assert d.deliver() == 1
    assert len(d.posts()) == 1 and len(d.kept()) == 1


def test_a_post_that_truly_failed_is_posted_once_on_retry(delivering: Delivering) -> None:
    d = delivering
    d.queue()
    d.fake.break_posts = ["before"]  # a 500 before Slack took it: not there
    assert d.deliver() == 0
    d.expire()
    assert d.deliver() == 1
    assert len(d.posts()) == 2 and len(d.kept()) == 1
    assert len(d.fake.to("/api/conversations.history")) == 1  # looked for first


def test_a_post_slack_refused_is_sent_again_without_looking(delivering: Delivering) -> None:
    d = delivering
    d.queue()
    d.fake.failures["chat.postMessage"] = 1  # ok: false, an error Slack gave
    assert d.deliver() == 0
    assert d.row()["unsure"] == 0
    d.expire()
    assert d.deliver() == 1
    assert d.fake.to("/api/conversations.history") == []
    assert len(d.kept()) == 1


def test_a_message_that_cannot_be_looked_for_is_sent_again_rather_than_never(
    delivering: Delivering,
) -> None:
    """An app installed before it had the scope to open the DM: the look-up is refused,
    and the message is sent again (it may arrive twice) instead of never."""
    d = delivering
    d.queue()
    d.fake.break_posts = ["before"]
    d.deliver()
    d.fake.failures["conversations.open"] = 1
    d.expire()
    assert d.deliver() == 1
    assert len(d.kept()) == 1


def test_a_stopping_outbox_finishes_and_records_the_message_under_way(
    delivering: Delivering,
) -> None:
    """The web process stops while a direct message is being posted: the post finishes
    and is recorded as sent before the outbox stops (cancelled, the record was lost and
    the message taken again after the lease)."""
    d = delivering
    d.queue()
    d.fake.post_delay = 0.5

    async def stop_while_posting() -> None:
        running = asyncio.ensure_future(d.outbox.run_forever())
        while not d.fake.to("/api/chat.postMessage"):
            await asyncio.sleep(0.01)
        d.outbox.stop()
        await asyncio.wait_for(running, timeout=5)

    asyncio.run(stop_while_posting())
    assert d.row()["sent_at"] is not None and len(d.posts()) == 1
