"""The outbox's policy, in one place: queued once by key, taken under a lease, tried
again after a growing pause, given up on at the last attempt, and what a delivery or a
give-up means told to whoever registered for it."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FixedClock
from bot.outbox import DELIVERY_LEASE, MAX_ATTEMPTS, RETRY_PAUSE, Outbox
from bot.render import compose
from bot.storage import Store
from bot.types import Outgoing, Reply, replies_to_json

HELLO = replies_to_json([compose("thanks.j2")])


def queued(store: Store, outbox: Outbox, user: str = "slack:T1:U1", key: str = "k") -> bool:
    with store.transaction():
        return outbox.queue(user, key, HELLO)


def test_a_message_is_queued_once_by_its_key(store: Store) -> None:
    outbox = Outbox(store)
    assert queued(store, outbox) and not queued(store, outbox)
    (message,) = outbox.take("slack:")
    assert message.key == "k" and message.attempts == 0
    assert isinstance(message.replies[0], Reply)
    assert outbox.take("teams:") == []  # one platform's messages only


def test_a_taken_message_comes_back_only_when_its_lease_runs_out(
    store: Store, clock: FixedClock
) -> None:
    outbox = Outbox(store)
    queued(store, outbox)
    (taken,) = outbox.take("slack:")
    assert outbox.take("slack:") == []  # leased: another process leaves it be
    clock.advance(DELIVERY_LEASE + timedelta(seconds=1))
    (again,) = outbox.take("slack:")
    assert again.id == taken.id and again.since is not None  # it may have arrived: look
    outbox.sent(again)
    clock.advance(DELIVERY_LEASE * 2)
    assert outbox.take("slack:") == []  # sent: never again


def test_failures_wait_longer_each_time_and_the_last_gives_up(
    store: Store, clock: FixedClock
) -> None:
    outbox = Outbox(store)
    given_up: list[tuple[str, str]] = []
    outbox.when_given_up(lambda message, reason: given_up.append((message.key, reason)))
    queued(store, outbox)
    for attempt in range(MAX_ATTEMPTS - 1):
        (message,) = outbox.take("slack:")
        assert message.attempts == attempt
        outbox.try_again(message, "ConnectionError")
        pause = RETRY_PAUSE * 2**attempt
        clock.advance(pause - timedelta(seconds=1))
        assert outbox.take("slack:") == []  # not before its pause
        clock.advance(timedelta(seconds=2))
    (last,) = outbox.take("slack:")
    outbox.try_again(last, "ConnectionError")
    assert given_up == [("k", "ConnectionError")]
    clock.advance(timedelta(days=1))
    assert outbox.take("slack:") == []


def test_a_slow_down_is_not_a_failure(store: Store, clock: FixedClock) -> None:
    outbox = Outbox(store)
    queued(store, outbox)
    (message,) = outbox.take("slack:")
    outbox.send_later(message, 5)
    clock.advance(timedelta(seconds=6))
    (again,) = outbox.take("slack:")
    assert again.attempts == 0


def test_whoever_registered_is_told_of_a_delivery_in_its_transaction(store: Store) -> None:
    outbox = Outbox(store)
    sent: list[Outgoing] = []
    outbox.when_sent(sent.append)
    queued(store, outbox, key="expect-1-v1")
    (message,) = outbox.take("slack:")
    outbox.sent(message)
    assert [m.key for m in sent] == ["expect-1-v1"]


def test_a_message_held_for_later_can_be_dropped(store: Store) -> None:
    outbox = Outbox(store)
    with store.transaction():
        outbox.queue("slack:T1:U1", "remind-1-x", HELLO, due="2999-01-01T00:00:00+00:00")
        outbox.drop("remind-1-x")
    assert store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
