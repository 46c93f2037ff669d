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

from collections.abc import Awaitable, Callable

from bot.types import Event, Reply


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


Handle = Callable[[Event], list[Reply]]
Settle = Callable[..., None]  # settle(event, delivered=bool)


async def answer(
    handle: Handle,
    settle: Settle,
    event: Event,
    send: Callable[[list[Reply]], Awaitable[None]],
) -> None:
    """Handle `event`, send its replies with `send`, and settle the outcome; a failure
    to send is raised after it is settled (the adapter answers it as its platform wants)."""
    replies = handle(event)
    if not replies:
        # A duplicate while the first attempt is still sending (or nothing to say): the
        # replies, if any, belong to that attempt, and only it may settle them.
        await send(replies)
        return
    try:
        await send(replies)
    except BaseException:
        settle(event, delivered=False)
        raise
    settle(event, delivered=True)
