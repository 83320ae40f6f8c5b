"""The polling cycle: caps, backoff, pausing with a notice, 304s, edits of changed articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.articles.announcements import AnnouncementRecord, AnnouncementService
from bot.articles.routing import CategoryRoutes
from bot.articles.store import ArticleStore, StoredArticle
from bot.config import load_settings
from bot.database import Database
from bot.feeds.intake import FeedIntake
from bot.feeds.poller import FeedPoller, SourceError, SourceResult, backoff_delay
from bot.feeds.registry import FeedRecord, FeedRegistry
from tests.unit.test_feed_intake import item


class ScriptedSource:
    """An item source that plays back results and failures in order."""

    def __init__(self, *outcomes: SourceResult | SourceError) -> None:
        self.outcomes = list(outcomes)

    async def fetch(self, feed: FeedRecord) -> SourceResult:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, SourceError):
            raise outcome
        return outcome


class RecordingAnnouncer:
    """An announcer that records what it was asked to do and marks posts as made."""

    def __init__(self, announcements: AnnouncementService) -> None:
        self.announcements = announcements
        self.posted: list[int] = []
        self.refreshed: list[str] = []
        self.notices: list[tuple[int, str]] = []

    async def post(self, record: AnnouncementRecord, feed: FeedRecord) -> bool:
        self.posted.append(record.article_id)
        await self.announcements.record_posted(
            record.id, message_id=1000 + record.id, posted_hash="posted"
        )
        return True

    async def refresh(self, article: StoredArticle) -> None:
        self.refreshed.append(article.title)

    async def tell_editors(self, guild_id: int, text: str) -> None:
        self.notices.append((guild_id, text))


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)  # feeds are registered as due at the real now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def feed(database: Database) -> FeedRecord:
    return await FeedRegistry(database).add(1, "https://news.example/feed/", 100)


def poller(
    database: Database, source: ScriptedSource, announcer: RecordingAnnouncer, clock: Clock
) -> FeedPoller:
    settings = load_settings(
        None,
        NEWSROOM_FEED_MAX_POSTS_PER_CYCLE=2,
        NEWSROOM_FEED_FAILURES_BEFORE_PAUSE=3,
        NEWSROOM_FEED_FIRST_FETCH_ITEMS=1,
    )
    announcements = AnnouncementService(database)
    intake = FeedIntake(ArticleStore(database), announcements, CategoryRoutes(database))
    return FeedPoller(
        settings,
        FeedRegistry(database),
        intake,
        announcements,
        source,
        announcer,
        clock=clock,
        jitter=lambda: 0.0,
    )


async def test_a_burst_is_posted_oldest_first_within_the_cap(
    database: Database, feed: FeedRecord
) -> None:
    burst = [item(n) for n in range(1, 6)]
    source = ScriptedSource(
        SourceResult([item(0)], etag='"v1"'),
        SourceResult(burst, etag='"v2"'),
        SourceResult(None),
        SourceResult(None),
    )
    announcer = RecordingAnnouncer(AnnouncementService(database))
    clock = Clock()
    polling = poller(database, source, announcer, clock)
    first = await polling.run_cycle()
    assert (first.fetched, first.posted) == (1, 1)
    clock.now += timedelta(minutes=10)
    second = await polling.run_cycle()
    assert (second.posted, second.deferred) == (2, 3)
    registry = FeedRegistry(database)
    state = await registry.get(feed.id)
    assert state.next_fetch_at == clock.now + timedelta(seconds=5), (
        "the rest go soon, not in 10 min"
    )
    assert state.etag == '"v2"'
    clock.now += timedelta(seconds=5)
    third = await polling.run_cycle()
    assert (third.not_modified, third.posted, third.deferred) == (1, 2, 1)
    assert (await registry.get(feed.id)).etag == '"v2"', "a 304 keeps the validators"
    titles = [(await ArticleStore(database).get(i)).title for i in announcer.posted]
    assert titles == ["Story 0", "Story 1", "Story 2", "Story 3", "Story 4"]


async def test_failures_back_off_then_pause_and_tell_the_editors(
    database: Database, feed: FeedRecord
) -> None:
    source = ScriptedSource(*(SourceError("HTTP 503", retry_after=None) for _ in range(3)))
    announcer = RecordingAnnouncer(AnnouncementService(database))
    clock = Clock()
    polling = poller(database, source, announcer, clock)
    registry = FeedRegistry(database)
    waits = []
    for _ in range(3):
        report = await polling.run_cycle()
        assert report.failed == 1
        state = await registry.get(feed.id)
        waits.append(state.next_fetch_at - clock.now)
        clock.now = state.next_fetch_at
    assert waits == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40)]
    assert state.paused
    assert report.paused == [feed.id]
    [(guild_id, notice)] = announcer.notices
    assert guild_id == 1
    assert "failed 3 times in a row and is paused" in notice
    assert "HTTP 503" in notice
    assert await polling.run_cycle() == type(report)(), "a paused feed is not fetched"


async def test_a_changed_article_is_refreshed_not_reposted(
    database: Database, feed: FeedRecord
) -> None:
    source = ScriptedSource(
        SourceResult([item(1)]), SourceResult([item(1, title="Story 1 (updated)")])
    )
    announcer = RecordingAnnouncer(AnnouncementService(database))
    clock = Clock()
    polling = poller(database, source, announcer, clock)
    await polling.run_cycle()
    clock.now += timedelta(minutes=10)
    await polling.run_cycle()
    assert len(announcer.posted) == 1
    assert announcer.refreshed == ["Story 1 (updated)"]


def test_backoff_honours_retry_after_and_caps() -> None:
    interval = timedelta(minutes=10)
    assert backoff_delay(interval, 1, None, 0.0) == interval
    assert backoff_delay(interval, 2, 3600, 0.0) == timedelta(hours=1)
    assert backoff_delay(interval, 30, None, 0.0) == timedelta(hours=6)
    assert backoff_delay(interval, 1, 10**9, 0.0) == timedelta(hours=6)
    assert backoff_delay(interval, 1, None, 0.1) == timedelta(minutes=11)
