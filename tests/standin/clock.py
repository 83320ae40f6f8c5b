"""Time for the stand-in: a monotonic clock tests can advance, and Discord snowflakes."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable

Clock = Callable[[], float]

DISCORD_EPOCH_MS = 1_420_070_400_000


def loop_clock() -> float:
    """Return the running event loop's monotonic time."""
    return asyncio.get_running_loop().time()


class FakeClock:
    """A clock that follows the event loop's time plus an offset that tests advance.

    Rate-limit windows keep elapsing in real time (discord.py really sleeps on a 429), while
    `advance()` jumps past a deadline (the 3-s interaction window, a 15-minute token) at once.
    With `frozen=True` only `advance()` moves it.
    """

    def __init__(self, *, frozen: bool = False) -> None:
        self.frozen = frozen
        self.offset = 0.0

    def __call__(self) -> float:
        """Return the current time in seconds."""
        return self.offset if self.frozen else loop_clock() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds`."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self.offset += seconds


class Snowflakes:
    """Hand out unique, increasing Discord snowflakes whose timestamp is `wall_time()`."""

    def __init__(self, wall_time: Callable[[], float], *, worker: int = 1) -> None:
        self._wall_time = wall_time
        self._worker = worker & 0x1F
        self._last_ms = 0
        self._increment = 0

    def next(self, shard: tuple[int, int] | None = None) -> int:
        """Return a new snowflake; with `shard=(id, count)` one that shard `id` of `count` owns."""
        ms = max(int(self._wall_time() * 1000) - DISCORD_EPOCH_MS, self._last_ms)
        if shard is not None:
            shard_id, count = shard
            if ms == self._last_ms:
                ms += 1
            ms += (shard_id - ms) % count
        if ms == self._last_ms:
            self._increment += 1
            if self._increment > 0xFFF:
                ms += 1
                self._increment = 0
        else:
            self._increment = 0
        self._last_ms = ms
        return (ms << 22) | (self._worker << 17) | self._increment


def snowflake_time(snowflake: int) -> float:
    """Return the Unix time a snowflake was made at."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


def iso(timestamp: float | None) -> str | None:
    """Format a Unix time as Discord's ISO-8601 timestamp."""
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).isoformat()
