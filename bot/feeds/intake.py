"""Turn a feed's items into stored articles and queued announcements, without floods."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.articles.announcements import AnnouncementService, AnnouncementStatus
from bot.articles.extracted import ExtractedArticle
from bot.articles.routing import CategoryRoutes, normalize_category
from bot.articles.store import ArticleStore, StoredArticle
from bot.feeds.registry import FeedRecord

log = logging.getLogger(__name__)

OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class IncomingItem:
    """One item of a feed: the article it describes and every key it is known by."""

    keys: tuple[str, ...]
    article: ExtractedArticle


@dataclass(frozen=True, slots=True)
class IntakeReport:
    """What one intake did."""

    queued: int
    skipped: int
    changed: tuple[StoredArticle, ...]


class FeedIntake:
    """Store a feed's items and queue announcements for what is new to the feed's channels."""

    def __init__(
        self, articles: ArticleStore, announcements: AnnouncementService, routes: CategoryRoutes
    ) -> None:
        self._articles = articles
        self._announcements = announcements
        self._routes = routes

    async def take(
        self, feed: FeedRecord, items: Sequence[IncomingItem], *, first_fetch_items: int
    ) -> IntakeReport:
        """Store every item; queue the new ones (on a first fetch, only the newest few)."""
        ordered = sorted(items, key=lambda item: item.article.published_at or OLDEST)
        fresh_from = len(ordered) - first_fetch_items if not feed.primed else 0
        queued = skipped = 0
        changed: list[StoredArticle] = []
        routes = await self._routes.all(feed.guild_id)
        for position, item in enumerate(ordered):
            result = await self._articles.save(item.article, item.keys)
            category = normalize_category(result.article.category or "")
            channel_id = routes.get(category, feed.channel_id)
            status = (
                AnnouncementStatus.QUEUED if position >= fresh_from else AnnouncementStatus.SKIPPED
            )
            added = await self._announcements.add_from_feed(
                result.article.id, feed.guild_id, channel_id, feed_id=feed.id, status=status
            )
            if added is not None:
                queued += status is AnnouncementStatus.QUEUED
                skipped += status is AnnouncementStatus.SKIPPED
            if result.changed and not result.created:
                changed.append(result.article)
        log.info(
            "Feed %s: %d items, %d queued, %d skipped as old, %d changed",
            feed.id,
            len(ordered),
            queued,
            skipped,
            len(changed),
        )
        return IntakeReport(queued=queued, skipped=skipped, changed=tuple(changed))
