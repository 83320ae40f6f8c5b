"""Questions: answer readers from the stored key facts and outlook, with citations."""

from bot.app.client import NewsroomBot
from cogs.questions._cog import QuestionCommands, QuestionsCog
from cogs.questions._views import DYNAMIC_ITEMS


async def setup(bot: NewsroomBot) -> None:
    """Register /ask, /questions, the mention listener and the persistent buttons."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(QuestionsCog(bot, bot.context))
    bot.tree.add_command(QuestionCommands(bot.context))


async def teardown(bot: NewsroomBot) -> None:
    """Remove what setup added that the cog does not own."""
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
    bot.tree.remove_command("questions")
