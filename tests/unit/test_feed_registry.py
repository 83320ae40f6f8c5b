"""The feed registry on both backends."""

from datetime import timedelta

import pytest

from bot.database import Database
from bot.errors import InvalidInput, NotFound
from bot.feeds.registry import FeedRegistry
from bot.models import utcnow


async def test_feeds_are_followed_once_per_guild_and_listed(database: Database) -> None:
    feeds = FeedRegistry(database)
    first = await feeds.add(1, "https://news.example/feed/", 10, ping_role_id=5, added_by=7)
    await feeds.add(2, "https://news.example/feed/", 20)
    with pytest.raises(InvalidInput, match="already follows"):
        await feeds.add(1, "https://news.example/feed/", 11)
    assert [feed.id for feed in await feeds.list(1)] == [first.id]
    assert first.ping_role_id == 5
    assert not first.primed
    with pytest.raises(NotFound):
        await feeds.get(first.id, guild_id=2)


async def test_due_failures_pause_and_resume(database: Database) -> None:
    feeds = FeedRegistry(database)
    feed = await feeds.add(1, "https://news.example/feed/", 10)
    now = utcnow()
    assert [due.id for due in await feeds.due(now + timedelta(seconds=1))] == [feed.id]
    later = now + timedelta(minutes=10)
    failed = await feeds.record_failure(feed.id, error="timeout", next_fetch_at=later, pause=False)
    assert failed.consecutive_failures == 1
    assert await feeds.due(now + timedelta(seconds=1)) == []
    assert await feeds.next_due_at() == later
    paused = await feeds.record_failure(feed.id, error="HTTP 500", next_fetch_at=later, pause=True)
    assert paused.paused
    assert paused.paused_reason == "Paused after repeated failures: HTTP 500"
    assert await feeds.due(later + timedelta(days=1)) == []
    resumed = await feeds.set_paused(1, feed.id, False)
    assert not resumed.paused
    assert resumed.consecutive_failures == 0
    ok = await feeds.record_success(
        feed.id, next_fetch_at=later, etag='"abc"', last_modified=None, wordpress_api_url=None
    )
    assert ok.primed
    assert ok.etag == '"abc"'
    assert ok.last_success_at is not None
    removed = await feeds.remove(1, feed.id)
    assert removed.id == feed.id
    assert await feeds.list(1) == []
