"""Benchmark: how long a standby takes to take feed polling over after the owner is SIGKILLed.

Run: python -m bench.scale [--rounds 5] [--lease-retry 1.0] [--server-url URL]
Needs a PostgreSQL server (--server-url or NEWSROOM_TEST_POSTGRES_URL: a user allowed to create
databases); a throwaway database is created and dropped. Serves the Discord stand-in and a
WordPress-shaped site on 127.0.0.1 and runs the bot as two processes, one shard each. The site
holds every feed request open, so the owner is always caught mid-cycle. Each round starts a
fresh standby, waits until it is healthy, SIGKILLs the owner at a random moment of the standby's
retry cycle and times the gap until the standby's first feed request arrives. The lease retry
interval (NEWSROOM_LEASE_RETRY_SECONDS) bounds the wait, plus the start of the new owner's first
cycle; it is printed beside the figures as the baseline.

Then votes per second with 1 and with 2 processes on the same PostgreSQL server, in the same run:
a 2-shard bot with one guild per shard, run as one process (shards 0,1) and then as two (one
shard each); every member of both guilds clicks a poll button at once; timed until every member
has the bot's answer, then checked: each poll shows its exact count of voters.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from tests.e2e.scale_harness import HoldingSite, ShardProcess, set_up_guild, start_shard_process
from tests.standin import DiscordStandIn, Permissions

VOTE_SETTINGS = {"LOG_LEVEL": "WARNING", "NEWSROOM_POLL_UPDATE_SECONDS": 2}


def report(line: str) -> None:
    """Print one line of results."""
    sys.stdout.write(line + "\n")


def _dsn(url: str, database: str | None = None) -> str:
    """Turn a SQLAlchemy URL into an asyncpg DSN."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def wait_healthy(process: ShardProcess, http: aiohttp.ClientSession) -> None:
    """Poll /healthz until the process is ready (its poll loop then competes for the lease)."""
    async with asyncio.timeout(60):
        while True:
            try:
                status, _ = await process.healthz(http)
            except aiohttp.ClientError:
                status = 0
            if status == 200:
                return
            await asyncio.sleep(0.1)


async def create_database(server_url: str) -> tuple[str, str]:
    """Create a throwaway database; return its name and URL."""
    name = f"newsroom_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, name: str) -> None:
    """Drop a throwaway database."""
    admin = await asyncpg.connect(_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def vote_button(message: Any) -> str:
    """Return the custom_id prefix of a poll message's first vote button (poll:vote:<id>:)."""
    for row in message.components:
        for component in row.get("components", []):
            custom_id = component.get("custom_id", "")
            if custom_id.startswith("poll:vote:"):
                return custom_id.rsplit(":", 1)[0] + ":"
    raise AssertionError("the poll message has no vote button")


async def votes_per_second(server_url: str, votes: int, processes: int, workdir: Path) -> float:
    """Time `votes` clicks across two shards' guilds with the bot as 1 or 2 processes."""
    name, database_url = await create_database(server_url)
    running: list[ShardProcess] = []
    try:
        async with DiscordStandIn(bot_name="Newsroom", interaction_deadline=600.0) as standin:
            guilds = [standin.add_guild(f"Bench {n}", shard=(n, 2)) for n in range(2)]
            channels = [guild.add_text_channel("polls") for guild in guilds]
            editors = [
                guild.add_member("editor", permissions=Permissions.manage_guild) for guild in guilds
            ]
            readers = [
                [guild.add_member(f"reader{n}") for n in range(votes // 2)] for guild in guilds
            ]
            options = {"guild_ids": [g.id for g in guilds], "settings": VOTE_SETTINGS}
            plan = [(0, "0,1")] if processes == 1 else [(0, "0"), (1, "1")]
            for shard, ids in plan:
                running.append(
                    await start_shard_process(
                        standin,
                        workdir / f"votes{processes}-{shard}",
                        database_url,
                        shard=shard,
                        shard_ids=ids,
                        **options,
                    )
                )
            await standin.wait_until_ready(shard_count=2, timeout=60)
            await standin.wait_for_commands("poll", timeout=60)
            polls = []
            for editor, channel in zip(editors, channels, strict=True):
                created = await standin.slash(
                    editor,
                    channel,
                    "poll create",
                    question="Bench?",
                    options="A; B; C",
                    duration="1h",
                )
                await created.response(timeout=60)
                message = await standin.wait_for(
                    lambda channel=channel: next(
                        (m for m in standin.messages_in(channel) if m.components), None
                    ),
                    timeout=60,
                )
                polls.append((message, vote_button(message)))
            started = time.perf_counter()
            clicks = await asyncio.gather(
                *(
                    standin.click(member, message, f"{prefix}{n % 3}")
                    for (message, prefix), members in zip(polls, readers, strict=True)
                    for n, member in enumerate(members)
                )
            )
            answers = await asyncio.gather(*(click.response(timeout=300) for click in clicks))
            await asyncio.gather(
                *(
                    click.followups(1, timeout=300)
                    for click, answer in zip(clicks, answers, strict=True)
                    if answer.deferred
                )
            )
            elapsed = time.perf_counter() - started
            for (message, _), members in zip(polls, readers, strict=True):
                expected = f"{len(members)} members have voted"
                await standin.wait_for(
                    lambda message=message, expected=expected: (
                        expected in (message.embeds[0].get("description") or "")
                    ),
                    timeout=120,
                    what=expected,
                )
    finally:
        for process in running:
            await process.stop()
        await drop_database(server_url, name)
    return len(clicks) / elapsed


async def measure(server_url: str, rounds: int, retry: float, workdir: Path) -> list[float]:
    """Run the rounds and return each takeover time in seconds."""
    name = f"newsroom_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    database_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    processes: list[ShardProcess] = []
    takeovers: list[float] = []
    site = await HoldingSite().start()
    try:
        async with DiscordStandIn(bot_name="Newsroom") as standin:
            planet = await set_up_guild(standin, database_url, shard=1)
            site.add_post("A story")
            site.holding = True
            options = {
                "guild_ids": [planet.guild.id],
                "settings": {"SITE_URL": site.url, "NEWSROOM_LEASE_RETRY_SECONDS": retry},
            }
            owner = await start_shard_process(
                standin, workdir / "p0", database_url, shard=0, **options
            )
            processes.append(owner)
            await site.wait_for_feed_requests(1, timeout=60)
            async with aiohttp.ClientSession() as http:
                for round_number in range(1, rounds + 1):
                    standby = await start_shard_process(
                        standin,
                        workdir / f"p{round_number}",
                        database_url,
                        shard=1 - owner.shard,
                        **options,
                    )
                    processes.append(standby)
                    await wait_healthy(standby, http)
                    # Let its poll loop make a first (losing) attempt, then kill at a random
                    # phase of its retry cycle, so the figures are not one phase's artefact.
                    await asyncio.sleep(0.5 + random.uniform(0, retry))
                    seen = site.feed_requests
                    killed_at = time.perf_counter()
                    await owner.kill()
                    await site.wait_for_feed_requests(seen + 1, timeout=60)
                    takeovers.append(time.perf_counter() - killed_at)
                    owner = standby
    finally:
        for process in processes:
            await process.kill()
        site.release()
        await site.close()
        admin = await asyncpg.connect(_dsn(server_url))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return takeovers


def main() -> None:
    """Parse arguments, run and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lease-retry", type=float, default=1.0, help="seconds (the bound)")
    parser.add_argument("--server-url", default=os.environ.get("NEWSROOM_TEST_POSTGRES_URL"))
    parser.add_argument("--votes", type=int, default=1000, help="clicks across both guilds")
    args = parser.parse_args()
    if not args.server_url:
        parser.error("needs a PostgreSQL server: --server-url or NEWSROOM_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as folder:
        takeovers = asyncio.run(
            measure(args.server_url, args.rounds, args.lease_retry, Path(folder))
        )
        rates = {
            processes: asyncio.run(
                votes_per_second(args.server_url, args.votes, processes, Path(folder))
            )
            for processes in (1, 2)
        }
    report(f"feed-polling takeover after SIGKILL of the owner, {len(takeovers)} rounds")
    report("  rounds (s): " + ", ".join(f"{t:.2f}" for t in takeovers))
    median = statistics.median(takeovers)
    report(f"  median {median:.2f} s, min {min(takeovers):.2f} s, max {max(takeovers):.2f} s")
    report(
        f"  baseline: lease retry interval {args.lease_retry:.2f} s (plus the first cycle's start)"
    )
    report(f"  median / retry interval: {median / args.lease_retry:.2f}x")
    report(f"votes across two shards' guilds, {args.votes} clicks at once, PostgreSQL")
    report(f"  1 process (shards 0,1):       {rates[1]:6.0f} votes/s (baseline)")
    report(f"  2 processes (one shard each): {rates[2]:6.0f} votes/s")
    report(f"  2 processes / 1 process: {rates[2] / rates[1]:.2f}x (on this machine's cores)")


if __name__ == "__main__":
    main()
