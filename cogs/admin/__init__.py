"""Server set-up (/setup) and bot information (/about)."""

from bot.app.client import NewsroomBot
from cogs.admin._cog import AboutCog, SetupCog


async def setup(bot: NewsroomBot) -> None:
    """Load the admin cogs."""
    await bot.add_cog(SetupCog(bot.context.guild_settings))
    await bot.add_cog(AboutCog(bot))
