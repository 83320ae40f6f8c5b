"""`newsroom run` with NEWSROOM_LOG_FORMAT=json: one JSON object a line, ids attached, no token."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from tests.e2e.conftest import Newsroom
from tests.e2e.scale_harness import start_shard_process
from tests.standin import DiscordStandIn


async def test_json_logs_at_debug_carry_command_ids_and_never_the_token(
    standin: DiscordStandIn, newsroom: Newsroom, tmp_path: Path, database_url: str
) -> None:
    process = await start_shard_process(
        standin,
        tmp_path / "bot",
        database_url,
        shard=0,
        shard_count=1,
        guild_ids=[newsroom.guild.id],
        settings={"LOG_LEVEL": "DEBUG"},
    )
    try:
        await standin.wait_until_ready(timeout=30)
        await standin.wait_for_commands("about")
        about = await standin.slash(newsroom.reader, newsroom.general, "about")
        assert (await about.response()).embeds[0]["title"] == "Newsroom"
        async with aiohttp.ClientSession() as http:
            metrics = await process.metrics(http)
        assert 'newsroom_events_total{event="interaction"} 1' in metrics
        assert await process.stop() == 0
    finally:
        await process.kill()
    log = process.log_text()
    assert standin.bot_token not in log, "the token never reaches the logs, even at DEBUG"
    entries = [json.loads(line) for line in log.splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    tagged = [entry for entry in entries if entry.get("command") == "about"]
    assert tagged, "lines logged while /about ran name the command"
    assert {entry["guild_id"] for entry in tagged} == {newsroom.guild.id}
    assert {entry["user_id"] for entry in tagged} == {newsroom.reader.id}
    assert any(entry["message"] == "Stopped cleanly" for entry in entries)
