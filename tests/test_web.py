"""The web process's own endpoints over HTTP: /healthz (alive) and /readyz (ready, and
if not, why), on the real app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.web import READY_OUTBOX_AGE, SOCKET_MODE, create_app
from bot.clock import RunningClock, iso
from bot.frameworks import Framework
from bot.outbox import Outbox
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store
from bot.types import Block, Reply, replies_to_json

from .conftest import START
from .servers import FakeSlack, ServerThread, wait_for

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PASSWORD = "Very~Secret.Password-123"


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextlib.contextmanager
def serving(
    tmp_path: Path,
    frameworks: list[Framework],
    env: dict[str, str] | None = None,
    **options: Any,
) -> Iterator[tuple[str, web.Application, ServerThread]]:
    settings = Settings.from_env({"BEHAVIOURBOT_DB": str(tmp_path / "bot.db"), **(env or {})})
    store = Store.open(settings.db_path, RunningClock(START), wait=10.0)
    app = create_app(settings, Bot(frameworks, store), **options)
    with ServerThread(app) as server:
        yield server.url, app, server
    store.close()


def test_a_configured_server_is_ready(tmp_path: Path, frameworks: list[Framework]) -> None:
    with serving(tmp_path, frameworks, dev=True) as (url, _, _):
        assert get(url + "healthz") == (200, {"ok": True})
        status, answer = get(url + "readyz")
    assert status == 200
    assert answer["ready"] is True
    checks = answer["checks"]
    assert set(checks) == {"database", "outbox", "slack", "teams", "platforms"}
    assert checks["database"] == {"ok": True}
    assert checks["outbox"] | {"oldest_seconds": 0} == {
        "ok": True,
        "waiting": 0,
        "oldest_seconds": 0,
        "limit_seconds": READY_OUTBOX_AGE,
    }
    assert checks["slack"] == {"ok": True, "on": False, "http": False}
    # development mode is ready, and says loudly what it is
    assert checks["teams"]["ok"] and checks["teams"]["dev"] is True
    assert "NOT authenticated" in checks["teams"]["warning"]


def test_a_database_another_process_holds_is_not_ready_and_the_loop_stays_free(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    # no delivery round meanwhile: its writes would wait for the lock on the core's thread
    with serving(tmp_path, frameworks, dev=True, outbox_every=3600) as (url, _, _):
        assert get(url + "readyz")[0] == 200  # the start-up's writes (old event ids) done
        holder = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's write lock
        try:
            started = time.monotonic()
            status, answer = get(url + "readyz")
            took = time.monotonic() - started
            assert get(url + "healthz")[0] == 200  # alive all the same
        finally:
            holder.rollback()
            holder.close()
        assert get(url + "readyz")[0] == 200  # ready again once it is let go
    assert status == 503
    assert answer["ready"] is False
    assert answer["checks"]["database"] == {
        "ok": False,
        "error": "cannot write: locked by another process",
    }
    assert took < 2.0  # a short wait for the lock, not the store's ten seconds


def test_a_message_waiting_too_long_makes_the_server_not_ready(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """A Teams message not delivered (the connector keeps failing, say): once it has
    waited due longer than the limit, the server is not ready, and says how long and how
    many. A Slack message, with Slack off here, is another process's to deliver."""
    # no delivery round meanwhile (it would find nobody to send the Teams message to)
    with serving(tmp_path, frameworks, dev=True, outbox_every=3600) as (url, _, _):
        assert get(url + "readyz")[0] == 200
        other = Store.open(tmp_path / "bot.db", RunningClock(START))  # another connection
        replies = replies_to_json([Reply(blocks=(Block("paragraph", "hello"),))])
        late = iso(START - timedelta(seconds=READY_OUTBOX_AGE + 60))
        later = iso(START + timedelta(hours=1))  # held for working hours: not waiting
        with other.transaction():
            Outbox(other).queue("teams:T1:U1", "test-late", replies, due=late)
            Outbox(other).queue("teams:T1:U2", "test-later", replies, due=later)
            Outbox(other).queue("slack:T1:U3", "test-elsewhere", replies, due=late)
        other.close()
        status, answer = get(url + "readyz")
    assert status == 503
    outbox = answer["checks"]["outbox"]
    assert outbox["ok"] is False and outbox["waiting"] == 1
    assert READY_OUTBOX_AGE + 60 <= outbox["oldest_seconds"] < READY_OUTBOX_AGE + 120
    assert "waited longer" in outbox["error"]
    assert answer["checks"]["database"]["ok"]


def test_half_configured_platforms_are_not_ready_and_no_secret_is_shown(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    env = {
        "SLACK_SIGNING_SECRET": SECRET,  # without SLACK_BOT_TOKEN
        "MicrosoftAppId": "5f2f1f60-35b7-4fd5-8b5c-3e3f3c0ad1c0",
        "MicrosoftAppPassword": PASSWORD,
        "MicrosoftAppType": "SingleTenant",  # without MicrosoftAppTenantId
    }
    with serving(tmp_path, frameworks, env) as (url, _, _):
        with urllib.request.urlopen(url + "healthz", timeout=10):
            pass
        try:
            urllib.request.urlopen(url + "readyz", timeout=10)
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read().decode()
    assert status == 503
    assert SECRET not in raw and PASSWORD not in raw and "5f2f1f60" not in raw
    checks = json.loads(raw)["checks"]
    assert checks["slack"] == {
        "ok": False,
        "on": False,
        "http": False,
        "error": "SLACK_BOT_TOKEN not set",
    }
    assert checks["teams"] == {
        "ok": False,
        "on": False,
        "error": "MicrosoftAppType SingleTenant needs MicrosoftAppTenantId",
    }
    assert checks["platforms"] == {"ok": False, "error": "neither Slack nor Teams is on"}


def test_a_secret_pasted_as_the_app_type_is_not_shown(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    env = {
        "MicrosoftAppId": "5f2f1f60-35b7-4fd5-8b5c-3e3f3c0ad1c0",
        "MicrosoftAppPassword": PASSWORD,
        "MicrosoftAppType": PASSWORD + "-pasted-by-mistake",
    }
    with serving(tmp_path, frameworks, env) as (url, _, _):
        status, answer = get(url + "readyz")
    assert status == 503 and "pasted-by-mistake" not in json.dumps(answer)
    assert answer["checks"]["teams"]["error"] == (
        "MicrosoftAppType is not one of MultiTenant, SingleTenant, UserAssignedMSI"
    )


def test_slack_and_teams_configured_are_ready_without_asking_them(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    fake = FakeSlack()
    with ServerThread(fake.app()) as api:
        env = {
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": api.url + "api/",
            "MicrosoftAppId": "5f2f1f60-35b7-4fd5-8b5c-3e3f3c0ad1c0",
            "MicrosoftAppPassword": PASSWORD,
        }
        with serving(tmp_path, frameworks, env) as (url, _, _):
            calls = len(fake.calls)
            status, answer = get(url + "readyz")
            assert len(fake.calls) == calls  # nothing asked of Slack to answer it
    assert status == 200
    assert answer["checks"]["slack"] == {"ok": True, "on": True, "http": True}
    assert answer["checks"]["teams"] == {"ok": True, "on": True}


def test_socket_mode_is_ready_while_connected_only(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    fake = FakeSlack()
    with ServerThread(fake.app()) as api:
        fake.base = api.url
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_APP_TOKEN": "xapp-1-test",
            "SLACK_API_URL": api.url + "api/",
        }
        with serving(tmp_path, frameworks, env, socket=True) as (url, app, server):
            wait_for(lambda: get(url + "readyz")[0] == 200)
            status, answer = get(url + "readyz")
            (handler,) = app[SOCKET_MODE]
            closing = asyncio.run_coroutine_threadsafe(handler.close_async(), server.loop)
            closing.result(10)
            down, why = get(url + "readyz")
    assert status == 200
    assert answer["checks"]["slack"] == {"ok": True, "on": True, "http": False, "socket": True}
    assert down == 503
    assert why["checks"]["slack"]["socket"] is False
    assert why["checks"]["slack"]["error"] == "the Socket Mode connection is down"
