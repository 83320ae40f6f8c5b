"""The command tree: the one place where command errors become replies and log lines."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.errors import NewsroomError
from bot.logs import bind_log_context

log = logging.getLogger(__name__)

PERMISSION_NAMES = {
    "manage_guild": "Manage Server",
    "manage_messages": "Manage Messages",
    "manage_threads": "Manage Threads",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "create_public_threads": "Create Public Threads",
    "view_channel": "View Channel",
    "read_message_history": "Read Message History",
    "add_reactions": "Add Reactions",
    "attach_files": "Attach Files",
}


def permission_names(permissions: list[str]) -> str:
    """Spell permission attribute names the way Discord's UI does."""
    return ", ".join(
        PERMISSION_NAMES.get(name, name.replace("_", " ").title()) for name in permissions
    )


def describe_error(error: BaseException) -> str | None:
    """Return the reply for an error a user can cause, or None for a bug on our side."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, NewsroomError):
        return str(original)
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {permission_names(error.missing_permissions)} permission for this."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = permission_names(error.missing_permissions)
        return f"I'm missing the {missing} permission here; ask a server admin to grant it."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand {error.value!r} as the value you gave."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use this command here."
    if isinstance(original, discord.Forbidden):
        return "Discord refused me permission to do that; check my role's permissions here."
    return None


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Reply privately, whether or not the interaction was already answered."""
    allowed = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=allowed)
        else:
            await interaction.response.send_message(
                content, ephemeral=True, allowed_mentions=allowed
            )
    except discord.HTTPException as exc:
        log.warning(
            "Could not send an error reply for interaction %s: %s", interaction.id, exc.text
        )


class NewsroomTree(app_commands.CommandTree):
    """A command tree that answers every failed command with a short private message."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Tag this command's log lines with its guild, channel, user and command."""
        command = interaction.command.qualified_name if interaction.command else None
        bind_log_context(
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_id=interaction.user.id,
            command=command,
        )
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Answer a failed slash command."""
        command = interaction.command.qualified_name if interaction.command else "?"
        await self.report(interaction, error, where=f"/{command}")

    async def report(
        self, interaction: discord.Interaction, error: BaseException, *, where: str
    ) -> None:
        """Map expected errors to replies; log unexpected ones once with an id to quote."""
        message = describe_error(error)
        if message is None:
            error_id = uuid.uuid4().hex[:8]
            original = getattr(error, "original", error)
            log.error(
                "%s failed (error id %s, guild %s, user %s)",
                where,
                error_id,
                interaction.guild_id,
                interaction.user.id,
                exc_info=original,
            )
            message = (
                "Something went wrong on my side. If it keeps happening, "
                f"tell the server's admins and quote error `{error_id}`."
            )
        await send_ephemeral(interaction, message)


class NewsroomView(discord.ui.View):
    """A view whose errors are answered by the command tree's one error handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        """Send the error through the tree's handler."""
        await report_component_error(interaction, error, item)


async def report_component_error(
    interaction: discord.Interaction, error: BaseException, item: object
) -> None:
    """Answer a failed button, select or modal through the tree's handler."""
    tree = interaction.client.tree  # type: ignore[attr-defined]
    custom_id = getattr(item, "custom_id", None) or type(item).__name__
    if isinstance(tree, NewsroomTree):
        await tree.report(interaction, error, where=f"component {custom_id}")
    else:
        log.error("Component %s failed", custom_id, exc_info=error)


ComponentCallback = Callable[[Any, discord.Interaction], Awaitable[None]]


def answers_errors(callback: ComponentCallback) -> ComponentCallback:
    """Route a dynamic item's errors to the tree's handler (discord.py only logs them)."""

    @functools.wraps(callback)
    async def wrapper(item: Any, interaction: discord.Interaction) -> None:
        try:
            await callback(item, interaction)
        except Exception as exc:  # noqa: BLE001 - reported to the member and logged by report()
            await report_component_error(interaction, exc, item)

    return wrapper
