"""/announce end to end: an editor previews a site article and publishes it exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.e2e.conftest import BotStarter, Newsroom
from tests.standin import DiscordStandIn, Member, Message, MessageFlags

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
ARTICLE_HTML = (FIXTURES / "iran_russia_wordpress.html").read_text()
TITLE = (
    "Iran Strikes a Deal with Putin: A New Power Dynamic in the Wake of U.S. Military Escalation"
)
FACT_LABELS = [
    "U.S. Military Action",
    "Iran’s Retaliation",
    "Iran Turns to Russia",
    "Russia’s Position",
]


class ArticleSite:
    """A loopback news site serving the example article, plus pages that go wrong."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.outside_url = ""
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{path:.*}", self.serve)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def serve(self, request: web.Request) -> web.StreamResponse:
        self.paths.append(request.path)
        if request.path == "/iran-putin/":
            return web.Response(text=ARTICLE_HTML, content_type="text/html")
        if request.path == "/moved/":
            raise web.HTTPMovedPermanently("/iran-putin/")
        if request.path == "/away/":
            raise web.HTTPFound(self.outside_url)
        if request.path == "/logo.png":
            return web.Response(body=b"\x89PNG", content_type="image/png")
        return web.Response(status=404, text="<h1>Not found</h1>", content_type="text/html")

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def site() -> AsyncIterator[ArticleSite]:
    served = ArticleSite()
    await served.start()
    outside = ArticleSite()
    await outside.start()
    served.outside_url = f"{outside.url}/iran-putin/"
    yield served
    assert outside.paths == [], "the bot never fetches from a site that is not configured"
    await served.close()
    await outside.close()


async def configure(standin: DiscordStandIn, newsroom: Newsroom) -> None:
    """Have the admin choose the announcement channel and the editors role."""
    for command, options in (
        ("setup announcements", {"channel": newsroom.news}),
        ("setup editors", {"role": newsroom.editors}),
    ):
        await (await standin.slash(newsroom.admin, newsroom.general, command, **options)).response()


async def preview(
    standin: DiscordStandIn, newsroom: Newsroom, url: str, *, who: Member | None = None
) -> Message:
    """Run /announce as the editor (or `who`) and return the finished ephemeral answer."""
    interaction = await standin.slash(who or newsroom.editor, newsroom.general, "announce", url=url)
    response = await interaction.response()
    assert response.ephemeral
    return await interaction.wait_for_original(lambda message: not message.loading)


async def test_editor_previews_then_publishes_once_with_thread_and_crosspost(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: ArticleSite
) -> None:
    async with guild_bot(SITE_URL=site.url):
        await configure(standin, newsroom)
        shown = await preview(standin, newsroom, f"{site.url}/iran-putin/")
        assert shown.content.startswith("Preview: only you can see this. Found 4 key facts, 5")
        embed = shown.embeds[0]
        assert embed["title"] == TITLE
        assert [field["name"] for field in embed["fields"]] == FACT_LABELS
        publish_id, cancel_id = shown.custom_ids()
        assert publish_id.startswith("article:publish:")
        assert cancel_id.startswith("article:cancel:")

        click = await standin.click(newsroom.editor, shown, publish_id)
        await click.response()
        await standin.wait_for(lambda: len(standin.messages_in(newsroom.news)) == 1)
        [announcement] = standin.messages_in(newsroom.news)
        await standin.wait_for(lambda: announcement.flags & MessageFlags.CROSSPOSTED)
        await standin.wait_for(lambda: shown.content.startswith("Published in"))
        assert shown.components == [], "the preview's buttons are gone once used"

        second = await preview(standin, newsroom, f"{site.url}/iran-putin/")
        again = await standin.click(newsroom.editor, second, second.custom_ids()[0])
        await again.response()
        await standin.wait_for(lambda: second.content.startswith("Published in"))

    assert len(standin.messages_in(newsroom.news)) == 1, "publishing twice posts once"
    assert announcement.embeds[0]["title"] == TITLE
    assert (
        announcement.embeds[0]["url"]
        == "https://boldshout.com/iran-putin-alliance-us-strikes-middle-east/"
    )
    [[button, *others]] = [row["components"] for row in announcement.components]
    assert button["label"] == "Read on site"
    assert [other["label"] for other in others] == ["Ask about this story", "Reply on site"]
    assert button["url"] == announcement.embeds[0]["url"]
    [thread] = newsroom.guild.threads()
    assert thread.id == announcement.id
    assert thread.name == TITLE
    assert (
        len(standin.requests_to("POST", "/channels/{channel_id}/messages/{message_id}/crosspost"))
        == 1
    )
    assert second.content == shown.content, "the second publish links the same message"


async def test_readers_cannot_announce_and_nothing_is_fetched(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: ArticleSite
) -> None:
    async with guild_bot(SITE_URL=site.url):
        attempt = await standin.slash(
            newsroom.reader, newsroom.general, "announce", url=f"{site.url}/iran-putin/"
        )
        response = await attempt.response()
    assert response.ephemeral
    assert response.content.startswith("Only editors can do that.")
    assert site.paths == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("http://evil.example/iran-putin/", "I only fetch articles from this server's news site"),
        ("/away/", "I only fetch articles from this server's news site"),
        ("/missing/", "The site answered 404 Not Found for that page."),
        ("/logo.png", "That link is not an article page (it is image/png)."),
        ("ftp://127.0.0.1/x", "That doesn't look like a link to an article"),
    ],
)
async def test_bad_links_get_a_clear_private_answer(
    standin: DiscordStandIn,
    newsroom: Newsroom,
    guild_bot: BotStarter,
    site: ArticleSite,
    path: str,
    expected: str,
) -> None:
    url = path if "://" in path else f"{site.url}{path}"
    async with guild_bot(SITE_URL=site.url):
        await configure(standin, newsroom)
        attempt = await standin.slash(newsroom.editor, newsroom.general, "announce", url=url)
        await attempt.response()
        answer = attempt.original or (await attempt.response())
        if attempt.original is not None:
            answer = await attempt.wait_for_original(lambda message: not message.loading)
    text = answer.content
    assert text.startswith(expected)
    assert standin.messages_in(newsroom.news) == []


async def test_a_redirect_within_the_site_is_followed(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: ArticleSite
) -> None:
    async with guild_bot(SITE_URL=site.url) as bot:
        # The poller's first cycle must not see the announcement channel, or it follows /feed/.
        await bot.get_cog("Articles").wait_for_cycles(1)
        await configure(standin, newsroom)
        shown = await preview(standin, newsroom, f"{site.url}/moved/")
    assert shown.embeds[0]["title"] == TITLE
    assert site.paths == ["/moved/", "/iran-putin/"]


async def test_publish_without_an_announcement_channel_says_how_to_set_one(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: ArticleSite
) -> None:
    async with guild_bot(SITE_URL=site.url):
        shown = await preview(standin, newsroom, f"{site.url}/iran-putin/", who=newsroom.admin)
        click = await standin.click(newsroom.admin, shown, shown.custom_ids()[0])
        response = await click.response()
    assert response.ephemeral
    assert "/setup announcements" in response.content
    assert standin.messages_in(newsroom.news) == []


async def test_cancel_posts_nothing_and_the_preview_buttons_survive_a_restart(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: ArticleSite
) -> None:
    async with guild_bot(SITE_URL=site.url):
        await configure(standin, newsroom)
        shown = await preview(standin, newsroom, f"{site.url}/iran-putin/")
    async with guild_bot(SITE_URL=site.url):
        cancel = await standin.click(newsroom.editor, shown, shown.custom_ids()[1])
        cancelled = await cancel.response()
    assert cancelled.content == "Cancelled: nothing was posted."
    assert cancelled.components == []
    assert standin.messages_in(newsroom.news) == []


async def test_editors_curate_facts_in_the_thread_and_can_withdraw(
    standin: DiscordStandIn, newsroom: Newsroom, guild_bot: BotStarter, site: ArticleSite
) -> None:
    async with guild_bot(SITE_URL=site.url):
        await configure(standin, newsroom)
        shown = await preview(standin, newsroom, f"{site.url}/iran-putin/")
        await (await standin.click(newsroom.editor, shown, shown.custom_ids()[0])).response()
        await standin.wait_for(lambda: len(newsroom.guild.threads()) == 1)
        [thread] = newsroom.guild.threads()
        [announcement] = standin.messages_in(newsroom.news)

        added = await standin.slash(
            newsroom.editor,
            thread,
            "article facts add",
            text="China is watching from the sidelines.",
            label="China",
        )
        assert (await added.response()).content == "Added fact 5."
        await standin.wait_for(lambda: len(announcement.embeds[0]["fields"]) == 5)
        moved = await standin.slash(newsroom.editor, thread, "article facts move", number=5, to=1)
        await moved.response()
        await standin.wait_for(lambda: announcement.embeds[0]["fields"][0]["name"] == "China")
        refused = await standin.slash(
            newsroom.reader, thread, "article facts remove", number=1, override_permissions=True
        )
        assert (await refused.response()).content.startswith("Only editors can do that.")
        out_of_range = await standin.slash(
            newsroom.editor, thread, "article facts remove", number=9
        )
        assert (await out_of_range.response()).content == "Pick a fact number from 1 to 5."

        retract = await standin.slash(newsroom.editor, thread, "article retract")
        await retract.response()
        await standin.wait_for(lambda: announcement.embeds[0]["title"].startswith("[Withdrawn]"))
    assert announcement.components == []
