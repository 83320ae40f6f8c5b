"""One polling cycle: fetch due feeds, take their items in, post what is queued, back off."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.articles.announcements import AnnouncementRecord, AnnouncementService
from bot.articles.store import StoredArticle
from bot.config import Settings
from bot.feeds.intake import FeedIntake, IncomingItem
from bot.feeds.registry import FeedRecord, FeedRegistry
from bot.models import utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
SOON = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class SourceResult:
    """A successful fetch: the items (None when the feed answered 304) and cache validators."""

    items: Sequence[IncomingItem] | None
    etag: str | None = None
    last_modified: str | None = None
    wordpress_api_url: str | None = None


class SourceError(Exception):
    """A fetch failed; `reason` is short and readable, `retry_after` the site's wish."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class ItemSource(Protocol):
    """Where a feed's items come from (the site's feed, or its WordPress REST API)."""

    async def fetch(self, feed: FeedRecord) -> SourceResult:
        """Fetch the feed's items, conditionally."""
        ...


class Announcer(Protocol):
    """The Discord side: posts announcements and tells editors what went wrong."""

    async def post(self, record: AnnouncementRecord, feed: FeedRecord) -> bool:
        """Post one queued announcement; False when it must wait for a later cycle."""
        ...

    async def refresh(self, article: StoredArticle) -> None:
        """Update the posted announcements of an article that changed on the site."""
        ...

    async def tell_editors(self, guild_id: int, text: str) -> None:
        """Send a notice to the guild's log channel."""
        ...


def backoff_delay(
    interval: timedelta, failures: int, retry_after: float | None, jitter: float
) -> timedelta:
    """Return the wait after `failures` failures in a row: doubling, capped, with jitter."""
    delay = min(interval * (2 ** max(failures - 1, 0)), MAX_BACKOFF)
    delay = delay * (1 + jitter)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, MAX_BACKOFF.total_seconds())))
    return delay


@dataclass
class CycleReport:
    """What one cycle did, for logs, the CLI and tests."""

    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    posted: int = 0
    deferred: int = 0
    paused: list[int] = field(default_factory=list)


class FeedPoller:
    """Run polling cycles over every due feed."""

    def __init__(
        self,
        settings: Settings,
        registry: FeedRegistry,
        intake: FeedIntake,
        announcements: AnnouncementService,
        source: ItemSource,
        announcer: Announcer,
        *,
        clock: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = lambda: random.uniform(0, 0.1),
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._intake = intake
        self._announcements = announcements
        self._source = source
        self._announcer = announcer
        self._clock = clock
        self._jitter = jitter
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def interval(self) -> timedelta:
        """Return the normal time between two fetches of a feed."""
        return timedelta(seconds=self._settings.feed_interval_seconds)

    async def run_cycle(self) -> CycleReport:
        """Poll every due feed once."""
        report = CycleReport()
        for feed in await self._registry.due(self._clock()):
            await self.poll(feed, report)
        return report

    async def poll(self, feed: FeedRecord, report: CycleReport) -> None:
        """Fetch one feed, take its items in, and post up to the per-cycle cap."""
        async with self._locks[feed.id]:
            await self._poll(await self._registry.get(feed.id), report)

    async def _poll(self, feed: FeedRecord, report: CycleReport) -> None:
        """Poll a feed while holding its lock (with its state re-read under the lock)."""
        if feed.paused:
            return
        try:
            result = await self._source.fetch(feed)
        except SourceError as exc:
            await self._failed(feed, exc, report)
            return
        if result.items is None:
            report.not_modified += 1
        else:
            report.fetched += 1
            intake = await self._intake.take(
                feed, result.items, first_fetch_items=self._settings.feed_first_fetch_items
            )
            for article in intake.changed:
                await self._announcer.refresh(article)
        posted, waiting = await self._post_queued(feed)
        report.posted += posted
        report.deferred += waiting
        next_fetch = self._clock() + (SOON if waiting else self.interval)
        await self._registry.record_success(
            feed.id,
            next_fetch_at=next_fetch,
            etag=result.etag if result.items is not None else feed.etag,
            last_modified=result.last_modified if result.items is not None else feed.last_modified,
            wordpress_api_url=result.wordpress_api_url or feed.wordpress_api_url,
        )

    async def _post_queued(self, feed: FeedRecord) -> tuple[int, int]:
        """Post the feed's oldest queued announcements, up to the cap; return (posted, left)."""
        cap = self._settings.feed_max_posts_per_cycle
        posted = 0
        for record in await self._announcements.queued(feed.id, limit=cap):
            if not await self._announcer.post(record, feed):
                break
            posted += 1
        return posted, await self._announcements.count_queued(feed.id)

    async def _failed(self, feed: FeedRecord, error: SourceError, report: CycleReport) -> None:
        """Record a failure, back off, and pause the feed (telling editors) after too many."""
        report.failed += 1
        failures = feed.consecutive_failures + 1
        pause = failures >= self._settings.feed_failures_before_pause
        delay = backoff_delay(self.interval, failures, error.retry_after, self._jitter())
        log.warning(
            "Feed %s (%s) failed %d time(s) in a row: %s; next try in %s",
            feed.id,
            feed.url,
            failures,
            error.reason,
            delay,
        )
        await self._registry.record_failure(
            feed.id, error=error.reason, next_fetch_at=self._clock() + delay, pause=pause
        )
        if pause:
            report.paused.append(feed.id)
            await self._announcer.tell_editors(
                feed.guild_id,
                f"Feed #{feed.id} ({feed.url}) failed {failures} times in a row and is paused. "
                f"Last error: {error.reason}. Fix it, then run /feed resume {feed.id}.",
            )
