"""An extension whose set-up fails, to show the other cogs still load."""

from discord.ext import commands


async def setup(bot: commands.Bot) -> None:
    """Fail the way a cog with a bug in its set-up would."""
    raise RuntimeError("this extension is broken on purpose")
