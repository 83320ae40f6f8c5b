"""Run the bot until it is told to stop, turning start-up failures into guidance."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys

import discord

from bot.app.client import NewsroomBot
from bot.config import Settings
from bot.database import DATABASE_ERRORS, Database, describe_database_error

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIGURATION = 2

TOKEN_GUIDANCE = (
    "{problem} To get one, open https://discord.com/developers/applications, create an "
    "application (or pick yours), go to Bot, press Reset Token and copy the token. Put it in a "
    "file named .env in the folder you run Newsroom from, as the line DISCORD_TOKEN=<your token> "
    "(see .env.example), or set the DISCORD_TOKEN environment variable, then run `newsroom run` "
    "again. Keep the token secret: anyone who has it controls your bot."
)
MISSING_TOKEN = TOKEN_GUIDANCE.format(problem="Newsroom needs a Discord bot token and none is set.")
REJECTED_TOKEN = TOKEN_GUIDANCE.format(
    problem="Discord rejected the bot token in DISCORD_TOKEN (it may have been reset or mistyped)."
)
INTENTS_GUIDANCE = (
    "Discord refused the gateway intents Newsroom needs. In the Developer Portal, open your "
    "application, go to Bot, and under Privileged Gateway Intents switch on Message Content "
    "Intent, save, then run `newsroom run` again."
)


# Python's cyclic collector runs every 700 net allocations and, on its full passes, walks every
# live object, including all that start-up created. A busy bot allocates in floods (a gateway
# event, a reply, a row each), so at default settings collection took a large share of a vote
# storm's CPU: freezing the start-up objects and collecting less often measured 1.3x to 1.6x the
# votes per second in `python -m bench.votes`.
GC_THRESHOLDS = (50_000, 20, 50)


def tune_garbage_collection() -> None:
    """Move start-up objects out of the collector's way and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _complain(message: str) -> None:
    """Write a message for the operator to standard error."""
    sys.stderr.write(message + "\n")


async def run_bot(settings: Settings) -> int:
    """Migrate the database, run the bot until SIGINT/SIGTERM, and return an exit code."""
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        _complain(MISSING_TOKEN)
        return EXIT_CONFIGURATION
    database = Database(settings.database_url)
    try:
        log.info("Upgrading the database schema at %s", database.display_url)
        await database.upgrade()
        return await _run_until_stopped(settings, database)
    except discord.LoginFailure:
        _complain(REJECTED_TOKEN)
        return EXIT_CONFIGURATION
    except discord.PrivilegedIntentsRequired:
        _complain(INTENTS_GUIDANCE)
        return EXIT_CONFIGURATION
    except DATABASE_ERRORS as exc:
        _complain(describe_database_error(database, exc))
        return EXIT_FAILURE
    finally:
        await database.dispose()


async def _run_until_stopped(settings: Settings, database: Database) -> int:
    """Start the bot and close it cleanly when a stop signal arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    try:
        async with NewsroomBot(settings, database) as bot:
            tune_garbage_collection()
            running = asyncio.create_task(bot.start(token), name="newsroom-bot")
            stopping = asyncio.create_task(stop.wait(), name="newsroom-stop")
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stopping.done():
                log.info("Stop requested; finishing in-flight work and disconnecting")
                await asyncio.wait_for(bot.close(), timeout=settings.shutdown_grace_seconds + 5)
                await running
            else:
                stopping.cancel()
                running.result()
                log.warning("The Discord connection ended on its own")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("Stopped cleanly")
    return EXIT_OK
