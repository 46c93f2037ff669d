"""Run aiohttp applications on free loopback ports in a background thread, for tests
that talk to them over real HTTP; and a fake Slack Web API that records every call."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """An aiohttp application served on 127.0.0.1 from its own event loop and thread."""

    def __init__(self, app: web.Application):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.runner = web.AppRunner(self.app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        self.loop.run_until_complete(site.start())
        self._started.set()
        self.loop.run_forever()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        assert self._started.wait(10), "server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeSlack:
    """Slack's Web API and response_url endpoints, recording what the bot sends."""

    calls: list[Call] = field(default_factory=list)
    bot_user: str = "UB0T"
    # method -> how many of its next calls to answer with Slack's error
    failures: dict[str, int] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self.api)
        app.router.add_post("/response/{name}", self.response_url)
        app.router.add_get("/link", self.socket)
        return app

    # Socket Mode: apps.connections.open hands out ws://.../link; on connect the fake
    # sends each queued envelope and records what the client sends back.
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    socket_replies: list[dict[str, Any]] = field(default_factory=list)
    base: str = ""

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        for envelope in self.envelopes:
            await ws.send_json(envelope)
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_replies.append(json.loads(message.data))
        return ws

    async def _record(self, request: web.Request) -> Call:
        raw = await request.text()
        if request.content_type == "application/json":
            body = json.loads(raw) if raw else {}
        else:
            body = {k: v[0] for k, v in parse_qs(raw).items()}
        call = Call(request.path, dict(request.headers), body)
        self.calls.append(call)
        return call

    async def api(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        method = request.match_info["method"]
        if self.failures.get(method):
            self.failures[method] -= 1
            return web.json_response({"ok": False, "error": "fatal_error"})
        answer: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            answer |= {"user_id": self.bot_user, "bot_id": "B0T", "team_id": "T111", "user": "bot"}
        elif method == "apps.connections.open":
            answer |= {"url": self.base.replace("http://", "ws://") + "link"}
        elif method == "chat.postMessage":
            answer |= {"channel": call.body.get("channel"), "ts": "1700000000.000100"}
        return web.json_response(answer)

    async def response_url(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.Response(text="ok")

    def to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]


@dataclass
class FakeConnector:
    """The Bot Framework connector (a Teams `serviceUrl`): records every activity the bot
    sends, updates and every conversation it creates."""

    calls: list[Call] = field(default_factory=list)
    refuse_new_conversations: bool = False
    refuse_updates: bool = False
    delay: float = 0.0  # seconds before answering a posted activity
    _ids: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/v3/conversations", self.conversations)
        app.router.add_route("*", "/v3/conversations/{rest:.*}", self.activities)
        return app

    async def _record(self, request: web.Request) -> Call:
        raw = await request.text()
        call = Call(
            f"{request.method} {request.path}", dict(request.headers), json.loads(raw or "{}")
        )
        self.calls.append(call)
        return call

    def _next_id(self) -> str:
        self._ids += 1
        return f"activity-{self._ids}"

    async def conversations(self, request: web.Request) -> web.Response:
        await self._record(request)
        if self.refuse_new_conversations:
            return web.json_response({"error": {"code": "Forbidden"}}, status=403)
        return web.json_response({"id": "a:new-1to1", "activityId": self._next_id()}, status=201)

    async def activities(self, request: web.Request) -> web.Response:
        await self._record(request)
        await asyncio.sleep(self.delay)
        if request.method == "PUT" and self.refuse_updates:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response({"id": self._next_id()})

    def sent(self) -> list[dict[str, Any]]:
        """Activities posted (new messages and replies), in order."""
        return [c.body for c in self.calls if c.path.startswith("POST /v3/conversations/")]

    def updated(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("PUT ")]
