"""Benchmark: Slack latency while other processes take the database's write lock.

Two `behaviourbot serve` processes share one database file, as two web processes of
one deployment would. Process A is loaded over loopback with signed `/behaviour`
slash commands on 16 connections: 14 send lookups (answered from a plain read on the
event loop), 2 send commands that write (`prep leadership level 4` and `stop`, in
direct messages: each takes the write lock on A's core thread). Each phase runs for
the same time, twice:

* quiet: process B is sent lookups on 2 connections (the machine as busy as below, and
  nothing else writes);
* contention: process B is sent writes on those 2 connections instead, and a third
  process takes the write lock again and again (BEGIN IMMEDIATE, held for --hold ms,
  then released for as long).

SQLite lets one writer at a time; a write on A waits for the lock on A's core thread,
for up to two seconds (then the command is acked "one moment" and answered by its
response_url). A lookup never waits for it. If anything on A's event loop waited for
the lock, every request on A would stall with it: the lookups' p99 and max under
contention would reach the hold time. The table gives p50, p99 and max of each kind
in each phase; the ratio of the lookups' p99 (contention / quiet) is printed last.
Both servers point their Web API and response URLs at a local fake Slack; nothing
leaves the machine.

Run from the repository root:
    .venv/bin/python bench/contention.py [--seconds S] [--hold MS]
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
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.slack_latency import QUERIES, SECRET, free_port, signed, wait_ready

LOOKUPS = 14  # connections sending lookups to A
WRITERS = 2  # connections sending writes to A (and, under contention, to B)
WRITES = ("prep leadership level 4", "stop")

# Takes the write lock again and again: argv is the database, the hold and the gap (s).
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
hold, gap = float(sys.argv[2]), float(sys.argv[3])
print("holding", flush=True)
while True:
    conn.execute("BEGIN IMMEDIATE")
    time.sleep(hold)
    conn.execute("COMMIT")
    time.sleep(gap)
"""


async def fake_slack(port: int) -> web.AppRunner:
    """auth.test for bolt, and every response_url a late answer is posted to."""

    async def anything(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True, "user_id": "UB0T", "bot_id": "B0T", "team_id": "T1"})

    app = web.Application()
    app.router.add_post("/{tail:.*}", anything)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def command(text: str, user: str, *, direct: bool, api: str) -> str:
    channel = f"D{user}" if direct else "C1"
    form = {
        "token": "x",
        "team_id": "T1",
        "channel_id": channel,
        "channel_name": "directmessage" if direct else "general",
        "user_id": user,
        "command": "/behaviour",
        "text": text,
        "response_url": f"{api}response/{user}",
        "trigger_id": f"trigger-{time.monotonic_ns()}",
    }
    return urlencode(form)


Latencies = dict[str, list[float]]


async def load(
    urls: dict[str, str], api: str, seconds: float, *, contention: bool
) -> tuple[Latencies, dict[str, int], int]:
    """Until `seconds` are up: lookups and writes to A, and to B lookups (quiet) or
    writes (contention). (A's latencies by kind, A's failures, A's commands acked
    "one moment")."""
    verifier = SignatureVerifier(SECRET)
    latencies: Latencies = {"lookup": [], "write": []}
    failures = {"lookup": 0, "write": 0}
    working = 0
    deadline = time.monotonic() + seconds

    async def connection(session: aiohttp.ClientSession, server: str, n: int, kind: str) -> None:
        nonlocal working
        i = 0
        while time.monotonic() < deadline:
            if kind == "lookup":
                body = command(
                    QUERIES[(n + i) % len(QUERIES)], f"U{n}x{i % 5}", direct=False, api=api
                )
            else:  # each writer its own person: its commands keep their order
                body = command(WRITES[i % 2], f"W{server}{n}", direct=True, api=api)
            i += 1
            started = time.perf_counter()
            data = body.encode()
            async with session.post(urls[server], data=data, headers=signed(body, verifier)) as r:
                text = await r.text()
            if server != "A":
                continue
            latencies[kind].append(time.perf_counter() - started)
            if r.status != 200:
                failures[kind] += 1
            elif "your answer follows" in text.casefold():
                working += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [connection(session, "A", n, "lookup") for n in range(LOOKUPS)]
        tasks += [connection(session, "A", n, "write") for n in range(WRITERS)]
        kind = "write" if contention else "lookup"
        tasks += [connection(session, "B", n, kind) for n in range(WRITERS)]
        await asyncio.gather(*tasks)
    return latencies, failures, working


def start_server(name: str, db: Path, api: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": api,
        "BEHAVIOURBOT_DB": str(db),
    }
    command = [sys.executable, "-m", "adapters.cli", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}/slack/events"


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
        "max": ordered[-1] * 1000,
    }


async def measure(seconds: float, hold: float) -> dict[str, dict[str, dict[str, float]]]:
    api_port = free_port()
    api_runner = await fake_slack(api_port)
    api = f"http://127.0.0.1:{api_port}/api/"
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "shared.db"
        servers = {"A": start_server("A", db, api)}
        try:
            await wait_ready(servers["A"][1])  # A creates and migrates the database first
            servers["B"] = start_server("B", db, api)
            await wait_ready(servers["B"][1])
            urls = {name: url for name, (_, url) in servers.items()}
            await load(urls, api, 2.0, contention=False)  # warm up: imports, templates
            for phase in ("quiet", "contention"):
                locker = None
                if phase == "contention":
                    locker = subprocess.Popen(
                        [sys.executable, "-c", LOCKER, str(db), str(hold), str(hold)],
                        stdout=subprocess.PIPE,
                    )
                    assert locker.stdout is not None
                    locker.stdout.readline()  # it holds the lock for the first time
                try:
                    latencies, failures, working = await load(
                        urls, api, seconds, contention=phase == "contention"
                    )
                finally:
                    if locker is not None:
                        locker.kill()
                        locker.wait()
                results[phase] = {
                    kind: summary(v) | {"failed": failures[kind]} for kind, v in latencies.items()
                }
                results[phase]["write"]["working"] = working
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(10)
    await api_runner.cleanup()
    return results


def report(results: dict[str, dict[str, dict[str, float]]], hold: float) -> None:
    print(
        f"{'phase':11} {'kind':7} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f" {'failed':>7}"
    )
    for phase, kinds in results.items():
        for kind, r in kinds.items():
            print(
                f"{phase:11} {kind:7} {r['n']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['max']:8.1f}"
                f" {r['failed']:7.0f}"
            )
    for phase, kinds in results.items():
        print(
            f"{phase}: {kinds['write']['working']:.0f} writes acked 'one moment' (answered later)"
        )
    quiet, busy = results["quiet"]["lookup"], results["contention"]["lookup"]
    print(
        f"longest lookup under contention: {busy['max']:.1f} ms"
        f" (the lock is held {hold * 1000:g} ms at a time)"
    )
    print(json.dumps({"hold_ms": hold * 1000, **results}))
    print(f"lookup p50 under contention / quiet: {busy['p50'] / quiet['p50']:.2f}x")
    print(f"lookup p99 under contention / quiet: {busy['p99'] / quiet['p99']:.2f}x")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per phase (default 8)")
    parser.add_argument(
        "--hold", type=float, default=500.0, help="ms the lock is held each time (default 500)"
    )
    args = parser.parse_args()
    hold = args.hold / 1000
    results = await measure(args.seconds, hold)
    print(
        f"2 serve processes on one database; A: {LOOKUPS} connections of lookups, {WRITERS} of"
        f" writes, {args.seconds:g} s a phase; B: {WRITERS} connections of lookups (quiet) or"
        f" of writes (contention, while a third process holds the write lock {args.hold:g} ms"
        f" of every {2 * args.hold:g} ms)"
    )
    report(results, hold)


if __name__ == "__main__":
    asyncio.run(main())
