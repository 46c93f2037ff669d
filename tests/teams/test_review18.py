"""Review of the Teams adapter's own connector client (commit 364798e): the defects found,
each shown by a test that fails until it is fixed (xfail, strict). Through /api/messages,
the outbox and a local fake connector, as tests/teams/test_connector.py does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import adapters.teams.sdk
from adapters.delivery import Unreachable
from adapters.web import TEAMS_ADAPTER, create_app
from bot.clock import RunningClock
from bot.frameworks import Framework
from bot.outbox import Outbox
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store
from bot.types import Block, Reply, replies_to_json

from ..conftest import START
from ..servers import FakeConnector, ServerThread, wait_for
from .test_turn import MEGAN, KeyService, Teams, authenticated, fixture, teams_server


@dataclass
class Scripted(FakeConnector):
    """The fake connector, with the next posts answered by `script` (one status each; a
    2xx is taken as usual) and card updates that are applied at once but answered after
    `update_delay` seconds."""

    script: list[int] = field(default_factory=list)
    update_delay: float = 0.0

    def _refusal(self, request: web.Request) -> web.Response | None:
        if request.method == "POST" and self.script:
            status = self.script.pop(0)
            if status >= 300:
                return web.json_response({"error": {"code": "Refused"}}, status=status)
        return super()._refusal(request)

    async def activities(self, request: web.Request) -> web.Response:
        if request.method != "PUT" or not self.update_delay:
            return await super().activities(request)
        await self._record(request)  # the card is replaced; the answer comes late
        await asyncio.sleep(self.update_delay)
        return web.json_response({"id": request.match_info["rest"].rsplit("/", 1)[-1]})


@contextlib.contextmanager
def served(
    tmp_path: Path, frameworks: list[Framework], connector: FakeConnector, clock: RunningClock
) -> Iterator[Teams]:
    """The web app in development mode (as tests.teams.test_turn.teams_server) with
    `connector` as the connector; the store is yielded open after the app has stopped."""
    with ServerThread(connector.app()) as service:
        settings = Settings.from_env({"BEHAVIOURBOT_DB": str(tmp_path / "bot.db")})
        store = Store.open(settings.db_path, clock)
        app = create_app(settings, Bot(frameworks, store), dev=True, outbox_every=0.05)
        try:
            with ServerThread(app) as server:
                yield Teams(
                    server.url, connector, service.url, store, app[TEAMS_ADAPTER], server.loop
                )
        finally:
            store.close()


def on_worker(teams: Teams, fn: Callable[[], Any]) -> Any:
    """`fn()` on the app's core thread, where the store is used."""
    return asyncio.run_coroutine_threadsafe(teams.adapter.run(fn), teams.loop).result(10)


def queue(teams: Teams, key: str, *texts: str) -> None:
    """A direct message to Megan in the outbox, one plain reply for each of `texts`."""
    replies = [Reply(blocks=(Block("paragraph", text),)) for text in texts]

    def add() -> None:
        with teams.store.transaction():
            Outbox(teams.store).queue(MEGAN, key, replies_to_json(replies))

    on_worker(teams, add)


def outbox_row(teams: Teams, key: str) -> dict[str, Any]:
    return on_worker(teams, lambda: next(teams.store.db["outbox"].rows_where("key = ?", [key])))


def fake_microsoft_login(monkeypatch: pytest.MonkeyPatch, get_token: Callable[[], str]) -> None:
    """botbuilder's MSAL credentials replaced: `get_token` makes the bot's token."""

    class Credentials:
        def get_access_token(self) -> str:
            return get_token()

    async def create_credentials(self: Any, *args: Any) -> Credentials:
        return Credentials()

    factory = adapters.teams.sdk.ConfigurationServiceClientCredentialFactory
    monkeypatch.setattr(factory, "create_credentials", create_credentials)


def test_a_direct_message_partly_delivered_is_not_sent_again_whole(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    clock = RunningClock(START)
    connector = Scripted()
    with served(tmp_path, frameworks, connector, clock) as teams:
        assert teams.message("help")[0] == 200  # Megan's personal chat is kept
        connector.calls.clear()
        connector.script = [200, 403]  # the first part taken, the second refused
        queue(teams, "review18-parts", "The first part.", "The second part.")
        # the first attempt's outcome: sent, or to be tried again after a pause
        wait_for(lambda: (r := outbox_row(teams, "review18-parts"))["attempts"] or r["sent_at"])
        if outbox_row(teams, "review18-parts")["sent_at"] is None:
            clock.advance(timedelta(minutes=5))
        wait_for(lambda: outbox_row(teams, "review18-parts")["sent_at"] is not None)
        firsts = [a for a in connector.sent() if a.get("text") == "The first part."]
        assert len(firsts) == 1, f"the first part arrived {len(firsts)} times"


def test_a_card_update_that_may_have_been_applied_is_not_posted_again(
    tmp_path: Path, frameworks: list[Framework], monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = Scripted(update_delay=1.5)
    with served(tmp_path, frameworks, connector, RunningClock(START)) as teams:
        monkeypatch.setattr(teams.adapter.connector, "timeout", 0.3)
        activity = fixture("teams_message_card_messageback.json")
        activity["value"] = {"command": "show civil-service/leadership/2"}
        teams.post(activity)
        (update,) = connector.updated()  # taken: the card shows Level 2
        assert "Leadership: Level 2" in json.dumps(update.body)
        again = [a for a in connector.sent() if "Leadership: Level 2" in json.dumps(a)]
        assert again == [], "the answer was posted as well as put in the card"


def test_a_direct_message_under_way_at_shutdown_is_finished(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    connector = Scripted()
    with served(tmp_path, frameworks, connector, RunningClock(START)) as teams:
        assert teams.message("help")[0] == 200
        connector.delay = 1.0  # the connector takes a second to answer the next post
        queue(teams, "review18-shutdown", "Sent as the app stops.")
        wait_for(lambda: any(a.get("text") == "Sent as the app stops." for a in connector.sent()))
    # the app has stopped (its cleanup ran while the post was under way)
    store = Store.open(tmp_path / "bot.db")
    try:
        row = next(store.db["outbox"].rows_where("key = ?", ["review18-shutdown"]))
    finally:
        store.close()
    assert row["sent_at"] is not None, f"not reported sent: unsure={row['unsure']}"


def test_a_hung_token_fetch_is_given_up_on_within_the_turn(
    tmp_path: Path, frameworks: list[Framework], monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def hung_login() -> str:  # Microsoft's login endpoint not answering
        release.wait(30)
        return "late-token"

    fake_microsoft_login(monkeypatch, hung_login)
    keys = KeyService()
    with authenticated(tmp_path, frameworks, keys) as teams:
        monkeypatch.setattr(teams.adapter.connector, "timeout", 0.5)
        activity = fixture("teams_message_personal.json") | {"text": "pace"}
        activity.pop("attachments")
        activity["serviceUrl"] = teams.service_url
        request = urllib.request.Request(
            teams.url + "api/messages",
            data=json.dumps(activity).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {keys.token(teams.service_url)}",
            },
        )
        started = time.monotonic()
        try:
            # a 502 (Teams then tries again), well inside the 15 seconds Teams waits
            with pytest.raises(urllib.error.HTTPError) as answered:
                urllib.request.urlopen(request, timeout=5)
        finally:
            release.set()
        assert answered.value.code == 502 and time.monotonic() - started < 5


def test_the_bots_token_goes_only_where_a_channel_token_vouched_for(
    tmp_path: Path, frameworks: list[Framework], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_microsoft_login(monkeypatch, lambda: "the-bots-own-token")
    elsewhere = FakeConnector()  # a listener of anyone's on this machine
    with ServerThread(elsewhere.app()) as listener:
        # development mode on the same database: nothing vouches for who or where
        with teams_server(tmp_path, frameworks) as dev:
            dev.service_url = listener.url
            emulator = fixture("teams_message_personal.json") | {"channelId": "emulator"}
            emulator.pop("attachments")
            assert dev.post(emulator | {"text": "help"})[0] == 200
        elsewhere.calls.clear()
        with (
            authenticated(tmp_path, frameworks, KeyService()) as teams,
            contextlib.suppress(Unreachable),  # a fix may find nobody to send to
        ):
            teams.send_direct(MEGAN, "leadership level 2")
        carried = [c.path for c in elsewhere.calls if "Authorization" in c.headers]
        assert carried == [], f"the bot's token was sent with {carried}"
