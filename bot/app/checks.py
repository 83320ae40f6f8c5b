"""Checks made by the bot itself, whatever Discord's command permissions say."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.app.tree import permission_names
from bot.database import DATABASE_ERRORS
from bot.errors import InvalidInput, NewsroomError, NotPermitted
from bot.guild_settings import GuildConfig, GuildSettingsService

log = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "I can't reach my database right now; please try again in a minute."

ANNOUNCE_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "embed_links",
    "create_public_threads",
    "send_messages_in_threads",
)
LOG_PERMISSIONS = ("view_channel", "send_messages", "embed_links")


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
    except DATABASE_ERRORS as exc:  # a check's other errors would leave the member unanswered
        log.warning("Could not check editor rights (database unavailable): %s", exc)
        raise app_commands.CheckFailure(DATABASE_UNAVAILABLE) from exc
    return True


def require_bot_permissions(
    channel: discord.abc.GuildChannel, me: discord.Member, needed: tuple[str, ...]
) -> None:
    """Raise InvalidInput naming what the bot lacks in `channel`."""
    permissions = channel.permissions_for(me)
    missing = [name for name in needed if not getattr(permissions, name)]
    if missing:
        raise InvalidInput(
            f"I can't work in {channel.mention}: I'm missing {permission_names(missing)} there. "
            "Give my role those permissions in that channel, then run this again."
        )


def postable_channel(
    interaction: discord.Interaction,
    channel: app_commands.AppCommandChannel,
    needed: tuple[str, ...],
) -> discord.TextChannel:
    """Find the cached channel behind a command option and check that I can post there."""
    guild = interaction.guild
    assert guild is not None
    target = guild.get_channel(channel.id)
    if not isinstance(target, discord.TextChannel):
        raise InvalidInput("Pick a text or announcement channel.")
    require_bot_permissions(target, guild.me, needed)
    return target
