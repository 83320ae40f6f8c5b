"""`newsroom feeds poll --once`: one cycle that stores articles and leaves posting to the bot."""

from bot.articles.announcements import AnnouncementService
from bot.config import load_settings
from bot.database import Database
from bot.feeds.oneshot import describe, poll_once
from bot.feeds.registry import FeedRegistry
from tests.site.wordpress import WordPressSite


async def test_one_cycle_stores_and_queues_for_the_bot(database: Database) -> None:
    site = await WordPressSite().start()
    try:
        site.add_post("First")
        site.add_post("Second")
        feed = await FeedRegistry(database).add(1, f"{site.url}/feed/", 100)
        settings = load_settings(None, SITE_IS_WORDPRESS="false")
        report = await poll_once(settings, database)
    finally:
        await site.close()
    assert describe(report) == (
        "Fetched 1 feed(s), 0 unchanged, 0 failed; 1 article(s) queued for the bot."
    )
    [queued] = await AnnouncementService(database).queued(feed.id, limit=5)
    assert queued.channel_id == 100
