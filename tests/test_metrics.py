"""/metrics over HTTP: signed Slack requests and Teams activities (good, bad and hostile)
into the real app, the outbox against a fake Slack, then the exposition scraped and
parsed with prometheus_client's own parser."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import KINDS
from adapters.web import OUTBOX, create_app
from bot.clock import RunningClock, iso
from bot.frameworks import Framework
from bot.outbox import Outbox
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store
from bot.types import Block, Reply, replies_to_json

from .conftest import START, platform_fixture
from .servers import FakeSlack, ServerThread, wait_for
from .slack.test_app import SECRET, command, event
from .teams.test_turn import teams_server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
HOSTILE = 'hostile\n"}, {"level": "ERROR\x1b[31m'


def scrape(url: str) -> tuple[Samples, str]:
    with urllib.request.urlopen(url + "metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return samples, text


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def label_values(samples: Samples, label: str) -> set[str]:
    return {v for (_, labels) in samples for k, v in labels if k == label}


@pytest.fixture
def slack(tmp_path: Path, frameworks: list[Framework]) -> Iterator[tuple[str, FakeSlack, Path]]:
    fake = FakeSlack()
    with ServerThread(fake.app()) as api:
        settings = Settings.from_env(
            {
                "BEHAVIOURBOT_DB": str(tmp_path / "bot.db"),
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_API_URL": api.url + "api/",
            }
        )
        store = Store.open(settings.db_path, RunningClock(START))
        app = create_app(settings, Bot(frameworks, store), outbox_every=0.05)
        with ServerThread(app) as server:
            yield server.url, fake, tmp_path / "bot.db"
        store.close()


def test_slack_requests_are_counted_by_kind_and_status(slack) -> None:  # type: ignore[no-untyped-def]
    url, _, _ = slack
    assert command(url, "leadership level 4")[0] == 200
    assert command(url, "help", secret="not-the-secret")[0] == 401
    hostile = platform_fixture("slack_event_message_im.json")
    hostile["event"]["type"] = HOSTILE  # signed, but no event Slack sends
    hostile["event_id"] = "Ev-hostile"
    hostile_status = event(url, hostile)[0]
    samples, text = scrape(url)
    requests = "behaviourbot_requests_total"
    assert value(samples, requests, platform="slack", kind="command", status="200") == 1
    assert value(samples, requests, platform="slack", kind="unknown", status="401") == 1
    assert (
        value(samples, requests, platform="slack", kind="event:other", status=str(hostile_status))
        == 1
    )
    assert value(samples, "behaviourbot_request_seconds_count", platform="slack") == 3
    # nothing a request chose became a label; the scrape itself is not counted
    assert "hostile" not in text
    assert label_values(samples, "kind") <= KINDS["slack"] | {"event:other", "unknown"}
    assert label_values(samples, "platform") <= {"slack", "teams", "console", "other"}
    again, _ = scrape(url)
    assert sum(v for (n, _), v in again.items() if n == requests) == 3


def test_teams_activities_are_counted_by_kind_and_status(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    message = platform_fixture("teams_message_personal.json")
    message.pop("attachments")
    invoke = platform_fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    with teams_server(tmp_path, frameworks) as teams:
        assert teams.post(message | {"text": "leadership"})[0] == 200
        assert teams.post(message | {"type": HOSTILE, "id": "t"})[0] == 200  # not answered
        teams.post(invoke | {"name": HOSTILE, "id": "n"})
        assert teams.post(message | {"from": "Megan", "id": "f"})[0] == 400
        request = urllib.request.Request(
            teams.url + "api/messages", data=b"{}", method="POST", headers={}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 415
        samples, text = scrape(teams.url)
    requests = "behaviourbot_requests_total"
    assert value(samples, requests, platform="teams", kind="message", status="200") == 1
    assert value(samples, requests, platform="teams", kind="other", status="200") == 1
    assert value(samples, requests, platform="teams", kind="invoke:other", status="200") == 1
    assert value(samples, requests, platform="teams", kind="unknown", status="400") == 1
    assert value(samples, requests, platform="teams", kind="unknown", status="415") == 1
    assert value(samples, "behaviourbot_request_seconds_count", platform="teams") == 5
    assert "hostile" not in text
    assert label_values(samples, "kind") <= KINDS["teams"] | {"invoke:other", "other", "unknown"}


def _queue(db: Path, *users: str, due: str) -> None:
    """Queue a direct message to each of `users`, from another connection."""
    other = Store.open(db, RunningClock(START))
    replies = replies_to_json([Reply(blocks=(Block("paragraph", "hello"),))])
    with other.transaction():
        for n, user in enumerate(users):
            Outbox(other).queue(user, f"test-{n}", replies, due=due)
    other.close()


def test_deliveries_slow_downs_and_give_ups_are_counted(slack) -> None:  # type: ignore[no-untyped-def]
    """One person Slack cannot message (given up on at once), one message Slack asks
    to wait for (a 429), then delivered."""
    url, fake, db = slack
    fake.post_errors["U1"] = "user_not_found"
    fake.limit_every, fake.retry_after = 2, 1  # the second post is answered 429
    _queue(db, "slack:T1:U1", "slack:T1:U2", due=iso(START - timedelta(minutes=1)))
    wait_for(lambda: len(fake.delivered()) == 1)

    def counted() -> Samples | None:
        samples, _ = scrape(url)
        return (
            samples
            if value(samples, "behaviourbot_outbox_delivered_total", platform="slack")
            else None
        )

    samples = wait_for(counted)
    assert value(samples, "behaviourbot_outbox_delivered_total", platform="slack") == 1
    assert value(samples, "behaviourbot_outbox_slowed_down_total", platform="slack") == 1
    assert value(samples, "behaviourbot_outbox_given_up_total", platform="slack") == 1
    assert value(samples, "behaviourbot_outbox_waiting", platform="slack") == 0
    assert value(samples, "behaviourbot_outbox_delivered_total", platform="teams") == 0
    assert label_values(samples, "platform") <= {"slack", "teams", "console", "other"}


def test_the_outbox_and_the_schedule_are_read_at_scrape_time(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """Messages waiting (for Slack, with only Teams on: never delivered) and scheduled
    work due are read when scraped; the work done is counted when the outbox runs it."""
    settings = Settings.from_env({"BEHAVIOURBOT_DB": str(tmp_path / "bot.db")})
    store = Store.open(settings.db_path, RunningClock(START))
    app = create_app(settings, Bot(frameworks, store), dev=True)
    app[OUTBOX].stop()  # no round of its own: only the one run below
    with ServerThread(app) as server:
        _queue(
            tmp_path / "bot.db",
            "slack:T1:U1",
            "slack:T1:U2",
            due=iso(START - timedelta(minutes=10)),
        )
        other = Store.open(tmp_path / "bot.db", RunningClock(START))
        with other.transaction():
            other.conn.execute(  # a closing of a request that is not there: runs, does nothing
                "INSERT INTO schedule (kind, request_id, due_at) VALUES ('close', 999, ?)",
                [iso(START - timedelta(minutes=1))],
            )
        other.close()
        before, _ = scrape(server.url)
        ran = asyncio.run_coroutine_threadsafe(app[OUTBOX].round(), server.loop).result(10)
        after, _ = scrape(server.url)
    store.close()
    assert value(before, "behaviourbot_outbox_waiting", platform="slack") == 2
    assert 600 <= value(before, "behaviourbot_outbox_oldest_seconds", platform="slack") < 660
    assert value(before, "behaviourbot_outbox_waiting", platform="teams") == 0
    assert value(before, "behaviourbot_scheduled_due") == 1
    assert value(before, "behaviourbot_scheduled_done_total") == 0
    assert ran == {"teams:": 0}
    assert value(after, "behaviourbot_scheduled_due") == 0
    assert value(after, "behaviourbot_scheduled_done_total") == 1


def test_each_app_counts_its_own_requests(tmp_path: Path, frameworks: list[Framework]) -> None:
    message = platform_fixture("teams_message_personal.json")
    message.pop("attachments")
    with (
        teams_server(tmp_path / "a", frameworks) as first,
        teams_server(tmp_path / "b", frameworks) as second,
    ):
        first.post(message | {"text": "leadership"})
        ones, _ = scrape(first.url)
        others, _ = scrape(second.url)
    requests = "behaviourbot_requests_total"
    assert value(ones, requests, platform="teams", kind="message", status="200") == 1
    assert value(others, requests, platform="teams", kind="message", status="200") == 0
