"""Fault suite: what reaches people when the web process crashes, Slack is slow, failing
or rate-limited, the database is locked, or two web processes share one file.

Every scenario runs real `behaviourbot serve` processes (SIGKILLed where it says so) with
the Slack Web API pointed at a fake that runs here, on 127.0.0.1 (tests/slack_faults.py:
it keeps every message it accepted, with its metadata, and answers
conversations.history). The 360 request to many peers is made through the real core on
the same database file, as a Slack user picking the peers. Each scenario prints a short
table and one line, `delivered once: N/M, twice or more: K, lost: L`, counted from what
the fake Slack accepted: what people saw.

Scenarios (all by default, in this order):

* kill-fanout: SIGKILL the server while Slack is taking the Nth post of a fan-out (that
  post reaches Slack), restart it, wait until every ask is sent or given up; a message
  taken for delivery is taken again only after the 2-minute lease (DELIVERY_LEASE), so
  this one waits for it.
* kill-reply: a signed DM event whose reply Slack holds for 3 s: SIGKILL the server
  while it posts (the post reaches Slack, or not), restart, then Slack's retries; and,
  with no kill, the post's connection reset (before Slack takes it, or after).
* slow, failing, rate-limited: a fan-out while Slack answers some posts after 31 s
  (slack_sdk gives up at 30 s) though it posted them; answers 500 or drops the
  connection after posting; or answers every 5th post 429 with Retry-After: 1.
* write-lock: another process holds the write lock (BEGIN IMMEDIATE) for 12 s while
  /healthz, a lookup DM and a DM that writes (`prep leadership level 4`) arrive.
* two-serve: two web processes on one database file, one fan-out.

Slack's retries of an event are modelled as Slack makes them (after an answer that is
not 200 within 3 s): the first nearly at once, the second a minute after; in
write-lock the first comes 5 s after the event (said in its table), and a third (Slack's
after 5 minutes) is left out everywhere.

Run from the repository root:
    .venv/bin/python bench/faults.py [--scenario NAME ...] [--peers N] [--cap SECONDS]
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.outbox import DELIVERY_LEASE
from tests.servers import ServerThread
from tests.slack_faults import (
    TEAM,
    FaultySlack,
    OutboxState,
    Post,
    Serve,
    Tally,
    WriteLock,
    dm_channel,
    dm_event,
    get,
    make_request,
    outbox_state,
    peer_id,
    send_event,
)

SLACK_TIMEOUT = 3.0  # Slack waits this long for an event's answer, then retries
ERROR_TEXT = "Sorry, something went wrong"


class Scenario:
    """One scenario's temporary directory, fake Slack and processes, all ended on exit;
    `deadline` bounds every wait in it."""

    def __init__(self, name: str, cap: float, fake: FaultySlack | None = None):
        self.name, self.cap = name, cap
        self.started = time.monotonic()
        self.deadline = self.started + cap
        self.fake = fake or FaultySlack()
        self._tmp = tempfile.TemporaryDirectory(prefix=f"faults-{name}-")
        self.dir = Path(self._tmp.name)
        self.db = self.dir / "bot.db"
        self._api = ServerThread(self.fake.app())
        self.notes: list[str] = []
        # kill-reply: what happens when Slack's first delivery of an event failed
        self.on_first_failure: Callable[[], None] | None = None

    def __enter__(self) -> Scenario:
        self._api.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        Serve.stop_all()
        self._api.__exit__(*exc)
        self._tmp.cleanup()

    def serve(self, *, token: str = "xoxb-faults") -> Serve:
        return Serve(self.db, self._api.url + "api/", self.dir / "serve.log", token=token)

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def wait(self, check: Callable[[], bool], seconds: float | None = None) -> bool:
        """Poll `check` until true, for at most `seconds` (and never past the cap)."""
        until = min(self.deadline, time.monotonic() + (seconds if seconds is not None else 1e9))
        while time.monotonic() < until:
            if check():
                return True
            time.sleep(0.25)
        return check()

    def settle(self, request_id: int, seconds: float | None = None) -> OutboxState:
        """Wait until every ask is sent or given up (or time is up); the outbox then."""
        state = outbox_state(self.db, request_id)

        def settled() -> bool:
            nonlocal state
            state = outbox_state(self.db, request_id)
            return state.settled

        if not self.wait(settled, seconds):
            self.notes.append(
                f"NOT SETTLED within the time allowed ({state.pending} still to send)"
            )
        return state


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in lines)


def peers_of(n: int) -> list[str]:
    return [dm_channel(peer_id(i)) for i in range(n)]


def peer_number(post: Post) -> int:
    return int(post.channel[1:]) if post.channel[1:].isdigit() else -1


def metadata_and_lookups(fake: FaultySlack) -> str:
    """How many posts carried message metadata, and conversations.history calls."""
    return f"{sum(1 for p in fake.posts if p.metadata)}/{fake.lookups}"


def report(
    title: str, headers: list[str], rows: list[list[Any]], tally: Tally, s: Scenario
) -> None:
    print(f"\n== {title}")
    print(table(headers, rows))
    for note in s.notes:
        print("  " + note)
    print(tally.line())
    print(f"  (scenario took {s.elapsed():.0f} s)")


# ---- 1. kill-fanout ---------------------------------------------------------------


def kill_fanout(peers: int, cap: float, kill_after: int) -> Tally:
    kill_after = max(1, min(kill_after, peers * 3 // 10))  # always within the fan-out
    fake = FaultySlack(hold_seconds=0.2)
    with Scenario("kill-fanout", cap, fake) as s:
        first = s.serve()
        fake.fault = lambda p: "hold" if p.number == kill_after else None
        fake.on_hold = lambda p: first.kill()
        first.start(wait=s.left())
        request = make_request(s.db, peers)
        began = time.monotonic()
        s.wait(lambda: not first.running)
        killed_at, posts_before = time.monotonic() - began, len(fake.posts)
        second = s.serve().start(wait=s.left())
        lease = DELIVERY_LEASE.total_seconds()
        state = s.settle(request, lease + 60)
        settled_at = time.monotonic() - began
        second.stop()
        tally = Tally.of(fake.delivered(), peers_of(peers))
        rows = [
            ["posts before the kill", posts_before, f"killed at {killed_at:.1f} s"],
            ["posts after the restart", len(fake.posts) - posts_before, ""],
            [
                "asks sent / given up / pending",
                f"{state.sent}/{state.given_up}/{state.pending}",
                "",
            ],
            ["peers asked once / twice+ / never", f"{tally.once}/{tally.twice}/{tally.never}", ""],
            ["request to settled", f"{settled_at:.1f} s", f"lease {lease:g} s"],
            ["posts with metadata / history lookups", metadata_and_lookups(fake), ""],
        ]
        report(
            f"kill-fanout: {peers} peers, SIGKILL while Slack takes post {kill_after}",
            ["measure", "value", "note"],
            rows,
            tally,
            s,
        )
        return tally


# ---- 2. kill-reply ------------------------------------------------------------------

USER = "U0PERSON"
LOOKUP = "principled"


def slack_delivers(s: Scenario, url: Callable[[], str], body: str) -> list[str]:
    """Slack's deliveries of one event: the first, then a retry nearly at once and one a
    minute after the first, each only while no attempt was answered 200 within 3 s;
    what each got ("200 0.1s", "none")."""
    outcome = []
    first_at = time.monotonic()
    for retry, at in ((0, 0.0), (1, 0.0), (2, 60.0)):
        if retry:
            time.sleep(max(0.0, first_at + at - time.monotonic()))
        status, took = send_event(
            url(), body, retry=retry, reason="http_error", timeout=SLACK_TIMEOUT
        )
        outcome.append(f"{status or 'none'} {took:.1f}s")
        if status == 200 and took <= SLACK_TIMEOUT:
            break
        if retry == 0 and s.on_first_failure is not None:
            s.on_first_failure()
    return outcome


def reply_case(n: int, fault: str, lands: bool, cap: float) -> tuple[str, int]:
    """One kill-reply case: Slack's deliveries as they went, and how many replies the
    person saw."""
    fake = FaultySlack(hold_seconds=3.0, hold_lands=lands)
    channel = dm_channel(USER)

    def plan(p: Post) -> str | None:
        if p.channel != channel:
            return None
        if fault == "kill":
            return "hold" if p.nth == 1 else None
        if fault == "reset":
            return "reset" if p.nth <= 2 else None  # slack_sdk tries twice
        return "drop" if p.nth == 1 else None

    fake.fault = plan
    with Scenario("kill-reply", cap, fake) as s:
        server = [s.serve().start(wait=s.left())]
        fake.on_hold = lambda p: server[0].kill()

        def restart() -> None:
            time.sleep(fake.hold_seconds + 0.5)  # the held post has landed, or not
            server.append(s.serve().start(wait=s.left()))

        if fault == "kill":
            s.on_first_failure = restart
        body = dm_event(f"Ev0KILLREPLY{n}", LOOKUP, user=USER)
        outcome = slack_delivers(s, lambda: server[-1].url, body)
        time.sleep(1.0)  # a post still under way lands
        return " / ".join(outcome), fake.delivered()[channel]


def kill_reply(cap: float) -> Tally:
    cases = [
        ("kill while posting; the post reaches Slack", "kill", True),
        ("kill while posting; the post never reaches Slack", "kill", False),
        ("no kill; reset before Slack takes it (both tries)", "reset", False),
        ("no kill; reset after Slack took it (first try)", "drop", False),
    ]
    rows, counts = [], []
    for n, (label, fault, lands) in enumerate(cases):
        outcome, got = reply_case(n, fault, lands, cap)
        counts.append(got)
        verdict = {0: "NEVER", 1: "once"}.get(got, "TWICE" if got == 2 else f"{got} times")
        rows.append([label, outcome, got, verdict])
    tally = Tally(
        sum(1 for c in counts if c == 1),
        sum(1 for c in counts if c >= 2),
        sum(1 for c in counts if c == 0),
        len(counts),
    )
    print("\n== kill-reply: a DM lookup's reply, cut short; then Slack's retries of the event")
    print(table(["case", "Slack's deliveries (status, time)", "replies seen", "verdict"], rows))
    print(tally.line())
    return tally


# ---- 3. slow / failing / rate-limited Slack during a fan-out ------------------------


def fanout(
    name: str, title: str, fake: FaultySlack, peers: int, cap: float
) -> tuple[Tally, list[Any]]:
    with Scenario(name, cap, fake) as s:
        server = s.serve().start(wait=s.left())
        request = make_request(s.db, peers)
        began = time.monotonic()
        state = s.settle(request)
        took = time.monotonic() - began
        server.stop()
        tally = Tally.of(fake.delivered(), peers_of(peers))
        faults = sum(1 for p in fake.posts if p.fault)
        row = [
            title,
            len(fake.posts),
            faults,
            sum(1 for p in fake.posts if p.metadata),
            fake.lookups,
            f"{state.sent}/{state.given_up}/{state.pending}",
            tally.once,
            tally.twice,
            tally.never,
            f"{took:.1f}" + ("" if state.settled else " (cap)"),
        ]
        for note in s.notes:
            row[0] += f" [{note}]"
        return tally, row


FANOUT_HEADERS = [
    "variant",
    "posts",
    "faulty",
    "with metadata",
    "history lookups",
    "sent/given up/pending",
    "once",
    "twice+",
    "never",
    "seconds",
]


def slack_faults(variant: str, peers: int, cap: float, every: int) -> Tally:
    def first_post_of_every(k: int, fault: str) -> Callable[[Post], str | None]:
        return lambda p: fault if p.nth == 1 and peer_number(p) % k == 0 else None

    if variant == "slow":
        fake = FaultySlack(fault=first_post_of_every(every * 10, "slow"), slow_seconds=31.0)
        runs = [(fake, f"every {every * 10}th peer's first post answered after 31 s")]
    elif variant == "failing":
        runs = [
            (
                FaultySlack(fault=first_post_of_every(every * 2, "500")),
                f"500 after posting, every {every * 2}th peer's first post",
            ),
            (
                FaultySlack(fault=first_post_of_every(every * 2, "drop")),
                f"connection dropped after posting, every {every * 2}th peer's first post",
            ),
        ]
    else:
        runs = [
            (
                FaultySlack(fault=lambda p: "429" if p.number % every == 0 else None),
                f"429 Retry-After: 1 on every {every}th post",
            )
        ]
    rows, tallies = [], []
    started = time.monotonic()
    for fake, title in runs:
        tally, row = fanout(variant, title, fake, peers, cap)
        rows.append(row)
        tallies.append(tally)
    print(f"\n== {variant}: a {peers}-peer fan-out through a {variant} Slack")
    print(table(FANOUT_HEADERS, rows))
    for (_, title), tally in zip(runs, tallies, strict=True):
        print(f"{title.split(',')[0] if len(runs) > 1 else variant}: {tally.line()}")
    print(f"  (scenario took {time.monotonic() - started:.0f} s)")
    return tallies[0]


# ---- 4. write-lock ------------------------------------------------------------------

LOCK_SECONDS = 12.0
READER, WRITER = "U0READER", "U0WRITER"


def write_lock(cap: float) -> Tally:
    with Scenario("write-lock", cap) as s:
        server = s.serve().start(wait=s.left())
        fake = s.fake
        rows: list[list[Any]] = []
        lock = WriteLock(s.db, LOCK_SECONDS)
        pool = ThreadPoolExecutor(8)
        try:

            def at(offset: float) -> None:
                time.sleep(max(0.0, lock.taken + offset - time.monotonic()))

            def healthz(offset: float) -> list[Any]:
                at(offset)
                status, took = get(server.url + "healthz", timeout=60)
                return [f"/healthz at +{offset:g} s", status or "none", f"{took:.2f}", ""]

            def dm(offset: float, name: str, user: str, text: str) -> list[list[Any]]:
                body = dm_event(f"Ev0LOCK{user}", text, user=user)
                out = []
                at(offset)
                attempts: list[Future[tuple[int, float]]] = []
                for retry, after in ((0, 0.0), (1, 5.0), (2, 60.0)):
                    at(offset + after)
                    if any(
                        f.done() and f.result()[0] == 200 and f.result()[1] <= SLACK_TIMEOUT
                        for f in attempts
                    ):
                        break
                    attempts.append(
                        pool.submit(send_event, server.url, body, retry=retry, timeout=90)
                    )
                    time.sleep(SLACK_TIMEOUT)  # Slack's verdict on this attempt
                    if attempts[-1].done() and attempts[-1].result()[0] == 200:
                        break
                for retry, attempt in enumerate(attempts):
                    status, took = attempt.result()
                    slack = "ok" if status == 200 and took <= SLACK_TIMEOUT else "Slack retries"
                    when = f"+{offset + (0, 5, 60)[retry]:g} s"
                    kind = "" if not retry else f" (retry {retry})"
                    out.append([f"{name}{kind} at {when}", status or "none", f"{took:.2f}", slack])
                return out

            jobs = [
                pool.submit(healthz, 0.5),
                pool.submit(dm, 1.0, "lookup DM", READER, LOOKUP),
                pool.submit(dm, 1.5, "writing DM", WRITER, "prep leadership level 4"),
                pool.submit(healthz, 2.0),
                pool.submit(healthz, LOCK_SECONDS + 1),
            ]
            for job in jobs:
                found = job.result(timeout=s.left() or 1)
                rows += found if isinstance(found[0], list) else [found]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            lock.release()
        time.sleep(2.0)  # replies still being posted
        replies = {
            user: [p for p in fake.posts if p.accepted and p.channel == dm_channel(user)]
            for user in (READER, WRITER)
        }
        import sqlite3

        conn = sqlite3.connect(f"file:{s.db}?mode=ro", uri=True, timeout=30)
        drafts = conn.execute(
            "SELECT COUNT(*) FROM star_drafts WHERE owner = ?", [f"slack:{TEAM}:{WRITER}"]
        ).fetchone()[0]
        conn.close()
        server.stop()
        good = {u: sum(1 for p in ps if ERROR_TEXT not in p.text) for u, ps in replies.items()}
        errors = {u: sum(1 for p in ps if ERROR_TEXT in p.text) for u, ps in replies.items()}
        tally = Tally(
            sum(1 for n in good.values() if n == 1),
            sum(1 for n in good.values() if n >= 2),
            sum(1 for n in good.values() if n == 0),
            len(good),
        )
        s.notes += [
            f"lookup DM: {good[READER]} answer(s), {errors[READER]} error message(s) posted",
            f"writing DM: {good[WRITER]} answer(s), {errors[WRITER]} error message(s) posted;"
            f" drafts stored: {drafts} (1 expected)",
            "Slack's retries modelled at +5 s (Slack: nearly at once) and +60 s after the"
            " event, each only when no earlier attempt was answered 200 within 3 s",
        ]
        report(
            f"write-lock: another process holds BEGIN IMMEDIATE for {LOCK_SECONDS:g} s"
            " (times from when it took the lock)",
            ["request", "status", "seconds", "Slack's view"],
            rows,
            tally,
            s,
        )
        return tally


# ---- 5. two-serve -------------------------------------------------------------------


def two_serve(peers: int, cap: float) -> Tally:
    with Scenario("two-serve", cap) as s:
        servers = [s.serve(token="xoxb-first"), s.serve(token="xoxb-second")]
        for server in servers:  # both start together
            server.launch()
        for server in servers:
            server.ready(wait=s.left())
        request = make_request(s.db, peers)
        began = time.monotonic()
        state = s.settle(request)
        took = time.monotonic() - began
        for server in servers:
            server.stop()
        tally = Tally.of(s.fake.delivered(), peers_of(peers))
        by = {
            t: sum(1 for p in s.fake.posts if p.token == t) for t in ("xoxb-first", "xoxb-second")
        }
        rows = [
            ["posts by the first / second process", f"{by['xoxb-first']}/{by['xoxb-second']}"],
            ["asks sent / given up / pending", f"{state.sent}/{state.given_up}/{state.pending}"],
            ["peers asked once / twice+ / never", f"{tally.once}/{tally.twice}/{tally.never}"],
            ["request to settled", f"{took:.1f} s"],
            ["posts with metadata / history lookups", metadata_and_lookups(s.fake)],
        ]
        report(
            f"two-serve: two web processes on one file, {peers} peers",
            ["measure", "value"],
            rows,
            tally,
            s,
        )
        return tally


SCENARIOS = [
    "kill-fanout",
    "kill-reply",
    "slow",
    "failing",
    "rate-limited",
    "write-lock",
    "two-serve",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", action="append", choices=SCENARIOS, help="(repeatable; default: all)"
    )
    parser.add_argument("--peers", type=int, default=200)
    parser.add_argument("--cap", type=float, default=240.0, help="seconds allowed per scenario")
    parser.add_argument(
        "--kill-after", type=int, default=60, help="kill-fanout: posts before the kill"
    )
    parser.add_argument(
        "--every",
        type=int,
        default=5,
        help="rate-limited: a 429 every Nth post; failing: every 2Nth peer; slow: every 10Nth peer",
    )
    args = parser.parse_args()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # tables as they come
    runs: dict[str, Callable[[], Tally]] = {
        "kill-fanout": lambda: kill_fanout(
            args.peers, max(args.cap, DELIVERY_LEASE.total_seconds() + 90), args.kill_after
        ),
        "kill-reply": lambda: kill_reply(args.cap),
        "slow": lambda: slack_faults("slow", args.peers, args.cap, args.every),
        "failing": lambda: slack_faults("failing", args.peers, args.cap, args.every),
        "rate-limited": lambda: slack_faults("rate-limited", args.peers, args.cap, args.every),
        "write-lock": lambda: write_lock(args.cap),
        "two-serve": lambda: two_serve(args.peers, args.cap),
    }
    try:
        for name in args.scenario or SCENARIOS:
            started = time.monotonic()
            try:
                runs[name]()
            except (RuntimeError, TimeoutError) as error:
                print(f"\n== {name}: could not run: {error}")
            print(f"  [{name}: {time.monotonic() - started:.0f} s]", flush=True)
    except KeyboardInterrupt:
        Serve.stop_all()
        print("\ninterrupted: every process the suite started has been stopped")
        raise SystemExit(130) from None
    finally:
        Serve.stop_all()


if __name__ == "__main__":
    main()
