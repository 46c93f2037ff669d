"""Benchmark: latency and throughput of Teams lookups (Bot Framework activities) over loopback.

Two servers are measured in the same run, each in its own process:

* behaviourbot: the real `behaviourbot serve --dev` (Teams local development mode: no
  credentials, no token; the token check still through botbuilder, the turn on the
  activity's JSON, the core recording the event and reading the person's state in SQLite
  and answering each lookup with an Adaptive Card posted to the connector over one
  kept-alive session, one log line per request);
* baseline: a bare botbuilder echo bot, an aiohttp app whose /api/messages handler hands
  the activity to CloudAdapter.process_activity with an anonymous configuration (empty
  APP_ID and APP_PASSWORD) and an ActivityHandler that replies "Echo: <text>".

A load generator (this process) keeps 16 connections busy with `message` activities as
Teams sends them (JSON, no Authorization header) over the same mix of queries as the Slack
benchmark, from 50 people in their personal chats with the bot. Both servers run at once
and are loaded in turn, round after round, so that a slow spell of the shared machine
falls on both. Both servers reply through the activity's serviceUrl: a fake Bot Framework
connector in this process, one per server, which answers every reply and notes which
request it answers. A request's latency is its POST to /api/messages, which both servers
answer only after the reply has reached the connector.

It prints the median requests per second of the rounds, p50 and p99 latency over all
requests, the server's CPU time per request (user plus system, from /proc: steadier than
throughput when the load generator shares the two cores), each server's peak memory
(VmHWM), the failures (answers other than 2xx, and requests whose reply never reached the
connector, and replies the connector received twice), then the ratios and one JSON line
with everything. Nothing leaves the machine: without credentials neither server asks
Microsoft for a token.

Run from the repository root:
    .venv/bin/python bench/teams_latency.py [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

import aiohttp
from aiohttp import web
from slack_latency import CONCURRENCY, QUERIES, cpu_seconds, free_port, peak_memory_mib, report

USERS = 50
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"

BASELINE = """
import os
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity

class Config:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""

class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext):
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")

adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
bot = EchoBot()

async def messages(request):
    activity = Activity().deserialize(await request.json())
    auth_header = request.headers.get("Authorization", "")
    await adapter.process_activity(auth_header, activity, bot.on_turn)
    return web.Response(status=200)

async def healthz(request):
    return web.json_response({"ok": True})

server = web.Application()
server.router.add_post("/api/messages", messages)
server.router.add_get("/healthz", healthz)
web.run_app(server, host="127.0.0.1", port=int(os.environ["PORT"]), print=None)
"""


class FakeConnector:
    """A Teams serviceUrl: answers every activity the bot posts and notes the id of the
    activity it replies to (the last part of /v3/conversations/{id}/activities/{reply to})."""

    def __init__(self) -> None:
        self.replied_to: Counter[str] = Counter()
        self.posts = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def activity(self, request: web.Request) -> web.Response:
        await request.read()
        self.posts += 1
        self.replied_to[request.match_info["rest"].rpartition("/")[2]] += 1
        return web.json_response({"id": "1"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{rest:.*}", self.activity)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def activities(n: int, service_url: str, prefix: str) -> list[dict[str, Any]]:
    """n message activities as Teams sends them, from 50 people in their personal chats."""
    out = []
    for i in range(n):
        user = i % USERS
        out.append(
            {
                "type": "message",
                "id": f"{prefix}-{i}",
                "timestamp": "2024-05-01T09:00:00.000Z",
                "localTimestamp": "2024-05-01T10:00:00.000+01:00",
                "channelId": "msteams",
                "serviceUrl": service_url,
                "from": {
                    "id": f"29:1bench-user-{user:02d}",
                    "name": f"Bench User {user}",
                    "aadObjectId": f"00000000-0000-4000-8000-{user:012d}",
                },
                "conversation": {
                    "conversationType": "personal",
                    "tenantId": TENANT,
                    "id": f"a:1bench-personal-chat-{user:02d}",
                },
                "recipient": {"id": "28:bot", "name": "behaviourbot"},
                "textFormat": "plain",
                "text": QUERIES[i % len(QUERIES)],
                "locale": "en-GB",
                "entities": [
                    {
                        "type": "clientInfo",
                        "locale": "en-GB",
                        "country": "GB",
                        "platform": "Web",
                        "timezone": "Europe/London",
                    }
                ],
                "channelData": {"tenant": {"id": TENANT}},
            }
        )
    return out


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(400):
            if process.poll() is not None:
                raise RuntimeError(f"server for {url} exited with {process.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"server at {url} did not start")


async def load(
    url: str, requests: list[dict[str, Any]], connector: FakeConnector, errors: list[str]
) -> tuple[float, list[float], int, int, int]:
    """Send every activity with CONCURRENCY workers; (seconds, latencies, failures,
    requests whose reply the connector never received, and replies received more than
    once). What failed goes to `errors`."""
    latencies: list[float] = []
    failures = 0
    queue = iter(requests)
    headers = {"Content-Type": "application/json"}
    connector.replied_to.clear()

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for activity in queue:
            body = json.dumps(activity).encode()
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if not 200 <= r.status < 300:
                        failures += 1
                        errors.append(f"HTTP {r.status}")
            except aiohttp.ClientError as exc:  # counted, not fatal: the run goes on
                failures += 1
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    missing = sum(1 for a in requests if a["id"] not in connector.replied_to)
    doubled = sum(
        connector.replied_to[a["id"]] - 1 for a in requests if a["id"] in connector.replied_to
    )
    return seconds, latencies, failures, missing, doubled


def start(name: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str, IO[bytes]]:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "MicrosoftApp"))
    }
    env |= {"PORT": str(port), "BEHAVIOURBOT_DB": str(workdir / f"{name}.db")}
    if name == "baseline":
        command = [sys.executable, "-c", BASELINE]
    else:
        command = [sys.executable, "-m", "adapters.cli", "serve", "--dev", "--host", "127.0.0.1"]
    stderr = (workdir / f"{name}.stderr").open("w+b")
    process = subprocess.Popen(command, env=env, stderr=stderr)
    return process, f"http://127.0.0.1:{port}", stderr


def errors_in(log: IO[bytes]) -> list[str]:
    """The lines of a server's stderr that tell of trouble."""
    log.flush()
    log.seek(0)
    lines = log.read().decode(errors="replace").splitlines()
    words = ("error", "exception", "traceback", "failed")
    return [line for line in lines if any(w in line.lower() for w in words)]


async def measure(workdir: Path, n: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Both servers up at once, loaded in turn for `rounds` rounds of `n` requests each, so
    that a slow spell of the machine falls on both; the median round counts."""
    names = ("baseline", "behaviourbot")
    connectors = {name: FakeConnector() for name in names}
    for connector in connectors.values():
        await connector.start()
    started = {name: start(name, workdir) for name in names}
    runs: dict[str, list[tuple[float, list[float], int, int, int, float]]] = {k: [] for k in names}
    errors: dict[str, list[str]] = {name: [] for name in names}
    try:
        for name, (process, base, _) in started.items():
            await wait_ready(f"{base}/healthz", process)
            warm = activities(min(200, n), connectors[name].url, f"{name}-warm")
            await load(f"{base}/api/messages", warm, connectors[name], errors[name])  # imports
            connectors[name].posts = 0
        for r in range(rounds):
            for name, (process, base, _) in started.items():
                requests = activities(n, connectors[name].url, f"{name}-{r}")
                cpu_before = cpu_seconds(process.pid)
                seconds, latencies, failures, missing, doubled = await load(
                    f"{base}/api/messages", requests, connectors[name], errors[name]
                )
                cpu = cpu_seconds(process.pid) - cpu_before
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode} under load")
                runs[name].append(
                    (n / seconds, latencies, failures, missing, doubled, cpu / n * 1e6)
                )
        results: dict[str, dict[str, Any]] = {}
        for name, (process, _, log) in started.items():
            latencies = sorted(x for run in runs[name] for x in run[1])
            results[name] = {
                "requests": n * rounds,
                "failures": sum(run[2] for run in runs[name]),
                "missing_replies": sum(run[3] for run in runs[name]),
                "doubled_replies": sum(run[4] for run in runs[name]),
                "connector_posts": connectors[name].posts,
                "rps": statistics.median(run[0] for run in runs[name]),
                "p50": statistics.median(latencies) * 1000,
                "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
                "cpu_us": statistics.median(run[5] for run in runs[name]),
                "peak_mib": peak_memory_mib(process.pid),
                "stderr_errors": len(errors_in(log)),
            }
        return results
    finally:
        for process, _, _ in started.values():
            process.terminate()
            process.wait(10)
        for name, (_, _, log) in started.items():
            for error, count in Counter(errors[name]).most_common(5):
                print(f"{name} request failed {count}x: {error}", file=sys.stderr)
            trouble = errors_in(log)
            for line in trouble[:5]:
                print(f"{name} stderr: {line}", file=sys.stderr)
            if len(trouble) > 5:
                print(f"{name} stderr: ... {len(trouble) - 5} more", file=sys.stderr)
            log.close()
        for connector in connectors.values():
            await connector.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=700, help="per round (default 700)")
    parser.add_argument("--rounds", type=int, default=3, help="per server (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = await measure(Path(tmp), args.requests, args.rounds)
    print(
        f"{CONCURRENCY} connections; {args.rounds} rounds of {args.requests} Teams message"
        " activities per server, taken in turn (medians of the rounds; latency over all)"
    )
    for name, r in results.items():
        print(f"{name}: replies lost {r['missing_replies']}, doubled {r['doubled_replies']}")
    report(results, ("no reply", "missing_replies"))


if __name__ == "__main__":
    asyncio.run(main())
