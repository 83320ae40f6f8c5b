"""Waking a sleeping worker and stopping it at the same moment stops it."""

from __future__ import annotations

import asyncio

import pytest

from bot.waiting import wait_for_wakeup


async def sleeper(event: asyncio.Event, rounds: list[int]) -> None:
    """Sleep until woken, over and over, like the bot's worker loops."""
    while True:
        await wait_for_wakeup(event, 30)
        event.clear()
        rounds.append(1)


async def test_a_worker_woken_and_cancelled_at_once_stops() -> None:
    event, rounds = asyncio.Event(), []
    task = asyncio.create_task(sleeper(event, rounds))
    await asyncio.sleep(0)  # the worker is asleep
    event.set()
    task.cancel()  # the stop arrives in the same turn as the wake-up
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=5)
    assert task.cancelled()
    assert rounds == []


async def test_the_wait_says_whether_it_was_woken() -> None:
    event = asyncio.Event()
    assert await wait_for_wakeup(event, 0.01) is False
    event.set()
    assert await wait_for_wakeup(event, 5) is True
