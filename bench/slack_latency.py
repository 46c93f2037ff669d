"""Benchmark: latency and throughput of signed /behaviour slash commands over loopback.

Two servers are measured in the same run, each in its own process:

* behaviourbot: the real `behaviourbot serve` (slack-bolt inside our aiohttp app, the
  core reading the person's state in SQLite and answering each lookup in the ack, one
  log line per request);
* baseline: a bare slack-bolt AsyncApp, `process_before_response=True`, whose `/behaviour`
  listener acks a fixed string, served by aiohttp the same way.

A load generator (this process) keeps 16 connections busy with signed slash commands
over a realistic mix of queries. Both servers run at once and are loaded in turn, round
after round, so that a slow spell of the shared machine falls on both. It prints the
median requests per second of the rounds, p50 and p99 latency over all requests, the
server's CPU time per request (user plus system, from /proc: steadier than throughput
when the load generator shares the two cores), the ratios, and each server's peak memory
(VmHWM). Both servers point their Web API at a local fake Slack (for bolt's auth.test);
nothing leaves the machine.

Run from the repository root:
    .venv/bin/python bench/slack_latency.py [--requests N] [--rounds R]
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

SECRET = "bench-signing-secret"
CONCURRENCY = 16
QUERIES = [
    "leadership level 4",
    "Leadership L4",
    "pace heo",
    "big picture g7",
    "comms EO",
    "ses 1.4 excellence",
    "principled",
    "we analyse critically",
    "policing collaborative",
    "collaborative",
    "working together dd",
    "managing a quality service grade 6",
    "leadrship 3",
    "compare leadership 3 4",
    "search wellbeing",
    "civil service",
]

BASELINE = """
import os, sys
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

app = AsyncApp(
    client=AsyncWebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    process_before_response=True,
)

@app.command("/behaviour")
async def behaviour(ack):
    await ack("Leadership: Level 4")

async def events(request):
    return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

server = web.Application()
server.router.add_post("/slack/events", events)
web.run_app(server, host="127.0.0.1", port=int(os.environ["PORT"]), print=None)
"""


async def fake_slack(port: int) -> web.AppRunner:
    async def api(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "user_id": "UB0T", "bot_id": "B0T", "team_id": "T1"})

    app = web.Application()
    app.router.add_post("/api/{method}", api)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def signed(body: str, verifier: SignatureVerifier) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
    }


def bodies(n: int) -> list[str]:
    out = []
    for i in range(n):
        form = {
            "token": "x",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": f"U{i % 50}",
            "command": "/behaviour",
            "text": QUERIES[i % len(QUERIES)],
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": f"trigger-{i}",
        }
        out.append(urlencode(form))
    return out


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.post(url, data=b"") as response:
                    if response.status in (200, 401):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"server at {url} did not start")


async def load(url: str, requests: list[str]) -> tuple[float, list[float], int]:
    """Send every request with CONCURRENCY workers; (seconds, latencies, failures)."""
    verifier = SignatureVerifier(SECRET)
    latencies: list[float] = []
    failures = 0
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for body in queue:
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=signed(body, verifier)) as r:
                await r.read()
                if r.status != 200:
                    failures += 1
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, latencies, failures


def start(name: str, api_url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": api_url,
        "BEHAVIOURBOT_DB": str(workdir / f"{name}.db"),
    }
    if name == "baseline":
        command = [sys.executable, "-c", BASELINE]
    else:
        command = [sys.executable, "-m", "adapters.cli", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}/slack/events"


async def measure(api_url: str, workdir: Path, n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Both servers up at once, loaded in turn for `rounds` rounds of `n` requests each, so
    that a slow spell of the machine falls on both; the median round counts."""
    names = ("baseline", "behaviourbot")
    started = {name: start(name, api_url, workdir) for name in names}
    runs: dict[str, list[tuple[float, list[float], int, float]]] = {name: [] for name in names}
    try:
        for _, url in started.values():
            await wait_ready(url)
            await load(url, bodies(min(300, n)))  # warm up: imports, templates, auth.test
        for _ in range(rounds):
            for name, (process, url) in started.items():
                cpu_before = cpu_seconds(process.pid)
                seconds, latencies, failures = await load(url, bodies(n))
                cpu = cpu_seconds(process.pid) - cpu_before
                runs[name].append((n / seconds, latencies, failures, cpu / n * 1e6))
        results = {}
        for name, (process, _) in started.items():
            latencies = sorted(x for run in runs[name] for x in run[1])
            results[name] = {
                "requests": n * rounds,
                "failures": sum(run[2] for run in runs[name]),
                "rps": statistics.median(run[0] for run in runs[name]),
                "p50": statistics.median(latencies) * 1000,
                "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
                "cpu_us": statistics.median(run[3] for run in runs[name]),
                "peak_mib": peak_memory_mib(process.pid),
            }
        return results
    finally:
        for process, _ in started.values():
            process.terminate()
            process.wait(10)


def report(results: dict[str, dict[str, float]], extra: tuple[str, str] | None = None) -> None:
    """The table (with an `extra` column: heading, result key), a JSON line with
    everything, and the ratios, throughput last."""
    heading = f" {extra[0]:>9}" if extra else ""
    print(
        f"{'server':14} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11}"
        f" {'peak MiB':>9} {'failed':>7}{heading}"
    )
    for name, r in results.items():
        cell = f" {r[extra[1]]:9.0f}" if extra else ""
        print(
            f"{name:14} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['cpu_us']:11.0f}"
            f" {r['peak_mib']:9.1f} {r['failures']:7.0f}{cell}"
        )
    ratio = results["behaviourbot"]["rps"] / results["baseline"]["rps"]
    cpu_ratio = results["baseline"]["cpu_us"] / results["behaviourbot"]["cpu_us"]
    print(json.dumps({"ratio": round(ratio, 3), "cpu_ratio": round(cpu_ratio, 3), **results}))
    print(f"behaviourbot / baseline requests per CPU second: {cpu_ratio:.2f}x")
    print(f"behaviourbot / baseline throughput: {ratio:.2f}x")  # the ratio, last


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="per round (default 4000)")
    parser.add_argument("--rounds", type=int, default=3, help="per server (default 3)")
    args = parser.parse_args()
    api_port = free_port()
    api = await fake_slack(api_port)
    api_url = f"http://127.0.0.1:{api_port}/api/"
    with tempfile.TemporaryDirectory() as tmp:
        results = await measure(api_url, Path(tmp), args.requests, args.rounds)
    await api.cleanup()
    print(
        f"{CONCURRENCY} connections; {args.rounds} rounds of {args.requests} signed /behaviour"
        " commands per server, taken in turn (medians of the rounds; latency over all)"
    )
    report(results)


if __name__ == "__main__":
    asyncio.run(main())
