"""End-to-end fixtures: a Discord stand-in with a newsroom guild, and the real bot against it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app.client import NewsroomBot
from bot.config import Settings, load_settings
from bot.database import Database
from tests.standin import (
    Channel,
    DiscordStandIn,
    Guild,
    Member,
    Permissions,
    Role,
    point_discord_py_at,
    running,
)


@dataclass
class Newsroom:
    """The people and places of a news site's Discord server."""

    guild: Guild
    news: Channel
    general: Channel
    editors_desk: Channel
    editors: Role
    admin: Member
    editor: Member
    reader: Member


@contextlib.asynccontextmanager
async def served_standin(**options: Any) -> AsyncIterator[DiscordStandIn]:
    """Serve a stand-in for discord.py; afterwards, fail on unknown routes or stand-in crashes."""
    async with DiscordStandIn(bot_name="Newsroom", **options) as server:
        with point_discord_py_at(server):
            yield server
        assert not server.unknown_routes, f"the bot called unknown routes: {server.unknown_routes}"
        assert not server.crashes, f"the stand-in crashed: {server.crashes}"


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    """Serve a Discord stand-in on 127.0.0.1."""
    async with served_standin() as server:
        yield server


@pytest.fixture
def newsroom(standin: DiscordStandIn) -> Newsroom:
    """Build a guild with an announcement channel, an editors' desk and three people."""
    guild = standin.add_guild("Daily Planet")
    editors = guild.add_role("Editors")
    return Newsroom(
        guild=guild,
        news=guild.add_text_channel("news", news=True),
        general=guild.add_text_channel("general"),
        editors_desk=guild.add_text_channel("editors-desk"),
        editors=editors,
        admin=guild.add_member("perry", permissions=Permissions.manage_guild),
        editor=guild.add_member("lois", roles=[editors]),
        reader=guild.add_member("jimmy"),
    )


def bot_settings(standin: DiscordStandIn, database_url: str, **overrides: object) -> Settings:
    """Build settings for a bot that talks to the stand-in and uses `database_url`."""
    values: dict[str, object] = {
        "DISCORD_TOKEN": standin.bot_token,
        "DATABASE_URL": database_url,
        "NEWSROOM_SHUTDOWN_GRACE_SECONDS": 2,
    }
    values.update(overrides)
    return load_settings(None, **values)


@asynccontextmanager
async def newsroom_bot(
    standin: DiscordStandIn,
    database_url: str,
    *,
    guild_ids: Sequence[int] = (),
    extensions: Sequence[str] | None = None,
    **setting_overrides: object,
) -> AsyncIterator[NewsroomBot]:
    """Run the real bot against the stand-in until the block ends."""
    guilds = ",".join(map(str, guild_ids))
    settings = bot_settings(standin, database_url, NEWSROOM_GUILD_IDS=guilds, **setting_overrides)
    database = Database(settings.database_url)
    await database.upgrade()
    bot = NewsroomBot(settings, database, extensions=extensions, guild_ready_timeout=0.05)
    try:
        async with running(bot, standin):
            await standin.wait_until_ready()
            yield bot
    finally:
        await database.dispose()


BotStarter = Callable[..., AbstractAsyncContextManager[NewsroomBot]]


@pytest.fixture
def guild_bot(standin: DiscordStandIn, newsroom: Newsroom, database_url: str) -> BotStarter:
    """Return a starter for the bot with commands synced to the newsroom guild."""

    def start(**kwargs: object) -> AbstractAsyncContextManager[NewsroomBot]:
        return newsroom_bot(standin, database_url, guild_ids=[newsroom.guild.id], **kwargs)

    return start
