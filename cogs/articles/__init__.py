"""Articles: announce stories with their key facts, and let editors curate them."""

from bot.app.client import NewsroomBot
from cogs.articles._cog import ArticlesCog
from cogs.articles._facts import ArticleCommands
from cogs.articles._publisher import CrosspostQueue, Publisher
from cogs.articles._views import PreviewButton


async def setup(bot: NewsroomBot) -> None:
    """Wire the publisher and register the commands and persistent buttons."""
    context = bot.context
    crossposts = CrosspostQueue(bot, context.announcements)
    publisher = Publisher(bot, context.articles, context.announcements, crossposts)
    bot.add_dynamic_items(PreviewButton)
    await bot.add_cog(ArticlesCog(bot, context, publisher, crossposts))
    bot.tree.add_command(ArticleCommands(context, publisher))


async def teardown(bot: NewsroomBot) -> None:
    """Remove what setup added that the cog does not own."""
    bot.remove_dynamic_items(PreviewButton)
    bot.tree.remove_command("article")
