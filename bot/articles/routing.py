"""Category-to-channel routing: a guild can send, say, Politics stories to #politics."""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.database import Database, insert_ignoring_conflicts
from bot.errors import InvalidInput, NotFound
from bot.models import CategoryRoute

MAX_CATEGORY = 200


def normalize_category(category: str) -> str:
    """Compare categories without regard to case or spacing."""
    return " ".join(category.split()).casefold()


class CategoryRoutes:
    """Store and look up per-guild category routes."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def set(self, guild_id: int, category: str, channel_id: int) -> None:
        """Route a category to a channel, replacing an earlier route."""
        key = normalize_category(category)
        if not key or len(key) > MAX_CATEGORY:
            raise InvalidInput(f"Give a category name of 1 to {MAX_CATEGORY} characters.")
        async with self._database.sessions.begin() as session:
            await session.execute(
                delete(CategoryRoute).where(
                    CategoryRoute.guild_id == guild_id, CategoryRoute.category == key
                )
            )
            await session.execute(
                insert_ignoring_conflicts(self._database, CategoryRoute.__table__).values(
                    guild_id=guild_id, category=key, channel_id=channel_id
                )
            )

    async def remove(self, guild_id: int, category: str) -> None:
        """Stop routing a category."""
        async with self._database.sessions.begin() as session:
            result = await session.execute(
                delete(CategoryRoute).where(
                    CategoryRoute.guild_id == guild_id,
                    CategoryRoute.category == normalize_category(category),
                )
            )
            if result.rowcount == 0:
                raise NotFound(f"No route is set for the category {category!r}.")

    async def all(self, guild_id: int) -> dict[str, int]:
        """Return the guild's routes, category to channel id."""
        async with self._database.reads() as session:
            rows = await session.execute(
                select(CategoryRoute.category, CategoryRoute.channel_id)
                .where(CategoryRoute.guild_id == guild_id)
                .order_by(CategoryRoute.category)
            )
            return {row.category: row.channel_id for row in rows}

    async def channel_for(self, guild_id: int, category: str | None) -> int | None:
        """Return the channel a category is routed to, if any."""
        if not category:
            return None
        return (await self.all(guild_id)).get(normalize_category(category))
