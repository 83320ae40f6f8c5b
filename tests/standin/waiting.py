"""Event-driven waiting: wake waiters on every state change, never poll with sleeps.

Every wait takes a `timeout` (hence the `noqa: ASYNC109` on them): a test that waits for
something that never happens fails with a WaitTimeout naming what it waited for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0


class WaitTimeout(AssertionError, TimeoutError):
    """A condition a test waited for did not come true in time."""


class BotStopped(RuntimeError):
    """The bot a test was waiting on stopped with an exception."""


class Notifier:
    """Let coroutines wait until a condition over some state holds; `notify()` on each change.

    `guard` runs on every wake-up and may raise to abort the wait (say, the bot died).
    """

    def __init__(self, guard: Callable[[], None] | None = None) -> None:
        self._waiters: set[asyncio.Future[None]] = set()
        self.guard = guard

    def notify(self) -> None:
        """Wake every waiter so it re-checks its condition."""
        waiters, self._waiters = self._waiters, set()
        for future in waiters:
            if not future.done():
                future.set_result(None)

    async def wait_for(
        self,
        condition: Callable[[], T],
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        what: str | None = None,
        details: Callable[[], str] | None = None,
    ) -> T:
        """Return `condition()` once it is truthy; raise WaitTimeout after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.guard is not None:
                self.guard()
            result = condition()
            remaining = deadline - loop.time()
            if result and remaining > 0:
                return result
            if remaining <= 0:
                described = what or getattr(condition, "__qualname__", repr(condition))
                extra = f" ({details()})" if details is not None else ""
                if result:
                    extra += (
                        "; it came true without a stand-in state change: wait on the bot's side"
                    )
                raise WaitTimeout(f"timed out after {timeout:g} s waiting for {described}{extra}")
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.add(future)
            try:
                await asyncio.wait({future}, timeout=remaining)
            finally:
                self._waiters.discard(future)

    @property
    def waiting(self) -> bool:
        """Return whether anyone is waiting."""
        return bool(self._waiters)
