"""Keep crossposts inside Discord's budget of about 10 per hour per announcement channel."""

from __future__ import annotations

from collections import defaultdict, deque

CROSSPOSTS_PER_HOUR = 10
HOUR = 3600.0


class SlidingBudget:
    """At most `limit` uses per `window` seconds, tracked separately for each key."""

    def __init__(self, limit: int = CROSSPOSTS_PER_HOUR, window: float = HOUR) -> None:
        self.limit = limit
        self.window = window
        self._uses: defaultdict[int, deque[float]] = defaultdict(deque)

    def wait_time(self, key: int, now: float) -> float:
        """Return how many seconds until `key` may be used again (0 when it may now)."""
        uses = self._uses[key]
        while uses and uses[0] <= now - self.window:
            uses.popleft()
        if len(uses) < self.limit:
            return 0.0
        return uses[0] + self.window - now

    def spend(self, key: int, now: float) -> None:
        """Record one use of `key` at `now`."""
        self._uses[key].append(now)
