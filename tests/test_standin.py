"""The stand-in with the real discord.py: gateway, shards, resume, messages, limits, threads."""

from __future__ import annotations

import asyncio
import datetime
import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.standin import (
    BotStopped,
    Channel,
    DiscordStandIn,
    FakeClock,
    Guild,
    Intents,
    Permissions,
    no_identify_delay,
    point_discord_py_at,
    running,
)


class Recorder(commands.Bot):
    """A bot that keeps every raw event it receives in a queue per event name."""

    def __init__(self, *, intents: discord.Intents | None = None, **options: Any) -> None:
        if intents is None:
            intents = discord.Intents.default()
            intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            guild_ready_timeout=0.05,
            **options,
        )
        self.seen: dict[str, asyncio.Queue[Any]] = {}

    def got(self, event: str) -> asyncio.Queue[Any]:
        """Return the queue of one event's payloads."""
        return self.seen.setdefault(event, asyncio.Queue())

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Record the event, then dispatch it as usual."""
        self.got(event_name).put_nowait(args[0] if args else None)
        super().dispatch(event_name, *args, **kwargs)

    async def next(self, event: str) -> Any:
        """Wait (bounded) for the next `event`."""
        return await asyncio.wait_for(self.got(event).get(), timeout=5)


class ShardedRecorder(Recorder, commands.AutoShardedBot):
    """A Recorder that runs several shards and identifies them without discord.py's 5-s pause."""

    before_identify_hook = staticmethod(no_identify_delay)  # type: ignore[assignment]


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    """Give a running stand-in with short rate-limit windows that discord.py points at."""
    async with DiscordStandIn(message_bucket=(5, 0.5)) as server:
        with point_discord_py_at(server):
            yield server


@pytest.fixture
def guild(standin: DiscordStandIn) -> Guild:
    """Give the guild the bot lives in."""
    return standin.add_guild("Newsroom")


async def channel_of(bot: discord.Client, standin: DiscordStandIn, channel: Channel) -> Any:
    """Return discord.py's object for a stand-in channel, once the bot has processed it."""
    await standin.wait_until_processed()
    found = bot.get_channel(channel.id)
    assert found is not None, f"the bot does not know {channel!r}"
    return found


@pytest.fixture
async def bot(standin: DiscordStandIn, guild: Guild) -> AsyncIterator[Recorder]:
    """Give a connected bot."""
    client = Recorder()
    async with running(client, standin):
        await standin.wait_until_ready()
        await client.wait_until_ready()
        yield client


async def test_ready_and_guild_create_build_discord_py_state(
    standin: DiscordStandIn, guild: Guild
) -> None:
    news = guild.add_text_channel("news", news=True)
    editors = guild.add_role("Editors")
    client = Recorder()
    async with running(client, standin):
        await standin.wait_until_ready()
        await client.wait_until_ready()

        seen = client.get_guild(guild.id)
        assert seen is not None
        assert seen.name == "Newsroom"
        channel = seen.get_channel(news.id)
        assert isinstance(channel, discord.TextChannel)
        assert channel.is_news()
        assert seen.get_role(editors.id) is not None
        assert seen.me.id == standin.bot_user.id
        assert seen.me.guild_permissions.send_messages
        assert client.user is not None
        assert client.user.id == standin.bot_user.id
        assert client.application_id == standin.application_id
        assert standin.events_sent()[:2] == ["READY", "GUILD_CREATE"]


async def test_an_unknown_token_is_a_login_failure(standin: DiscordStandIn) -> None:
    client = Recorder()
    async with client:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    assert standin.requests[-1].status == 401


async def test_privileged_intents_not_enabled_close_with_4014() -> None:
    async with DiscordStandIn(enabled_intents=0) as server:
        server.add_guild("Newsroom")
        with point_discord_py_at(server):
            client = Recorder()  # asks for MESSAGE_CONTENT
            async with client:
                with pytest.raises(discord.PrivilegedIntentsRequired):
                    await asyncio.wait_for(client.start(server.bot_token), timeout=5)


async def test_two_shards_each_get_their_own_guilds(standin: DiscordStandIn) -> None:
    standin.recommended_shards = 2
    first = standin.add_guild("Zero", shard=(0, 2))
    second = standin.add_guild("One", shard=(1, 2))
    news = second.add_text_channel("news")
    reader = second.add_member("reader")
    client = ShardedRecorder()
    async with running(client, standin):
        await standin.wait_until_ready(2)
        await client.wait_until_ready()

        assert client.shard_count == 2
        assert client.get_guild(first.id).shard_id == 0  # type: ignore[union-attr]
        assert client.get_guild(second.id).shard_id == 1  # type: ignore[union-attr]
        assert standin.events_sent("GUILD_CREATE", shard=0) == ["GUILD_CREATE"]
        assert standin.events_sent("GUILD_CREATE", shard=1) == ["GUILD_CREATE"]

        await standin.post_message(reader, news, "on shard one")
        message = await client.next("message")
        assert message.content == "on shard one"
        assert standin.events_sent("MESSAGE_CREATE", shard=1) == ["MESSAGE_CREATE"]
        assert standin.events_sent("MESSAGE_CREATE", shard=0) == []


async def test_two_processes_can_split_the_shards(standin: DiscordStandIn) -> None:
    first = standin.add_guild("Zero", shard=(0, 2))
    second = standin.add_guild("One", shard=(1, 2))
    zero = ShardedRecorder(shard_ids=[0], shard_count=2)
    one = ShardedRecorder(shard_ids=[1], shard_count=2)
    async with running(zero, standin), running(one, standin):
        await standin.wait_until_ready(2)

        assert [g.id for g in zero.guilds] == [first.id]
        assert [g.id for g in one.guilds] == [second.id]


async def test_resume_after_a_dropped_connection_delivers_missed_events(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    news = guild.add_text_channel("news")
    reader = guild.add_member("reader")

    await standin.disconnect_all(code=4000)
    await standin.post_message(reader, news, "while you were away")

    assert (await bot.next("message")).content == "while you were away"
    await bot.next("resumed")
    assert standin.gateway.identify_count == 1


async def test_a_second_bot_instance_sees_the_same_world(
    standin: DiscordStandIn, guild: Guild
) -> None:
    news = guild.add_text_channel("news")
    first = Recorder()
    async with running(first, standin):
        await standin.wait_until_ready()
        channel = first.get_channel(news.id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("before the restart")
    await standin.wait_until_disconnected()

    second = Recorder()
    async with running(second, standin):
        await standin.wait_until_ready()
        channel = second.get_channel(news.id)
        assert isinstance(channel, discord.TextChannel)
        history = [m.content async for m in channel.history()]
        assert history == ["before the restart"]
    assert standin.gateway.identify_count == 2


async def test_a_message_over_2000_characters_is_invalid_form_body(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    news = guild.add_text_channel("news")
    channel = await channel_of(bot, standin, news)

    with pytest.raises(discord.HTTPException) as raised:
        await channel.send("x" * 2001)

    assert (raised.value.status, raised.value.code) == (400, 50035)
    assert "In content: Must be 2000 or fewer in length." in str(raised.value)
    error = standin.requests[-1]
    assert (error.route, error.status) == ("/channels/{channel_id}/messages", 400)
    assert standin.messages_in(news) == []


async def test_an_embed_over_6000_characters_in_total_is_rejected(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    channel = await channel_of(bot, standin, guild.add_text_channel("news"))
    embed = discord.Embed(title="Budget", description="d" * 4096)
    embed.add_field(name="one", value="v" * 1024).add_field(name="two", value="v" * 1024)

    with pytest.raises(discord.HTTPException) as raised:
        await channel.send(embed=embed)

    assert raised.value.code == 50035
    assert "In embeds.0: Embed size exceeds maximum size of 6000" in str(raised.value)
    await channel.send(embed=discord.Embed(title="Budget", description="fits"))


async def test_discord_py_paces_itself_from_the_rate_limit_headers(
    standin: DiscordStandIn, guild: Guild
) -> None:
    news = guild.add_text_channel("news")
    async with Recorder() as client:
        await client.login(standin.bot_token)
        channel = client.get_partial_messageable(news.id)
        for number in range(6):
            await channel.send(str(number))

    assert standin.rate_limit_hits == 0
    assert len(standin.messages_in(news)) == 6


async def test_a_full_bucket_answers_429_and_discord_py_retries() -> None:
    # One process cannot overrun its own bucket (see above): a second process sharing the
    # token fills the channel's bucket while the first still believes it has room. The
    # window only moves when the test says so, so the 429 cannot depend on machine speed.
    clock = FakeClock(frozen=True)
    async with DiscordStandIn(clock=clock, message_bucket=(5, 0.2)) as server:
        news = server.add_guild("Newsroom").add_text_channel("news")
        with point_discord_py_at(server):
            async with Recorder() as first, Recorder() as second:
                await first.login(server.bot_token)
                await second.login(server.bot_token)
                mine = first.get_partial_messageable(news.id)
                theirs = second.get_partial_messageable(news.id)
                await mine.send("1")
                for number in "234":
                    await theirs.send(number)
                exhausting = asyncio.create_task(theirs.send("5"))  # it then sleeps 0.2 s
                await server.wait_for(lambda: len(server.messages_in(news)) == 5)

                retried = asyncio.create_task(mine.send("6"))
                await server.wait_for(lambda: server.rate_limit_hits == 1)
                clock.advance(0.2)  # the window ends while discord.py sleeps retry_after
                await retried
                await exhausting

        limited = [r for r in server.requests if r.status == 429]
        assert [r.route for r in limited] == ["/channels/{channel_id}/messages"]
        assert [m.content for m in server.messages_in(news)] == list("123456")


async def test_creating_a_thread_echoes_thread_create(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    news = guild.add_text_channel("news")
    channel = await channel_of(bot, standin, news)
    article = await channel.send("A story")

    thread = await article.create_thread(name="Discuss: A story")

    created = await bot.next("thread_create")
    assert created.id == thread.id == article.id
    assert (created.parent_id, created.owner_id) == (news.id, standin.bot_user.id)
    stored = guild.channels[thread.id]
    assert stored.is_thread
    assert stored.name == "Discuss: A story"
    assert standin.message(article.id).thread is stored
    with pytest.raises(discord.HTTPException) as raised:
        await article.create_thread(name="again")
    assert raised.value.code == 160004


async def test_a_native_poll_and_a_vote_reach_the_bot(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    news = guild.add_text_channel("news")
    reader = guild.add_member("reader")
    channel = await channel_of(bot, standin, news)
    poll = discord.Poll(question="Which story next?", duration=datetime.timedelta(hours=2))
    poll.add_answer(text="Budget").add_answer(text="Transport")
    sent = await channel.send(poll=poll)
    message = standin.message(sent.id)
    assert message.poll is not None
    assert [(a.answer_id, a.text) for a in message.poll.answers] == [
        (1, "Budget"),
        (2, "Transport"),
    ]

    await standin.vote_poll(reader, message, answer_id=2)

    vote = await bot.next("raw_poll_vote_add")
    assert (vote.user_id, vote.message_id, vote.answer_id) == (reader.id, sent.id, 2)
    voters = [user.id async for user in sent.poll.get_answer(2).voters()]  # type: ignore[union-attr]
    assert voters == [reader.id]

    ended = await sent.end_poll()
    assert ended.poll is not None
    assert ended.poll.is_finalized()
    assert message.poll.finalized
    assert standin.messages_in(news)[-1].type == 46  # the poll result message


async def test_nonce_with_enforce_nonce_returns_the_same_message(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    news = guild.add_text_channel("news")
    channel = await channel_of(bot, standin, news)

    first = await channel.send("Breaking", nonce="article-42")
    again = await channel.send("Breaking", nonce="article-42")

    assert again.id == first.id
    assert len(standin.messages_in(news)) == 1


async def test_missing_send_messages_is_forbidden(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    quiet = guild.add_text_channel(
        "quiet", overwrites={guild.everyone: (0, Permissions.send_messages)}
    )
    channel = await channel_of(bot, standin, quiet)

    with pytest.raises(discord.Forbidden) as raised:
        await channel.send("hello?")

    assert raised.value.code == 50013
    assert standin.messages_in(quiet) == []


async def test_without_message_content_the_bot_sees_only_mentions(
    standin: DiscordStandIn, guild: Guild
) -> None:
    news = guild.add_text_channel("news")
    reader = guild.add_member("reader")
    client = Recorder(intents=discord.Intents.default())  # no MESSAGE_CONTENT
    async with running(client, standin):
        await standin.wait_until_ready()
        await standin.post_message(reader, news, "plain words")
        await standin.post_message(reader, news, "hey bot", mentions_bot=True)
        await standin.post_message(reader, standin.dm_channel(reader), "a secret")

        contents = [(await client.next("message")).content for _ in range(3)]

    assert contents == ["", f"{standin.bot_user.mention} hey bot", "a secret"]


async def test_files_are_uploaded_and_served(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    news = guild.add_text_channel("news")
    channel = await channel_of(bot, standin, news)

    sent = await channel.send("notes", file=discord.File(io.BytesIO(b"line one"), "notes.txt"))

    assert [a.filename for a in standin.messages_in(news)[0].attachments] == ["notes.txt"]
    assert await sent.attachments[0].read() == b"line one"


async def test_direct_messages_both_ways(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    reader = guild.add_member("reader")
    dm = standin.dm_channel(reader)

    await standin.post_message(reader, dm, "can you help?")
    received = await bot.next("message")
    assert isinstance(received.channel, discord.DMChannel)
    await received.author.send("of course")

    assert [m.content for m in standin.messages_in(dm)] == ["can you help?", "of course"]
    reader.user.accepts_dms = False
    with pytest.raises(discord.Forbidden) as raised:
        await received.author.send("still there?")
    assert raised.value.code == 50007


async def test_reactions_and_crossposts_echo(
    standin: DiscordStandIn, guild: Guild, bot: Recorder
) -> None:
    news = guild.add_text_channel("news", news=True)
    reader = guild.add_member("reader")
    channel = await channel_of(bot, standin, news)
    sent = await channel.send("Published")

    await sent.add_reaction("\N{THUMBS UP SIGN}")
    own = await bot.next("raw_reaction_add")
    await standin.react(reader, standin.message(sent.id), "\N{THUMBS UP SIGN}")
    theirs = await bot.next("raw_reaction_add")
    await sent.publish()

    assert (own.user_id, theirs.user_id) == (standin.bot_user.id, reader.id)
    assert standin.message(sent.id).reactions["\N{THUMBS UP SIGN}"].user_ids == [
        standin.bot_user.id,
        reader.id,
    ]
    assert standin.message(sent.id).flags & 1  # CROSSPOSTED
    with pytest.raises(discord.HTTPException) as raised:
        await sent.publish()
    assert raised.value.code == 40033


async def test_an_unknown_route_is_a_logged_404(
    standin: DiscordStandIn, guild: Guild, bot: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    route = discord.http.Route("GET", "/guilds/{guild_id}/webhooks", guild_id=guild.id)

    with caplog.at_level(logging.WARNING), pytest.raises(discord.NotFound):
        await bot.http.request(route)

    assert standin.unknown_routes == [f"GET /api/v10/guilds/{guild.id}/webhooks"]
    assert "no route for GET /api/v10/guilds" in caplog.text


async def test_intents_decide_which_events_are_sent(standin: DiscordStandIn, guild: Guild) -> None:
    news = guild.add_text_channel("news")
    reader = guild.add_member("reader")
    intents = discord.Intents.none()
    intents.guilds = True
    client = Recorder(intents=intents)  # no GUILD_MESSAGES
    async with running(client, standin):
        await standin.wait_until_ready()
        (session,) = standin.gateway.live_sessions()
        assert Intents(session.intents) == Intents.guilds
        await standin.post_message(reader, news, "unseen")
        await standin.wait_until_processed()

        assert standin.events_sent("MESSAGE_CREATE") == []
        assert client.got("message").empty()


async def test_restarting_the_gateway_makes_the_bot_identify_again(
    standin: DiscordStandIn, guild: Guild
) -> None:
    client = ShardedRecorder(shard_count=1)
    async with running(client, standin):
        await standin.wait_until_ready()
        await client.next("shard_ready")

        await standin.restart_gateway()

        await client.next("shard_ready")  # discord.py identified from scratch
        await standin.wait_until_ready()
        assert standin.gateway.identify_count == 2


async def test_members_are_chunked_for_a_bot_with_the_members_intent(
    standin: DiscordStandIn, guild: Guild
) -> None:
    guild.add_member("reader")
    intents = discord.Intents.default()
    intents.members = True
    client = Recorder(intents=intents)
    async with running(client, standin):
        await standin.wait_until_ready()
        await client.wait_until_ready()
        seen = client.get_guild(guild.id)
        assert seen is not None
        assert seen.chunked
        assert sorted(m.name for m in seen.members) == ["Newsroom", "owner", "reader"]


async def test_waits_fail_at_once_when_the_bot_dies(standin: DiscordStandIn, guild: Guild) -> None:
    class Broken(Recorder):
        async def setup_hook(self) -> None:
            raise RuntimeError("broken set-up")

    async def start_and_wait() -> None:
        async with running(Broken(), standin):
            with pytest.raises(BotStopped):
                await standin.wait_until_ready(timeout=30)

    with pytest.raises(RuntimeError, match="broken set-up"):
        await start_and_wait()
