"""Polls: reader polls with exact counts, live results and deadlines that survive restarts."""

from bot.app.client import NewsroomBot
from cogs.polls._cog import PollsCog
from cogs.polls._commands import PollCommands
from cogs.polls._views import DYNAMIC_ITEMS


async def setup(bot: NewsroomBot) -> None:
    """Register the persistent poll buttons, the cog and /poll."""
    cog = PollsCog(bot, bot.context)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(cog)
    bot.tree.add_command(PollCommands(bot.context, cog))


async def teardown(bot: NewsroomBot) -> None:
    """Remove what setup added that the cog does not own."""
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
    bot.tree.remove_command("poll")
