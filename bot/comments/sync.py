"""Back from the site: new approved comments on announced articles, for their threads."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.comments.records import CommentPolicy, CommentRecord, CommentStatus, Origin
from bot.comments.store import ArticleRef, CommentStore, RemoteComment
from bot.database import Database, insert_ignoring_conflicts
from bot.models import (
    Announcement,
    Article,
    ArticleKey,
    BridgedComment,
    CommentSyncCursor,
    CommentTarget,
)

log = logging.getLogger(__name__)

OVERLAP = timedelta(seconds=1)  # WordPress's `after` is strict and to the second


@dataclass(frozen=True, slots=True)
class SyncTarget:
    """One announced article whose thread receives the site's comments."""

    announcement_id: int
    guild_id: int
    article_id: int
    thread_id: int
    after: datetime | None


@dataclass(frozen=True, slots=True)
class Incoming:
    """A site comment to show in a thread, with the message it answers (if known)."""

    comment: RemoteComment
    reply_to_message_id: int | None


class SiteSync:
    """Find what is new on the site and remember what was shown."""

    def __init__(self, database: Database, store: CommentStore, policy: CommentPolicy) -> None:
        self._database = database
        self._store = store
        self._policy = policy
        self.page_size = 100  # WordPress's largest page

    async def targets(self, guild_id: int) -> list[SyncTarget]:
        """List the guild's posted announcements that have a discussion thread."""
        async with self._database.reads() as session:
            rows = await session.execute(
                select(Announcement, CommentSyncCursor.after)
                .outerjoin(CommentSyncCursor, CommentSyncCursor.announcement_id == Announcement.id)
                .where(
                    Announcement.guild_id == guild_id,
                    Announcement.status == "posted",
                    Announcement.thread_id.is_not(None),
                )
                .order_by(Announcement.id)
            )
            return [
                SyncTarget(
                    announcement.id,
                    announcement.guild_id,
                    announcement.article_id,
                    announcement.thread_id,
                    after if after is not None else announcement.posted_at,
                )
                for announcement, after in rows
            ]

    async def _post_ref(self, article_id: int) -> str:
        """Return (resolving once) the site's reference of an article."""
        async with self._database.reads() as session:
            target = await session.get(CommentTarget, article_id)
            if target is not None:
                return target.post_ref
            article = await session.get(Article, article_id)
            assert article is not None
            keys = tuple(
                await session.scalars(
                    select(ArticleKey.key).where(ArticleKey.article_id == article_id)
                )
            )
        post_ref = await self._store.resolve_post(
            ArticleRef(article_id, article.url, article.canonical_url, keys)
        )
        async with self._database.sessions.begin() as session:
            await session.execute(
                insert_ignoring_conflicts(self._database, CommentTarget.__table__).values(
                    article_id=article_id, post_ref=post_ref
                )
            )
        return post_ref

    async def new_comments(self, target: SyncTarget) -> list[Incoming]:
        """Fetch approved comments newer than the cursor that did not come from Discord."""
        post_ref = await self._post_ref(target.article_id)
        after = target.after - OVERLAP if target.after is not None else None
        found = await self._store.list_approved(post_ref, after=after, page_size=self.page_size)
        bridged_suffix = "@" + self._policy.email_domain
        async with self._database.reads() as session:
            known = {
                remote_id: message_id
                for remote_id, message_id in await session.execute(
                    select(BridgedComment.remote_id, BridgedComment.message_id).where(
                        BridgedComment.guild_id == target.guild_id,
                        BridgedComment.article_id == target.article_id,
                        BridgedComment.remote_id.is_not(None),
                    )
                )
            }
        incoming = []
        for comment in found:
            if comment.id in known:
                continue
            if (comment.author_email or "").lower().endswith(bridged_suffix):
                continue  # ours, from before its delivery was recorded: never echo it
            reply_to = known.get(comment.parent_id) if comment.parent_id else None
            incoming.append(Incoming(comment, reply_to))
        return incoming

    async def record_shown(
        self, target: SyncTarget, comment: RemoteComment, message_id: int | None
    ) -> CommentRecord:
        """Remember a site comment shown in the thread and move the cursor past it."""
        async with self._database.sessions.begin() as session:
            row = BridgedComment(
                guild_id=target.guild_id,
                article_id=target.article_id,
                thread_id=target.thread_id,
                message_id=message_id,
                author_id=None,
                origin=Origin.SITE,
                author_name=comment.author_name,
                content_html=comment.content_html,
                remote_id=comment.id,
                status=CommentStatus.PUBLISHED,
            )
            session.add(row)
            cursor = await session.get(CommentSyncCursor, target.announcement_id)
            if cursor is None:
                session.add(
                    CommentSyncCursor(announcement_id=target.announcement_id, after=comment.date)
                )
            elif comment.date is not None and (cursor.after is None or comment.date > cursor.after):
                cursor.after = comment.date
            await session.flush()
            return CommentRecord.from_row(row)
