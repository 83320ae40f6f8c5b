"""Sleep until woken or a timeout passes, in a way that a task being stopped always stops."""

from __future__ import annotations

import asyncio


async def wait_for_wakeup(event: asyncio.Event, timeout: float) -> bool:  # noqa: ASYNC109
    """Wait until `event` is set or `timeout` seconds pass; return whether it was set.

    On Python 3.11, `asyncio.wait_for(event.wait(), timeout)` swallows a cancellation that
    arrives just as the event is set (CPython gh-86296): a worker woken and stopped at the
    same moment would run on and hang the shutdown. `asyncio.timeout` does not.
    """
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
