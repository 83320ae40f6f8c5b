"""Checks made by the bot itself, whatever Discord's command permissions say."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.errors import NewsroomError, NotPermitted
from bot.guild_settings import GuildConfig, GuildSettingsService


async def require_editor(
    interaction: discord.Interaction, guild_settings: GuildSettingsService
) -> GuildConfig:
    """Return the guild's settings if the member is an editor, else raise NotPermitted."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        raise NotPermitted("This only works inside a server.")
    config = await guild_settings.get(interaction.guild_id)
    role_ids = {role.id for role in interaction.user.roles}
    if not config.is_editor(
        role_ids=role_ids, can_manage_guild=interaction.permissions.manage_guild
    ):
        raise NotPermitted(
            "Only editors can do that. Server admins choose the editors role with /setup editors."
        )
    return config


async def editors_only(
    interaction: discord.Interaction, guild_settings: GuildSettingsService
) -> bool:
    """Use require_editor as a command check (checks must raise AppCommandError subclasses)."""
    try:
        await require_editor(interaction, guild_settings)
    except NewsroomError as exc:
        raise app_commands.CheckFailure(str(exc)) from exc
    return True
