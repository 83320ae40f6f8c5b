"""SQLAlchemy models; import them all here so Alembic sees the whole schema."""

from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.guild import GuildSettings

__all__ = ["Base", "GuildSettings", "UTCDateTime", "utcnow"]
