"""An extension with a command that hits a bug, to show how unexpected errors are answered."""

import discord
from discord import app_commands
from discord.ext import commands


class FailingCog(commands.Cog):
    """Commands that fail in the ways real code can."""

    @app_commands.command(name="explode", description="Fail with an unexpected error")
    async def explode(self, interaction: discord.Interaction) -> None:
        """Hit a bug."""
        raise ZeroDivisionError("a bug in a command")

    @app_commands.command(name="explode-late", description="Fail after deferring")
    async def explode_late(self, interaction: discord.Interaction) -> None:
        """Hit a bug after acknowledging the interaction."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise KeyError("a bug after deferring")


async def setup(bot: commands.Bot) -> None:
    """Load the failing cog."""
    await bot.add_cog(FailingCog())
