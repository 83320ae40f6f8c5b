"""The Discord side of feed polling: post queued announcements, update them, tell editors."""

from __future__ import annotations

import logging

import discord

from bot.articles.announcements import AnnouncementRecord, AnnouncementService, AnnouncementStatus
from bot.articles.store import ArticleStore, StoredArticle
from bot.feeds.registry import FeedRecord
from bot.guild_settings import GuildSettingsService
from cogs.articles._publisher import Publisher, ids, messageable, text_channel

log = logging.getLogger(__name__)


class DiscordAnnouncer:
    """Carry out what the feed poller decided, in Discord."""

    def __init__(
        self,
        client: discord.Client,
        articles: ArticleStore,
        announcements: AnnouncementService,
        guild_settings: GuildSettingsService,
        publisher: Publisher,
    ) -> None:
        self._client = client
        self._articles = articles
        self._announcements = announcements
        self._guild_settings = guild_settings
        self._publisher = publisher

    async def post(self, record: AnnouncementRecord, feed: FeedRecord) -> bool:
        """Post one queued announcement; False leaves it queued for a later cycle."""
        channel = await text_channel(self._client, record.channel_id)
        if channel is None:
            log.warning(
                "Feed %s: channel %s is gone or not a text channel", feed.id, record.channel_id
            )
            return False
        article = await self._articles.get(record.article_id)
        try:
            await self._publisher.publish(
                article, channel, ping_role_id=feed.ping_role_id, feed_id=feed.id
            )
        except discord.Forbidden:
            await self.tell_editors(
                feed.guild_id,
                f"I can't post feed #{feed.id}'s articles in {channel.mention}: check my "
                "permissions there (View Channel, Send Messages, Embed Links, Create Public "
                "Threads). They will be posted once I can.",
            )
            return False
        except discord.HTTPException as exc:
            log.warning(
                "Feed %s: posting article %s failed: %s",
                feed.id,
                article.id,
                exc.text,
                extra=ids(article.id, record.guild_id, record.channel_id),
            )
            return False
        return True

    async def refresh(self, article: StoredArticle) -> None:
        """Edit every posted announcement of an article that changed on the site."""
        for record in await self._announcements.of_article(article.id):
            if record.status is not AnnouncementStatus.POSTED:
                continue
            try:
                await self._publisher.refresh(record, article)
            except discord.HTTPException as exc:
                log.warning("Could not update announcement %s: %s", record.id, exc.text)

    async def tell_editors(self, guild_id: int, text: str) -> None:
        """Post a notice in the guild's log channel (or log it when there is none)."""
        config = await self._guild_settings.get(guild_id)
        if config.log_channel_id is None:
            log.warning("Guild %s has no log channel for this notice: %s", guild_id, text)
            return
        channel = messageable(self._client, config.log_channel_id, guild_id)
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.warning("Could not tell guild %s's editors (%s): %s", guild_id, exc.text, text)
