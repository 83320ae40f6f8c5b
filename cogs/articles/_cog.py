"""Articles: editors announce stories by URL; announcements get a thread and stay up to date."""

from __future__ import annotations

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
from cogs.articles._publisher import CrosspostQueue, Publisher
from cogs.articles._render import announcement_embed
from cogs.articles._views import preview_view

log = logging.getLogger(__name__)


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
    ) -> None:
        self.bot = bot
        self.context = context
        self.publisher = publisher
        self.crossposts = crossposts

    async def cog_load(self) -> None:
        """Start the crosspost worker."""
        self.crossposts.start()

    async def cog_unload(self) -> None:
        """Stop the crosspost worker; unfinished crossposts are resumed from the database."""
        await self.crossposts.stop()

    def allowlist(self, guild_id: int) -> SiteAllowlist:
        """Return the sites the bot may fetch articles from for this guild."""
        return SiteAllowlist.from_urls([self.context.settings.site_url])

    @app_commands.command(name="announce", description="Preview and post an article from the site")
    @app_commands.describe(url="The article's address on the news site")
    @app_commands.guild_only()
    async def announce(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        """Fetch and extract the article, then show an editors-only preview to publish."""
        await require_editor(interaction, self.context.guild_settings)
        assert interaction.guild_id is not None
        allowlist = self.allowlist(interaction.guild_id)
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
