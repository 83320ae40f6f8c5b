"""SQLAlchemy models; import them all here so Alembic sees the whole schema."""

from bot.models.articles import (
    Announcement,
    Article,
    ArticleKey,
    CategoryRoute,
    Feed,
    KeyFact,
    OutlookItem,
    ReaderQuestion,
)
from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.guild import GuildSettings

__all__ = [
    "Announcement",
    "Article",
    "ArticleKey",
    "Base",
    "CategoryRoute",
    "Feed",
    "GuildSettings",
    "KeyFact",
    "OutlookItem",
    "ReaderQuestion",
    "UTCDateTime",
    "utcnow",
]
