"""A bench-only extension: a button whose handler only acknowledges (the baseline of votes)."""

from __future__ import annotations

import os
import re
from typing import Any

import discord
from discord.ext import commands

from bot.app.client import NewsroomBot

TEMPLATE = r"bench:ack:(?P<n>[0-9]+)"


class AckButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """Answer privately at once and do nothing else."""

    def __init__(self, n: int = 0) -> None:
        super().__init__(discord.ui.Button(label="Ack", custom_id=f"bench:ack:{n}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> AckButton:
        """Rebuild the button."""
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Acknowledge with a private message, like a vote confirmation."""
        await interaction.response.send_message("Acknowledged.", ephemeral=True)


def ack_view() -> discord.ui.View:
    """Build the one-button view."""
    view = discord.ui.View(timeout=None)
    view.add_item(AckButton(0))
    return view


class AckPoster(commands.Cog):
    """Post the baseline button once ready, when BENCH_ACK_CHANNEL names a channel."""

    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot
        self.posted = False

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Post the button (once)."""
        channel_id = os.environ.get("BENCH_ACK_CHANNEL")
        if channel_id and not self.posted:
            self.posted = True
            channel = self.bot.get_partial_messageable(int(channel_id))
            await channel.send("Baseline", view=ack_view())


async def setup(bot: NewsroomBot) -> None:
    """Register the button."""
    bot.add_dynamic_items(AckButton)
    await bot.add_cog(AckPoster(bot))
