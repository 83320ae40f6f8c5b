"""The stand-in with the real discord.py: slash commands, deferrals, buttons, modals, deadlines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.webhook.async_ import async_context, interaction_response_params

from tests.standin import (
    CallbackType,
    DiscordStandIn,
    FakeClock,
    Guild,
    Permissions,
    ScenarioError,
    point_discord_py_at,
    running,
)


class Panel(discord.ui.View):
    """A persistent view: a counter button and a button that opens a modal."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.clicks = 0

    @discord.ui.button(label="Count", custom_id="tiny:count")
    async def count(
        self, interaction: discord.Interaction, button: discord.ui.Button[Panel]
    ) -> None:
        """Count the click and show the total on the message itself."""
        self.clicks += 1
        await interaction.response.edit_message(content=f"clicks: {self.clicks}")

    @discord.ui.button(label="Suggest", custom_id="tiny:suggest")
    async def suggest(
        self, interaction: discord.Interaction, button: discord.ui.Button[Panel]
    ) -> None:
        """Ask for a story idea."""
        await interaction.response.send_modal(Suggestion())


class Suggestion(discord.ui.Modal, title="Suggest a story"):
    """A modal with one short text field."""

    idea: discord.ui.TextInput[Suggestion] = discord.ui.TextInput(
        label="Idea", custom_id="idea", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Thank the member privately."""
        await interaction.response.send_message(f"thanks for {self.idea.value}", ephemeral=True)


class TinyBot(commands.Bot):
    """A small bot with guild commands covering the interaction flows."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
        )
        self.guild_id = guild_id
        self.errors: asyncio.Queue[Exception] = asyncio.Queue()
        self.before_answer: Callable[[], None] | None = None
        self.panel = Panel()

    async def setup_hook(self) -> None:
        """Register the commands in the test guild and sync them."""
        guild = discord.Object(self.guild_id)
        self.add_view(self.panel)
        for command in (ping, slow, twice, late, later, panel, setup, admin_only, topic, profile):
            self.tree.add_command(command, guild=guild)
        await self.tree.sync(guild=guild)


def bot_of(interaction: discord.Interaction) -> TinyBot:
    """Return the TinyBot that received the interaction."""
    assert isinstance(interaction.client, TinyBot)
    return interaction.client


@app_commands.command(description="Answer privately")
async def ping(interaction: discord.Interaction) -> None:
    """Reply with an ephemeral pong."""
    await interaction.response.send_message("pong", ephemeral=True)


@app_commands.command(description="Think, then answer")
async def slow(interaction: discord.Interaction) -> None:
    """Defer with "thinking", then answer through a follow-up."""
    await interaction.response.defer(thinking=True)
    await interaction.followup.send("done thinking")


@app_commands.command(description="Answer twice")
async def twice(interaction: discord.Interaction) -> None:
    """Answer, then (wrongly) call the callback endpoint a second time."""
    await interaction.response.send_message("first")
    try:
        await async_context.get().create_interaction_response(
            interaction.id,
            interaction.token,
            session=interaction._session,
            params=interaction_response_params(4, {"content": "second"}),
        )
    except discord.HTTPException as error:
        bot_of(interaction).errors.put_nowait(error)


@app_commands.command(description="Answer after the deadline")
async def late(interaction: discord.Interaction) -> None:
    """Let the test move the clock, then try to answer."""
    bot = bot_of(interaction)
    if bot.before_answer is not None:
        bot.before_answer()
    try:
        await interaction.response.send_message("too late?")
    except discord.HTTPException as error:
        bot.errors.put_nowait(error)


@app_commands.command(description="Defer, then answer after the token expired")
async def later(interaction: discord.Interaction) -> None:
    """Defer, let the test move the clock, then try to follow up."""
    bot = bot_of(interaction)
    await interaction.response.defer(thinking=True)
    if bot.before_answer is not None:
        bot.before_answer()
    try:
        await interaction.followup.send("sorry for the wait")
    except discord.HTTPException as error:
        bot.errors.put_nowait(error)


@app_commands.command(description="Pick a topic")
async def topic(interaction: discord.Interaction, name: str) -> None:
    """Echo the topic."""
    await interaction.response.send_message(name)


@topic.autocomplete("name")
async def topic_names(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Suggest topics that start with what was typed."""
    names = ["budget", "buses", "elections"]
    return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]


@app_commands.context_menu(name="Profile")
async def profile(interaction: discord.Interaction, member: discord.Member) -> None:
    """Show whose profile was asked for."""
    await interaction.response.send_message(f"profile of {member.name}", ephemeral=True)


@app_commands.command(description="Post the panel")
async def panel(interaction: discord.Interaction) -> None:
    """Post a message carrying the persistent view."""
    await interaction.response.send_message("clicks: 0", view=bot_of(interaction).panel)


setup = app_commands.Group(name="setup", description="Settings")
channels = app_commands.Group(name="channels", description="Channel settings", parent=setup)


@channels.command(name="set", description="Set the channels")
async def setup_set(
    interaction: discord.Interaction,
    announcements: discord.TextChannel,
    editors: discord.Role,
    owner: discord.Member,
    count: int,
    ratio: float = 1.0,
    loud: bool = False,
) -> None:
    """Echo the resolved arguments."""
    await interaction.response.send_message(
        f"{announcements.name}|{announcements.is_news()}|{editors.name}|{owner.name}|"
        f"{count}|{ratio}|{loud}|{interaction.permissions.manage_guild}|"
        f"{interaction.app_permissions.embed_links}",
        ephemeral=True,
    )


@app_commands.command(description="Only for server managers")
@app_commands.default_permissions(manage_guild=True)
async def admin_only(interaction: discord.Interaction) -> None:
    """Answer the manager."""
    await interaction.response.send_message("hello, manager", ephemeral=True)


@pytest.fixture
def clock() -> FakeClock:
    """Give a clock the test can move forward."""
    return FakeClock()


@pytest.fixture
async def standin(clock: FakeClock) -> AsyncIterator[DiscordStandIn]:
    """Give a running stand-in that discord.py points at."""
    async with DiscordStandIn(clock=clock) as server:
        with point_discord_py_at(server):
            yield server


@pytest.fixture
def guild(standin: DiscordStandIn) -> Guild:
    """Give the guild the bot lives in."""
    return standin.add_guild("Newsroom")


@pytest.fixture
async def bot(standin: DiscordStandIn, guild: Guild) -> AsyncIterator[TinyBot]:
    """Give a connected TinyBot whose commands are synced."""
    client = TinyBot(guild.id)
    async with running(client, standin):
        await standin.wait_until_ready()
        await standin.wait_for_commands("ping", "setup", "admin_only")
        yield client


async def test_slash_command_gets_its_ephemeral_response(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot
) -> None:
    news = guild.add_text_channel("news")
    bob = guild.add_member("bob")

    reply = await standin.slash(bob, news, "ping")
    response = await reply.response()

    assert response.type == CallbackType.CHANNEL_MESSAGE
    assert response.content == "pong"
    assert response.ephemeral
    assert standin.messages_in(news) == []  # ephemeral: nobody else sees it
    assert response.message is not None
    assert response.message.ephemeral


async def test_defer_then_followup_edits_the_original(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot
) -> None:
    news = guild.add_text_channel("news")
    bob = guild.add_member("bob")

    reply = await standin.slash(bob, news, "slow")
    response = await reply.response()
    original = await reply.wait_for_original(lambda message: not message.loading)

    assert response.type == CallbackType.DEFERRED_CHANNEL_MESSAGE
    assert original is response.message
    assert original.content == "done thinking"
    assert await reply.followups(1) == [original]  # Discord filled in the original
    assert [m.content for m in standin.messages_in(news)] == ["done thinking"]


async def test_subcommand_options_are_resolved_for_discord_py(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot
) -> None:
    news = guild.add_text_channel("news", news=True)
    editors = guild.add_role("Editors")
    alice = guild.add_member("alice", permissions=Permissions.manage_guild)

    reply = await standin.slash(
        alice,
        news,
        "setup channels set",
        announcements=news,
        editors=editors,
        owner=guild.owner,
        count=3,
        ratio=0.5,
    )

    response = await reply.response()
    assert response.content == "news|True|Editors|owner|3|0.5|False|True|True"


async def test_scenario_refuses_what_discord_would_refuse(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot
) -> None:
    news = guild.add_text_channel("news")
    bob = guild.add_member("bob")
    alice = guild.add_member("alice", permissions=Permissions.manage_guild)

    with pytest.raises(ScenarioError, match="required option"):
        await standin.slash(bob, news, "setup channels set", announcements=news)
    with pytest.raises(ScenarioError, match="no option"):
        await standin.slash(bob, news, "ping", loud=True)
    with pytest.raises(ScenarioError, match="needs a subcommand"):
        await standin.slash(bob, news, "setup")
    with pytest.raises(ScenarioError, match="no command"):
        await standin.slash(bob, news, "nope")
    with pytest.raises(ScenarioError, match="default permissions"):
        await standin.slash(bob, news, "admin_only")

    reply = await standin.slash(alice, news, "admin_only")
    assert (await reply.response()).content == "hello, manager"


async def test_persistent_button_and_modal_round_trip(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot
) -> None:
    news = guild.add_text_channel("news")
    bob = guild.add_member("bob")
    posted = await (await standin.slash(bob, news, "panel")).response()
    message = posted.message
    assert message is not None
    assert message.custom_ids() == ["tiny:count", "tiny:suggest"]

    click = await standin.click(bob, message, "tiny:count")
    update = await click.response()
    assert update.type == CallbackType.UPDATE_MESSAGE
    assert message.content == "clicks: 1"

    opened = await standin.click(bob, message, "tiny:suggest")
    modal = (await opened.response()).modal
    assert modal is not None
    assert modal["title"] == "Suggest a story"
    submitted = await standin.submit_modal(bob, opened, {"idea": "more polls"})
    thanks = await submitted.response()
    assert thanks.content == "thanks for more polls"
    assert thanks.ephemeral


async def test_a_second_callback_is_already_acknowledged(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot
) -> None:
    news = guild.add_text_channel("news")
    reply = await standin.slash(guild.add_member("bob"), news, "twice")

    assert (await reply.response()).content == "first"
    error = await asyncio.wait_for(bot.errors.get(), timeout=5)
    assert isinstance(error, discord.HTTPException)
    assert (error.status, error.code) == (400, 40060)


async def test_a_callback_after_three_seconds_is_unknown(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot, clock: FakeClock
) -> None:
    news = guild.add_text_channel("news")
    bot.before_answer = lambda: clock.advance(3.5)

    reply = await standin.slash(guild.add_member("bob"), news, "late")

    error = await asyncio.wait_for(bot.errors.get(), timeout=5)
    assert isinstance(error, discord.NotFound)
    assert error.code == 10062
    assert not reply.acknowledged


async def test_followups_stop_when_the_token_expires(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot, clock: FakeClock
) -> None:
    news = guild.add_text_channel("news")
    bot.before_answer = lambda: clock.advance(15 * 60 + 1)

    reply = await standin.slash(guild.add_member("bob"), news, "later")

    assert (await reply.response()).deferred
    error = await asyncio.wait_for(bot.errors.get(), timeout=5)
    assert isinstance(error, discord.HTTPException)
    assert (error.status, error.code) == (401, 50027)
    original = reply.original
    assert original is not None
    assert original.loading  # still "thinking"


async def test_autocomplete_and_context_menu(
    standin: DiscordStandIn, guild: Guild, bot: TinyBot
) -> None:
    news = guild.add_text_channel("news")
    bob = guild.add_member("bob")

    typing = await standin.autocomplete(bob, news, "topic", "name", name="bu")
    choices = (await typing.response()).choices
    assert [choice["value"] for choice in choices] == ["budget", "buses"]

    menu = await standin.user_command(bob, news, "Profile", guild.owner)
    assert (await menu.response()).content == "profile of owner"
