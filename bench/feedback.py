"""360 feedback: answers recorded per second with 16 concurrent peers, and the time to
build a report from 10, 100 and 1,000 answers.

Answers: 16 peers answer one request at once, each from its own thread and its own
SQLite connection (as separate web processes would), each answer typed message by
message through the real core (`Bot.handle`), its last message recording it. Baseline,
in the same run: the same 16 threads each writing the same answer rows straight into
SQLite, one transaction per answer, the least any durable recording must do. Both
check that no answer was lost.

Report: the full report of a closed request (aggregates, threshold, gaps, pointers,
rendering). Baseline: reading the same answers back from SQLite.

    .venv/bin/python bench/feedback.py [--answers N]

The delivery of a 200-peer request through Slack (with 429s) is bench/slack_delivery.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.frameworks import load_all
from bot.router import Bot
from bot.storage import FeedbackStore, Store
from bot.types import Event, Person

PEERS = 16
TYPED = ("3", "Ran the restructure calmly.", "2", "skip", "Keeps calm", "Delegate more")


def make_request(bot: Bot, peers: list[str]) -> int:
    """Alice's request on two behaviours to `peers`, through the core."""
    alice = "console:local:alice"
    for typed in (
        "360 leadership level 4",
        "delivering at pace",
        "done",
        ", ".join(peers),
        "2 weeks",
        "none",
        "3",
        "4",
        "send",
    ):
        bot.handle(Event(user=alice, conversation=alice, text=typed))
    return 1


def answer_through_core(path: Path, frameworks: list, name: str, answers: int) -> None:  # type: ignore[type-arg]
    store = Store.open(path)
    bot = Bot(frameworks, store)
    who = f"console:local:{name}"
    for n in range(answers):
        for typed in ("360 answer 1", *TYPED):
            bot.handle(
                Event(user=who, conversation=who, text=typed, event_id=f"{name}-{n}-{typed}")
            )
    store.close()


def answer_straight(path: Path, name: str, answers: int) -> None:
    store = Store.open(path)
    db = FeedbackStore(store)
    for _ in range(answers):
        with store.transaction():
            db.save_answer(
                1,
                f"console:local:{name}",
                ratings={"leadership": 3, "delivering-at-pace": 2},
                examples={"leadership": "Ran the restructure calmly."},
                keep="Keeps calm",
                develop="Delegate more",
            )
    store.close()


def concurrently(target, names: list[str], *args) -> float:  # type: ignore[no-untyped-def]
    threads = [threading.Thread(target=target, args=(*args[:-1], n, args[-1])) for n in names]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def recorded(path: Path) -> int:
    store = Store.open(path)
    rows = FeedbackStore(store).peers(1)
    store.close()
    return sum(r["status"] == "answered" and r["develop"] == "Delegate more" for r in rows)


def answers_per_second(frameworks: list, per_peer: int) -> tuple[float, float, int, int]:  # type: ignore[type-arg]
    names = [f"peer{n}" for n in range(PEERS)]
    results = []
    for target in ("core", "baseline"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            store = Store.open(path)
            make_request(Bot(frameworks, store), names)
            store.close()
            if target == "core":
                elapsed = concurrently(answer_through_core, names, path, frameworks, per_peer)
            else:
                elapsed = concurrently(answer_straight, names, path, per_peer)
            results.append((PEERS * per_peer / elapsed, recorded(path)))
    (core, core_ok), (base, base_ok) = results
    return core, base, core_ok, base_ok


def report_time(frameworks: list, answers: int, repeat: int = 5) -> tuple[float, float]:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "report.db")
        bot = Bot(frameworks, store)
        names = [f"peer{n}" for n in range(answers)]
        db = FeedbackStore(store)
        with store.transaction():  # more peers than one request may name: made directly
            db.create_request(
                requester="console:local:alice",
                requester_name="alice",
                framework="civil-service",
                level="4",
                behaviours=["leadership", "delivering-at-pace"],
                self_ratings={"leadership": 3, "delivering-at-pace": 4},
                manager=None,
                deadline="2099-01-01T17:00:00+00:00",
                threshold=3,
                seed="bench",
                peers=[Person(f"console:local:{n}", n) for n in names],
            )
            for n, name in enumerate(names):
                db.save_answer(
                    1,
                    f"console:local:{name}",
                    ratings={"leadership": 1 + n % 4, "delivering-at-pace": 1 + (n * 7) % 4},
                    examples={"leadership": f"Example {n}: ran the restructure calmly."},
                    keep=f"Keep {n}",
                    develop=f"Develop {n}",
                )
            db.close(1)
        request = db.request(1)
        assert request is not None

        def full() -> None:
            bot.feedback.report(request)

        def baseline() -> None:
            for peer in db.peers(1):
                json.dumps(peer["ratings"])

        timings = []
        for fn in (full, baseline):
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - started)
            timings.append(statistics.median(runs))
        store.close()
        return timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=20, help="answers per peer (default 20)")
    args = parser.parse_args()
    frameworks = load_all(())
    core, base, core_ok, base_ok = answers_per_second(frameworks, args.answers)
    total = PEERS * args.answers
    print(f"answers recorded, {PEERS} concurrent peers, {args.answers} answers each")
    print(f"{'':>10} {'answers/s':>10} {'recorded':>10}")
    print(f"{'core':>10} {core:>10.0f} {core_ok:>7}/{PEERS}")
    print(f"{'baseline':>10} {base:>10.0f} {base_ok:>7}/{PEERS}")
    messages = 1 + len(TYPED)
    print(f"core / baseline: {core / base:.2f}x ({total} answers each)")
    print(
        f"each answer through the core is {messages} messages: {core * messages:.0f} messages/s,"
        f" {core * messages / base:.2f}x the baseline's writes"
    )
    print()
    print(f"{'answers':>8} {'report':>10} {'baseline':>10} {'ratio':>8}")
    for size in (10, 100, 1000):
        full, baseline = report_time(frameworks, size)
        print(f"{size:>8} {full * 1e3:>8.2f}ms {baseline * 1e3:>8.2f}ms {full / baseline:>7.1f}x")


if __name__ == "__main__":
    main()
