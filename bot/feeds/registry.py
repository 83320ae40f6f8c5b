"""The feeds each guild follows, and their fetch state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.database import Database
from bot.errors import InvalidInput, NotFound
from bot.models import Feed, utcnow
from bot.models.base import snapshot

MAX_FEEDS_PER_GUILD = 25


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A snapshot of one followed feed."""

    id: int
    guild_id: int
    url: str
    channel_id: int
    ping_role_id: int | None
    wordpress_api_url: str | None
    etag: str | None
    last_modified: str | None
    paused: bool
    paused_reason: str | None
    primed: bool
    consecutive_failures: int
    next_fetch_at: datetime
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None

    @classmethod
    def from_row(cls, row: Feed) -> FeedRecord:
        """Snapshot a row."""
        return snapshot(cls, row)


class FeedRegistry:
    """Add, list, pause and remove feeds, and record how their fetches went."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(
        self,
        guild_id: int,
        url: str,
        channel_id: int,
        *,
        ping_role_id: int | None = None,
        added_by: int | None = None,
    ) -> FeedRecord:
        """Follow a feed in a guild."""
        async with self._database.sessions.begin() as session:
            count = await session.scalar(
                select(func.count()).select_from(Feed).where(Feed.guild_id == guild_id)
            )
            if (count or 0) >= MAX_FEEDS_PER_GUILD:
                raise InvalidInput(f"A server can follow at most {MAX_FEEDS_PER_GUILD} feeds.")
            row = Feed(
                guild_id=guild_id,
                url=url,
                channel_id=channel_id,
                ping_role_id=ping_role_id,
                added_by=added_by,
                next_fetch_at=utcnow(),
            )
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                raise InvalidInput("This server already follows that feed.") from None
            return FeedRecord.from_row(row)

    async def list(self, guild_id: int) -> list[FeedRecord]:
        """Return a guild's feeds, oldest first."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(Feed).where(Feed.guild_id == guild_id).order_by(Feed.id)
            )
            return [FeedRecord.from_row(row) for row in rows]

    async def urls(self, guild_id: int) -> list[str]:
        """Return the URLs of a guild's feeds."""
        return [feed.url for feed in await self.list(guild_id)]

    async def get(self, feed_id: int, guild_id: int | None = None) -> FeedRecord:
        """Return a feed (of the guild, when given), or raise NotFound."""
        async with self._database.reads() as session:
            row = await session.get(Feed, feed_id)
            if row is None or (guild_id is not None and row.guild_id != guild_id):
                raise NotFound(f"This server follows no feed #{feed_id}; see /feed list.")
            return FeedRecord.from_row(row)

    async def remove(self, guild_id: int, feed_id: int) -> FeedRecord:
        """Stop following a feed; its articles and announcements stay."""
        record = await self.get(feed_id, guild_id)
        async with self._database.sessions.begin() as session:
            row = await session.get(Feed, feed_id)
            if row is not None:
                await session.delete(row)
        return record

    async def set_paused(
        self, guild_id: int, feed_id: int, paused: bool, reason: str | None = None
    ) -> FeedRecord:
        """Pause or resume a feed; resuming fetches it soon and forgets past failures."""
        await self.get(feed_id, guild_id)
        values: dict[str, object] = {"paused": paused, "paused_reason": reason if paused else None}
        if not paused:
            values.update(consecutive_failures=0, next_fetch_at=utcnow())
        return await self._update(feed_id, **values)

    async def due(self, now: datetime, *, limit: int = 50) -> list[FeedRecord]:
        """Return unpaused feeds whose next fetch time has come, most overdue first."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(Feed)
                .where(Feed.paused.is_(False), Feed.next_fetch_at <= now)
                .order_by(Feed.next_fetch_at, Feed.id)
                .limit(limit)
            )
            return [FeedRecord.from_row(row) for row in rows]

    async def next_due_at(self) -> datetime | None:
        """Return when the next unpaused feed is due, if any."""
        async with self._database.reads() as session:
            return await session.scalar(
                select(func.min(Feed.next_fetch_at)).where(Feed.paused.is_(False))
            )

    async def record_success(
        self,
        feed_id: int,
        *,
        next_fetch_at: datetime,
        etag: str | None,
        last_modified: str | None,
        wordpress_api_url: str | None,
    ) -> FeedRecord:
        """Record a fetch that worked (including a 304)."""
        return await self._update(
            feed_id,
            etag=etag,
            last_modified=last_modified,
            wordpress_api_url=wordpress_api_url,
            primed=True,
            consecutive_failures=0,
            last_success_at=utcnow(),
            next_fetch_at=next_fetch_at,
        )

    async def record_failure(
        self, feed_id: int, *, error: str, next_fetch_at: datetime, pause: bool
    ) -> FeedRecord:
        """Record a failed fetch, pausing the feed when it has failed too often."""
        async with self._database.sessions.begin() as session:
            await session.execute(
                update(Feed)
                .where(Feed.id == feed_id)
                .values(
                    consecutive_failures=Feed.consecutive_failures + 1,
                    last_error=error[:500],
                    last_error_at=utcnow(),
                    next_fetch_at=next_fetch_at,
                )
            )
            if pause:
                await session.execute(
                    update(Feed)
                    .where(Feed.id == feed_id)
                    .values(
                        paused=True, paused_reason=f"Paused after repeated failures: {error}"[:500]
                    )
                )
            row = await session.get(Feed, feed_id, populate_existing=True)
            if row is None:
                raise NotFound(f"Feed #{feed_id} was removed.")
            return FeedRecord.from_row(row)

    async def _update(self, feed_id: int, **values: object) -> FeedRecord:
        """Apply `values` to a feed and return the new snapshot."""
        async with self._database.sessions.begin() as session:
            await session.execute(update(Feed).where(Feed.id == feed_id).values(**values))
            row = await session.get(Feed, feed_id, populate_existing=True)
            if row is None:
                raise NotFound(f"Feed #{feed_id} was removed.")
            return FeedRecord.from_row(row)
