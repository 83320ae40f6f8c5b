"""Benchmark: how long a standby takes to take feed polling over after the owner is SIGKILLed.

Run: python -m bench.scale [--rounds 5] [--lease-retry 1.0] [--server-url URL]
Needs a PostgreSQL server (--server-url or NEWSROOM_TEST_POSTGRES_URL: a user allowed to create
databases); a throwaway database is created and dropped. Serves the Discord stand-in and a
WordPress-shaped site on 127.0.0.1 and runs the bot as two processes, one shard each. The site
holds every feed request open, so the owner is always caught mid-cycle. Each round starts a
fresh standby, waits until it is healthy, SIGKILLs the owner at a random moment of the standby's
retry cycle and times the gap until the standby's first feed request arrives. The lease retry
interval (NEWSROOM_LEASE_RETRY_SECONDS) is the designed bound, printed beside the figures as the
baseline.

Votes per second with 1 and 2 processes: NOT MEASURED YET (see VOTES_PER_SECOND below).
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

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from tests.e2e.scale_harness import HoldingSite, ShardProcess, set_up_guild, start_shard_process
from tests.standin import DiscordStandIn

# TODO(polls, issue 5/7): votes per second with 1 and with 2 processes on PostgreSQL, in the same
# run, belongs here once the polls capability has landed: drive N stand-in votes across both
# shards' guilds and time until every acknowledged vote is counted. Not faked meanwhile.
VOTES_PER_SECOND: dict[int, float] | None = None


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
    args = parser.parse_args()
    if not args.server_url:
        parser.error("needs a PostgreSQL server: --server-url or NEWSROOM_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as folder:
        takeovers = asyncio.run(
            measure(args.server_url, args.rounds, args.lease_retry, Path(folder))
        )
    report(f"feed-polling takeover after SIGKILL of the owner, {len(takeovers)} rounds")
    report("  rounds (s): " + ", ".join(f"{t:.2f}" for t in takeovers))
    median = statistics.median(takeovers)
    report(f"  median {median:.2f} s, min {min(takeovers):.2f} s, max {max(takeovers):.2f} s")
    report(f"  baseline: lease retry interval {args.lease_retry:.2f} s (the designed bound)")
    report(f"  median / retry interval: {median / args.lease_retry:.2f}x")
    if VOTES_PER_SECOND is None:
        report("votes/s with 1 and 2 processes: not measured yet (polls have not landed)")


if __name__ == "__main__":
    main()
