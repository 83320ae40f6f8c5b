"""Articles: editors announce stories by URL; announcements get a thread and stay up to date."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import require_editor
from bot.app.context import AppContext
from bot.articles.announcements import AnnouncementStatus
from bot.articles.pages import fetch_article_page
from bot.articles.sites import SiteAllowlist
from bot.articles.urls import canonicalize_url
from bot.errors import NotConfigured
from bot.feeds.poller import FeedPoller
from bot.guild_settings import Feature
from bot.models import utcnow
from bot.waiting import wait_for_wakeup
from cogs.articles._operations import (
    FEED_POLLING_JOB,
    FeedPollingMetrics,
    register_health,
    unregister_health,
)
from cogs.articles._publisher import CrosspostQueue, Publisher
from cogs.articles._render import announcement_embed
from cogs.articles._views import preview_view

log = logging.getLogger(__name__)

# On PostgreSQL another process may add a feed; the owner looks for due feeds at least this often.
SHARED_DATABASE_MAX_SLEEP = 30.0


def jump_url(guild_id: int, channel_id: int, message_id: int | None) -> str:
    """Link to a message (or to the channel when the message is unknown)."""
    base = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return f"{base}/{message_id}" if message_id else base


class ArticlesCog(commands.Cog, name="Articles"):
    """/announce, and the machinery that posts articles."""

    def __init__(
        self,
        bot: commands.Bot,
        context: AppContext,
        publisher: Publisher,
        crossposts: CrosspostQueue,
        poller: FeedPoller,
    ) -> None:
        self.bot = bot
        self.context = context
        self.publisher = publisher
        self.crossposts = crossposts
        self.poller = poller
        self._wake = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None
        self.cycles_completed = 0
        self._cycle_finished = asyncio.Condition()
        self.lease = context.leases.lease(FEED_POLLING_JOB) if context.leases else None
        self.feed_metrics = FeedPollingMetrics(context)

    async def cog_load(self) -> None:
        """Start the crosspost worker and the feed poller."""
        self.crossposts.start()
        self._polling = asyncio.create_task(self._poll_forever(), name="newsroom-feeds")
        register_health(self.context, lambda: self._polling, self.crossposts)

    async def cog_unload(self) -> None:
        """Stop both; queued work stays in the database for the next start."""
        if self._polling is not None:
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
        await self.crossposts.stop()
        unregister_health(self.context)
        if self.lease is not None:
            await self.lease.release()

    def wake_poller(self) -> None:
        """Make the poller look for due feeds now (after /feed add or resume)."""
        self._wake.set()

    async def _poll_forever(self) -> None:
        """Run polling cycles until unloaded, sleeping until the next feed is due."""
        await self.bot.wait_until_ready()
        acquisitions = 0
        while True:
            self._wake.clear()  # a wake during the cycle below makes the next one start at once
            interval = self.poller.interval.total_seconds()
            if self.context.database.backend == "postgresql":
                interval = min(interval, SHARED_DATABASE_MAX_SLEEP)
            try:
                if self.lease is not None and not await self.lease.ensure():
                    # A standby: another process polls; try to take over every retry_seconds.
                    await wait_for_wakeup(self._wake, self.lease.retry_seconds)
                    continue
                if self.lease is not None and self.lease.acquisitions != acquisitions:
                    acquisitions = self.lease.acquisitions
                    await self.publisher.resume_pending()  # what a dead owner left half-posted
                await self.follow_site_feed()
                self.feed_metrics.record(await self.poller.run_cycle())
                next_due = await self.context.feeds.next_due_at()
            except Exception:  # the loop must outlive one bad cycle; logged with its traceback
                log.exception("A feed polling cycle failed; trying again later")
                next_due = None
            async with self._cycle_finished:
                self.cycles_completed += 1
                self._cycle_finished.notify_all()
            delay = interval if next_due is None else (next_due - utcnow()).total_seconds()
            await wait_for_wakeup(self._wake, min(max(delay, 1.0), interval))

    async def wait_for_cycles(self, count: int) -> None:
        """Wait until `count` polling cycles have finished since start."""
        async with self._cycle_finished:
            await self._cycle_finished.wait_for(lambda: self.cycles_completed >= count)

    async def follow_site_feed(self) -> None:
        """Follow SITE_URL's feed in each configured guild that has an announcement channel."""
        site_url = self.context.settings.site_url
        if not site_url:
            return
        feed_url = f"{site_url}/feed/"
        for guild_id in self.context.settings.guild_ids:
            # No cache check: with several processes the guild may be on another one's shard.
            if feed_url in await self.context.feeds.urls(guild_id):
                continue
            config = await self.context.guild_settings.get(guild_id)
            if config.announcement_channel_id is None or not config.enabled(Feature.ARTICLES):
                continue
            await self.context.feeds.add(guild_id, feed_url, config.announcement_channel_id)
            log.info("Following the site's feed %s in guild %s", feed_url, guild_id)

    async def allowlist(self, guild_id: int) -> SiteAllowlist:
        """Return the sites the bot may fetch articles from for this guild."""
        feed_urls = await self.context.feeds.urls(guild_id)
        return SiteAllowlist.from_urls([self.context.settings.site_url, *feed_urls])

    @app_commands.command(name="announce", description="Preview and post an article from the site")
    @app_commands.describe(url="The article's address on the news site")
    @app_commands.guild_only()
    async def announce(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        """Fetch and extract the article, then show an editors-only preview to publish."""
        await require_editor(interaction, self.context.guild_settings)
        assert interaction.guild_id is not None
        allowlist = await self.allowlist(interaction.guild_id)
        allowlist.check(url)
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings = self.context.settings
        extracted = await fetch_article_page(
            self.context.http,
            url,
            allowlist,
            timeout_seconds=settings.fetch_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
        )
        keys = [f"url:{canonicalize_url(extracted.canonical_url or url)}"]
        saved = await self.context.articles.save(extracted, keys)
        article = saved.article
        found = (
            f"Found {len(article.key_facts)} key facts, {len(article.outlook)} outlook paragraphs "
            f"and {len(article.reader_questions)} reader questions."
        )
        await interaction.followup.send(
            f"Preview: only you can see this. {found} Publish it?",
            embed=announcement_embed(article),
            view=preview_view(article.id),
            ephemeral=True,
        )

    async def publish_from_preview(self, interaction: discord.Interaction, article_id: int) -> None:
        """Post a previewed article in the guild's announcement channel."""
        config = await require_editor(interaction, self.context.guild_settings)
        guild = interaction.guild
        assert guild is not None
        channel = (
            guild.get_channel(config.announcement_channel_id)
            if config.announcement_channel_id
            else None
        )
        if not isinstance(channel, discord.TextChannel):
            raise NotConfigured(
                "There is no announcement channel yet: an admin can set one with "
                "/setup announcements."
            )
        await interaction.response.defer()
        article = await self.context.articles.get(article_id)
        record = await self.publisher.publish(article, channel, manual=True)
        link = jump_url(guild.id, channel.id, record.message_id)
        if record.status is AnnouncementStatus.RETRACTED:
            text = f"That article was withdrawn in {channel.mention}; it was not posted again."
        else:
            text = f"Published in {channel.mention}: {link}"
        await interaction.edit_original_response(content=text, embed=None, view=None)
        log.info(
            "Article %s published by %s in channel %s", article.id, interaction.user.id, channel.id
        )

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Finish announcements and crossposts a restart interrupted, once channels are known."""
        await self.publisher.resume_pending()
        for record in await self.context.announcements.awaiting_crosspost():
            channel = self.bot.get_channel(record.channel_id)
            if isinstance(channel, discord.TextChannel) and channel.is_news():
                self.crossposts.add(record)
