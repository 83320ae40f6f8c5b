"""Everything the cogs share, created once at start-up and handed to each cog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

from bot.articles.announcements import AnnouncementService
from bot.articles.routing import CategoryRoutes
from bot.articles.store import ArticleStore
from bot.comments.setup import Comments, build_comments
from bot.config import Settings
from bot.coordination import Leases
from bot.database import Database
from bot.feeds.registry import FeedRegistry
from bot.guild_settings import GuildSettingsService
from bot.models import utcnow
from bot.operations.health import HealthChecks
from bot.operations.metrics import Metrics
from bot.polls.service import PollService
from bot.questions.service import QuestionService
from bot.questions.setup import build_questions


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
    polls: PollService
    questions: QuestionService
    comments: Comments
    started_at: datetime = field(default_factory=utcnow)
    leases: Leases | None = None  # named one-owner-at-a-time jobs (bot/coordination.py)
    metrics: Metrics = field(default_factory=Metrics)  # add your counters: see bot/operations
    health: HealthChecks = field(default_factory=HealthChecks)  # /healthz checks of workers

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
            polls=PollService(database),
            questions=build_questions(settings, database, http),
            comments=build_comments(settings, database, http),
            leases=Leases(database, retry_seconds=settings.lease_retry_seconds),
        )
