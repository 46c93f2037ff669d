"""Delivering the outbox: the direct messages the core queued (360 requests, reminders,
reports), sent by the web process to Slack and Teams users, and the schedule run.

Every few seconds the loop runs what is due (`Bot.tick`: reminders, closings), then
takes each platform's due messages and reports each one's fate to the core, which keeps
it in SQLite: sent; wait (Slack's 429: its Retry-After is honoured, and sending to that
platform pauses); unreachable (the requester is told
who); or a passing failure (tried again later, given up after several tries). A message
taken but not reported (the process stopped) is taken again after two minutes.

Nothing twice: each attempt is on the record before the message is sent. After one whose
outcome is unknown (a timeout, a broken connection, an error after the platform took the
request, or a process that stopped before reporting), the platform is asked whether the
message arrived before it is sent again, where it can tell: Slack can (each message
carries its outbox id in its metadata, looked for in the conversation); Teams cannot (it
does not honour an id given by the sender), so there such a message may arrive twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.delivery import Refused, SlowDown, Unreachable, patiently
from adapters.metrics import Metrics, platform_of
from adapters.worker import Run, inline
from bot.router import Bot
from bot.types import Reply

log = logging.getLogger("behaviourbot.outbox")

PLATFORMS = {"slack:": "Slack", "teams:": "Teams"}


class SendDirect(Protocol):
    """How to send a direct message there; `tag`, the outbox id, goes with the message
    where the platform keeps it (see Arrived)."""

    def __call__(
        self, user: str, replies: list[Reply], tag: int | None = None
    ) -> Awaitable[None]: ...


# arrived(user, outbox id, since: the first attempt's ISO time) -> whether it is there
Arrived = Callable[[str, int, str], Awaitable[bool]]
OUTBOX_EVERY = 2.0  # seconds between rounds


@dataclass
class Outbox:
    bot: Bot
    senders: dict[str, SendDirect]  # platform prefix ("slack:") -> how to send there
    every: float = OUTBOX_EVERY
    paused_until: dict[str, float] = field(default_factory=dict)
    arrived: dict[str, Arrived] = field(default_factory=dict)  # where it can be looked up
    run: Run = inline  # how the core is called (the web process: on its worker thread)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    metrics: Metrics = field(default_factory=Metrics)  # the web app's (adapters.metrics)

    async def _report(self, fn: Callable[..., None], /, *args: Any, **kwargs: Any) -> None:
        """A message's fate, told to the core: it happened, so it is recorded even when
        another process holds the database for a while (see delivery.patiently)."""
        await patiently(lambda: self.run(fn, *args, **kwargs))

    async def run_forever(self) -> None:
        """Rounds every `every` seconds until `stop`: a message being sent then is sent
        and reported first (a cancelled report would send it again after the lease)."""
        while not self.stopping.is_set():
            try:
                await self.round()
            except Exception:  # never stop delivering because of one bad round
                log.exception("outbox: a round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=self.every)

    def stop(self) -> None:
        self.stopping.set()

    async def round(self) -> dict[str, int]:
        """Run what is due, then deliver each platform's due messages; how many sent."""
        ran = await self.run(self.bot.schedule.run_due)
        if ran:
            log.info("outbox: ran %d scheduled reminders and closings", ran)
            self.metrics.scheduled_done.inc(ran)
        return {prefix: await self.deliver(prefix) for prefix in self.senders}

    async def deliver(self, prefix: str) -> int:
        """Send `prefix`'s due messages one by one, each taken just before it is sent
        (so none sits taken while a pause runs), until none is due or the platform asks
        to wait; how many were sent."""
        send = self.senders[prefix]
        platform = platform_of(prefix)
        sent = 0
        while self.paused_until.get(prefix, 0.0) <= time.monotonic() and not self.stopping.is_set():
            taken = await self.run(self.bot.outbox.take, prefix, limit=1)
            if not taken:
                break
            message = taken[0]
            name = PLATFORMS.get(prefix, prefix)
            if message.since is not None and (arrived := self.arrived.get(prefix)):
                try:  # an earlier attempt may have arrived: look before sending again
                    there = await arrived(message.user, message.id, message.since)
                except Refused as refused:  # it cannot be looked for (an app installed
                    # without the scope): sent again, as before, rather than never
                    log.warning("outbox: message %d cannot be looked up: %s", message.id, refused)
                    there = False
                except SlowDown as slow:  # the look-up was rate-limited: both wait
                    self.paused_until[prefix] = time.monotonic() + slow.seconds
                    self.metrics.slowed.labels(platform).inc()
                    await self._report(self.bot.outbox.send_later, message, slow.seconds)
                    continue
                except Exception as error:
                    log.warning(
                        "outbox: message %d not looked up: %s", message.id, type(error).__name__
                    )
                    await self._report(
                        self.bot.outbox.try_again, message, f"{name} kept failing", unsure=True
                    )
                    continue
                if there:
                    log.info("outbox: message %d had arrived; not sent again", message.id)
                    await self._report(self.bot.outbox.sent, message)
                    self.metrics.delivered.labels(platform).inc()
                    sent += 1
                    continue
            try:
                await send(message.user, message.replies, tag=message.id)
            except SlowDown as slow:
                self.paused_until[prefix] = time.monotonic() + slow.seconds
                self.metrics.slowed.labels(platform).inc()
                log.info("outbox: %s asked to wait %g s", prefix.rstrip(":"), slow.seconds)
                await self._report(self.bot.outbox.send_later, message, slow.seconds)
            except Unreachable as unreachable:
                log.info("outbox: message %d undeliverable: %s", message.id, unreachable)
                await self._report(self.bot.outbox.undeliverable, message, unreachable.reason)
            except Exception as error:
                log.warning(
                    "outbox: message %d not sent: %s: %s",
                    message.id,
                    type(error).__name__,
                    str(error)[:300],
                )
                # refused: it did not arrive; anything else (a timeout, a broken
                # connection, a server error) may have
                unsure = not isinstance(error, Refused)
                await self._report(
                    self.bot.outbox.try_again, message, f"{name} kept failing", unsure=unsure
                )
            else:
                await self._report(self.bot.outbox.sent, message)
                self.metrics.delivered.labels(platform).inc()
                sent += 1
        return sent
