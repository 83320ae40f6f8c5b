"""Helpers for the scale-out drills and bench/scale.py: shard processes, a feed that can be held."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import aiohttp
from aiohttp import web

from bot.database import Database
from bot.guild_settings import GuildSettingsService, Setting
from tests.site.wordpress import WordPressSite
from tests.standin import Channel, DiscordStandIn, Guild

REPO_ROOT = Path(__file__).resolve().parents[2]
CLEARED_VARIABLES = {"DISCORD_TOKEN", "DATABASE_URL", "NEWSROOM_GUILD_IDS", "LOG_LEVEL"}


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class HoldingSite(WordPressSite):
    """The WordPress-shaped site, able to hold feed requests open (an owner caught mid-cycle)."""

    holding: bool = False
    held: int = 0
    feed_requests: int = 0
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _arrivals: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        """Count the request; while holding, keep it open until released."""
        async with self._arrivals:
            self.feed_requests += 1
            hold = self.holding
            if hold:
                self.held += 1
            self._arrivals.notify_all()
        if hold:
            await self._release.wait()
        return await super()._feed(request)

    async def wait_for_feed_requests(self, count: int, timeout: float = 30) -> None:  # noqa: ASYNC109
        """Wait until `count` feed requests have arrived."""
        async with asyncio.timeout(timeout), self._arrivals:
            await self._arrivals.wait_for(lambda: self.feed_requests >= count)

    def release(self) -> None:
        """Stop holding: answer the held requests and every later one."""
        self.holding = False
        self._release.set()


@dataclass
class Planet:
    """A guild configured to announce the site's feed."""

    guild: Guild
    news: Channel
    desk: Channel


async def set_up_guild(standin: DiscordStandIn, database_url: str, shard: int) -> Planet:
    """Create a guild on `shard` of 2 and store its channels as /setup would."""
    guild = standin.add_guild("Daily Planet", shard=(shard, 2))
    news = guild.add_text_channel("news", news=True)
    desk = guild.add_text_channel("editors-desk")
    database = Database(database_url)
    try:
        await database.upgrade()
        settings = GuildSettingsService(database)
        await settings.set(guild.id, Setting.ANNOUNCEMENT_CHANNEL, news.id)
        await settings.set(guild.id, Setting.LOG_CHANNEL, desk.id)
    finally:
        await database.dispose()
    return Planet(guild, news, desk)


@dataclass
class ShardProcess:
    """`newsroom run --shards N --shard-ids I` in a child process, logging JSON to a file."""

    process: asyncio.subprocess.Process
    shard: int
    ops_port: int
    log_path: Path

    @property
    def ops_url(self) -> str:
        """Return the base URL of its operations endpoint."""
        return f"http://127.0.0.1:{self.ops_port}"

    async def metrics(self, http: aiohttp.ClientSession) -> str:
        """Fetch /metrics."""
        async with http.get(f"{self.ops_url}/metrics") as response:
            response.raise_for_status()
            return await response.text()

    async def healthz(self, http: aiohttp.ClientSession) -> tuple[int, dict[str, Any]]:
        """Fetch /healthz: status and body."""
        async with http.get(f"{self.ops_url}/healthz") as response:
            return response.status, await response.json()

    async def owns(self, http: aiohttp.ClientSession, job: str = "feed-polling") -> bool:
        """Return whether the process says it owns the job."""
        return f'newsroom_lease_owned{{job="{job}"}} 1' in await self.metrics(http)

    def log_text(self) -> str:
        """Return what it logged so far."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    async def kill(self) -> None:
        """SIGKILL it: no clean-up, no lease release, connections just drop."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def stop(self, timeout: float = 30) -> int:  # noqa: ASYNC109
        """SIGTERM it and return the exit code (killing it if it hangs)."""
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                await self.kill()
        assert self.process.returncode is not None
        return self.process.returncode


def _prepare(workdir: Path, values: dict[str, object]) -> tuple[Path, Path]:
    """Write the process's settings file; return it and where its log goes."""
    workdir.mkdir(parents=True, exist_ok=True)
    env_file = workdir / "bot.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return env_file, workdir / "stderr.log"


def open_log(path: Path) -> BinaryIO:
    """Open the file a child process writes its log to."""
    return path.open("wb")


async def start_shard_process(
    standin: DiscordStandIn,
    workdir: Path,
    database_url: str,
    *,
    shard: int,
    shard_count: int = 2,
    guild_ids: Sequence[int] = (),
    settings: dict[str, object] | None = None,
    shard_ids: str | None = None,
) -> ShardProcess:
    """Start one shard (or `shard_ids`, like "0,1") of the bot as a process, at the stand-in."""
    ops_port = free_port()
    values: dict[str, object] = {
        "DISCORD_TOKEN": standin.bot_token,
        "DATABASE_URL": database_url,
        "NEWSROOM_GUILD_IDS": ",".join(map(str, guild_ids)),
        "LOG_LEVEL": "INFO",
        "NEWSROOM_LOG_FORMAT": "json",
        "NEWSROOM_OPS_PORT": ops_port,
        "NEWSROOM_LEASE_RETRY_SECONDS": 0.2,
        "NEWSROOM_SHUTDOWN_GRACE_SECONDS": 2,
        **(settings or {}),
    }
    env_file, log_path = _prepare(workdir, values)
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED_VARIABLES}
    environment = {k: v for k, v in environment.items() if not k.startswith("NEWSROOM_")}
    environment |= {
        "STANDIN_API_BASE": standin.api_base,
        "STANDIN_GATEWAY_URL": standin.gateway_url,
        "PYTHONPATH": str(REPO_ROOT),
    }
    with open_log(log_path) as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.bot_process",
            "--env-file",
            str(env_file),
            "run",
            "--shards",
            str(shard_count),
            "--shard-ids",
            shard_ids or str(shard),
            cwd=workdir,
            env=environment,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log_file,
        )
    return ShardProcess(process, shard, ops_port, log_path)
