"""Comments: members' words in story threads become comments on the site, with consent."""

from bot.app.client import NewsroomBot
from cogs.comments._cog import CommentsCog
from cogs.comments._commands import CommentCommands, comment_command
from cogs.comments._views import DYNAMIC_ITEMS


async def setup(bot: NewsroomBot) -> None:
    """Register /comment, /comments, the listeners, the worker and the persistent buttons."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(CommentsCog(bot, bot.context))
    bot.tree.add_command(comment_command)
    bot.tree.add_command(CommentCommands())


async def teardown(bot: NewsroomBot) -> None:
    """Remove what setup added that the cog does not own."""
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
    bot.tree.remove_command("comment")
    bot.tree.remove_command("comments")
