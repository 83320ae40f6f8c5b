"""Feeds end to end: a WordPress-shaped site on loopback, the real bot, the Discord stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.articles.extraction import extract_article_html
from bot.errors import NotFound
from bot.feeds.poller import CycleReport
from tests.e2e.conftest import BotStarter, Newsroom
from tests.site.wordpress import WordPressSite, example_body
from tests.standin import DiscordStandIn

MESSAGES = "/channels/{channel_id}/messages"
FACTS = [
    ("U.S. Military Action", "The United States struck Iranian nuclear sites."),
    ("Russia’s Position", "Putin condemned the strikes."),
]


@pytest.fixture
async def site() -> AsyncIterator[WordPressSite]:
    served = await WordPressSite().start()
    yield served
    await served.close()


async def poll_now(bot, feed_id: int) -> CycleReport:
    """Run the real poller on one feed now, whatever its schedule says."""
    cog = bot.get_cog("Articles")
    assert cog is not None, "the articles cog is loaded"
    report = CycleReport()
    await cog.poller.poll(await cog.context.feeds.get(feed_id), report)
    return report


async def follow(
    standin: DiscordStandIn, newsroom: Newsroom, bot, url: str, **options: object
) -> str:
    """Set up the guild, have the editor run /feed add, and let the poller's cycle finish."""
    cog = bot.get_cog("Articles")
    assert cog is not None, "the articles cog is loaded"
    for command, values in (
        ("setup editors", {"role": newsroom.editors}),
        ("setup log", {"channel": newsroom.editors_desk}),
    ):
        await (await standin.slash(newsroom.admin, newsroom.general, command, **values)).response()
    added = await standin.slash(
        newsroom.editor, newsroom.general, "feed add", url=url, channel=newsroom.news, **options
    )
    reply = (await added.response()).content
    if reply.startswith("Following"):
        await asyncio.wait_for(fetched_once(cog), timeout=10)
    return reply


async def fetched_once(cog) -> None:
    """Wait for the poller's cycles until it has fetched feed #1 (adding it woke the poller)."""
    while True:
        cycles = cog.cycles_completed
        try:
            feed = await cog.context.feeds.get(1)
        except NotFound:
            feed = None
        if feed is not None and (feed.last_success_at or feed.last_error_at):
            return
        await cog.wait_for_cycles(cycles + 1)


async def test_new_posts_are_announced_once_with_thread_facts_and_only_the_chosen_ping(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: WordPressSite
) -> None:
    for n in range(3):
        site.add_post(f"Old story {n}")
    breaking = newsroom.guild.add_role("Breaking news")
    async with guild_bot(SITE_URL=site.url) as bot:
        reply = await follow(standin, newsroom, bot, f"{site.url}/feed/", ping_role=breaking)
        assert reply.startswith("Following feed #1 in")
        await poll_now(bot, 1)
        await standin.wait_for(lambda: len(newsroom.guild.threads()) == 1)
        assert [m.embeds[0]["title"] for m in standin.messages_in(newsroom.news)] == ["Old story 2"]

        site.add_post("Iran turns to Moscow", facts=FACTS)
        site.add_post("Russia weighs its options")
        report = await poll_now(bot, 1)
        assert report.posted == 2
        await standin.wait_for(lambda: len(newsroom.guild.threads()) == 3)
    async with guild_bot(SITE_URL=site.url) as bot:
        again = await poll_now(bot, 1)
        assert (again.not_modified, again.posted) == (1, 0)
    titles = [message.embeds[0]["title"] for message in standin.messages_in(newsroom.news)]
    assert titles == ["Old story 2", "Iran turns to Moscow", "Russia weighs its options"]
    iran = standin.messages_in(newsroom.news)[1]
    assert [field["name"] for field in iran.embeds[0]["fields"]] == [label for label, _ in FACTS]
    assert iran.content == f"<@&{breaking.id}>"
    posts = [r for r in standin.requests_to("POST", MESSAGES) if r.json.get("embeds")]
    for request in posts:
        mentions = request.json["allowed_mentions"]
        assert mentions["parse"] == []
        assert [int(role) for role in mentions["roles"]] == [breaking.id]
        assert request.json["nonce"]
    last = site.requests_to("/feed/")[-1]
    assert last.status == 304
    assert "If-None-Match" in last.headers
    assert sorted(thread.name for thread in newsroom.guild.threads()) == sorted(titles)


async def test_a_failing_feed_backs_off_then_pauses_and_tells_the_editors(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: WordPressSite
) -> None:
    site.fault = "503"
    async with guild_bot(SITE_URL=site.url, NEWSROOM_FEED_FAILURES_BEFORE_PAUSE=2) as bot:
        await follow(standin, newsroom, bot, f"{site.url}/feed/")
        feeds = bot.get_cog("Articles").context.feeds
        after_first = await feeds.get(1)
        assert after_first.consecutive_failures == 1, "the poller fetched it once on /feed add"
        assert not after_first.paused
        assert after_first.next_fetch_at > after_first.last_error_at, "it backs off"
        second = await poll_now(bot, 1)
        assert second.paused == [1]
        await standin.wait_for(lambda: len(standin.messages_in(newsroom.editors_desk)) == 1)
        listed = await standin.slash(newsroom.editor, newsroom.general, "feed list")
        embed = (await listed.response()).embeds[0]
    [notice] = standin.messages_in(newsroom.editors_desk)
    assert "failed 2 times in a row and is paused" in notice.content
    assert "HTTP 503" in notice.content
    assert "/feed resume 1" in notice.content
    [field] = embed["fields"]
    assert "paused" in field["value"]
    assert "HTTP 503" in field["value"]
    assert standin.messages_in(newsroom.news) == []


async def test_feed_commands_are_for_editors_and_refuse_private_addresses(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    async with guild_bot() as bot:
        refused = await follow(standin, newsroom, bot, "http://10.0.0.5/feed/")
        reader = await standin.slash(
            newsroom.reader,
            newsroom.general,
            "feed add",
            url="https://news.example/feed/",
            channel=newsroom.news,
        )
        reader_reply = (await reader.response()).content
    assert refused == "That address is on a private network; I only follow public feeds."
    assert reader_reply.startswith("Only editors can do that.")


async def test_a_changed_title_edits_the_announcement_instead_of_reposting(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: WordPressSite
) -> None:
    post = site.add_post("Iran turns to Moscow", facts=FACTS)
    async with guild_bot(SITE_URL=site.url) as bot:
        await follow(standin, newsroom, bot, f"{site.url}/feed/")
        [announcement] = standin.messages_in(newsroom.news)
        site.update_post(post.id, title="Iran turns to Moscow as Putin hesitates")
        report = await poll_now(bot, 1)
        await standin.wait_for(
            lambda: announcement.embeds[0]["title"] == "Iran turns to Moscow as Putin hesitates"
        )
    assert report.posted == 0
    assert len(standin.messages_in(newsroom.news)) == 1


async def test_the_site_feed_is_followed_once_the_announcement_channel_is_set(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: WordPressSite
) -> None:
    site.add_post("Iran turns to Moscow", facts=FACTS)
    async with guild_bot(SITE_URL=site.url) as bot:
        cog = bot.get_cog("Articles")
        reply = await standin.slash(
            newsroom.admin, newsroom.general, "setup announcements", channel=newsroom.news
        )
        await reply.response()
        cog.wake_poller()
        await asyncio.wait_for(fetched_once(cog), timeout=10)
        await standin.wait_for(lambda: len(standin.messages_in(newsroom.news)) == 1)
        [feed] = await cog.context.feeds.list(newsroom.guild.id)
    assert feed.url == f"{site.url}/feed/"
    assert feed.channel_id == newsroom.news.id


async def test_a_post_interrupted_before_it_was_recorded_is_not_doubled_on_restart(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter
) -> None:
    extracted = extract_article_html(
        example_page("Iran turns to Moscow"), "https://news.example/iran-moscow/"
    )
    async with guild_bot() as bot:
        context = bot.get_cog("Articles").context
        article = (await context.articles.save(extracted, ["url:news.example/iran"])).article
        record = await context.announcements.claim(article.id, newsroom.guild.id, newsroom.news.id)
        # The crash: Discord created the message, and the bot died before recording it.
        await bot.get_channel(newsroom.news.id).send("first attempt", nonce=record.nonce)
    async with guild_bot() as bot:
        context = bot.get_cog("Articles").context
        # Resuming runs in on_ready after start-up work; a loaded CI machine needs more than 5 s.
        await standin.wait_for(lambda: len(newsroom.guild.threads()) == 1, timeout=15)
        [finished] = await context.announcements.of_article(article.id)
    [message] = standin.messages_in(newsroom.news)
    assert finished.status == "posted"
    assert finished.message_id == message.id
    assert newsroom.guild.threads()[0].name == "Iran turns to Moscow"


def example_page(title: str) -> str:
    """Render an article page in the example's layout."""
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<div class='entry-content'>{example_body(FACTS, ['More soon.'], ['Why?'])}</div>"
        "</article></body></html>"
    )
