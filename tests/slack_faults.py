"""A fake Slack Web API that can fail the way Slack and networks do, for the fault suite
(tests/test_faults.py) and its benchmark (bench/faults.py); and the pieces both use: a
signed Slack event, `behaviourbot serve` as a process, a 360 request to many peers made
through the real core, and what the outbox holds.

The fake keeps every message it accepted per channel (a direct message to a user id
lands in that user's DM channel, D + the id's tail, as Slack answers), with the message
metadata the bot posted (`{"event_type", "event_payload"}`), and answers
conversations.history with them in Slack's documented shape, newest first. What happens
to each chat.postMessage is chosen by `fault(post)`:

* None: accepted;
* "429": refused with HTTP 429 and `Retry-After` (not accepted);
* "slow": accepted, answered after `slow_seconds` (past slack_sdk's 30 s timeout);
* "500": accepted, then answered HTTP 500 (Slack had an error after posting);
* "drop": accepted, then the connection is reset instead of an answer;
* "reset": the connection is reset before Slack takes it (not accepted);
* "hold": accepted after `hold_seconds`, unless `hold_lands` is False (the post never
  reached Slack); `on_hold(post)` is called when the hold begins (to kill the poster).
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.frameworks import load_all
from bot.router import Bot
from bot.storage import Store
from bot.types import Event, Person

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0FAULTS"
REQUESTER = f"slack:{TEAM}:U0ALICE"
BOT_USER = "UB0T"


@dataclass
class Post:
    """One chat.postMessage as the fake received it."""

    channel: str  # the DM channel it lands in (D…), or the channel named
    asked: str  # the channel as the bot named it (a user id for a direct message)
    number: int  # of all posts the fake received, from 1
    nth: int  # of the posts to this channel, from 1
    text: str
    blocks: list[Any]
    metadata: dict[str, Any] | None
    token: str  # the bot token it came with: which process sent it
    at: float = field(default_factory=time.monotonic)
    ts: str = ""
    fault: str | None = None
    accepted: bool = False  # Slack posted it: the person sees it


def dm_channel(user_or_channel: str) -> str:
    """The DM channel Slack answers a post to a user id with (U123 -> D123)."""
    if user_or_channel[:1] in ("U", "W"):
        return "D" + user_or_channel[1:]
    return user_or_channel


@dataclass
class FaultySlack:
    fault: Callable[[Post], str | None] = lambda post: None
    slow_seconds: float = 31.0
    hold_seconds: float = 5.0
    hold_lands: bool = True
    retry_after: int = 1
    on_hold: Callable[[Post], None] = lambda post: None
    posts: list[Post] = field(default_factory=list)
    lookups: int = 0  # conversations.history calls
    _last_ts: float = 0.0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        return app

    async def api(self, request: web.Request) -> web.StreamResponse:
        raw = await request.text()
        if request.content_type == "application/json":
            body: dict[str, Any] = json.loads(raw) if raw else {}
        else:
            body = {k: v[0] for k, v in parse_qs(raw).items()}
        body |= dict(request.query)
        method = request.match_info["method"]
        if method == "chat.postMessage":
            return await self.post_message(request, body)
        if method == "conversations.history":
            self.lookups += 1
            return web.json_response(self.history(body))
        if method == "conversations.open":
            users = str(body.get("users") or "").split(",")[0]
            return web.json_response({"ok": True, "channel": {"id": dm_channel(users)}})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "user_id": BOT_USER, "bot_id": "B0T", "team_id": TEAM, "user": "bot"}
            )
        if method == "users.info":
            user = str(body.get("user"))
            name = f"Person {user}"
            return web.json_response(
                {
                    "ok": True,
                    "user": {
                        "id": user,
                        "team_id": TEAM,
                        "name": user.lower(),
                        "real_name": name,
                        "tz": "Europe/London",
                        "tz_offset": 0,
                        "profile": {"real_name": name, "display_name": name},
                    },
                }
            )
        return web.json_response({"ok": True})

    def _ts(self) -> str:
        """A message timestamp as Slack makes them: the time, unique in the channel."""
        # Slack's clock, the real time: the server under test asks conversations.history
        # for messages newer than its own (real) clock's send time, as it does with Slack.
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    async def post_message(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        asked = str(body.get("channel"))
        channel = dm_channel(asked)
        metadata = body.get("metadata")
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = None
        blocks = body.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        post = Post(
            channel=channel,
            asked=asked,
            number=len(self.posts) + 1,
            nth=1 + sum(1 for p in self.posts if p.channel == channel),
            text=str(body.get("text") or ""),
            blocks=blocks,
            metadata=metadata if isinstance(metadata, dict) else None,
            token=request.headers.get("Authorization", "").removeprefix("Bearer "),
        )
        self.posts.append(post)
        post.fault = fault = self.fault(post)
        if fault == "429":
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        if fault == "reset":
            return _reset(request)
        if fault == "hold":
            self.on_hold(post)
            await asyncio.sleep(self.hold_seconds)
            if not self.hold_lands:
                return _reset(request)
        post.ts, post.accepted = self._ts(), True
        if fault == "slow":
            await asyncio.sleep(self.slow_seconds)
        if fault == "500":
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        if fault == "drop":
            return _reset(request)
        return web.json_response(
            {
                "ok": True,
                "channel": channel,
                "ts": post.ts,
                "message": self._message(post),
            }
        )

    @staticmethod
    def _message(post: Post) -> dict[str, Any]:
        """A message as conversations.history gives it (a bot's message with metadata)."""
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": "B0T",
            "app_id": "A0FAULTS",
            "text": post.text,
            "ts": post.ts,
            "team": TEAM,
            "blocks": post.blocks,
        }
        if post.metadata is not None:
            message["metadata"] = post.metadata
        return message

    def history(self, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: a channel's messages newest first, after `oldest`
        (inclusive with `inclusive`), at most `limit` (default 100), paged by cursor.
        Metadata is given with every message (as with include_all_metadata=true)."""
        channel = dm_channel(str(body.get("channel") or ""))
        oldest = float(body.get("oldest") or 0)
        inclusive = str(body.get("inclusive", "")).lower() in ("1", "true")
        held = [
            p
            for p in self.posts
            if p.accepted
            and p.channel == channel
            and (float(p.ts) > oldest or (inclusive and float(p.ts) == oldest))
        ]
        held.sort(key=lambda p: float(p.ts), reverse=True)
        limit = max(1, min(int(body.get("limit") or 100), 999))
        start = int(body.get("cursor") or 0)
        page = held[start : start + limit]
        more = start + limit < len(held)
        return {
            "ok": True,
            "messages": [self._message(p) for p in page],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def delivered(self) -> Counter[str]:
        """How many messages each channel holds (the posts Slack accepted)."""
        return Counter(p.channel for p in self.posts if p.accepted)


def _reset(request: web.Request) -> web.StreamResponse:
    """Drop the connection with a TCP reset, as a broken network does."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)  # never sent: the connection is gone


# ---- Slack's side of an event -------------------------------------------------------


_EVENT_SECONDS = itertools.count(1_773_000_000)


def dm_event(event_id: str, text: str, *, user: str = "U2147483697", channel: str = "") -> str:
    """A message.im event_callback body, in the shape Slack sends it."""
    ts = f"{next(_EVENT_SECONDS)}.000100"  # unique, and the same whatever the date
    return json.dumps(
        {
            "token": "one-long-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0FAULTS",
            "event": {
                "type": "message",
                "channel": channel or dm_channel(user),
                "user": user,
                "text": text,
                "ts": ts,
                "event_ts": ts,
                "channel_type": "im",
            },
            "type": "event_callback",
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event_id": event_id,
            "event_time": int(float(ts)),
        }
    )


def send_event(
    url: str, body: str, *, retry: int = 0, reason: str = "http_timeout", timeout: float = 60.0
) -> tuple[int, float]:
    """POST a signed event to `url`/slack/events, freshly signed as Slack signs each
    delivery; (HTTP status, seconds it took). Status 0: no answer (connection refused
    or reset, or no answer within `timeout`)."""
    # Signed with Slack's own clock, the one slack-bolt checks the timestamp against
    # (within five minutes): the real time, read here only.
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
    }
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": reason}
    return get(url + "slack/events", data=body.encode(), headers=headers, timeout=timeout)


def get(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None, timeout: float
) -> tuple[int, float]:
    """(HTTP status, seconds) of one request; status 0 when nothing came back."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, TimeoutError):
        status = 0
    return status, time.monotonic() - started


# ---- the web process as a process -------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """`behaviourbot serve` in its own process on 127.0.0.1, with the Slack Web API at
    `api_url`; its log goes to `log`. Started by `start()`, ended by `kill()` (SIGKILL,
    as a crash) or `stop()`; every one made is stopped by `stop_all()`."""

    made: ClassVar[list[Serve]] = []

    def __init__(self, db: Path, api_url: str, log: Path, *, token: str = "xoxb-faults"):
        self.db, self.api_url, self.log_path, self.token = db, api_url, log, token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None
        Serve.made.append(self)

    def start(self, wait: float = 60.0) -> Serve:
        """Start it and wait until /healthz answers."""
        return self.launch().ready(wait)

    def launch(self) -> Serve:
        """Start the process (from the main thread: on Linux it is killed when the
        thread that started it ends, so none outlives a harness that was killed)."""
        script = Path(sys.executable).parent / "behaviourbot"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]
        env = os.environ | {
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": self.token,
            "SLACK_API_URL": self.api_url,
        }
        where = ["--host", "127.0.0.1", "--port", str(self.port), "--db", str(self.db)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "serve", *where],
                env=env,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches the harness, which ends it
                preexec_fn=_die_with_parent,
            )
        return self

    def ready(self, wait: float = 60.0) -> Serve:
        """Wait until /healthz answers."""
        assert self.process is not None
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve ended at start-up:\n{self.log_tail()}")
            if get(self.url + "healthz", timeout=1)[0] == 200:
                return self
            time.sleep(0.05)
        raise RuntimeError(f"serve did not answer /healthz in {wait:g} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 10) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: the process ends at once, mid-whatever, as in a crash."""
        if self.running:
            assert self.process is not None
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    @classmethod
    def stop_all(cls) -> None:
        for serve in cls.made:
            serve.stop()
        cls.made.clear()


_PRCTL = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """In the child, before it runs: on Linux, SIGKILL it when its parent ends. (Nothing
    here may take a lock: the parent has other threads.)"""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class WriteLock:
    """Another process holding the database's write lock (BEGIN IMMEDIATE) for
    `seconds`, as a long migration or a second app's long transaction would."""

    def __init__(self, db: Path, seconds: float):
        code = (
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n"
            "c.execute('COMMIT')\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(db), str(seconds)],
            stdout=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"locked":
            raise RuntimeError("the lock holder could not take the write lock")
        self.taken = time.monotonic()

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


# ---- the 360 fan-out and the outbox ------------------------------------------------


def peer_id(n: int) -> str:
    return f"U{n:05d}"


def make_request(db: Path, peers: int, store: Store | None = None) -> int:
    """A 360 request from the requester to `peers` people picked in Slack's people
    picker, made through the real core on the database file `db` (or `store`); its id.
    Its asks are queued in the outbox, for the web process to deliver."""
    own = store is None
    store = store or Store.open(db)
    try:
        bot = Bot(load_all(()), store)
        people = tuple(
            Person(f"slack:{TEAM}:{peer_id(n)}", f"Peer {n}", 0, "", "Europe/London")
            for n in range(peers)
        )

        def send(**kwargs: Any) -> None:
            bot.handle(
                Event(user=REQUESTER, conversation=REQUESTER, forms=True, buttons=True, **kwargs)
            )

        send(text="360 leadership level 4")
        send(action="360 done")
        send(
            action="360 people",
            fields={"peers": "\n".join(p.identity for p in people)},
            people=people,
            name="Alice Smith",
        )
        send(action="360 deadline 2 weeks")
        send(action="360 manager none")
        send(action="360 self leadership 3")
        send(action="360 send")
        (request_id,) = store.conn.execute("SELECT MAX(id) FROM feedback_requests").fetchone()
        queued = store.conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE request_id = ?", [request_id]
        ).fetchone()[0]
        if queued != peers:
            raise RuntimeError(f"the request queued {queued} asks, not {peers}")
        return int(request_id)
    finally:
        if own:
            store.close()


@dataclass
class OutboxState:
    sent: int
    given_up: int
    pending: int

    @property
    def settled(self) -> bool:
        return self.pending == 0


def outbox_state(db: Path, request_id: int) -> OutboxState:
    """The request's asks: sent, given up on, and still to send (read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        sent, failed, total = conn.execute(
            "SELECT COUNT(sent_at), COUNT(failed), COUNT(*) FROM outbox WHERE request_id = ?",
            [request_id],
        ).fetchone()
    finally:
        conn.close()
    return OutboxState(sent, failed, total - sent - failed)


@dataclass
class Tally:
    """How many times each of `expected` channels got a message."""

    once: int
    twice: int  # or more
    never: int
    total: int

    @classmethod
    def of(cls, counts: Counter[str], expected: list[str]) -> Tally:
        got = [counts.get(c, 0) for c in expected]
        return cls(
            sum(1 for n in got if n == 1),
            sum(1 for n in got if n >= 2),
            sum(1 for n in got if n == 0),
            len(expected),
        )

    def line(self) -> str:
        return (
            f"delivered once: {self.once}/{self.total}, twice or more: {self.twice},"
            f" lost: {self.never}"
        )
