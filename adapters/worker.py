"""The core's work off the event loop.

Everything the core does touches SQLite, and SQLite waits (up to the store's busy
timeout) while another process holds the write lock. Run on the event loop, that wait
stalls every request in the process, /healthz included. The web process therefore runs
each call into the core on one worker thread of its own: the loop stays free to answer,
and the calls keep the order they were made in (one thread, one connection, one
transaction at a time, as before).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Run(Protocol):
    """How adapters call into the core: `await run(bot.handle, event)`."""

    def __call__(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]: ...


async def inline(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run `fn` on the event loop itself: for tests and benchmarks of one adapter."""
    return fn(*args, **kwargs)


class Worker:
    """One thread for the core's calls: `await worker.run(bot.handle, event)`."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="behaviourbot-core")

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def wraps(self, fn: Callable[P, T]) -> Callable[P, Awaitable[T]]:
        """`fn`, awaitable, run on the worker thread."""

        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            return await self.run(fn, *args, **kwargs)

        return run

    def close(self) -> None:
        """Let what was asked for finish, then stop the thread."""
        self._pool.shutdown(wait=True)
