"""Which article was posted where: one announcement per article and channel, never two."""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.database import Database
from bot.errors import InvalidInput, NotFound
from bot.models import Announcement, utcnow
from bot.models.base import snapshot

log = logging.getLogger(__name__)


class AnnouncementStatus(enum.StrEnum):
    """Where an announcement is in its life."""

    QUEUED = "queued"  # found in a feed, waiting for its turn within the per-cycle cap
    SKIPPED = "skipped"  # old when its feed was added: deliberately never posted
    PENDING = "pending"  # being posted; the nonce makes a retry after a crash safe
    POSTED = "posted"
    RETRACTED = "retracted"


@dataclass(frozen=True, slots=True)
class AnnouncementRecord:
    """A snapshot of one announcement."""

    id: int
    article_id: int
    guild_id: int
    channel_id: int
    feed_id: int | None
    nonce: str
    message_id: int | None
    thread_id: int | None
    status: AnnouncementStatus
    posted_hash: str | None
    crossposted: bool
    posted_at: datetime | None

    @classmethod
    def from_row(cls, row: Announcement) -> AnnouncementRecord:
        """Snapshot a row."""
        return snapshot(cls, row, status=AnnouncementStatus(row.status))


def new_nonce() -> str:
    """Make the Discord nonce (at most 25 characters) that keeps a retried post from doubling."""
    return secrets.token_hex(12)


class AnnouncementService:
    """Claim, record and retract announcements."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def claim(
        self,
        article_id: int,
        guild_id: int,
        channel_id: int,
        *,
        feed_id: int | None = None,
        status: AnnouncementStatus = AnnouncementStatus.PENDING,
    ) -> AnnouncementRecord:
        """Return the article's announcement in the channel, creating it with `status` if new."""
        existing = await self._find(article_id, channel_id)
        if existing is not None:
            return existing
        try:
            async with self._database.sessions.begin() as session:
                row = Announcement(
                    article_id=article_id,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    feed_id=feed_id,
                    nonce=new_nonce(),
                    status=status,
                )
                session.add(row)
                await session.flush()
                return AnnouncementRecord.from_row(row)
        except IntegrityError:
            log.info(
                "Announcement of article %s in %s claimed concurrently", article_id, channel_id
            )
            found = await self._find(article_id, channel_id)
            assert found is not None
            return found

    async def add_from_feed(
        self,
        article_id: int,
        guild_id: int,
        channel_id: int,
        *,
        feed_id: int,
        status: AnnouncementStatus,
    ) -> AnnouncementRecord | None:
        """Queue (or skip) an article a feed found; None when it already has an announcement."""
        if await self._find(article_id, channel_id) is not None:
            return None
        record = await self.claim(article_id, guild_id, channel_id, feed_id=feed_id, status=status)
        return record if record.feed_id == feed_id and record.status is status else None

    async def _find(self, article_id: int, channel_id: int) -> AnnouncementRecord | None:
        """Return the announcement of an article in a channel, if any."""
        async with self._database.reads() as session:
            row = (
                await session.execute(
                    select(Announcement).where(
                        Announcement.article_id == article_id,
                        Announcement.channel_id == channel_id,
                    )
                )
            ).scalar_one_or_none()
            return None if row is None else AnnouncementRecord.from_row(row)

    async def start_posting(self, announcement_id: int) -> AnnouncementRecord:
        """Mark a queued announcement as being posted."""
        return await self._update(announcement_id, status=AnnouncementStatus.PENDING)

    async def queued(self, feed_id: int, *, limit: int) -> list[AnnouncementRecord]:
        """Return a feed's queued announcements, oldest first."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(Announcement)
                .where(
                    Announcement.feed_id == feed_id,
                    Announcement.status == AnnouncementStatus.QUEUED,
                )
                .order_by(Announcement.id)
                .limit(limit)
            )
            return [AnnouncementRecord.from_row(row) for row in rows]

    async def count_queued(self, feed_id: int) -> int:
        """Count a feed's queued announcements."""
        async with self._database.reads() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Announcement)
                .where(
                    Announcement.feed_id == feed_id,
                    Announcement.status == AnnouncementStatus.QUEUED,
                )
            )
            return int(count or 0)

    async def count_all_queued(self) -> int:
        """Count queued announcements of every feed (a queue depth for /metrics)."""
        async with self._database.reads() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Announcement)
                .where(Announcement.status == AnnouncementStatus.QUEUED)
            )
            return int(count or 0)

    async def record_posted(
        self, announcement_id: int, *, message_id: int, posted_hash: str
    ) -> AnnouncementRecord:
        """Record the Discord message an announcement became."""
        return await self._update(
            announcement_id,
            message_id=message_id,
            posted_hash=posted_hash,
            status=AnnouncementStatus.POSTED,
            posted_at=utcnow(),
        )

    async def record_thread(self, announcement_id: int, thread_id: int) -> AnnouncementRecord:
        """Record the discussion thread opened on an announcement."""
        return await self._update(announcement_id, thread_id=thread_id)

    async def record_edit(self, announcement_id: int, posted_hash: str) -> AnnouncementRecord:
        """Record that the announcement now shows content with this hash."""
        return await self._update(announcement_id, posted_hash=posted_hash)

    async def record_crosspost(self, announcement_id: int) -> AnnouncementRecord:
        """Record that the announcement was published to following servers."""
        return await self._update(announcement_id, crossposted=True)

    async def retract(self, announcement_id: int) -> AnnouncementRecord:
        """Mark an announcement as withdrawn."""
        record = await self.get(announcement_id)
        if record.status is AnnouncementStatus.RETRACTED:
            raise InvalidInput("That announcement was already retracted.")
        return await self._update(announcement_id, status=AnnouncementStatus.RETRACTED)

    async def get(self, announcement_id: int) -> AnnouncementRecord:
        """Return an announcement, or raise NotFound."""
        async with self._database.reads() as session:
            row = await session.get(Announcement, announcement_id)
            if row is None:
                raise NotFound(f"There is no announcement #{announcement_id}.")
            return AnnouncementRecord.from_row(row)

    async def by_message_or_thread(self, discord_id: int) -> AnnouncementRecord | None:
        """Find the announcement posted as this message, or discussed in this thread."""
        async with self._database.reads() as session:
            row = (
                await session.execute(
                    select(Announcement).where(
                        (Announcement.message_id == discord_id)
                        | (Announcement.thread_id == discord_id)
                    )
                )
            ).scalar_one_or_none()
            return None if row is None else AnnouncementRecord.from_row(row)

    async def of_article(self, article_id: int) -> list[AnnouncementRecord]:
        """List every announcement of an article."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(Announcement)
                .where(Announcement.article_id == article_id)
                .order_by(Announcement.id)
            )
            return [AnnouncementRecord.from_row(row) for row in rows]

    async def pending(self) -> list[AnnouncementRecord]:
        """List announcements claimed but not confirmed posted (a crash in between)."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(Announcement)
                .where(Announcement.status == AnnouncementStatus.PENDING)
                .order_by(Announcement.id)
            )
            return [AnnouncementRecord.from_row(row) for row in rows]

    async def awaiting_crosspost(self) -> list[AnnouncementRecord]:
        """List posted announcements not yet crossposted (only news channels need it)."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(Announcement)
                .where(
                    Announcement.status == AnnouncementStatus.POSTED,
                    Announcement.crossposted.is_(False),
                    Announcement.message_id.is_not(None),
                )
                .order_by(Announcement.id)
            )
            return [AnnouncementRecord.from_row(row) for row in rows]

    async def _update(self, announcement_id: int, **values: object) -> AnnouncementRecord:
        """Apply `values` to an announcement and return the new snapshot."""
        async with self._database.sessions.begin() as session:
            await session.execute(
                update(Announcement).where(Announcement.id == announcement_id).values(**values)
            )
            row = await session.get(Announcement, announcement_id, populate_existing=True)
            if row is None:
                raise NotFound(f"There is no announcement #{announcement_id}.")
            return AnnouncementRecord.from_row(row)
