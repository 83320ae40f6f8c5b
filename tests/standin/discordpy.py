"""Point the real discord.py at the stand-in, and run a bot against it in a test."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

if TYPE_CHECKING:
    from tests.standin.standin import DiscordStandIn

log = logging.getLogger(__name__)


@contextlib.contextmanager
def point_discord_py_at(standin: DiscordStandIn) -> Iterator[None]:
    """Send discord.py's REST calls and gateway connections to the stand-in, then restore."""
    previous_base, previous_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = standin.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(standin.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous_base, previous_gateway


@contextlib.asynccontextmanager
async def running(
    client: discord.Client, standin: DiscordStandIn
) -> AsyncIterator[asyncio.Task[None]]:
    """Run `client.start(token)` in a task; close the client and await the task on exit.

    While it runs, the stand-in's waits fail at once (BotStopped) if the bot dies; the task's
    exception (LoginFailure, PrivilegedIntentsRequired, ...) is re-raised on exit.
    """
    task = asyncio.create_task(client.start(standin.bot_token), name=f"bot {client!r}")
    standin.watch(task)
    try:
        yield task
    finally:
        standin.unwatch(task)
        await client.close()
        try:
            await asyncio.wait_for(task, timeout=10)
        except asyncio.CancelledError:
            log.debug("bot task was cancelled")


async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
    """A `before_identify_hook` without discord.py's 5-s pause between IDENTIFYs."""
    return None
