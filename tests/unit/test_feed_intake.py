"""Feed intake on both backends: no old floods, nothing twice, changes noticed."""

from datetime import UTC, datetime, timedelta

from bot.articles.announcements import AnnouncementService, AnnouncementStatus
from bot.articles.extracted import ExtractedArticle, KeyFact
from bot.articles.routing import CategoryRoutes
from bot.articles.store import ArticleStore
from bot.database import Database
from bot.feeds.intake import FeedIntake, IncomingItem
from bot.feeds.registry import FeedRegistry

START = datetime(2026, 11, 1, tzinfo=UTC)


def item(n: int, *, guid: str | None = None, title: str | None = None) -> IncomingItem:
    """Make the n-th article of a feed, published n hours after START."""
    article = ExtractedArticle(
        title=title or f"Story {n}",
        url=f"https://news.example/story-{n}/",
        canonical_url=f"https://news.example/story-{n}/",
        author=None,
        published_at=START + timedelta(hours=n),
        image_url=None,
        summary=f"Summary {n}",
        category="Politics" if n == 4 else "World",
        site_name="Example",
        key_facts=(KeyFact("Fact", f"Fact of story {n}."),),
        outlook=(),
        reader_questions=(),
        body_text="",
    )
    keys = (f"guid:{guid or f'g{n}'}", f"url:https://news.example/story-{n}")
    return IncomingItem(keys=keys, article=article)


async def test_first_fetch_queues_only_the_newest_then_only_new_items(database: Database) -> None:
    feeds = FeedRegistry(database)
    announcements = AnnouncementService(database)
    routes = CategoryRoutes(database)
    intake = FeedIntake(ArticleStore(database), announcements, routes)
    feed = await feeds.add(1, "https://news.example/feed/", 100)
    await routes.set(1, "politics", 200)

    first = await intake.take(feed, [item(3), item(1), item(2)], first_fetch_items=1)
    assert (first.queued, first.skipped) == (1, 2)
    [queued] = await announcements.queued(feed.id, limit=10)
    assert (await ArticleStore(database).get(queued.article_id)).title == "Story 3"

    feed = await feeds.record_success(
        feed.id, next_fetch_at=START, etag=None, last_modified=None, wordpress_api_url=None
    )
    again = await intake.take(
        feed,
        [item(1, guid="new-guid-1"), item(2), item(3), item(4), item(5)],
        first_fetch_items=1,
    )
    assert (again.queued, again.skipped) == (2, 0), "changed guids are not new articles"
    queued_now = await announcements.queued(feed.id, limit=10)
    channels = [record.channel_id for record in queued_now]
    assert channels == [100, 200, 100], "oldest first; Politics is routed to its channel"
    assert await announcements.count_queued(feed.id) == 3

    edited = await intake.take(feed, [item(2, title="Story 2, updated")], first_fetch_items=1)
    assert [article.title for article in edited.changed] == ["Story 2, updated"]
    assert edited.queued == 0


async def test_first_fetch_can_post_nothing_old(database: Database) -> None:
    feed = await FeedRegistry(database).add(1, "https://news.example/feed/", 100)
    announcements = AnnouncementService(database)
    intake = FeedIntake(ArticleStore(database), announcements, CategoryRoutes(database))
    report = await intake.take(feed, [item(1), item(2)], first_fetch_items=0)
    assert (report.queued, report.skipped) == (0, 2)
    records = await announcements.of_article(1)
    assert [record.status for record in records] == [AnnouncementStatus.SKIPPED]
