"""Articles: follow the site's feeds, announce stories with their key facts, curate them."""

from bot.app.client import NewsroomBot
from bot.feeds.intake import FeedIntake
from bot.feeds.poller import FeedPoller
from bot.feeds.source import FeedSource
from cogs.articles._announcer import DiscordAnnouncer
from cogs.articles._cog import ArticlesCog
from cogs.articles._facts import ArticleCommands
from cogs.articles._feeds import FeedCommands
from cogs.articles._publisher import CrosspostQueue, Publisher
from cogs.articles._views import PreviewButton


async def setup(bot: NewsroomBot) -> None:
    """Wire the publisher and the feed poller; register commands and persistent buttons."""
    context = bot.context
    crossposts = CrosspostQueue(bot, context.announcements)
    publisher = Publisher(bot, context.articles, context.announcements, crossposts)
    announcer = DiscordAnnouncer(
        bot, context.articles, context.announcements, context.guild_settings, publisher
    )
    poller = FeedPoller(
        context.settings,
        context.feeds,
        FeedIntake(context.articles, context.announcements, context.routes),
        context.announcements,
        FeedSource(context.http, context.settings),
        announcer,
    )
    cog = ArticlesCog(bot, context, publisher, crossposts, poller)
    bot.add_dynamic_items(PreviewButton)
    await bot.add_cog(cog)
    bot.tree.add_command(ArticleCommands(context, publisher))
    bot.tree.add_command(FeedCommands(context, context.routes, context.feeds, cog.wake_poller))


async def teardown(bot: NewsroomBot) -> None:
    """Remove what setup added that the cog does not own."""
    bot.remove_dynamic_items(PreviewButton)
    bot.tree.remove_command("article")
    bot.tree.remove_command("feed")
