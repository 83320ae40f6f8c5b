"""`newsroom check`: validate the set-up and print a short report."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import discord

from bot import __version__
from bot.comments.check import check_comment_store
from bot.config import Settings
from bot.database import DATABASE_ERRORS, Database, describe_database_error

log = logging.getLogger(__name__)

DISCORD_CHECK_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report."""

    name: str
    ok: bool
    detail: str

    def render(self) -> str:
        """Format the line for the terminal."""
        return f"  {'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


async def check_database(settings: Settings) -> CheckResult:
    """Check that the database answers and say whether its schema is current."""
    database = Database(settings.database_url)
    try:
        await database.ping()
        current = await database.current_revision()
    except DATABASE_ERRORS as exc:
        return CheckResult("database", False, describe_database_error(database, exc))
    finally:
        await database.dispose()
    head = database.head_revision()
    if current == head:
        return CheckResult("database", True, f"{database.display_url}, schema {current}")
    detail = (
        f"{database.display_url} reachable, schema at {current or 'none'}; "
        f"`newsroom run` or `newsroom db upgrade` will bring it to {head}"
    )
    return CheckResult("database", True, detail)


async def check_token(settings: Settings) -> CheckResult:
    """Check that a token is set and that Discord accepts it."""
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        return CheckResult("discord token", False, "not set; put DISCORD_TOKEN in .env")
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        async with asyncio.timeout(DISCORD_CHECK_TIMEOUT):
            user = await http.static_login(settings.discord_token.get_secret_value().strip())
    except discord.LoginFailure:
        return CheckResult("discord token", False, "Discord rejected it; reset it and update .env")
    except (TimeoutError, aiohttp.ClientError, discord.HTTPException) as exc:
        return CheckResult("discord token", False, f"could not reach Discord ({exc!r})")
    finally:
        await http.close()
    return CheckResult("discord token", True, f"accepted, bot user {user['username']}")


def check_settings(settings: Settings) -> CheckResult:
    """Summarise the settings that shape how the bot runs."""
    scope = (
        "commands sync to guilds " + ", ".join(map(str, settings.guild_ids))
        if settings.guild_ids
        else "commands sync globally"
    )
    return CheckResult("settings", True, f"valid; log level {settings.log_level}; {scope}")


async def run_checks(settings: Settings, write: Callable[[str], None]) -> int:
    """Run every check, print the report and return 0 only when all pass."""
    results = [check_settings(settings), await check_database(settings)]
    results.append(await check_token(settings))
    comments_ok, comments_detail = await check_comment_store(settings)
    results.append(CheckResult("comment store", comments_ok, comments_detail))
    write(f"Newsroom {__version__} check")
    for result in results:
        write(result.render())
    return 0 if all(result.ok for result in results) else 1
