"""Delivering the outbox: the direct messages the core queued (360 requests, reminders,
reports), sent by the web process to Slack and Teams users, and the schedule run.

Every few seconds the loop runs what is due (`Bot.tick`: reminders, closings), then
takes each platform's due messages and reports each one's fate to the core, which keeps
it in SQLite: sent; wait (Slack's 429: its Retry-After is honoured, and sending to that
platform pauses); unreachable (the requester is told
who); or a passing failure (tried again later, given up after several tries). A message
taken but not reported (the process stopped) is taken again after two minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from adapters.delivery import SlowDown, Unreachable
from bot.router import Bot
from bot.types import Reply

log = logging.getLogger("behaviourbot.outbox")

PLATFORMS = {"slack:": "Slack", "teams:": "Teams"}
SendDirect = Callable[[str, list[Reply]], Awaitable[None]]
OUTBOX_EVERY = 2.0  # seconds between rounds


@dataclass
class Outbox:
    bot: Bot
    senders: dict[str, SendDirect]  # platform prefix ("slack:") -> how to send there
    every: float = OUTBOX_EVERY
    paused_until: dict[str, float] = field(default_factory=dict)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:  # never stop delivering because of one bad round
                log.exception("outbox: a round failed")
            await asyncio.sleep(self.every)

    async def round(self) -> dict[str, int]:
        """Run what is due, then deliver each platform's due messages; how many sent."""
        ran = self.bot.tick()
        if ran:
            log.info("outbox: ran %d scheduled reminders and closings", ran)
        return {prefix: await self.deliver(prefix) for prefix in self.senders}

    async def deliver(self, prefix: str) -> int:
        """Send `prefix`'s due messages one by one, each taken just before it is sent
        (so none sits taken while a pause runs), until none is due or the platform asks
        to wait; how many were sent."""
        send = self.senders[prefix]
        sent = 0
        while self.paused_until.get(prefix, 0.0) <= time.monotonic():
            taken = self.bot.outgoing(prefix, limit=1)
            if not taken:
                break
            message = taken[0]
            try:
                await send(message.user, message.replies)
            except SlowDown as slow:
                self.paused_until[prefix] = time.monotonic() + slow.seconds
                log.info("outbox: %s asked to wait %g s", prefix.rstrip(":"), slow.seconds)
                self.bot.send_later(message, slow.seconds)
            except Unreachable as unreachable:
                log.info("outbox: message %d undeliverable: %s", message.id, unreachable)
                self.bot.undeliverable(message, unreachable.reason)
            except Exception as error:
                log.warning(
                    "outbox: message %d not sent: %s: %s",
                    message.id,
                    type(error).__name__,
                    str(error)[:300],
                )
                self.bot.try_again(message, f"{PLATFORMS.get(prefix, prefix)} kept failing")
            else:
                self.bot.sent(message)
                sent += 1
        return sent
