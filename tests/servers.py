"""Run aiohttp applications on free loopback ports in a background thread, for tests
that talk to them over real HTTP; and a fake Slack Web API that records every call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web


def wait_for(check: Callable[[], Any], seconds: float = 10.0) -> Any:
    """What `check` returns once it is truthy (polled), for work done in the background."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out after {seconds:g} s waiting")


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
    at: float = field(default_factory=time.monotonic)
    peer: Any = None  # the caller's (host, port): the same for calls on one connection
    size: int = 0  # bytes of the body as received


@dataclass
class FakeSlack:
    """Slack's Web API and response_url endpoints, recording what the bot sends."""

    calls: list[Call] = field(default_factory=list)
    bot_user: str = "UB0T"
    # method -> how many of its next calls to answer with Slack's error
    failures: dict[str, int] = field(default_factory=dict)
    # users.info: user id -> Slack's user object; others are user_not_found
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # chat.postMessage: channel -> the error Slack answers a post there with
    post_errors: dict[str, str] = field(default_factory=dict)
    # every Nth chat.postMessage is answered 429 with Retry-After (0: never)
    limit_every: int = 0
    retry_after: int = 1
    posts: int = 0
    limited: list[Call] = field(default_factory=list)  # the posts answered 429
    # method -> seconds to wait before answering it (a slow Slack)
    slow: dict[str, float] = field(default_factory=dict)
    post_delay: float = 0.0  # seconds before answering each chat.postMessage (see _slowly)
    delay_before_keeping: bool = False  # the delay comes before Slack takes the post
    # what Slack keeps of each post it took, by conversation (a user's DM: "D" + their id),
    # oldest first, as conversations.history gives it
    stored: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # how the next posts fail with a 500: "before" Slack took the post, or "after"
    break_posts: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)  # users.info is a GET
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
        body |= dict(request.query)  # a GET's arguments
        call = Call(request.path, dict(request.headers), body)
        self.calls.append(call)
        return call

    async def api(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        method = request.match_info["method"]
        if self.slow.get(method):
            await asyncio.sleep(self.slow[method])
        if self.failures.get(method):
            self.failures[method] -= 1
            return web.json_response({"ok": False, "error": "fatal_error"})
        answer: dict[str, Any] = {"ok": True}
        if method == "chat.postMessage":
            self.posts += 1
            if self.limit_every and self.posts % self.limit_every == 0:
                self.limited.append(call)
                headers = {"Retry-After": str(self.retry_after)}
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
            if (error := self.post_errors.get(str(call.body.get("channel")))) is not None:
                return web.json_response({"ok": False, "error": error})
            broken = self.break_posts.pop(0) if self.break_posts else ""
            if broken == "before":
                return web.Response(status=500, text="internal error")
            if self.delay_before_keeping:
                await self._slowly()
                if request.transport is None or request.transport.is_closing():
                    return web.Response(status=499)  # the sender went first: not taken
            answer |= self.keep(call.body)
            await self._slowly()
            if broken == "after":
                return web.Response(status=500, text="internal error")
            return web.json_response(answer)
        if method == "users.info":
            user = self.users.get(str(call.body.get("user")))
            if user is None:
                return web.json_response({"ok": False, "error": "user_not_found"})
            answer |= {"user": user}
        elif method == "auth.test":
            answer |= {"user_id": self.bot_user, "bot_id": "B0T", "team_id": "T111", "user": "bot"}
        elif method == "apps.connections.open":
            answer |= {"url": self.base.replace("http://", "ws://") + "link"}
        elif method == "conversations.open":
            answer |= {"channel": {"id": self.conversation(str(call.body.get("users")))}}
        elif method == "conversations.history":
            answer |= self.history(call.body)
        return web.json_response(answer)

    @staticmethod
    def conversation(channel: str) -> str:
        """Where a post to `channel` goes: a user id means their DM with the app."""
        return "D" + channel if channel[:1] in ("U", "W") else channel

    def keep(self, body: dict[str, Any]) -> dict[str, Any]:
        """Keep a post as Slack does (a ts of the real time: Slack's clock); Slack's
        answer to it."""
        channel = self.conversation(str(body.get("channel")))
        metadata = body.get("metadata")
        message = {"type": "message", "user": self.bot_user, "ts": f"{time.time():.6f}"}
        message |= {"text": body.get("text", "")}
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.stored.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"]}

    def history(self, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: newest first, since `oldest`; metadata only when asked."""
        oldest = float(body.get("oldest") or 0)
        metadata = str(body.get("include_all_metadata")).lower() in ("1", "true")
        messages = [
            m if metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in reversed(self.stored.get(str(body.get("channel")), []))
            if float(m["ts"]) >= oldest
        ]
        return {"messages": messages, "has_more": False}

    async def _slowly(self) -> None:
        """Wait `post_delay` seconds, or less when it is set lower meanwhile."""
        started = time.monotonic()
        while time.monotonic() - started < self.post_delay:
            await asyncio.sleep(0.02)

    async def response_url(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.Response(text="ok")

    def to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def delivered(self) -> list[Call]:
        """chat.postMessage calls that Slack accepted."""
        return [
            c
            for c in self.to("/api/chat.postMessage")
            if c.body.get("channel") not in self.post_errors
            and not any(c is limited for limited in self.limited)
        ]


# The zone Slack would name for a winter offset (the tests' clock is in March).
ZONE_OF_OFFSET = {
    0: "Europe/London",
    3600: "Europe/Paris",
    -18000: "America/New_York",
    19800: "Asia/Kolkata",
}


def slack_user(user: str, name: str, *, tz_offset: int = 0, **more: Any) -> dict[str, Any]:
    """A users.info `user`, in the shape Slack's documentation gives."""
    return {
        "id": user,
        "team_id": "T123ABC456",
        "name": name.split()[0].lower(),
        "deleted": False,
        "real_name": name,
        "tz": ZONE_OF_OFFSET.get(tz_offset, "Etc/UTC"),
        "tz_offset": tz_offset,
        "profile": {"real_name": name, "display_name": name.split()[0]},
        "is_bot": False,
        "is_app_user": False,
    } | more


@dataclass
class FakeConnector:
    """The Bot Framework connector (a Teams `serviceUrl`): records every activity the bot
    sends, updates and every conversation it creates."""

    calls: list[Call] = field(default_factory=list)
    refuse_new_conversations: bool = False
    refuse_updates: bool = False
    delay: float = 0.0  # seconds before answering a posted activity
    # conversation or team id -> its members (pagedmembers), as Teams gives them
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # statuses to answer the next posted activities with, one each, before succeeding;
    # a 429 or 503 says Retry-After: 0
    failures: list[int] = field(default_factory=list)
    refused_tokens: set[str] = field(default_factory=set)  # answered 401
    _ids: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/v3/conversations", self.conversations)
        app.router.add_route("*", "/v3/conversations/{rest:.*}", self.activities)
        return app

    async def _record(self, request: web.Request) -> Call:
        raw = await request.read()
        call = Call(
            f"{request.method} {request.path}",
            dict(request.headers),
            json.loads(raw or b"{}"),
            size=len(raw),
            peer=request.transport.get_extra_info("peername") if request.transport else None,
        )
        self.calls.append(call)
        return call

    def _refusal(self, request: web.Request) -> web.Response | None:
        """The answer to a refused token or a failure asked for, if any."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token in self.refused_tokens:
            return web.json_response({"message": "Authorization has been denied"}, status=401)
        if request.method == "POST" and self.failures:
            status = self.failures.pop(0)
            headers = {"Retry-After": "0"} if status in (429, 503) else {}
            return web.json_response({"error": {"code": "Busy"}}, status=status, headers=headers)
        return None

    def _next_id(self) -> str:
        self._ids += 1
        return f"activity-{self._ids}"

    async def conversations(self, request: web.Request) -> web.Response:
        await self._record(request)
        if (refusal := self._refusal(request)) is not None:
            return refusal
        if self.refuse_new_conversations:
            return web.json_response({"error": {"code": "Forbidden"}}, status=403)
        return web.json_response({"id": "a:new-1to1", "activityId": self._next_id()}, status=201)

    async def activities(self, request: web.Request) -> web.Response:
        await self._record(request)
        rest = request.match_info["rest"]
        if request.method == "GET" and rest.endswith("/pagedmembers"):
            conversation = rest.removesuffix("/pagedmembers")
            if conversation not in self.members:
                return web.json_response({"error": {"code": "NotFound"}}, status=404)
            return web.json_response({"members": self.members[conversation]})
        await asyncio.sleep(self.delay)
        if (refusal := self._refusal(request)) is not None:
            return refusal
        if request.method == "PUT" and self.refuse_updates:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response({"id": self._next_id()})

    def sent(self) -> list[dict[str, Any]]:
        """Activities posted (new messages and replies), in order."""
        return [c.body for c in self.calls if c.path.startswith("POST /v3/conversations/")]

    def updated(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("PUT ")]


@contextlib.contextmanager
def serve_process(
    tmp_path: Path, *more: str, env: dict[str, str] | None = None, dev: bool = True
) -> Iterator[tuple[int, Path, subprocess.Popen[bytes]]]:
    """`behaviourbot serve` (with `dev`, `--dev`) in a process of its own, on a free
    port, with no platform variables but `env`'s: (its port, its standard error's file,
    the process), stopped (SIGTERM) on leaving."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft"))}
    environment |= env or {}
    args = ["serve", *(["--dev"] if dev else []), "--port", str(port)]
    args += ["--db", str(tmp_path / "bot.db"), *more]
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as err:
        served = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", *args],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            deadline = time.monotonic() + 30
            while "serving on" not in stderr.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            yield port, stderr, served
        finally:
            served.terminate()
            served.wait(20)
