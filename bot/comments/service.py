"""Decide what goes to the site: consent, blocklist, rate limit, and the outbox write."""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.comments.records import (
    Action,
    CommentPolicy,
    CommentRecord,
    CommentStatus,
    Consent,
    Origin,
)
from bot.database import Database, insert_ignoring_conflicts
from bot.models import BridgedComment, CommentDelivery, CommentGuild, CommentMember, utcnow

log = logging.getLogger(__name__)


class BridgeResult(enum.StrEnum):
    """What happened to a message offered to the site."""

    QUEUED = "queued"
    ASK = "ask"  # first time: kept until the member answers the consent prompt
    WAITING = "waiting"  # asked before and not answered yet: kept too
    DECLINED = "declined"  # the member opted out
    EMPTY = "empty"
    TOO_LONG = "too_long"
    BLOCKED = "blocked"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class Draft:
    """A member's words offered to the site, already converted to safe HTML."""

    guild_id: int
    article_id: int
    thread_id: int | None
    message_id: int | None
    author_id: int
    display_name: str
    username: str
    content_html: str
    source_text: str
    reply_to_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class BridgeOutcome:
    """The result of offering a draft, with the comment stored (if any)."""

    result: BridgeResult
    comment: CommentRecord | None = None
    shown_name: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class MemberStatus:
    """What the bot stores about a member in one guild."""

    consent: Consent | None
    shown_name: str | None
    counts: dict[CommentStatus, int]


class CommentService:
    """Consent and bridging decisions, written to the outbox in one transaction."""

    def __init__(self, database: Database, policy: CommentPolicy) -> None:
        self._database = database
        self.policy = policy

    # Bridging -------------------------------------------------------------------------------

    async def bridge(self, draft: Draft) -> BridgeOutcome:
        """Store the draft and queue its delivery if the member consented; say what happened."""
        if not draft.content_html.strip():
            return BridgeOutcome(BridgeResult.EMPTY)
        if len(draft.source_text) > self.policy.max_length:
            return BridgeOutcome(BridgeResult.TOO_LONG, detail=str(self.policy.max_length))
        blocked = self.policy.blocked_word(draft.source_text)
        if blocked is not None:
            return BridgeOutcome(BridgeResult.BLOCKED, detail=blocked)
        async with self._database.sessions.begin() as session:
            member = await self._member(session, draft.guild_id, draft.author_id)
            if member is not None and member.consent == Consent.OUT:
                return BridgeOutcome(BridgeResult.DECLINED)
            if await self._recent_count(session, draft) >= self.policy.rate_limit:
                return BridgeOutcome(BridgeResult.RATE_LIMITED)
            shown = self.policy.shown_name(draft.display_name, draft.username)
            if member is None:
                member = CommentMember(
                    guild_id=draft.guild_id,
                    user_id=draft.author_id,
                    consent=Consent.ASKED,
                    shown_name=shown,  # the name the prompt promises
                    email_token=secrets.token_hex(8),
                    asked_at=utcnow(),
                )
                session.add(member)
                result = BridgeResult.ASK
            elif member.consent == Consent.ASKED:
                result = BridgeResult.WAITING
            else:
                result = BridgeResult.QUEUED
                shown = member.shown_name or shown
            parent_id = await self._parent_id(session, draft)
            row = BridgedComment(
                guild_id=draft.guild_id,
                article_id=draft.article_id,
                thread_id=draft.thread_id,
                message_id=draft.message_id,
                author_id=draft.author_id,
                origin=Origin.DISCORD,
                parent_id=parent_id,
                author_name=shown,
                author_email=self.policy.placeholder_email(member.email_token),
                content_html=draft.content_html,
                status=(
                    CommentStatus.PENDING
                    if result is BridgeResult.QUEUED
                    else CommentStatus.AWAITING_CONSENT
                ),
            )
            session.add(row)
            await session.flush()
            if result is BridgeResult.QUEUED:
                session.add(CommentDelivery(comment_id=row.id, action=Action.CREATE))
            return BridgeOutcome(result, CommentRecord.from_row(row), shown)

    async def _member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> CommentMember | None:
        """Load a member's consent row."""
        return await session.get(CommentMember, (guild_id, user_id))

    async def _recent_count(self, session: AsyncSession, draft: Draft) -> int:
        """Count the member's comments within the rate-limit window."""
        since = utcnow() - timedelta(seconds=self.policy.rate_window_seconds)
        count = await session.scalar(
            select(func.count())
            .select_from(BridgedComment)
            .where(
                BridgedComment.guild_id == draft.guild_id,
                BridgedComment.author_id == draft.author_id,
                BridgedComment.created_at >= since,
            )
        )
        return int(count or 0)

    async def _parent_id(self, session: AsyncSession, draft: Draft) -> int | None:
        """Find the bridged comment a Discord reply answers (same article only)."""
        if draft.reply_to_message_id is None:
            return None
        parent = (
            await session.execute(
                select(BridgedComment).where(BridgedComment.message_id == draft.reply_to_message_id)
            )
        ).scalar_one_or_none()
        if parent is None or parent.article_id != draft.article_id:
            return None
        return parent.id

    async def by_message(self, message_id: int) -> CommentRecord | None:
        """Return the comment carried by a Discord message, if any."""
        async with self._database.reads() as session:
            row = (
                await session.execute(
                    select(BridgedComment).where(BridgedComment.message_id == message_id)
                )
            ).scalar_one_or_none()
            return None if row is None else CommentRecord.from_row(row)

    async def attach_message(self, comment_id: int, message_id: int) -> None:
        """Record the Discord message that shows a comment (for /comment and the modal)."""
        async with self._database.sessions.begin() as session:
            row = await session.get(BridgedComment, comment_id)
            if row is not None:
                row.message_id = message_id

    # Edits and deletes ------------------------------------------------------------------------

    async def edit(self, message_id: int, content_html: str) -> CommentRecord | None:
        """Change a bridged comment's text; queue an update once it is on the site."""
        if not content_html.strip():
            return None
        async with self._database.sessions.begin() as session:
            row = await self._discord_row(session, message_id)
            if row is None or row.status in (
                CommentStatus.TRASHED,
                CommentStatus.FORGOTTEN,
                CommentStatus.FAILED,
            ):
                return None
            if row.content_html == content_html:
                return CommentRecord.from_row(row)
            row.content_html = content_html
            if row.status != CommentStatus.AWAITING_CONSENT and not await self._unsent_create(
                session, row.id
            ):
                await self._queue(session, row.id, Action.UPDATE)
            return CommentRecord.from_row(row)

    async def delete(self, message_id: int) -> CommentRecord | None:
        """Trash a bridged comment whose Discord message was deleted."""
        async with self._database.sessions.begin() as session:
            row = await self._discord_row(session, message_id)
            if row is None or row.status in (CommentStatus.TRASHED, CommentStatus.FORGOTTEN):
                return None
            row.message_id = None
            if row.status == CommentStatus.AWAITING_CONSENT or await self._unsent_create(
                session, row.id
            ):
                await session.execute(
                    delete(CommentDelivery).where(CommentDelivery.comment_id == row.id)
                )
                row.status = CommentStatus.TRASHED
            elif row.status == CommentStatus.FAILED and row.remote_id is None:
                row.status = CommentStatus.TRASHED
            else:
                await self._queue(session, row.id, Action.TRASH)
            return CommentRecord.from_row(row)

    async def _discord_row(self, session: AsyncSession, message_id: int) -> BridgedComment | None:
        """Load the Discord-written comment carried by a message."""
        return (
            await session.execute(
                select(BridgedComment).where(
                    BridgedComment.message_id == message_id,
                    BridgedComment.origin == Origin.DISCORD,
                )
            )
        ).scalar_one_or_none()

    async def _unsent_create(self, session: AsyncSession, comment_id: int) -> bool:
        """Tell whether the create is queued and not in flight (it sends the newest text)."""
        now = utcnow()
        found = await session.scalar(
            select(CommentDelivery.id).where(
                CommentDelivery.comment_id == comment_id,
                CommentDelivery.action == Action.CREATE,
                CommentDelivery.state == "queued",
                (CommentDelivery.lease_until.is_(None)) | (CommentDelivery.lease_until < now),
            )
        )
        return found is not None

    async def _queue(self, session: AsyncSession, comment_id: int, action: Action) -> None:
        """Add an outbox entry unless an identical one is still waiting to start."""
        now = utcnow()
        waiting = await session.scalar(
            select(CommentDelivery.id).where(
                CommentDelivery.comment_id == comment_id,
                CommentDelivery.action == action,
                CommentDelivery.state == "queued",
                (CommentDelivery.lease_until.is_(None)) | (CommentDelivery.lease_until < now),
            )
        )
        if waiting is None:
            session.add(CommentDelivery(comment_id=comment_id, action=action))

    # Consent --------------------------------------------------------------------------------

    async def status(self, guild_id: int, user_id: int) -> MemberStatus:
        """Return a member's consent and how many of their comments are in each state."""
        async with self._database.reads() as session:
            member = await self._member(session, guild_id, user_id)
            rows = await session.execute(
                select(BridgedComment.status, func.count())
                .where(BridgedComment.guild_id == guild_id, BridgedComment.author_id == user_id)
                .group_by(BridgedComment.status)
            )
            counts = {CommentStatus(status): int(count) for status, count in rows}
            return MemberStatus(
                consent=Consent(member.consent) if member is not None else None,
                shown_name=member.shown_name if member is not None else None,
                counts=counts,
            )

    async def opt_in(
        self,
        guild_id: int,
        user_id: int,
        *,
        display_name: str | None = None,
        username: str = "",
    ) -> tuple[str, list[CommentRecord]]:
        """Record consent; queue what the member wrote while asked. Return the name and those.

        Without `display_name` the name shown in the consent prompt is used.
        """
        now = utcnow()
        async with self._database.sessions.begin() as session:
            await session.execute(
                insert_ignoring_conflicts(self._database, CommentMember.__table__).values(
                    guild_id=guild_id,
                    user_id=user_id,
                    consent=Consent.ASKED,
                    email_token=secrets.token_hex(8),
                    asked_at=now,
                )
            )
            member = await session.get(CommentMember, (guild_id, user_id), populate_existing=True)
            assert member is not None
            if display_name is not None or not member.shown_name:
                member.shown_name = self.policy.shown_name(display_name or username, username)
            shown = member.shown_name
            member.consent = Consent.IN
            member.decided_at = now
            waiting = await session.scalars(
                select(BridgedComment)
                .where(
                    BridgedComment.guild_id == guild_id,
                    BridgedComment.author_id == user_id,
                    BridgedComment.status == CommentStatus.AWAITING_CONSENT,
                )
                .order_by(BridgedComment.id)
            )
            queued = []
            for row in waiting:
                row.status = CommentStatus.PENDING
                row.author_name = shown
                row.author_email = self.policy.placeholder_email(member.email_token)
                session.add(CommentDelivery(comment_id=row.id, action=Action.CREATE))
                queued.append(row)
            await session.flush()
            return shown, [CommentRecord.from_row(row) for row in queued]

    async def opt_out(self, guild_id: int, user_id: int) -> list[CommentRecord]:
        """Record that the member declines; drop what they wrote while asked (never sent)."""
        now = utcnow()
        async with self._database.sessions.begin() as session:
            await session.execute(
                insert_ignoring_conflicts(self._database, CommentMember.__table__).values(
                    guild_id=guild_id,
                    user_id=user_id,
                    consent=Consent.OUT,
                    email_token=secrets.token_hex(8),
                    asked_at=now,
                )
            )
            member = await session.get(CommentMember, (guild_id, user_id), populate_existing=True)
            assert member is not None
            member.consent = Consent.OUT
            member.decided_at = now
            waiting = list(
                await session.scalars(
                    select(BridgedComment).where(
                        BridgedComment.guild_id == guild_id,
                        BridgedComment.author_id == user_id,
                        BridgedComment.status == CommentStatus.AWAITING_CONSENT,
                    )
                )
            )
            dropped = [CommentRecord.from_row(row) for row in waiting]
            for row in waiting:
                await session.delete(row)
            return dropped

    async def forget(self, guild_id: int, user_id: int) -> list[CommentRecord]:
        """Delete what is stored about the member and queue their comments' trashing."""
        async with self._database.sessions.begin() as session:
            await session.execute(
                delete(CommentMember).where(
                    CommentMember.guild_id == guild_id, CommentMember.user_id == user_id
                )
            )
            rows = list(
                await session.scalars(
                    select(BridgedComment).where(
                        BridgedComment.guild_id == guild_id,
                        BridgedComment.author_id == user_id,
                    )
                )
            )
            touched = []
            for row in rows:
                touched.append(CommentRecord.from_row(row))
                unsent = await self._unsent_create(session, row.id)
                never_sent = row.remote_id is None and (
                    unsent or row.status != CommentStatus.PENDING
                )
                if never_sent or row.status == CommentStatus.TRASHED:
                    await session.delete(row)
                    continue
                await session.execute(
                    delete(CommentDelivery).where(
                        CommentDelivery.comment_id == row.id,
                        CommentDelivery.state == "queued",
                        CommentDelivery.action == Action.UPDATE,
                    )
                )
                row.status = CommentStatus.FORGOTTEN
                if row.remote_id is not None:  # else its create is in flight: trashed after
                    row.author_name = ""
                    row.author_email = None
                    row.content_html = ""
                    await self._queue(session, row.id, Action.TRASH)
            return touched

    # Editors ---------------------------------------------------------------------------------

    async def waiting(self, guild_id: int, *, limit: int = 20) -> list[CommentRecord]:
        """List comments held for moderation or still in the outbox, oldest first."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(BridgedComment)
                .where(
                    BridgedComment.guild_id == guild_id,
                    BridgedComment.origin == Origin.DISCORD,
                    BridgedComment.status.in_([CommentStatus.HELD, CommentStatus.PENDING]),
                )
                .order_by(BridgedComment.id)
                .limit(limit)
            )
            return [CommentRecord.from_row(row) for row in rows]

    async def held_on_site(self, *, limit: int = 50) -> list[CommentRecord]:
        """List comments from Discord held for moderation on the site, oldest first."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(BridgedComment)
                .where(
                    BridgedComment.origin == Origin.DISCORD,
                    BridgedComment.status == CommentStatus.HELD,
                    BridgedComment.remote_id.is_not(None),
                )
                .order_by(BridgedComment.id)
                .limit(limit)
            )
            return [CommentRecord.from_row(row) for row in rows]

    async def moderated(self, comment_id: int, status: CommentStatus) -> CommentRecord | None:
        """Record a held comment's new status after the site's moderators acted."""
        async with self._database.sessions.begin() as session:
            row = await session.get(BridgedComment, comment_id)
            if row is None or row.status != CommentStatus.HELD:
                return None
            row.status = status
            await session.flush()
            return CommentRecord.from_row(row)

    async def sync_enabled(self, guild_id: int) -> bool:
        """Tell whether the guild brings the site's comments into its threads."""
        async with self._database.reads() as session:
            row = await session.get(CommentGuild, guild_id)
            return bool(row and row.sync_from_site)

    async def set_sync(self, guild_id: int, enabled: bool) -> None:
        """Switch bringing the site's comments into the threads on or off."""
        async with self._database.sessions.begin() as session:
            row = await session.get(CommentGuild, guild_id)
            if row is None:
                session.add(CommentGuild(guild_id=guild_id, sync_from_site=enabled))
            else:
                row.sync_from_site = enabled

    async def guilds_syncing(self) -> list[int]:
        """List the guilds that bring the site's comments into their threads."""
        async with self._database.reads() as session:
            rows = await session.scalars(
                select(CommentGuild.guild_id).where(CommentGuild.sync_from_site.is_(True))
            )
            return list(rows)
