"""The bot end to end through the Discord stand-in: start, commands, /setup, /about, errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot import __version__
from bot.app.checkup import run_checks
from bot.app.runner import run_bot
from bot.database import Database
from bot.guild_settings import Feature, GuildSettingsService
from tests.e2e.conftest import BotStarter, Newsroom, bot_settings, newsroom_bot
from tests.standin import DiscordStandIn, Permissions

SETUP_SUBCOMMANDS = {"show", "announcements", "log", "editors", "feature", "clear"}


def field_values(embed: dict[str, Any]) -> dict[str, str]:
    """Map an embed's field names to their values."""
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


async def test_bot_registers_its_commands_in_the_configured_guild(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot() as bot:
        commands = {command["name"]: command for command in standin.commands(newsroom.guild)}
        expected = {command.name for command in bot.tree.get_commands()}
    assert set(commands) == expected
    assert {"setup", "about"} <= expected
    setup = commands["setup"]
    assert {option["name"] for option in setup["options"]} == SETUP_SUBCOMMANDS
    assert int(setup["default_member_permissions"]) == Permissions.manage_guild
    assert setup["contexts"] == [0], "/setup is offered in servers only"
    assert standin.commands() == [], "guild sync registers nothing globally"


async def test_without_guild_ids_commands_are_registered_globally(
    standin: DiscordStandIn, newsroom: Newsroom, database_url: str
) -> None:
    async with newsroom_bot(standin, database_url) as bot:
        names = {command["name"] for command in standin.commands()}
        expected = {command.name for command in bot.tree.get_commands()}
    assert names == expected
    assert {"setup", "about"} <= names


async def test_admin_sets_up_the_newsroom(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot, database_url: str
) -> None:
    async with guild_bot():
        announced = await standin.slash(
            newsroom.admin, newsroom.general, "setup announcements", channel=newsroom.news
        )
        response = await announced.response()
        assert response.ephemeral
        assert response.content == f"Articles will be announced in <#{newsroom.news.id}>."

        editors = await standin.slash(
            newsroom.admin, newsroom.general, "setup editors", role=newsroom.editors
        )
        assert (await editors.response()).content == (
            f"Members with <@&{newsroom.editors.id}> are now editors."
        )
        logged = await standin.slash(
            newsroom.admin, newsroom.general, "setup log", channel=newsroom.editors_desk
        )
        await logged.response()
        switched = await standin.slash(
            newsroom.admin, newsroom.general, "setup feature", feature="polls", enabled=False
        )
        assert (await switched.response()).content == "The polls feature is now off."

        shown = await (
            await standin.slash(newsroom.admin, newsroom.general, "setup show")
        ).response()
    assert shown.ephemeral
    fields = field_values(shown.embeds[0])
    assert fields["Announcements"] == f"<#{newsroom.news.id}>"
    assert fields["Editors role"] == f"<@&{newsroom.editors.id}>"
    assert fields["Log channel"] == f"<#{newsroom.editors_desk.id}>"
    assert "off · polls" in fields["Features"]
    assert "on  · articles" in fields["Features"]
    assert standin.messages_in(newsroom.general) == [], "set-up replies are private"


async def test_settings_survive_a_restart(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot():
        reply = await standin.slash(
            newsroom.admin, newsroom.general, "setup announcements", channel=newsroom.news
        )
        await reply.response()
    async with guild_bot():
        shown = await standin.slash(newsroom.admin, newsroom.general, "setup show")
        fields = field_values((await shown.response()).embeds[0])
    assert fields["Announcements"] == f"<#{newsroom.news.id}>"


async def test_member_without_manage_server_is_refused_by_the_bot(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot, database_url: str
) -> None:
    async with guild_bot():
        # A server admin may override /setup's default permissions in Discord's settings:
        # the bot must still refuse anyone without Manage Server.
        attempt = await standin.slash(
            newsroom.reader,
            newsroom.general,
            "setup announcements",
            channel=newsroom.news,
            override_permissions=True,
        )
        response = await attempt.response()
    assert response.ephemeral
    assert response.content == "You need the Manage Server permission for this."
    database = Database(database_url)
    try:
        config = await GuildSettingsService(database).get(newsroom.guild.id)
    finally:
        await database.dispose()
    assert config.announcement_channel_id is None


async def test_setup_refuses_a_channel_the_bot_cannot_post_in(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    locked = newsroom.guild.add_text_channel("locked")
    bot_member = newsroom.guild.me
    locked.set_overwrite(bot_member, deny=Permissions.send_messages | Permissions.embed_links)
    async with guild_bot():
        attempt = await standin.slash(
            newsroom.admin, newsroom.general, "setup announcements", channel=locked
        )
        response = await attempt.response()
        shown = await (
            await standin.slash(newsroom.admin, newsroom.general, "setup show")
        ).response()
    assert response.ephemeral
    assert response.content.startswith(f"I can't work in <#{locked.id}>: I'm missing ")
    assert "Send Messages" in response.content
    assert "Embed Links" in response.content
    assert field_values(shown.embeds[0])["Announcements"] == "not set"


async def test_setup_refuses_everyone_as_editors_and_a_category_as_channel(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    category = newsroom.guild.add_category("Archive")
    async with guild_bot():
        everyone = await standin.slash(
            newsroom.admin, newsroom.general, "setup editors", role=newsroom.guild.everyone
        )
        not_text = await standin.slash(
            newsroom.admin, newsroom.general, "setup log", channel=category
        )
        everyone_reply = await everyone.response()
        category_reply = await not_text.response()
    assert everyone_reply.content.startswith("@everyone can't be the editors role")
    assert category_reply.content == "Pick a text or announcement channel."
    assert everyone_reply.ephemeral
    assert category_reply.ephemeral


async def test_setup_clear_unsets_a_setting(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot():
        await (
            await standin.slash(
                newsroom.admin, newsroom.general, "setup editors", role=newsroom.editors
            )
        ).response()
        cleared = await standin.slash(
            newsroom.admin, newsroom.general, "setup clear", setting="editors_role_id"
        )
        response = await cleared.response()
    assert response.content == "The editors role is no longer set."
    assert field_values(response.embeds[0])["Editors role"] == "not set"


async def test_about_answers_anyone_with_version_backend_and_latency(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot, backend: str
) -> None:
    async with guild_bot():
        about = await standin.slash(newsroom.reader, newsroom.general, "about")
        response = await about.response()
    assert response.ephemeral
    fields = field_values(response.embeds[0])
    assert fields["Version"] == __version__
    assert fields["Database"] == backend
    assert fields["Uptime"].endswith("min")
    assert fields["Gateway latency"] == "measuring…" or fields["Gateway latency"].endswith(" ms")


async def test_a_broken_cog_is_logged_and_the_others_still_load(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = "tests.e2e.extensions.broken_on_load"
    with caplog.at_level(logging.ERROR, logger="bot.app.client"):
        async with guild_bot(extensions=["cogs.admin", broken]) as bot:
            about = await standin.slash(newsroom.reader, newsroom.general, "about")
            response = await about.response()
            assert set(bot.failed_extensions) == {broken}
    assert response.embeds[0]["title"] == "Newsroom"
    failures = [record for record in caplog.records if broken in record.getMessage()]
    assert len(failures) == 1
    assert failures[0].exc_info is not None, "the traceback is logged"


async def test_unexpected_errors_get_a_private_reply_and_one_log_line(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    extensions = ["cogs.admin", "tests.e2e.extensions.failing_command"]
    with caplog.at_level(logging.ERROR, logger="bot.app.tree"):
        async with guild_bot(extensions=extensions):
            early = await standin.slash(newsroom.reader, newsroom.general, "explode")
            early_reply = await early.response()
            late = await standin.slash(newsroom.reader, newsroom.general, "explode-late")
            assert (await late.response()).deferred
            late_reply = await late.wait_for_original(lambda message: not message.loading)
    assert early_reply.ephemeral
    assert early_reply.content.startswith("Something went wrong on my side.")
    assert late_reply.ephemeral
    assert late_reply.content.startswith("Something went wrong on my side.")
    logged = [record for record in caplog.records if record.name == "bot.app.tree"]
    assert len(logged) == 2
    assert {type(record.exc_info[1]) for record in logged} == {ZeroDivisionError, KeyError}


async def test_a_rejected_token_gives_guidance_and_exit_code_2(
    standin: DiscordStandIn, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = bot_settings(standin, database_url, DISCORD_TOKEN="not-a-real-token")
    assert await run_bot(settings) == 2
    err = capsys.readouterr().err
    assert "Discord rejected the bot token in DISCORD_TOKEN" in err
    assert "https://discord.com/developers/applications" in err
    assert "not-a-real-token" not in err
    assert "Traceback" not in err


async def test_feature_switches_default_on(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot():
        shown = await (
            await standin.slash(newsroom.admin, newsroom.general, "setup show")
        ).response()
    features = field_values(shown.embeds[0])["Features"]
    assert all(f"on  · {feature.value}" in features for feature in Feature)


@pytest.mark.parametrize("token_is_valid", [True, False])
async def test_check_verifies_the_token_with_discord(
    standin: DiscordStandIn, database_url: str, token_is_valid: bool
) -> None:
    token = standin.bot_token if token_is_valid else "reset-token"
    settings = bot_settings(standin, database_url, DISCORD_TOKEN=token)
    lines: list[str] = []
    exit_code = await run_checks(settings, lines.append)
    [token_line] = [line for line in lines if "discord token" in line]
    if token_is_valid:
        assert exit_code == 0
        assert token_line == "  ok   discord token: accepted, bot user Newsroom"
    else:
        assert exit_code == 1
        assert token_line.startswith("  FAIL discord token: Discord rejected it")
    assert all(token not in line for line in lines)
