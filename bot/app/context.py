"""Everything the cogs share, created once at start-up and handed to each cog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

from bot.articles.announcements import AnnouncementService
from bot.articles.routing import CategoryRoutes
from bot.articles.store import ArticleStore
from bot.config import Settings
from bot.database import Database
from bot.feeds.registry import FeedRegistry
from bot.guild_settings import GuildSettingsService
from bot.models import utcnow


@dataclass(frozen=True, slots=True)
class AppContext:
    """Settings, the database, the one HTTP session and the domain services."""

    settings: Settings
    database: Database
    http: aiohttp.ClientSession
    guild_settings: GuildSettingsService
    articles: ArticleStore
    announcements: AnnouncementService
    feeds: FeedRegistry
    routes: CategoryRoutes
    started_at: datetime = field(default_factory=utcnow)

    @classmethod
    def build(
        cls, settings: Settings, database: Database, http: aiohttp.ClientSession
    ) -> AppContext:
        """Wire the domain services onto the shared resources."""
        return cls(
            settings=settings,
            database=database,
            http=http,
            guild_settings=GuildSettingsService(database),
            articles=ArticleStore(database),
            announcements=AnnouncementService(database),
            feeds=FeedRegistry(database),
            routes=CategoryRoutes(database),
        )
