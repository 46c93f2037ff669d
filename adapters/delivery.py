"""Answering an event and reporting whether the answer arrived.

The core keeps an event's replies until the adapter says they were delivered
(`Bot.settle`). When sending fails, the platform's retry of the same event (Slack after
a 500, Teams after a 502 or a timeout) gets those replies again, instead of nothing, and
the event is still handled only once: a STAR answer is never saved twice. So does a retry
after the process was killed mid-send (seen at once by another process, through the
lock each process holds while it runs), while an attempt still under way in a running
process is left to finish.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.storage import Busy, is_busy
from bot.types import Event, Reply

T = TypeVar("T")


class Unreachable(Exception):
    """A person the bot cannot message directly, with the reason (for the requester)."""

    def __init__(self, user: str, reason: str):
        super().__init__(f"{user}: {reason}")
        self.user = user
        self.reason = reason


class Refused(Exception):
    """The platform answered that it did not take the message (an error of its own, not
    a timeout or a broken connection): sending it again cannot repeat it."""


class SlowDown(Exception):
    """The platform asked to wait `seconds` before sending more (Slack's 429)."""

    def __init__(self, seconds: float):
        super().__init__(f"rate limited: retry after {seconds:g} s")
        self.seconds = seconds


# The core's Bot.handle and Bot.settle, awaitable: the web process runs them on its
# worker thread (adapters.worker), so the event loop never waits for the database.
Handle = Callable[[Event], Awaitable[list[Reply]]]
Settle = Callable[..., Awaitable[None]]  # settle(event, delivered=bool)


# How long a person's request waits for a database another process keeps locked, tried
# again now and then, before they are told it was not done (Slack and Teams do not send
# a button press or a slash command again).
BUSY_PATIENCE = 30.0


async def patiently(call: Callable[[], Awaitable[T]], *, seconds: float = BUSY_PATIENCE) -> T:
    """`call()`, made again while the database is busy, for up to `seconds`; Busy after."""
    deadline = time.monotonic() + seconds
    pause = 0.2
    while True:
        try:
            return await call()
        except Exception as error:
            if not (isinstance(error, Busy) or is_busy(error)):
                raise
            if time.monotonic() + pause > deadline:
                raise Busy from error
            await asyncio.sleep(pause)
            pause = min(pause * 2, 3.0)


async def answer(
    handle: Handle,
    settle: Settle,
    event: Event,
    send: Callable[[list[Reply]], Awaitable[None]],
) -> None:
    """Handle `event`, send its replies with `send`, and settle the outcome; a failure
    to send is raised after it is settled (the adapter answers it as its platform wants)."""
    replies = await handle(event)
    if not replies:
        # A duplicate while the first attempt is still sending (or nothing to say): the
        # replies, if any, belong to that attempt, and only it may settle them.
        await send(replies)
        return
    try:
        await send(replies)
    except BaseException:
        await settle(event, delivered=False)
        raise
    await settle(event, delivered=True)
