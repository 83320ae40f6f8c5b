"""Run the bot in its own process against a stand-in, for bench/votes.py (--processes 2).

Environment: STANDIN_API_BASE, STANDIN_GATEWAY_URL, BENCH_ENV_FILE (the bot's settings) and
BENCH_ACK_CHANNEL (where the ack-only baseline button is posted once the bot is ready).
"""

from __future__ import annotations

import asyncio
import os

import discord
import yarl

from bot.app.client import NewsroomBot
from bot.app.runner import tune_garbage_collection
from bot.config import configure_logging, load_settings
from bot.database import Database

EXTENSIONS = ["cogs.admin", "cogs.polls", "bench._ack_only"]


async def main() -> None:
    """Start the bot and run until killed."""
    discord.http.Route.BASE = os.environ["STANDIN_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["STANDIN_GATEWAY_URL"])
    settings = load_settings(os.environ["BENCH_ENV_FILE"])
    configure_logging(settings.log_level)
    database = Database(settings.database_url)
    await database.upgrade()
    bot = NewsroomBot(settings, database, extensions=EXTENSIONS, guild_ready_timeout=0.05)
    assert settings.discord_token is not None
    tune_garbage_collection()  # as `newsroom run` does
    await bot.start(settings.discord_token.get_secret_value())


if __name__ == "__main__":
    asyncio.run(main())
