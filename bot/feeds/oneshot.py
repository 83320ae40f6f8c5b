"""`newsroom feeds poll --once`: one polling cycle from the terminal, without Discord."""

from __future__ import annotations

import logging

import aiohttp

from bot.articles.announcements import AnnouncementRecord, AnnouncementService
from bot.articles.routing import CategoryRoutes
from bot.articles.store import ArticleStore, StoredArticle
from bot.config import Settings
from bot.database import Database
from bot.feeds.intake import FeedIntake
from bot.feeds.poller import CycleReport, FeedPoller
from bot.feeds.registry import FeedRecord, FeedRegistry
from bot.feeds.source import FeedSource

log = logging.getLogger(__name__)


class QueueForTheBot:
    """Leave announcements queued: the running bot posts them on its next cycle."""

    async def post(self, record: AnnouncementRecord, feed: FeedRecord) -> bool:
        """Keep the announcement queued."""
        return False

    async def refresh(self, article: StoredArticle) -> None:
        """Leave edits to the bot, which refreshes changed articles it sees."""
        log.info("Article %s changed; the bot will update its announcements", article.id)

    async def tell_editors(self, guild_id: int, text: str) -> None:
        """Log what the editors would be told."""
        log.warning("For the editors of guild %s: %s", guild_id, text)


async def poll_once(settings: Settings, database: Database) -> CycleReport:
    """Fetch every due feed once and store what it found."""
    announcements = AnnouncementService(database)
    async with aiohttp.ClientSession() as session:
        poller = FeedPoller(
            settings,
            FeedRegistry(database),
            FeedIntake(ArticleStore(database), announcements, CategoryRoutes(database)),
            announcements,
            FeedSource(session, settings),
            QueueForTheBot(),
        )
        return await poller.run_cycle()


def describe(report: CycleReport) -> str:
    """Summarise a cycle in one line."""
    paused = f", paused feeds {', '.join(map(str, report.paused))}" if report.paused else ""
    return (
        f"Fetched {report.fetched} feed(s), {report.not_modified} unchanged, "
        f"{report.failed} failed; {report.deferred} article(s) queued for the bot{paused}."
    )
