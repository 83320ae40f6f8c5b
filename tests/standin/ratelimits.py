"""Rate limits: fixed windows per bucket and a global window, with Discord's headers and 429s."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.standin.clock import Clock

Limit = tuple[int, float]


@dataclass
class Window:
    """A fixed window: `limit` requests, counted from the first one, for `per` seconds."""

    limit: int
    per: float
    started: float = -math.inf
    count: int = 0

    def reset_after(self, now: float) -> float:
        """Return the seconds until the window resets."""
        return max(0.0, self.started + self.per - now)

    def hit(self, now: float) -> bool:
        """Count a request if the window allows it; return whether it did."""
        if now >= self.started + self.per:
            self.started, self.count = now, 0
        if self.count >= self.limit:
            return False
        self.count += 1
        return True


@dataclass
class Verdict:
    """The outcome of checking one request: headers to send, or a 429 to answer with."""

    headers: dict[str, str]
    limited: bool = False
    body: dict[str, Any] | None = None


def _seconds(value: float) -> str:
    """Format seconds as Discord does, rounded up to the millisecond."""
    return f"{math.ceil(value * 1000) / 1000:.3f}"


class RateLimiter:
    """Track the global window and the per-route buckets."""

    def __init__(
        self, clock: Clock, wall_time: Callable[[], float], *, global_limit: Limit | None
    ) -> None:
        self.clock = clock
        self.wall_time = wall_time
        self.global_limit = global_limit
        self.global_window = None if global_limit is None else Window(*global_limit)
        self.windows: dict[tuple[str, str], Window] = {}
        self.hits = 0

    def check(self, bucket: str, major: str, limit: Limit | None) -> Verdict:
        """Count a request against the global window and its bucket."""
        now = self.clock()
        if self.global_window is not None and not self.global_window.hit(now):
            retry = self.global_window.reset_after(now)
            return self._limited(retry, scope="global", headers={"X-RateLimit-Global": "true"})
        if limit is None:
            return Verdict(headers={})
        window = self.windows.get((bucket, major))
        if window is None:
            window = self.windows[(bucket, major)] = Window(*limit)
        allowed = window.hit(now)
        reset_after = window.reset_after(now)
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.limit - window.count),
            "X-RateLimit-Reset": _seconds(self.wall_time() + reset_after),
            "X-RateLimit-Reset-After": _seconds(reset_after),
            "X-RateLimit-Bucket": hashlib.sha1(bucket.encode()).hexdigest()[:16],
        }
        if allowed:
            return Verdict(headers=headers)
        headers["X-RateLimit-Remaining"] = "0"
        return self._limited(reset_after, scope="user", headers=headers)

    def _limited(self, retry_after: float, *, scope: str, headers: dict[str, str]) -> Verdict:
        """Build a 429 verdict and count it."""
        self.hits += 1
        retry = max(retry_after, 0.001)
        headers = {
            **headers,
            "Retry-After": str(math.ceil(retry)),
            "X-RateLimit-Scope": scope,
        }
        body = {
            "message": "You are being rate limited.",
            "retry_after": float(_seconds(retry)),
            "global": scope == "global",
        }
        return Verdict(headers=headers, limited=True, body=body)
