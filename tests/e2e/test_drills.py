"""Fault drills on PostgreSQL through the Discord stand-in: SIGKILL the feed owner, restart PG."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app.checks import DATABASE_UNAVAILABLE
from bot.articles.announcements import AnnouncementService, AnnouncementStatus
from bot.database import Database
from tests.e2e.conftest import Newsroom, newsroom_bot
from tests.e2e.scale_harness import HoldingSite, ShardProcess, set_up_guild, start_shard_process
from tests.e2e.test_scale import articles, make_due, owners, shard_bots
from tests.pg_cluster import own_cluster
from tests.standin import DiscordStandIn

POSTGRES_ONLY = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
async def site() -> AsyncIterator[HoldingSite]:
    served = await HoldingSite().start()
    yield served
    served.release()
    await served.close()


def json_lines(text: str) -> list[dict[str, object]]:
    """Parse a JSON-lines log, failing on any line that is not one JSON object."""
    entries = []
    for line in text.splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        entries.append(entry)
    return entries


@POSTGRES_ONLY
@pytest.mark.parametrize("owner_shard", [0, 1], ids=["owner-without-the-guild", "owner-with-it"])
async def test_sigkilled_feed_owner_mid_cycle_is_replaced_and_the_article_is_announced_once(
    standin: DiscordStandIn,
    database_url: str,
    site: HoldingSite,
    tmp_path: Path,
    owner_shard: int,
) -> None:
    planet = await set_up_guild(standin, database_url, shard=1)
    site.add_post("Old story")
    site.add_post("Iran turns to Moscow")
    site.holding = True
    options = {"guild_ids": [planet.guild.id], "settings": {"SITE_URL": site.url}}
    processes: list[ShardProcess] = []
    try:
        owner = await start_shard_process(
            standin, tmp_path / "owner", database_url, shard=owner_shard, **options
        )
        processes.append(owner)
        await site.wait_for_feed_requests(1)  # the owner is mid-cycle: fetching, held open
        standby = await start_shard_process(
            standin, tmp_path / "standby", database_url, shard=1 - owner_shard, **options
        )
        processes.append(standby)
        await standin.wait_until_ready(shard_count=2, timeout=30)
        async with aiohttp.ClientSession() as http:
            assert await owner.owns(http)
            assert not await standby.owns(http)
            await owner.kill()
            site.release()
            await site.wait_for_feed_requests(2)  # the standby took over and fetched
            await standin.wait_for(lambda: len(planet.guild.threads()) == 1, timeout=30)
            assert await standby.owns(http)
            status, health = await standby.healthz(http)
            assert status == 200, health
            assert health["checks"]["feed-poller"] == {"ok": True, "detail": "running"}
        await standin.wait_until_processed()
        assert await standby.stop() == 0, standby.log_text()
    finally:
        for process in processes:
            await process.kill()
    [message] = standin.messages_in(planet.news)
    assert message.embeds[0]["title"] == "Iran turns to Moscow"
    database = Database(database_url)
    try:
        announcements = AnnouncementService(database)
        record = await announcements.by_message_or_thread(message.id)
        assert record is not None
        assert record.status is AnnouncementStatus.POSTED
        assert len(await announcements.of_article(record.article_id)) == 1
        assert await announcements.pending() == []
        assert await announcements.count_all_queued() == 0
    finally:
        await database.dispose()
    log = standby.log_text()
    entries = json_lines(log)
    assert any("Took the lease on 'feed-polling'" in str(e["message"]) for e in entries)
    [announced] = [e for e in entries if str(e["message"]).startswith("Announced article")]
    assert announced["article_id"] == record.article_id
    assert (announced["guild_id"], announced["channel_id"]) == (planet.guild.id, planet.news.id)
    assert standin.bot_token not in log
    assert standin.bot_token not in owner.log_text()


async def test_postgresql_restarted_under_load_loses_nothing_acknowledged(
    standin: DiscordStandIn, newsroom: Newsroom, site: HoldingSite
) -> None:
    async with own_cluster() as cluster:
        url = await cluster.create_database("newsroom_drill")
        site.add_post("Iran turns to Moscow")
        async with newsroom_bot(
            standin,
            url,
            guild_ids=[newsroom.guild.id],
            SITE_URL=site.url,
            NEWSROOM_LEASE_RETRY_SECONDS=0.2,
        ) as bot:
            cog = bot.get_cog("Articles")
            assert cog is not None
            for command, values in (
                ("setup editors", {"role": newsroom.editors}),
                ("setup log", {"channel": newsroom.editors_desk}),
            ):
                slash = await standin.slash(newsroom.admin, newsroom.general, command, **values)
                await slash.response()
            replies: list[tuple[str, str]] = []
            progress = asyncio.Condition()

            async def load() -> None:
                for n in range(20):
                    feed_url = f"{site.url}/feed/?edition={n}"
                    added = await standin.slash(
                        newsroom.editor,
                        newsroom.general,
                        "feed add",
                        url=feed_url,
                        channel=newsroom.news,
                    )
                    reply = await added.response()
                    async with progress:
                        replies.append((feed_url, reply.content))
                        progress.notify_all()

            async def restart_midway() -> None:
                async with progress:
                    await progress.wait_for(lambda: len(replies) >= 5)
                await cluster.restart()

            await asyncio.gather(load(), restart_midway())
            assert len(replies) == 20, "every command was answered, none left hanging"
            acknowledged = [u for u, text in replies if text.startswith("Following feed #")]
            refused = [text for _, text in replies if not text.startswith("Following feed #")]
            assert all(
                "went wrong on my side" in text or text == DATABASE_UNAVAILABLE for text in refused
            ), refused
            after = await standin.slash(
                newsroom.editor,
                newsroom.general,
                "feed add",
                url=f"{site.url}/feed/?edition=after",
                channel=newsroom.news,
            )
            assert (await after.response()).content.startswith("Following feed #"), "reconnected"
            acknowledged.append(f"{site.url}/feed/?edition=after")
            stored = await cog.context.feeds.urls(newsroom.guild.id)
            assert set(acknowledged) <= set(stored), "every acknowledged feed was kept"
            await standin.wait_for(lambda: len(newsroom.guild.threads()) == 1, timeout=30)
            cycles = cog.cycles_completed
            await cog.wait_for_cycles(cycles + 1)
            assert cog.lease.owned, "the poller holds its lease again after the restart"
            assert cog.lease.acquisitions >= 2, "the restart cut the lease's connection"
            announcements = cog.context.announcements
            assert await announcements.pending() == []
        titles = [m.embeds[0]["title"] for m in standin.messages_in(newsroom.news)]
        assert titles == ["Iran turns to Moscow"], "announced once across 21 feeds and a restart"


async def next_cycle_anywhere(bots: list) -> None:
    """Wake every poller and wait until one of them (the owner) has run a cycle."""
    waits = [
        asyncio.create_task(articles(bot).wait_for_cycles(articles(bot).cycles_completed + 1))
        for bot in bots
    ]
    for bot in bots:
        articles(bot).wake_poller()
    try:
        done, _ = await asyncio.wait(waits, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        assert done, "no process polled within 30 s of the restart"
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


async def test_after_a_postgresql_restart_two_shards_reconnect_with_exactly_one_feed_owner(
    standin: DiscordStandIn, site: HoldingSite
) -> None:
    async with own_cluster() as cluster:
        url = await cluster.create_database("newsroom_drill")
        planet = await set_up_guild(standin, url, shard=1)
        site.add_post("Before the restart")
        async with shard_bots(standin, url, [planet.guild.id], SITE_URL=site.url) as bots:
            await standin.wait_for(lambda: len(planet.guild.threads()) == 1, timeout=15)
            [before] = owners(bots)
            await articles(before).wait_for_cycles(1)
            await cluster.restart()
            site.add_post("After the restart")
            await next_cycle_anywhere(bots)  # both look at once; one takes the lease and polls
            [after] = owners(bots)
            await make_due(after)
            for bot in bots:
                articles(bot).wake_poller()
            await standin.wait_for(lambda: len(planet.guild.threads()) == 2, timeout=30)
            await articles(after).wait_for_cycles(articles(after).cycles_completed + 1)
            assert owners(bots) == [after]
        titles = [m.embeds[0]["title"] for m in standin.messages_in(planet.news)]
        assert titles == ["Before the restart", "After the restart"]
