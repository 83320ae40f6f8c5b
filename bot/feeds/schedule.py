"""When to fetch a feed next: a steady interval, and a doubling back-off while it fails."""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_INTERVAL = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)
DEFAULT_PAUSE_THRESHOLD = 8
_MAX_DOUBLINGS = 32  # 2**32 intervals is far past any cap; stops the power from overflowing


def next_fetch_at(now: datetime, *, interval: timedelta = DEFAULT_INTERVAL) -> datetime:
    """Return when a healthy feed is fetched next."""
    if interval <= timedelta(0):
        raise ValueError("the fetch interval must be positive")
    return now + interval


def backoff_delay(
    consecutive_failures: int,
    *,
    interval: timedelta = DEFAULT_INTERVAL,
    cap: timedelta = MAX_BACKOFF,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> timedelta:
    """Return how long to wait after `consecutive_failures` failures in a row.

    The wait is `interval * 2**failures`, at most `cap`, stretched by `jitter` (a fraction,
    0 ≤ jitter < 1, drawn by the caller so feeds failing together spread out), and never
    shorter than the site's Retry-After (itself held to `cap`).
    """
    if consecutive_failures < 0:
        raise ValueError("consecutive_failures cannot be negative")
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be a fraction in [0, 1)")
    if consecutive_failures == 0:
        delay = interval
    else:
        delay = min(interval * 2 ** min(consecutive_failures, _MAX_DOUBLINGS), cap)
    delay += delay * jitter
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), cap))
    return delay


def next_fetch_after_failure(
    now: datetime,
    consecutive_failures: int,
    *,
    interval: timedelta = DEFAULT_INTERVAL,
    cap: timedelta = MAX_BACKOFF,
    retry_after: float | None = None,
    jitter: float = 0.0,
) -> datetime:
    """Return when a failing feed is tried again."""
    return now + backoff_delay(
        consecutive_failures, interval=interval, cap=cap, retry_after=retry_after, jitter=jitter
    )


def should_pause(consecutive_failures: int, threshold: int = DEFAULT_PAUSE_THRESHOLD) -> bool:
    """Tell whether a feed has failed often enough in a row to be paused (threshold ≥ 1)."""
    if threshold < 1:
        raise ValueError("the pause threshold must be at least 1")
    return consecutive_failures >= threshold
