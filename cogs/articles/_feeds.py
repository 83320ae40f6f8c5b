"""/feed: editors choose which site feeds are posted where, and see how they are doing."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import discord
from discord import app_commands

from bot.app.checks import ANNOUNCE_PERMISSIONS, editors_only, postable_channel
from bot.app.context import AppContext
from bot.articles.routing import CategoryRoutes
from bot.errors import InvalidInput
from bot.feeds.registry import FeedRecord, FeedRegistry
from cogs.articles._render import shorten

log = logging.getLogger(__name__)


def check_feed_url(url: str, site_url: str | None) -> str:
    """Accept an http(s) feed URL; refuse private addresses unless they are the site's own."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("Give the feed's full address, like https://news.example/feed/.")
    if parts.username or parts.password:
        raise InvalidInput("Feed addresses with a user name or password aren't accepted.")
    site_host = urlsplit(site_url).hostname if site_url else None
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        address = None
    private = parts.hostname == "localhost" or (address is not None and not address.is_global)
    if private and parts.hostname != site_host:
        raise InvalidInput("That address is on a private network; I only follow public feeds.")
    return url


def status_line(feed: FeedRecord) -> str:
    """Describe a feed's state in one line with Discord timestamps."""

    def when(moment: object) -> str:
        return discord.utils.format_dt(moment, "R") if moment else "never"  # type: ignore[arg-type]

    if feed.paused:
        state = f"⏸ paused: {shorten(feed.paused_reason or 'by an editor', 200)}"
    else:
        state = f"next fetch {when(feed.next_fetch_at)}"
    line = f"last success {when(feed.last_success_at)} · {state}"
    if feed.last_error:
        line += f"\nlast error {when(feed.last_error_at)}: {shorten(feed.last_error, 200)}"
    return line


class FeedCommands(app_commands.Group):
    """The /feed group, editors only."""

    def __init__(
        self,
        context: AppContext,
        routes: CategoryRoutes,
        feeds: FeedRegistry,
        wake: Callable[[], None],
    ) -> None:
        super().__init__(name="feed", description="Follow the site's feeds", guild_only=True)
        self.context = context
        self.routes = routes
        self.feeds = feeds
        self.wake = wake

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let only editors use /feed."""
        return await editors_only(interaction, self.context.guild_settings)

    @app_commands.command(name="add", description="Post new articles from a feed in a channel")
    @app_commands.describe(
        url="The feed's address (RSS or Atom), like https://news.example/feed/",
        channel="Where new articles are announced",
        ping_role="A role to ping for each new article (nobody is pinged otherwise)",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000],
        channel: app_commands.AppCommandChannel,
        ping_role: discord.Role | None = None,
    ) -> None:
        """Follow a feed."""
        assert interaction.guild_id is not None
        url = check_feed_url(url, self.context.settings.site_url)
        target = postable_channel(interaction, channel, ANNOUNCE_PERMISSIONS)
        if ping_role is not None and ping_role.is_default():
            raise InvalidInput("Pinging @everyone for every article isn't allowed; pick a role.")
        feed = await self.feeds.add(
            interaction.guild_id,
            url,
            target.id,
            ping_role_id=ping_role.id if ping_role else None,
            added_by=interaction.user.id,
        )
        self.wake()
        ping = f", pinging {ping_role.mention}" if ping_role else ""
        await interaction.response.send_message(
            f"Following feed #{feed.id} in {target.mention}{ping}. Its newest article will be "
            "posted shortly; after that, only new ones.",
            ephemeral=True,
        )
        log.info("Guild %s follows feed %s (%s)", interaction.guild_id, feed.id, url)

    @app_commands.command(name="list", description="Show the feeds this server follows")
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        """List feeds with their status."""
        assert interaction.guild_id is not None
        feeds = await self.feeds.list(interaction.guild_id)
        routes = await self.routes.all(interaction.guild_id)
        embed = discord.Embed(title="Feeds", colour=discord.Colour.blurple())
        if not feeds:
            embed.description = "None yet: add one with /feed add."
        for feed in feeds[:25]:
            embed.add_field(
                name=shorten(f"#{feed.id} {feed.url}", 256),
                value=shorten(f"→ <#{feed.channel_id}> · {status_line(feed)}", 1024),
                inline=False,
            )
        if routes:
            embed.set_footer(
                text=shorten("Routes: " + ", ".join(f"{c} → #{i}" for c, i in routes.items()), 2048)
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="remove", description="Stop following a feed")
    @app_commands.describe(feed="The feed's number in /feed list")
    async def remove(self, interaction: discord.Interaction, feed: int) -> None:
        """Unfollow a feed."""
        assert interaction.guild_id is not None
        removed = await self.feeds.remove(interaction.guild_id, feed)
        await interaction.response.send_message(
            f"Stopped following feed #{removed.id} ({removed.url}). Posts already made stay.",
            ephemeral=True,
        )

    @app_commands.command(name="pause", description="Stop fetching a feed for now")
    @app_commands.describe(feed="The feed's number in /feed list")
    async def pause(self, interaction: discord.Interaction, feed: int) -> None:
        """Pause a feed."""
        assert interaction.guild_id is not None
        paused = await self.feeds.set_paused(
            interaction.guild_id, feed, True, f"paused by {interaction.user.display_name}"
        )
        await interaction.response.send_message(
            f"Feed #{paused.id} is paused. /feed resume starts it again.", ephemeral=True
        )

    @app_commands.command(name="resume", description="Start fetching a paused feed again")
    @app_commands.describe(feed="The feed's number in /feed list")
    async def resume(self, interaction: discord.Interaction, feed: int) -> None:
        """Resume a feed."""
        assert interaction.guild_id is not None
        resumed = await self.feeds.set_paused(interaction.guild_id, feed, False)
        self.wake()
        await interaction.response.send_message(
            f"Feed #{resumed.id} is running again; it will be fetched shortly.", ephemeral=True
        )

    @app_commands.command(name="route", description="Send one category's articles to a channel")
    @app_commands.describe(category="The site's category, e.g. Politics", channel="Where they go")
    async def route(
        self,
        interaction: discord.Interaction,
        category: app_commands.Range[str, 1, 200],
        channel: app_commands.AppCommandChannel,
    ) -> None:
        """Route a category."""
        assert interaction.guild_id is not None
        target = postable_channel(interaction, channel, ANNOUNCE_PERMISSIONS)
        await self.routes.set(interaction.guild_id, category, target.id)
        await interaction.response.send_message(
            f"Articles in {discord.utils.escape_markdown(category)} will go to {target.mention}.",
            ephemeral=True,
        )

    @app_commands.command(name="unroute", description="Stop routing a category")
    @app_commands.describe(category="The category to stop routing")
    async def unroute(
        self, interaction: discord.Interaction, category: app_commands.Range[str, 1, 200]
    ) -> None:
        """Remove a category route."""
        assert interaction.guild_id is not None
        await self.routes.remove(interaction.guild_id, category)
        await interaction.response.send_message(
            "Done: that category goes to its feed's channel again.", ephemeral=True
        )

    @remove.autocomplete("feed")
    @pause.autocomplete("feed")
    @resume.autocomplete("feed")
    async def _feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer the guild's feeds matching what the editor typed."""
        if interaction.guild_id is None:
            return []
        feeds = await self.feeds.list(interaction.guild_id)
        return [
            app_commands.Choice(name=shorten(f"#{feed.id} {feed.url}", 100), value=feed.id)
            for feed in feeds
            if current.lower() in f"#{feed.id} {feed.url}".lower()
        ][:25]
