"""Live results: edit a poll's message as votes arrive, at most once per interval per poll."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 2.0


class LiveResults:
    """Coalesce edits: any number of votes within an interval become one message edit.

    The first vote after a quiet spell is shown at once; votes during the interval that follows
    are folded into one edit at its end. An edit that fails is logged and not retried in a loop;
    the next vote (or the close) shows the counts again.
    """

    def __init__(self, render: Callable[[int], Awaitable[None]], *, interval: float) -> None:
        self._render = render
        self.interval = interval
        self._last_edit: dict[int, float] = {}
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.edits = 0

    def touch(self, poll_id: int) -> None:
        """Note that a poll's counts changed."""
        self._dirty.add(poll_id)
        if poll_id not in self._tasks:
            self._tasks[poll_id] = asyncio.create_task(
                self._flush(poll_id), name=f"newsroom-poll-{poll_id}-live"
            )

    async def _flush(self, poll_id: int) -> None:
        """Wait for the poll's interval to pass, then edit once; again while votes keep coming."""
        loop = asyncio.get_running_loop()
        try:
            while poll_id in self._dirty:
                wait = self._last_edit.get(poll_id, -self.interval) + self.interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)  # pacing, not synchronisation: the edit budget
                if poll_id not in self._dirty:
                    break  # stopped or closing meanwhile
                self._dirty.discard(poll_id)
                self._last_edit[poll_id] = loop.time()
                try:
                    await self._render(poll_id)
                    self.edits += 1
                except Exception:  # one failed edit must not stop later ones; logged once
                    log.exception("Could not update the results of poll %s", poll_id)
        finally:
            self._tasks.pop(poll_id, None)

    async def cancel(self, poll_id: int) -> None:
        """Stop updating a poll (it is closing: the final edit is the closer's)."""
        self._dirty.discard(poll_id)
        task = self._tasks.pop(poll_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def stop(self) -> None:
        """Drop pending edits (on unload); an edit being made is let finish for a moment."""
        tasks = list(self._tasks.values())
        self._dirty.clear()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
