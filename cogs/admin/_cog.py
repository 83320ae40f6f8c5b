"""Slash commands for server admins to point Newsroom at channels and roles."""

from __future__ import annotations

import logging
import math
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.app.checks import ANNOUNCE_PERMISSIONS, LOG_PERMISSIONS, postable_channel
from bot.app.client import NewsroomBot
from bot.errors import InvalidInput
from bot.guild_settings import Feature, GuildConfig, GuildSettingsService, Setting
from bot.models import utcnow

log = logging.getLogger(__name__)


def format_uptime(since: datetime, now: datetime) -> str:
    """Say how long ago `since` was, to the minute."""
    minutes = int((now - since).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if days or hours:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return " ".join(parts)


def render_config(config: GuildConfig) -> discord.Embed:
    """Show a guild's settings as an embed."""

    def mention(value: int | None, kind: str) -> str:
        if value is None:
            return "not set"
        return f"<@&{value}>" if kind == "role" else f"<#{value}>"

    embed = discord.Embed(title="Newsroom set-up", colour=discord.Colour.blurple())
    embed.add_field(name="Announcements", value=mention(config.announcement_channel_id, "channel"))
    embed.add_field(name="Editors role", value=mention(config.editors_role_id, "role"))
    embed.add_field(name="Log channel", value=mention(config.log_channel_id, "channel"))
    features = "\n".join(
        f"{'on ' if config.enabled(feature) else 'off'} · {feature.value}" for feature in Feature
    )
    embed.add_field(name="Features", value=features, inline=False)
    return embed


FEATURE_CHOICES = [
    app_commands.Choice(name=feature.value, value=feature.value) for feature in Feature
]
SETTING_CHOICES = [
    app_commands.Choice(name="announcement channel", value=Setting.ANNOUNCEMENT_CHANNEL.value),
    app_commands.Choice(name="editors role", value=Setting.EDITORS_ROLE.value),
    app_commands.Choice(name="log channel", value=Setting.LOG_CHANNEL.value),
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SetupCog(commands.GroupCog, group_name="setup", group_description="Set up Newsroom"):
    """Manage Server only: choose where Newsroom posts and who its editors are."""

    def __init__(self, guild_settings: GuildSettingsService) -> None:
        self.guild_settings = guild_settings
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Check Manage Server on our side too: default permissions can be overridden."""
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    async def _confirm(
        self, interaction: discord.Interaction, config: GuildConfig, done: str
    ) -> None:
        """Confirm a change privately, show the resulting set-up and log who changed it."""
        await interaction.response.send_message(done, embed=render_config(config), ephemeral=True)
        log.info(
            "Guild %s set-up changed by %s: %s", interaction.guild_id, interaction.user.id, done
        )

    @app_commands.command(name="show", description="Show Newsroom's set-up for this server")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show the current settings."""
        assert interaction.guild_id is not None
        config = await self.guild_settings.get(interaction.guild_id)
        await interaction.response.send_message(embed=render_config(config), ephemeral=True)

    @app_commands.command(name="announcements", description="Choose where articles are posted")
    @app_commands.describe(channel="A text or announcement channel I can post and thread in")
    async def announcements(
        self,
        interaction: discord.Interaction,
        channel: app_commands.AppCommandChannel,
    ) -> None:
        """Set the announcement channel."""
        target = postable_channel(interaction, channel, ANNOUNCE_PERMISSIONS)
        config = await self.guild_settings.set(
            target.guild.id, Setting.ANNOUNCEMENT_CHANNEL, target.id
        )
        await self._confirm(interaction, config, f"Articles will be announced in {target.mention}.")

    @app_commands.command(name="log", description="Choose where editors get Newsroom's notices")
    @app_commands.describe(channel="A text channel that only editors can read is best")
    async def log_channel(
        self,
        interaction: discord.Interaction,
        channel: app_commands.AppCommandChannel,
    ) -> None:
        """Set the editors' log channel."""
        target = postable_channel(interaction, channel, LOG_PERMISSIONS)
        config = await self.guild_settings.set(target.guild.id, Setting.LOG_CHANNEL, target.id)
        await self._confirm(interaction, config, f"Editors' notices will go to {target.mention}.")

    @app_commands.command(name="editors", description="Choose the role whose members are editors")
    @app_commands.describe(role="Members with this role can announce articles and open polls")
    async def editors(self, interaction: discord.Interaction, role: discord.Role) -> None:
        """Set the editors role."""
        if role.is_default():
            raise InvalidInput("@everyone can't be the editors role: pick a role for your team.")
        if role.managed:
            raise InvalidInput(f"{role.mention} belongs to an integration; pick a team role.")
        config = await self.guild_settings.set(role.guild.id, Setting.EDITORS_ROLE, role.id)
        await self._confirm(interaction, config, f"Members with {role.mention} are now editors.")

    @app_commands.command(name="feature", description="Switch a Newsroom feature on or off")
    @app_commands.describe(feature="Which feature", enabled="On or off")
    @app_commands.choices(feature=FEATURE_CHOICES)
    async def feature(
        self, interaction: discord.Interaction, feature: app_commands.Choice[str], enabled: bool
    ) -> None:
        """Switch a feature on or off."""
        assert interaction.guild_id is not None
        chosen = Feature(feature.value)
        config = await self.guild_settings.set_feature(interaction.guild_id, chosen, enabled)
        state = "on" if enabled else "off"
        await self._confirm(interaction, config, f"The {chosen.value} feature is now {state}.")

    @app_commands.command(name="clear", description="Unset a channel or role setting")
    @app_commands.describe(setting="Which setting to unset")
    @app_commands.choices(setting=SETTING_CHOICES)
    async def clear(
        self, interaction: discord.Interaction, setting: app_commands.Choice[str]
    ) -> None:
        """Unset one setting."""
        assert interaction.guild_id is not None
        config = await self.guild_settings.set(interaction.guild_id, Setting(setting.value), None)
        await self._confirm(interaction, config, f"The {setting.name} is no longer set.")


class AboutCog(commands.Cog):
    """/about: what is running and how healthy it is."""

    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="about", description="Show Newsroom's version and health")
    async def about(self, interaction: discord.Interaction) -> None:
        """Show version, uptime, database backend and gateway latency."""
        context = self.bot.context
        latency = self.bot.latency
        latency_text = (
            "measuring…"
            if math.isnan(latency) or math.isinf(latency)
            else f"{latency * 1000:.0f} ms"
        )
        embed = discord.Embed(title="Newsroom", colour=discord.Colour.blurple())
        embed.add_field(name="Version", value=__version__)
        embed.add_field(name="Uptime", value=format_uptime(context.started_at, utcnow()))
        embed.add_field(name="Database", value=context.database.backend)
        embed.add_field(name="Gateway latency", value=latency_text)
        embed.add_field(name="Shards", value=str(self.bot.shard_count or 1))
        await interaction.response.send_message(embed=embed, ephemeral=True)
