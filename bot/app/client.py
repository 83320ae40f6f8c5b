"""The Discord client: loads the cogs, syncs commands and shuts down cleanly."""

from __future__ import annotations

import logging
import pkgutil
from collections.abc import Sequence

import aiohttp
import discord
from discord.ext import commands

import cogs
from bot import __version__
from bot.app.context import AppContext
from bot.app.operations import event_counter, register_bot_metrics, start_operations_server
from bot.app.tree import NewsroomTree
from bot.config import Settings
from bot.database import Database
from bot.operations.metrics import Counter
from bot.operations.server import OperationsServer

log = logging.getLogger(__name__)

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)
DISCORD_CONNECTIONS = 100  # HTTP connections to Discord's API per process (shared by all shards)
USER_AGENT = f"NewsroomBot/{__version__} (+https://github.com/newsroom-bot/newsroom)"


def required_intents() -> discord.Intents:
    """Return the smallest set of gateway intents the cogs need."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels, roles and threads for /setup and announcements
    intents.guild_messages = True  # replies and mentions in article threads
    intents.dm_messages = True  # consent prompts answered by DM
    intents.message_content = True  # privileged: members' words bridged as comments
    intents.polls = True  # votes in native Discord polls
    return intents


def discover_extensions() -> list[str]:
    """List every extension module or package directly under `cogs/`."""
    return sorted(
        f"{cogs.__name__}.{module.name}"
        for module in pkgutil.iter_modules(cogs.__path__)
        if not module.name.startswith("_")
    )


class NewsroomBot(commands.AutoShardedBot):
    """Newsroom's bot: one process runs one or more shards of it."""

    context: AppContext

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        extensions: Sequence[str] | None = None,
        shard_count: int | None = None,
        shard_ids: list[int] | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=required_intents(),
            tree_cls=NewsroomTree,
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=shard_count if shard_count is not None else settings.shard_count,
            shard_ids=shard_ids if shard_ids is not None else settings.process_shard_ids,
            enable_debug_events=False,
            guild_ready_timeout=guild_ready_timeout,
            # discord.py's own pool is unbounded: a storm of clicks would open a connection per
            # reply. A bounded pool keeps a few warm keep-alive connections and reuses them.
            connector=aiohttp.TCPConnector(limit=DISCORD_CONNECTIONS),
        )
        self.settings = settings
        self.database = database
        self.extension_names = list(extensions) if extensions is not None else None
        self.failed_extensions: dict[str, BaseException] = {}
        self._http: aiohttp.ClientSession | None = None
        self._events: Counter | None = None
        self.operations: OperationsServer | None = None

    async def setup_hook(self) -> None:
        """Open the shared HTTP session, load every cog and sync application commands."""
        await self.database.ping()
        self._http = aiohttp.ClientSession(timeout=HTTP_TIMEOUT, headers={"User-Agent": USER_AGENT})
        self.context = AppContext.build(self.settings, self.database, self._http)
        self._events = event_counter(self.context.metrics)
        register_bot_metrics(self, self.context)
        for name in self.extension_names or discover_extensions():
            try:
                await self.load_extension(name)
            except commands.ExtensionError as exc:
                self.failed_extensions[name] = exc
                log.exception("Extension %s failed to load; the others keep working", name)
            else:
                log.info("Loaded extension %s", name)
        await self.sync_commands()
        self.operations = await start_operations_server(self.context)
        if self.shard_count is not None:
            log.info("Running shards %s of %d", self.shard_ids or "all", self.shard_count)

    def dispatch(self, event_name: str, /, *args: object, **kwargs: object) -> None:
        """Count every event (for /metrics), then hand it to the listeners."""
        if self._events is not None:
            self._events.inc(event=event_name)
        super().dispatch(event_name, *args, **kwargs)

    async def sync_commands(self) -> None:
        """Register the slash commands: per configured guild (instant), else globally."""
        if self.settings.guild_ids:
            for guild_id in self.settings.guild_ids:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("Synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("Synced %d global commands", len(synced))

    async def close(self) -> None:
        """Unload cogs (stopping their tasks), close the HTTP session, then disconnect."""
        for name in list(self.extensions):
            try:
                await self.unload_extension(name)
            except commands.ExtensionError:
                log.exception("Extension %s failed to unload cleanly", name)
        if self.operations is not None:
            await self.operations.stop()
        context: AppContext | None = getattr(self, "context", None)
        if context is not None and context.leases is not None:
            await context.leases.release_all()
        if self._http is not None and not self._http.closed:
            await self._http.close()
        await super().close()
