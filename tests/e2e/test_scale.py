"""Two bot processes' worth of clients, one shard each, on one PostgreSQL: they act as one bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import aiohttp
import pytest

from bot.app.client import NewsroomBot
from bot.database import Database
from bot.models import utcnow
from cogs.articles._cog import ArticlesCog
from tests.e2e.conftest import bot_settings
from tests.e2e.scale_harness import set_up_guild
from tests.site.wordpress import WordPressSite
from tests.standin import DiscordStandIn, running
from tests.standin.discordpy import no_identify_delay

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])


class ShardBot(NewsroomBot):
    """The real bot, without discord.py's 5-s pause before a second IDENTIFY."""

    before_identify_hook = staticmethod(no_identify_delay)


@pytest.fixture
async def site() -> AsyncIterator[WordPressSite]:
    served = await WordPressSite().start()
    yield served
    await served.close()


@asynccontextmanager
async def shard_bots(
    standin: DiscordStandIn,
    database_url: str,
    guild_ids: Sequence[int],
    shards: Sequence[int] = (0, 1),
    **overrides: object,
) -> AsyncIterator[list[NewsroomBot]]:
    """Run one bot per shard of a 2-shard bot, each with its own engine, like separate processes."""
    async with AsyncExitStack() as stack:
        bots: list[NewsroomBot] = []
        for shard in shards:
            settings = bot_settings(
                standin,
                database_url,
                NEWSROOM_GUILD_IDS=",".join(map(str, guild_ids)),
                NEWSROOM_SHARD_COUNT=2,
                NEWSROOM_SHARD_IDS=str(shard),
                NEWSROOM_LEASE_RETRY_SECONDS=0.2,
                **overrides,
            )
            database = Database(settings.database_url)
            stack.push_async_callback(database.dispose)
            bot = ShardBot(settings, database, guild_ready_timeout=0.05)
            await stack.enter_async_context(running(bot, standin))
            bots.append(bot)
        await standin.wait_until_ready(shard_count=2, timeout=20)
        yield bots


def articles(bot: NewsroomBot) -> ArticlesCog:
    """Return the bot's articles cog."""
    cog = bot.get_cog("Articles")
    assert cog is not None, "the articles cog is loaded"
    return cog  # type: ignore[return-value]  # (reloaded extensions get a fresh class object)


async def make_due(bot: NewsroomBot, feed_id: int = 1) -> None:
    """Make a feed due now (as if its interval had passed) and wake the bot's poller."""
    feeds = articles(bot).context.feeds
    feed = await feeds.get(feed_id)
    await feeds.record_success(
        feed.id,
        next_fetch_at=utcnow(),
        etag=feed.etag,
        last_modified=feed.last_modified,
        wordpress_api_url=feed.wordpress_api_url,
    )
    articles(bot).wake_poller()


def owners(bots: Sequence[NewsroomBot]) -> list[NewsroomBot]:
    """Return the bots that own feed polling right now."""
    return [bot for bot in bots if articles(bot).lease is not None and articles(bot).lease.owned]


@POSTGRES_ONLY
@pytest.mark.parametrize("guild_shard", [0, 1])
async def test_two_shards_on_one_database_announce_each_article_once(
    standin: DiscordStandIn, database_url: str, site: WordPressSite, guild_shard: int
) -> None:
    planet = await set_up_guild(standin, database_url, guild_shard)
    site.add_post("Old story")
    site.add_post("Iran turns to Moscow")
    async with shard_bots(
        standin, database_url, [planet.guild.id], SITE_URL=site.url, NEWSROOM_OPS_PORT=0
    ) as bots:
        assert [bot.shard_ids for bot in bots] == [[0], [1]]
        assert [bot.get_guild(planet.guild.id) is not None for bot in bots] == [
            guild_shard == 0,
            guild_shard == 1,
        ], "each client only sees its own shard's guilds"
        await standin.wait_for(lambda: len(planet.guild.threads()) == 1, timeout=15)
        [owner] = owners(bots)
        [standby] = [bot for bot in bots if bot is not owner]
        await articles(owner).wait_for_cycles(1)
        site.add_post("Russia weighs its options")
        await make_due(standby)  # the standby is woken too: it must not poll
        articles(owner).wake_poller()
        await standin.wait_for(lambda: len(planet.guild.threads()) == 2, timeout=15)
        await articles(owner).wait_for_cycles(articles(owner).cycles_completed + 1)
        await standin.wait_until_processed()
        assert articles(standby).cycles_completed == 0, "the standby never polled"
        assert len(owners(bots)) == 1
        async with aiohttp.ClientSession() as http:
            for bot, owned in ((owner, 1), (standby, 0)):
                assert bot.operations is not None
                async with http.get(f"{bot.operations.url}/metrics") as response:
                    metrics = await response.text()
                assert f'newsroom_lease_owned{{job="feed-polling"}} {owned}' in metrics
                assert 'newsroom_events_total{event="ready"} 1' in metrics
                assert "newsroom_announcements_queued 0" in metrics
                async with http.get(f"{bot.operations.url}/healthz") as response:
                    assert response.status == 200, await response.text()
                    health = await response.json()
                assert set(health["checks"]) == {"database", "gateway", "feed-poller", "crossposts"}
            owner_metrics = await (await http.get(f"{owner.operations.url}/metrics")).text()
        assert 'newsroom_feed_fetches_total{result="fetched"}' in owner_metrics
        assert "newsroom_feed_announcements_posted_total 2" in owner_metrics
        assert 'newsroom_gateway_latency_seconds{shard="' in owner_metrics
    titles = [m.embeds[0]["title"] for m in standin.messages_in(planet.news)]
    assert titles == ["Iran turns to Moscow", "Russia weighs its options"]


@POSTGRES_ONLY
async def test_when_the_owner_stops_the_standby_takes_feed_polling_over(
    standin: DiscordStandIn, database_url: str, site: WordPressSite
) -> None:
    planet = await set_up_guild(standin, database_url, 1)
    site.add_post("First story")
    async with shard_bots(standin, database_url, [planet.guild.id], SITE_URL=site.url) as bots:
        await standin.wait_for(lambda: len(planet.guild.threads()) == 1, timeout=15)
        [owner] = owners(bots)
        [standby] = [bot for bot in bots if bot is not owner]
        await articles(owner).wait_for_cycles(1)
        site.add_post("Second story")
        await owner.close()  # releases the lease on the way out
        await articles(standby).wait_for_cycles(1)
        assert owners([standby]) == [standby]
        await make_due(standby)
        await standin.wait_for(lambda: len(planet.guild.threads()) == 2, timeout=15)
    titles = [m.embeds[0]["title"] for m in standin.messages_in(planet.news)]
    assert titles == ["First story", "Second story"]
