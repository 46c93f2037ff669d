"""Benchmark: delivering a 200-peer 360 request through Slack, with rate limits.

A request to 200 peers is made through the real core, as a Slack user picking them in
the people picker; then the web process's outbox (adapters/outbox.py) delivers the 200
direct messages with the real Slack adapter (slack_sdk's AsyncWebClient) to a local fake
Slack Web API. Two runs, the same in all but one thing:

* limited: the fake answers every fifth chat.postMessage with HTTP 429 and
  `Retry-After: 1` (Slack's answer to a burst), which the outbox must honour: wait,
  then send the refused message and the rest again;
* baseline: the fake never refuses.

Each run prints the time to deliver all 200, the 429s honoured, whether every peer got
exactly one message, and what the requester saw of the progress (`360 list`) on the way.
Nothing leaves the machine.

Run from the repository root:
    .venv/bin/python bench/slack_delivery.py [--peers N] [--every K] [--retry-after S]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.outbox import Outbox
from adapters.slack import SlackAdapter
from adapters.worker import inline
from bot.frameworks import load_all
from bot.router import Bot
from bot.storage import Store
from bot.types import Event
from tests.slack_faults import REQUESTER, make_request


class FakeSlack:
    """chat.postMessage that answers 429 to every `every`-th call (0: never)."""

    def __init__(self, every: int, retry_after: int):
        self.every, self.retry_after = every, retry_after
        self.calls = 0
        self.limited = 0
        self.delivered: Counter[str] = Counter()

    async def api(self, request: web.Request) -> web.Response:
        raw = await request.text()
        if request.match_info["method"] != "chat.postMessage":
            return web.json_response({"ok": True})
        self.calls += 1
        if self.every and self.calls % self.every == 0:
            self.limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        import json

        body: dict[str, Any] = (
            json.loads(raw)
            if request.content_type == "application/json"
            else {k: v[0] for k, v in parse_qs(raw).items()}
        )
        self.delivered[str(body.get("channel"))] += 1
        return web.json_response({"ok": True, "channel": body.get("channel"), "ts": "1.0"})


def progress(bot: Bot) -> str:
    (listing,) = bot.handle(Event(user=REQUESTER, conversation=REQUESTER, text="360 list"))
    line = next(b for b in listing.blocks if b.kind == "bullets").items[0]
    return line


async def deliver(peers: int, every: int, retry_after: int) -> dict[str, Any]:
    fake = FakeSlack(every, retry_after)
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.api)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        bot = Bot(load_all(()), store)
        make_request(Path(tmp) / "bench.db", peers, store)  # the fault suite's request
        slack = SlackAdapter(
            partial(inline, bot.handle),
            settle=partial(inline, bot.settle),
            signing_secret="x",
            token="xoxb-bench",
            api_url=f"http://127.0.0.1:{port}/api/",
        )
        outbox = Outbox(bot, {"slack:": slack.send_direct}, every=0.05)
        seen: list[str] = []
        started = time.perf_counter()
        task = asyncio.get_running_loop().create_task(outbox.run_forever())
        next_look = started
        while sum(fake.delivered.values()) < peers:
            await asyncio.sleep(0.01)
            if time.perf_counter() >= next_look:
                seen.append(progress(bot))
                next_look += 5.0
            if time.perf_counter() - started > 600:
                break
        elapsed = time.perf_counter() - started
        task.cancel()
        seen.append(progress(bot))
        store.close()
    await runner.cleanup()
    return {
        "seconds": elapsed,
        "delivered": len(fake.delivered),
        "once": all(count == 1 for count in fake.delivered.values()),
        "limited": fake.limited,
        "calls": fake.calls,
        "seen": seen,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=int, default=200)
    parser.add_argument("--every", type=int, default=5, help="429 on every Nth post")
    parser.add_argument("--retry-after", type=int, default=1, help="seconds, as Slack sends")
    args = parser.parse_args()
    runs = {
        "baseline": asyncio.run(deliver(args.peers, 0, args.retry_after)),
        "limited": asyncio.run(deliver(args.peers, args.every, args.retry_after)),
    }
    print(f"{args.peers}-peer request through Slack; limited: 429 on every {args.every}th post")
    print(
        f"{'':>9} {'seconds':>8} {'msgs/s':>7} {'delivered':>10} {'once each':>9}"
        f" {'posts':>6} {'429s':>5}"
    )
    for name, r in runs.items():
        print(
            f"{name:>9} {r['seconds']:>8.2f} {args.peers / r['seconds']:>7.1f}"
            f" {r['delivered']:>6}/{args.peers} {'yes' if r['once'] else 'NO':>9}"
            f" {r['calls']:>6} {r['limited']:>5}"
        )
    limited, base = runs["limited"], runs["baseline"]
    print(f"limited / baseline time: {limited['seconds'] / base['seconds']:.1f}x")
    waited = limited["limited"] * args.retry_after
    print(
        f"time over the baseline: {limited['seconds'] - base['seconds']:.1f} s, for"
        f" {limited['limited']} waits of {args.retry_after} s asked by Slack ({waited} s)"
    )
    print("what the requester saw of the progress (360 list), every 5 s while limited:")
    for line in limited["seen"]:
        print("  " + line)


if __name__ == "__main__":
    main()
