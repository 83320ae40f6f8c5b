"""Close polls at their deadlines: one task, asleep until the nearest one, woken on changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from bot.polls.service import PollRecord, PollService
from bot.waiting import wait_for_wakeup

log = logging.getLogger(__name__)

MAX_SLEEP_SECONDS = 300.0
RETRY_SECONDS = 5.0
STOP_GRACE_SECONDS = 5.0


class DeadlineLease(Protocol):
    """A one-owner-at-a-time lease across processes (bot/coordination.py's Lease)."""

    retry_seconds: float

    async def ensure(self) -> bool:
        """Keep or take the lease; False while another process holds it."""
        ...

    async def release(self) -> None:
        """Give the lease up."""
        ...


class DeadlineOwnership:
    """Decide whether this process closes polls at their deadlines.

    Without a lease (SQLite: one process) this process always owns them; with one (PostgreSQL:
    several processes) only the lease holder does, and a standby takes over when it dies.
    """

    def __init__(self, lease: DeadlineLease | None = None) -> None:
        self._lease = lease

    @property
    def retry_seconds(self) -> float:
        """Return how often a standby asks for the deadlines again."""
        return self._lease.retry_seconds if self._lease is not None else RETRY_SECONDS

    @property
    def max_sleep_seconds(self) -> float:
        """Return how long to sleep at most: polls created by other processes do not wake us."""
        return MAX_SLEEP_SECONDS if self._lease is None else self._lease.retry_seconds

    async def acquire(self) -> bool:
        """Return True while this process owns the deadlines."""
        return True if self._lease is None else await self._lease.ensure()

    async def release(self) -> None:
        """Give the deadlines up (on shutdown)."""
        if self._lease is not None:
            await self._lease.release()


class DeadlineScheduler:
    """Close every due poll, then sleep until the next deadline or a wake-up."""

    def __init__(
        self,
        polls: PollService,
        close: Callable[[PollRecord], Awaitable[None]],
        *,
        recover: Callable[[], Awaitable[None]] | None = None,
        ownership: DeadlineOwnership | None = None,
    ) -> None:
        self._polls = polls
        self._close = close
        self._recover = recover
        self._ownership = ownership or DeadlineOwnership()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.rounds = 0

    def start(self) -> None:
        """Start the one scheduler task."""
        self._task = asyncio.create_task(self._run(), name="newsroom-poll-deadlines")

    async def stop(self) -> None:
        """Stop after the current round (cancel it only if it hangs); deadlines stay stored.

        A round is not cancelled in the middle of a transaction: on SQLite a connection
        cancelled mid-transaction could keep the database locked for the next start.
        """
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_GRACE_SECONDS)
            except TimeoutError:
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._ownership.release()

    def wake(self) -> None:
        """Look at the deadlines again (a poll was created or closed)."""
        self._wake.set()

    async def _run(self) -> None:
        """Finish what a crash interrupted, then loop until cancelled."""
        recovered = self._recover is None
        while not self._stopping:
            self._wake.clear()  # a wake-up during the round below starts the next one at once
            try:
                if not recovered and await self._ownership.acquire():
                    assert self._recover is not None
                    await self._recover()
                    recovered = True
                delay = await self.run_once()
            except Exception:  # the loop outlives one bad round; logged with its traceback
                log.exception("Closing due polls failed; trying again shortly")
                delay = RETRY_SECONDS
            self.rounds += 1
            if self._stopping:
                return
            await wait_for_wakeup(self._wake, delay)

    async def run_once(self) -> float:
        """Close the polls that are due; return the seconds until the next deadline."""
        if not await self._ownership.acquire():
            return self._ownership.retry_seconds
        for poll in await self._polls.due():
            try:
                await self._close(poll)
            except Exception:  # one poll that fails to close must not hold up the others
                log.exception("Could not close poll %s at its deadline", poll.id)
        return self._seconds_until(await self._polls.next_deadline())

    def _seconds_until(self, deadline: datetime | None) -> float:
        """Return how long to sleep before `deadline` (capped, so clock changes are noticed)."""
        if deadline is None:
            return self._ownership.max_sleep_seconds
        seconds = (deadline - self._polls.clock()).total_seconds()
        return min(max(seconds, 0.0) + 0.01, self._ownership.max_sleep_seconds)
