"""The Teams adapter's own connector client (adapters.teams.connector) and the SDK kept
behind adapters.teams.sdk: connections and tokens reused across turns, tried again only
when a call cannot have arrived, and refusals told apart for the outbox. Through
/api/messages, with the replies at a local fake connector."""

from __future__ import annotations

import ast
import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import adapters.teams.sdk
from adapters.delivery import Refused, SlowDown
from adapters.teams.connector import CHANNEL_SCOPE, ConnectorError
from bot.frameworks import Framework

from .test_turn import KeyService, Teams, authenticated, fixture, teams_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def teams(tmp_path: Path, frameworks: list[Framework]) -> Iterator[Teams]:
    with teams_server(tmp_path, frameworks) as running:
        yield running


def test_turns_share_one_connection_to_the_connector(teams: Teams) -> None:
    for n in range(3):
        assert teams.message("leadership", id=f"m-{n}")[0] == 200
    peers = {call.peer for call in teams.connector.calls}
    assert len(teams.connector.calls) == 3 and len(peers) == 1  # kept alive, not remade


def test_a_busy_connector_is_asked_again_once(teams: Teams) -> None:
    teams.connector.failures = [503]
    assert teams.message("leadership")[0] == 200
    first, second = teams.connector.calls
    assert first.body == second.body  # the same reply, delivered by the second call


def test_a_reply_that_may_have_arrived_is_not_sent_again(teams: Teams) -> None:
    teams.connector.failures = [500, 500]  # a server error: it may have been taken
    status, body = teams.message("leadership")
    # the reply failed, and so did the apology: each was posted once
    assert status == 502 and "cannot reach the connector" in body
    reply, apology = teams.connector.calls
    assert reply.body["attachments"] and apology.body["text"].startswith("Sorry")


def test_the_bots_token_is_fetched_once_and_sent_with_every_call(
    tmp_path: Path, frameworks: list[Framework], monkeypatch: pytest.MonkeyPatch
) -> None:
    """botbuilder's MSAL credentials make the token; they are asked once (off the event
    loop), and the token goes with each reply until it nears its expiry."""
    fetched: list[tuple[str, str]] = []

    class Credentials:
        def __init__(self, scope: str):
            self.scope = scope

        def get_access_token(self) -> str:
            fetched.append((self.scope, threading.current_thread().name))
            return "a-token-from-microsoft"

    async def create_credentials(self: Any, app_id: str, scope: str, *rest: Any) -> Credentials:
        return Credentials(scope)

    factory = adapters.teams.sdk.ConfigurationServiceClientCredentialFactory
    monkeypatch.setattr(factory, "create_credentials", create_credentials)
    keys = KeyService()
    with authenticated(tmp_path, frameworks, keys) as teams:
        header = {"Authorization": f"Bearer {keys.token(teams.service_url)}"}
        for n in range(2):
            activity = fixture("teams_message_personal.json") | {"text": "pace", "id": f"t{n}"}
            activity.pop("attachments")
            assert teams.post(activity, header)[0] == 200
        calls = teams.connector.calls
        assert len(calls) == 2
        assert {c.headers["Authorization"] for c in calls} == {"Bearer a-token-from-microsoft"}
    (scope, thread), *more = fetched
    assert not more and scope == CHANNEL_SCOPE and thread != "MainThread"
    assert not thread.startswith("Thread-")  # asyncio.to_thread's pool, not a server loop


def test_a_refused_token_is_dropped_and_a_new_one_used(teams: Teams) -> None:
    tokens = iter(["expired", "fresh"])
    asked: list[str] = []

    async def token(audience: str) -> str:
        asked.append(audience)
        return current[0]

    current = [next(tokens)]

    def forget(audience: str) -> None:
        current[0] = next(tokens)

    teams.connector.refused_tokens = {"expired"}
    teams.adapter.connector.tokens = token
    teams.adapter.connector.forget = forget
    assert teams.message("leadership")[0] == 200
    refused, taken = teams.connector.calls
    assert refused.headers["Authorization"] == "Bearer expired"
    assert taken.headers["Authorization"] == "Bearer fresh"
    assert asked == [CHANNEL_SCOPE, CHANNEL_SCOPE]


@pytest.mark.parametrize(
    ("status", "raised"), [(429, SlowDown), (403, Refused), (500, ConnectorError)]
)
def test_a_direct_message_says_how_it_failed(
    teams: Teams, status: int, raised: type[Exception]
) -> None:
    """The outbox waits after a 429, sends again after a refusal (it did not arrive),
    and is unsure after a server error."""
    assert teams.message("help")[0] == 200  # Megan's personal chat is kept
    person = (
        "teams:72f988bf-86f1-41af-91ab-2d7cd011db47:"
        + (fixture("teams_message_personal.json")["from"]["aadObjectId"])
    )
    teams.connector.calls.clear()
    teams.connector.failures = [status] * 2
    with pytest.raises(raised):
        teams.send_direct(person, "pace heo")
    if status == 429:  # asked to wait: asked again once (Retry-After: 0), then given up
        assert len(teams.connector.calls) == 2
    else:
        assert len(teams.connector.calls) == 1


def test_the_sdk_is_imported_in_one_module_only() -> None:
    """botbuilder is archived upstream: everything taken from it is in
    adapters/teams/sdk.py, so that a move to its successor changes that module alone."""
    importers = []
    for path in sorted([*ROOT.glob("adapters/**/*.py"), *ROOT.glob("bot/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] in ("botbuilder", "botframework", "msrest") for n in names):
                importers.append(path.relative_to(ROOT).as_posix())
    assert sorted(set(importers)) == ["adapters/teams/sdk.py"]


def test_the_connector_session_is_closed_with_the_app(teams: Teams) -> None:
    assert teams.message("leadership")[0] == 200
    session = teams.adapter.connector._session
    assert session is not None and not session.closed
    asyncio.run_coroutine_threadsafe(teams.adapter.close(), teams.loop).result(5)
    assert session.closed


def test_an_id_of_dots_cannot_climb_the_connectors_path() -> None:
    from adapters.teams.connector import conversation_path

    assert conversation_path("..", "activities", ".") == "v3/conversations/%2E%2E/activities/%2E"
    assert (
        conversation_path("a:1/../x", "activities") == "v3/conversations/a%3A1%2F..%2Fx/activities"
    )


def test_a_connectors_wait_is_capped_and_a_repeating_roster_stops(teams: Teams) -> None:
    """Numbers and pages from a connector are not trusted: Retry-After of a billion
    seconds waits an hour at most, and a roster whose pages never end stops."""
    from aiohttp import web

    from adapters.teams.connector import MAX_PAGES, RETRY_AFTER_CAP, Connector

    calls = []

    async def busy(request: web.Request) -> web.Response:
        calls.append(request.path)
        if request.path.endswith("pagedmembers"):
            return web.json_response({"members": [{"id": "29:x"}], "continuationToken": "same"})
        return web.json_response({}, status=429, headers={"Retry-After": "1e9"})

    async def run() -> tuple[ConnectorError, int]:
        app = web.Application()
        app.router.add_route("*", "/{rest:.*}", busy)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        connector = Connector(lambda audience: asyncio.sleep(0, result=None))
        url = f"http://127.0.0.1:{port}/"
        try:
            try:
                await connector.send(
                    {"conversation": {"id": "a:1"}, "serviceUrl": url, "type": "message"}, "x"
                )
            except ConnectorError as exc:
                error = exc
            members = await connector.members(url, "19:team", "x")
        finally:
            await connector.close()
            await runner.cleanup()
        return error, len(members)

    error, members = asyncio.run(run())
    assert error.status == 429 and error.retry_after == RETRY_AFTER_CAP
    assert members == MAX_PAGES and len(calls) == 1 + MAX_PAGES  # asked once: too long a wait


def test_a_channel_token_checked_once_is_not_checked_again_for_the_same_service(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """Teams sends the same token for an hour: checking it (two RSA signature checks)
    was about 500 µs a request. Once checked it passes for a while, for the same
    channel and service URL only."""
    keys = KeyService()
    with authenticated(tmp_path, frameworks, keys) as teams:
        check = teams.adapter.auth._check
        checked: list[str | None] = []
        original = check.authenticate_request

        async def counted(activity: Any, header: str) -> Any:
            checked.append(activity.service_url)
            return await original(activity, header)

        check.authenticate_request = counted  # type: ignore[method-assign]
        # someone else joining a chat: answered with nothing, so no outbound call
        activity = fixture("teams_conversation_update_personal_install.json")
        activity["membersAdded"] = [{"id": "29:someone"}]
        header = {"Authorization": f"Bearer {keys.token(teams.service_url)}"}
        for n in range(3):
            assert teams.post(activity | {"id": f"j{n}"}, header)[0] == 200
        assert checked == [None, teams.service_url]  # the first request's two checks only
        # the same token, for another service URL: checked, and refused
        teams.service_url = "https://elsewhere.example/"
        assert teams.post(activity | {"id": "j9"}, header)[0] == 401
        assert checked[-1] == "https://elsewhere.example/"
