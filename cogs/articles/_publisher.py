"""Post articles to Discord exactly once: embed, link button, thread, crosspost, edits."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

import discord

from bot.articles.announcements import (
    AnnouncementRecord,
    AnnouncementService,
    AnnouncementStatus,
)
from bot.articles.crosspost import SlidingBudget
from bot.articles.store import ArticleStore, StoredArticle
from bot.waiting import wait_for_wakeup
from cogs.articles._render import (
    announcement_embed,
    read_on_site_view,
    retracted_embed,
    thread_name,
)

log = logging.getLogger(__name__)

THREAD_ALREADY_EXISTS = 160004
THREAD_ARCHIVE_MINUTES = 10080


def ids(article_id: int, guild_id: int, channel_id: int) -> dict[str, int]:
    """Return the ids a JSON log line carries for an announcement."""
    return {"article_id": article_id, "guild_id": guild_id, "channel_id": channel_id}


def ping_mentions(role_id: int | None) -> discord.AllowedMentions:
    """Allow a ping of the feed's role only: never @everyone, @here, users or other roles."""
    roles: list[discord.abc.Snowflake] | bool = [discord.Object(role_id)] if role_id else False
    return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


async def text_channel(client: discord.Client, channel_id: int) -> discord.TextChannel | None:
    """Find a text channel in the cache or, when another process's shard has it, over REST."""
    channel = client.get_channel(channel_id)
    if channel is None:
        try:
            channel = await client.fetch_channel(channel_id)
        except discord.HTTPException as exc:  # gone, hidden, or Discord failing: try later
            log.warning("Cannot look up channel %s: %s", channel_id, exc.text or exc.status)
            return None
    return channel if isinstance(channel, discord.TextChannel) else None


Postable = discord.TextChannel | discord.Thread | discord.PartialMessageable


def messageable(client: discord.Client, channel_id: int, guild_id: int | None) -> Postable:
    """Return a handle to send to or edit in a channel, cached or not (REST needs only the id)."""
    channel = client.get_channel(channel_id)
    if isinstance(channel, discord.TextChannel | discord.Thread):
        return channel
    return client.get_partial_messageable(channel_id, guild_id=guild_id)


class CrosspostQueue:
    """Publish announcements to following servers, paced to each channel's hourly budget."""

    def __init__(self, client: discord.Client, announcements: AnnouncementService) -> None:
        self._client = client
        self._announcements = announcements
        self._budget = SlidingBudget()
        self._queue: deque[AnnouncementRecord] = deque()
        self._queued_ids: set[int] = set()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the background worker."""
        self._task = asyncio.create_task(self._run(), name="newsroom-crossposts")

    async def stop(self) -> None:
        """Stop the worker; what is still queued is picked up from the database next start."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def task(self) -> asyncio.Task[None] | None:
        """Return the background worker's task (for health checks)."""
        return self._task

    def __len__(self) -> int:
        """Return how many announcements wait to be crossposted by this process."""
        return len(self._queue)

    def add(self, record: AnnouncementRecord) -> None:
        """Queue an announcement for crossposting (once, however often it is asked)."""
        if record.id in self._queued_ids:
            return
        self._queued_ids.add(record.id)
        self._queue.append(record)
        self._wakeup.set()

    async def _run(self) -> None:
        """Crosspost queued announcements as budgets allow."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            record = self._queue[0]
            wait = self._budget.wait_time(record.channel_id, loop.time())
            if wait > 0:
                log.info(
                    "Crosspost budget of channel %s spent; next in %.0f s", record.channel_id, wait
                )
                self._wakeup.clear()
                await wait_for_wakeup(self._wakeup, wait)
                continue
            self._queue.popleft()
            self._queued_ids.discard(record.id)
            if (await self._announcements.get(record.id)).crossposted:
                continue
            self._budget.spend(record.channel_id, loop.time())
            await self._crosspost(record)

    async def _crosspost(self, record: AnnouncementRecord) -> None:
        """Publish one message to following servers, logging (not raising) failures."""
        if record.message_id is None:
            return
        channel = messageable(self._client, record.channel_id, record.guild_id)
        try:
            await channel.get_partial_message(record.message_id).publish()
        except discord.HTTPException as exc:
            log.warning("Could not crosspost announcement %s: %s", record.id, exc.text)
            return
        await self._announcements.record_crosspost(record.id)


class Publisher:
    """Announce stored articles in channels, editing rather than reposting."""

    def __init__(
        self,
        client: discord.Client,
        articles: ArticleStore,
        announcements: AnnouncementService,
        crossposts: CrosspostQueue,
    ) -> None:
        self._client = client
        self._articles = articles
        self._announcements = announcements
        self._crossposts = crossposts

    async def publish(
        self,
        article: StoredArticle,
        channel: discord.TextChannel,
        *,
        ping_role_id: int | None = None,
        feed_id: int | None = None,
        manual: bool = False,
    ) -> AnnouncementRecord:
        """Post the article in `channel` unless it is there already; update it if it changed.

        A `manual` publish (an editor's) also posts an article its feed skipped as old.
        """
        record = await self._announcements.claim(
            article.id, channel.guild.id, channel.id, feed_id=feed_id
        )
        if record.status is AnnouncementStatus.POSTED:
            if record.posted_hash != article.content_hash:
                record = await self.refresh(record, article)
            return record
        if record.status is AnnouncementStatus.RETRACTED or (
            record.status is AnnouncementStatus.SKIPPED and not manual
        ):
            return record
        if record.status in (AnnouncementStatus.QUEUED, AnnouncementStatus.SKIPPED):
            record = await self._announcements.start_posting(record.id)
        message = await channel.send(
            content=f"<@&{ping_role_id}>" if ping_role_id else None,
            embed=announcement_embed(article),
            view=read_on_site_view(article),
            nonce=record.nonce,
            allowed_mentions=ping_mentions(ping_role_id),
        )
        record = await self._announcements.record_posted(
            record.id, message_id=message.id, posted_hash=article.content_hash
        )
        log.info(
            "Announced article %s in channel %s",
            article.id,
            channel.id,
            extra=ids(article.id, record.guild_id, channel.id),
        )
        record = await self._open_thread(record, message, article)
        if channel.is_news() and not record.crossposted:
            self._crossposts.add(record)
        # Other cogs (poll suggestions, ...) listen with `on_article_announced(article, record)`.
        self._client.dispatch("article_announced", article, record)
        return record

    async def _open_thread(
        self, record: AnnouncementRecord, message: discord.Message, article: StoredArticle
    ) -> AnnouncementRecord:
        """Open the public discussion thread on the announcement (once)."""
        try:
            thread = await message.create_thread(
                name=thread_name(article.title), auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
            thread_id = thread.id
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_EXISTS:
                log.warning("Could not open a thread on announcement %s: %s", record.id, exc.text)
                return record
            thread_id = message.id  # a thread started from a message shares its id
        return await self._announcements.record_thread(record.id, thread_id)

    async def refresh(
        self, record: AnnouncementRecord, article: StoredArticle
    ) -> AnnouncementRecord:
        """Edit a posted announcement to show the article as it is now."""
        message = self._partial_message(record)
        if message is None:
            return record
        embed = (
            retracted_embed(article)
            if record.status is AnnouncementStatus.RETRACTED
            else announcement_embed(article)
        )
        await message.edit(embed=embed, view=read_on_site_view(article))
        log.info(
            "Updated announcement %s of article %s",
            record.id,
            article.id,
            extra=ids(article.id, record.guild_id, record.channel_id),
        )
        return await self._announcements.record_edit(record.id, article.content_hash)

    async def retract(self, record: AnnouncementRecord) -> AnnouncementRecord:
        """Withdraw an announcement: mark it and edit the message to say so."""
        record = await self._announcements.retract(record.id)
        article = await self._articles.get(record.article_id)
        message = self._partial_message(record)
        if message is not None:
            await message.edit(content=None, embed=retracted_embed(article), view=None)
        return record

    async def resume_pending(self) -> None:
        """Finish announcements a crash interrupted (the nonce stops a second post)."""
        for record in await self._announcements.pending():
            channel = await text_channel(self._client, record.channel_id)
            if channel is None:
                continue
            article = await self._articles.get(record.article_id)
            try:
                await self.publish(article, channel, feed_id=record.feed_id)
            except discord.HTTPException as exc:
                log.warning("Could not finish announcement %s: %s", record.id, exc.text)

    def _partial_message(self, record: AnnouncementRecord) -> discord.PartialMessage | None:
        """Return the announcement's message handle, if its channel is known."""
        if record.message_id is None:
            return None
        channel = messageable(self._client, record.channel_id, record.guild_id)
        return channel.get_partial_message(record.message_id)
