"""Fault drills on PostgreSQL through the Discord stand-in: SIGKILL the owner of feed polling."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.articles.announcements import AnnouncementService, AnnouncementStatus
from bot.database import Database
from tests.e2e.scale_harness import HoldingSite, ShardProcess, set_up_guild, start_shard_process
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
    assert standin.bot_token not in log
    assert standin.bot_token not in owner.log_text()
