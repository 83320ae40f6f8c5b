"""Per-member flood control: at most `limit` questions in any `window` seconds."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable

from bot.errors import NewsroomError

PRUNE_AT = 10_000


class TooSoon(NewsroomError):
    """The member asked too many questions too quickly."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            f"You're asking quickly: try again in {self.retry_after} s. "
            "(This keeps the channel readable for everyone.)"
        )


class Cooldown:
    """A sliding window of recent questions per key, on an injectable monotonic clock."""

    def __init__(
        self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a cooldown needs a positive limit and window")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._recent: dict[Hashable, deque[float]] = {}

    def acquire(self, key: Hashable) -> None:
        """Count one question for `key`, or raise TooSoon saying how long to wait."""
        now = self._clock()
        recent = self._recent.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.limit:
            raise TooSoon(recent[0] + self.window - now)
        recent.append(now)
        if len(self._recent) > PRUNE_AT:
            self._prune(now)

    def _prune(self, now: float) -> None:
        """Forget keys with nothing inside the window."""
        for key in [k for k, q in self._recent.items() if not q or q[-1] <= now - self.window]:
            del self._recent[key]
